"""Photos and the injection map as people see them: the timeline in a terminal, and the parts
of the summary page (first and latest picture per view) (see docs/photos.md)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from html import escape
from typing import TYPE_CHECKING

from mesolog.model.photos import Shot, first_and_latest, folder, timeline
from mesolog.render.console import counted, write

if TYPE_CHECKING:
    from mesolog.model import Chart


def timeline_lines(chart: Chart) -> list[str]:
    """Per view, one line per picture: session, session date, stage and file name (whose
    start says the same, for ``ls``). The folder is said once, so a line stays within 80
    columns for any patient id and session number below a million."""
    views = timeline(chart)
    count = sum(len(shots) for shots in views.values())
    if not count:
        return [f"{chart.patient.id}: no photos yet (add one with `mesolog photo add`)."]
    lines = [f"{chart.patient.id}: {counted(count, 'photo')} in {folder(chart.patient.id)}/"]
    for name, shots in views.items():
        lines += ["", f"{name} ({len(shots)})", "  " + _row("session", "date", "stage", "file")]
        lines += ["  " + _shot_row(shot) for shot in shots]
    return lines


def _row(*cells: str) -> str:
    widths = (7, 10, 6)
    padded = [cell.ljust(width) for cell, width in zip(cells, widths, strict=False)]
    return "  ".join([*padded, *cells[len(widths):]]).rstrip()


def _shot_row(shot: Shot) -> str:
    item = shot.photo
    name = item.file.rsplit("/", 1)[-1]
    return _row(str(shot.session), shot.day.isoformat(), item.stage or "", name)


def show_timeline(chart: Chart) -> None:
    write("\n".join(timeline_lines(chart)))


def first_and_latest_pairs(chart: Chart) -> list[tuple[str, Shot, Shot | None]]:
    """(view, first, latest) for every view with a picture: what the summary page compares."""
    return [(name, *first_and_latest(shots)) for name, shots in timeline(chart).items()]


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
    pairs = first_and_latest_pairs(chart)
    if not pairs:
        return ""
    blocks = [f"<style>{_PHOTO_CSS}</style>", '<section id="photos"><h2>Photos</h2>']
    for name, first, latest in pairs:
        figures = _figure("First", first, pictures)
        figures += _figure("Latest", latest, pictures) if latest else '<p class="muted">Only one picture of this view so far.</p>'
        blocks.append(f'<div class="view"><h3>{escape(name.capitalize())} view</h3><div class="pair">{figures}</div></div>')
    blocks.append("</section>")
    return "\n".join(blocks)


def _figure(label: str, shot: Shot, pictures: Mapping[str, bytes]) -> str:
    item = shot.photo
    caption = f"{label}: {shot.day.isoformat()}, session {shot.session}" + (f", {item.stage}" if item.stage else "")
    data = pictures.get(item.file)
    if data is None:
        body = f'<div class="absent">picture not in the data folder ({escape(item.file)})</div>'
    else:
        uri = "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")
        alt = f"{item.view or ''} view, {caption}"
        body = f'<img src="{uri}" alt="{escape(alt)}">'
    return f"<figure>{body}<figcaption>{escape(caption)}</figcaption></figure>"
