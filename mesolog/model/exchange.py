"""Sessions as spreadsheet rows (pure): the columns of ``export --format csv`` and the cell text
of each field, written so that ``import`` reads every cell back to the same value.

Two forms. One row per session (the default): the substances in numbered columns
(``substance_1``, ``amount_1``, ``unit_1``, ``concentration_1``, ``lot_1``, ``expiry_1``, then
``_2``...), because a spreadsheet can sort and filter a column but not a joined cell. One row
per substance given (``--per substance``), the long form: the session's columns repeated, then
``substance_no`` (the substance's place in its session, so that import keeps two rows of the
same product apart and in order).
In both, a measurement is a column of its own named ``measure_<name>`` (``measure_waist_cm``),
and complications are one cell in the ``--complication`` syntax, joined by "; "; so are the
zones of the injection map, in the ``--zone`` syntax (``scalp/vertex:40:1.5``).
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date

from mesolog.model.records import Chart, Complication, Session, Substance, Zone
from mesolog.model.values import NumberText, number_text

PATIENT_COLUMNS = ("patient", "name", "birth_year")
# Every Session field is a column (``session`` is the id), in the record's order, unless it has
# columns of its own or is deliberately left out, for the reason given.
FIELD_OF_COLUMN = {"session": "id"}
EXPORTED_APART = ("substances", "measurements")  # numbered substance columns; measure_<name>
NOT_EXPORTED = {
    "recorded": "when it was typed into mesolog: an import records the session anew",
    "uid": "mesolog's own identity: an import makes new sessions with new ones",
    "photos": "paths on the practice's disk, not a spreadsheet value (export --format json keeps them)",
    "amendments": "the trail stays with the chart (export --format json keeps it)",
    "conflicts": "a merge's open question, settled in the chart by an amend",
}
SESSION_COLUMNS = (
    "session",
    *(f.name for f in fields(Session) if f.name not in {"id", *EXPORTED_APART, *NOT_EXPORTED}),
)
SUBSTANCE_COLUMNS = ("substance", "category", "amount", "unit", "concentration", "lot", "expiry")
# The long form numbers each substance within its session (1, 2...): a session may hold the
# same product twice (two vials of one lot), and its rows must stay two rows, in their order.
SUBSTANCE_POSITION = "substance_no"
# The numbered form leaves out the category: it follows from the name and the catalogue.
NUMBERED_SUBSTANCE_COLUMNS = tuple(c for c in SUBSTANCE_COLUMNS if c != "category")
MEASURE_PREFIX = "measure_"
LIST_SEPARATOR = "; "


def complication_spec(item: Complication) -> str:
    """``bruising:mild:onset=2026-11-03``: the ``--complication`` syntax, read back by import."""
    parts = [item.name, *([item.severity] if item.severity else [])]
    keys = ("onset", "resolved", "outcome", "by")
    given = (item.onset, item.resolved, item.outcome, item.reported_by)
    parts += [f"{key}={_text(value)}" for key, value in zip(keys, given, strict=True) if value]
    return ":".join(parts)


def zone_spec(place: Zone) -> str:
    """``scalp/vertex:40:1.5``: the ``--zone`` syntax, read back by import."""
    numbers = [str(place.points) if place.points is not None else ""]
    if place.amount is not None:
        numbers.append(number_text(place.amount))
    return ":".join([f"{place.area}/{place.zone}", *numbers]).rstrip(":")


def _text(value: object) -> object:
    """A cell: nothing for None; a stored number with every digit and no ".0" (number_text); a
    day in ISO."""
    if value is None:
        return ""
    if isinstance(value, float):
        return NumberText(number_text(value))
    if isinstance(value, date):
        return value.isoformat()
    return value


def session_cells(chart: Chart, session: Session) -> list[object]:
    """The patient's and session's columns, in order (PATIENT_COLUMNS + SESSION_COLUMNS)."""
    p = chart.patient
    cells: list[object] = [p.id, p.name or "", _text(p.birth_year)]
    return cells + [_session_cell(session, column) for column in SESSION_COLUMNS]


def _session_cell(session: Session, column: str) -> object:
    value = getattr(session, FIELD_OF_COLUMN.get(column, column))
    if column == "complications":
        return LIST_SEPARATOR.join(complication_spec(c) for c in value)
    if column == "zones":
        return LIST_SEPARATOR.join(zone_spec(z) for z in value)
    if isinstance(value, tuple):  # areas
        return LIST_SEPARATOR.join(value)
    return _text(value)


def substance_cells(item: Substance, numbered: bool) -> list[object]:
    columns = NUMBERED_SUBSTANCE_COLUMNS if numbered else SUBSTANCE_COLUMNS
    return [_text(getattr(item, "name" if c == "substance" else c)) for c in columns]


def measure_cells(measurements: dict[str, float], names: list[str]) -> list[object]:
    return [_text(measurements.get(name)) for name in names]


def csv_header(per: str, widest: int, names: list[str]) -> list[str]:
    """The header of either form: ``per`` session (``widest`` numbered substances) or substance."""
    header = [*PATIENT_COLUMNS, *SESSION_COLUMNS]
    if per == "substance":
        header += [SUBSTANCE_POSITION, *SUBSTANCE_COLUMNS]
    else:
        for n in range(1, widest + 1):
            header += [f"{column}_{n}" for column in NUMBERED_SUBSTANCE_COLUMNS]
    return header + [MEASURE_PREFIX + name for name in names]


def chart_record(chart: Chart, patient_key: str | None) -> dict[str, object]:
    """The chart as the JSON export writes it: every field, numbers as numbers, the patient's
    key (what its FHIR ids derive from) filled in so a restored chart keeps it."""
    record = _plain(chart)
    assert isinstance(record, dict)
    record["patient"]["uid"] = patient_key
    return record


def _plain(value: object) -> object:
    """``dataclasses.asdict`` without its deep copies (most of a JSON export's time): records
    as dicts of their fields in order, tuples as lists; the values themselves are immutable."""
    if hasattr(value, "__dataclass_fields__"):
        return {key: _plain(item) for key, item in vars(value).items()}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value
