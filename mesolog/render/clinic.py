"""The clinic: overview, paths, and the questions across patients (due, find, lot, stats)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mesolog.model import progress, questions

from mesolog.render.console import (
    _day,
    _number,
    console,
    counted,
    machine_output,
    shown,
    to_json,
    warnings,
    write,
)
from mesolog.render.fit import Column, table_or_blocks

# --- the clinic -------------------------------------------------------------------------------

OVERVIEW_COLUMNS = (
    "patient",
    "name",
    "indication",
    "sessions",
    "done",
    "planned",
    "course",
    "last_session",
    "next_due",
    "days_late",
    "latest_complications",
    "problem",
)


def _overview_record(s: progress.PatientSummary, today: date) -> dict[str, Any]:
    return {
        "patient": s.patient_id,
        "name": s.name,
        "indication": s.indication,
        "sessions": s.sessions,
        "done": s.done,
        "planned": s.planned,
        "course": s.course,
        "last_session": s.last_session,
        "next_due": s.next_due,
        "days_late": s.days_late(today),
        "latest_complications": list(s.latest_complications),
        "problem": None,
    }


def overview(
    summaries: list[progress.PatientSummary],
    problems: list[tuple[str, str]],
    today: date,
    fmt: str = "table",
    title: str = "Clinic overview",
) -> None:
    """One row per patient; a chart that cannot be read is one warning row."""
    from mesolog.model import progress

    ordered = progress.overview_order(summaries, today)
    if fmt != "table":
        records = [_overview_record(s, today) for s in ordered]
        records += [
            {**dict.fromkeys(OVERVIEW_COLUMNS), "patient": pid, "problem": why}
            for pid, why in problems
        ]
        if fmt == "json":
            write(to_json(records))
            return
        if machine_output(
            fmt, OVERVIEW_COLUMNS, [[_flat(r[c]) for c in OVERVIEW_COLUMNS] for r in records]
        ):
            return

    rows: list[list[object]] = []
    styles: list[str] = []
    for s in ordered:
        due = shown(_day(s.next_due) or ("complete" if s.planned else "—"))
        style = ""
        if s.next_due and s.next_due <= today:
            # Due today is as urgent as overdue: the patient should be seen today.
            due.append("\n" + _lateness(s.next_due, today))
            style = "bold red"
        rows.append(
            [
                shown(s.patient_id),
                shown(s.name or ""),
                shown(s.indication or ""),
                f"{s.done}/{s.planned}" if s.planned else str(s.sessions),
                _day(s.last_session),
                due,
                shown(", ".join(s.latest_complications)),
            ]
        )
        styles.append(style)
    for pid, why in problems:
        rows.append([shown(pid), shown("⚠ cannot read this chart: " + why), "", "", "", "", ""])
        styles.append("yellow")
    out = console()
    heading = f"{title} ({counted(len(summaries), 'patient')}, {today.isoformat()})"
    for part in table_or_blocks(out.width, OVERVIEW_TABLE, rows, heading, styles):
        out.print(part)


# The overview's columns; at a narrow width the indication goes first, then the last session
# date, then the latest complications, then the name.
OVERVIEW_TABLE = (
    Column("Patient"),
    Column("Name", whole=False, drop=1),
    Column("Indication", whole=False, drop=4),
    Column("Sessions"),
    Column("Last session", drop=3),
    Column("Next due"),
    Column("Latest complications", whole=False, drop=2),
)


def _lateness(next_due: date, today: date) -> str:
    """"overdue 3 d", "due today" or "in 5 d"."""
    if next_due < today:
        return f"overdue {(today - next_due).days} d"
    if next_due == today:
        return "due today"
    return f"in {(next_due - today).days} d"


def _flat(value: object) -> object:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def paths(rows: list[tuple[str, Path, str]]) -> None:

    cells: list[list[object]] = [[what, shown(str(where)), why] for what, where, why in rows]
    out = console()
    columns = (Column("What"), Column("Where", whole=False), Column("Chosen by", whole=False))
    for part in table_or_blocks(out.width, columns, cells, "mesolog folders"):
        out.print(part)


# --- across patients --------------------------------------------------------------------------


def _problems_note(problems: list[tuple[str, str]]) -> None:
    # Each unreadable chart named with why, one line each.
    warnings(f"{pid} left out: {why}" for pid, why in problems)


def due(
    summaries: list[progress.PatientSummary], problems: list[tuple[str, str]], today: date, fmt: str
) -> None:
    records = [_overview_record(s, today) for s in summaries]
    for record in records:
        record.pop("problem")
    _problems_note(problems)
    if fmt == "json":
        write(to_json(records))
        return
    columns = [c for c in OVERVIEW_COLUMNS if c != "problem"]
    if machine_output(fmt, columns, [[_flat(r[c]) for c in columns] for r in records]):
        return

    rows: list[list[object]] = []
    styles: list[str] = []
    for s in summaries:
        when = "no course" if s.next_due is None else _lateness(s.next_due, today)
        rows.append(
            [
                shown(s.patient_id),
                shown(s.name or ""),
                shown(s.course or ""),
                f"{s.done}/{s.planned}" if s.planned else str(s.sessions),
                _day(s.last_session),
                _day(s.next_due),
                when,
            ]
        )
        styles.append("bold red" if s.next_due is not None and s.next_due <= today else "")
    out = console()
    heading = f"Due ({counted(len(summaries), 'patient')}, {today.isoformat()})"
    for part in table_or_blocks(out.width, DUE_TABLE, rows, heading, styles):
        out.print(part)


DUE_TABLE = (
    Column("Patient"),
    Column("Name", whole=False, drop=1),
    Column("Course", whole=False, drop=3),
    Column("Progress"),
    Column("Last session", drop=2),
    Column("Next due"),
    Column("When"),
)


FOUND_COLUMNS = (
    "patient",
    "session",
    "date",
    "status",
    "areas",
    "substances",
    "lots",
    "technique",
    "depth_mm",
    "anaesthetic",
    "complications",
    "practitioner",
    "indication",
)


def _found_record(r: questions.SessionRow) -> list[object]:
    return [
        r.patient_id,
        r.session,
        r.date.isoformat(),
        r.status,
        "; ".join(r.areas),
        "; ".join(f"{n} {_number(a)}{u}" for n, a, u, _ in r.substances),
        "; ".join(lot or "" for *_, lot in r.substances),
        r.technique,
        _number(r.depth_mm),
        r.anaesthetic,
        "; ".join(f"{n} ({s})" for n, s in r.complications),
        r.practitioner,
        r.indication or "",
    ]


def found(rows: list[questions.SessionRow], problems: list[tuple[str, str]], fmt: str) -> None:
    _problems_note(problems)
    records = [_found_record(r) for r in rows]
    if machine_output(fmt, FOUND_COLUMNS, records):
        return

    patients = len({r.patient_id for r in rows})
    cells: list[list[object]] = [
        [
            shown(r.patient_id),
            str(r.session) + (" voided" if r.status == "voided" else ""),
            r.date.isoformat(),
            shown(", ".join(r.areas)),
            shown(
                "\n".join(
                    f"{n} {_number(a)}{u}" + (f" ({lot})" if lot else "") for n, a, u, lot in r.substances
                )
            ),
            r.technique,
            f"{_number(r.depth_mm)} mm",
            shown(", ".join(f"{n} ({s})" for n, s in r.complications)),
            shown(r.practitioner),
        ]
        for r in rows
    ]
    styles = ["strike dim" if r.status == "voided" else "" for r in rows]
    out = console()
    heading = f"{counted(len(rows), 'session')} of {counted(patients, 'patient')}"
    for part in table_or_blocks(out.width, FOUND_TABLE, cells, heading, styles):
        out.print(part)


FOUND_TABLE = (
    Column("Patient"),
    Column("#"),
    Column("Date"),
    Column("Areas", whole=False, drop=2),
    Column("Substances (lot)"),
    Column("Technique", drop=4),
    Column("Depth", drop=3),
    Column("Complications", whole=False, drop=1),
    Column("Practitioner", whole=False, drop=5),
)


LOT_COLUMNS = (
    "patient",
    "session",
    "date",
    "status",
    "substance",
    "amount",
    "unit",
    "lot",
    "areas",
)


def lot_uses(
    lot: str, rows: list[questions.SessionRow], problems: list[tuple[str, str]], fmt: str
) -> None:
    from mesolog.model import questions

    key = questions.lot_key(lot)
    records = [
        [
            r.patient_id,
            r.session,
            r.date.isoformat(),
            r.status,
            name,
            amount,
            unit,
            given_lot,
            "; ".join(r.areas),
        ]
        for r in rows
        for name, amount, unit, given_lot in r.substances
        if given_lot and questions.lot_key(given_lot) == key
    ]
    _problems_note(problems)
    if machine_output(fmt, LOT_COLUMNS, records):
        return

    patients = len({r[0] for r in records})
    heading = shown(
        f"Lot {lot}: {counted(len(records), 'administration')} in {counted(len(rows), 'session')}"
        f" of {counted(patients, 'patient')}"
    )
    cells: list[list[object]] = [
        [
            shown(str(rec[0])),
            str(rec[1]) + (" voided" if rec[3] == "voided" else ""),
            str(rec[2]),
            shown(str(rec[4])),
            shown(f"{_number(float(str(rec[5])))} {rec[6]}"),
            shown(str(rec[7])),
            shown(str(rec[8])),
        ]
        for rec in records
    ]
    out = console()
    for part in table_or_blocks(out.width, LOT_TABLE, cells, heading):
        out.print(part)


LOT_TABLE = (
    Column("Patient"),
    Column("#"),
    Column("Date"),
    Column("Substance"),
    Column("Amount", drop=1),
    Column("Lot"),
    Column("Areas", whole=False, drop=2),
)


STATS_COLUMNS = (
    "group",
    "sessions",
    "patients",
    "with_complications",
    "rate",
    "too_small",
    "most_frequent",
)


def stats(
    by: str, groups: list[questions.GroupStats], problems: list[tuple[str, str]], fmt: str
) -> None:
    from mesolog.model import questions

    _problems_note(problems)
    records = [
        [
            g.group,
            g.sessions,
            g.patients,
            g.with_complications,
            round(g.rate, 4),
            g.too_small,
            "; ".join(f"{name} {n}" for name, n in g.top),
        ]
        for g in groups
    ]
    if machine_output(fmt, STATS_COLUMNS, records):
        return

    cells: list[list[object]] = [
        [
            shown(g.group),
            str(g.sessions),
            str(g.patients),
            str(g.with_complications),
            f"{g.rate:.0%}",
            shown(
                "█" * round(g.rate * 20) + (" too few to compare" if g.too_small else ""),
                style="dim" if g.too_small else "red" if g.rate else "",
            ),
            shown(", ".join(f"{name} ({n})" for name, n in g.top)),
        ]
        for g in groups
    ]
    out = console()
    for part in table_or_blocks(out.width, STATS_TABLE, cells, f"Complications by {by}"):
        out.print(part)
    if any(g.too_small for g in groups):
        out.print(
            shown(
                f"Groups under {questions.SMALL_GROUP} sessions are too small to compare.",
                style="dim",
            )
        )


STATS_TABLE = (
    Column("Group"),
    Column("Sessions", justify="right"),
    Column("Patients", justify="right", drop=2),
    Column("With complications", justify="right", whole=False),
    Column("Rate", justify="right"),
    Column("", whole=False, drop=3),
    Column("Most frequent", whole=False, drop=1),
)
