"""One patient: the progress report and the patient card."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mesolog.model import Chart, Complication, Session, Substance, complication_text

if TYPE_CHECKING:
    from rich.console import RenderableType


from mesolog.render.console import (
    _day,
    _number,
    _signed,
    console,
    sparkline,
    to_csv,
    to_json,
    to_markdown,
    write,
)
from mesolog.render.fit import Column, fitted, table_or_blocks

# --- one patient ------------------------------------------------------------------------------


def report_data(chart: Chart, sessions: tuple[Session, ...], today: date) -> dict[str, Any]:
    """The report as plain data: what ``--format json`` prints (amendments always included)."""
    from mesolog.model import progress

    course = progress.next_due(chart)
    trends = progress.measurement_trends(sessions)
    gaps = progress.days_between(chart.sessions)
    session_list = []
    for s in sessions:
        entry = asdict(s)
        entry["days_since_previous"] = gaps.get(s.id)
        session_list.append(entry)
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
                "change": t.change,
                "percent": t.percent,
                "values": [{"date": d, "value": v} for d, v in t.values],
            }
            for t in trends
        ],
        "complications": dict(progress.complication_tally(sessions)),
        "lots": [asdict(use) for use in progress.lots_used(sessions)],
        "limited_evidence": progress.limited_evidence(chart),
        "amendments": [asdict(a) for a in chart.amendments],  # details and courses changed
    }


SESSION_COLUMNS = (
    "session",
    "date",
    "status",
    "days_since_previous",
    "areas",
    "indication",
    "substances",
    "lots",
    "depth_mm",
    "technique",
    "method",
    "anaesthetic",
    "complications",
    "measurements",
    "practitioner",
    "notes",
)


def _session_row(s: Session, gap: int | None) -> list[object]:
    return [
        s.id,
        s.date.isoformat(),
        s.status,
        gap,
        "; ".join(s.areas),
        s.indication or "",
        "; ".join(f"{x.name} {x.amount:g}{x.unit}" for x in s.substances),
        "; ".join(x.lot or "" for x in s.substances),
        f"{s.depth_mm:g}",
        s.technique,
        s.method or "",
        s.anaesthetic,
        "; ".join(complication_text(c) for c in s.complications),
        "; ".join(f"{k}={v:g}" for k, v in s.measurements.items()),
        s.practitioner,
        s.notes,
    ]


def report(
    chart: Chart,
    sessions: tuple[Session, ...],
    today: date,
    fmt: str = "table",
    audit: bool = False,
) -> None:
    from mesolog.model import progress

    if fmt == "json":
        write(to_json(report_data(chart, sessions, today)))
        return
    if fmt == "csv":
        gaps = progress.days_between(chart.sessions)
        write(to_csv(SESSION_COLUMNS, [_session_row(s, gaps.get(s.id)) for s in sessions]))
        return
    if fmt == "markdown":
        write(report_markdown(chart, sessions, today, audit))
        return
    out = console()
    for part in report_parts(chart, sessions, today, audit, out.width):
        out.print(part)
        out.print()


def report_markdown(chart: Chart, sessions: tuple[Session, ...], today: date, audit: bool) -> str:
    """The whole report as Markdown: header, sessions, progress, measurements, complications,
    products and lots (and the audit trail with ``--audit``), user text escaped."""
    from mesolog.model import progress

    gaps = progress.days_between(chart.sessions)
    p = chart.patient
    who = " · ".join(
        x for x in (p.id, p.name or "", f"born {p.birth_year}" if p.birth_year else "", p.sex or "") if x
    )
    out = [f"# {_md(who)}", "", "## Sessions", ""]
    if sessions:
        out.append(
            to_markdown(
                ("#", "Date", "Days", "Areas", "Substances (lot, expiry)", "Depth", "Technique",
                 "Anaesthetic", "Complications", "Notes"),
                [
                    [
                        _number_cell(s),
                        s.date.isoformat(),
                        gaps.get(s.id),
                        ", ".join(s.areas),
                        "\n".join(
                            _substance_line(x) + (f" exp {x.expiry.isoformat()}" if x.expiry else "")
                            for x in s.substances
                        ),
                        f"{s.depth_mm:g} mm",
                        s.technique + (f", {s.method}" if s.method else ""),
                        s.anaesthetic,
                        "\n".join(_complication_line(c) for c in s.complications) or "none",
                        s.notes,
                    ]
                    for s in sessions
                ],
            )
        )
    else:
        out.append("No sessions in this window.\n")
    out += ["## Progress", "", _md(str(_progress_text(chart, today))), ""]
    trends = progress.measurement_trends(sessions)
    if trends:
        out += ["## Measurements", ""]
        out.append(
            to_markdown(
                ("Measure", "First", "Latest", "Change", "%", "Values"),
                [
                    [
                        t.name,
                        _number(t.first),
                        _number(t.latest),
                        _signed(t.change),
                        "" if t.percent is None else f"{t.percent:+.1f}%",
                        ", ".join(f"{d.isoformat()}: {_number(v)}" for d, v in t.values),
                    ]
                    for t in trends
                ],
            )
        )
    complicated = [(s, c) for s in sessions for c in s.complications]
    if complicated:
        out += ["## Complications", ""]
        out.append(
            to_markdown(
                ("Session", "Date", "Complication", "Severity", "Onset", "Resolved", "Outcome"),
                [
                    [s.id, s.date.isoformat(), c.name, c.severity, _day(c.onset), _day(c.resolved), c.outcome or ""]
                    for s, c in complicated
                ],
            )
        )
    lots = progress.lots_used(sessions)
    if lots:
        out += ["## Products and lots", ""]
        out.append(
            to_markdown(
                ("Product", "Lot", "Expiry", "Sessions", "First", "Last"),
                [
                    [
                        u.substance,
                        u.lot or "",
                        _day(u.expiry),
                        ", ".join(str(n) for n in u.sessions),
                        _day(u.first),
                        _day(u.last),
                    ]
                    for u in lots
                ],
            )
        )
    if progress.limited_evidence(chart):
        out += [f"> {LIMITED_EVIDENCE}", ""]
    if audit:
        out += ["## Audit trail", ""]
        out.append(
            to_markdown(
                ("Session", "When", "By", "Why", "Changes"),
                [
                    row
                    for s in sessions
                    for row in [
                        [s.id, s.recorded.isoformat(), s.practitioner, "recorded", ""],
                        *([s.id, a.at.isoformat(), a.by, a.reason, "\n".join(a.changes)] for a in s.amendments),
                    ]
                ],
            )
        )
    elif any(_amended_mark(s) for s in sessions):
        out += ["\\" + AMENDED_FOOTNOTE, ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _md(text: str) -> str:
    """User text outside a table, inert as Markdown: emphasis, code, links and HTML escaped,
    and a line that would start a heading, list or quote. Dates and ids stay readable."""
    import re

    text = re.sub(r"([\\`*_\[\]<>|])", r"\\\1", text)
    return re.sub(r"^(\s*)([#+\-=>]|\d+\.)", r"\1\\\2", text, flags=re.MULTILINE)


def report_parts(
    chart: Chart,
    sessions: tuple[Session, ...],
    today: date,
    audit: bool,
    width: int | None = None,
) -> list[RenderableType]:
    """The report as Rich renderables for a screen ``width`` columns wide (None: any width).

    Below the width the session table needs, sessions are shown as blocks (see
    :func:`_session_blocks`); the other tables leave out low-value columns or become blocks.
    """
    from rich.text import Text

    from mesolog.model import progress

    room = width or 1_000_000
    p = chart.patient
    who = " · ".join(
        x
        for x in (p.id, p.name or "", f"born {p.birth_year}" if p.birth_year else "", p.sex or "")
        if x
    )
    parts: list[RenderableType] = [Text(who, style="bold")]
    gaps = progress.days_between(chart.sessions)
    if not sessions:
        parts.append(Text("No sessions in this window."))
    else:
        rows = [_session_cells(s, gaps.get(s.id)) for s in sessions]
        styles = ["strike dim" if s.voided else "" for s in sessions]
        table = fitted(room, SESSION_TABLE, rows, styles, title="Sessions", title_justify="left")
        if table.table is not None:
            parts.append(table.table)
        else:
            parts.append(_session_blocks(sessions, gaps, room))
    parts.append(_progress_text(chart, today))
    trends = progress.measurement_trends(sessions)
    if trends:
        measured: list[list[object]] = [
            [
                Text(t.name),
                _number(t.first),
                _number(t.latest),
                _signed(t.change),
                "" if t.percent is None else f"{t.percent:+.1f}%",
                sparkline([v for _, v in t.values]),
            ]
            for t in trends
        ]
        parts += table_or_blocks(room, MEASUREMENT_TABLE, measured, "Measurements")
    tally = progress.complication_tally(sessions)
    if tally:
        counts: list[list[object]] = [[Text(name), str(n)] for name, n in tally.most_common()]
        parts += table_or_blocks(room, COMPLICATION_TABLE, counts, "Complications")
    lots = progress.lots_used(sessions)
    if lots:
        used: list[list[object]] = [
            [
                Text(use.substance),
                Text(use.lot or "—"),
                _day(use.expiry),
                ", ".join(str(n) for n in use.sessions),
                _day(use.first),
                _day(use.last),
            ]
            for use in lots
        ]
        parts += table_or_blocks(room, LOT_TABLE, used, "Products and lots")
    if progress.limited_evidence(chart):
        parts.append(Text(LIMITED_EVIDENCE, style="yellow"))
    if audit:
        parts += _audit_parts(sessions, room)
        parts += chart_trail(chart, room)
    elif any(_amended_mark(s) for s in sessions):
        parts.append(Text(AMENDED_FOOTNOTE, style="dim"))
    return parts


LIMITED_EVIDENCE = (
    "Limited evidence: only finasteride and minoxidil have shown evidence for hair loss, "
    "and this course uses neither."
)
AMENDED_FOOTNOTE = "* amended after it was recorded: `mesolog report ID --audit` shows who, when and why."


def _amended_mark(s: Session) -> bool:
    """Whether the session's row carries the ``amended*`` mark (a voided one says voided)."""
    return bool(s.amendments) and not s.voided


def _number_cell(s: Session) -> str:
    return str(s.id) + (" voided" if s.voided else " amended*" if _amended_mark(s) else "")


def _complication_line(c: Complication) -> str:
    """``bruising (mild), onset 2026-11-03, resolved 2026-11-09, outcome resolved``."""
    parts = [f"{c.name} ({c.severity})"]
    parts += [f"{word} {when.isoformat()}" for word, when in (("onset", c.onset), ("resolved", c.resolved)) if when]
    if c.outcome:
        parts.append(f"outcome {c.outcome}")
    return ", ".join(parts)


def _substance_line(x: Substance) -> str:
    return f"{x.name} {x.amount:g}{x.unit}" + (f" ({x.lot})" if x.lot else "")


# The date cell carries the days since the previous session (+14 d) and the technique cell the
# method and depth: three columns fewer, so the table fits 120 columns more often.
SESSION_TABLE = (
    Column("#"),
    Column("Date"),
    Column("Areas", whole=False),
    Column("Substances (lot)"),
    Column("Technique"),
    Column("Anaesthetic", whole=False),
    Column("Complications", whole=False),
    Column("Notes", whole=False),
)
MEASUREMENT_TABLE = (
    Column("Measure"),
    Column("First", justify="right"),
    Column("Latest", justify="right"),
    Column("Change", justify="right", drop=2),
    Column("%", justify="right"),
    Column("Trend", drop=3),
)
COMPLICATION_TABLE = (Column("Complication"), Column("Sessions", justify="right"))
LOT_TABLE = (
    Column("Product"),
    Column("Lot"),
    Column("Expiry"),
    Column("Sessions", whole=False),
    Column("First", drop=2),
    Column("Last", drop=1),
)


def _session_cells(s: Session, gap: int | None) -> list[object]:
    from rich.text import Text

    return [
        Text(_number_cell(s)),
        Text(s.date.isoformat() + ("" if gap is None else f"\n+{gap} d")),
        Text(", ".join(s.areas)),
        Text("\n".join(_substance_line(x) for x in s.substances)),
        Text("\n".join([s.technique, *([s.method] if s.method else []), f"{s.depth_mm:g} mm"])),
        Text(s.anaesthetic),
        Text("\n".join(_complication_line(c) for c in s.complications) or "none"),
        Text(s.notes),
    ]


def _session_blocks(
    sessions: tuple[Session, ...], gaps: dict[int, int | None], width: int
) -> RenderableType:
    """Sessions for a screen narrower than their table: a block each.

    ``#2  2026-10-12  14 days after the previous`` / areas / technique, method, depth and
    anaesthetic / one line per substance with amount, lot and expiry, aligned / complications
    with their dates / notes. Values wrap under themselves and are never cut.
    """
    from rich.console import Group
    from rich.padding import Padding
    from rich.text import Text

    indent = 4
    blocks: list[RenderableType] = [Text("Sessions", style="italic")]
    for s in sessions:
        style = "dim" if s.voided else ""
        gap = gaps.get(s.id)
        head = Text(f"#{_number_cell(s)}", style="bold")
        head.append(f"  {s.date.isoformat()}")
        if gap is not None:
            head.append(f"  {gap} days after the previous")
        lines = [", ".join(s.areas)]
        protocol = [s.technique, *([s.method] if s.method else []), f"{s.depth_mm:g} mm"]
        lines.append(", ".join(protocol) + f"; anaesthetic {s.anaesthetic}")
        lines += _substance_lines(s.substances, width - indent)
        lines += ["complication: " + _complication_line(c) for c in s.complications]
        if s.notes:
            lines.append("notes: " + s.notes)
        body = Group(*(Text(line, style=style, overflow="fold") for line in lines))
        blocks += [Text(""), Text(head.plain, style=f"bold {style}".strip()), Padding(body, (0, 0, 0, indent))]
    return Group(*blocks)


def _substance_lines(substances: tuple[Substance, ...], room: int) -> list[str]:
    """One aligned line per substance (name, amount, lot, expiry) if they fit ``room``;
    else the name and amount on one line and the lot and expiry on the next."""
    from rich.cells import cell_len

    cells = [
        (
            x.name,
            f"{x.amount:g}{x.unit}",
            f"lot {x.lot}" if x.lot else "no lot",
            f"exp {x.expiry.isoformat()}" if x.expiry else "",
        )
        for x in substances
    ]
    widths = [max((cell_len(c[i]) for c in cells), default=0) for i in range(4)]
    if sum(widths) + 6 <= room:
        return ["  ".join(c[i].ljust(widths[i]) for i in range(4)).rstrip() for c in cells]
    lines: list[str] = []
    for name, amount, lot, expiry in cells:
        lines += [f"{name} {amount}", f"  {lot}" + (f", {expiry}" if expiry else "")]
    return lines


def _progress_text(chart: Chart, today: date) -> RenderableType:
    from rich.text import Text

    from mesolog.model import progress

    state = progress.next_due(chart)
    closed = progress.last_closed_course(chart) if state is None else None
    if closed is not None:
        done = progress.course_progress(chart, closed).done
        return Text(
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
        return Text(f"Progress: no course planned{since}.")
    course = state.course
    text = Text("Progress: ")
    text.append(f"course {course.name}")
    if course.indication:
        text.append(f" ({course.indication})")
    text.append(
        f": {state.done} of {course.planned_sessions} sessions done, {state.remaining} remaining"
    )
    text.append(f", every {course.interval_days} days. ")
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


AUDIT_TABLE = (
    Column("Session"),
    Column("When"),
    Column("By", whole=False),
    Column("Why", whole=False),
    Column("Changes", whole=False),
)


def _audit_parts(sessions: tuple[Session, ...], width: int) -> list[RenderableType]:
    from rich.text import Text

    rows: list[list[object]] = []
    for s in sessions:
        rows.append([str(s.id), s.recorded.isoformat(), Text(s.practitioner), "recorded", ""])
        for a in s.amendments:
            rows.append(
                [str(s.id), a.at.isoformat(), Text(a.by), Text(a.reason), Text("\n".join(a.changes))]
            )
    return table_or_blocks(width, AUDIT_TABLE, rows, "Audit trail")


COURSE_TABLE = (
    Column("Course"),
    Column("Indication", whole=False, drop=2),
    Column("Sessions"),  # done/planned, as in the overview
    Column("Every"),
    Column("Start", drop=1),
    Column("Next due"),
)


def patient_card(chart: Chart, path: Path, today: date) -> None:
    from rich.table import Table
    from rich.text import Text

    from mesolog.model import progress

    p = chart.patient
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")  # a long path wraps, never "…"
    for key, value in (
        ("Id", p.id),
        ("Name", p.name or ""),
        ("Birth year", str(p.birth_year or "")),
        ("Sex", p.sex or ""),
        ("Phone", p.phone or ""),
        ("Email", p.email or ""),
        ("Note", p.note or ""),
        ("Created", p.created.isoformat()),
        ("Sessions", str(len(chart.active_sessions))),
        ("File", str(path)),
    ):
        if value:
            grid.add_row(key, Text(value))
    out = console()
    out.print(grid)
    if chart.courses:
        rows: list[list[object]] = []
        for course in chart.courses:
            state = progress.course_progress(chart, course)
            rows.append(
                [
                    Text(course.name),
                    Text(course.indication or ""),
                    f"{state.done}/{course.planned_sessions}",
                    f"{course.interval_days} d",
                    course.start.isoformat(),
                    f"closed: {course.status}" if course.closed else _day(state.next_due) or "complete",
                ]
            )
        for part in table_or_blocks(out.width, COURSE_TABLE, rows, "Courses"):
            out.print(part)
    out.print(_progress_text(chart, today))
    for part in chart_trail(chart, out.width):
        out.print(part)


TRAIL_TABLE = (
    Column("When"),
    Column("By", whole=False),
    Column("Why", whole=False),
    Column("Changes", whole=False),
)


def chart_trail(chart: Chart, width: int) -> list[RenderableType]:
    """The chart-level trail: who changed the patient's details or a course, when and why
    (nothing when the chart has none)."""
    from rich.text import Text

    rows: list[list[object]] = [
        [a.at.isoformat(), Text(a.by), Text(a.reason or "—"), Text("\n".join(a.changes))]
        for a in chart.amendments
    ]
    if not rows:
        return []
    return table_or_blocks(width, TRAIL_TABLE, rows, "Changes to details and courses")
