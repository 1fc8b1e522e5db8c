"""Photos and the injection map as people see them: the timeline in a terminal, and the parts
of the summary page (first and latest picture per view) (see docs/photos.md)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from html import escape
from typing import TYPE_CHECKING

from mesolog.model import zones
from mesolog.model.photos import Shot, first_and_latest, folder, timeline
from mesolog.model.values import number_text
from mesolog.render.console import console, counted, shown, write

if TYPE_CHECKING:
    from rich.console import RenderableType

    from mesolog.model import Chart, Session, Zone


def show_timeline(chart: Chart) -> None:
    """Per view, one line per picture: session, session date, stage and file name (whose
    start says the same, for ``ls``). The folder is said once, so a line stays within 80
    columns for any patient id and session number below a million. Narrower than a view's
    rows, each file goes on a line of its own under its row: whole, never cut by the
    terminal in the middle of its name."""
    views = timeline(chart)
    count = sum(len(shots) for shots in views.values())
    if not count:
        write(f"{chart.patient.id}: no photos yet (add one with `mesolog photo add`).")
        return
    width = console().width
    lines = [f"{chart.patient.id}: {counted(count, 'photo')} in {folder(chart.patient.id)}/"]
    for name, shots in views.items():
        cells = [_cells(shot) for shot in shots]
        rows = ["  " + _row(*row) for row in cells]
        lines += ["", f"{name} ({len(shots)})"]
        if max(len(row) for row in rows) <= width:
            lines += ["  " + _row("session", "date", "stage", "file"), *rows]
            continue
        lines += ["  " + _row("session", "date", "stage"), "    file"]
        for *row, file in cells:
            lines += ["  " + _row(*row), "    " + file]
    write("\n".join(lines))


def _row(*cells: str) -> str:
    widths = (7, 10, 6)
    padded = [cell.ljust(width) for cell, width in zip(cells, widths, strict=False)]
    return "  ".join([*padded, *cells[len(widths) :]]).rstrip()


def _cells(shot: Shot) -> tuple[str, str, str, str]:
    """A picture's session, date, stage and file name."""
    item = shot.photo
    return str(shot.session), shot.day.isoformat(), item.stage or "", item.file.rsplit("/", 1)[-1]


# --- the summary page ----------------------------------------------------------------------------

_PHOTO_CSS = """
section#photos .pair { display: grid; grid-template-columns: 1fr 1fr; gap: 4mm; margin: 0 0 5mm;
  break-inside: avoid; }
section#photos h3 { font-size: 11pt; margin: 3mm 0 1.5mm; break-after: avoid; }
section#photos figure { margin: 0; }
section#photos img { display: block; width: 100%; max-height: 100mm; object-fit: contain;
  background: #f4f4f4; }
section#photos figcaption { font-size: 9pt; margin-top: 1mm; }
section#photos .absent { border: 0.3mm dashed #999; padding: 8mm 2mm; text-align: center; color: #555; }
"""


def photos_section(chart: Chart, pictures: Mapping[str, bytes]) -> str:
    """Per view, the first and the latest picture side by side with their dates and session
    numbers, each embedded as a data URI (the page stays one file). Empty without photos."""
    views = timeline(chart)
    if not views:
        return ""
    blocks = [f"<style>{_PHOTO_CSS}</style>", '<section id="photos"><h2>Photos</h2>']
    for name, shots in views.items():
        first, latest = first_and_latest(shots)
        figures = _figure("First", first, pictures)
        figures += (
            _figure("Latest", latest, pictures)
            if latest
            else '<p class="muted">Only one picture of this view so far.</p>'
        )
        blocks.append(
            f'<div class="view"><h3>{escape(name.capitalize())} view</h3><div class="pair">{figures}</div></div>'
        )
    blocks.append("</section>")
    return "\n".join(blocks)


def _figure(label: str, shot: Shot, pictures: Mapping[str, bytes]) -> str:
    item = shot.photo
    caption = f"{label}: {shot.day.isoformat()}, session {shot.session}" + (
        f", {item.stage}" if item.stage else ""
    )
    data = pictures.get(item.file)
    if data is None:
        body = f'<div class="absent">picture not in the data folder ({escape(item.file)})</div>'
    else:
        uri = "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")
        alt = f"{item.view or ''} view, {caption}"
        body = f'<img src="{uri}" alt="{escape(alt)}">'
    return f"<figure>{body}<figcaption>{escape(caption)}</figcaption></figure>"


# --- the injection map in the report ---------------------------------------------------------------


def zones_line(session: Session) -> str:
    """A session's zones on one line, grouped by area as typed, each with points/ml ("scalp:
    vertex 40/1.5, frontal 20"): short, so that a session's zones fit one 80-column line."""
    areas: dict[str, list[str]] = {}
    for place in session.zones:
        areas.setdefault(place.area, []).append(f"{place.zone} {_dose(place)}".strip())
    return "; ".join(f"{area}: {', '.join(zones)}" for area, zones in areas.items())


def _dose(place: Zone) -> str:
    """Points/ml: "40/1.5", "40" (no amount), "-/1.5" (no points), "" (neither)."""
    amount = "" if place.amount is None else number_text(place.amount)
    points = "" if place.points is None else str(place.points)
    return f"{points or '-'}/{amount}" if amount else points


MAP_TITLE = "Injection map (points/ml per zone)"


def injection_map_part(sessions: tuple[Session, ...]) -> RenderableType:
    """The report's "Injection map": one line per session with zones (its number and zones),
    wrapping under itself when a session has more than a line holds (never cut)."""
    from rich.console import Group
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for s in (s for s in sessions if s.zones):
        style = "strike dim" if s.voided else ""
        grid.add_row(shown(f"#{s.id}", style=style), shown(zones_line(s), style=style))
    return Group(shown(MAP_TITLE, style="italic"), grid)


# --- the injection map on the summary page ---------------------------------------------------------
#
# Each area is drawn as a schematic outline in a 240 x 200 box (its shape clips the zones), and
# each catalogue zone as a rectangle inside it, shaded by its points. Front views show the
# patient's right on the viewer's left (as facing the patient); the scalp is seen from above,
# forehead at the top. A zone with no shape here (a clinic's own) is drawn as a box below.

Box = tuple[float, float, float, float]
_OUTLINES: dict[str, str] = {
    "scalp": '<ellipse cx="120" cy="100" rx="85" ry="95"/>',
    "face": '<ellipse cx="120" cy="100" rx="70" ry="95"/>',
    "neck": '<path d="M60 0 H180 V140 Q220 160 230 200 H10 Q20 160 60 140 Z"/>',
    "décolleté": '<path d="M10 0 H230 V150 Q120 215 10 150 Z"/>',
    "abdomen": '<rect x="30" y="5" width="180" height="190" rx="40"/>',
    "flanks": '<path d="M20 10 H90 V190 H20 Z M150 10 H220 V190 H150 Z"/>',
    "thighs": '<path d="M15 5 H115 V195 H30 Z M125 5 H225 L210 195 H125 Z"/>',
    "buttocks": '<path d="M15 30 Q15 5 65 5 H115 V190 H40 Q15 190 15 150 Z M125 5 H175 Q225 5 225 30 V150 Q225 190 200 190 H125 Z"/>',
    "arms": '<path d="M20 5 H100 L90 195 H30 Z M140 5 H220 L210 195 H150 Z"/>',
}
_ANY_OUTLINE = '<rect x="5" y="5" width="230" height="190" rx="20"/>'  # a clinic's own area
_SHAPES: dict[str, dict[str, Box]] = {
    "scalp": {
        "frontal": (35, 0, 170, 50),
        "mid-scalp": (80, 50, 80, 55),
        "vertex": (80, 105, 80, 50),
        "temporal left": (30, 50, 50, 105),
        "temporal right": (160, 50, 50, 105),
        "occipital": (35, 155, 170, 45),
    },
    "face": {
        "forehead": (50, 5, 140, 45),
        "glabella": (100, 50, 40, 22),
        "periorbital right": (55, 50, 45, 30),
        "periorbital left": (140, 50, 45, 30),
        "cheek right": (50, 80, 50, 50),
        "cheek left": (140, 80, 50, 50),
        "nasolabial right": (100, 100, 20, 35),
        "nasolabial left": (120, 100, 20, 35),
        "perioral": (100, 135, 40, 25),
        "chin": (95, 160, 50, 40),
        "jawline right": (50, 130, 45, 50),
        "jawline left": (145, 130, 45, 50),
    },
    "neck": {
        "side right": (10, 0, 70, 200),
        "front": (80, 0, 80, 200),
        "side left": (160, 0, 70, 200),
    },
    "décolleté": {
        "upper": (10, 0, 220, 60),
        "side right": (10, 60, 75, 140),
        "centre": (85, 60, 70, 140),
        "side left": (155, 60, 75, 140),
    },
    "abdomen": {
        "upper right": (30, 5, 90, 75),
        "upper left": (120, 5, 90, 75),
        "periumbilical": (80, 80, 80, 45),
        "lower right": (30, 125, 90, 70),
        "lower left": (120, 125, 90, 70),
    },
    "flanks": {"right": (20, 10, 70, 180), "left": (150, 10, 70, 180)},
    "thighs": {
        "outer right": (15, 5, 25, 190),
        "front right": (40, 5, 30, 190),
        "inner right": (70, 5, 25, 190),
        "back right": (95, 5, 20, 190),
        "back left": (125, 5, 20, 190),
        "inner left": (145, 5, 25, 190),
        "front left": (170, 5, 30, 190),
        "outer left": (200, 5, 25, 190),
    },
    "buttocks": {
        "right": (15, 5, 100, 130),
        "lower right": (15, 135, 100, 60),
        "left": (125, 5, 100, 130),
        "lower left": (125, 135, 100, 60),
    },
    "arms": {
        "back right": (20, 5, 40, 190),
        "inner right": (60, 5, 40, 190),
        "inner left": (140, 5, 40, 190),
        "back left": (180, 5, 40, 190),
    },
}
_SHADES = ("#fde7d9", "#f7b99a", "#ee8a65", "#d9583a", "#a8321c")  # light to dark: more points
_UNRECORDED = "#e8e0f0"  # treated, points not recorded


@dataclass(frozen=True)
class MapOfArea:
    """One area's map: the session it shows and its zones (catalogue name -> the zone)."""

    area: str
    session: int
    day: date
    zones: dict[str, Zone]


def area_maps(chart: Chart) -> list[MapOfArea]:
    """Per area with zones, the latest active session's zones there (what the next session
    builds on), in the catalogue's order of areas."""
    latest: dict[str, MapOfArea] = {}
    for s in sorted(chart.active_sessions, key=lambda s: (s.date, s.id)):
        here: dict[str, dict[str, Zone]] = {}
        for place in s.zones:
            name = zones.DEFAULT.zone(place.area, place.zone) or zones.zone_key(place.zone)
            here.setdefault(zones.area_key(place.area), {})[name] = place
        for area, found in here.items():
            latest[area] = MapOfArea(area, s.id, s.date, found)
    order = {name: n for n, name in enumerate(zones.ZONES)}
    return sorted(latest.values(), key=lambda m: (order.get(m.area, len(order)), m.area))


def _shade(points: int | None, most: int) -> str:
    if points is None:
        return _UNRECORDED
    step = min(len(_SHADES) - 1, (points * len(_SHADES) - 1) // max(most, 1))
    return _SHADES[step]


def _label(zone: str) -> str:
    """A zone's name shortened to fit its box: "temporal left" -> "temp. L"."""
    words = (
        zone.replace("periorbital", "orbit.")
        .replace("temporal", "temp.")
        .replace("nasolabial", "nasolab.")
        .split()
    )
    return " ".join({"left": "L", "right": "R"}.get(w, w) for w in words)


def map_svg(one: MapOfArea, index: int, most: int) -> str:
    """The area's outline with its zones shaded by points, each treated zone labelled with its
    name, points and ml (font at least 9 units of a 240-unit width: 9 pt when printed)."""
    shapes = _SHAPES.get(one.area, {})
    extra = [name for name in one.zones if name not in shapes]
    height = 200 + 34 * ((len(extra) + 2) // 3)
    clip = f"map-clip-{index}"
    outline = _OUTLINES.get(one.area, _ANY_OUTLINE)
    parts = [
        f'<svg viewBox="0 0 240 {height}" role="img" aria-label="{escape(one.area)} injection map"'
        ' xmlns="http://www.w3.org/2000/svg" font-family="DejaVu Sans, Arial, sans-serif">',
        f'<defs><clipPath id="{clip}">{outline}</clipPath></defs>',
        f'<g clip-path="url(#{clip})">',
    ]
    labels = []  # drawn over the outline
    for name, (x, y, w, h) in shapes.items():
        place = one.zones.get(name)
        fill = _shade(place.points, most) if place else "#ffffff"
        parts.append(
            f'<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{fill}" stroke="#777" stroke-width="0.8"/>'
        )
        if place is not None:
            labels.append(_zone_text(x + w / 2, y + h / 2, name, place, fill))
    parts += ["</g>", f'<g fill="none" stroke="#222" stroke-width="1.6">{outline}</g>', *labels]
    for n, name in enumerate(extra):
        x, y = 5 + 78 * (n % 3), 204 + 34 * (n // 3)
        place = one.zones[name]
        fill = _shade(place.points, most)
        parts.append(f'<rect x="{x}" y="{y}" width="74" height="30" fill="{fill}" stroke="#777"/>')
        parts.append(_zone_text(x + 37, y + 15, name, place, fill))
    parts.append("</svg>")
    return "".join(parts)


def _zone_text(cx: float, cy: float, name: str, place: Zone, fill: str) -> str:
    lines = [_label(name)]
    if place.points is not None:
        lines.append(f"{place.points} pts")
    if place.amount is not None:
        lines.append(f"{number_text(place.amount)} ml")
    top = cy - 5.5 * (len(lines) - 1)
    spans = "".join(
        f'<tspan x="{cx:g}" y="{top + 11 * n:g}">{escape(line)}</tspan>'
        for n, line in enumerate(lines)
    )
    # White on the two darkest shades, black on the others: readable in print and on screen.
    ink = "#fff" if fill in _SHADES[-2:] else "#111"
    return f'<text text-anchor="middle" dominant-baseline="middle" font-size="9.5" fill="{ink}">{spans}</text>'


_MAP_CSS = """
section#injection-map .maps { display: grid; grid-template-columns: 1fr 1fr; gap: 4mm 6mm; }
section#injection-map figure { margin: 0; break-inside: avoid; }
section#injection-map figure svg { width: 100%; height: auto; max-height: 90mm; }
section#injection-map .legend { display: flex; flex-wrap: wrap; gap: 1mm 4mm; font-size: 9pt;
  margin: 0 0 3mm; break-inside: avoid; }
section#injection-map .swatch { display: inline-block; width: 4mm; height: 4mm; border: 0.2mm solid #777;
  vertical-align: middle; margin-right: 1mm; }
"""


def injection_map_section(chart: Chart) -> str:
    """ "Injection map": per area, the latest session's zones drawn on the area's outline,
    shaded by points, with a legend. Empty when no session has zones."""
    maps = area_maps(chart)
    if not maps:
        return ""
    most = max((p.points or 0 for m in maps for p in m.zones.values()), default=0)
    figures = [
        f"<figure>{map_svg(one, n, most)}<figcaption>{escape(one.area.capitalize())}: session "
        f"{one.session}, {one.day.isoformat()}</figcaption></figure>"
        for n, one in enumerate(maps)
    ]
    return (
        f"<style>{_MAP_CSS}</style>"
        '<section id="injection-map"><h2>Injection map</h2>'
        f"{_legend(most)}"
        f'<div class="maps">{"".join(figures)}</div></section>'
    )


def _legend(most: int) -> str:
    """The shades and the points each stands for; numbers in a zone are points, then ml."""
    steps = len(_SHADES)
    swatches = []
    for n, colour in enumerate(_SHADES):
        low = n * most // steps + 1
        high = (n + 1) * most // steps
        if most and low <= high:
            swatches.append((colour, f"{low}–{high} points"))
    swatches += [(_UNRECORDED, "points not recorded"), ("#fff", "not treated")]
    items = [
        f'<span><span class="swatch" style="background:{colour}"></span>{words}</span>'
        for colour, words in swatches
    ]
    items.append("<span>Each zone: its points (pts) and amount (ml) at that session.</span>")
    return f'<div class="legend">{"".join(items)}</div>'
