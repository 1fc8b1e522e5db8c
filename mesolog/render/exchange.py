"""Records for other programs: JSON, CSV and FHIR exports."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

from mesolog.model import Chart, complication_text

if TYPE_CHECKING:
    pass

from mesolog.render.console import (
    _day,
    _number,
    to_csv,
    to_json,
    write,
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
        from mesolog.render import fhir

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
                "; ".join(f"{k}={_number(v)}" for k, v in s.measurements.items()),
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
