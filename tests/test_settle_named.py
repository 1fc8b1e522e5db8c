"""A correction settles only the merge conflicts of the fields it gives (docs/corrections.md).

Real git (a bare remote and two clones), the real CLI and merge driver; the chart read on disk.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import Run
from test_merge_items import only_session, settle_both_despite_conflict, two_laptops
from test_sharing import Machine, git, private_git


@pytest.fixture(autouse=True)
def git_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    private_git(tmp_path, monkeypatch)


def conflicted(run: Run, tmp_path: Path) -> tuple[Machine, Machine]:
    """P-0042's session 1 with two conflicts: the products (both laptops added vitamin c, with
    two lots; one also corrected a lot) and the depth (changed two ways)."""
    a, b = two_laptops(run, tmp_path)
    a("amend", "P-0042", "1", "--substance", "vitamin c:1ml:LOT VC1", "--reason", "forgotten")
    a("amend", "P-0042", "1", "--depth", "2", "--reason", "depth a")
    b("amend", "P-0042", "1", "--substance", "#1=biotin:1ml:LOT B200", "--reason", "lot")
    b("amend", "P-0042", "1", "--substance", "vitamin c:1ml:LOT VC2", "--reason", "forgotten")
    b("amend", "P-0042", "1", "--depth", "1", "--reason", "depth b")
    a("sync")
    b("sync", expect=1)
    settle_both_despite_conflict(a, b)
    assert fields_in_conflict(only_session(a)) == ["depth_mm", "substances"]
    return a, b


def fields_in_conflict(session: dict[str, Any]) -> list[str]:
    return sorted(c["field"] for c in session.get("conflicts", []))


def last_changes(session: dict[str, Any]) -> list[str]:
    return list(session["amendments"][-1]["changes"])


def test_an_unrelated_correction_leaves_the_conflicts_open_and_says_so(
    run: Run, tmp_path: Path
) -> None:
    a, _ = conflicted(run, tmp_path)
    before = only_session(a)["conflicts"]
    noted = a("amend", "P-0042", "1", "--note", "tolerated well", "--reason", "note")
    said = noted.stdout + noted.stderr
    assert "session 1 still has a merge conflict on substances" in said
    assert "`mesolog amend P-0042 1 --substance SUBSTANCE --reason ...` settles it" in said
    assert "session 1 still has a merge conflict on depth_mm" in said
    assert "--depth MM" in said
    session = only_session(a)
    assert session["notes"] == "tolerated well"
    assert session["conflicts"] == before  # on disk, as the merge wrote them
    assert not any("settled" in line for line in last_changes(session))
    assert "vitamin c" in str(before) and "B200" in str(before)  # both sides still there
    found = a("check", expect=1)
    assert "merge conflict: substances was changed two ways" in found.stdout
    a("amend", "P-0042", "1", "--area", "face", "--reason", "area")
    assert fields_in_conflict(only_session(a)) == ["depth_mm", "substances"]
    log = git(a.folder, "log", "-1", "--format=%B")
    assert "session 1 amended: areas" in log and "settled" not in log


def test_a_correction_of_the_field_settles_its_conflict_only(run: Run, tmp_path: Path) -> None:
    a, b = conflicted(run, tmp_path)
    fixed = a(
        "amend",
        "P-0042",
        "1",
        "--substance",
        "#1=biotin:1ml:LOT B200",
        "--substance",
        "vitamin c:1ml:LOT VC1",
        "--reason",
        "both",
    )
    session = only_session(a)
    assert fields_in_conflict(session) == ["depth_mm"]
    assert any(
        line.startswith("merge conflict on substances settled") for line in last_changes(session)
    )
    assert [(p["name"], p.get("lot")) for p in session["substances"]] == [
        ("biotin", "B200"),
        ("dutasteride 0.01%", "D2411"),
        ("vitamin c", "VC1"),
    ]
    said = fixed.stdout + fixed.stderr
    assert "still has a merge conflict on depth_mm" in said
    assert "merge conflict on substances" not in said.replace("depth_mm", "")
    # The value in force is an answer too: the depth given as it stands settles its conflict.
    depth = str(session["depth_mm"]).removesuffix(".0")
    settled = a("amend", "P-0042", "1", "--depth", depth, "--reason", "depth checked")
    assert "still has a merge conflict" not in settled.stdout + settled.stderr
    session = only_session(a)
    assert "conflicts" not in session
    assert last_changes(session) == [
        line for line in last_changes(session) if line.startswith("merge conflict on depth_mm")
    ]
    a("check")
    a("sync")
    b("sync")
    assert a.chart("P-0042") == b.chart("P-0042")
    b("check")


def test_a_measurement_given_settles_the_conflict_on_that_measurement_alone(
    run: Run, tmp_path: Path
) -> None:
    a, b = two_laptops(run, tmp_path)
    a("amend", "P-0042", "1", "--measure", "density=120", "--measure", "pain=2", "--reason", "a")
    b("amend", "P-0042", "1", "--measure", "density=130", "--measure", "pain=3", "--reason", "b")
    a("sync")
    b("sync", expect=1)
    settle_both_despite_conflict(a, b)
    assert fields_in_conflict(only_session(b)) == ["measurements.density", "measurements.pain"]
    done = b("amend", "P-0042", "1", "--measure", "density=125", "--reason", "measured again")
    assert "still has a merge conflict on measurements.pain" in done.stdout + done.stderr
    assert (
        "`mesolog amend P-0042 1 --measure pain=NUMBER --reason ...`" in done.stdout + done.stderr
    )
    session = only_session(b)
    assert fields_in_conflict(session) == ["measurements.pain"]
    assert session["measurements"]["density"] == 125.0
    assert "merge conflict on measurements.density settled" in "\n".join(last_changes(session))
    b("amend", "P-0042", "1", "--measure", "pain=3", "--reason", "asked")
    assert "conflicts" not in only_session(b)
    b("check")


def test_the_report_says_which_conflicts_are_open_until_they_are_settled(
    run: Run, tmp_path: Path
) -> None:
    a, _ = conflicted(run, tmp_path)
    shown = a("report", "P-0042")
    assert "session 1 still has a merge conflict on depth_mm" in shown.stderr
    assert "session 1 still has a merge conflict on substances" in shown.stderr
    assert "merge conflict" not in shown.stdout  # the table itself, and a machine format, whole
    assert "merge conflict" not in a("report", "P-0042", "--format", "json").stdout
    a("amend", "P-0042", "1", "--depth", "1.5", "--reason", "seen again")
    shown = a("report", "P-0042")
    assert "depth_mm" not in shown.stderr and "conflict on substances" in shown.stderr
