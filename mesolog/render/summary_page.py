"""The printable summary for the patient or a colleague: one self-contained HTML page.

Pure: a chart, the practice's details and today's date in, an HTML string out (the store writes
it). Self-contained on purpose: no external fonts, scripts, styles or images, so the file can be
mailed, archived and printed years later; the charts are hand-written inline SVG.

Every piece of chart or config text goes through :func:`_text` (``html.escape``): a name such as
``<script>`` prints as typed and never runs. Print CSS is for A4: tables are laid out to the page
width and every cell wraps (``overflow-wrap: anywhere``), so nothing is cut; each section starts
on a new page only when it would not fit (``break-inside: avoid`` on short blocks, a page break
before the charts and the aftercare), and the page number is in the bottom margin box
(``@page { @bottom-right }``, printed by Chromium since version 131).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import date

from mesolog.model import Chart, Session, Substance
from mesolog.model import progress as prog
from mesolog.model.aftercare import ClinicDetails
from mesolog.model.amendments import severity_text
from mesolog.model.values import amount_text, number_text

_CSS = """
@page {
  size: A4;
  margin: 16mm 14mm 18mm 14mm;
  @bottom-left { content: "mesolog treatment summary"; font: 8pt sans-serif; color: #555; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font: 8pt sans-serif; color: #555; }
}
* { box-sizing: border-box; }
html { font: 10.5pt/1.4 "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #111; }
body { margin: 0 auto; max-width: 190mm; padding: 8mm 6mm; }
h1 { font-size: 17pt; margin: 0 0 1mm; }
h2 { font-size: 13pt; margin: 6mm 0 2mm; border-bottom: 0.4mm solid #999; break-after: avoid; }
p, li, td, th, dd, figcaption, .address { overflow-wrap: anywhere; word-break: normal; }
.address, .aftercare { white-space: pre-line; }
.muted { color: #555; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.5mm 4mm; margin: 0; }
dl.facts dt { font-weight: bold; }
dl.facts dd { margin: 0; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; }
th, td { border: 0.25mm solid #bbb; padding: 1mm 1.5mm; text-align: left; vertical-align: top; }
th { background: #eee; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
td.notes { background: #fafafa; }
table.sessions { font-size: 9pt; }
col.date { width: 13%; } col.areas { width: 13%; } col.products { width: 38%; }
col.depth { width: 9%; } col.technique { width: 13%; } col.anaesthetic { width: 14%; }
ul.products { margin: 0; padding-left: 4mm; }
.note { border-left: 1mm solid #c80; padding: 1mm 3mm; background: #fff6e5; }
figure { margin: 0 0 5mm; break-inside: avoid; }
figure svg { width: 100%; height: auto; display: block; }
section.page { break-before: page; }
footer { margin-top: 8mm; font-size: 9pt; color: #555; }
@media print { body { max-width: none; padding: 0; } }
"""


def _text(value: object) -> str:
    """Chart or config text made inert for HTML (quotes too: it may land in an attribute)."""
    return html.escape(str(value), quote=True)


def _number(value: float) -> str:
    """A value as recorded, every digit kept, without a trailing .0 (model.number_text)."""
    return number_text(value)


def summary_page(
    chart: Chart,
    practice: ClinicDetails,
    today: date,
    version: str = "",
    pictures: Mapping[str, bytes] | None = None,
) -> str:
    """The whole page as one HTML document (active sessions only; voided ones are left out).
    ``pictures``: small copies of the photos it shows, by file (``store.photos.page_pictures``)."""
    from mesolog.render.pictures import injection_map_section, photos_section
    patient = chart.patient
    title = f"Treatment summary: {patient.name or patient.id}"
    sessions = tuple(sorted(chart.active_sessions, key=lambda s: (s.date, s.id)))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_text(title)}</title><style>{_CSS}</style></head><body>",
        _clinic_header(practice),
        _patient_section(chart),
        _course_section(chart),
        _sessions_section(sessions),
        _complications_section(sessions),
        _measurements_section(sessions),
        injection_map_section(chart),
        photos_section(chart, pictures or {}),
        _aftercare_section(chart, practice),
        f"<footer>Generated on {today.isoformat()} by mesolog{' ' + _text(version) if version else ''}"
        " from the practitioner's records.</footer>",
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def _clinic_header(practice: ClinicDetails) -> str:
    lines = [f"<header><h1>{_text(practice.name or 'Treatment summary')}</h1>"]
    if practice.name:
        lines.append('<p class="muted">Treatment summary</p>')
    if practice.address:
        lines.append(f'<div class="address">{_text(practice.address)}</div>')
    if practice.practitioner:
        lines.append(f"<p>Practitioner: {_text(practice.practitioner)}</p>")
    lines.append("</header>")
    return "\n".join(lines)


def _facts(rows: list[tuple[str, str]]) -> str:
    items = "".join(f"<dt>{_text(k)}</dt><dd>{_text(v)}</dd>" for k, v in rows if v)
    return f'<dl class="facts">{items}</dl>'


def _patient_section(chart: Chart) -> str:
    p = chart.patient
    rows = [
        ("Patient", p.id),
        ("Name", p.name or ""),
        ("Born", str(p.birth_year) if p.birth_year else ""),
    ]
    return f'<section id="patient"><h2>Patient</h2>{_facts(rows)}</section>'


def progress_sentence(state: prog.CourseProgress) -> str:
    """ "4 of 6 sessions, next due 2026-12-07", or "6 of 6 sessions, course complete"."""
    done = f"{state.done} of {state.course.planned_sessions} sessions"
    if state.next_due is None:
        return f"{done}, course complete"
    return f"{done}, next due {state.next_due.isoformat()}"


def _course_section(chart: Chart) -> str:
    body: list[str] = []
    current = prog.current_course(chart)
    for course in sorted(chart.courses, key=lambda c: c.start):
        state = prog.course_progress(chart, course)
        label = course.name + (" (current)" if course is current and len(chart.courses) > 1 else "")
        body.append(
            _facts(
                [
                    ("Course", label),
                    ("For", course.indication or ""),
                    (
                        "Plan",
                        f"{course.planned_sessions} sessions, every {course.interval_days} days, from {course.start.isoformat()}",
                    ),
                    ("Progress", progress_sentence(state)),
                ]
            )
        )
    if not body:
        last = chart.last_session
        body.append(
            "<p>No course planned"
            + (f"; last session on {last.date.isoformat()}." if last else ".")
            + "</p>"
        )
    if prog.limited_evidence(chart):
        body.append(f'<p class="note">{_text(prog.LIMITED_EVIDENCE)}</p>')
    return f'<section id="course"><h2>Treatment course</h2>{"".join(body)}</section>'


def _product(given: Substance) -> str:
    words = [f"{given.name} {amount_text(given.amount, given.unit)}"]
    if given.lot:
        words.append(f"lot {given.lot}")
    if given.expiry:
        words.append(f"expiry {given.expiry.isoformat()}")
    return f"<li>{_text(', '.join(words))}</li>"


def _session_rows(item: Session) -> str:
    products = "".join(_product(s) for s in item.substances) or "<li>none recorded</li>"
    technique = item.technique + (f", {item.method}" if item.method else "")
    row = (
        f"<tr><td>{item.date.isoformat()}</td><td>{_text(', '.join(item.areas))}</td>"
        f'<td><ul class="products">{products}</ul></td><td>{_number(item.depth_mm)} mm</td>'
        f"<td>{_text(technique)}</td><td>{_text(item.anaesthetic)}</td></tr>"
    )
    if item.notes.strip():
        row += f'<tr><td class="notes" colspan="6">Note: {_text(item.notes)}</td></tr>'
    return row


def _sessions_section(sessions: tuple[Session, ...]) -> str:
    if not sessions:
        return '<section id="sessions"><h2>Sessions</h2><p>No session recorded yet.</p></section>'
    cols = "".join(
        f'<col class="{c}">'
        for c in ("date", "areas", "products", "depth", "technique", "anaesthetic")
    )
    head = (
        "<thead><tr><th>Date</th><th>Areas</th><th>Products (amount, lot, expiry)</th>"
        "<th>Depth</th><th>Technique</th><th>Anaesthetic</th></tr></thead>"
    )
    rows = "".join(_session_rows(s) for s in sessions)
    return (
        f'<section id="sessions"><h2>Sessions</h2><table class="sessions"><colgroup>{cols}</colgroup>{head}'
        f"<tbody>{rows}</tbody></table></section>"
    )


def _complications_section(sessions: tuple[Session, ...]) -> str:
    items = []
    for item in sessions:
        for c in item.complications:
            details = [severity_text(c.severity)]
            if c.onset:
                details.append(f"began {c.onset.isoformat()}")
            if c.resolved:
                details.append(f"resolved {c.resolved.isoformat()}")
            details.append(f"outcome: {c.outcome or 'not recorded'}")
            items.append(
                f"<li>{_text(c.name)} after the session of {item.date.isoformat()}: "
                f"{_text(', '.join(details))}</li>"
            )
    body = f"<ul>{''.join(items)}</ul>" if items else "<p>None recorded.</p>"
    return f'<section id="complications"><h2>Complications</h2>{body}</section>'


def _measurements_section(sessions: tuple[Session, ...]) -> str:
    trends = prog.measurement_trends(sessions)
    if not trends:
        return ""
    figures = "".join(_figure(t, n) for n, t in enumerate(trends))
    return f'<section id="measurements" class="page"><h2>Measurements</h2>{figures}</section>'


def readable_name(name: str) -> str:
    """``hair_density_per_cm2`` as people read it: "hair density per cm2"."""
    return name.replace("_", " ")


def change_caption(trend: prog.MeasurementTrend) -> str:
    first_day, last_day = trend.values[0][0], trend.values[-1][0]
    name = readable_name(trend.name)
    if len(trend.values) == 1:
        return f"{name}: {_number(trend.first)} on {first_day.isoformat()} (one measurement so far)"
    percent = trend.percent
    change = (
        f"{percent:+.1f} %"
        if percent is not None
        else f"{trend.change:+g} (from zero, no percentage)"
    )
    return (
        f"{name}: {_number(trend.first)} on {first_day.isoformat()} to {_number(trend.latest)} "
        f"on {last_day.isoformat()}, change {change}"
    )


def _figure(trend: prog.MeasurementTrend, index: int) -> str:
    values = ", ".join(f"{d.isoformat()}: {_number(v)}" for d, v in trend.values)
    return (
        f"<figure>{line_chart(trend, index)}<figcaption><strong>{_text(change_caption(trend))}"
        f'</strong><br><span class="muted">Values: {_text(values)}</span></figcaption></figure>'
    )


def _aftercare_section(chart: Chart, practice: ClinicDetails) -> str:
    indication = prog.indication_of(chart)
    heading = f"Aftercare ({indication})" if indication else "Aftercare"
    return (
        f'<section id="aftercare" class="page"><h2>{_text(heading)}</h2>'
        f'<p class="aftercare">{_text(practice.aftercare_for(indication))}</p></section>'
    )


# --- the chart: hand-written SVG ---------------------------------------------------------------

_W, _H = 640, 220
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 40, 16, 44


def line_chart(trend: prog.MeasurementTrend, index: int = 0) -> str:
    """One measurement over time: dates on the x axis (spaced by the days between them), the
    values joined by a line, the first value ringed and labelled."""
    days = [(d - trend.values[0][0]).days for d, _ in trend.values]
    values = [v for _, v in trend.values]
    span_days = max(days[-1], 1)
    low, high = min(values), max(values)
    if low == high:
        low, high = low - 1, high + 1
    pad = (high - low) * 0.1
    low, high = low - pad, high + pad
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM

    inner = 16  # the first and last points (and the first value's ring) clear of the frame

    def x(day: int) -> float:
        if len(days) == 1:
            return _LEFT + plot_w / 2
        return _LEFT + inner + (plot_w - 2 * inner) * day / span_days

    def y(value: float) -> float:
        return _TOP + plot_h * (high - value) / (high - low)

    points = [(x(d), y(v)) for d, v in zip(days, values, strict=True)]
    name = _text(readable_name(trend.name))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {_H}" role="img" '
        f'aria-labelledby="chart-{index}"><title id="chart-{index}">{name} over time</title>',
        f'<rect x="{_LEFT}" y="{_TOP}" width="{plot_w}" height="{plot_h}" fill="#fcfcfc" stroke="#bbb"/>',
    ]
    for value in (low + pad, high - pad):
        out.append(
            f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            'stroke="#ddd"/>'
            f'<text x="{_LEFT - 4}" y="{y(value) + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#555">{_number(round(value, 6))}</text>'
        )
    for (px, _), (day, _v) in zip(points, trend.values, strict=True):
        if _label_fits(px, points):
            out.append(
                f'<text x="{px:.1f}" y="{_H - _BOTTOM + 16}" font-size="10" text-anchor="middle" '
                f'fill="#333">{day.isoformat()}</text>'
            )
    out.append(
        '<polyline fill="none" stroke="#1f5fa8" stroke-width="2" points="'
        + " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        + '"/>'
    )
    for px, py in points:
        out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="#1f5fa8"/>')
    fx, fy = points[0]
    out.append(
        f'<circle cx="{fx:.1f}" cy="{fy:.1f}" r="7" fill="none" stroke="#c80" stroke-width="2"/>'
        f'<text x="{fx + 10:.1f}" y="{max(fy - 10, _TOP + 12):.1f}" font-size="11" fill="#a60">'
        f"first: {_number(trend.first)}</text>"
    )
    out.append("</svg>")
    return "".join(out)


def _label_fits(px: float, points: list[tuple[float, float]]) -> bool:
    """Date labels are 60 units wide: a label is drawn unless the previous drawn one is too close
    (the first and the last are always drawn; every value is in the caption anyway)."""
    xs = [p[0] for p in points]
    if px in (xs[0], xs[-1]):
        return True
    drawn = [xs[0]]
    for candidate in xs[1:-1]:
        if candidate - drawn[-1] >= 64 and xs[-1] - candidate >= 64:
            drawn.append(candidate)
    return px in drawn
