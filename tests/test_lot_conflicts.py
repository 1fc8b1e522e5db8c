"""A lot recall lists a session whose lot a merge conflict names: the other side of a conflict
still open (recorded on another laptop), and either side of a settled one (the trail keeps it).
The patient may have received it, as with a lot corrected away (docs/corrections.md).

Real git (a bare remote and two clones), the real CLI and merge driver.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Run
from test_merge_items import only_session, settle_both_despite_conflict, two_laptops
from test_sharing import Machine, private_git


@pytest.fixture(autouse=True)
def git_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    private_git(tmp_path, monkeypatch)


def recall(machine: Machine, lot: str) -> list[dict[str, object]]:
    found = machine("lot", lot, "--format", "json")
    rows: list[dict[str, object]] = json.loads(found.stdout)
    return rows


def lots_in_force(machine: Machine) -> set[str]:
    return {s.get("lot", "") for s in only_session(machine)["substances"]}


@pytest.mark.parametrize(
    "here, there",
    [
        # the same product's lot corrected two ways: a conflict on substances.1.lot
        ("#1=biotin:1ml:LOT XA", "#1=biotin:1ml:LOT XB"),
        # the product replaced by another on one laptop, its lot corrected on the other:
        # a conflict on the whole list
        ("#1=vitamin c:1ml:LOT XA", "#1=biotin:1ml:LOT XB"),
    ],
)
def test_the_lot_of_either_side_of_a_merge_conflict_is_recalled_open_and_settled(
    run: Run, tmp_path: Path, here: str, there: str
) -> None:
    a, b = two_laptops(run, tmp_path)
    a("amend", "P-0042", "1", "--substance", here, "--reason", "lot here")
    b("amend", "P-0042", "1", "--substance", there, "--reason", "lot there")
    a("sync")
    b("sync", expect=1)
    settle_both_despite_conflict(a, b)
    assert only_session(a).get("conflicts"), "the set-up must leave a conflict open"
    (held,) = lots_in_force(a) & {"XA", "XB"}
    other = ({"XA", "XB"} - {held}).pop()
    for machine in (a, b):
        (row,) = recall(machine, other)
        assert row["patient"] == "P-0042" and row["session"] == 1
        assert row["corrected"] == "recorded on another machine; the merge conflict is still open"
        (row,) = recall(machine, held)
        assert row["corrected"] in ("", None)

    # Settled with a list that holds neither: both lots are still recalled, with the
    # settlement's day and reason.
    a("amend", "P-0042", "1", "--substance", "#1=biotin:1ml:LOT XC", "--reason", "XC is right")
    assert not only_session(a).get("conflicts") and "XC" in lots_in_force(a)
    (row,) = recall(a, held)  # corrected away, as any lot is
    assert row["session"] == 1 and str(row["corrected"]).endswith(": XC is right")
    (row,) = recall(a, other)  # known from the settled conflict alone
    assert row["session"] == 1
    assert "merge conflict settled: XC is right" in str(row["corrected"])
    shown = a("lot", "XA")
    assert "P-0042" in shown.stdout


def test_a_lot_no_conflict_names_is_not_recalled(run: Run, tmp_path: Path) -> None:
    a, b = two_laptops(run, tmp_path)
    a("amend", "P-0042", "1", "--depth", "2", "--reason", "depth a")
    b("amend", "P-0042", "1", "--depth", "1", "--reason", "depth b")
    a("sync")
    b("sync", expect=1)
    settle_both_despite_conflict(a, b)
    assert only_session(a).get("conflicts")
    assert recall(a, "B100") and recall(a, "D2411")
    assert "No administration of lot 'XA'" in a("lot", "XA").stdout


def test_a_conflict_edited_by_hand_into_nonsense_never_stops_a_recall(
    run: Run, tmp_path: Path
) -> None:
    """A conflict value is TOML any hand may have edited: a product that does not read as one
    is passed over, and the recall still answers (it ended in an internal error)."""
    a, _ = two_laptops(run, tmp_path)
    chart = a.folder / "patients" / "P-0042.toml"
    chart.write_text(
        chart.read_text()
        + "\n[[sessions.conflicts]]\n"
        + 'field = "substances"\n'
        + 'kept = "[{name = \\"biotin\\", amount = 1.0, unit = \\"ml\\", lot = \\"B100\\"}]"\n'
        + 'other = "[{name = \\"biotin\\", amount = \\"1 ml\\", unit = \\"ml\\", lot = \\"B9\\"},'
        + ' {name = \\"biotin\\", amount = 2, unit = \\"ml\\", lot = 7}]"\n'
    )
    before = chart.read_bytes()
    for lot in ("B9", "B100", "7"):
        done = a("lot", lot, expect=None)
        assert done.exit_code == 0 and "internal error" not in done.stderr
    assert recall(a, "B100")
    assert chart.read_bytes() == before
