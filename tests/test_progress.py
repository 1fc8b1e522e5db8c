"""A cache rebuild of many charts shows a progress bar on stderr in a terminal, never when piped."""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from mesolog.render.progress import MANY_CHARTS, RebuildBar

CHARTS = 80
TIMEOUT_S = 300  # a cold rebuild on a loaded 2-core machine


@pytest.fixture
def clinic_of_80(run, patient: Path) -> Path:  # type: ignore[no-untyped-def]
    """80 charts: P-0042 with a session, copied under 79 other ids."""
    run(
        "add",
        "P-0042",
        "--date",
        "2026-11-02",
        "--area",
        "scalp",
        "-s",
        "minoxidil 0.5%:2ml:LOT M1",
        "--depth",
        "1.5",
        "--technique",
        "gun",
        "--anaesthetic",
        "none",
    )
    text = patient.read_text()
    for n in range(1, CHARTS):
        other = f"Q-{n:04d}"
        (patient.parent / f"{other}.toml").write_text(text.replace('"P-0042"', f'"{other}"'))
    shutil.rmtree(os.environ["MESOLOG_CACHE_DIR"], ignore_errors=True)  # every chart read again
    return patient.parent.parent


def _mesolog(stderr: int, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "40"}
    return subprocess.Popen(
        [sys.executable, "-m", "mesolog", "due", "--all"],
        stdout=subprocess.PIPE,
        stderr=stderr,
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=tmp_path,
    )


def test_a_rebuild_in_a_terminal_draws_a_bar_on_stderr(clinic_of_80: Path, tmp_path: Path) -> None:
    main, secondary = pty.openpty()  # stderr is a terminal, stdout a pipe
    seen: list[bytes] = []

    def read() -> None:  # drain the terminal as it is written (its buffer is small)
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the other end closed
                return
            if not chunk:
                return
            seen.append(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    process = _mesolog(secondary, tmp_path)
    os.close(secondary)
    stdout, _ = process.communicate(timeout=TIMEOUT_S)
    reader.join(timeout=TIMEOUT_S)
    os.close(main)
    terminal = b"".join(seen).decode("utf-8", "replace")
    assert process.returncode == 0, terminal
    assert "Reading charts into the summary cache" in terminal
    assert f"{CHARTS}/{CHARTS}" in terminal and "━" in terminal
    assert "Reading charts" not in stdout.decode()  # the bar is on stderr only
    assert "Q-0079" in stdout.decode()


def test_piped_there_is_no_bar(clinic_of_80: Path, tmp_path: Path) -> None:
    process = _mesolog(subprocess.PIPE, tmp_path)
    stdout, stderr = process.communicate(timeout=TIMEOUT_S)
    assert process.returncode == 0, stderr
    assert stderr.decode() == "" and "Reading charts" not in stdout.decode()
    assert "Q-0079" in stdout.decode()


def test_the_bar_is_only_for_many_charts_and_stops_at_the_end() -> None:
    bar = RebuildBar()
    bar(0, MANY_CHARTS - 1)
    assert bar.bar is None  # a handful of charts: nothing drawn
    bar(0, MANY_CHARTS)
    assert bar.bar is not None
    bar(MANY_CHARTS, MANY_CHARTS)
    assert bar.bar is None
    bar(MANY_CHARTS, MANY_CHARTS)  # the store's last word after a finished rebuild: still nothing
    assert bar.bar is None
