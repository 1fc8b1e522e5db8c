"""``import FILE``, the part that touches files: read the file and its map (writing a first map
when there is none), read the charts the rows name, and hand everything to the model's planner.
Writing the plan is :meth:`Clinic.import_charts`."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from mesolog.model import Chart
from mesolog.model import importing as plan_
from mesolog.model.drafting import ClinicDefaults
from mesolog.store.clinic import Clinic
from mesolog.store.codec import decode_chart
from mesolog.store.tables import Table, kind_of, read_json, read_map, read_table, write_map

# Keys of mesolog's JSON export that hold a date or a moment (JSON has only text for them).
_DAYS = frozenset({"date", "expiry", "onset", "resolved", "start", "taken"})
_MOMENTS = frozenset({"recorded", "created", "at"})


@dataclass(frozen=True)
class MapWritten:
    """A first map was written beside the file; the practitioner checks it and runs again."""

    path: Path
    unmapped: list[str]


def _typed(value: Any, key: str = "") -> Any:
    """JSON export values as TOML would give them: dates and moments as objects, no nulls."""
    if isinstance(value, dict):
        return {k: _typed(v, k) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_typed(v, key) for v in value]
    if isinstance(value, str) and key in _DAYS:
        return date.fromisoformat(value)
    if isinstance(value, str) and key in _MOMENTS:
        return datetime.fromisoformat(value)
    return value


def exported_charts(path: Path) -> tuple[list[Chart], str | None]:
    """The charts of a ``mesolog export --format json`` file, checked as a chart file is, and
    the clinic identity the file carries."""
    from mesolog.errors import UnreadableImport

    charts = []
    records, identity = read_json(path)
    for n, raw in enumerate(records):
        try:
            charts.append(decode_chart(path, _typed(raw)))
        except (ValueError, TypeError) as error:
            raise UnreadableImport(
                f"{path}: chart {n + 1} holds a value that is not valid ({error})."
            ) from None
    return charts, identity


class _Charts:
    """The existing chart of a patient id (ignoring case), each read once."""

    def __init__(self, clinic: Clinic) -> None:
        self.clinic = clinic
        self.read: dict[str, Chart | None] = {}

    def __call__(self, patient_id: str) -> Chart | None:
        key = patient_id.lower()
        if key not in self.read:
            found = self.clinic.find(patient_id)
            self.read[key] = self.clinic.load_writable(found.stem) if found else None
        return self.read[key]


def prepare(
    clinic: Clinic,
    path: Path,
    practice: ClinicDefaults,
    today: date,
    recorded: datetime,
    new_ids: Collection[str] = (),
) -> plan_.ImportPlan | MapWritten:
    """What importing ``path`` would do (nothing is written to the clinic here); ``new_ids``
    are ids the practitioner says are new patients though close to an existing one."""
    charts = _Charts(clinic)
    if kind_of(path) == "json":
        exported, identity = exported_charts(path)
        plan = plan_.plan_restore(path.name, exported, charts, today)
        plan.clinic_id = identity
        return plan
    table = read_table(path)
    cmap = column_map(path, table)
    if isinstance(cmap, MapWritten):
        return cmap
    rows = plan_.mapped_rows(table.header, table.rows, cmap, table.numbers)
    return plan_.plan_import(
        path.name, rows, cmap.date_format, charts, practice, today, recorded, clinic.people, new_ids
    )


def column_map(path: Path, table: Table) -> plan_.ColumnMap | MapWritten:
    """mesolog's own columns, the map beside the file, or a first map written now."""
    data = read_map(path)
    if data is not None:
        return plan_.load_map(data, path.name + ".map.toml")
    if plan_.is_own_format(table.header):
        return plan_.own_map(table.header)
    text, unmapped = plan_.draft_map(path.name, table.header, table.rows)
    return MapWritten(write_map(path, text), unmapped)
