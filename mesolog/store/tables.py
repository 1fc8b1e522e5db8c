"""Reading the files ``import`` is given (CSV, XLSX, mesolog's JSON export) and the map file
beside them. Only reading and writing here; what the rows mean is the model's
(``mesolog.model.importing``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from mesolog.errors import UnreadableImport

XLSX_HINT = 'reading .xlsx needs openpyxl: pip install "mesolog[xlsx]" (or save the sheet as CSV).'


@dataclass(frozen=True)
class Table:
    """A spreadsheet's header and rows, every cell as text, with the row numbers a spreadsheet
    shows (the header is row 1)."""

    name: str
    header: list[str]
    rows: list[list[str]]
    numbers: list[int]  # each row's number in the spreadsheet (blank rows are skipped)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UnreadableImport(f"{path} does not exist.") from None
    except IsADirectoryError:
        raise UnreadableImport(f"{path} is a folder, not a file.") from None
    if not raw.strip():
        raise UnreadableImport(f"{path} is empty: there is nothing to import.")
    return raw


def _checked(path: Path, header: list[str], rows: list[list[str]]) -> Table:
    header = [h.strip() for h in header]
    while header and not header[-1]:
        header.pop()
    kept = [(n + 2, r) for n, r in enumerate(rows) if any(cell.strip() for cell in r)]
    if not any(header):
        raise UnreadableImport(f"{path} has no header row: the first row must name the columns.")
    if not kept:
        raise UnreadableImport(f"{path} has a header but no rows: there is nothing to import.")
    width = len(header)
    cells = [(r + [""] * width)[:width] for _, r in kept]
    return Table(path.name, header, cells, [n for n, _ in kept])


def read_csv(path: Path) -> Table:
    import csv
    import io

    raw = _read_bytes(path)
    if b"\x00" in raw:
        raise UnreadableImport(f"{path} is not a CSV file (it holds binary data).")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")  # the usual export of older spreadsheets
    first = text.splitlines()[0] if text else ""
    # A spreadsheet set to a European locale writes ';' between cells.
    delimiter = max((",", ";", "\t"), key=first.count)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise UnreadableImport(f"{path} is not a readable CSV file ({error}).") from None
    return _checked(path, rows[0], rows[1:])


def read_xlsx(path: Path) -> Table:
    try:
        import openpyxl  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        raise UnreadableImport(f"{path}: {XLSX_HINT}") from None
    import zipfile

    _read_bytes(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        raise UnreadableImport(f"{path} is not a readable .xlsx workbook.") from None
    sheet = book.active
    if sheet is None:
        raise UnreadableImport(f"{path} has no sheet to import.")
    rows = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    book.close()
    if not rows:
        raise UnreadableImport(f"{path} is empty: there is nothing to import.")
    return _checked(path, rows[0], rows[1:])


def read_json(path: Path) -> tuple[list[Any], str | None]:
    """mesolog's own ``export --format json``: its charts and the clinic identity it carries
    (``{"format": "mesolog-export", "clinic": {"id": ...}, "charts": [...]}``; an export made
    before it carried one is a bare list of charts)."""
    import json

    raw = _read_bytes(path)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise UnreadableImport(f"{path} is not a JSON file.") from None
    identity = None
    if isinstance(data, dict) and data.get("format") == "mesolog-export":
        clinic = data.get("clinic")
        identity = clinic.get("id") if isinstance(clinic, dict) else None
        identity = identity if isinstance(identity, str) else None
        data = data.get("charts")
    if not isinstance(data, list) or not all(isinstance(c, dict) and "patient" in c for c in data):
        raise UnreadableImport(
            f"{path} is not a mesolog export: JSON import reads `mesolog export --format json`."
        )
    if not data:
        raise UnreadableImport(f"{path} holds no charts: there is nothing to import.")
    return data, identity


def kind_of(path: Path) -> str:
    suffix = path.suffix.lower()
    kinds = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".json": "json"}
    if suffix not in kinds:
        raise UnreadableImport(
            f"{path} is not a CSV, XLSX or JSON file; save the spreadsheet as .csv or .xlsx."
        )
    return kinds[suffix]


def read_table(path: Path) -> Table:
    return read_xlsx(path) if kind_of(path) == "xlsx" else read_csv(path)


# --- the map file ------------------------------------------------------------------------------


def map_path(path: Path) -> Path:
    return path.with_name(path.name + ".map.toml")


def read_map(path: Path) -> dict[str, Any] | None:
    """The map beside ``path`` as TOML data, or None when there is none yet."""
    import tomllib

    where = map_path(path)
    if not where.exists():
        return None
    try:
        return tomllib.loads(where.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise UnreadableImport(f"{where} is not valid TOML: {error}") from None


def write_map(path: Path, text: str) -> Path:
    from mesolog.store.files import write_atomically

    where = map_path(path)
    write_atomically(where, text)
    return where
