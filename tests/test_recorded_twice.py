"""One session recorded twice: the same CSV imported on two laptops before they synced (each
import made its own uids, and the merge keeps both). Nothing is voided for the practitioner;
`sync`, `check` and `report` say so until one is voided (docs/sharing.md). Real bare remote,
real clones, the real CLI; and the pure rule (model/twice.py) on its own.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

from conftest import Run, snapshot
from test_sharing import clinic_of

from mesolog.model.records import Chart, Patient, Session, Substance
from mesolog.model.twice import made_since, recorded_twice

HEADER = "patient,date,areas,technique,depth_mm,anaesthetic,substance,amount,unit,lot\n"
ROWS = (
    "P-1,2025-10-06,scalp,gun,1.5,none,minoxidil,1,ml,M1\n"
    "P-1,2025-11-03,scalp,gun,1.5,none,biotin,2,ml,B7\n"
)


def test_the_same_file_imported_on_two_laptops_is_named_until_one_is_voided(
    run: Run, tmp_path: Path
) -> None:
    sheet = tmp_path / "visits.csv"
    sheet.write_text(HEADER + ROWS)
    first, second = clinic_of(run, tmp_path, 2)
    for laptop in (first, second):
        laptop("import", str(sheet), "--apply")
    assert "recorded twice" not in first("sync").stdout  # nothing to merge with yet
    synced = second("sync").stdout
    # The merge put the other laptop's two sessions after this laptop's: 1 and 3 are one visit.
    twice = [line for line in synced.splitlines() if "recorded twice" in line]
    assert twice == [
        "2 pairs of sessions look like one session recorded twice since this merge (the same "
        "file imported on two laptops?): `mesolog check` lists each, with the command that "
        "voids one"
    ]
    # The first laptop learns it from the fast-forward that brings the merge.
    assert "2 pairs of sessions look like one session recorded twice" in first("sync").stdout
    # An old pair is not news: the next sync says nothing of it.
    assert "recorded twice" not in second("sync").stdout

    checked = second("check", expect=None)
    warnings = [line for line in checked.stdout.splitlines() if "recorded twice" in line]
    assert len(warnings) == 2 and all(": warning: " in line for line in warnings)
    # Which numbers pair depends on the order the merge gave the four sessions (their uids):
    # each pair is one visit, and the command named voids its later number.
    pairs = re.findall(r"sessions (\d) and (\d) of P-1 look like one session", checked.stdout)
    assert len(pairs) == 2 and {n for pair in pairs for n in pair} == {"1", "2", "3", "4"}
    for _, later in pairs:
        assert f'`mesolog void P-1 {later} --reason "recorded twice"`' in checked.stdout

    report = second("report", "P-1")
    one, other = pairs[0]
    assert (
        f"sessions {one} and {other} of P-1 look like one session recorded twice" in report.stderr
    )
    assert "recorded twice" not in report.stdout

    for _, later in pairs:
        second("void", "P-1", later, "--reason", "recorded twice")
    assert "recorded twice" not in second("check", expect=None).stdout
    assert "recorded twice" not in second("report", "P-1").stderr
    second("sync")
    assert "recorded twice" not in first("sync").stdout
    assert "recorded twice" not in first("check", expect=None).stdout


def test_one_session_typed_on_two_laptops_makes_one_line_in_sync(run: Run, tmp_path: Path) -> None:
    first, second = clinic_of(run, tmp_path, 2)
    first("patient", "new", "P-1", "--name", "Ana Ruiz", "--birth-year", "1986")
    first("sync")
    second("sync")
    visit = ["--date", "2026-01-05", "--area", "scalp", "--substance", "biotin:2ml:LOT B7",
             "--depth", "1.5", "--technique", "gun", "--anaesthetic", "none", "--no-input"]  # fmt: skip
    first("add", "P-1", *visit, "--practitioner", "Dr. L. Moreau")
    second("add", "P-1", *visit, "--practitioner", "Dr. A. Keller")
    first("sync")
    lines = [line for line in second("sync").stdout.splitlines() if "recorded twice" in line]
    assert lines == [
        "sessions 1 and 2 of P-1 look like one session recorded twice (same date 2026-01-05, "
        "same products, amounts, lots and areas): if so, void one with `mesolog void P-1 2 "
        '--reason "recorded twice"`'
    ]


# --- the rule itself -------------------------------------------------------------------------


def session(number: int, **changed: object) -> Session:
    made = Session(
        id=number,
        date=date(2026, 3, 2),
        recorded=datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
        areas=("scalp",),
        technique="gun",
        depth_mm=1.5,
        anaesthetic="none",
        substances=(Substance(name="biotin", amount=2.0, unit="ml", lot="B7"),),
    )
    return replace(made, **changed)  # type: ignore[arg-type]


def chart(*sessions: Session) -> Chart:
    opened = datetime(2026, 1, 1, tzinfo=UTC)
    return Chart(patient=Patient(id="P-1", created=opened, name="Ana Ruiz"), sessions=sessions)


def pairs(found: Chart) -> list[tuple[int, int]]:
    return [(p.first.id, p.second.id) for p in recorded_twice(found)]


def test_two_sessions_alike_are_a_pair_whoever_signed_them() -> None:
    other = session(2, practitioner="Dr. A. Keller", technique="hand")
    assert pairs(chart(session(1), other)) == [(1, 2)]
    # The product's name is compared folded, as the import compares it.
    assert pairs(chart(session(1), replace(other, substances=(
        Substance(name="Biotin", amount=2.0, unit="ml", lot="B7"),)))) == [(1, 2)]  # fmt: skip


def test_another_lot_another_day_another_area_or_a_voided_one_are_not_a_pair() -> None:
    other_lot = (Substance(name="biotin", amount=2.0, unit="ml", lot="B8"),)
    other_amount = (Substance(name="biotin", amount=1.0, unit="ml", lot="B7"),)
    for other in (
        session(2, substances=other_lot),
        session(2, substances=other_amount),
        session(2, date=date(2026, 3, 3)),
        session(2, areas=("scalp", "temples")),
        session(2, status="voided"),
    ):
        assert pairs(chart(session(1), other)) == []


def test_three_alike_make_two_pairs_and_only_new_pairs_are_made_since() -> None:
    one, two, three = session(1), session(2), session(3)
    assert pairs(chart(one, two, three)) == [(1, 2), (1, 3)]
    made = made_since(chart(one, two), chart(one, two, three))
    assert [(p.first.id, p.second.id) for p in made] == [(1, 3)]
    assert made_since(chart(two, one), chart(one, two)) == []  # renumbered, the same pair
    assert [(p.first.id, p.second.id) for p in made_since(None, chart(one, two))] == [(1, 2)]


def test_a_session_of_the_wrong_shape_is_checked_without_being_compared(
    run: Run, data_dir: Path
) -> None:
    run("init")
    run("patient", "new", "P-1", "--name", "Ana Ruiz")
    visit = ["--date", "2026-01-05", "--area", "scalp", "--substance", "biotin:2ml:LOT B7",
             "--depth", "1.5", "--technique", "gun", "--anaesthetic", "none", "--no-input"]  # fmt: skip
    for _ in range(2):
        run("add", "P-1", *visit)
    chart = data_dir / "patients" / "P-1.toml"
    text = chart.read_text()
    at = text.rindex('name = "biotin"')  # the second session's product: a number, by hand
    chart.write_text(text[:at] + "name = 5" + text[at + len('name = "biotin"') :])
    before = snapshot(data_dir)
    checked = run("check", expect=1)
    assert "session 2 substance: name must be text, found 5" in checked.stdout
    assert "recorded twice" not in checked.stdout and "internal error" not in checked.stderr
    assert snapshot(data_dir) == before
