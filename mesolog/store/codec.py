"""Charts to TOML text and back. Decoding names the file, line and field of anything wrong."""

from __future__ import annotations

import functools
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

from mesolog.errors import (
    CorruptFile,
    NewerSchema,
)
from mesolog.model import (
    SCHEMA,
    Amendment,
    Chart,
    Complication,
    Course,
    Patient,
    Session,
    Substance,
)
from mesolog.model import vocabulary as vocab

HEADER = (
    "# mesolog patient chart (schema 1). Managed by mesolog: hand edits are kept, but run\n"
    "# `mesolog check` after editing. Sessions are never deleted; use `mesolog void`.\n"
)


# --- encoding ---------------------------------------------------------------------------------


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """TOML has no null: absent optional fields are left out; tuples become arrays."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        out[key] = list(value) if isinstance(value, tuple) else value
    return out


def _table(header: str, values: dict[str, Any]) -> str:
    import tomli_w

    return f"{header}\n{tomli_w.dumps(_clean(values))}"


def encode_session(session: Session) -> str:
    """One ``[[sessions]]`` block, with its substances, complications, measurements, amendments."""
    import tomli_w

    scalars = asdict(session)
    for key in ("substances", "complications", "measurements", "amendments"):
        scalars.pop(key)
    if not session.photos:
        scalars.pop("photos")
    scalars["depth_mm"] = float(session.depth_mm)
    blocks = [_table("[[sessions]]", scalars)]
    for item in session.substances:
        blocks.append(
            _table("[[sessions.substances]]", {**asdict(item), "amount": float(item.amount)})
        )
    for complication in session.complications:
        blocks.append(_table("[[sessions.complications]]", asdict(complication)))
    if session.measurements:
        values = {k: float(v) for k, v in session.measurements.items()}
        blocks.append(f"[sessions.measurements]\n{tomli_w.dumps(values)}")
    for note in session.amendments:
        blocks.append(_table("[[sessions.amendments]]", asdict(note)))
    return "\n".join(blocks)


def encode_chart(chart: Chart) -> str:
    import tomli_w

    parts = [
        HEADER,
        tomli_w.dumps({"schema": chart.schema}),
        _table("[patient]", asdict(chart.patient)),
    ]
    parts += [_table("[[courses]]", asdict(course)) for course in chart.courses]
    parts += [encode_session(session) for session in chart.sessions]
    parts += [encode_chart_amendment(note) for note in chart.amendments]
    return "\n".join(parts)


def encode_chart_amendment(note: Amendment) -> str:
    """One chart-level ``[[amendments]]`` entry (patient details, courses)."""
    return _table("[[amendments]]", asdict(note))


def chart_document(chart: Chart) -> dict[str, Any]:
    """The chart as the TOML document mesolog writes, as tomllib reads it back: what
    ``store.editing`` compares to change only what differs."""
    return tomllib.loads(encode_chart(chart))


# --- decoding ---------------------------------------------------------------------------------


class _Reader:
    """Typed access to a decoded TOML table; a wrong value names the file, line and field."""

    def __init__(self, path: Path, table: Any, where: str, line: int | None) -> None:
        if not isinstance(table, dict):
            raise CorruptFile(path, f"{where} must be a table", line)
        self.path, self.table, self.where, self.line = path, table, where, line

    def fail(self, key: str, expected: str) -> CorruptFile:
        value = self.table.get(key)
        return CorruptFile(
            self.path, f"{self.where}: {key} must be {expected}, found {value!r}", self.line
        )

    def text(self, key: str, required: bool = False, default: str | None = None) -> Any:
        value = self.table.get(key, default)
        if value is None and not required:
            return None
        if not isinstance(value, str):
            raise self.fail(key, "text")
        return value

    def integer(self, key: str, required: bool = False) -> Any:
        value = self.table.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(key, "a whole number")
        return value

    def real(self, key: str, required: bool = False) -> Any:
        value = self.table.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise self.fail(key, "a number")
        return float(value)

    def day(self, key: str, required: bool = False) -> Any:
        value = self.table.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, date) or isinstance(value, datetime):
            raise self.fail(key, "a date (YYYY-MM-DD, unquoted)")
        return value

    def moment(self, key: str, required: bool = False) -> Any:
        value = self.table.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, datetime):
            raise self.fail(key, "a date and time")
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, "a list of text")
        return tuple(value)

    def tables(self, key: str) -> list[Any]:
        value = self.table.get(key, [])
        if not isinstance(value, list):
            raise self.fail(key, "a list of tables")
        return value


_SESSION_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*sessions[ \t]*\]\]", re.MULTILINE)


def session_lines(text: str) -> list[int]:
    """Line number of each ``[[sessions]]`` header, in order (for messages that name a line)."""
    return [text.count("\n", 0, found.start()) + 1 for found in _SESSION_HEADER.finditer(text)]


def _decode_amendment(path: Path, raw: Any, where: str, line: int | None) -> Amendment:
    a = _Reader(path, raw, where, line)
    return Amendment(
        at=a.moment("at", required=True),
        by=a.text("by") or "",
        reason=a.text("reason") or "",
        changes=a.texts("changes"),
    )


def _decode_session(path: Path, raw: Any, line: int | None) -> Session:
    r = _Reader(path, raw, "session", line)
    number = r.integer("id", required=True)
    r.where = f"session {number}"
    substances = []
    for item in r.tables("substances"):
        s = _Reader(path, item, f"session {number} substance", line)
        substances.append(
            Substance(
                name=s.text("name", required=True),
                amount=s.real("amount", required=True),
                unit=s.text("unit", required=True),
                category=s.text("category") or vocab.UNCATALOGUED,
                concentration=s.text("concentration"),
                lot=s.text("lot"),
                expiry=s.day("expiry"),
            )
        )
    complications = []
    for item in r.tables("complications"):
        c = _Reader(path, item, f"session {number} complication", line)
        complications.append(
            Complication(
                name=c.text("name", required=True),
                severity=c.text("severity") or "mild",
                onset=c.day("onset"),
                resolved=c.day("resolved"),
                outcome=c.text("outcome"),
                reported_by=c.text("reported_by"),
            )
        )
    amendments = []
    for item in r.tables("amendments"):
        amendments.append(_decode_amendment(path, item, f"session {number} amendment", line))
    measures = r.table.get("measurements", {})
    m = _Reader(path, measures, f"session {number} measurements", line)
    measurements = {key: m.real(key, required=True) for key in measures}
    return Session(
        id=number,
        date=r.day("date", required=True),
        recorded=r.moment("recorded", required=True),
        areas=r.texts("areas"),
        technique=r.text("technique", required=True),
        depth_mm=r.real("depth_mm", required=True),
        anaesthetic=r.text("anaesthetic", required=True),
        substances=tuple(substances),
        practitioner=r.text("practitioner") or "",
        course=r.text("course"),
        indication=r.text("indication"),
        method=r.text("method"),
        angle_deg=r.integer("angle_deg"),
        needle_gauge=r.integer("needle_gauge"),
        needle_length_mm=r.real("needle_length_mm"),
        points=r.integer("points"),
        consent=r.text("consent"),
        photos=r.texts("photos"),
        duration_min=r.integer("duration_min"),
        notes=r.text("notes") or "",
        status=r.text("status") or "active",
        complications=tuple(complications),
        measurements=measurements,
        amendments=tuple(amendments),
    )


def _decode_patient(path: Path, data: dict[str, Any]) -> Patient:
    p = _Reader(path, data.get("patient"), "[patient]", None)
    return Patient(
        id=p.text("id", required=True),
        created=p.moment("created", required=True),
        name=p.text("name"),
        birth_year=p.integer("birth_year"),
        sex=p.text("sex"),
        note=p.text("note"),
        phone=p.text("phone"),
        email=p.text("email"),
    )


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
        return _decode_patient(path, data)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, CorruptFile):
        return None


def decode_chart(path: Path, data: dict[str, Any], text: str = "") -> Chart:
    """A chart from parsed TOML; anything of the wrong shape is a :class:`CorruptFile`."""
    schema = data.get("schema")
    if not isinstance(schema, int) or isinstance(schema, bool):
        raise CorruptFile(path, f"no valid 'schema' number at the top (found {schema!r})", 1)
    if schema > SCHEMA:
        raise NewerSchema(
            f"{path} was written by a newer mesolog (schema {schema}; this one knows {SCHEMA}): "
            "upgrade mesolog; the file was not touched."
        )
    if schema < 1:
        raise CorruptFile(path, f"schema {schema} is not a schema mesolog ever wrote")
    patient = _decode_patient(path, data)
    courses = []
    for raw in _Reader(path, data, "file", None).tables("courses"):
        c = _Reader(path, raw, "course", None)
        courses.append(
            Course(
                name=c.text("name", required=True),
                planned_sessions=c.integer("planned_sessions", required=True),
                interval_days=c.integer("interval_days", required=True),
                start=c.day("start", required=True),
                indication=c.text("indication"),
                status=_course_status(c),
            )
        )
    raw_sessions = _Reader(path, data, "file", None).tables("sessions")
    try:
        sessions = [_decode_session(path, raw, None) for raw in raw_sessions]
    except CorruptFile as error:
        # Only now is it worth finding lines: name the line of the session that failed.
        lines = session_lines(text)
        for i, raw in enumerate(raw_sessions):
            try:
                _decode_session(path, raw, lines[i] if i < len(lines) else None)
            except CorruptFile as located:
                raise located from None
        raise error from None
    amendments = tuple(
        _decode_amendment(path, raw, "chart amendment", None)
        for raw in _Reader(path, data, "file", None).tables("amendments")
    )
    return Chart(patient, tuple(courses), tuple(sessions), SCHEMA, amendments)


def _course_status(c: _Reader) -> str:
    status = c.text("status") or "active"
    if status not in vocab.COURSE_STATUSES:
        raise c.fail("status", "active, completed or stopped")
    return str(status)


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
    if parse is None:
        return None
    try:
        data: dict[str, Any] = parse(text)
    except Exception:  # its messages differ from tomllib's: tomllib words the refusal
        return None
    return data


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
        data = (_fast_loads(text) if bulk else None) or tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
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


def read_chart_file(path: Path, bulk: bool = False) -> tuple[Chart, str]:
    """(chart, text) of one file; refuses empty, truncated, non-UTF-8 or newer files.

    ``bulk``: one of many charts read at once (see :func:`parse_chart_text`).
    """
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise CorruptFile(path, f"cannot be read ({error.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CorruptFile(path, "is not UTF-8 text; restore it from a backup") from None
    return parse_chart_text(path, text, bulk), text
