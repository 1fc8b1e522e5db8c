"""One patient: the progress report and the patient card."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mesolog.model import Chart, Complication, Session, Substance, complication_text, progress
from mesolog.model.amendments import recorded_by, severity_text
from mesolog.model.values import amount_text, number_text

if TYPE_CHECKING:
    from rich.console import RenderableType


from mesolog.render.console import (
    change_text,
    console,
    date_text,
    flat_cell,
    machine_output,
    markdown_text,
    shown,
    sparkline,
    to_json,
    to_markdown,
    write,
)
from mesolog.render.fit import (
    WIDER_OR_CSV,
    Column,
    drawn,
    fitted,
    keys,
    machine_rows,
    table_rows,
    view,
)

# --- one patient ------------------------------------------------------------------------------


def report_data(chart: Chart, sessions: tuple[Session, ...], today: date) -> dict[str, Any]:
    """The report as plain data: what ``--format json`` prints (amendments always included)."""
    course = progress.next_due(chart)
    trends = progress.measurement_trends(sessions)
    session_list = [
        {**asdict(s), "days_since_previous": gap, "recorded_by": recorded_by(s)}
        for s, gap in _session_rows(chart, sessions)
    ]
    return {
        "patient": asdict(chart.patient),
        "courses": [asdict(c) for c in chart.courses],
        "sessions": session_list,
        "progress": None
        if course is None
        else {
            "course": course.course.name,
            "indication": course.course.indication,
            "done": course.done,
            "planned": course.course.planned_sessions,
            "remaining": course.remaining,
            "interval_days": course.course.interval_days,
            "next_due": course.next_due,
            "overdue": bool(course.next_due and course.next_due < today),
            "days_late": course.days_late(today),
        },
        "measurements": [
            {
                "name": t.name,
                "first": t.first,
                "latest": t.latest,
                "change": t.change if _changed(t) else None,  # one value: a baseline
                "percent": t.percent if _changed(t) else None,
                "values": [{"date": d, "value": v} for d, v in t.values],
            }
            for t in trends
        ],
        "complications": dict(progress.complication_tally(sessions)),
        "lots": [asdict(use) for use in progress.lots_used(sessions)],
        "limited_evidence": progress.limited_evidence(chart),
        "amendments": [asdict(a) for a in chart.amendments],  # details and courses changed
    }


# The sessions, declared once: the table draws the columns it shows (the date cell carries the
# days since the previous session, the technique cell the method and depth: three columns
# fewer, so the table fits 120 columns more often); CSV and Markdown write every column.
# A row is a session and the days since the previous one. A value of several items is a list:
# CSV and Markdown join them with "; " (console.flat_cell).
SessionRow = tuple[Session, "int | None"]


SESSIONS = (
    Column("#", key="session", value=lambda r: r[0].id, cell=lambda r: _number_cell(r[0])),
    Column(
        "Date",
        value=lambda r: r[0].date.isoformat(),
        cell=lambda r: r[0].date.isoformat() + ("" if r[1] is None else f"\n+{r[1]} d"),
    ),
    Column("Status", value=lambda r: r[0].status, table=False),
    Column("Amended", value=lambda r: bool(r[0].amendments), table=False),
    Column("Days", key="days_since_previous", value=lambda r: r[1], table=False),
    Column("Areas", whole=False, value=lambda r: r[0].areas, cell=lambda r: ", ".join(r[0].areas)),
    Column("Indication", value=lambda r: r[0].indication or "", table=False),
    Column(
        "Substances (lot)",
        key="substances",
        value=lambda r: [f"{x.name} {amount_text(x.amount, x.unit)}" for x in r[0].substances],
        cell=lambda r: _numbered(r[0], 0, map(_substance_line, r[0].substances)),
    ),
    Column("Lots", value=lambda r: [x.lot or "" for x in r[0].substances], table=False),
    Column("Expiries", table=False, value=lambda r: [date_text(x.expiry) for x in r[0].substances]),
    Column("Depth", key="depth_mm", value=lambda r: f"{number_text(r[0].depth_mm)}", table=False),
    Column("Technique", value=lambda r: r[0].technique, cell=lambda r: _protocol(r[0])),
    Column("Method", value=lambda r: r[0].method or "", table=False),
    Column("Anaesthetic", whole=False, value=lambda r: r[0].anaesthetic),
    Column(
        "Complications",
        whole=False,
        value=lambda r: [complication_text(c) for c in r[0].complications],
        cell=lambda r: _numbered(r[0], 1, map(_complication_line, r[0].complications)) or "none",
    ),
    Column(
        "Measurements",
        table=False,
        value=lambda r: [f"{k}={number_text(v)}" for k, v in r[0].measurements.items()],
    ),
    Column("Practitioner", value=lambda r: r[0].practitioner, table=False),
    Column("Notes", whole=False, value=lambda r: r[0].notes),
)


def _session_rows(chart: Chart, sessions: tuple[Session, ...]) -> list[SessionRow]:
    gaps = progress.days_between(chart.sessions)
    return [(s, gaps.get(s.id)) for s in sessions]


def _markdown(columns: tuple[Column, ...], items: list[Any]) -> str:
    rows = machine_rows(columns, items)
    return to_markdown(keys(columns), [[flat_cell(v) for v in row] for row in rows])


def _who(chart: Chart) -> str:
    """``P-0042 · Ana Ruiz · born 1986 · female``: the report's first line."""
    p = chart.patient
    return " · ".join(
        x for x in (p.id, p.name, f"born {p.birth_year}" if p.birth_year else "", p.sex) if x
    )


def report(
    chart: Chart,
    sessions: tuple[Session, ...],
    today: date,
    fmt: str = "table",
    audit: bool = False,
    details_open: Sequence[str] = (),
) -> None:
    """The report in ``fmt``; ``details_open``: the lines of the chart's own details still in
    conflict (``store.reading.details_lines``), which a Markdown report lists (a table's are
    said on stderr by the command)."""

    if fmt == "json":
        write(to_json(report_data(chart, sessions, today)))
        return
    if fmt == "csv":
        machine_output(fmt, keys(SESSIONS), machine_rows(SESSIONS, _session_rows(chart, sessions)))
        return
    if fmt == "markdown":
        write(report_markdown(chart, sessions, today, audit, details_open))
        return
    out = console()
    for part in report_parts(chart, sessions, today, audit, out.width):
        out.print(part)
        out.print()


def report_markdown(
    chart: Chart,
    sessions: tuple[Session, ...],
    today: date,
    audit: bool,
    details_open: Sequence[str] = (),
) -> str:
    """The whole report as Markdown: header, sessions, progress, measurements, complications,
    products and lots (and the audit trail with ``--audit``), user text escaped."""
    from mesolog.model.amendments import unsettled

    # User text outside a table is inert as Markdown too (console.markdown_text: the one rule).
    out = [f"# {markdown_text(_who(chart))}", "", "## Sessions", ""]
    if sessions:
        out.append(_markdown(SESSIONS, _session_rows(chart, sessions)))
    else:
        out.append("No sessions in this window.\n")
    # A value a merge kept is not yet the chart's word: a saved report says so itself (on a
    # screen the lines go to stderr, under the table).
    still_open = [*details_open]
    still_open += [line for s in sessions for line in unsettled(chart.patient.id, s)]
    if still_open:
        out += ["## Merge conflicts still open", ""]
        out += [f"- {markdown_text(line)}" for line in still_open] + [""]
    out += ["## Progress", "", markdown_text(str(_progress_text(chart, today))), ""]
    for title, columns, rows in _tables(sessions, markdown=True):
        out += [f"## {title}", "", _markdown(columns, rows)]
    if progress.limited_evidence(chart):
        out += [f"> {progress.LIMITED_EVIDENCE}", ""]
    if audit:
        out += ["## Audit trail", "", _markdown(AUDIT, _audit_rows(sessions))]
    elif any(s.amendments for s in sessions):
        # The Markdown has no "amended*" mark: its `amended` column says it.
        out += [
            "A session marked `amended` was changed after it was recorded: "
            "`mesolog report ID --audit` shows who, when and why.",
            "",
        ]
    return "\n".join(out).rstrip("\n") + "\n"


def report_parts(
    chart: Chart,
    sessions: tuple[Session, ...],
    today: date,
    audit: bool,
    width: int,
) -> list[RenderableType]:
    """The report as Rich renderables for a screen ``width`` columns wide.

    Below the width the session table needs, sessions are shown as blocks (see
    :func:`_session_blocks`); the other tables leave out low-value columns or become blocks.
    """

    parts: list[RenderableType] = [shown(_who(chart), style="bold")]
    parts.append(_sessions_part(chart, sessions, width))
    if any(s.zones for s in sessions):
        from mesolog.render.pictures import injection_map_part

        parts.append(injection_map_part(sessions))
    parts.append(_progress_text(chart, today))
    for title, columns, rows in _tables(sessions):
        parts.append(view(width, columns, rows, title))
    if progress.limited_evidence(chart):
        parts.append(shown(progress.LIMITED_EVIDENCE, style="yellow"))
    if audit:
        parts.append(view(width, AUDIT, _audit_rows(sessions), "Audit trail"))
        parts += chart_trail(chart, width)
    elif any(_amended_mark(s) for s in sessions):
        parts.append(shown(AMENDED_FOOTNOTE, style="dim"))
    return parts


def _sessions_part(chart: Chart, sessions: tuple[Session, ...], room: int) -> RenderableType:
    """The sessions as a table where it fits ``room`` columns, else as blocks; or why none."""
    if not chart.sessions:
        return shown(f"No session recorded yet: `mesolog add {chart.patient.id}` records one.")
    if not sessions:
        return shown("No sessions in this window.")
    rows = _session_rows(chart, sessions)
    cells = table_rows(SESSIONS, rows)
    styles = ["strike dim" if s.voided else "" for s in sessions]
    table = fitted(room, drawn(SESSIONS), cells, styles, title="Sessions", title_justify="left")
    if table.table is not None:
        return table.table
    return _session_blocks(rows, room)


def _tables(
    sessions: tuple[Session, ...], markdown: bool = False
) -> list[tuple[str, tuple[Column, ...], list[Any]]]:
    """Measurements, complications, products and lots that have rows, each as its title, its
    columns and its rows: the screen counts each complication, the Markdown lists them all."""
    complications = (
        (COMPLICATIONS, [(s, c) for s in sessions for c in s.complications])
        if markdown
        else (COMPLICATION_TABLE, progress.complication_tally(sessions).most_common())
    )
    tables = [
        ("Measurements", MEASUREMENTS, progress.measurement_trends(sessions)),
        ("Complications", *complications),
        ("Products and lots", LOTS, progress.lots_used(sessions)),
    ]
    return [table for table in tables if table[2]]


AMENDED_FOOTNOTE = (
    "* amended after it was recorded: `mesolog report ID --audit` shows who, when and why."
)


def _amended_mark(s: Session) -> bool:
    """Whether the session's row carries the ``amended*`` mark (a voided one says voided)."""
    return bool(s.amendments) and not s.voided


def _number_cell(s: Session) -> str:
    return str(s.id) + (" voided" if s.voided else " amended*" if _amended_mark(s) else "")


def _complication_line(c: Complication) -> str:
    """``bruising (mild), onset 2026-11-03, resolved 2026-11-09, outcome resolved``."""
    parts = [f"{c.name} ({severity_text(c.severity)})"]
    parts += [
        f"{word} {when.isoformat()}"
        for word, when in (("onset", c.onset), ("resolved", c.resolved))
        if when
    ]
    if c.outcome:
        parts.append(f"outcome {c.outcome}")
    return ", ".join(parts)


def _numbered(session: Session, kind: int, lines: Iterable[str]) -> list[str]:
    """The lines of a session's products (kind 0) or complications (1), each after its number
    ("#2 ") where two of that kind share a name: the number a correction names it by."""
    from mesolog.model.corrections import numbered_kinds

    shown_lines = list(lines)
    if not numbered_kinds(session)[kind]:
        return shown_lines
    return [f"#{n} {line}" for n, line in enumerate(shown_lines, 1)]


def _substance_line(x: Substance) -> str:
    return f"{x.name} {amount_text(x.amount, x.unit)}" + (f" ({x.lot})" if x.lot else "")


def _protocol(s: Session) -> list[str]:
    """Technique, method and depth: one cell of the session table, one line of its block."""
    return [s.technique, *([s.method] if s.method else []), f"{number_text(s.depth_mm)} mm"]


def _changed(trend: progress.MeasurementTrend) -> bool:
    """Whether a measurement was taken more than once (a change can be told)."""
    return len(trend.values) > 1


MEASUREMENTS = (
    Column("Measure", value=lambda t: t.name),
    Column("First", justify="right", value=lambda t: number_text(t.first)),
    Column("Latest", justify="right", value=lambda t: number_text(t.latest)),
    # One value is a baseline, not a change of +0: nothing to say yet ("—" on screen, empty in
    # the machine forms).
    Column(
        "Change",
        justify="right",
        drop=2,
        value=lambda t: change_text(t.change) if _changed(t) else "",
        cell=lambda t: change_text(t.change) if _changed(t) else "—",
    ),
    Column(
        "%",
        justify="right",
        key="percent",
        value=lambda t: "" if t.percent is None or not _changed(t) else f"{t.percent:+.1f}%",
        cell=lambda t: "—" if t.percent is None or not _changed(t) else f"{t.percent:+.1f}%",
    ),
    # Every value with its date for the machine forms; a sparkline of them in the table.
    Column(
        "Trend",
        drop=3,
        key="values",
        value=lambda t: ", ".join(f"{d.isoformat()}: {number_text(v)}" for d, v in t.values),
        cell=lambda t: sparkline([v for _, v in t.values]),
    ),
)
# (name, sessions) of a tally.
COMPLICATION_TABLE = (
    Column("Complication", value=lambda c: c[0]),
    Column("Sessions", justify="right", value=lambda c: c[1]),
)
# The Markdown report's complications, a (session, complication) a row, headed by their names
# as written (the screen shows a tally of them instead).
COMPLICATIONS = (
    Column("", key="Session", value=lambda r: r[0].id),
    Column("", key="Date", value=lambda r: r[0].date.isoformat()),
    Column("", key="Complication", value=lambda r: r[1].name),
    Column("", key="Severity", value=lambda r: severity_text(r[1].severity)),
    Column("", key="Onset", value=lambda r: date_text(r[1].onset)),
    Column("", key="Resolved", value=lambda r: date_text(r[1].resolved)),
    Column("", key="Outcome", value=lambda r: r[1].outcome or ""),
)
LOTS = (
    Column("Product", value=lambda u: u.substance),
    Column("Lot", value=lambda u: u.lot or "", cell=lambda u: u.lot or "—"),
    Column("Expiry", value=lambda u: date_text(u.expiry)),
    Column("Sessions", whole=False, value=lambda u: ", ".join(str(n) for n in u.sessions)),
    Column("First", drop=2, value=lambda u: date_text(u.first)),
    Column("Last", drop=1, value=lambda u: date_text(u.last)),
)


def _session_blocks(rows: list[SessionRow], width: int) -> RenderableType:
    """Sessions for a screen narrower than their table: a block each.

    ``#2  2026-10-12  14 days after the previous`` / areas / technique, method, depth and
    anaesthetic / one line per substance with amount, lot and expiry, aligned / complications
    with their dates / notes. Values wrap under themselves and are never cut.
    """
    from rich.console import Group
    from rich.padding import Padding

    indent = 4
    blocks: list[RenderableType] = [shown("Sessions", style="italic")]
    for s, gap in rows:
        style = "dim" if s.voided else ""
        head = f"#{_number_cell(s)}  {s.date.isoformat()}"
        if gap is not None:
            head += f"  {gap} day{'' if gap == 1 else 's'} after the previous"
        lines = [", ".join(s.areas)]
        lines.append(", ".join(_protocol(s)) + f"; anaesthetic {s.anaesthetic}")
        lines += _substance_lines(s, width - indent)
        complications = _numbered(s, 1, map(_complication_line, s.complications))
        lines += ["complication: " + line for line in complications]
        if s.notes:
            lines.append("notes: " + s.notes)
        body = Group(*(shown(line, style=style, overflow="fold") for line in lines))
        blocks += [
            shown(""),
            shown(head, style=f"bold {style}".strip()),
            Padding(body, (0, 0, 0, indent)),
        ]
    return Group(*blocks)


def _substance_lines(session: Session, room: int) -> list[str]:
    """One aligned line per substance (name, amount, lot, expiry) if they fit ``room``;
    else the name and amount on one line and the lot and expiry on the next. Each name is
    numbered as in the table (:func:`_numbered`)."""
    from rich.cells import cell_len

    from mesolog.render.sessions import substance_parts

    parts = [substance_parts(x) for x in session.substances]
    names = _numbered(session, 0, (p[0] for p in parts))
    cells = [(name, *p[1:]) for name, p in zip(names, parts, strict=True)]
    widths = [max((cell_len(c[i]) for c in cells), default=0) for i in range(4)]
    if sum(widths) + 6 <= room:
        return ["  ".join(c[i].ljust(widths[i]) for i in range(4)).rstrip() for c in cells]
    lines: list[str] = []
    for name, amount, lot, expiry in cells:
        lines += [f"{name} {amount}", f"  {lot}" + (f", {expiry}" if expiry else "")]
    return lines


def _progress_text(chart: Chart, today: date) -> RenderableType:

    state = progress.next_due(chart)
    closed = progress.last_closed_course(chart) if state is None else None
    if closed is not None:
        done = progress.course_progress(chart, closed).done
        return shown(
            f"Progress: no active course; course {closed.name} {closed.status} after {done} of "
            f"{closed.planned_sessions} sessions."
        )
    if state is None:
        last = chart.last_session
        since = (
            f"; last session {last.date.isoformat()} ({(today - last.date).days} days ago)"
            if last
            else ""
        )
        return shown(f"Progress: no course planned{since}.")
    course = state.course
    what = f" ({course.indication})" if course.indication else ""
    text = shown(
        f"Progress: course {course.name}{what}: {state.done} of {course.planned_sessions} "
        f"sessions done, {state.remaining} remaining, every {course.interval_days} days. "
    )
    if state.next_due is None:
        text.append("Course complete.", style="green")
    elif state.next_due == today:
        text.append(f"Next session due today ({today.isoformat()}).", style="bold red")
    elif state.next_due < today:
        text.append(
            f"Next session was due {state.next_due.isoformat()}: overdue by {state.days_late(today)} days.",
            style="bold red",
        )
    else:
        text.append(
            f"Next session due {state.next_due.isoformat()} (in {(state.next_due - today).days} days)."
        )
    return text


# One line of the audit trail: session, when, by, why, changes.
AuditRow = tuple[int, str, str, str, str]


def moment_text(iso: str) -> str:
    """A moment of the trail as a screen shows it: to the minute, in the time it was written
    in ("2026-11-09 09:12"); JSON, CSV and Markdown keep it whole, seconds and offset."""
    return iso[:16].replace("T", " ")


AUDIT = (
    Column("#", key="session", value=lambda a: a[0]),
    # Who under when, on screen: one column less leaves the reason and the changes room to be
    # read in two or three lines at 80 columns. The machine forms keep "by" a column of its own.
    Column(
        "When, by",
        key="when",
        value=lambda a: a[1],
        cell=lambda a: list(filter(None, (moment_text(a[1]), a[2]))),
    ),
    Column("By", whole=False, value=lambda a: a[2], table=False),
    Column("Why", whole=False, value=lambda a: a[3]),
    Column("Changes", whole=False, value=lambda a: a[4]),
)


def _audit_rows(sessions: tuple[Session, ...]) -> list[AuditRow]:
    """Each session's recording, then its amendments, oldest first."""
    rows: list[AuditRow] = []
    for s in sessions:
        rows.append((s.id, s.recorded.isoformat(), recorded_by(s), "recorded", ""))
        rows += [
            (s.id, a.at.isoformat(), a.by, a.reason, "\n".join(a.changes)) for a in s.amendments
        ]
    return rows


# A course and its progress.
COURSE_TABLE = (
    Column("Course", value=lambda c: c[0].name),
    Column("Indication", whole=False, drop=2, value=lambda c: c[0].indication or ""),
    # done/planned, as in the overview
    Column("Sessions", value=lambda c: f"{c[1].done}/{c[0].planned_sessions}"),
    Column("Every", value=lambda c: f"{c[0].interval_days} d"),
    Column("Start", drop=1, value=lambda c: c[0].start.isoformat()),
    Column(
        "Next due",
        value=lambda c: (
            f"closed: {c[0].status}" if c[0].closed else date_text(c[1].next_due) or "complete"
        ),
    ),
)


def patient_card(chart: Chart, path: Path, today: date) -> None:
    from rich.table import Table

    from mesolog.model.details import PATIENT_FIELDS

    p = chart.patient
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")  # a long path wraps, never "…"
    # The details `patient new` sets, each headed by its name ("birth_year": Birth year).
    details = [(name.replace("_", " ").capitalize(), getattr(p, name)) for name in PATIENT_FIELDS]
    sessions = str(len(chart.active_sessions))
    rows = [("Id", p.id), *details, ("Created", p.created.isoformat()), ("Sessions", sessions)]
    for key, value in [*rows, ("File", path)]:
        if value:
            grid.add_row(key, shown(value))
    out = console()
    out.print(grid)
    if chart.courses:
        courses = [(c, progress.course_progress(chart, c)) for c in chart.courses]
        out.print(view(out.width, COURSE_TABLE, courses, "Courses", more=WIDER_ONLY))
    out.print(_progress_text(chart, today))
    for part in chart_trail(chart, out.width, more=WIDER_ONLY):
        out.print(part)


# `patient show` has no --format: only a wider window shows a column left out.
WIDER_ONLY = "a wider window shows them"


TRAIL_TABLE = (
    Column("When", value=lambda a: moment_text(a.at.isoformat())),
    Column("By", whole=False, value=lambda a: a.by),
    Column("Why", whole=False, value=lambda a: a.reason or "—"),
    Column("Changes", whole=False, value=lambda a: "\n".join(a.changes)),
)


def chart_trail(chart: Chart, width: int, more: str = WIDER_OR_CSV) -> list[RenderableType]:
    """The chart-level trail: who changed the patient's details or a course, when and why
    (nothing when the chart has none)."""
    if not chart.amendments:
        return []
    return [view(width, TRAIL_TABLE, chart.amendments, "Changes to details and courses", more=more)]
