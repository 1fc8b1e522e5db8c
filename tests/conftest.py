"""Shared fixtures: every test gets its own data, config and cache folders; the real user
folders are never touched."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, settings
from typer.testing import CliRunner

from mesolog.cli import app

if TYPE_CHECKING:
    from mesolog.model import Chart
    from mesolog.model.itemkeys import ExportKeys

# Hypothesis measures wall-clock time in two places: a deadline per example and the "too_slow"
# health check on generating data. On a loaded CI machine both fail tests whose code is right,
# so neither applies anywhere (loaded here, before any test module makes its own settings).
# A test that names its own suppress_health_check list must name too_slow in it as well.
settings.register_profile("mesolog", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("mesolog")

FULL_ADD = [
    "--date",
    "2026-11-02",
    "--area",
    "scalp",
    "--indication",
    "hair loss",
    "--substance",
    "dutasteride 0.01%:1ml:LOT D2411:EXP 2027-03-31",
    "--depth",
    "1.5",
    "--technique",
    "gun",
    "--method",
    "nappage",
    "--angle",
    "45",
    "--gauge",
    "30",
    "--needle-length",
    "4",
    "--points",
    "40",
    "--anaesthetic",
    "none",
    "--duration",
    "25",
    "--measure",
    "hair_density_per_cm2=142",
    "--measure",
    "satisfaction_0_10=7",
    "--note",
    "first session",
    "--practitioner",
    "Dr. L. Moreau",
    "--consent",
    "form 2026-11-02",
    "--photo",
    "photos/P-0042/2026-11-02-before.jpg",
]


def private_folders(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Config, cache and home under ``root``: the real user folders are never touched."""
    monkeypatch.setenv("MESOLOG_CONFIG", str(root / "config" / "config.toml"))
    monkeypatch.setenv("MESOLOG_CACHE_DIR", str(root / "cache"))
    monkeypatch.setenv("HOME", str(root / "home"))
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(root / "home" / var.lower()))


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # The clinic's data folder exists, as `mesolog init` leaves it (0700): MESOLOG_DATA_DIR names
    # it, and `patient new` refuses a named folder that is not there. A test of a missing folder
    # removes it (`missing_data_dir`).
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    monkeypatch.setenv("MESOLOG_DATA_DIR", str(data))
    private_folders(tmp_path, monkeypatch)
    monkeypatch.delenv("NO_COLOR", raising=False)
    # Piped output is drawn 80 columns wide, or COLUMNS wide (docs/manual.md, "Reading at any width").
    # The suite reads it wide, so that a whole row or a long temporary path stays on one line
    # for the assertions; the tests about widths set or remove COLUMNS themselves.
    monkeypatch.setenv("COLUMNS", "1000")
    monkeypatch.delenv("LINES", raising=False)
    return data


@pytest.fixture
def data_dir(isolated: Path) -> Path:
    return isolated


@pytest.fixture
def missing_data_dir(isolated: Path) -> Path:
    """MESOLOG_DATA_DIR names a folder that is not there (never initialised)."""
    isolated.rmdir()
    return isolated


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


class Run:
    """The real CLI through Typer's CliRunner; stdout and stderr kept apart."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, expect: int | None = 0):  # type: ignore[no-untyped-def]
        result = self.runner.invoke(app, list(args), input=input)
        if expect is not None and result.exit_code != expect:
            raise AssertionError(
                f"mesolog {' '.join(args)} exited {result.exit_code}, expected {expect}\n"
                f"stdout: {result.stdout}\nstderr: {result.stderr}\nexception: {result.exception!r}"
            )
        return result


@pytest.fixture
def run() -> Run:
    return Run()


@pytest.fixture
def patient(run: Run, data_dir: Path) -> Path:
    """P-0042 with a six-session hair-loss course, no sessions yet."""
    run(
        "patient",
        "new",
        "P-0042",
        "--name",
        "Ana Ruiz",
        "--birth-year",
        "1986",
        "--course",
        "hair-2026",
        "--indication",
        "hair loss",
        "--sessions",
        "6",
        "--interval",
        "14",
        "--start",
        "2026-11-02",
    )
    return data_dir / "patients" / "P-0042.toml"


def is_uid(text: str) -> bool:
    """A ULID as mesolog writes it: 26 Crockford base32 characters, the first at most 7 (the
    value's top two bits are 0)."""
    import re

    return re.fullmatch(r"[0-7][0-9A-HJKMNP-TV-Z]{25}", text) is not None


def exported_bundle(charts: list[Chart], keys: ExportKeys) -> dict[str, Any]:
    """What ``export --format fhir`` prints for ``charts`` with ``keys``, read back as JSON."""
    import contextlib
    import io
    import json

    from mesolog.render.exchange import fhir_export

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        fhir_export(charts, keys)
    return json.loads(printed.getvalue())


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with a hash of its bytes (locks excluded: they hold a pid)."""
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".locks" not in p.parts
    }


def mesolog_process(
    *args: str, env: dict[str, str] | None = None, **kw
) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    """The real program in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "mesolog", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        **kw,
    )


# --- a real terminal: tmux ---------------------------------------------------------------------

# How long a wait may last before it is called a hang. Every wait ends as soon as what it waits
# for is on the screen, so this only bounds a real hang: a loaded 2-core CI machine can take
# seconds to start Python, a shell or a completion script, and that is not a failure.
WAIT_S = 120.0


class Tmux:
    """One terminal window in a tmux server of its own.

    The server listens on a socket in a folder of this test's: no other test, helper or user's
    tmux shares it, so nobody else's ``kill-session`` or exiting server can end it, and the
    programs in it inherit this test's environment (a shared server hands every new window the
    environment of whoever started that server).
    """

    def __init__(self, command: str, width: int, height: int) -> None:
        # A short folder of its own: a unix socket path is limited to about 100 bytes.
        self.folder = tempfile.mkdtemp(prefix="mesolog-tmux-")
        self.tmux = ["tmux", "-S", os.path.join(self.folder, "socket"), "-f", os.devnull]
        subprocess.run(
            [
                *self.tmux,
                "new-session",
                "-d",
                "-s",
                "test",
                "-x",
                str(width),
                "-y",
                str(height),
                command,
            ],
            check=True,
        )

    def screen(self) -> str:
        return subprocess.run(
            [*self.tmux, "capture-pane", "-p", "-t", "test"], capture_output=True, text=True
        ).stdout

    def keys(self, *keys: str, literal: bool = False) -> None:
        subprocess.run(
            [*self.tmux, "send-keys", "-t", "test", *(["-l", "--"] if literal else []), *keys],
            check=True,
        )

    def wait(self, found: Callable[[str], bool], what: str, timeout: float = WAIT_S) -> str:
        """The screen, as soon as ``found`` holds for it."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if found(screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} never appeared in {timeout:.0f} s; screen:\n{screen}")
            time.sleep(0.05)  # how often to look, not how long to wait

    def close(self) -> None:
        subprocess.run([*self.tmux, "kill-server"], capture_output=True)
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def tmux() -> Iterator[Callable[..., Tmux]]:
    """Opens terminals (``tmux(command, width=, height=)``); every one is closed after the test."""
    opened: list[Tmux] = []

    def open_(command: str, width: int = 160, height: int = 50) -> Tmux:
        opened.append(Tmux(command, width, height))
        return opened[-1]

    yield open_
    for terminal in opened:
        terminal.close()


def wait_until(found: Callable[[], bool], what: str, timeout: float = WAIT_S) -> None:
    """Return as soon as ``found()`` holds; fail only after ``timeout`` (a hang)."""
    deadline = time.monotonic() + timeout
    while not found():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen in {timeout:.0f} s")
        time.sleep(0.05)
