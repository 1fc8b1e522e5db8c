"""Where charts live and how they are read and written: the only module that touches files.

Every change happens under a per-patient lock held across the whole read-modify-write, is
written to a temporary file in the same folder, fsynced, ``os.replace``d and the folder fsynced.
The text about to be written is parsed back and must give exactly the intended chart (and never
fewer sessions than were read) before it replaces anything.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import tempfile
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from mesolog import history
from mesolog import vocabulary as vocab
from mesolog.errors import (
    ChartBusy,
    CorruptFile,
    NewerSchema,
    PatientExists,
    UnknownCourse,
    UnknownPatient,
    UnknownSession,
    UnsafeFile,
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
    amended,
    check_patient_id,
    now,
    validate_session,
)

APP_NAME = "mesolog"
HEADER = (
    "# mesolog patient chart (schema 1). Managed by mesolog: hand edits are kept, but run\n"
    "# `mesolog check` after editing. Sessions are never deleted; use `mesolog void`.\n"
)
LOCK_TIMEOUT_S = 5.0


# --- locations --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Location:
    path: Path
    chosen_by: str


def data_location(explicit: str | Path | None = None) -> Location:
    """``--data-dir``, else ``MESOLOG_DATA_DIR``, else the platformdirs user data folder."""
    if explicit:
        return Location(Path(explicit).expanduser(), "--data-dir")
    if os.environ.get("MESOLOG_DATA_DIR"):
        return Location(Path(os.environ["MESOLOG_DATA_DIR"]).expanduser(), "MESOLOG_DATA_DIR")
    import platformdirs

    return Location(
        Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)), "platformdirs default"
    )


def config_location() -> Location:
    if os.environ.get("MESOLOG_CONFIG"):
        return Location(Path(os.environ["MESOLOG_CONFIG"]).expanduser(), "MESOLOG_CONFIG")
    import platformdirs

    folder = Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
    return Location(folder / "config.toml", "platformdirs default")


def cache_location() -> Location:
    if os.environ.get("MESOLOG_CACHE_DIR"):
        return Location(Path(os.environ["MESOLOG_CACHE_DIR"]).expanduser(), "MESOLOG_CACHE_DIR")
    import platformdirs

    return Location(
        Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)), "platformdirs default"
    )


def make_private_dir(path: Path) -> None:
    """Create a folder (and parents) readable only by its owner."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)


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
    return "\n".join(parts)


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
        a = _Reader(path, item, f"session {number} amendment", line)
        amendments.append(
            Amendment(
                at=a.moment("at", required=True),
                by=a.text("by") or "",
                reason=a.text("reason") or "",
                changes=a.texts("changes"),
            )
        )
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
    p = _Reader(path, data.get("patient"), "[patient]", None)
    patient = Patient(
        id=p.text("id", required=True),
        created=p.moment("created", required=True),
        name=p.text("name"),
        birth_year=p.integer("birth_year"),
        sex=p.text("sex"),
        note=p.text("note"),
    )
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
    return Chart(patient, tuple(courses), tuple(sessions), SCHEMA)


@functools.lru_cache(maxsize=1)
def parse_chart_text(path: Path, text: str) -> Chart:
    """Parse a chart file's text; a syntax error names the line and column.

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
        data = tomllib.loads(text)
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


def read_chart_file(path: Path) -> tuple[Chart, str]:
    """(chart, text) of one file; refuses empty, truncated, non-UTF-8 or newer files."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise CorruptFile(path, f"cannot be read ({error.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CorruptFile(path, "is not UTF-8 text; restore it from a backup") from None
    return parse_chart_text(path, text), text


# --- writing ----------------------------------------------------------------------------------


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a folder be fsynced
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomically(path: Path, text: str) -> None:
    """Temporary file in the same folder (0600), fsync, ``os.replace``, fsync the folder."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_dir(path.parent)


def _checked_text(path: Path, candidate: str | None, intended: Chart, sessions_before: int) -> str:
    """The text to write: ``candidate`` (which keeps hand edits) if it reads back as ``intended``,
    else a full encoding of ``intended``. Never fewer sessions than were read."""
    if len(intended.sessions) < sessions_before:
        raise CorruptFile(path, "refusing to write fewer sessions than the file holds")
    # The full encoding is made only when the candidate fails: it is the slow path.
    for text in _candidates(candidate, intended):
        try:
            if parse_chart_text(path, text) == intended:
                return text
        except CorruptFile:
            continue
    # Only a bug in the encoder could get here; writing would risk the chart.
    raise CorruptFile(
        path, "internal check failed: the new text does not read back; nothing written"
    )


def _candidates(candidate: str | None, intended: Chart) -> Iterator[str]:
    if candidate is not None:
        yield candidate
    yield encode_chart(intended)


def splice_session(text: str, number: int, block: str) -> str | None:
    """``text`` with session ``number``'s block replaced by ``block``; None if not found plainly.

    A block runs from its ``[[sessions]]`` header to the next one (or the end of the file).
    """
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if _SESSION_HEADER.match(line)]
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        chunk = "".join(lines[start:end])
        found = re.search(r"(?m)^\s*id\s*=\s*(\d+)\s*$", chunk)
        if found and int(found.group(1)) == number:
            tail = "\n" if end < len(lines) else ""
            return "".join(lines[:start]) + block.rstrip("\n") + "\n" + tail + "".join(lines[end:])
    return None


# --- locking ----------------------------------------------------------------------------------


@contextlib.contextmanager
def chart_lock(lock_dir: Path, patient_id: str, timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Exclusive lock on one patient (ids are unique ignoring case, so is the lock).

    Held across the whole read-modify-write. After ``timeout`` seconds, refuse, naming the
    process that holds it.
    """
    import fcntl
    import time

    make_private_dir(lock_dir)
    lock_path = lock_dir / f"{patient_id.lower()}.lock"
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = lock_path.read_text(errors="replace").strip() or "unknown"
                    raise ChartBusy(
                        f"patient {patient_id} is being written by another mesolog (pid {holder}); "
                        "try again in a moment."
                    ) from None
                time.sleep(0.02)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        os.close(fd)  # closing releases the lock


# --- the clinic -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartEntry:
    """One file of the clinic: its chart, or why it could not be read."""

    patient_id: str
    path: Path
    chart: Chart | None
    error: Exception | None = None


class Clinic:
    """A data folder of patient charts: the core API behind every command.

    >>> clinic = Clinic(Path("/tmp/clinic"))           # doctest: +SKIP
    >>> clinic.add_session("P-0042", draft)            # doctest: +SKIP
    """

    def __init__(self, data_dir: Path, lock_timeout: float | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.patients_dir = self.data_dir / "patients"
        self.lock_dir = self.data_dir / ".locks"
        env_timeout = os.environ.get("MESOLOG_LOCK_TIMEOUT")
        self.lock_timeout = lock_timeout or (float(env_timeout) if env_timeout else LOCK_TIMEOUT_S)
        self.notices: list[str] = []  # things the practitioner should hear about (git refused...)

    # -- finding charts --

    def ensure_folders(self) -> None:
        make_private_dir(self.data_dir)
        make_private_dir(self.patients_dir)

    def ids(self) -> list[str]:
        """Every patient id with a file, sorted ignoring case."""
        try:
            names = os.listdir(self.patients_dir)
        except FileNotFoundError:
            return []
        found = [n[:-5] for n in names if n.endswith(".toml") and not n.startswith(".")]
        return sorted(found, key=str.lower)

    def find(self, patient_id: str) -> Path | None:
        """The file of this patient (matched ignoring case), or None. Validates the id first."""
        check_patient_id(patient_id)
        exact = self.patients_dir / f"{patient_id}.toml"
        if exact.is_file() and not exact.is_symlink():
            return exact
        for known in self.ids():
            if known.lower() == patient_id.lower():
                return self.safe_path(self.patients_dir / f"{known}.toml")
        return None

    def safe_path(self, path: Path) -> Path:
        """``path``, unless it is a link to a file outside the data folder (then refused)."""
        if path.is_symlink():
            target = path.resolve()
            if not target.is_relative_to(self.patients_dir.resolve()):
                raise UnsafeFile(
                    f"{path} is a link to a file outside the data folder; refused for safety."
                )
        return path

    def path(self, patient_id: str) -> Path:
        """The file of an existing patient; unknown ids get a "did you mean" sentence."""
        found = self.find(patient_id)
        if found is None:
            exact = self.patients_dir / f"{patient_id}.toml"
            if exact.is_symlink():
                return self.safe_path(exact)
            suggestion = vocab.close_match(patient_id, self.ids())
            hint = f"; did you mean {suggestion}?" if suggestion else "."
            raise UnknownPatient(f"no patient {patient_id!r} in {self.patients_dir}{hint}")
        return found

    def load(self, patient_id: str) -> Chart:
        """One patient's chart; reads no other patient's file."""
        chart, _ = read_chart_file(self.path(patient_id))
        return chart

    def entries(self) -> Iterator[ChartEntry]:
        """Every chart of the clinic; a broken one is reported, the others still come."""
        from mesolog.errors import MesologError

        for patient_id in self.ids():
            path = self.patients_dir / f"{patient_id}.toml"
            try:
                self.safe_path(path)
                chart, _ = read_chart_file(path)
                yield ChartEntry(patient_id, path, chart)
            except MesologError as error:
                yield ChartEntry(patient_id, path, None, error)

    # -- changing charts --

    def _commit(self, path: Path, message: str, author: str) -> None:
        warning = history.record(self.data_dir, path, message, author, self.lock_dir)
        if warning:
            self.notices.append(warning)

    def new_patient(self, patient: Patient, courses: tuple[Course, ...] = ()) -> Path:
        """Create a chart; refuses an id that exists already, ignoring case."""
        check_patient_id(patient.id)
        self.ensure_folders()
        with chart_lock(self.lock_dir, patient.id, self.lock_timeout):
            existing = self.find(patient.id)
            if existing is not None:
                raise PatientExists(
                    f"patient {existing.stem} already exists ({existing}); nothing changed."
                )
            path = self.patients_dir / f"{patient.id}.toml"
            chart = Chart(patient, courses, ())
            write_atomically(path, _checked_text(path, None, chart, 0))
            self._commit(path, f"{patient.id}: patient created", "")
        return path

    def _change(
        self,
        patient_id: str,
        change: Callable[[Chart, str], tuple[Chart, str | None]],
        message: Callable[[Chart], str],
        author: str,
    ) -> tuple[Chart, Path]:
        """Read-modify-write under the lock. ``change`` gives the new chart and, when it can,
        new text that keeps the file's hand edits."""
        path = self.path(patient_id)
        with chart_lock(self.lock_dir, path.stem, self.lock_timeout):
            before, text = read_chart_file(path)
            after, candidate = change(before, text)
            write_atomically(path, _checked_text(path, candidate, after, len(before.sessions)))
            self._commit(path, message(after), author)
        return after, path

    def add_session(
        self, patient_id: str, draft: Session, today: date | None = None
    ) -> tuple[Session, Path]:
        """Record a session; its number is assigned under the lock. Appends to the file's text."""
        validate_session(draft, today)
        stored: list[Session] = []

        def change(chart: Chart, text: str) -> tuple[Chart, str | None]:
            if draft.course and chart.course(draft.course) is None:
                raise UnknownCourse(
                    f"patient {chart.patient.id} has no course {draft.course!r}; "
                    "add it with `mesolog course add`."
                )
            session = replace(draft, id=chart.next_session_id())
            stored.append(session)
            new = replace(chart, sessions=(*chart.sessions, session))
            joiner = "" if text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
            return new, text + joiner + encode_session(session)

        _, path = self._change(
            patient_id,
            change,
            lambda c: f"{c.patient.id}: session {stored[0].id} added",
            draft.practitioner,
        )
        return stored[0], path

    def add_course(self, patient_id: str, course: Course) -> Path:
        def change(chart: Chart, text: str) -> tuple[Chart, str | None]:
            if chart.course(course.name):
                raise PatientExists(
                    f"patient {chart.patient.id} already has a course {course.name!r}."
                )
            return replace(chart, courses=(*chart.courses, course)), None

        _, path = self._change(
            patient_id, change, lambda c: f"{c.patient.id}: course {course.name} added", ""
        )
        return path

    def amend(
        self,
        patient_id: str,
        number: int,
        edit: Callable[[Session], Session],
        by: str,
        reason: str,
        today: date | None = None,
    ) -> tuple[Session, Path]:
        """Change a session with an amendment (when, who, why, each old -> new) appended."""
        stored: list[Session] = []

        def change(chart: Chart, text: str) -> tuple[Chart, str | None]:
            old = chart.session(number)
            if old is None:
                raise UnknownSession(f"patient {chart.patient.id} has no session {number}.")
            new = amended(old, edit(old), now(), by, reason)
            if new.status != "voided":
                validate_session(new, today)
            if new.course and chart.course(new.course) is None:
                raise UnknownCourse(f"patient {chart.patient.id} has no course {new.course!r}.")
            stored.append(new)
            sessions = tuple(new if s.id == number else s for s in chart.sessions)
            return replace(chart, sessions=sessions), splice_session(
                text, number, encode_session(new)
            )

        def message(chart: Chart) -> str:
            what = "voided" if stored[0].status == "voided" else "amended"
            changed = ", ".join(c.split(":")[0] for c in stored[0].amendments[-1].changes)
            return f"{chart.patient.id}: session {number} {what}: {changed}"

        _, path = self._change(patient_id, change, message, by)
        return stored[0], path

    def void(self, patient_id: str, number: int, by: str, reason: str) -> tuple[Session, Path]:
        """Mark a session voided: it stays in the file, out of the progress maths."""

        def edit(session: Session) -> Session:
            if session.voided:
                from mesolog.errors import InvalidValue

                raise InvalidValue("session", number, "it is voided already")
            return replace(session, status="voided")

        return self.amend(patient_id, number, edit, by, reason)
