"""The derived summary cache behind the clinic-wide commands (store layer).

A small SQLite file in the cache folder, one per data folder, with one row per chart: the
file's signature (inode, size, mtime_ns), why it could not be read if it could not, and what
the model made of it, pickled: its summary, its session rows, their lists gathered (so a
question passes over the charts that cannot answer it without reading their rows), and its part
of each statistic. Every run compares the signatures with the files, so an edit by hand is seen
at once, and parses again only the charts that changed. The questions are the model's own
functions: the cache stores, it never decides. It is derived data: deleting it loses nothing,
and a corrupt one is rebuilt silently. docs/cache.md has the measurements behind the design.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import pickle
import sqlite3
import sys
from collections.abc import Callable, Iterator
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from mesolog.errors import MesologError
from mesolog.model import vocabulary as vocab
from mesolog.model.progress import OpenCourse, PatientSummary, summarize
from mesolog.model.questions import (
    Contact,
    Gathered,
    GroupStats,
    SessionQuery,
    SessionRow,
    complication_stats,
    session_rows,
    tallies,
)
from mesolog.store.paths import make_private_dir

if TYPE_CHECKING:
    from mesolog.store.clinic import Clinic

# The layout of the cache: bumped by hand when it changes. The fields of the pickled classes
# are part of it, so a cache written before one of them changed is rebuilt, never misread; so is
# the vocabulary's fold of a few words, since the tallies group words by it (a cache written
# under another fold would count "Hämatom" and "Hamatom" apart until each chart changed).
VERSION = " ".join(
    [
        "16",
        *(f.name for cls in (PatientSummary, OpenCourse, SessionRow) for f in fields(cls)),
        *Gathered._fields,
        vocab.normalize("Hämatom Æ Œ ß Ø Ł"),
    ]
)
# Told (charts read, charts to read) while a refresh reads charts: (0, n) first, then after each
# chart, and (n, n) once more at the end, also when the refresh fails. The store draws nothing:
# the cli passes a callback built by the render layer (a progress bar in a terminal).
Progress = Callable[[int, int], None]
Signature = tuple[int, int, int]  # inode, size, mtime_ns

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS charts(
    name TEXT PRIMARY KEY, ino INTEGER, size INTEGER, mtime_ns INTEGER, problem TEXT,
    patient_id TEXT, summary BLOB, gathered BLOB, tallies BLOB,
    -- What reading says of a readable chart (store.reading): its open merge conflicts, and the
    -- hand edits that make writes refuse it, joined by "; " (NULL: none).
    conflicts INTEGER, flaws TEXT);
-- The session rows, ten times the rest, apart: every run reads all of charts, few read these.
CREATE TABLE IF NOT EXISTS sessions(name TEXT PRIMARY KEY, rows BLOB);
"""


class ChartRow(NamedTuple):
    """One chart's row of the cache. Plain values and pickles: it crosses processes as is."""

    name: str
    ino: int
    size: int
    mtime_ns: int
    problem: str | None
    patient_id: str | None
    summary: bytes | None
    gathered: bytes | None
    tallies: bytes | None
    conflicts: int
    flaws: str | None
    sessions: bytes | None


def _own_and_private(path: Path) -> None:
    """Refuse (PermissionError) a cache folder or file that is not the user's own or that others
    may write: loading a pickle runs what it says, so one planted by someone else must never be
    read. The folder and file mesolog makes are 0700 and 0600; ``opened`` then answers from a
    cache in memory instead. (Not on POSIX, the folder is under the user's own profile.)"""
    found = os.stat(path)
    if hasattr(os, "getuid") and (found.st_uid != os.getuid() or found.st_mode & 0o022):
        raise PermissionError(f"{path} is not private to this user")


def _signatures(clinic: Clinic) -> dict[str, Signature]:
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
        key = hashlib.sha256(str(clinic.data_dir.resolve()).encode()).hexdigest()[:16]
        self.path = cache_dir / f"summary-{key}.sqlite3"  # one per data folder
        self.db: sqlite3.Connection | None = None

    def __enter__(self) -> SummaryCache:
        try:
            self.db = self._open()
        except sqlite3.DatabaseError:
            self.db = self._rebuilt()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.db is not None:
            self.db.close()

    def _rebuilt(self) -> sqlite3.Connection:
        """Derived data: a corrupt cache is thrown away and made again, silently."""
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{self.path}{suffix}")
        return self._open()

    def _open(self) -> sqlite3.Connection:
        make_private_dir(self.path.parent)
        _own_and_private(self.path.parent)
        if not self.path.exists():
            # The cache holds names and lots: private from the first byte.
            os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
        _own_and_private(self.path)
        db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=OFF")  # derived data: a crash at worst means a rebuild
        version = None
        with contextlib.suppress(sqlite3.OperationalError):
            found = db.execute("SELECT value FROM meta WHERE key='version'").fetchone()
            version = found["value"] if found else None
        if version != VERSION:
            # Any older layout: dropped whole, rebuilt from the charts.
            tables = [
                row["name"]
                for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
            ]
            db.executescript("".join(f'DROP TABLE IF EXISTS "{t}";' for t in tables) + SCHEMA)
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
            self.db = self._rebuilt()
            return self._refresh()
        finally:
            if collecting:
                gc.enable()

    def _cached(self) -> dict[str, Signature]:
        query = "SELECT name, ino, size, mtime_ns FROM charts"
        return {r["name"]: (r["ino"], r["size"], r["mtime_ns"]) for r in self._db.execute(query)}

    def _refresh(self) -> int:
        db = self._db
        current = _signatures(self.clinic)
        if self._cached() == current:
            return 0
        db.execute("BEGIN IMMEDIATE")  # one refresher at a time; the other waits, then sees it done
        try:
            cached = self._cached()
            stale = [(n,) for n in cached if cached[n] != current.get(n)]
            db.executemany("DELETE FROM charts WHERE name = ?", stale)
            db.executemany("DELETE FROM sessions WHERE name = ?", stale)
            fresh = [n for n in current if cached.get(n) != current[n]]
            self._load_all(fresh, current)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return len(fresh)

    def _load_all(self, names: list[str], current: dict[str, Signature]) -> None:
        told = self.progress or (lambda done, total: None)
        told(0, len(names))
        try:
            rows = _read_many(self.clinic, names, current, self.workers)
            for done, row in enumerate(rows, start=1):
                self._db.execute(
                    "INSERT OR REPLACE INTO charts VALUES(?,?,?,?,?,?,?,?,?,?,?)", row[:-1]
                )
                if row.sessions is not None:
                    self._db.execute(
                        "INSERT OR REPLACE INTO sessions VALUES(?,?)", (row.name, row.sessions)
                    )
                told(done, len(names))
        finally:
            told(len(names), len(names))

    # -- answers: what is stored, as the model defines it --

    def summaries(self) -> tuple[list[PatientSummary], list[tuple[str, str]]]:
        """Every readable chart's summary, and (id, why) for each unreadable one."""
        return self._summaries(), self.problems()

    def _summaries(self) -> list[PatientSummary]:
        query = "SELECT summary FROM charts WHERE problem IS NULL"
        return [pickle.loads(r["summary"]) for r in self._db.execute(query)]

    def problems(self) -> list[tuple[str, str]]:
        """(id, why) for each chart that could not be read."""
        query = "SELECT name, problem FROM charts WHERE problem IS NOT NULL ORDER BY name"
        return [(r["name"], r["problem"]) for r in self._db.execute(query)]

    def chart_problems(self) -> tuple[list[str], list[tuple[str, str]]]:
        """The ids of the charts holding open merge conflicts, and (id, flaws) for each chart
        whose hand edits make writes refuse it (store.reading says them)."""
        query = (
            "SELECT name, conflicts, flaws FROM charts WHERE conflicts > 0 OR flaws IS NOT NULL "
            "ORDER BY name COLLATE NOCASE"
        )
        found = self._db.execute(query).fetchall()
        conflicted = [r["name"] for r in found if r["conflicts"]]
        return conflicted, [(r["name"], r["flaws"]) for r in found if r["flaws"]]

    def contacts(self) -> dict[str, Contact]:
        """Name, phone and email of every readable chart, by patient id (for recalls)."""
        return {s.patient_id: Contact(s.name, s.phone, s.email) for s in self._summaries()}

    def _gathered(self) -> list[tuple[str, Gathered]]:
        query = "SELECT name, gathered FROM charts WHERE problem IS NULL"
        return [(r["name"], pickle.loads(r["gathered"])) for r in self._db.execute(query)]

    def lots(self) -> list[str]:
        """Every lot number recorded, as typed (for shell completion)."""
        return sorted({lot for _, gathered in self._gathered() for lot in gathered.lots})

    def substance_names(self) -> list[str]:
        return sorted({name for _, gathered in self._gathered() for name in gathered.substances})

    def _rows(self, name: str) -> tuple[SessionRow, ...]:
        found = self._db.execute("SELECT rows FROM sessions WHERE name = ?", (name,)).fetchone()
        # None: removed by another refresh since the question began; gone from the answer too.
        return pickle.loads(found["rows"]) if found is not None else ()

    def sessions(self, query: SessionQuery | None = None) -> Iterator[SessionRow]:
        """Session rows of every readable chart, or of those that match ``query``."""
        query = query or SessionQuery(include_voided=True)
        names = [name for name, gathered in self._gathered() if query.may_match(gathered)]
        for name in names:
            yield from (row for row in self._rows(name) if query.matches(row))

    def stats(self, by: str, query: SessionQuery) -> list[GroupStats]:
        """A chart whose every session counts brings the part counted when it was read; one
        that may hold some brings its matching rows."""
        query_all = "SELECT name, patient_id, gathered, tallies FROM charts WHERE problem IS NULL"
        counted, rows = [], []
        for found in self._db.execute(query_all).fetchall():
            gathered = pickle.loads(found["gathered"])
            if query.takes_every(gathered):
                counted.append((found["patient_id"], pickle.loads(found["tallies"])[by]))
            elif query.may_match(gathered):
                rows += [row for row in self._rows(found["name"]) if query.matches(row)]
        return complication_stats(rows, by, counted)


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


def _read_many(
    clinic: Clinic, names: list[str], signatures: dict[str, Signature], workers: int | None = None
) -> Iterator[ChartRow]:
    """Each named chart's row, in order; in parallel when there are many (see PARALLEL_FROM)."""
    workers = min(_cores(), 8) if workers is None else workers
    if workers < 2 or len(names) < PARALLEL_FROM or sys.platform != "linux":
        for name in names:
            yield chart_row(clinic, name, signatures[name])
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import mesolog.store.codec  # noqa: F401  (once, before the workers fork, not in each)

    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_end_with_parent,
        initargs=(os.getpid(),),
    ) as pool:
        folders = [clinic.data_dir] * len(names)
        found = [signatures[name] for name in names]
        yield from pool.map(_read_one, folders, names, found, chunksize=_CHUNK)


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


def _read_one(data_dir: Path, name: str, signature: Signature) -> ChartRow:
    """In a worker process: the row of one chart (``pool.map`` sends them a few at a time)."""
    from mesolog.store.clinic import Clinic

    return chart_row(Clinic(data_dir), name, signature)


def chart_row(clinic: Clinic, name: str, signature: Signature) -> ChartRow:
    """The cache's row for one chart file; an unreadable one gets no pickles, and says why."""
    from mesolog.store import reading
    from mesolog.store.codec import read_chart_file

    path = clinic.patients_dir / f"{name}.toml"
    try:
        clinic.safe_path(path)
        chart, text = read_chart_file(path, bulk=True)
        flaws = reading.flaws(path, chart)
        # Listed under its file's id, whatever id is written inside (a hand edit): the id inside
        # may be another patient's, and the file is what every command opens (docs/reading.md).
        chart = reading.under_file_id(path, chart)
        summary = summarize(chart)
    except MesologError as error:
        return ChartRow(name, *signature, str(error), None, None, None, None, 0, None, None)
    rows = session_rows(chart)
    parts = (summary, Gathered.of(rows), tallies(rows), tuple(rows))
    summarized, gathered, counted, sessions = (pickle.dumps(part) for part in parts)
    conflicts = reading.open_conflicts(chart, text)
    said = "; ".join(flaws) or None
    return ChartRow(
        name, *signature, None, name, summarized, gathered, counted, conflicts, said, sessions
    )


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
        cache.db.row_factory = sqlite3.Row
        cache.db.executescript(SCHEMA)
        cache.refresh()
    try:
        yield cache
    finally:
        cache.__exit__()
