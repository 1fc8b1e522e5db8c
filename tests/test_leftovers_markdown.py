"""The report's Markdown says `amended` as the table view does (`2 amended*`), and nothing for a
session never changed: never True/False (the CSV and JSON keep their booleans)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import FULL_ADD


def _amended_cells(markdown: str) -> list[str]:
    lines = markdown.splitlines()
    at = lines.index(next(line for line in lines if line.startswith("| session |")))
    column = lines[at].split(" | ").index("amended")
    rows = lines[at + 2 : lines.index("", at)]
    return [line.split(" | ")[column] for line in rows]


def test_the_markdown_amended_column_reads_as_the_table(run, patient: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("add", "P-0042", *FULL_ADD)
    run("add", "P-0042", *FULL_ADD[2:], "--date", "2026-11-20")
    run("amend", "P-0042", "2", "--depth", "2", "--reason", "typo")
    assert "2 amended*" in run("report", "P-0042").stdout  # the table view's word
    md = run("report", "P-0042", "--format", "markdown").stdout
    assert _amended_cells(md) == ["", "amended"]
    assert "True" not in md and "False" not in md
    saved = tmp_path / "report.md"
    run("report", "P-0042", "--output", str(saved))
    assert saved.read_text() == md
    # The CSV keeps its booleans, for the programs that read it.
    assert ",False," in run("report", "P-0042", "--format", "csv").stdout
