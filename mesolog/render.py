"""Everything a person or another program reads: Rich tables, JSON, CSV, Markdown.

The only module that knows Rich, imported inside the functions so start-up stays light. Every
name, note and substance goes through ``Text``/``escape``: "[2x] bruise" prints as typed.
Takes model objects; never reads files.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mesolog.model import Chart, Session, complication_text, substance_text

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.table import Table

    from mesolog import progress, questions

FORMATS = ("table", "json", "csv", "markdown")
SPARKS = "▁▂▃▄▅▆▇█"


# --- plumbing ---------------------------------------------------------------------------------


def console(stderr: bool = False) -> Console:
    """A console that never cuts piped output at 80 columns, and writes no ANSI codes at all
    when piped or when NO_COLOR is set (Rich alone would still write bold and italics)."""
    import os

    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    interactive = stream.isatty()
    plain = bool(os.environ.get("NO_COLOR"))
    return Console(
        file=stream,
        highlight=False,
        width=None if interactive else 100_000,
        soft_wrap=not interactive,
        color_system=None if plain else "auto",
    )


def _json_default(value: object) -> str:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


def to_json(data: object) -> str:
    import json

    return json.dumps(data, default=_json_default, ensure_ascii=False, indent=2)


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()


def to_markdown(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    def cell(value: object) -> str:
        text = "" if value is None else str(value)
        return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", "<br>")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def machine_output(fmt: str, columns: Sequence[str], rows: list[list[object]]) -> bool:
    """Rows as JSON objects, CSV or Markdown, written; False for "table" (the caller draws it)."""
    if fmt == "json":
        write(to_json([dict(zip(columns, row, strict=True)) for row in rows]))
    elif fmt == "csv":
        write(to_csv(columns, rows))
    elif fmt == "markdown":
        write(to_markdown(columns, rows))
    else:
        return False
    return True


def write(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def counted(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def sparkline(values: Sequence[float]) -> str:
    if not values:
        return ""
    low, high = min(values), max(values)
    if high == low:
        return SPARKS[3] * len(values)
    return "".join(SPARKS[round((v - low) / (high - low) * (len(SPARKS) - 1))] for v in values)


def _number(value: float) -> str:
    return f"{value:g}"


def _signed(value: float) -> str:
    return f"{value:+g}"


def warnings(messages: Iterable[str]) -> None:
    """Warnings, once each, on stderr: recorded all the same."""
    seen = set()
    for message in messages:
        if message not in seen:
            seen.add(message)
            sys.stderr.write(f"warning: {message}\n")


# --- one session ------------------------------------------------------------------------------


def session_rows(session: Session) -> list[tuple[str, str]]:
    rows = [
        ("Date", session.date.isoformat()),
        ("Areas", ", ".join(session.areas)),
        ("Indication", session.indication or ""),
        ("Substances", "\n".join(substance_text(s) for s in session.substances)),
        ("Depth", f"{session.depth_mm:g} mm"),
        ("Technique", session.technique + (f" ({session.method})" if session.method else "")),
        ("Anaesthetic", session.anaesthetic),
    ]
    optional = [
        ("Angle", f"{session.angle_deg}°" if session.angle_deg is not None else ""),
        (
            "Needle",
            " ".join(
                p
                for p in (
                    f"{session.needle_gauge}G" if session.needle_gauge else "",
                    f"{session.needle_length_mm:g} mm" if session.needle_length_mm else "",
                )
                if p
            ),
        ),
        ("Points", str(session.points) if session.points is not None else ""),
        ("Duration", f"{session.duration_min} min" if session.duration_min else ""),
        ("Course", session.course or ""),
        ("Practitioner", session.practitioner),
        ("Complications", "\n".join(complication_text(c) for c in session.complications)),
        ("Measurements", ", ".join(f"{k} {_number(v)}" for k, v in session.measurements.items())),
        ("Consent", session.consent or ""),
        ("Photos", "\n".join(session.photos)),
        ("Notes", session.notes),
    ]
    return rows + [(k, v) for k, v in optional if v]


def session_stored(patient_id: str, session: Session, path: Path, verb: str = "recorded") -> None:
    """The short panel shown after ``add``/``amend``: what was stored, and where.

    Piped, it is plain ``key: value`` lines (for grep and logs; no box drawing, and Rich is
    not loaded, which keeps ``add`` in scripts within its start-up budget).
    """
    title = f"{patient_id}: session {session.id} {verb}"
    if not sys.stdout.isatty():
        lines = [title]
        for key, value in session_rows(session):
            for n, part in enumerate(value.split("\n")):
                lines.append(f"  {key + ':' if n == 0 else '':<14} {part}".rstrip())
        lines.append(f"saved to {path}")
        write("\n".join(lines))
        return
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for key, value in session_rows(session):
        grid.add_row(key, Text(value))
    out = console()
    out.print(Panel(grid, title=Text(title), title_align="left", expand=False))
    out.print(Text(f"saved to {path}", style="dim"))


# --- one patient ------------------------------------------------------------------------------


def report_data(chart: Chart, sessions: tuple[Session, ...], today: date) -> dict[str, Any]:
    """The report as plain data: what ``--format json`` prints (amendments always included)."""
    from mesolog import progress

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

    from mesolog import progress

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

    from mesolog import progress

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

    from mesolog import progress

    state = progress.next_due(chart)
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

    from mesolog import progress

    p = chart.patient
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for key, value in (
        ("Id", p.id),
        ("Name", p.name or ""),
        ("Birth year", str(p.birth_year or "")),
        ("Sex", p.sex or ""),
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
                _day(state.next_due) or "complete",
            )
        out.print(table)
    out.print(_progress_text(chart, today))


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
    from mesolog import progress

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
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=f"{title} ({counted(len(summaries), 'patient')}, {today.isoformat()})",
        title_justify="left",
    )
    for name in (
        "Patient",
        "Name",
        "Indication",
        "Sessions",
        "Last session",
        "Next due",
        "Latest complications",
    ):
        table.add_column(name)
    for s in ordered:
        late = s.days_late(today)
        due = Text(_day(s.next_due) or ("complete" if s.planned else "—"))
        style = ""
        if s.next_due and s.next_due < today:
            due.append(f" overdue {late} d")
            style = "bold red"
        sessions = f"{s.done}/{s.planned}" if s.planned else str(s.sessions)
        table.add_row(
            Text(s.patient_id),
            Text(s.name or ""),
            Text(s.indication or ""),
            sessions,
            _day(s.last_session),
            due,
            Text(", ".join(s.latest_complications)),
            style=style,
        )
    for pid, why in problems:
        table.add_row(Text(pid), Text("⚠ cannot read this chart: " + why), style="yellow")
    console().print(table)


def _flat(value: object) -> object:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def paths(rows: list[tuple[str, Path, str]]) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(title="mesolog folders", title_justify="left")
    for name in ("What", "Where", "Chosen by"):
        table.add_column(name)
    for what, where, why in rows:
        table.add_row(what, Text(str(where)), why)
    console().print(table)


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
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=f"Due ({counted(len(summaries), 'patient')}, {today.isoformat()})",
        title_justify="left",
    )
    for name in ("Patient", "Name", "Course", "Progress", "Last session", "Next due", "When"):
        table.add_column(name)
    for s in summaries:
        style = ""
        if s.next_due is None:
            when = "no course"
        elif s.next_due < today:
            when, style = f"overdue {s.days_late(today)} d", "bold red"
        elif s.next_due == today:
            when = "today"
        else:
            when = f"in {(s.next_due - today).days} d"
        table.add_row(
            Text(s.patient_id),
            Text(s.name or ""),
            Text(s.course or ""),
            f"{s.done}/{s.planned}" if s.planned else str(s.sessions),
            _day(s.last_session),
            _day(s.next_due),
            when,
            style=style,
        )
    console().print(table)


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
    from rich.table import Table
    from rich.text import Text

    patients = len({r.patient_id for r in rows})
    table = Table(
        title=f"{counted(len(rows), 'session')} of {counted(patients, 'patient')}",
        title_justify="left",
    )
    for name in (
        "Patient",
        "#",
        "Date",
        "Areas",
        "Substances (lot)",
        "Technique",
        "Depth",
        "Complications",
        "Practitioner",
    ):
        table.add_column(name)
    for r in rows:
        table.add_row(
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
            style="strike dim" if r.status == "voided" else "",
        )
    console().print(table)


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
    from mesolog import questions

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
    from rich.table import Table
    from rich.text import Text

    patients = len({r[0] for r in records})
    table = Table(
        title=Text(
            f"Lot {lot}: {counted(len(records), 'administration')} in {counted(len(rows), 'session')}"
            f" of {counted(patients, 'patient')}"
        ),
        title_justify="left",
    )
    for name in ("Patient", "#", "Date", "Substance", "Amount", "Lot", "Areas"):
        table.add_column(name)
    for rec in records:
        table.add_row(
            Text(str(rec[0])),
            str(rec[1]) + (" voided" if rec[3] == "voided" else ""),
            str(rec[2]),
            Text(str(rec[4])),
            f"{rec[5]:g} {rec[6]}",
            Text(str(rec[7])),
            Text(str(rec[8])),
        )
    console().print(table)


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
    from mesolog import questions

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
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"Complications by {by}", title_justify="left")
    for name in (
        "Group",
        "Sessions",
        "Patients",
        "With complications",
        "Rate",
        "",
        "Most frequent",
    ):
        table.add_column(
            name,
            justify="right"
            if name in ("Sessions", "Patients", "With complications", "Rate")
            else "left",
        )
    for g in groups:
        bar = "█" * round(g.rate * 20)
        table.add_row(
            Text(g.group),
            str(g.sessions),
            str(g.patients),
            str(g.with_complications),
            f"{g.rate:.0%}",
            Text(
                bar + (" too few to compare" if g.too_small else ""),
                style="dim" if g.too_small else "red" if g.rate else "",
            ),
            Text(", ".join(f"{name} ({n})" for name, n in g.top)),
        )
    console().print(table)
    if any(g.too_small for g in groups):
        console().print(
            Text(
                f"Groups under {questions.SMALL_GROUP} sessions are too small to compare.",
                style="dim",
            )
        )


EXPORT_COLUMNS = (
    "patient",
    "name",
    "birth_year",
    "session",
    "date",
    "status",
    "practitioner",
    "course",
    "indication",
    "areas",
    "technique",
    "method",
    "depth_mm",
    "angle_deg",
    "needle_gauge",
    "needle_length_mm",
    "points",
    "anaesthetic",
    "duration_min",
    "substance",
    "category",
    "amount",
    "unit",
    "concentration",
    "lot",
    "expiry",
    "complications",
    "measurements",
    "notes",
)


def export(charts: list[Chart], fmt: str) -> None:
    if fmt == "json":
        write(to_json([asdict(chart) for chart in charts]))
        return
    if fmt == "fhir":
        from mesolog import fhir

        write(to_json(fhir.bundle(charts)))
        return
    rows = []
    for chart in charts:
        p = chart.patient
        for s in chart.sessions:
            shared = [
                p.id,
                p.name or "",
                p.birth_year,
                s.id,
                s.date.isoformat(),
                s.status,
                s.practitioner,
                s.course or "",
                s.indication or "",
                "; ".join(s.areas),
                s.technique,
                s.method or "",
                s.depth_mm,
                s.angle_deg,
                s.needle_gauge,
                s.needle_length_mm,
                s.points,
                s.anaesthetic,
                s.duration_min,
            ]
            tail = [
                "; ".join(complication_text(c) for c in s.complications),
                "; ".join(f"{k}={v:g}" for k, v in s.measurements.items()),
                s.notes,
            ]
            for x in s.substances:
                rows.append(
                    [
                        *shared,
                        x.name,
                        x.category,
                        x.amount,
                        x.unit,
                        x.concentration or "",
                        x.lot or "",
                        _day(x.expiry),
                        *tail,
                    ]
                )
    write(to_csv(EXPORT_COLUMNS, rows))
