"""Reading the files ``import`` is given (CSV, XLSX, JSON) and the map file beside them, exactly
or not at all: see ``docs/import.md``. Only reading and writing here; what the rows mean is
the model's (``mesolog.model.import_map`` and ``mesolog.model.importing``).

A file is opened only when it is a regular file no larger than :data:`MAX_MB` megabytes (a
FIFO, a device or ``/dev/zero`` is refused before it is opened, and opened without blocking).
A CSV is decoded in its own encoding (a byte-order mark says which; else UTF-8, or the one
``--encoding`` names): a byte that does not fit is that row's fault, named by row and column,
never a reason to read the whole file another way. Rows are streamed, one at a time.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from mesolog.errors import UnreadableImport

XLSX_HINT = 'reading .xlsx needs openpyxl: pip install "mesolog[xlsx]" (or save the sheet as CSV).'
# The largest file import reads: a clinic's whole history is far smaller (200,000 rows of
# mesolog's own CSV are 44 MB); anything larger is more likely a wrong file.
MAX_MB = 200
# An XLSX is a zip: what it unpacks to is limited too (a small file may unpack to gigabytes).
MAX_UNPACKED_MB = 1000
# JSON nested deeper than this is no record mesolog reads (its exports nest five levels).
MAX_JSON_DEPTH = 64
KINDS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".json": "json"}


@dataclass(frozen=True)
class SourceRow:
    """One row as the file holds it: its number as a spreadsheet shows it (the first row is
    1), its cells as text, and what is wrong with its bytes (a rejected row), if anything."""

    number: int
    cells: list[str]
    fault: str = ""


# A spreadsheet's header and its rows, streamed once (blank rows are skipped; the numbers keep
# counting them).
Table = tuple[list[str], Iterator[SourceRow]]


# --- opening a file safely ---------------------------------------------------------------------


def _refuse_kind(path: Path, mode: int) -> None:
    if stat.S_ISDIR(mode):
        raise UnreadableImport(f"{path} is a folder, not a file.")
    if not stat.S_ISREG(mode):
        # os.stat follows links: what is left is a FIFO, a socket or a device.
        what = {stat.S_IFIFO: "a FIFO", stat.S_IFSOCK: "a socket"}.get(
            stat.S_IFMT(mode), "a device"
        )
        raise UnreadableImport(f"{path} is {what}, not a file: import reads only regular files.")


def _refuse_size(path: Path, size: int) -> None:
    if size > MAX_MB * 1_000_000:
        raise UnreadableImport(
            f"{path} is {size / 1_000_000:.0f} MB, over the {MAX_MB} MB import reads at once: "
            "split it into smaller files."
        )


def open_regular(path: Path) -> IO[bytes]:
    """``path`` opened for reading, if it is a regular file within the size limit. Checked
    before opening (a FIFO would block, ``/dev/zero`` never ends) and again on the open file."""
    try:
        _refuse_kind(path, os.stat(path).st_mode)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise UnreadableImport(f"{path} does not exist.") from None
    except PermissionError:
        raise UnreadableImport(f"{path} cannot be read (permission denied).") from None
    except OSError as error:
        raise UnreadableImport(f"{path} cannot be opened ({error.strerror}).") from None
    opened = os.fstat(fd)
    try:
        _refuse_kind(path, opened.st_mode)  # swapped between the check and the open
        _refuse_size(path, opened.st_size)
        if opened.st_size == 0:
            raise UnreadableImport(f"{path} is empty: there is nothing to import.")
    except UnreadableImport:
        os.close(fd)
        raise
    return io.BufferedReader(_Bounded(fd, path), buffer_size=1 << 16)


class _Bounded(io.RawIOBase):
    """A file that refuses to be read past the size limit (one that grows while it is read)."""

    def __init__(self, fd: int, path: Path) -> None:
        self._fd, self._path, self._read = fd, path, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = os.readv(self._fd, [buffer])
        self._read += n
        _refuse_size(self._path, self._read)
        return n

    def close(self) -> None:
        if not self.closed:
            os.close(self._fd)
        super().close()


def read_bytes(path: Path) -> bytes:
    with open_regular(path) as handle:
        raw = handle.read()
    if not raw.strip():
        raise UnreadableImport(f"{path} is empty: there is nothing to import.")
    return raw


def kind_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in KINDS:
        raise UnreadableImport(
            f"{path} is not a CSV, XLSX or JSON file; save the spreadsheet as .csv or .xlsx."
        )
    return KINDS[suffix]


# --- cells -------------------------------------------------------------------------------------


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            value.date().isoformat()
            if value.time() == datetime.min.time()
            else value.isoformat(" ")
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _rows_after_header(
    path: Path,
    records: Iterable[list[str]],
    header_row: int,
    faults: bool,
    separator: Callable[[], str] | None = None,
) -> Table:
    """The header (row ``header_row``) and the non-blank rows below it, numbered. With
    ``separator`` (a CSV: the cell separator it was read with; a workbook: ""), a row with more
    cells than the header is that row's fault: a cell past the header would be dropped without
    a word."""
    import itertools

    numbered = enumerate(records, 1)
    found = next(itertools.islice(numbered, header_row - 1, None), None)
    header = [c.strip() for c in found[1]] if found else None
    while header and not header[-1]:
        header.pop()
    if not header or not any(header):
        where = "the first row" if header_row == 1 else f"row {header_row} (--header-row)"
        raise UnreadableImport(f"{path} has no header row: {where} must name the columns.")
    if faults and (bad := next(filter(None, map(_bad_byte, header)), "")):
        raise UnreadableImport(
            f"{path}: the header row holds {bad}; give the file's encoding with --encoding "
            "(e.g. --encoding cp1252)."
        )
    width = len(header)

    def rows() -> Iterator[SourceRow]:
        for number, cells in numbered:
            if not any(c.strip() for c in cells):
                continue
            extra = _extra_cells(cells, width, separator) if separator else ""
            cells = [c.strip() for c in (cells + [""] * width)[:width]]
            fault = extra or (_row_fault(header, cells) if faults else "")
            yield SourceRow(number, cells, fault)

    return header, rows()


# A byte the decoder could not read ("surrogateescape" stand-ins), or a NUL.
_BAD = re.compile("[\udc80-\udcff\x00]")


def _bad_byte(cell: str) -> str:
    found = _BAD.search(cell)
    if found is None:
        return ""
    if found.group() == "\x00":
        return "a NUL byte (binary data)"
    return f"byte 0x{ord(found.group()) - 0xDC00:02X}, which does not fit the encoding"


def _extra_cells(cells: list[str], width: int, separator: Callable[[], str]) -> str:
    """Why a row with cells past the header's last column is rejected, or "". Empty cells
    there (a trailing separator, as some programs write) are nothing lost."""
    past = [c for c in cells[width:] if c.strip()]
    if not past:
        return ""
    sign = separator()
    said = "a tab" if sign == "\t" else repr(sign)
    # A workbook has no separator: its cell stands in a column the header does not name.
    remedy = (
        f"a cell that holds {said}, the file's separator, needs quotes around it"
        if sign
        else "name the column in the header row, or clear the cell"
    )
    return (
        f"it has {len(cells)} cells but the header names {width} columns (past the last: "
        f"{past[0].strip()!r}); nothing past the header is imported, so the row is left out: "
        f"{remedy}"
    )


def _row_fault(header: list[str], cells: list[str]) -> str:
    if not _BAD.search("".join(cells)):  # the usual row: one search, not one per cell
        return ""
    for name, cell in zip(header, cells, strict=True):
        if bad := _bad_byte(cell):
            return (
                f"column {name!r} holds {bad}; correct the cell, or give the file's encoding "
                "with --encoding"
            )
    return ""


# --- CSV ---------------------------------------------------------------------------------------


def _encoding_of(handle: IO[bytes], path: Path, given: str | None) -> str:
    """The file's encoding: its byte-order mark, else the one given, else UTF-8. A file with
    NUL bytes and no mark is refused (binary, or UTF-16 without its mark)."""
    head = handle.peek(4096)[:4096] if isinstance(handle, io.BufferedReader) else b""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if given:
        return "utf-8-sig" if codecs.lookup(given).name == "utf-8" else given
    if b"\x00" in head:
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if max(even, odd) > len(head) // 4:
            raise UnreadableImport(
                f"{path} looks like UTF-16 without a byte-order mark; give --encoding utf-16-le "
                "(or utf-16-be)."
            )
        raise UnreadableImport(f"{path} is not a CSV file (it holds binary data).")
    return "utf-8"


@contextlib.contextmanager
def open_csv(path: Path, encoding: str | None = None, header_row: int = 1) -> Iterator[Table]:
    with open_regular(path) as handle:
        chosen = _encoding_of(handle, path, encoding)
        text = io.TextIOWrapper(handle, encoding=chosen, errors="surrogateescape", newline="")
        chosen_separator: list[str] = []  # known once the header line is read
        records = _csv_records(path, text, chosen, header_row, chosen_separator)
        yield _rows_after_header(
            path, records, header_row, True, lambda: "".join(chosen_separator[:1]) or ","
        )


def _csv_records(
    path: Path, text: IO[str], encoding: str, header_row: int, separator: list[str] | None = None
) -> Iterator[list[str]]:
    """The file's records; every line is decoded here, so that a byte the encoding cannot
    read, above the header or below it, stops the import with one sentence. The separator
    chosen is appended to ``separator``."""
    import csv
    import itertools

    try:
        first = [text.readline() for _ in range(header_row)]
        if not "".join(first).strip():
            raise UnreadableImport(f"{path} is empty: there is nothing to import.")
        # A spreadsheet set to a European locale writes ';' between cells; Excel's "Unicode
        # text" a tab.
        delimiter = max((",", ";", "\t"), key=first[-1].count)
        if separator is not None:
            separator.append(delimiter)
        yield from csv.reader(itertools.chain(first, text), delimiter=delimiter)
    except csv.Error as error:
        raise UnreadableImport(f"{path} is not a readable CSV file ({error}).") from None
    except UnicodeDecodeError as error:
        raise UnreadableImport(
            f"{path} cannot be read as {encoding} ({error.reason}); give its encoding with "
            "--encoding."
        ) from None


# --- XLSX --------------------------------------------------------------------------------------


def _refuse_zip_bomb(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise UnreadableImport(f"{path} is not a readable .xlsx workbook.") from None
    if unpacked > MAX_UNPACKED_MB * 1_000_000:
        raise UnreadableImport(
            f"{path} unpacks to {unpacked / 1_000_000:.0f} MB, over the {MAX_UNPACKED_MB} MB "
            "import reads: split the workbook."
        )


@contextlib.contextmanager
def open_xlsx(path: Path, header_row: int = 1) -> Iterator[Table]:
    """The active sheet's real cells: a read-only sheet trusts the ``<dimension>`` the file
    declares (often stale, written by other software), so it is reset and every row is read."""
    try:
        import openpyxl  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        raise UnreadableImport(f"{path}: {XLSX_HINT}") from None
    open_regular(path).close()  # the kind and size checks
    _refuse_zip_bomb(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except _XLSX_FAULTS:
        raise UnreadableImport(f"{path} is not a readable .xlsx workbook.") from None
    try:
        sheet = book.active
        if sheet is None:
            raise UnreadableImport(f"{path} has no sheet to import.")
        sheet.reset_dimensions()
        records = ([_cell(v) for v in row] for row in _xlsx_rows(path, sheet))
        yield _rows_after_header(path, records, header_row, False, lambda: "")
    finally:
        book.close()


_XLSX_FAULTS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, KeyError, ValueError, TypeError,
                IndexError, AttributeError, SyntaxError)  # fmt: skip


def _xlsx_rows(path: Path, sheet: Any) -> Iterator[tuple[object, ...]]:
    try:
        yield from sheet.iter_rows(values_only=True)
    except _XLSX_FAULTS:
        raise UnreadableImport(f"{path} is not a readable .xlsx workbook.") from None


def spilled(rows: Iterable[SourceRow]) -> Callable[[], Iterator[SourceRow]]:
    """``rows`` written once to a temporary file (removed when the last reader is gone), to be
    read again as often as asked, quickly."""
    import csv
    import tempfile

    # Open for as long as a reader may come back (the planner reads twice); closed with it.
    spill = tempfile.TemporaryFile("w+", encoding="utf-8", errors="surrogatepass", newline="")  # noqa: SIM115
    writer = csv.writer(spill)
    for row in rows:
        writer.writerow([row.number, row.fault, *row.cells])

    def again() -> Iterator[SourceRow]:
        spill.seek(0)
        for record in csv.reader(spill):
            yield SourceRow(int(record[0]), record[2:], record[1])

    return again


def open_table(
    path: Path, encoding: str | None = None, header_row: int = 1
) -> contextlib.AbstractContextManager[Table]:
    """The header and streamed rows of a CSV or XLSX file."""
    if kind_of(path) == "xlsx":
        return open_xlsx(path, header_row)
    return open_csv(path, encoding, header_row)


# --- JSON --------------------------------------------------------------------------------------


def read_json(path: Path) -> tuple[list[Any], str | None]:
    """A JSON file's list (mesolog's own export, or a list of visits) and the clinic identity
    a mesolog export carries (``{"format": "mesolog-export", "clinic": {"id": ...},
    "charts": [...]}``; an export made before it carried one is a bare list of charts)."""
    import json

    raw = read_bytes(path)
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise UnreadableImport(f"{path} is not a JSON file.") from None
    except RecursionError:
        data = None
    if data is None or _too_deep(data):
        raise UnreadableImport(
            f"{path} is nested deeper than {MAX_JSON_DEPTH} levels: it is no record import reads."
        )
    identity = None
    if isinstance(data, dict) and data.get("format") == "mesolog-export":
        clinic = data.get("clinic")
        identity = clinic.get("id") if isinstance(clinic, dict) else None
        identity = identity if isinstance(identity, str) else None
        data = data.get("charts")
    from mesolog.model.importing import VISITS_SHAPE

    if not isinstance(data, list) or not all(isinstance(c, dict) and "patient" in c for c in data):
        raise UnreadableImport(
            f"{path} is not a mesolog export or a list of visits. {VISITS_SHAPE}."
        )
    if not data:
        raise UnreadableImport(f"{path} holds nothing to import (an empty list).")
    return data, identity


def _too_deep(data: object) -> bool:
    """Whether ``data`` nests deeper than :data:`MAX_JSON_DEPTH` (looked at iteratively: a deep
    file must not exhaust the stack)."""
    stack = [(data, 1)]
    while stack:
        item, level = stack.pop()
        if level > MAX_JSON_DEPTH:
            return True
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            stack += [(v, level + 1) for v in item]
    return False


# --- the map file ------------------------------------------------------------------------------


def map_path(path: Path) -> Path:
    return path.with_name(path.name + ".map.toml")


def read_map(where: Path) -> dict[str, Any] | None:
    """The map file ``where`` as TOML data, or None when there is none yet."""
    import tomllib

    if not where.exists() and not where.is_symlink():
        return None
    try:
        return tomllib.loads(read_bytes(where).decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise UnreadableImport(f"{where} is not valid TOML: {error}") from None


def write_map(where: Path, text: str) -> None:
    from mesolog.store.files import write_atomically

    if not where.parent.is_dir():
        raise UnreadableImport(
            f"{where}: the folder {where.parent} does not exist; name a map in an existing folder."
        )
    write_atomically(where, text, overwrite=False)
