"""The field table (docs/fields.md): a session field declared once, on the record, reaches
every place: the options and help of add and amend, the chart file, reading it back, the
trail, the CSV columns and the refusals. Checked by adding one to a scratch copy of the
package and running that copy's CLI."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import mesolog

# One line on the record: a whole number from 1 to 9, named "cannulas" in sentences.
NEW_FIELD = """    cannula_count: int | None = field(default=None, metadata=declared(
        "--cannulas", "N", "Cannulas used (1-9). Example: --cannulas 2",
        parse=partial(scalars.whole, field_name="cannulas", low=1, high=9),
    ))  # fmt: skip

"""
SESSION = ["--area", "scalp", "-s", "biotin:1ml:LOT B1", "--depth", "1.5", "--technique", "gun",
           "--anaesthetic", "none", "--date", "2026-11-02", "--no-input"]  # fmt: skip


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """A copy of the package with one field appended to the session's table."""
    root = tmp_path / "scratch"
    shutil.copytree(Path(mesolog.__file__).parent, root / "mesolog")
    records = root / "mesolog" / "model" / "records.py"
    text = records.read_text(encoding="utf-8")
    end = "    @property\n    def voided"
    assert text.count(end) == 1
    records.write_text(text.replace(end, NEW_FIELD + end), encoding="utf-8")
    return root


def scratch_run(root: Path, *args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
    # Run from the copy's folder: ``-m`` puts the working folder first on the path.
    env = {**os.environ, "PYTHONPATH": str(root), "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, "-m", "mesolog", *args], env=env, cwd=root, capture_output=True, text=True
    )
    assert done.returncode == expect, (args, done.stdout, done.stderr)
    return done


def test_a_field_added_to_the_table_reaches_every_place(scratch: Path, data_dir: Path) -> None:
    for command in ("add", "amend"):
        assert "--cannulas N Cannulas used (1-9). Example: --cannulas 2" in " ".join(
            scratch_run(scratch, command, "--help").stdout.split()
        )
    scratch_run(scratch, "add", "P-1", "--new-patient", *SESSION, "--cannulas", "2")
    chart = data_dir / "patients" / "P-1.toml"
    assert "cannula_count = 2" in chart.read_text(encoding="utf-8")

    # Refused by the table's parser, in one sentence, nothing written.
    before = chart.read_text(encoding="utf-8")
    refused = scratch_run(scratch, "add", "P-1", *SESSION, "--cannulas", "12", expect=2)
    assert "cannulas" in refused.stderr and "1 to 9" in refused.stderr
    assert "Traceback" not in refused.stderr and chart.read_text(encoding="utf-8") == before

    # Read back (the CSV export decodes the chart) and a column of its own.
    exported = scratch_run(scratch, "export", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert [row["cannula_count"] for row in rows] == ["2"]

    # Amended: the trail names it, old -> new.
    scratch_run(scratch, "amend", "P-1", "1", "--cannulas", "3", "--reason", "miscounted")
    assert "cannula_count: 2 -> 3" in chart.read_text(encoding="utf-8")
    assert "cannula_count: 2 -> 3" in scratch_run(scratch, "report", "P-1", "--audit").stdout

    # A value out of range written into the file by hand: check refuses it on its own line.
    chart.write_text(
        chart.read_text(encoding="utf-8").replace("cannula_count = 3", "cannula_count = 12"),
        encoding="utf-8",
    )
    checked = scratch_run(scratch, "check", expect=1)
    assert "cannulas" in checked.stdout + checked.stderr


def test_the_real_package_has_no_such_field(run: object) -> None:
    """The scratch copy, not the installed package, is what the test above ran."""
    from dataclasses import fields

    from mesolog.model.records import Session

    assert "cannula_count" not in {f.name for f in fields(Session)}
