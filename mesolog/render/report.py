"""One patient: the progress report and the patient card."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mesolog.model import Chart, Session, complication_text

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.table import Table


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
    save_to: Path | None = None,
) -> None:
    import io

    from mesolog.model import progress

    if fmt == "json":
        write(to_json(report_data(chart, sessions, today)))
        return
    gaps = progress.days_between(chart.sessions)
    rows = [_session_row(s, gaps.get(s.id)) for s in sessions]
    if fmt == "csv":
        write(to_csv(SESSION_COLUMNS, rows))
        return
    if fmt == "markdown":
        write(to_markdown(SESSION_COLUMNS, rows))
        return
    out = console()
    if save_to is not None:
        from rich.console import Console

        out = Console(record=True, width=140, file=io.StringIO())
    for part in report_parts(chart, sessions, today, audit):
        out.print(part)
        out.print()
    if save_to is not None:
        if save_to.suffix.lower() == ".svg":
            out.save_svg(str(save_to), title=f"mesolog report {chart.patient.id}")
        else:
            out.save_html(str(save_to))


def report_parts(
    chart: Chart, sessions: tuple[Session, ...], today: date, audit: bool
) -> list[RenderableType]:
    from rich.table import Table
    from rich.text import Text

    from mesolog.model import progress

    p = chart.patient
    who = " · ".join(
        x
        for x in (p.id, p.name or "", f"born {p.birth_year}" if p.birth_year else "", p.sex or "")
        if x
    )
    parts: list[RenderableType] = [Text(who, style="bold")]
    gaps = progress.days_between(chart.sessions)
    table = Table(title="Sessions", title_justify="left", show_lines=False)
    for name in (
        "#",
        "Date",
        "Days",
        "Areas",
        "Substances (lot)",
        "Depth",
        "Technique",
        "Anaesthetic",
        "Complications",
        "Notes",
    ):
        table.add_column(name, no_wrap=name in ("#", "Date", "Depth"))
    for s in sessions:
        style = "strike dim" if s.voided else ""
        gap = gaps.get(s.id)
        table.add_row(
            Text(str(s.id) + (" voided" if s.voided else " amended*" if s.amendments else "")),
            Text(s.date.isoformat()),
            Text("" if gap is None else str(gap)),
            Text(", ".join(s.areas)),
            Text(
                "\n".join(
                    f"{x.name} {x.amount:g}{x.unit}" + (f" ({x.lot})" if x.lot else "")
                    for x in s.substances
                )
            ),
            Text(f"{s.depth_mm:g} mm"),
            Text(s.technique + (f"\n{s.method}" if s.method else "")),
            Text(s.anaesthetic),
            Text("\n".join(f"{c.name} ({c.severity})" for c in s.complications) or "none"),
            Text(s.notes),
            style=style,
        )
    if not sessions:
        parts.append(Text("No sessions in this window."))
    else:
        parts.append(table)
    parts.append(_progress_text(chart, today))
    trends = progress.measurement_trends(sessions)
    if trends:
        m = Table(title="Measurements", title_justify="left")
        for name in ("Measure", "First", "Latest", "Change", "%", "Trend"):
            m.add_column(name, justify="left" if name in ("Measure", "Trend") else "right")
        for t in trends:
            pct = "" if t.percent is None else f"{t.percent:+.1f}%"
            m.add_row(
                Text(t.name),
                _number(t.first),
                _number(t.latest),
                _signed(t.change),
                pct,
                sparkline([v for _, v in t.values]),
            )
        parts.append(m)
    tally = progress.complication_tally(sessions)
    if tally:
        c = Table(title="Complications", title_justify="left")
        c.add_column("Complication")
        c.add_column("Sessions", justify="right")
        for name, count in tally.most_common():
            c.add_row(Text(name), str(count))
        parts.append(c)
    lots = progress.lots_used(sessions)
    if lots:
        lt = Table(title="Products and lots", title_justify="left")
        for name in ("Product", "Lot", "Expiry", "Sessions", "First", "Last"):
            lt.add_column(name)
        for use in lots:
            lt.add_row(
                Text(use.substance),
                Text(use.lot or "—"),
                _day(use.expiry),
                ", ".join(str(n) for n in use.sessions),
                _day(use.first),
                _day(use.last),
            )
        parts.append(lt)
    if progress.limited_evidence(chart):
        parts.append(
            Text(
                "Limited evidence: this hair-loss treatment uses neither finasteride nor minoxidil, "
                "the only substances the source reports evidence for.",
                style="yellow",
            )
        )
    if audit:
        parts.append(_audit_table(sessions))
        if chart.amendments:
            parts.append(chart_trail(chart))
    elif any(s.amendments for s in sessions):
        parts.append(
            Text(
                "* amended after it was recorded: `mesolog report ID --audit` shows who, when and why.",
                style="dim",
            )
        )
    return parts


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


def _audit_table(sessions: tuple[Session, ...]) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(title="Audit trail", title_justify="left")
    for name in ("Session", "When", "By", "Why", "Changes"):
        table.add_column(name)
    for s in sessions:
        table.add_row(str(s.id), s.recorded.isoformat(), Text(s.practitioner), "recorded", "")
        for a in s.amendments:
            table.add_row(
                str(s.id), a.at.isoformat(), Text(a.by), Text(a.reason), Text("\n".join(a.changes))
            )
    return table


def patient_card(chart: Chart, path: Path, today: date) -> None:
    from rich.table import Table
    from rich.text import Text

    from mesolog.model import progress

    p = chart.patient
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
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
        table = Table(title="Courses", title_justify="left")
        for name in ("Course", "Indication", "Planned", "Every", "Start", "Done", "Next due"):
            table.add_column(name)
        for course in chart.courses:
            state = progress.course_progress(chart, course)
            table.add_row(
                Text(course.name),
                Text(course.indication or ""),
                str(course.planned_sessions),
                f"{course.interval_days} d",
                course.start.isoformat(),
                str(state.done),
                f"closed: {course.status}" if course.closed else _day(state.next_due) or "complete",
                style="dim" if course.closed else "",
            )
        out.print(table)
    out.print(_progress_text(chart, today))
    if chart.amendments:
        out.print(chart_trail(chart))


def chart_trail(chart: Chart) -> Table:
    """The chart-level trail: who changed the patient's details or a course, when and why."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title="Changes to details and courses", title_justify="left")
    for name in ("When", "By", "Why", "Changes"):
        table.add_column(name)
    for a in chart.amendments:
        table.add_row(
            a.at.isoformat(), Text(a.by), Text(a.reason or "—"), Text("\n".join(a.changes))
        )
    return table
