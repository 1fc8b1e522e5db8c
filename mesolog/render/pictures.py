"""Photos and the injection map as people see them: the timeline in a terminal, and the parts
of the summary page (first and latest picture per view) (see docs/photos.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mesolog.model.photos import Shot, first_and_latest, folder, timeline
from mesolog.render.console import counted, write

if TYPE_CHECKING:
    from mesolog.model import Chart


def timeline_lines(chart: Chart) -> list[str]:
    """Per view, one line per picture: session, session date, stage, the camera's day and the
    file name. The folder is said once, so a line stays within 80 columns for any patient id."""
    views = timeline(chart)
    count = sum(len(shots) for shots in views.values())
    if not count:
        return [f"{chart.patient.id}: no photos yet (add one with `mesolog photo add`)."]
    lines = [f"{chart.patient.id}: {counted(count, 'photo')} in {folder(chart.patient.id)}/"]
    for name, shots in views.items():
        lines += ["", f"{name} ({len(shots)})", "  " + _row("session", "date", "stage", "taken", "file")]
        lines += ["  " + _shot_row(shot) for shot in shots]
    return lines


def _row(*cells: str) -> str:
    widths = (7, 10, 6, 10)
    padded = [cell.ljust(width) for cell, width in zip(cells, widths, strict=False)]
    return "  ".join([*padded, *cells[len(widths):]]).rstrip()


def _shot_row(shot: Shot) -> str:
    item = shot.photo
    taken = item.taken.isoformat() if item.taken else ""
    name = item.file.rsplit("/", 1)[-1]
    return _row(str(shot.session), shot.day.isoformat(), item.stage or "", taken, name)


def show_timeline(chart: Chart) -> None:
    write("\n".join(timeline_lines(chart)))


def first_and_latest_pairs(chart: Chart) -> list[tuple[str, Shot, Shot | None]]:
    """(view, first, latest) for every view with a picture: what the summary page compares."""
    return [(name, *first_and_latest(shots)) for name, shots in timeline(chart).items()]
