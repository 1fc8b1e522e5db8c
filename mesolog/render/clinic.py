"""The clinic: overview, paths, and the questions across patients (due, find, lot, stats)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mesolog.model import progress, questions

from mesolog.render.console import (
    _day,
    console,
    counted,
    machine_output,
    to_csv,
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
    "course_status",
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
        "course_status": s.course_status,
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
    from rich.text import Text

    rows: list[list[object]] = []
    styles: list[str] = []
    for s in ordered:
        due = Text(_day(s.next_due) or _course_end(s))
        style = ""
        if s.next_due and s.next_due <= today:
            # Due today is as urgent as overdue: the patient should be seen today.
            due.append("\n" + _lateness(s.next_due, today))
            style = "bold red"
        rows.append(
            [
                Text(s.patient_id),
                Text(s.name or ""),
                Text(s.indication or ""),
                f"{s.done}/{s.planned}" if s.planned else str(s.sessions),
                _day(s.last_session),
                due,
                Text(", ".join(s.latest_complications)),
            ]
        )
        styles.append(style)
    for pid, why in problems:
        rows.append([Text(pid), Text("⚠ cannot read this chart: " + why), "", "", "", "", ""])
        styles.append("yellow")
    out = console()
    # A Text: the title may hold what was typed (`patient list --search`), shown as typed.
    heading = Text(f"{title} ({counted(len(summaries), 'patient')}, {today.isoformat()})")
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


def _course_end(s: progress.PatientSummary) -> str:
    """What stands in "Next due" when nothing is: the course's end, or a dash (no course)."""
    if s.course_status in ("completed", "stopped"):
        return f"closed: {s.course_status}"
    return "complete" if s.planned else "—"


def _flat(value: object) -> object:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def paths(rows: list[tuple[str, Path, str]]) -> None:
    from rich.text import Text

    cells: list[list[object]] = [[what, Text(str(where)), why] for what, where, why in rows]
    out = console()
    columns = (Column("What"), Column("Where", whole=False), Column("Chosen by", whole=False))
    for part in table_or_blocks(out.width, columns, cells, "mesolog folders"):
        out.print(part)


# --- across patients --------------------------------------------------------------------------


def _problems_note(problems: list[tuple[str, str]]) -> None:
    if problems:
        warnings(
            [
                f"{len(problems)} chart(s) could not be read and are left out: "
                + ", ".join(pid for pid, _ in problems)
                + " (run `mesolog check`)."
            ]
        )


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
    from rich.text import Text

    rows: list[list[object]] = []
    styles: list[str] = []
    for s in summaries:
        when = "no course" if s.next_due is None else _lateness(s.next_due, today)
        rows.append(
            [
                Text(s.patient_id),
                Text(s.name or ""),
                Text(s.course or ""),
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
        "; ".join(f"{n} {a:g}{u}" for n, a, u, _ in r.substances),
        "; ".join(lot or "" for *_, lot in r.substances),
        r.technique,
        f"{r.depth_mm:g}",
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
    from rich.text import Text

    patients = len({r.patient_id for r in rows})
    cells: list[list[object]] = [
        [
            Text(r.patient_id),
            str(r.session) + (" voided" if r.status == "voided" else ""),
            r.date.isoformat(),
            Text(", ".join(r.areas)),
            Text(
                "\n".join(
                    f"{n} {a:g}{u}" + (f" ({lot})" if lot else "") for n, a, u, lot in r.substances
                )
            ),
            r.technique,
            f"{r.depth_mm:g} mm",
            Text(", ".join(f"{n} ({s})" for n, s in r.complications)),
            Text(r.practitioner),
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
    "name",
    "phone",
    "email",
    "session",
    "date",
    "status",
    "substance",
    "amount",
    "unit",
    "lot",
    "areas",
)
# --format csv of `lot`: one row per patient, for a mail merge.
RECALL_COLUMNS = (
    "patient",
    "name",
    "phone",
    "email",
    "sessions",
    "dates",
    "substances",
    "lots",
    "areas",
    "voided",
)


def _recall_record(p: questions.LotPatient) -> list[object]:
    return [
        p.patient_id,
        p.contact.name,
        p.contact.phone,
        p.contact.email,
        "; ".join(str(r.session) for r in p.sessions),
        "; ".join(r.date.isoformat() for r in p.sessions),
        "; ".join(dict.fromkeys(name for _, (name, *_) in p.given)),
        "; ".join(dict.fromkeys(str(lot) for _, (*_, lot) in p.given)),  # as typed: "D 2411"
        "; ".join(dict.fromkeys(area for row in p.sessions for area in row.areas)),
        "; ".join(str(r.session) for r in p.sessions if r.status == "voided"),
    ]


def lot_uses(
    lot: str,
    patients: list[questions.LotPatient],
    problems: list[tuple[str, str]],
    fmt: str,
    close: list[str] = (),  # type: ignore[assignment]
) -> None:
    """Who received a lot, with how to reach them; when nobody did, says so and names the
    lots that exist and look like it."""
    records: list[list[object]] = [
        [
            p.patient_id,
            p.contact.name,
            p.contact.phone,
            p.contact.email,
            row.session,
            row.date.isoformat(),
            row.status,
            name,
            amount,
            unit,
            given_lot,
            "; ".join(row.areas),
        ]
        for p in patients
        for row, (name, amount, unit, given_lot) in p.given
    ]
    _problems_note(problems)
    if not patients:
        hint = f"; lots close to it: {', '.join(close)}" if close else ""
        message = f"No administration of lot {lot!r} is recorded{hint}."
        if fmt == "table":
            from rich.text import Text

            console().print(Text(message))
            return
        sys.stderr.write(message + "\n")
    if fmt == "csv":
        write(to_csv(RECALL_COLUMNS, [_recall_record(p) for p in patients]))
        return
    if machine_output(fmt, LOT_COLUMNS, records):
        return
    from rich.text import Text

    sessions = sum(len(p.sessions) for p in patients)
    heading = Text(
        f"Lot {lot}: {counted(len(records), 'administration')} in {counted(sessions, 'session')}"
        f" of {counted(len(patients), 'patient')}"
    )
    cells: list[list[object]] = []
    for p in patients:
        # Who to call, next to the sessions: id, name, phone, email, once per patient.
        contact = (p.patient_id, p.contact.name, p.contact.phone, p.contact.email)
        who = "\n".join(x for x in contact if x)
        for n, (row, (name, amount, unit, given_lot)) in enumerate(p.given):
            cells.append(
                [
                    Text(who if n == 0 else ""),
                    str(row.session) + (" voided" if row.status == "voided" else ""),
                    row.date.isoformat(),
                    Text(name),
                    f"{amount:g} {unit}",
                    Text(str(given_lot)),
                    Text("; ".join(row.areas)),
                ]
            )
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
    from rich.text import Text

    cells: list[list[object]] = [
        [
            Text(g.group),
            str(g.sessions),
            str(g.patients),
            str(g.with_complications),
            f"{g.rate:.0%}",
            Text(
                "█" * round(g.rate * 20) + (" too few to compare" if g.too_small else ""),
                style="dim" if g.too_small else "red" if g.rate else "",
            ),
            Text(", ".join(f"{name} ({n})" for name, n in g.top)),
        ]
        for g in groups
    ]
    out = console()
    for part in table_or_blocks(out.width, STATS_TABLE, cells, f"Complications by {by}"):
        out.print(part)
    if any(g.too_small for g in groups):
        out.print(
            Text(
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
