"""Piped output carries no trailing spaces: a report stacked into blocks at a narrow width
(`mesolog report ID | cat`) was drawn padded to the full width, every line."""

from __future__ import annotations

import pytest

from tests.conftest import FULL_ADD, mesolog_process


@pytest.mark.parametrize("columns", ["60", "80"])
def test_a_piped_stacked_report_has_no_trailing_spaces(run, patient, columns: str) -> None:  # type: ignore[no-untyped-def]
    run("add", "P-0042", *FULL_ADD, "--note", "scalp felt tight the next morning, " * 4)
    run("add", "P-0042", *FULL_ADD[2:], "--date", "2026-11-20")
    run("amend", "P-0042", "1", "--depth", "2", "--reason", "typo")
    # A real process writing into a pipe, as `mesolog report P-0042 | cat` gives it.
    piped = mesolog_process("report", "P-0042", env={"COLUMNS": columns})
    assert piped.returncode == 0, piped.stderr
    lines = piped.stdout.splitlines()
    assert "#1 amended*  2026-11-02" in lines  # stacked: a block per session
    assert max(len(line) for line in lines) <= int(columns)
    padded = [line for line in lines if line != line.rstrip()]
    assert padded == []
