"""A value a merge kept while a conflict is open is never passed off as final: an export says
on stderr which charts hold such values, a saved Markdown report lists them, and the printable
summary shows them in a box of its own (docs/reading.md).

Real git (a bare remote and two clones), the real CLI and merge driver.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from conftest import Run, snapshot
from test_merge_items import only_session, settle_both_despite_conflict, two_laptops
from test_sharing import Machine, clinic_of, private_git


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


# --- conflicts in the chart's own details (the patient's, a course's), made by a real merge -----


@pytest.fixture
def phone_in_conflict(run: Run, tmp_path: Path) -> Machine:
    """Laptop B after a sync that merged P-1's phone and its course's planned sessions, each
    changed two ways on two laptops made with `mesolog init --git` (P-2 has no conflict)."""
    a, b = clinic_of(run, tmp_path, 2)
    a("patient", "new", "P-1", "--name", "Ana", "--phone", "111")
    a("course", "add", "P-1", "--name", "hair", "--sessions", "6", "--interval", "14")
    a("patient", "new", "P-2", "--name", "Bea")
    a("sync")
    b("sync")
    for machine, phone, planned in ((a, "555", "8"), (b, "666", "10")):
        machine("patient", "edit", "P-1", "--phone", phone)
        machine("course", "edit", "P-1", "hair", "--sessions", planned)
    a("sync")
    b("sync", expect=1)
    assert "[[conflicts]]" in (b.folder / "patients" / "P-1.toml").read_text()
    return b


def test_exports_say_which_charts_hold_conflicts_in_their_details(
    phone_in_conflict: Machine,
) -> None:
    b = phone_in_conflict
    b("export", "--format", "fhir")  # the first FHIR export makes the clinic's keys
    before = snapshot(b.folder)
    said = "1 chart holds merge conflicts still open (P-1): the export holds the value each kept"
    for args in (["--format", "csv"], ["--format", "fhir"], ["--format", "json"], []):
        for who in (["P-1"], []):
            done = b("export", *who, *args)
            assert said in done.stderr, (who, args)
            assert said not in done.stdout
    assert "merge conflict" not in b("export", "P-2").stderr
    assert snapshot(b.folder) == before


def test_the_summary_shows_the_details_in_conflict_and_says_them(
    phone_in_conflict: Machine, tmp_path: Path
) -> None:
    b = phone_in_conflict
    page = tmp_path / "page.html"
    done = b("summary", "P-1", "--output", str(page))
    assert "merge conflict on patient.phone" in done.stderr
    assert "`mesolog patient edit P-1 --phone VALUE` settles it" in done.stderr
    assert "`mesolog course edit P-1 hair --sessions VALUE` settles it" in done.stderr
    html = re.sub("<[^>]+>", "", page.read_text())  # the words a reader sees
    assert "Awaiting the practitioner's decision" in html
    phone = re.search(r"Chart details, patient\.phone: (.*?) shown, (.*?) also recorded", html)
    assert phone is not None, html
    assert {"555", "666"} == {v.replace("&quot;", "") for v in phone.groups()}
    assert "Chart details, courses.hair.planned_sessions: " in html
    other = tmp_path / "other.html"
    assert "merge conflict" not in b("summary", "P-2", "--output", str(other)).stderr
    assert "Awaiting" not in other.read_text()


def test_a_markdown_report_lists_the_details_in_conflict_with_what_settles_each(
    phone_in_conflict: Machine, tmp_path: Path
) -> None:
    b = phone_in_conflict
    saved = tmp_path / "report.md"
    b("report", "P-1", "--format", "markdown", "--output", str(saved))
    text = saved.read_text()
    section = text.split("## Merge conflicts still open", 1)[1].split("\n## ", 1)[0]
    assert "merge conflict on patient.phone" in section
    # Quoted data is inert in Markdown: the lines' backticks come escaped.
    assert "mesolog patient edit P-1 --phone VALUE\\` settles it" in section
    assert "mesolog course edit P-1 hair --sessions VALUE\\` settles it" in section
    on_screen = b("report", "P-1", "--format", "markdown").stdout
    assert "## Merge conflicts still open" in on_screen
    # Settled by the command the line named: its line goes from the report.
    b("patient", "edit", "P-1", "--phone", "777", "--reason", "asked her")
    b("report", "P-1", "--format", "markdown", "--output", str(saved), "--force")
    text = saved.read_text()
    assert "patient.phone" not in text and "courses.hair.planned_sessions" in text
