"""Charts to TOML text and back. Decoding names the file, line and field of anything wrong."""

from __future__ import annotations

import functools
import math
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import MISSING, asdict, fields
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from mesolog.errors import (
    SHOWN_VALUE_CHARS,
    CorruptFile,
    NewerSchema,
)
from mesolog.model import (
    SCHEMA,
    Amendment,
    Chart,
    Complication,
    Conflict,
    Course,
    Patient,
    Photo,
    Session,
    Substance,
    Zone,
)
from mesolog.model import vocabulary as vocab

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from mesolog.store.layout import Layout, Place

R = TypeVar("R", bound="DataclassInstance")

HEADER = (
    "# mesolog patient chart (schema 2). Managed by mesolog: hand edits are kept, but run\n"
    "# `mesolog check` after editing. Sessions are never deleted; use `mesolog void`.\n"
)


# --- encoding ---------------------------------------------------------------------------------


def toml_block(header: str, values: Mapping[str, Any], as_array: bool) -> str:
    """``[[header]]`` or ``[header]`` with its values as tomli_w writes them, then its own
    tables, each under a header of its own: charts are written with it, and tables added to one
    in place (``store.editing``). TOML has no null: absent optional fields are left out."""
    import tomli_w

    tables = {k: v for k, v in values.items() if isinstance(v, dict) or is_tables(v)}
    scalars = {k: v for k, v in values.items() if v is not None and k not in tables}
    block = (f"[[{header}]]\n" if as_array else f"[{header}]\n") + tomli_w.dumps(scalars)
    for key, value in tables.items():
        inner = f"{header}.{toml_key(key)}"
        for item in [value] if isinstance(value, dict) else value:
            block += "\n" + toml_block(inner, item, as_array=not isinstance(value, dict))
    return block


def is_tables(value: Any) -> bool:
    """A non-empty list of tables (an array of tables, written as ``[[...]]`` blocks)."""
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def toml_key(name: str) -> str:
    """A key as TOML writes it: bare when it can be, else quoted."""
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else toml_value(name)


def toml_value(value: Any) -> str:
    """A value (not a table) as tomli_w writes it after ``key = ``."""
    import tomli_w

    return tomli_w.dumps({"v": value})[len("v = ") :].rstrip("\n")


def encode_session(session: Session) -> str:
    """One ``[[sessions]]`` block, then its substances, zones, photos, complications,
    measurements, amendments and conflicts, each under a header of its own."""
    tables = {
        "substances": [{**asdict(s), "amount": float(s.amount)} for s in session.substances],
        "zones": [{**asdict(z), "amount": _real(z.amount)} for z in session.zones],
        "photos": [asdict(item) for item in session.photos],
        "complications": [asdict(item) for item in session.complications],
        "measurements": {k: float(v) for k, v in session.measurements.items()},
        "amendments": [asdict(note) for note in session.amendments],
        "conflicts": [asdict(conflict) for conflict in session.conflicts],
    }
    # The session's own fields, shallow: asdict would deep-copy the nested records only for
    # them to be dropped here (most of an import's encoding time).
    own = {f.name: getattr(session, f.name) for f in fields(session) if f.name not in tables}
    # The number, then the identity, then the rest in the record's order.
    document = {"id": own.pop("id"), "uid": own.pop("uid"), **own}
    document["depth_mm"] = float(session.depth_mm)
    # Bare paths (``--photo PATH``, charts from before ``photo add``) stay a list of text, as
    # such charts were written; photos kept by ``photo add`` are tables (docs/photos.md).
    if session.photos and all(item.bare for item in session.photos):
        document["photos"] = [item.file for item in session.photos]
        del tables["photos"]
    document.update((key, value) for key, value in tables.items() if value)
    return toml_block("sessions", document, as_array=True)


def _real(value: float | None) -> float | None:
    """A zone's amount as a TOML float; None (not recorded) is left out."""
    return None if value is None else float(value)


def encode_chart(chart: Chart) -> str:
    import tomli_w

    parts = [
        HEADER,
        tomli_w.dumps({"schema": chart.schema}),
        toml_block("patient", asdict(chart.patient), False),
    ]
    parts += [toml_block("courses", asdict(course), True) for course in chart.courses]
    parts += [encode_session(session) for session in chart.sessions]
    # The chart-level trail (patient details, courses), after the sessions.
    parts += [toml_block("amendments", asdict(note), True) for note in chart.amendments]
    return "\n".join(parts)


# --- decoding ---------------------------------------------------------------------------------

# TOML allows any integer; beyond this one a value cannot be a record (no session is numbered
# 10**20) and the cache (SQLite's 64-bit integers) would overflow on it. Out of bounds is a
# problem of that one chart, named with its field, like any other wrong value. (Dates far in
# the future are the progress maths' concern: see ``model.progress``.)
LARGEST_WHOLE = 2**31 - 1
BOM = "\ufeff"


class Lines:
    """Line numbers of a chart's text, from ``store.layout``'s scanner, scanned (and the scanner
    imported) on the first question: a read of good charts never pays for it; a message about a
    bad one names the line of its field."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.layout: Layout | None = None

    def line(self, place: Place) -> int | None:
        if self.layout is None and self.text:
            from mesolog.store.layout import LayoutError, scan

            try:
                self.layout = scan(self.text)
            except LayoutError:
                self.text = ""  # cannot be followed: messages go without a line
        return None if self.layout is None else self.layout.line(place)

    def lines(self, places: list[Place]) -> list[int | None]:
        """The lines of several places at once, the text read no further than the last of them
        (unless it was read whole already)."""
        if not self.text or not places:
            return [None] * len(places)
        layout = self.layout
        if layout is None:
            from mesolog.store.layout import LayoutError, scan_until

            try:
                layout = scan_until(self.text, places)
            except LayoutError:
                return [None] * len(places)
        return [layout.line(place) for place in places]


def as_written(value: object) -> str:
    """A value read from a chart as it is written in TOML, for a message saying it is the wrong
    kind: ``2026-11-01``, ``10:00:00``, ``'text'``, ``[1, 2]``; "nothing" when the key is absent.
    Text keeps its quotes and shows control characters as escapes; a long value is cut."""
    if value is None:
        return "nothing"
    text = _toml_text(value)
    return text if len(text) <= SHOWN_VALUE_CHARS else text[: SHOWN_VALUE_CHARS - 1] + "…"


def _toml_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (date, time)):  # a datetime is a date
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml_text(item) for item in value) + "]"
    if isinstance(value, dict):
        return "a table"
    return repr(value)  # text quoted, control characters as escapes; numbers as TOML has them


class _Reader:
    """Typed access to a decoded TOML table; a wrong value names the file, line and field.

    ``place`` is where the table is in the text (``("sessions", 2)``), so a message names the
    faulty field's own line. With a ``problems`` list, a wrong value is recorded there and read
    as absent, so that ``check`` hears about every problem, not only the first; without one, the
    first problem is raised.
    """

    def __init__(
        self,
        path: Path,
        table: Any,
        where: str,
        place: Place,
        lines: Lines,
        problems: list[CorruptFile] | None = None,
    ) -> None:
        self.path, self.where, self.place, self.lines = path, where, place, lines
        self.problems, self.quiet = problems, False
        if not isinstance(table, dict):
            self.report(CorruptFile(path, f"{where} must be a table", lines.line(place)))
            table, self.quiet = {}, True  # its fields are not reported again, one by one
        self.table: dict[str, Any] = table

    def report(self, problem: CorruptFile) -> None:
        if self.problems is None:
            raise problem
        self.problems.append(problem)

    def fail(self, key: str, expected: str) -> None:
        """Report a wrong value (raise it, or record it); the value then reads as absent."""
        if self.quiet:
            return
        value = self.table.get(key)
        self.report(
            CorruptFile(
                self.path,
                f"{self.where}: {key} must be {expected}, found {as_written(value)}",
                self.lines.line((*self.place, key)),
            )
        )

    def inner(self, table: Any, where: str, *place: str | int) -> _Reader:
        return _Reader(self.path, table, where, (*self.place, *place), self.lines, self.problems)

    def _typed(self, key: str, required: bool, kind: type | tuple[type, ...], expected: str) -> Any:
        """The value of ``key`` when it is of ``kind`` (true and false are no numbers, a date and
        time is no date), else reported; None when it is absent and not ``required``."""
        value = self.table.get(key)
        if value is None and not required:
            return None
        wrong = isinstance(value, bool) or (kind is date and isinstance(value, datetime))
        return value if isinstance(value, kind) and not wrong else self.fail(key, expected)

    def text(self, key: str, required: bool = False) -> Any:
        return self._typed(key, required, str, "text")

    def integer(self, key: str, required: bool = False) -> Any:
        value = self._typed(key, required, int, "a whole number")
        if value is not None and not -LARGEST_WHOLE <= value <= LARGEST_WHOLE:
            return self.fail(key, f"a whole number between -{LARGEST_WHOLE} and {LARGEST_WHOLE}")
        return value

    def real(self, key: str, required: bool = False) -> Any:
        value = self._typed(key, required, (int, float), "a number")
        if isinstance(value, int) and not -LARGEST_WHOLE <= value <= LARGEST_WHOLE:
            return self.fail(key, f"a number between -{LARGEST_WHOLE} and {LARGEST_WHOLE}")
        if value is not None and not math.isfinite(value):
            return self.fail(key, "a finite number (not inf or nan)")
        return None if value is None else float(value)

    def day(self, key: str, required: bool = False) -> Any:
        return self._typed(key, required, date, "a date (YYYY-MM-DD, unquoted)")

    def moment(self, key: str, required: bool = False) -> Any:
        return self._typed(key, required, datetime, "a date and time")

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(key, "a list of text")
            return ()
        return tuple(value)

    def tables(self, key: str) -> list[Any]:
        value = self.table.get(key, [])
        if not isinstance(value, list):
            self.fail(key, "a list of tables")
            return []
        return value


# How a record's field is read, by the type the record declares: a field added to a record is
# read without a line here.
_READ: dict[str, Callable[[_Reader, str, bool], Any]] = {
    "str": _Reader.text,
    "int": _Reader.integer,
    "float": _Reader.real,
    "date": _Reader.day,
    "datetime": _Reader.moment,
}


def _decode_record(r: _Reader, record: type[R], **own: Callable[[_Reader, str], Any]) -> R:
    """A record read field by field, in its order, each by the type it declares: required when
    it has no default, and a text with a default takes it when empty. ``own``: fields read by
    a rule of their own."""
    values: dict[str, Any] = {}
    for f in fields(record):
        if f.name in own:
            values[f.name] = own[f.name](r, f.name)
            continue
        required = f.default is MISSING and f.default_factory is MISSING
        value = _READ[str(f.type).removesuffix(" | None")](r, f.name, required)
        values[f.name] = (value or f.default) if f.type == "str" and not required else value
    return record(**values)


def _records(
    r: _Reader, key: str, where: str, record: type[R], **own: Callable[[_Reader, str], Any]
) -> tuple[R, ...]:
    """The records of the list of tables ``key`` (``where`` names one in a message)."""
    return tuple(
        _decode_record(r.inner(item, where, key, index), record, **own)
        for index, item in enumerate(r.tables(key))
    )


def _said(r: _Reader, key: str) -> str:
    """Who or why, in a trail entry: "" when it is not said."""
    return r.text(key) or ""


# A trail entry's own rules (a session's, or the chart's): who and why may go unsaid.
_TRAIL: dict[str, Callable[[_Reader, str], Any]] = {
    "by": _said,
    "reason": _said,
    "changes": _Reader.texts,
}


def _named(r: _Reader, key: str) -> str:
    """What a zone or a photo is named by (its area, its file): "" when it does not read."""
    return r.text(key, required=True) or ""


def _decode_photos(r: _Reader) -> tuple[Photo, ...]:
    """A session's photos: tables (``photo add``), bare paths (older charts, ``--photo``), or
    both after a merge of the two kinds."""
    return tuple(
        Photo(item)
        if isinstance(item, str)
        else _decode_record(r.inner(item, f"{r.where} photo", "photos", index), Photo, file=_named)
        for index, item in enumerate(r.tables("photos"))
    )


def _course_status(c: _Reader, key: str) -> str:
    status = c.text(key) or "active"
    if status not in vocab.COURSE_STATUSES:
        c.fail(key, "active, completed or stopped")
        return "active"
    return str(status)


# A session's optional one-value fields (course, method, needle_gauge, source...).
_OPTIONAL = tuple(
    (f.name, _READ[str(f.type).removesuffix(" | None")])
    for f in fields(Session)
    if str(f.type).endswith(" | None")
)


def _decode_session(r: _Reader, patient_id: str = "") -> Session:
    number = r.integer("id", required=True)
    # A number that did not read is reported already (check goes on with the session's other
    # fields): they are named by the session's line, not as "session None".
    r.where = f"session {number}" if number is not None else "the session without a valid number"
    recorded = r.moment("recorded", required=True)
    # A schema-1 session has no uid: the one derived from what it holds, the same everywhere.
    # Without a number or a recorded moment (reported above) there is none to derive.
    uid = r.text("uid")
    if not uid:
        from mesolog.store.chartblocks import schema1_uid  # only schema-1 charts need it

        uid = schema1_uid(patient_id, number, recorded) or ""
    conflicts = _records(r, "conflicts", f"{r.where} conflict", Conflict)
    substances = _records(r, "substances", f"{r.where} substance", Substance)
    complications = _records(
        r,
        "complications",
        f"{r.where} complication",
        Complication,
        severity=lambda c, key: c.text(key) or None,  # absent: not recorded
    )
    amendments = _records(r, "amendments", f"{r.where} amendment", Amendment, **_TRAIL)
    m = r.inner(r.table.get("measurements", {}), f"{r.where} measurements", "measurements")
    measurements = {key: m.real(key, required=True) for key in m.table}
    return Session(
        id=number,
        date=r.day("date", required=True),
        recorded=recorded,
        areas=r.texts("areas"),
        technique=r.text("technique", required=True),
        depth_mm=r.real("depth_mm", required=True),
        anaesthetic=r.text("anaesthetic", required=True),
        substances=substances,
        practitioner=r.text("practitioner") or "",
        zones=_records(r, "zones", f"{r.where} zone", Zone, area=_named, zone=_named),
        photos=_decode_photos(r),
        **{name: read(r, name, False) for name, read in _OPTIONAL},
        notes=r.text("notes") or "",
        status=r.text("status") or "active",
        complications=complications,
        measurements=measurements,
        amendments=amendments,
        conflicts=conflicts,
        uid=uid,
    )


def decode_chart(path: Path, data: dict[str, Any], text: str = "") -> Chart:
    """A chart from parsed TOML; the first thing of the wrong shape is a :class:`CorruptFile`
    naming its own line (``text`` is the file's text, for the line numbers)."""
    return _decode(path, data, Lines(text), None)[0]


def decode_every_problem(
    path: Path, data: dict[str, Any], text: str
) -> tuple[Chart, list[CorruptFile], set[int]]:
    """For ``check``: the chart, every problem of shape (each naming its field's line), and the
    positions of the sessions that had one (their fields may read as absent: not to be
    validated further)."""
    problems: list[CorruptFile] = []
    chart, broken = _decode(path, data, Lines(text), problems)
    return chart, problems, broken


def _decode(
    path: Path, data: dict[str, Any], lines: Lines, problems: list[CorruptFile] | None
) -> tuple[Chart, set[int]]:
    top = _Reader(path, data, "file", (), lines, problems)
    schema = data.get("schema")
    if not isinstance(schema, int) or isinstance(schema, bool):
        found = f"no valid 'schema' number at the top (found {as_written(schema)})"
        top.report(CorruptFile(path, found, lines.line(("schema",)) or 1))
    elif schema > SCHEMA:
        raise NewerSchema(
            f"{path} was written by a newer mesolog (schema {schema}; this one knows {SCHEMA}): "
            "upgrade mesolog; the file was not touched."
        )
    elif schema < 1:
        found = f"schema {schema} is not a schema mesolog ever wrote"
        top.report(CorruptFile(path, found, lines.line(("schema",))))
    patient = _decode_record(top.inner(data.get("patient"), "[patient]", "patient"), Patient)
    courses = _records(top, "courses", "course", Course, status=_course_status)
    sessions: list[Session] = []
    broken: set[int] = set()
    for index, raw in enumerate(top.tables("sessions")):
        before = len(problems or ())
        sessions.append(
            _decode_session(top.inner(raw, "session", "sessions", index), patient.id or "")
        )
        if len(problems or ()) > before:
            broken.add(index)
    amendments = _records(top, "amendments", "chart amendment", Amendment, **_TRAIL)
    return Chart(patient, courses, tuple(sessions), SCHEMA, amendments), broken


_FIRST_LIST_HEADER = re.compile(r"^[ \t]*\[\[", re.MULTILINE)


def read_patient(path: Path) -> Patient | None:
    """The ``[patient]`` table of a chart, read without decoding its sessions (the "did you
    mean" of an unknown id looks at every chart's name); None when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
        head = _FIRST_LIST_HEADER.search(text)
        try:
            data = tomllib.loads(text[: head.start()] if head else text)
        except tomllib.TOMLDecodeError:
            data = {}
        if "patient" not in data:  # [patient] written after the sessions, by hand
            data = tomllib.loads(text)
        top = _Reader(path, data, "file", (), Lines(""))
        return _decode_record(top.inner(data.get("patient"), "[patient]", "patient"), Patient)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, CorruptFile, RecursionError):
        return None


@functools.cache
def _fast_parser() -> Callable[[str], dict[str, Any]] | None:
    """toml-rs in its TOML 1.0 mode, if installed: about 8x tomllib's speed on our charts, the
    same data (a test compares them), and it refuses every invalid case of the toml-test suite.
    Importing it costs ~10 ms, so only commands that read many charts ask for it."""
    if os.environ.get("MESOLOG_TOML_PARSER") == "tomllib":
        return None
    try:
        import toml_rs
    except ImportError:  # a platform without its wheel: everything works, only slower
        return None
    return functools.partial(toml_rs.loads, toml_version="1.0.0")


def _fast_loads(text: str) -> dict[str, Any] | None:
    """The parsed text, or None to let tomllib decide (not installed, or the text refused)."""
    parse = _fast_parser()
    try:
        return None if parse is None else parse(text)
    except Exception:  # its messages differ from tomllib's: tomllib words the refusal
        return None


# The compiled parser recurses on the machine's own stack for each level of an array or inline
# table, and a few thousand levels crash the process (no exception to catch: the whole command
# dies). A text can nest no deeper than it has "[" and "{", so a text with fewer than this many
# goes to it safely (a chart of about 180 sessions; measured safe past 4,000 levels); a text
# with more is read by tomllib, which gives up on deep nesting with a RecursionError, refused
# as a chart that is nested too deep (docs/sharing.md).
FAST_PARSER_OPENERS = 2000
DEEP = 64  # the nesting reported as where a chart is too deep (none of ours nests past 4)


def could_nest_deep(text: str) -> bool:
    """Whether a text might nest deeper than the compiled parser copes with (two counts of one
    character each: cheap beside a parse)."""
    return text.count("[") + text.count("{") > FAST_PARSER_OPENERS


def too_deep(path: Path, text: str) -> CorruptFile:
    """A chart that nests arrays or tables deeper than any parser should follow, with the line
    where it goes past ``DEEP`` levels when a rough count finds one (strings not told apart)."""
    depth = 0
    line: int | None = None
    for found in re.finditer(r"[\[\]{}]", text):
        depth += 1 if found.group() in "[{" else -1
        if depth > DEEP:
            line = text.count("\n", 0, found.start()) + 1
            break
    return CorruptFile(
        path,
        "arrays or tables nested too deep to read (a chart nests a few levels); restore it from "
        "a backup or from its history",
        line,
    )


@functools.lru_cache(maxsize=1)
def parse_chart_text(path: Path, text: str, bulk: bool = False) -> Chart:
    """Parse a chart file's text; a syntax error names the line and column.

    ``bulk`` (reading the whole clinic) parses with the compiled parser when it is installed;
    tomllib stays the reference: whatever the fast parser refuses is parsed again by tomllib,
    so a broken chart is reported with tomllib's exact line and column.

    ``add`` and ``amend`` read a chart to prepare the change and again under the lock; when
    the text is the same both times (compared whole, by the cache), it is parsed once. A chart
    is immutable, so sharing it is safe; a refusal is raised again, never remembered.
    """
    if not text.strip():
        raise CorruptFile(
            path, "the file is empty; it is never read as 'no sessions' (restore it from a backup)"
        )
    if "\x00" in text:
        raise CorruptFile(
            path, "the file holds NUL bytes (a failed disk write?); restore it from a backup"
        )
    try:
        fast = bulk and not could_nest_deep(text)
        data = (_fast_loads(text) if fast else None) or tomllib.loads(text)
    except RecursionError:
        raise too_deep(path, text) from None
    except tomllib.TOMLDecodeError as error:
        marker = conflict_marker_line(text)
        if marker:
            raise CorruptFile(path, f"unresolved merge conflict at line {marker}", marker) from None
        message = str(error)
        found = re.search(r"\(at line (\d+), column (\d+)\)", message)
        if found:
            reason = message[: found.start()].strip()
            raise CorruptFile(
                path, f"column {found.group(2)}: broken TOML: {reason}", int(found.group(1))
            ) from None
        if "(at end of document)" in message:
            reason = message.replace("(at end of document)", "").strip()
            last = text.count("\n") + (0 if text.endswith("\n") else 1)
            raise CorruptFile(path, f"end of file: broken TOML: {reason}", last) from None
        raise CorruptFile(path, f"broken TOML: {message}") from None
    return decode_chart(path, data, text)


_CONFLICT_MARKER = re.compile(r"^(<{7}|={7}|>{7}|\|{7})( |$)", re.MULTILINE)


def conflict_marker_line(text: str) -> int | None:
    """The line of the first git conflict marker (``<<<<<<<``, ``=======``...), or None."""
    found = _CONFLICT_MARKER.search(text)
    return text.count("\n", 0, found.start()) + 1 if found else None


def read_chart_file(path: Path, bulk: bool = False) -> tuple[Chart, str]:
    """(chart, text) of one file; refuses empty, truncated, non-UTF-8 or newer files, and
    anything that is not a regular file (never opened).

    ``bulk``: one of many charts read at once (see :func:`parse_chart_text`).
    """
    raw = read_regular_file(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CorruptFile(path, "is not UTF-8 text; restore it from a backup") from None
    # A byte-order mark, as Windows editors write one, is not part of the chart. It is dropped
    # here, so the next write saves the chart without it.
    text = text.removeprefix(BOM)
    return parse_chart_text(path, text, bulk), text


def read_regular_file(path: Path) -> bytes:
    """The bytes of a regular file. Anything else (a FIFO would hang the reader forever, a
    device or folder is not a chart) is refused without being opened; the open itself does
    not block and is checked again on the open file, in case the name changed in between."""
    import stat

    not_regular = "is not a regular file; skipped, never opened"
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise CorruptFile(path, not_regular)
        # Links were vetted by ``Clinic.safe_path``; the file opened is the link's target.
        fd = os.open(os.path.realpath(path), os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise CorruptFile(path, not_regular)
            return handle.read()
    except OSError as error:
        raise CorruptFile(path, f"cannot be read ({error.strerror})") from None
