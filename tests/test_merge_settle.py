"""Both laptops settling one merge conflict: two answers that differ are a conflict again.

Real git (a bare remote and two clones, the real CLI and the real merge driver), then the pure
merge in both orders (docs/chart-merge.md).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from conftest import Run
from hypothesis import given
from hypothesis import strategies as st
from test_merge_items import only_session, settle_both, settle_both_despite_conflict, two_laptops
from test_sharing import Machine, git, private_git

from mesolog.model import merging
from mesolog.store.merge import merge_chart_texts


@pytest.fixture(autouse=True)
def git_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    private_git(tmp_path, monkeypatch)


def depth_in_conflict(run: Run, tmp_path: Path) -> tuple[Machine, Machine]:
    """P-0042's session 1 with an open conflict on its depth (2 and 3), on both laptops."""
    a, b = two_laptops(run, tmp_path)
    a("amend", "P-0042", "1", "--depth", "2", "--reason", "depth a")
    b("amend", "P-0042", "1", "--depth", "3", "--reason", "depth b")
    a("sync")
    b("sync", expect=1)
    settle_both_despite_conflict(a, b)
    (conflict,) = only_session(a)["conflicts"]
    assert conflict["field"] == "depth_mm"
    return a, b


def both_orders(a: Machine, b: Machine) -> tuple[str, str]:
    """The chart merged from the two laptops' versions, each taken as ``ours`` in turn (the
    ancestor is the commit both last synced)."""
    base = git(a.folder, "show", "origin/main:patients/P-0042.toml")
    ours, theirs = a.chart("P-0042").decode(), b.chart("P-0042").decode()
    path = str(a.folder / "patients" / "P-0042.toml")
    one = merge_chart_texts(base, ours, theirs, path).text
    other = merge_chart_texts(base, theirs, ours, path).text
    return one, other


def reasons(session: dict[str, Any]) -> list[str]:
    return [x["reason"] for x in session["amendments"]]


def test_two_different_settlements_are_a_new_conflict_holding_both(
    run: Run, tmp_path: Path
) -> None:
    a, b = depth_in_conflict(run, tmp_path)
    # Each laptop settles with its own value: one of them is the value the merge kept.
    a("amend", "P-0042", "1", "--depth", "2", "--reason", "a settles")
    b("amend", "P-0042", "1", "--depth", "3", "--reason", "b settles")
    one, other = both_orders(a, b)
    assert one == other
    a("sync")
    conflicted = b("sync", expect=1)
    said = conflicted.stderr
    assert "session 1: depth_mm was changed two ways" in said
    assert "2 kept, 3 also recorded" in said or "3 kept, 2 also recorded" in said
    settle_both_despite_conflict(a, b)
    assert a.chart("P-0042").decode() == one
    session = only_session(a)
    (conflict,) = session["conflicts"]
    assert conflict["field"] == "depth_mm"
    assert {conflict["kept"], conflict["other"]} == {"2", "3"}
    assert session["depth_mm"] == float(conflict["kept"])
    assert {"a settles", "b settles"} <= set(reasons(session))  # both answers in the trail
    found = a("check", expect=1)
    assert "merge conflict: depth_mm was changed two ways" in found.stdout
    shown = b("report", "P-0042")
    assert "session 1 still has a merge conflict on depth_mm" in shown.stderr
    # Settled once more, on one laptop: the conflict is gone everywhere.
    b("amend", "P-0042", "1", "--depth", "3", "--reason", "agreed")
    settle_both(a, b)
    session = only_session(a)
    assert "conflicts" not in session and session["depth_mm"] == 3.0
    a("check")


def test_the_same_settlement_on_both_laptops_is_no_conflict(run: Run, tmp_path: Path) -> None:
    a, b = depth_in_conflict(run, tmp_path)
    a("amend", "P-0042", "1", "--depth", "2", "--reason", "a settles")
    b("amend", "P-0042", "1", "--depth", "2", "--reason", "b settles")
    one, other = both_orders(a, b)
    assert one == other
    a("sync")
    synced = b("sync")
    assert "changed two ways" not in synced.stdout + synced.stderr
    settle_both(a, b)
    session = only_session(a)
    assert "conflicts" not in session and session["depth_mm"] == 2.0
    assert {"a settles", "b settles"} <= set(reasons(session))
    a("check")


@pytest.mark.parametrize("value", ["2", "3"])
def test_a_settlement_on_one_laptop_holds_when_the_other_left_the_conflict(
    run: Run, tmp_path: Path, value: str
) -> None:
    a, b = depth_in_conflict(run, tmp_path)
    a("amend", "P-0042", "1", "--depth", value, "--reason", "a settles")
    b("amend", "P-0042", "1", "--note", "no reaction", "--reason", "b notes")
    one, other = both_orders(a, b)
    assert one == other
    a("sync")
    synced = b("sync")
    assert "changed two ways" not in synced.stdout + synced.stderr
    settle_both(a, b)
    session = only_session(a)
    assert "conflicts" not in session
    assert session["depth_mm"] == float(value) and session["notes"] == "no reaction"
    a("check")


def test_two_settlements_of_a_product_field_are_a_conflict_on_that_field(
    run: Run, tmp_path: Path
) -> None:
    a, b = two_laptops(run, tmp_path)
    a("amend", "P-0042", "1", "--substance", "#2=dutasteride 0.01%:1ml:LOT D1", "--reason", "a")
    b("amend", "P-0042", "1", "--substance", "#2=dutasteride 0.01%:1ml:LOT D2", "--reason", "b")
    a("sync")
    b("sync", expect=1)
    settle_both_despite_conflict(a, b)
    a("amend", "P-0042", "1", "--substance", "#2=dutasteride 0.01%:1ml:LOT D1", "--reason", "a1")
    b("amend", "P-0042", "1", "--substance", "#2=dutasteride 0.01%:1ml:LOT D2", "--reason", "b2")
    one, other = both_orders(a, b)
    assert one == other
    a("sync")
    conflicted = b("sync", expect=1)
    assert "substances.2.lot was changed two ways" in conflicted.stderr
    settle_both_despite_conflict(a, b)
    session = only_session(a)
    (conflict,) = session["conflicts"]
    assert conflict["field"] == "substances.2.lot"
    assert {conflict["kept"], conflict["other"]} == {'"D1"', '"D2"'}
    assert {"a1", "b2"} <= set(reasons(session))


def test_a_patient_detail_settled_two_ways_is_a_chart_conflict_again(
    run: Run, tmp_path: Path
) -> None:
    """The chart's own details follow the same rule (their conflicts are in ``[[conflicts]]``,
    settled by `patient edit`)."""
    a, b = two_laptops(run, tmp_path)
    a("patient", "edit", "P-0042", "--name", "Ana Ruiz")
    b("patient", "edit", "P-0042", "--name", "Ana Vidal")
    a("sync")
    b("sync", expect=1)
    settle_both_despite_conflict(a, b)
    a("patient", "edit", "P-0042", "--name", "Ana Ruiz")
    b("patient", "edit", "P-0042", "--name", "Ana Vidal")
    one, other = both_orders(a, b)
    assert one == other
    a("sync")
    conflicted = b("sync", expect=1)
    assert "[patient]: name was changed two ways" in conflicted.stderr
    settle_both_despite_conflict(a, b)
    (entry,) = tomllib.loads(a.chart("P-0042").decode())["conflicts"]
    assert entry["field"] == "patient.name"
    assert {entry["kept"], entry["other"]} == {'"Ana Ruiz"', '"Ana Vidal"'}
    assert "merge conflict: patient.name was changed two ways" in a("check", expect=1).stdout


# --- the pure merge ------------------------------------------------------------------------------


def _session(depth: float, conflicts: list[dict[str, str]], *notes: str) -> dict[str, Any]:
    return {
        "depth_mm": depth,
        "conflicts": conflicts,
        "amendments": [{"reason": note} for note in notes],
    }


OPEN = [{"field": "depth_mm", "kept": "2", "other": "3"}]


def test_answers_are_compared_with_each_other_not_with_the_ancestor() -> None:
    base = _session(2.0, OPEN)
    cases = [  # (ours, theirs, merged depth or None for a conflict)
        (_session(2.0, [], "a"), _session(3.0, [], "b"), None),
        (_session(2.0, [], "a"), _session(2.0, [], "b"), 2.0),
        (_session(2.0, [], "a"), _session(2.0, OPEN, "b"), 2.0),
        (_session(3.0, [], "a"), _session(2.0, OPEN, "b"), 3.0),
        (_session(2.0, OPEN, "a"), _session(3.0, OPEN, "b"), 3.0),  # no answer: as ever
    ]
    for ours, theirs, depth in cases:
        for one, other, keep in ((ours, theirs, True), (theirs, ours, False)):
            merged, clashes = merging.merge_values(base, one, other, keep)
            if depth is None:
                assert [c.field for c in clashes] == ["depth_mm"]
                assert {clashes[0].kept, clashes[0].other} == {2.0, 3.0}
            else:
                assert clashes == [] and merged["depth_mm"] == depth
            assert {a["reason"] for a in merged["amendments"]} == {"a", "b"}
        assert (
            merging.merge_values(base, ours, theirs, True)[0]
            == (merging.merge_values(base, theirs, ours, False)[0])
        )


# What a laptop did to a session with the depth in conflict: nothing, a note, or a settlement.
DEEDS = st.one_of(st.none(), st.just("note"), st.sampled_from([1.0, 2.0, 3.0]))


@given(ours_did=DEEDS, theirs_did=DEEDS, keep_ours=st.booleans())
def test_no_settlement_is_lost_in_either_merge_order(
    ours_did: float | str | None, theirs_did: float | str | None, keep_ours: bool
) -> None:
    base = {**_session(2.0, OPEN), "notes": ""}

    def side(did: float | str | None, who: str) -> dict[str, Any]:
        if isinstance(did, float):
            return {**_session(did, [], f"{who} settles"), "notes": ""}
        return {**_session(2.0, OPEN, *([f"{who} notes"] if did else [])), "notes": did or ""}

    ours, theirs = side(ours_did, "a"), side(theirs_did, "b")
    merged, clashes = merging.merge_values(base, ours, theirs, keep_ours)
    swapped, swapped_clashes = merging.merge_values(base, theirs, ours, not keep_ours)
    assert (merged, clashes) == (swapped, swapped_clashes)
    answers = {d for d in (ours_did, theirs_did) if isinstance(d, float)}
    both = isinstance(ours_did, float) and isinstance(theirs_did, float)
    if both and len(answers) == 2:  # two answers: a conflict holding both, nothing else
        (clash,) = clashes
        assert clash.field == "depth_mm" and {clash.kept, clash.other} == answers
        assert merged["depth_mm"] in answers
    elif answers:  # one answer (or the same twice): it holds, the conflict is gone
        assert clashes == [] and merged["depth_mm"] == answers.pop()
        assert "conflicts" not in merged or merged["conflicts"] == []
    else:  # nobody settled: still open, the value kept as it was
        assert clashes == [] and merged["depth_mm"] == 2.0 and merged["conflicts"] == OPEN
    assert len(merged["amendments"]) == len(ours["amendments"]) + len(theirs["amendments"])


def test_a_list_settled_two_ways_is_a_conflict_even_when_one_answer_adds_at_the_end() -> None:
    def item(name: str, lot: str) -> dict[str, Any]:
        return {"name": name, "amount": 1.0, "lot": lot}

    whole = [{"field": "substances", "kept": "[...]", "other": "[...]"}]
    base = {"substances": [item("biotin", "B1")], "conflicts": whole}
    ours = {"substances": [item("biotin", "B1"), item("vc", "V1")]}
    theirs = {"substances": [item("biotin", "B2")]}
    for one, other, keep in ((ours, theirs, True), (theirs, ours, False)):
        merged, clashes = merging.merge_values(base, one, other, keep)
        assert [c.field for c in clashes] == ["substances"]
        assert merged["substances"] == (one if keep else other)["substances"]
    # Without the conflict both sides settled, the addition and the correction both land.
    merged, clashes = merging.merge_values({**base, "conflicts": []}, ours, theirs, True)
    assert clashes == [] and merged["substances"] == [item("biotin", "B2"), item("vc", "V1")]


def test_the_merged_chart_reads_back_with_the_new_conflict(tmp_path: Path) -> None:
    """The text side: the session is rebuilt around the new conflict and reads as a chart."""
    chart = """schema = 2

[patient]
id = "P-1"
created = 2026-01-01T09:00:00

[[sessions]]
id = 1
uid = "01JGZ5D3X0AAAAAAAAAAAAAAAA"
date = 2026-01-05
recorded = 2026-01-05T10:00:00
areas = ["scalp"]
technique = "gun"
depth_mm = DEPTH
anaesthetic = "none"

[[sessions.substances]]
name = "biotin"
amount = 1.0
unit = "ml"
"""
    open_conflict = '\n[[sessions.conflicts]]\nfield = "depth_mm"\nkept = "2"\nother = "3"\n'

    def answer(depth: str, moment: str) -> str:
        return (
            chart.replace("DEPTH", depth)
            + f'\n[[sessions.amendments]]\nat = {moment}\nby = "Dr"\nreason = "settles"\n'
            + 'changes = ["merge conflict on depth_mm settled (2 / 3)"]\n'
        )

    base = chart.replace("DEPTH", "2.0") + open_conflict
    ours, theirs = answer("2.0", "2026-02-01T10:00:00"), answer("3.0", "2026-02-01T11:00:00")
    one = merge_chart_texts(base, ours, theirs, "P-1.toml")
    other = merge_chart_texts(base, theirs, ours, "P-1.toml")
    assert one.text == other.text
    assert one.clashes == ["session 1: depth_mm was changed two ways (3 kept, 2 also recorded)"]
    (session,) = tomllib.loads(one.text)["sessions"]
    assert session["conflicts"] == [{"field": "depth_mm", "kept": "3", "other": "2"}]
    assert len(session["amendments"]) == 2
