"""A value a merge kept while a conflict is open is never passed off as final: an export says
on stderr which charts hold such values, a saved Markdown report lists them, and the printable
summary shows them in a box of its own (docs/reading.md).

Real git (a bare remote and two clones), the real CLI and merge driver.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from conftest import Run
from test_merge_items import only_session, settle_both_despite_conflict, two_laptops
from test_sharing import Machine, private_git


@pytest.fixture(autouse=True)
def git_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    private_git(tmp_path, monkeypatch)


def depth_in_conflict(run: Run, tmp_path: Path) -> Machine:
    a, b = two_laptops(run, tmp_path)
    a("amend", "P-0042", "1", "--depth", "2.5", "--reason", "depth a")
    b("amend", "P-0042", "1", "--depth", "2", "--reason", "depth b")
    a("sync")
    b("sync", expect=1)
    settle_both_despite_conflict(a, b)
    assert [c["field"] for c in only_session(a)["conflicts"]] == ["depth_mm"]
    return a


def test_exports_say_which_charts_hold_values_still_in_conflict(run: Run, tmp_path: Path) -> None:
    a = depth_in_conflict(run, tmp_path)
    said = "merge conflicts still open (P-0042): the export holds the value each kept meanwhile"
    for args in (["--format", "csv"], ["--format", "fhir"], ["--format", "json"], []):
        for who in (["P-0042"], []):
            done = a("export", *who, *args)
            assert said in done.stderr, (who, args)
            assert said not in done.stdout
    rows = list(csv.DictReader(io.StringIO(a("export", "--format", "csv").stdout)))
    assert rows[0]["patient"] == "P-0042"  # the machine format stays whole
    json.loads(a("export", "P-0042").stdout)


def test_a_saved_report_and_the_summary_page_show_the_open_conflict(
    run: Run, tmp_path: Path
) -> None:
    a = depth_in_conflict(run, tmp_path)
    page = tmp_path / "page.html"
    done = a("summary", "P-0042", "--output", str(page))
    assert "session 1 still has a merge conflict on depth_mm" in done.stderr
    html = page.read_text()
    assert "Awaiting the practitioner's decision" in html
    assert "depth_mm" in html and "also recorded" in html
    saved = tmp_path / "report.md"
    a("report", "P-0042", "--format", "markdown", "--output", str(saved))
    text = saved.read_text()
    assert "## Merge conflicts still open" in text
    assert "session 1 still has a merge conflict on depth" in text and "--depth MM" in text


def test_a_chart_with_no_conflict_says_nothing_of_them(run: Run, tmp_path: Path) -> None:
    a, _ = two_laptops(run, tmp_path)
    done = a("export", "--format", "csv")
    assert "merge conflict" not in done.stderr
    page = tmp_path / "page.html"
    a("summary", "P-0042", "--output", str(page))
    assert "Awaiting" not in page.read_text()
    saved = tmp_path / "report.md"
    a("report", "P-0042", "--format", "markdown", "--output", str(saved))
    assert "Merge conflicts" not in saved.read_text()
