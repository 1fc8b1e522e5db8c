"""The pure rule of what a later version of a chart may bring (docs/sharing.md, "What a remote
may bring"): only additions, the way mesolog's own commands make them. Fast: no file, no git.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from mesolog.model.additions import removed, untrailed, with_trail
from mesolog.model.amendments import amended
from mesolog.model.records import (
    Chart,
    Complication,
    Conflict,
    Patient,
    Photo,
    Session,
    Substance,
)

AT = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)


def session(number: int = 1, **changes: object) -> Session:
    first = Session(
        id=number,
        date=date(2026, 11, 2),
        recorded=AT,
        areas=("scalp",),
        technique="gun",
        depth_mm=1.5,
        anaesthetic="none",
        substances=(Substance("minoxidil", 2.0, "ml", lot="M1"),),
        uid=f"uid-{number}",
    )
    return replace(first, **changes)  # type: ignore[arg-type]


def chart(*sessions: Session) -> Chart:
    return Chart(Patient("P-1", AT, name="Ana Ruiz"), sessions=sessions)


NECROSIS = Complication("necrosis", "severe", date(2026, 11, 5))


def with_complication() -> Session:
    return amended(session(), session(complications=(NECROSIS,)), AT, "Dr A", "patient called")


def one(session_now: Session, base: Session | None = None) -> list[str]:
    return untrailed(chart(base or session()), chart(session_now))


def test_what_mesologs_own_commands_make_is_accepted() -> None:
    base = with_complication()
    deeper = amended(base, replace(base, depth_mm=2.0), LATER, "Dr B", "measured")
    voided = amended(deeper, replace(deeper, status="voided"), LATER, "Dr B", "wrong patient")
    photo = replace(voided, photos=(Photo("photos/P-1/a.jpg", "front", "before"),))
    resolved = replace(NECROSIS, resolved=date(2026, 11, 20))
    healed = amended(photo, replace(photo, complications=(resolved,)), LATER, "Dr A", "healed")
    assert untrailed(chart(base), chart(healed, session(2))) == []
    assert removed(chart(base), chart(healed, session(2))) == []


def test_a_removed_complication_with_its_trail_entry_is_named() -> None:
    problems = one(session(), with_complication())
    assert any("removed the amendment of 2026-11-02" in p for p in problems)
    assert any("removed the complication necrosis severe" in p for p in problems)
    assert all("session 1 of P-1" in p for p in problems)


def test_a_complication_removed_by_an_amendment_is_a_correction() -> None:
    base = with_complication()
    taken_off = amended(base, replace(base, complications=()), LATER, "Dr A", "not a necrosis")
    assert untrailed(chart(base), chart(taken_off)) == []
    assert removed(chart(base), chart(taken_off)) == []  # mesolog's own change, not yet committed
    assert removed(chart(base), chart(replace(base, complications=()))) != []
    assert untrailed(chart(base), chart(replace(base, complications=()))) != []


def test_a_field_changed_without_an_amendment_naming_it_is_named_with_old_and_new() -> None:
    new = session(substances=(Substance("minoxidil", 2.0, "ml", lot="M9"),))
    assert one(new) == [
        "changed substances of session 1 of P-1 without an amendment naming it "
        "(substances: minoxidil 2ml lot M1 -> minoxidil 2ml lot M9)"
    ]
    other_field = amended(session(), session(depth_mm=2.0), LATER, "Dr", "why")
    sneaky = replace(other_field, substances=new.substances)
    assert [p.split(" without")[0] for p in one(sneaky)] == [
        "changed substances of session 1 of P-1"
    ]


def test_an_amendment_rewritten_or_removed_is_refused_even_with_its_change_kept() -> None:
    base = amended(session(), session(depth_mm=2.0), AT, "Dr A", "measured")
    reworded = replace(base, amendments=(replace(base.amendments[0], reason="other"),))
    assert any("changed the amendment" in p for p in one(reworded, base))
    assert any("removed the amendment" in p for p in removed(chart(base), chart(session())))


def test_a_merge_conflict_stays_until_an_amendment_settles_it() -> None:
    clash = Conflict("depth_mm", "2", "3")
    base = session(depth_mm=2.0, conflicts=(clash,))
    dropped = replace(base, conflicts=())
    assert any("merge conflict on depth_mm" in p for p in one(dropped, base))
    settled = amended(base, replace(base, depth_mm=3.0), LATER, "Dr", "3 it was", {"depth_mm"})
    assert settled.conflicts == ()
    assert one(settled, base) == []


def test_a_merge_may_keep_one_value_of_a_field_changed_two_ways() -> None:
    merged = session(depth_mm=3.0, conflicts=(Conflict("depth_mm", "3", "2"),))
    assert one(merged) == []


def test_a_photo_may_be_added_alone_but_not_taken_away() -> None:
    shot = Photo("photos/P-1/a.jpg", "front", "before")
    base = session(photos=(shot,))
    assert one(session(photos=(shot, Photo("photos/P-1/b.jpg"))), base) == []
    problems = one(session(), base)
    assert any("removed the photo record photos/P-1/a.jpg" in p for p in problems)


def test_a_removed_session_and_chart_trail_entry_are_named() -> None:
    assert removed(chart(session(), session(2)), chart(session())) == [
        "removed session 2 from the chart of P-1"
    ]
    note = amended(session(), session(depth_mm=2.0), AT, "Dr", "why").amendments[0]
    trailed = replace(chart(session()), amendments=(note,))
    assert any("chart-level trail" in p for p in removed(trailed, chart(session())))


def test_a_hand_edit_that_changes_values_is_given_the_amendment_that_names_them() -> None:
    clash = Conflict("notes", '"a"', '"b"')
    base = session(notes="a", conflicts=(clash,))
    edited = session(notes="b", depth_mm=2.0)
    assert removed(chart(base), chart(edited)) == []
    assert untrailed(chart(base), chart(edited)) != []
    trailed = with_trail(chart(base), chart(edited), LATER, "(outside)", "kept")
    assert untrailed(chart(base), trailed) == []
    note = trailed.sessions[0].amendments[-1]
    assert note.changes == (
        "depth_mm: 1.5 -> 2",
        "notes: a -> b",
        'merge conflict on notes settled ("a" / "b")',
    )
    assert with_trail(chart(base), chart(base), LATER, "x", "y") == chart(base)


def test_a_session_renumbered_by_a_merge_is_the_same_session() -> None:
    assert one(session(number=1), session(number=1)) == []
    renumbered = replace(session(), id=4)
    assert untrailed(chart(session()), chart(renumbered)) == []
