"""The derived summary cache behind the clinic-wide commands (store layer).

A SQLite file in the cache folder, one per data folder, holding per patient what ``report``
(overview), ``patient list``, ``due``, ``lot``, ``find`` and ``stats`` need. Each file's row is
keyed by its inode, size and mtime_ns and checked on every run, so an edit by hand is seen at
once; only changed files are parsed again. It is derived data: deleting it loses nothing, and a
corrupt one is rebuilt silently.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import sqlite3
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import NamedTuple

from mesolog.errors import MesologError
from mesolog.model.progress import PatientSummary, summarize
from mesolog.model.questions import (
    DEPTH_BANDS,
    NOT_RECORDED,
    Contact,
    GroupStats,
    SessionQuery,
    SessionRow,
    area_group,
    complication_group,
    session_rows,
    substance_group,
    top_three,
)
from mesolog.model.values import lot_key
from mesolog.model.vocabulary import meaning, normalize, substance_meaning
from mesolog.store import Clinic, make_private_dir, read_chart_file

VERSION = "11"  # 11: the zones of the injection map
SEP = "\x1f"  # between list items
# Told (charts read, charts to read) while a refresh reads charts: (0, n) first, then after each
# chart, and (n, n) once more at the end, also when the refresh fails. The store draws nothing:
# the cli passes a callback built by the render layer (a progress bar in a terminal).
Progress = Callable[[int, int], None]
SUB = "\x1e"  # between the parts of one substance

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS files(
    name TEXT PRIMARY KEY, ino INTEGER, size INTEGER, mtime_ns INTEGER, problem TEXT);
CREATE TABLE IF NOT EXISTS patients(
    name TEXT PRIMARY KEY, patient_id TEXT, full_name TEXT, indication TEXT, sessions INTEGER,
    course TEXT, done INTEGER, planned INTEGER, last_session TEXT, next_due TEXT,
    latest_complications TEXT, phone TEXT, email TEXT, note TEXT, course_status TEXT);
CREATE TABLE IF NOT EXISTS sessions(
    name TEXT, patient_id TEXT, session INTEGER, date TEXT, status TEXT, technique TEXT,
    depth_mm REAL, anaesthetic TEXT, practitioner TEXT, indication TEXT, course TEXT, method TEXT,
    areas TEXT, substances TEXT, complications TEXT, practitioner_norm TEXT, indication_norm TEXT,
    zones TEXT);
CREATE INDEX IF NOT EXISTS sessions_by_number ON sessions(name, session);
-- Which charts hold a lot (once per chart, not per session: a recall narrows to the charts,
-- then reads their sessions).
CREATE TABLE IF NOT EXISTS lots(
    lot_key TEXT, name TEXT, lot TEXT, PRIMARY KEY (lot_key, name, lot)) WITHOUT ROWID;
-- The many-valued parts of a session (areas, substances, complications), one row each; for a
-- substance, grp is its catalogue group ("minoxidil 0.5%" -> "minoxidil").
CREATE TABLE IF NOT EXISTS facts(
    name TEXT, session INTEGER, kind TEXT, norm TEXT, value TEXT, grp TEXT, grp_norm TEXT,
    PRIMARY KEY (name, session, kind, norm, value)) WITHOUT ROWID;
-- Few indexes on purpose: every one is paid for by each rebuild; the primary keys serve.
"""


def cache_file(cache_dir: Path, data_dir: Path) -> Path:
    key = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:16]
    return cache_dir / f"summary-{key}.sqlite3"


def _signatures(clinic: Clinic) -> dict[str, tuple[int, int, int]]:
    out = {}
    try:
        entries = os.scandir(clinic.patients_dir)
    except FileNotFoundError:
        return {}
    with entries:
        for entry in entries:
            name = entry.name
            if name.endswith(".toml") and not name.startswith("."):
                if entry.is_symlink() and clinic.skipped_second_name(name[:-5]):
                    continue  # one chart under two names: listed once, under its own
                try:
                    st = entry.stat()
                except OSError:  # a dangling link: still listed, as a problem
                    st = entry.stat(follow_symlinks=False)
                out[name[:-5]] = (st.st_ino, st.st_size, st.st_mtime_ns)
    return out


def _join_substances(row: SessionRow) -> str:
    return SEP.join(f"{n}{SUB}{a!r}{SUB}{u}{SUB}{lot or ''}" for n, a, u, lot in row.substances)


def _split_substances(text: str) -> tuple[tuple[str, float, str, str | None], ...]:
    out = []
    for item in text.split(SEP) if text else ():
        name, amount, unit, lot = item.split(SUB)
        out.append((name, float(amount), unit, lot or None))
    return tuple(out)


def _split_complications(text: str) -> tuple[tuple[str, str], ...]:
    return tuple(tuple(c.split(SUB, 1)) for c in text.split(SEP)) if text else ()  # type: ignore[misc]


class SummaryCache:
    """Use as a context manager; :meth:`refresh` brings it up to date with the files."""

    def __init__(
        self,
        clinic: Clinic,
        cache_dir: Path,
        workers: int | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.clinic = clinic
        self.workers = workers  # processes for a rebuild; None: as many as there are cores
        self.progress = progress
        self.path = cache_file(cache_dir, clinic.data_dir)
        self.db: sqlite3.Connection | None = None

    def __enter__(self) -> SummaryCache:
        try:
            self.db = self._open()
        except sqlite3.DatabaseError:
            # Derived data: a corrupt cache is thrown away and rebuilt, silently.
            self._remove()
            self.db = self._open()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.db is not None:
            self.db.close()

    def _remove(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{self.path}{suffix}")

    def _open(self) -> sqlite3.Connection:
        make_private_dir(self.path.parent)
        if not self.path.exists():
            # The cache holds names and lots: private from the first byte.
            os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
        db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=OFF")  # derived data: a crash at worst means a rebuild
        # A full rebuild writes ~250 index rows per chart in one transaction: with SQLite's
        # default 2 MB page cache it spills, and the rebuild grew faster than the clinic.
        db.execute("PRAGMA cache_size=-32768")
        version = None
        with contextlib.suppress(sqlite3.OperationalError):
            found = db.execute("SELECT value FROM meta WHERE key='version'").fetchone()
            version = found[0] if found else None
        if version != VERSION:
            db.executescript(
                "DROP TABLE IF EXISTS meta; DROP TABLE IF EXISTS files; DROP TABLE IF EXISTS patients;"
                "DROP TABLE IF EXISTS sessions; DROP TABLE IF EXISTS lots; DROP TABLE IF EXISTS facts;"
                + SCHEMA
            )
            db.execute("INSERT OR REPLACE INTO meta VALUES('version', ?)", (VERSION,))
        return db

    @property
    def _db(self) -> sqlite3.Connection:
        assert self.db is not None, "use SummaryCache as a context manager"
        return self.db

    def refresh(self) -> int:
        """Parse the files that changed since the last run; returns how many were parsed."""
        # Parsing thousands of charts makes millions of short-lived objects and no cycles:
        # the cyclic collector only costs time here (about a tenth of a full rebuild).
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._refresh()
        except sqlite3.DatabaseError:
            self._db.close()
            self._remove()
            self.db = self._open()
            return self._refresh()
        finally:
            if collecting:
                gc.enable()

    def _refresh(self) -> int:
        db = self._db
        current = _signatures(self.clinic)
        cached = {
            row[0]: tuple(row[1:])
            for row in db.execute("SELECT name, ino, size, mtime_ns FROM files")
        }
        if cached == current:
            return 0
        db.execute("BEGIN IMMEDIATE")  # one refresher at a time; the other waits, then sees it done
        try:
            cached = {
                row[0]: tuple(row[1:])
                for row in db.execute("SELECT name, ino, size, mtime_ns FROM files")
            }
            stale = [n for n in cached if cached[n] != current.get(n)]
            fresh = [n for n in current if cached.get(n) != current[n]]
            for name in stale:
                for table in ("files", "patients", "sessions", "lots", "facts"):
                    db.execute(f"DELETE FROM {table} WHERE name = ?", (name,))
            self._load_all(fresh, current)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return len(fresh)

    def _load_all(self, names: list[str], current: dict[str, tuple[int, int, int]]) -> None:
        told = self.progress or _not_told
        told(0, len(names))
        try:
            charts = _chart_rows_of_many(self.clinic, names, current, self.workers)
            for done, rows in enumerate(charts, start=1):
                self._insert(rows)
                told(done, len(names))
        finally:
            told(len(names), len(names))

    def _insert(self, rows: ChartRows) -> None:
        db = self._db
        db.execute("INSERT OR REPLACE INTO files VALUES(?,?,?,?,?)", rows.file)
        if rows.patient is not None:
            db.execute(
                "INSERT OR REPLACE INTO patients VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                rows.patient,
            )
        db.executemany(
            "INSERT INTO sessions VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows.sessions
        )
        db.executemany("INSERT OR IGNORE INTO facts VALUES(?,?,?,?,?,?,?)", rows.facts)
        db.executemany("INSERT OR IGNORE INTO lots VALUES(?,?,?)", rows.lots)

    # -- answers --

    def summaries(self) -> tuple[list[PatientSummary], list[tuple[str, str]]]:
        """Every readable chart's summary, and (id, why) for each unreadable one."""
        out = [
            PatientSummary(
                patient_id=row[1],
                name=row[2],
                indication=row[3],
                sessions=row[4],
                course=row[5],
                done=row[6],
                planned=row[7],
                last_session=_day(row[8]),
                next_due=_day(row[9]),
                latest_complications=tuple(row[10].split(SEP)) if row[10] else (),
                phone=row[11],
                email=row[12],
                note=row[13],
                course_status=row[14],
            )
            for row in self._db.execute("SELECT * FROM patients")
        ]
        return out, self.problems()

    def problems(self) -> list[tuple[str, str]]:
        """(id, why) for each chart that could not be read."""
        query = "SELECT name, problem FROM files WHERE problem IS NOT NULL ORDER BY name"
        return list(self._db.execute(query))

    def contacts(self) -> dict[str, Contact]:
        """Name, phone and email of every readable chart, by patient id (for recalls)."""
        query = "SELECT patient_id, full_name, phone, email FROM patients"
        return {row[0]: Contact(*row[1:]) for row in self._db.execute(query)}

    def lots(self) -> list[str]:
        """Every lot number recorded, as typed (for shell completion)."""
        return [row[0] for row in self._db.execute("SELECT DISTINCT lot FROM lots ORDER BY lot")]

    def substance_names(self) -> list[str]:
        names: set[str] = set()
        for (text,) in self._db.execute("SELECT DISTINCT substances FROM sessions"):
            names.update(name for name, *_ in _split_substances(text))
        return sorted(names)

    def sessions(self, query: SessionQuery | None = None) -> Iterator[SessionRow]:
        """Session rows of every readable chart, or of those that match ``query``.

        SQL narrows the rows down (always to a superset); ``query.matches`` has the last word,
        so the cache can never answer differently from the charts themselves.
        """
        where, args = _narrowing(query) if query is not None else ("", [])
        for row in self._db.execute("SELECT s.* FROM sessions s" + where, args):
            found = SessionRow(
                patient_id=row[1],
                session=row[2],
                date=date.fromisoformat(row[3]),
                status=row[4],
                technique=row[5],
                depth_mm=row[6],
                anaesthetic=row[7],
                practitioner=row[8],
                indication=row[9],
                course=row[10],
                method=row[11],
                areas=tuple(row[12].split(SEP)) if row[12] else (),
                substances=_split_substances(row[13]),
                complications=_split_complications(row[14]),
                zones=tuple(row[17].split(SEP)) if row[17] else (),
            )
            if query is None or query.matches(found):
                yield found

    def stats(self, by: str, query: SessionQuery) -> list[GroupStats]:
        """``questions.complication_stats`` computed in SQL, for the same answer without
        loading every session (tests check that the two agree)."""
        if by in ("substance", "area"):
            source = (
                f"JOIN facts f ON f.name = s.name AND f.session = s.session AND f.kind = '{by}'"
            )
            key = "f.grp"
        elif by == "depth":
            cases = " ".join(
                f"WHEN s.depth_mm < {top!r} THEN '{label}'" for top, label in DEPTH_BANDS[:-1]
            )
            source, key = "", f"CASE {cases} ELSE '{DEPTH_BANDS[-1][1]}' END"
        else:
            column = {
                "technique": "technique",
                "anaesthetic": "anaesthetic",
                "practitioner": "practitioner",
                "method": "method",
            }[by]
            source, key = "", f"COALESCE(NULLIF(s.{column}, ''), '{NOT_RECORDED}')"
        # A join can repeat a session within its group (two minoxidil mixes in one session);
        # a column cannot, and DISTINCT over every session costs more than the rest together.
        distinct = "DISTINCT " if source else ""

        def grouped(*also: str) -> tuple[str, list[object]]:
            where, args = _narrowing(query, *also)
            return (
                f"SELECT {distinct}{key} AS grp, s.name, s.session, s.patient_id,"
                f" s.complications != '' AS hit FROM sessions s {source}{where}"
            ), args

        db = self._db
        tops: dict[str, dict[str, int]] = {}
        with_complications, args = grouped("s.complications != ''")
        for group, complication, count in db.execute(
            # A complication counts once per session, whatever words it was typed in.
            "SELECT grp, kind, COUNT(*) FROM (SELECT DISTINCT g.grp AS grp, c.grp AS kind,"
            f" g.name, g.session FROM ({with_complications}) g JOIN facts c"
            " ON c.name = g.name AND c.session = g.session AND c.kind = 'complication')"
            " GROUP BY grp, kind",
            args,
        ):
            tops.setdefault(group, {})[complication] = count
        every, args = grouped()
        out = [
            GroupStats(group, n, patients, hits, top_three(Counter(tops.get(group, {}))))
            for group, n, patients, hits in db.execute(
                f"SELECT grp, COUNT(*), COUNT(DISTINCT patient_id), SUM(hit) FROM ({every}) GROUP BY grp",
                args,
            )
        ]
        return sorted(out, key=lambda s: (-s.sessions, s.group))


class ChartRows(NamedTuple):
    """One chart's rows for each table of the cache (plain tuples: they cross processes)."""

    file: tuple[object, ...]
    patient: tuple[object, ...] | None
    sessions: Sequence[tuple[object, ...]]
    facts: list[tuple[str, int, str, str, str, str, str]]
    lots: list[tuple[str, str, str]]


# A rebuild parses every chart, which is most of its time and needs nothing shared: from this
# many charts on, it is spread over the machine's cores (Linux's fork starts a worker in a few
# milliseconds; elsewhere, and for fewer charts, one process does it).
PARALLEL_FROM = 64
_CHUNK = 16


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _chart_rows_of_many(
    clinic: Clinic,
    names: list[str],
    signatures: dict[str, tuple[int, int, int]],
    workers: int | None = None,
) -> Iterator[ChartRows]:
    """Each named chart's rows, in order; in parallel when there are many (see PARALLEL_FROM)."""
    workers = min(_cores(), 8) if workers is None else workers
    if workers < 2 or len(names) < PARALLEL_FROM or sys.platform != "linux":
        for name in names:
            yield chart_rows(clinic, name, signatures[name])
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    chunks = [names[i : i + _CHUNK] for i in range(0, len(names), _CHUNK)]
    jobs = [(clinic.data_dir, chunk, [signatures[n] for n in chunk]) for chunk in chunks]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_end_with_parent, initargs=(os.getpid(),)
    ) as pool:
        for rows_of_chunk in pool.map(_chunk_rows, jobs):
            yield from rows_of_chunk


def _end_with_parent(parent: int) -> None:
    """In a worker, first thing: ask Linux to end this process when its parent dies (a killed
    ``mesolog due`` must not leave workers waiting for work that never comes)."""
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)


def _chunk_rows(job: tuple[Path, list[str], list[tuple[int, int, int]]]) -> list[ChartRows]:
    """In a worker process: the rows of a few charts."""
    data_dir, names, signatures = job
    clinic = Clinic(data_dir)
    return [chart_rows(clinic, name, sig) for name, sig in zip(names, signatures, strict=True)]


def chart_rows(clinic: Clinic, name: str, signature: tuple[int, int, int]) -> ChartRows:
    """The cache's rows for one chart file; an unreadable one gets only its file row, with why."""
    path = clinic.patients_dir / f"{name}.toml"
    try:
        clinic.safe_path(path)
        chart, _ = read_chart_file(path, bulk=True)
        s = summarize(chart)
    except MesologError as error:
        return ChartRows((name, *signature, str(error)), None, [], [], [])
    patient = (
        name,
        s.patient_id,
        s.name,
        s.indication,
        s.sessions,
        s.course,
        s.done,
        s.planned,
        _iso(s.last_session),
        _iso(s.next_due),
        SEP.join(s.latest_complications),
        s.phone,
        s.email,
        s.note,
        s.course_status,
    )
    rows = session_rows(chart)
    sessions = [
        (
            name,
            r.patient_id,
            r.session,
            r.date.isoformat(),
            r.status,
            r.technique,
            r.depth_mm,
            r.anaesthetic,
            r.practitioner,
            r.indication,
            r.course,
            r.method,
            SEP.join(r.areas),
            _join_substances(r),
            SEP.join(f"{c}{SUB}{sev}" for c, sev in r.complications),
            normalize(r.practitioner),
            meaning("indication", r.indication or ""),
            SEP.join(r.zones),
        )
        for r in rows
    ]
    lots = sorted({(lot_key(lot), name, lot) for r in rows for *_, lot in r.substances if lot})
    return ChartRows((name, *signature, None), patient, sessions, _facts(name, rows), lots)


def _facts(name: str, rows: list[SessionRow]) -> list[tuple[str, int, str, str, str, str, str]]:
    """The many-valued parts of each session, one row each, for the find and stats queries."""
    out = []
    for r in rows:
        session = r.session
        for area in r.areas:
            group = area_group(area)
            out.append((name, session, "area", normalize(area), area, group, normalize(group)))
        for given, *_ in r.substances:
            group = substance_group(given)
            out.append(
                (name, session, "substance", normalize(given), given, group, normalize(group))
            )
        for complication, _ in r.complications:
            group = complication_group(complication)
            norm = normalize(complication)
            out.append((name, session, "complication", norm, complication, group, normalize(group)))
    return out


def _narrowing(query: SessionQuery, *also: str) -> tuple[str, list[object]]:
    """The WHERE clause, and its arguments, that keeps every session ``query`` matches (and
    usually few others), with the conditions ``also``: the one place a question becomes SQL."""
    where: list[str] = [] if query.include_voided else ["s.status = 'active'"]
    args: list[object] = []

    def keep(condition: str, *values: object) -> None:
        where.append(condition)
        args.extend(values)

    if query.since:
        keep("s.date >= ?", query.since.isoformat())
    if query.until:
        keep("s.date <= ?", query.until.isoformat())
    if query.technique:
        keep("s.technique = ?", query.technique)
    fact = "EXISTS (SELECT 1 FROM facts f WHERE f.name = s.name AND f.session = s.session AND f.kind {} AND {})"
    # Areas, complications and indications compare by meaning ("belly" finds "abdomen").
    for kind, value in (("area", query.area), ("complication", query.complication)):
        if value:
            keep(fact.format("= ?", "f.grp_norm = ?"), kind, normalize(meaning(kind, value)))
    if query.indication:
        keep("s.indication_norm = ?", meaning("indication", query.indication))
    if query.practitioner:
        keep("instr(s.practitioner_norm, ?) > 0", normalize(query.practitioner))
    if query.substance:
        typed, meant = normalize(query.substance), normalize(substance_meaning(query.substance))
        keep(
            fact.format(
                "= 'substance'",
                "(instr(f.norm, ?) > 0 OR instr(f.grp_norm, ?) > 0 OR f.grp_norm = ?)",
            ),
            typed, typed, meant,
        )
    if query.zone:  # a superset: the zone's meaning is the model's to match
        keep("s.zones != ''")
    if query.lot:
        keep("s.name IN (SELECT name FROM lots WHERE lot_key = ?)", lot_key(query.lot))
    where += also
    return (" WHERE " + " AND ".join(where)) if where else "", args


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _not_told(done: int, total: int) -> None:
    pass


@contextlib.contextmanager
def opened(
    clinic: Clinic, cache_dir: Path, progress: Progress | None = None
) -> Iterator[SummaryCache]:
    """The cache, refreshed (``progress`` is told how the reading goes). When the cache folder
    cannot be written, a throwaway in-memory cache gives the same answers (slower, never wrong)."""
    cache = SummaryCache(clinic, cache_dir, progress=progress)
    try:
        cache.__enter__()
        cache.refresh()
    except (OSError, sqlite3.Error):
        # A full disk, a read-only cache folder, a file where the folder should be: SQLite
        # says "disk I/O error" or "unable to open database file"; the files still answer.
        with contextlib.suppress(sqlite3.Error):
            cache.__exit__()
        cache.path = Path(":memory:")
        cache.db = sqlite3.connect(":memory:", isolation_level=None)
        cache.db.executescript(SCHEMA)
        cache.refresh()
    try:
        yield cache
    finally:
        cache.__exit__()
