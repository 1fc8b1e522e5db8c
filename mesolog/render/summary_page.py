"""The printable summary for the patient or a colleague: one self-contained HTML page.

Pure: a chart, the practice's details and today's date in, an HTML string out (the store writes
it). Self-contained on purpose: no external fonts, scripts, styles or images, so the file can be
mailed, archived and printed years later; the charts are hand-written inline SVG.

Every piece of chart or config text goes through :func:`_text` (``html.escape``): a name such as
``<script>`` prints as typed and never runs. Print CSS is for A4: tables are laid out to the page
width; free text (names, notes, addresses, headings) wraps anywhere (``overflow-wrap: anywhere``)
so nothing is cut however long a word, while a lot, a date or an amount wraps only as a whole
(:func:`_whole`: a ``nowrap`` span), so it is found whole in the printed text. No page holds a
lone line of a section (``orphans``/``widows``, ``break-inside: avoid`` on short sections, a
page break before the charts and the aftercare), and the page number is in the bottom margin
box (``@page { @bottom-right }``, printed by Chromium since version 131).

The page is a list of sections (:func:`summary_page`), each a function of the chart: a new one
(photos, an injection map) is one more function and one more entry in that list.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import date

from mesolog.errors import inert
from mesolog.model import Chart, Session, Substance
from mesolog.model import progress as prog
from mesolog.model.aftercare import ClinicDetails
from mesolog.model.amendments import severity_text
from mesolog.model.records import Conflict
from mesolog.model.values import amount_text, number_text
from mesolog.render.console import counted

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
p, li, dd, figcaption { orphans: 2; widows: 2; }
/* A long list breaks between items, never after its first or before its last: the heading
   keeps two items, and no page holds one item of a list alone. */
section > ul > li:first-child { break-after: avoid; }
section > ul > li:last-child { break-before: avoid; }
h1, h2, .free, .address, .aftercare, td.notes, dd { overflow-wrap: anywhere; word-break: normal; }
.address, .aftercare, td.notes { white-space: pre-line; }
.whole { white-space: nowrap; }
.overdue { color: #a00; font-weight: bold; }
section.small, header { break-inside: avoid; }
.muted { color: #555; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.5mm 4mm; margin: 0; }
dl.facts dt { font-weight: bold; }
dl.facts dd { margin: 0; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; }
th, td { border: 0.25mm solid #bbb; padding: 1mm 1.5mm; text-align: left; vertical-align: top; }
th { background: #eee; }
thead { display: table-header-group; }
tr, tbody.session { break-inside: avoid; }
td.notes { background: #fafafa; }
table.sessions { font-size: 9pt; }
col.date { width: 12.5%; } col.areas { width: 10%; } col.products { width: 28%; }
col.depth { width: 8%; } col.technique { width: 12.5%; } col.anaesthetic { width: 15%; }
col.by { width: 14%; }
th { overflow-wrap: anywhere; }  /* a heading word wider than its column wraps, never runs over */
ul.products { margin: 0; padding-left: 4mm; }
.note { border-left: 1mm solid #c80; padding: 1mm 3mm; background: #fff6e5; }
figure { margin: 0 0 5mm; break-inside: avoid; }
figure svg { width: 100%; height: auto; display: block; }
section.page { break-before: page; }
#open { border: 1px solid #a00; padding: 0 4mm; }
footer { margin-top: 8mm; font-size: 9pt; color: #555; }
@media print { body { max-width: none; padding: 0; } }
"""


def _text(value: object) -> str:
    """Chart or config text made inert for HTML (quotes too: it may land in an attribute), its
    control characters shown visibly (``\\x1b``) as on a screen: a page saved or printed
    carries no escape sequence."""
    return html.escape(inert(str(value)), quote=True)


def _whole(value: object) -> str:
    """A lot, a date or an amount: escaped, and wrapped only as a whole (never at its hyphen)."""
    return f'<span class="whole">{_text(value)}</span>'


def _free(value: object) -> str:
    """Free text (a name, a product, an area): escaped, wrapped anywhere when it must."""
    return f'<span class="free">{_text(value)}</span>'


def summary_page(
    chart: Chart,
    practice: ClinicDetails,
    today: date,
    version: str = "",
    pictures: Mapping[str, bytes] | None = None,
    details_open: Sequence[Conflict] = (),
) -> str:
    """The whole page as one HTML document (active sessions only; voided ones are left out).
    ``pictures``: small copies of the photos it shows, by file (``store.photos.page_pictures``);
    ``details_open``: the chart's own details still in conflict (``store.reading``)."""
    from mesolog.render.pictures import injection_map_section, photos_section

    patient = chart.patient
    title = f"Treatment summary: {patient.name or patient.id}"
    sessions = tuple(sorted(chart.active_sessions, key=lambda s: (s.date, s.id)))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_text(title)}</title><style>{_CSS}</style></head><body>",
        _clinic_header(practice, sessions),
        _patient_section(chart),
        _course_section(chart, today),
        _open_section(sessions, details_open),
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


def _clinic_header(practice: ClinicDetails, sessions: tuple[Session, ...]) -> str:
    """The clinic (its name, address, and the config's practitioner as the clinic's contact:
    not as who treated), then everyone who treated this patient."""
    clinic = practice.name or practice.practitioner
    lines = [f"<header><h1>{_text(clinic or 'Treatment summary')}</h1>"]
    if clinic:
        lines.append('<p class="muted">Treatment summary</p>')
    if practice.name and practice.practitioner:
        lines.append(f'<p class="free">Clinic contact: {_text(practice.practitioner)}</p>')
    if practice.address:
        lines.append(f'<div class="address">{_text(practice.address)}</div>')
    # Everyone who treated in these sessions, in the order they first did.
    treated = list(dict.fromkeys(s.practitioner for s in sessions if s.practitioner))
    if treated:
        word = "Practitioner" if len(treated) == 1 else "Practitioners"
        lines.append(f"<p><strong>{word}:</strong> {', '.join(_free(n) for n in treated)}</p>")
    lines.append("</header>")
    return "\n".join(lines)


def _facts(rows: list[tuple[str, str]]) -> str:
    """A label and its value per row; the values are HTML already (escaped by the caller)."""
    items = "".join(f"<dt>{_text(k)}</dt><dd>{v}</dd>" for k, v in rows if v)
    return f'<dl class="facts">{items}</dl>'


def _patient_section(chart: Chart) -> str:
    p = chart.patient
    rows = [
        ("Patient", _whole(p.id)),
        ("Name", _text(p.name or "")),
        ("Born", str(p.birth_year) if p.birth_year else ""),
    ]
    return f'<section id="patient" class="small"><h2>Patient</h2>{_facts(rows)}</section>'


def progress_sentence(state: prog.CourseProgress, today: date) -> str:
    """ "4 of 6 sessions, next due 2026-12-07", or "6 of 6 sessions, course complete"; a due
    date past ``today`` is marked "overdue by N days" (HTML: the date whole, overdue marked)."""
    done = f"{state.done} of {state.course.planned_sessions} sessions"
    if state.next_due is None:
        return f"{done}, course complete"
    late = (today - state.next_due).days
    overdue = (
        f' <span class="overdue">(overdue by {counted(late, "day")})</span>' if late > 0 else ""
    )
    return f"{done}, next due {_whole(state.next_due.isoformat())}{overdue}"


def _course_section(chart: Chart, today: date) -> str:
    body: list[str] = []
    current = prog.current_course(chart)
    for course in sorted(chart.courses, key=lambda c: c.start):
        state = prog.course_progress(chart, course)
        label = course.name + (" (current)" if course is current and len(chart.courses) > 1 else "")
        plan = f"{course.planned_sessions} sessions, every {course.interval_days} days, from "
        rows = [
            ("Course", _text(label)),
            ("For", _text(course.indication or "")),
            ("Plan", plan + _whole(course.start.isoformat())),
            ("Progress", progress_sentence(state, today)),
        ]
        body.append(_facts(rows))
    if not body:
        last = chart.last_session
        body.append(
            "<p>No course planned"
            + (f"; last session on {_whole(last.date.isoformat())}." if last else ".")
            + "</p>"
        )
    if prog.limited_evidence(chart):
        body.append(f'<p class="note">{_text(prog.LIMITED_EVIDENCE)}</p>')
    return f'<section id="course" class="small"><h2>Treatment course</h2>{"".join(body)}</section>'


def _product(given: Substance) -> str:
    words = [f"{_free(given.name)} {_whole(amount_text(given.amount, given.unit))}"]
    if given.lot:
        words.append(f"lot {_whole(given.lot)}")
    if given.expiry:
        words.append(f"expiry {_whole(given.expiry.isoformat())}")
    return f"<li>{', '.join(words)}</li>"


def _session_rows(item: Session) -> str:
    products = "".join(_product(s) for s in item.substances) or "<li>none recorded</li>"
    technique = item.technique + (f", {item.method}" if item.method else "")
    row = (
        f"<tr><td>{_whole(item.date.isoformat())}</td><td>{_free(', '.join(item.areas))}</td>"
        f'<td><ul class="products">{products}</ul></td><td>{_whole(number_text(item.depth_mm) + " mm")}</td>'
        f"<td>{_free(technique)}</td><td>{_free(item.anaesthetic)}</td>"
        f"<td>{_free(item.practitioner or 'not recorded')}</td></tr>"
    )
    if item.notes.strip():
        # Its lines as written (pre-line), long words wrapped anywhere.
        row += f'<tr><td class="notes" colspan="7">Note: {_text(item.notes.strip())}</td></tr>'
    # A session's rows are one group: its note never starts a page alone.
    return f'<tbody class="session">{row}</tbody>'


def _sessions_section(sessions: tuple[Session, ...]) -> str:
    if not sessions:
        return '<section id="sessions"><h2>Sessions</h2><p>No session recorded yet.</p></section>'
    cols = "".join(
        f'<col class="{c}">'
        for c in ("date", "areas", "products", "depth", "technique", "anaesthetic", "by")
    )
    head = (
        "<thead><tr><th>Date</th><th>Areas</th><th>Products (amount, lot, expiry)</th>"
        "<th>Depth</th><th>Technique</th><th>Anaesthetic</th><th>Treated by</th></tr></thead>"
    )
    rows = "".join(_session_rows(s) for s in sessions)
    return (
        f'<section id="sessions"><h2>Sessions</h2><table class="sessions"><colgroup>{cols}</colgroup>{head}'
        f"{rows}</table></section>"
    )


def _complications_section(sessions: tuple[Session, ...]) -> str:
    items = []
    for item in sessions:
        for c in item.complications:
            details = [_text(severity_text(c.severity))]
            details += [
                f"{word} {_whole(when.isoformat())}"
                for word, when in (("began", c.onset), ("resolved", c.resolved))
                if when
            ]
            details.append(f"outcome: {_text(c.outcome or 'not recorded')}")
            items.append(
                f"<li>{_free(c.name)} after the session of {_whole(item.date.isoformat())}: "
                f"{', '.join(details)}</li>"
            )
    body = f"<ul>{''.join(items)}</ul>" if items else "<p>None recorded.</p>"
    # A short list stays on one page with its heading; a long one breaks between items.
    small = ' class="small"' if len(items) <= SMALL_LIST else ""
    return f'<section id="complications"{small}><h2>Complications</h2>{body}</section>'


def _open_section(sessions: tuple[Session, ...], details: Sequence[Conflict]) -> str:
    """Values two records disagree on (a merge conflict not yet settled): the page shows the
    value kept meanwhile, so it says which, before anyone reads it as final. The chart's own
    details (the patient's, a course's) come first, as the page does."""
    items = [
        f"<li>Chart details, {_free(c.field)}: {_free(c.kept)} shown, {_free(c.other)} also "
        "recorded</li>"
        for c in details
    ]
    items += [
        f"<li>Session of {_whole(item.date.isoformat())}, {_free(c.field)}: "
        f"{_free(c.kept)} shown, {_free(c.other)} also recorded</li>"
        for item in sessions
        for c in item.conflicts
    ]
    if not items:
        return ""
    return (
        '<section id="open"><h2>Awaiting the practitioner\'s decision</h2>'
        "<p>Two records of this chart disagree on these values; the page shows one of them "
        f"until the practitioner settles it:</p><ul>{''.join(items)}</ul></section>"
    )


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
        return f"{name}: {number_text(trend.first)} on {first_day.isoformat()} (one measurement so far)"
    percent = trend.percent
    change = (
        f"{percent:+.1f} %"
        if percent is not None
        else f"{trend.change:+g} (from zero, no percentage)"
    )
    return (
        f"{name}: {number_text(trend.first)} on {first_day.isoformat()} to {number_text(trend.latest)} "
        f"on {last_day.isoformat()}, change {change}"
    )


def _figure(trend: prog.MeasurementTrend, index: int) -> str:
    values = ", ".join(_whole(f"{d.isoformat()}: {number_text(v)}") for d, v in trend.values)
    return (
        f"<figure>{line_chart(trend, index)}<figcaption><strong>{_dates_whole(change_caption(trend))}"
        f'</strong><br><span class="muted">Values: {values}</span></figcaption></figure>'
    )


def _dates_whole(text: str) -> str:
    """``text`` escaped, each ISO date in it kept whole."""
    import re

    return re.sub(r"\d{4}-\d{2}-\d{2}", lambda m: _whole(m.group()), _text(text))


def _aftercare_section(chart: Chart, practice: ClinicDetails) -> str:
    indication = prog.indication_of(chart)
    heading = f"Aftercare ({indication})" if indication else "Aftercare"
    return (
        f'<section id="aftercare" class="page"><h2>{_text(heading)}</h2>'
        f'<p class="aftercare">{_text(practice.aftercare_for(indication))}</p></section>'
    )


# A section with at most this many list items is kept on one page (with its heading).
SMALL_LIST = 8


# --- the chart: hand-written SVG ---------------------------------------------------------------

_W, _H = 640, 220
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 40, 16, 44


def line_chart(trend: prog.MeasurementTrend, index: int = 0) -> str:
    """One measurement over time: dates on the x axis (spaced by the days between them), the
    values joined by a line, the first value ringed and labelled."""
    days = [(d - trend.values[0][0]).days for d, _ in trend.values]
    values = [v for _, v in trend.values]
    span_days = max(days[-1], 1)
    ticks = axis_ticks(min(values), max(values))
    low, high = ticks[0], ticks[-1]
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
    for value in ticks:
        out.append(
            f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            'stroke="#ddd"/>'
            f'<text x="{_LEFT - 4}" y="{y(value) + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#555">{number_text(round(value, 6))}</text>'
        )
    labelled = _labelled([px for px, _ in points])
    for (px, _), (day, _v) in zip(points, trend.values, strict=True):
        if px in labelled:
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
        f"first: {number_text(trend.first)}</text>"
    )
    out.append("</svg>")
    return "".join(out)


def axis_ticks(low: float, high: float) -> list[float]:
    """The y axis's labelled values: round steps (1, 2 or 5 times a power of ten) from below the
    lowest value to above the highest. The axis spans at least a tenth of the values' size, so
    80 kg to 80.5 kg is drawn as the small change it is, not full height."""
    import math

    size = max(abs(low), abs(high))
    least = max(size * 0.1, 1e-9) if size else 1.0
    if high - low < least:
        middle = (low + high) / 2
        low, high = middle - least / 2, middle + least / 2
    rough = (high - low) / 4
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    first, last = math.floor(low / step), math.ceil(high / step)
    return [round(n * step, 10) for n in range(first, last + 1)]


def _labelled(xs: list[float]) -> list[float]:
    """The points whose date is drawn: date labels are 60 units wide, so a label is left out
    when the previous drawn one is too close (the first and the last are always drawn; every
    value is in the caption anyway)."""
    drawn = [xs[0]]
    for candidate in xs[1:-1]:
        if candidate - drawn[-1] >= 64 and xs[-1] - candidate >= 64:
            drawn.append(candidate)
    return [*drawn, xs[-1]]
