"""The clinic: overview, paths, and the questions across patients (due, find, lot, stats)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.text import Text

    from mesolog.model import progress, questions

from mesolog.render.console import (
    console,
    counted,
    date_text,
    machine_output,
    shown,
    warnings,
)
from mesolog.render.fit import (
    Column,
    drawn,
    keys,
    machine_rows,
    table_or_blocks,
    table_rows,
    text,
    view,
)

# --- the clinic -------------------------------------------------------------------------------
# Each view declares its columns once (fit.Column): the table draws the header and cell of the
# columns it shows, and JSON, CSV and Markdown write every column's key and value, the
# table-hidden ones included. The overview and `due` describe the same patients: they share
# the columns below and choose their own order, headers and drop ranks.


def overview_columns(today: date) -> list[Column]:
    """The overview, and every column a row per patient can have (``due`` chooses from them).
    At a narrow width the free text goes first (the indication, then the latest
    complications), then the last session date, then the name. Its ``problem`` holds why a
    chart could not be read (the table says it in the name column)."""

    def sessions(s: progress.PatientSummary) -> str:
        return f"{s.done}/{s.planned}" if s.planned else str(s.sessions)

    def next_due(s: progress.PatientSummary) -> Text:
        due = shown(date_text(s.next_due) or _course_end(s))
        if s.next_due and s.next_due <= today:
            due.append("\n" + _lateness(s.next_due, today))
        return due

    def when(s: progress.PatientSummary) -> str:
        return "no course" if s.next_due is None else _lateness(s.next_due, today)

    return [
        Column("Patient", value=lambda s: s.patient_id),
        Column("Name", whole=False, drop=1, value=lambda s: s.name),
        Column("Indication", whole=False, drop=4, value=lambda s: s.indication),
        # done/planned of the current course; all sessions for a patient without one
        Column("Sessions", value=lambda s: s.sessions, cell=sessions),
        Column("Done", value=lambda s: s.done, table=False),
        Column("Planned", value=lambda s: s.planned, table=False),
        Column("Course", whole=False, drop=3, value=lambda s: s.course, table=False),
        Column("Course status", value=lambda s: s.course_status, table=False),
        Column("Last session", drop=2, value=lambda s: s.last_session),
        Column("Next due", value=lambda s: s.next_due, cell=next_due),
        Column("When", key="days_late", value=lambda s: s.days_late(today), cell=when, table=False),
        Column(
            "Latest complications",
            whole=False,
            drop=3,
            value=lambda s: list(s.latest_complications),
            cell=lambda s: ", ".join(s.latest_complications),
        ),
        Column("Problem", value=lambda s: None, table=False),
    ]


def _course_end(s: progress.PatientSummary) -> str:
    """What stands in "Next due" when nothing is: the course's end, or a dash (no course)."""
    if s.course_status in ("completed", "stopped"):
        return f"closed: {s.course_status}"
    return "complete" if s.planned else "—"


def due_columns(today: date) -> list[Column]:
    """``due``: who, their course and progress, and when (the indication, the latest
    complications and the overview's problem are not part of it). A recall list is for
    calling people: at a narrow width the course goes first, then the last session date,
    then the progress; the name stays with the id and the date."""
    c = {column.key: column for column in overview_columns(today)}
    return [
        c["patient"],
        c["name"],
        replace(c["indication"], table=False),
        replace(c["course"], table=True, drop=4),
        replace(c["sessions"], header="Progress", drop=2),
        c["done"],
        c["planned"],
        replace(c["last_session"], drop=3),
        replace(c["next_due"], cell=lambda s: date_text(s.next_due)),
        replace(c["days_late"], table=True),
        replace(c["latest_complications"], table=False),
    ]


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
    columns = overview_columns(today)
    unreadable: list[list[object]] = [
        [{"patient": pid, "problem": why}.get(c.key) for c in columns] for pid, why in problems
    ]
    if machine_output(fmt, keys(columns), machine_rows(columns, ordered) + unreadable):
        return
    rows = table_rows(columns, ordered)
    # Due today is as urgent as overdue: the patient should be seen today.
    styles = ["bold red" if s.next_due and s.next_due <= today else "" for s in ordered]
    for pid, why in problems:
        said = {"patient": pid, "name": "⚠ cannot read this chart: " + why}
        rows.append([text(said.get(c.key)) for c in drawn(columns)])
        styles.append("yellow")
    # A Text: the title may hold what was typed (`patient list --search`), shown as typed.
    # Every chart listed is counted, the unreadable ones too (they are rows of the table).
    unread = f", {len(problems)} unreadable" if problems else ""
    heading = shown(
        f"{title} ({counted(len(summaries) + len(problems), 'patient')}{unread}, {today.isoformat()})"
    )
    out = console()
    out.print(table_or_blocks(out.width, drawn(columns), rows, heading, styles))


def _lateness(next_due: date, today: date) -> str:
    """ "overdue 3 d", "due today" or "in 5 d"."""
    if next_due < today:
        return f"overdue {(today - next_due).days} d"
    if next_due == today:
        return "due today"
    return f"in {(next_due - today).days} d"


def paths(rows: list[tuple[str, Path, str]]) -> None:

    columns = [
        Column("What", value=lambda r: r[0]),
        Column("Where", whole=False, value=lambda r: str(r[1])),
        Column("Chosen by", whole=False, value=lambda r: r[2]),
    ]
    _answer("table", columns, rows, "mesolog folders")


# --- across patients --------------------------------------------------------------------------


def _problems_note(problems: list[tuple[str, str]]) -> None:
    # Each unreadable chart named with why, one line each.
    warnings(f"{pid} left out: {why}" for pid, why in problems)


def _answer(
    fmt: str,
    columns: list[Column],
    items: list[Any],
    heading: str | Text,
    styles: list[str] | None = None,
) -> None:
    """A question's rows in the form asked for: machine forms from every column, the table
    from the drawn ones."""
    if machine_output(fmt, keys(columns), machine_rows(columns, items)):
        return
    out = console()
    out.print(view(out.width, columns, items, heading, styles))


def due(
    summaries: list[progress.PatientSummary],
    problems: list[tuple[str, str]],
    today: date,
    fmt: str,
    nobody: str,
) -> None:
    """Who is due, a row per due course; ``nobody``: the sentence a table gives instead of an
    empty box."""
    _problems_note(problems)
    if not summaries and fmt == "table":
        console().print(shown(nobody))
        return
    styles = [
        "bold red" if s.next_due is not None and s.next_due <= today else "" for s in summaries
    ]
    # A row per due course: a patient due in two courses has two rows, counted once.
    patients = len({s.patient_id for s in summaries})
    courses = f", {counted(len(summaries), 'course')}" if len(summaries) != patients else ""
    heading = f"Due ({counted(patients, 'patient')}{courses}, {today.isoformat()})"
    _answer(fmt, due_columns(today), summaries, heading, styles)


def _session_columns(row: Callable[[Any], questions.SessionRow]) -> list[Column]:
    """The number (marked when voided), date and status of the session ``row`` gives: every
    answer that lists sessions (`find`, `lot`) shows them so."""
    return [
        Column(
            "#",
            key="session",
            value=lambda x: row(x).session,
            cell=lambda x: f"{row(x).session}{' voided' if row(x).status == 'voided' else ''}",
        ),
        Column("Date", value=lambda x: row(x).date.isoformat()),
        Column("Status", value=lambda x: row(x).status, table=False),
    ]


def found_columns() -> list[Column]:
    # Imported here, as in lot_columns: `paths` draws its table without the records (start-up).
    from mesolog.model.values import amount_text, number_text

    return [
        Column("Patient", value=lambda r: r.patient_id),
        *_session_columns(lambda r: r),
        Column(
            "Areas",
            whole=False,
            drop=2,
            value=lambda r: "; ".join(r.areas),
            cell=lambda r: ", ".join(r.areas),
        ),
        Column(
            "Substances (lot)",
            key="substances",
            value=lambda r: "; ".join(f"{n} {amount_text(a, u)}" for n, a, u, _ in r.substances),
            cell=lambda r: [
                f"{n} {amount_text(a, u)}" + (f" ({lot})" if lot else "")
                for n, a, u, lot in r.substances
            ],
        ),
        Column(
            "Lots", value=lambda r: "; ".join(lot or "" for *_, lot in r.substances), table=False
        ),
        Column("Technique", drop=4, value=lambda r: r.technique),
        Column(
            "Depth",
            drop=3,
            key="depth_mm",
            value=lambda r: f"{number_text(r.depth_mm)}",
            cell=lambda r: f"{number_text(r.depth_mm)} mm",
        ),
        Column("Anaesthetic", value=lambda r: r.anaesthetic, table=False),
        Column(
            "Complications",
            whole=False,
            drop=1,
            value=lambda r: "; ".join(f"{n} ({s})" for n, s in r.complications),
            cell=lambda r: ", ".join(f"{n} ({s})" for n, s in r.complications),
        ),
        Column("Practitioner", whole=False, drop=5, value=lambda r: r.practitioner),
        Column("Indication", value=lambda r: r.indication or "", table=False),
    ]


def found(rows: list[questions.SessionRow], problems: list[tuple[str, str]], fmt: str) -> None:
    _problems_note(problems)
    patients = len({r.patient_id for r in rows})
    heading = f"{counted(len(rows), 'session')} of {counted(patients, 'patient')}"
    styles = ["strike dim" if r.status == "voided" else "" for r in rows]
    _answer(fmt, found_columns(), rows, heading, styles)


# One row per administration of the lot: (patient, session, product, whether it is the patient's
# first row (the table names who to call once, next to it), "" or what corrected the lot away).
Administration = tuple["questions.LotPatient", "questions.SessionRow", "questions.Given", bool, str]


def _who(a: Administration) -> list[str]:
    p = a[0]
    contact = (p.patient_id, p.contact.name, p.contact.phone, p.contact.email)
    return [x for x in contact if x] if a[3] else []


def lot_columns(corrected: bool = False) -> list[Column]:
    """The administrations of a lot; ``corrected``: some were corrected away (the column is
    then always on screen; otherwise in the machine forms only)."""
    from mesolog.model.values import amount_text

    return [
        Column("Patient", value=lambda a: a[0].patient_id, cell=_who),
        Column("Name", value=lambda a: a[0].contact.name, table=False),
        Column("Phone", value=lambda a: a[0].contact.phone, table=False),
        Column("Email", value=lambda a: a[0].contact.email, table=False),
        *_session_columns(lambda a: a[1]),
        Column("Substance", value=lambda a: a[2][0]),
        Column(
            "Amount",
            drop=1,
            value=lambda a: a[2][1],
            cell=lambda a: text(amount_text(a[2][1], a[2][2])),
        ),
        Column("Unit", value=lambda a: a[2][2], table=False),
        Column("Lot", value=lambda a: a[2][3]),
        Column("Areas", whole=False, drop=2, value=lambda a: "; ".join(a[1].areas)),
        # A lot corrected away: the patient may have received it (the trail's date and reason).
        Column("Corrected", whole=False, value=lambda a: a[4], table=corrected),
    ]


def _joined(values: Any) -> str:
    return "; ".join(dict.fromkeys(str(v) for v in values))


def recall_columns() -> list[Column]:
    """``lot --format csv``: one row per patient, for a mail merge."""
    return [
        Column("Patient", value=lambda p: p.patient_id),
        Column("Name", value=lambda p: p.contact.name),
        Column("Phone", value=lambda p: p.contact.phone),
        Column("Email", value=lambda p: p.contact.email),
        Column("Sessions", value=lambda p: _joined(r.session for r in p.sessions)),
        Column("Dates", value=lambda p: _joined(r.date.isoformat() for r in p.sessions)),
        Column("Substances", value=lambda p: _joined(g[0] for _, g, _ in p.given)),
        Column("Lots", value=lambda p: _joined(g[3] for _, g, _ in p.given)),  # as typed
        Column("Areas", value=lambda p: _joined(a for r in p.sessions for a in r.areas)),
        Column(
            "Voided", value=lambda p: _joined(r.session for r in p.sessions if r.status == "voided")
        ),
        Column(
            "Corrected",
            value=lambda p: _joined(
                f"session {r.session}: {note}" for r, _, note in p.given if note
            ),
        ),
    ]


def lot_uses(
    lot: str,
    patients: list[questions.LotPatient],
    problems: list[tuple[str, str]],
    fmt: str,
    close: list[str] | None = None,
) -> None:
    """Who received a lot, with how to reach them; when nobody did, says so and names the
    lots that exist and look like it."""

    _problems_note(problems)
    if not patients:
        hint = f"; lots close to it: {', '.join(close)}" if close else ""
        message = f"No administration of lot {lot!r} is recorded{hint}."
        if fmt == "table":
            console().print(shown(message))
            return
        warnings([message])
    if fmt == "csv":
        _answer(fmt, recall_columns(), patients, "")
        return
    given: list[Administration] = [
        (p, row, item, n == 0, note)
        for p in patients
        for n, (row, item, note) in enumerate(p.given)
    ]
    sessions = sum(len(p.sessions) for p in patients)
    corrected = sum(1 for a in given if a[4])
    heading = shown(
        f"Lot {lot}: {counted(len(given), 'administration')} in {counted(sessions, 'session')}"
        f" of {counted(len(patients), 'patient')}"
        + (f" ({corrected} since corrected to another lot or taken off)" if corrected else "")
    )
    _answer(fmt, lot_columns(corrected > 0), given, heading)


def stats_columns() -> list[Column]:

    def bar(g: questions.GroupStats) -> Text:
        return shown(
            "█" * round(g.rate * 20) + (" too few to compare" if g.too_small else ""),
            style="dim" if g.too_small else "red" if g.rate else "",
        )

    return [
        Column("Group", value=lambda g: g.group),
        Column("Sessions", justify="right", value=lambda g: g.sessions),
        Column("Patients", justify="right", drop=2, value=lambda g: g.patients),
        Column(
            "With complications", justify="right", whole=False, value=lambda g: g.with_complications
        ),
        Column(
            "Rate",
            justify="right",
            value=lambda g: round(g.rate, 4),
            cell=lambda g: f"{g.rate:.0%}",
        ),
        # The rate as a bar, and whether the group is too small to compare.
        Column("", whole=False, drop=3, key="too_small", value=lambda g: g.too_small, cell=bar),
        Column(
            "Most frequent",
            whole=False,
            drop=1,
            value=lambda g: "; ".join(f"{name} {n}" for name, n in g.top),
            cell=lambda g: ", ".join(f"{name} ({n})" for name, n in g.top),
        ),
    ]


def stats(
    by: str, groups: list[questions.GroupStats], problems: list[tuple[str, str]], fmt: str
) -> None:

    from mesolog.model import questions

    _problems_note(problems)
    _answer(fmt, stats_columns(), groups, f"Complications by {by}")
    if fmt == "table" and any(g.too_small for g in groups):
        console().print(
            shown(
                f"Groups under {questions.SMALL_GROUP} sessions are too small to compare.",
                style="dim",
            )
        )
