"""``import FILE``, the part that touches files: read the file and its map (writing a first map
when there is none), read the charts the rows name, and hand everything to the model's planner.
Writing the plan is :meth:`Clinic.import_charts`."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from mesolog.errors import InvalidValue, UnreadableImport
from mesolog.model import Chart
from mesolog.model import import_map as map_
from mesolog.model import importing as plan_
from mesolog.model.import_ids import TypoCheck
from mesolog.model.import_rows import Drafting, Row
from mesolog.store.clinic import Clinic, ImportWritten
from mesolog.store.codec import decode_chart
from mesolog.store.tables import (
    SourceRow,
    kind_of,
    map_path,
    open_table,
    read_json,
    read_map,
    spilled,
    write_map,
)

# Keys of mesolog's JSON export that hold a date or a moment (JSON has only text for them).
_DAYS = frozenset({"date", "expiry", "onset", "resolved", "start", "taken"})
_MOMENTS = frozenset({"recorded", "created", "at"})


@dataclass(frozen=True)
class MapWritten:
    """A first map was written beside the file; the practitioner checks it and runs again."""

    path: Path
    unmapped: list[str]
    dates: str = ""  # when the dates read both day first and month first
    header: str = ""  # when the header row read looks like a group row above it


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


def _charts(clinic: Clinic) -> Callable[[str], Chart | None]:
    """The existing chart of a patient id (ignoring case). The charts read last are kept (a
    file's rows of one patient are usually together), so that a file naming every patient of
    a large clinic does not hold the whole clinic in memory; a chart asked again is read
    again."""
    import functools

    @functools.lru_cache(maxsize=256)
    def chart(patient_id: str) -> Chart | None:
        found = clinic.find(patient_id)
        return clinic.load_writable(found.stem) if found else None

    return chart


def _holders(clinic: Clinic) -> Callable[[], dict[str, plan_.Holder]]:
    """Who holds each session and patient uid of the clinic, read once when first asked (a
    restored export asks it); a chart that cannot be read holds none."""
    import functools

    @functools.cache
    def holders() -> dict[str, plan_.Holder]:
        # A patient's uid is stored (a restored export), else made with the clinic's secret,
        # as its export writes it (docs/exports.md).
        keys = clinic.existing_export_keys()
        found: dict[str, plan_.Holder] = {}
        for entry in clinic.entries():
            if entry.chart is None:
                continue
            patient = entry.chart.patient
            uid = keys.patient_key(patient) if keys else patient.uid
            if uid:
                found.setdefault(uid, (patient.id, None))
            for session in entry.chart.sessions:
                found.setdefault(session.uid, (patient.id, session.id))
        return found

    return holders


@dataclass(frozen=True)
class ImportOptions:
    """How to read the file, besides its name (see ``docs/import.md``)."""

    map_file: Path | None = None  # --map: one map for many files (else FILE.map.toml)
    encoding: str | None = None  # --encoding, when the file has no byte-order mark
    header_row: int | None = None  # --header-row (else the map's, else 1)
    new_ids: Collection[str] = ()  # --new-patient: close to an existing id, but new


def prepare(
    clinic: Clinic, path: Path, how: Drafting, options: ImportOptions = ImportOptions()
) -> plan_.ImportPlan | MapWritten:
    """What importing ``path`` would do (nothing is written to the clinic here); ``how`` holds
    the clinic's defaults, today and the moment of recording (its date format is the map's)."""
    found = _source(clinic, path, how.today, options)
    if not isinstance(found, plan_.Source):
        return found
    how = replace(how, date_format=found.date_format)
    # A dry run counts the sessions of a long file without keeping them (see apply).
    return plan_.plan_rows(found, _charts(clinic), how, clinic.people, options.new_ids)


def apply(
    clinic: Clinic,
    path: Path,
    planned: plan_.ImportPlan,
    how: Drafting,
    author: str,
    options: ImportOptions = ImportOptions(),
) -> plan_.ImportPlan:
    """Write what the dry run ``planned``: as planned when the plan holds every session (a
    short file); else the file streams through the planner again and each patient's chart is
    written as soon as its last session is drafted, so memory stays flat however long the
    file. A file that changed since the dry run stops the import, and every chart is put back
    (:meth:`Clinic.import_charts`)."""
    if planned.whole:  # a short file, or mesolog's own JSON export: written as planned
        charts = list(planned.charts.values())
        written = clinic.import_charts(charts, planned.file_name, author, planned.clinic_id)
        return _as_written(planned, written)
    found = _source(clinic, path, how.today, options)
    if not isinstance(found, plan_.Source):
        raise UnreadableImport(f"{path} changed since it was read: run the import again.")
    how = replace(how, date_format=found.date_format)
    plan = plan_.ImportPlan(found.file_name, 0, found.unit)
    stream = plan_.stream_rows(plan, found, _charts(clinic), how, clinic.people, options.new_ids)
    written = clinic.import_charts(_written(stream, planned, plan), plan.file_name, author)
    return _as_written(plan, written)


def _as_written(plan: plan_.ImportPlan, written: ImportWritten) -> plan_.ImportPlan:
    """The plan as it was written: a session another import (or command) wrote into its chart
    after the plan was made is in the charts already, and the report says so (two imports of
    one file at once do not both say they imported it)."""
    meanwhile = plan.sessions - written.sessions
    plan.written = (written.sessions, len(written.paths))
    plan.already_imported += max(meanwhile, 0)
    return plan


def _written(
    stream: Iterator[plan_.ChartPlan], planned: plan_.ImportPlan, plan: plan_.ImportPlan
) -> Iterator[plan_.ChartPlan]:
    """Each chart plan, its sessions let go once written; the same rows as the dry run's."""
    for chart in stream:
        yield chart
        chart.count, chart.sessions = chart.planned, []
    if len({r.row for r in plan.rejected}) != len({r.row for r in planned.rejected}):
        raise UnreadableImport(f"{plan.file_name} changed since it was read: run the import again.")


def _source(
    clinic: Clinic, path: Path, today: date, options: ImportOptions
) -> plan_.Source | plan_.ImportPlan | MapWritten:
    """The rows of ``path`` to plan from; mesolog's own JSON export is planned whole here."""
    from functools import partial

    kind = kind_of(path)
    if options.encoding and kind != "csv":  # never ignored: a workbook or JSON names its own
        raise InvalidValue("--encoding", options.encoding, f"a .{kind} file names its own encoding")
    if kind != "json":
        return _spreadsheet(path, options)
    data, _ = read_json(path)
    if all(isinstance(chart.get("patient"), dict) for chart in data):  # mesolog's own export
        exported, identity = exported_charts(path)
        charts = _charts(clinic)
        typo = TypoCheck(
            clinic.people,
            {i.casefold() for i in options.new_ids},
            partial(plan_.chart_birth_year, charts),
        )
        plan = plan_.plan_restore(path.name, exported, charts, today, _holders(clinic), typo)
        plan.clinic_id = identity
        return plan
    if not all(isinstance(visit["patient"], str) for visit in data):  # a list of visits
        raise UnreadableImport(
            f"{path} is neither a mesolog export nor a list of visits. {plan_.VISITS_SHAPE}."
        )
    rows = list(plan_.visit_rows(path.name, data))
    return plan_.Source(path.name, lambda: rows, map_.ISO_DATE, "visit")


def _spreadsheet(path: Path, options: ImportOptions) -> plan_.Source | MapWritten:
    """The rows of a CSV or XLSX through its map: the map given, the one beside the file,
    mesolog's own columns, or a first map written now."""
    from functools import partial

    where = options.map_file or map_path(path)
    data = read_map(where)
    cmap = map_.load_map(data, where.name) if data is not None else None
    header_row = options.header_row or (cmap.header_row if cmap else 1)
    encoding = options.encoding or (cmap.encoding if cmap else None) or None
    with open_table(path, encoding, header_row) as (header, rows):
        if cmap is None and map_.is_own_format(header):
            cmap = map_.own_map(header)
        if cmap is None:
            draft = map_.MapDraft(header, header_row, options.encoding or "")
            for row in rows:
                draft.feed(row.cells)
            write_map(where, draft.text(path.name))
            return MapWritten(where, draft.unmapped, draft.dates.ambiguity(), draft.header_hint)
        _check_columns(path, header, cmap, header_row)
        # A workbook's XML is slow to parse, and the planner reads the rows twice: its rows are
        # read once, into a temporary CSV file.
        xlsx = kind_of(path) == "xlsx"
        raw = spilled(rows) if xlsx else partial(_read, path, encoding, header_row)
    columns = map_.mapped_columns(header, cmap)
    keys = [c for c in columns if c.target in ("patient", "date", "session")]
    mapped, key_cells = partial(_mapped, raw, columns), partial(_mapped, raw, keys)
    return plan_.Source(path.name, mapped, cmap.date_format, keys=key_cells)


def _read(path: Path, encoding: str | None, header_row: int) -> Iterator[SourceRow]:
    """The file's rows, read anew on each call."""
    with open_table(path, encoding, header_row) as (_, read):
        yield from read


def _mapped(
    raw: Callable[[], Iterator[SourceRow]], columns: list[map_.MappedColumn]
) -> Iterator[Row]:
    """The rows through ``columns`` of the map."""
    for row in raw():
        yield Row(row.number, map_.mapped_cells(row.cells, columns), row.fault)


def _check_columns(path: Path, header: list[str], cmap: map_.ColumnMap, header_row: int) -> None:
    """A map made for another file (``--map``) must find its required columns in this one."""
    for needed in map_.REQUIRED:
        columns = [h for h, f in cmap.columns.items() if f in (needed, f"{needed}_1")]
        if columns and not set(columns) & set(header):
            raise UnreadableImport(
                f"{path} has no column {columns[0]!r} (the map reads {needed!r} from it) in its "
                f"header row (row {header_row}): check the map, or --header-row."
            )
