"""The compiled TOML parser on the bulk read path gives exactly what tomllib gives, and
mesolog works the same without it (tomllib stays the reference and words every refusal)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_properties import sessions

from mesolog.model import Chart, Patient, now
from mesolog.store import encode_chart, parse_chart_text
from mesolog.store.codec import _fast_parser

toml_rs = pytest.importorskip("toml_rs")
ROOT = Path(__file__).resolve().parents[1]
DEMO = sorted((ROOT / "examples" / "clinic" / "patients").glob("*.toml"))


def fast(text: str) -> dict[str, object]:
    data: dict[str, object] = toml_rs.loads(text, toml_version="1.0.0")
    return data


def test_the_bulk_path_uses_the_compiled_parser_when_installed() -> None:
    assert _fast_parser() is not None


@pytest.mark.parametrize("path", DEMO, ids=lambda p: p.name)
def test_demo_charts_parse_to_equal_data_and_equal_charts(path: Path) -> None:
    text = path.read_text()
    assert fast(text) == tomllib.loads(text)
    assert parse_chart_text(path, text, bulk=True) == parse_chart_text(path, text)


def test_synthetic_clinic_parses_to_equal_data(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from synthetic_clinic import build
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    build(tmp_path, 24, 20)
    charts = sorted((tmp_path / "patients").glob("*.toml"))
    assert len(charts) == 24
    for path in charts:
        text = path.read_text()
        assert fast(text) == tomllib.loads(text), path.name


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(sessions, min_size=1, max_size=4))
def test_generated_charts_parse_to_equal_data(drafts: list) -> None:  # type: ignore[type-arg]
    numbered = tuple(s.__class__(**{**s.__dict__, "id": i + 1}) for i, s in enumerate(drafts))
    chart = Chart(Patient(id="P-1", created=now(), name="Ana"), (), numbered)
    text = encode_chart(chart)
    assert fast(text) == tomllib.loads(text)
    assert parse_chart_text(Path("P-1.toml"), text, bulk=True) == chart


def _mesolog(
    data: Path, *args: str, without_fast_parser: bool = False
) -> subprocess.CompletedProcess[str]:
    # The real program; "without" blocks the import as a machine without the wheel would.
    block = "import sys; sys.modules['toml_rs'] = None; " if without_fast_parser else ""
    code = (
        block
        + "import sys; from mesolog.cli import main; sys.argv = ['mesolog', *sys.argv[1:]]; main()"
    )
    return subprocess.run(
        [sys.executable, "-c", code, "--data-dir", str(data), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "MESOLOG_CACHE_DIR": str(data.parent / f"cache-{without_fast_parser}")},
        timeout=300,
    )


def test_without_the_compiled_parser_every_bulk_command_answers_the_same(tmp_path: Path) -> None:
    data = tmp_path / "clinic"
    (data / "patients").mkdir(parents=True)
    for path in DEMO:
        (data / "patients" / path.name).write_bytes(path.read_bytes())
    # A broken chart: the refusal must be tomllib's words and line, either way.
    (data / "patients" / "P-BROKEN.toml").write_text(
        'schema = 1\n[patient]\nid = "P-BROKEN"\nname = "x\n'
    )
    for command in (
        ["check"],
        ["export", "--format", "json"],
        ["due", "--all", "--format", "json"],
        ["report", "--format", "json"],
    ):
        with_it = _mesolog(data, *command)
        without = _mesolog(data, *command, without_fast_parser=True)
        assert (with_it.returncode, with_it.stdout, with_it.stderr) == (
            without.returncode,
            without.stdout,
            without.stderr,
        ), command
    check = _mesolog(data, "check")
    assert "P-BROKEN.toml:4" in check.stdout and "broken TOML" in check.stdout
