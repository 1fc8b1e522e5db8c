"""Import, row by row: a mapped row becomes part of a session (the rows of one patient and date,
and session number when the file has one), and a session's rows become a drafted session
through the one drafting function `add` uses. Rows stream in: a session is handed on as soon
as its last row has been read, so the file's rows are never all held at once.

A session's identity is what it records (:func:`mesolog.model.content.content_key`): the same rows from a renamed
file are the same sessions, and another file of the same name brings its own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import NamedTuple

from mesolog.errors import (
    InvalidPatientId,
    InvalidValue,
    MesologError,
    MissingFields,
    UnreadableImport,
)
from mesolog.model import values as parse
from mesolog.model import vocabulary as vocab
from mesolog.model.drafting import ClinicDefaults, Given, draft_session
from mesolog.model.exchange import MEASURE_PREFIX, NUMBERED_SUBSTANCE_COLUMNS, SUBSTANCE_POSITION
from mesolog.model.import_map import (
    IGNORED_FIELDS,
    NUMBERED,
    read_date,
)
from mesolog.model.records import PLAIN, Chart, Session


class Rejection(NamedTuple):
    row: int
    field: str
    reason: str


class Row(NamedTuple):
    """One source row as field -> text (after the map), with its row number."""

    number: int
    given: dict[str, str]
    fault: str = ""  # what is wrong with the row's bytes: the row is rejected


class Group(NamedTuple):
    """The rows of one session: one patient, one date (one session number, if the file has one)."""

    patient: str
    day: date
    rows: tuple[Row, ...]

    @property
    def first(self) -> int:
        """The session's first row in the file (its rows are in substance order)."""
        return min(r.number for r in self.rows)


# --- rows into sessions, streamed ---------------------------------------------------------------


def substances_of(row: Row) -> list[dict[str, str]]:
    """The substances a row gives: its plain columns, or its numbered ones (_1, _2...)."""
    found = []
    if row.given.get("substance"):
        found.append({k: row.given.get(k, "") for k in NUMBERED_SUBSTANCE_COLUMNS})
    n = 1
    while f"substance_{n}" in row.given:
        if row.given[f"substance_{n}"]:
            found.append({k: row.given.get(f"{k}_{n}", "") for k in NUMBERED_SUBSTANCE_COLUMNS})
        n += 1
    return found


def position(row: Row) -> int:
    """The substance's place in its session (``substance_no``); 0 when the file has none, so
    such rows keep the file's order."""
    text = row.given.get(SUBSTANCE_POSITION, "")
    return parse.whole(text, SUBSTANCE_POSITION, 1, 999) if text else 0


def session_key(given: dict[str, str], date_format: str) -> tuple[str, str, str]:
    """Which session a row belongs to: its patient, its day (as read, when it reads) and the
    file's session number."""
    text = given.get("date", "")
    try:
        day = read_date(text, date_format, date.max).isoformat()
    except InvalidValue:
        day = text
    return given.get("patient", "").casefold(), day, given.get("session", "")


def row_problem(row: Row, date_format: str, today: date) -> Rejection | None:
    """Why a row cannot be placed in a session at all (no patient, bad date, no substance)."""
    try:
        parse.check_patient_id(row.given.get("patient", ""))
        read_date(row.given.get("date", ""), date_format, today)
        if not substances_of(row):
            return Rejection(row.number, "substance", "no substance given")
        position(row)
    except InvalidPatientId as error:
        return Rejection(row.number, "patient", error.message)
    except InvalidValue as error:
        return Rejection(row.number, error.field, error.message)
    return None


class Sessions:
    """Rows in, sessions out as soon as their last row is in: ``counts`` says how many rows
    each session has, by the hash of its key (a first pass over the file counted them; a hash
    takes less room than the key, and both passes run in one process)."""

    def __init__(self, counts: dict[int, int], date_format: str, today: date):
        self.remaining = counts
        self.date_format, self.today = date_format, today
        self.pending: dict[tuple[str, str, str], list[Row]] = {}
        self.rejected: list[Rejection] = []

    def feed(self, row: Row) -> Group | None:
        key = session_key(row.given, self.date_format)
        hashed = hash(key)
        if hashed not in self.remaining:
            raise UnreadableImport("the file changed while it was read: run the import again.")
        problem = row_problem(row, self.date_format, self.today)
        if problem:
            self.rejected.append(problem)
        else:
            self.pending.setdefault(key, []).append(row)
        self.remaining[hashed] -= 1
        if self.remaining[hashed]:
            return None
        del self.remaining[hashed]
        return self._closed(self.pending.pop(key, []))

    def _closed(self, rows: list[Row]) -> Group | None:
        kept: list[Row] = []
        seen: dict[tuple[tuple[str, str], ...], int] = {}
        for row in rows:
            cells = tuple(sorted(row.given.items()))
            if cells in seen:
                self.rejected.append(
                    Rejection(row.number, "row", f"the same as row {seen[cells]} (a duplicate)")
                )
                continue
            seen[cells] = row.number
            kept.append(row)
        if not kept:
            return None
        day = read_date(kept[0].given["date"], self.date_format, self.today)
        return Group(kept[0].given["patient"], day, tuple(sorted(kept, key=position)))


# --- a session's rows into a drafted session -----------------------------------------------------


def _substance_spec(given: dict[str, str], date_format: str) -> str:
    """A row's substance columns as the `--substance` spec drafting reads
    (NAME:AMOUNT[:LOT x][:EXP date]); the concentration follows from the name, as for `add`."""
    name = " ".join(given["substance"].split())
    amount, unit = given.get("amount", ""), given.get("unit", "")
    if not amount:
        raise InvalidValue("amount", "", f"{name} has no amount")
    spec = f"{name}:{amount}{unit}"
    if given.get("lot"):
        spec += f":LOT {given['lot']}"
    if given.get("expiry"):
        spec += f":EXP {read_date(given['expiry'], date_format, date.max).isoformat()}"
    return spec


def first_given(group: Group, name: str) -> str | None:
    """The session's value of a field: the first of its rows that gives one."""
    return next((r.given[name] for r in group.rows if r.given.get(name)), None)


def _listed(text: str | None) -> tuple[str, ...]:
    """A cell holding several values, as mesolog's CSV joins them ("x; y")."""
    return tuple(part.strip() for part in (text or "").split(";") if part.strip())


def _measures(group: Group) -> tuple[str, ...]:
    """The ``measure_<name>`` cells of a session's rows, as ``--measure NAME=VALUE`` gives them."""
    found = {
        key.removeprefix(MEASURE_PREFIX): text
        for row in group.rows
        for key, text in row.given.items()
        if key.startswith(MEASURE_PREFIX) and text
    }
    return tuple(f"{name}={value}" for name, value in found.items())


def given_of(group: Group, chart: Chart | None, date_format: str, practitioner: str = "") -> Given:
    """A group of rows as what was given for one session, in the words `add` takes; the
    practitioner is the file's, else ``practitioner`` (``--practitioner``), else the config's."""
    course, areas, depth_mm = (first_given(group, f) for f in ("course", "areas", "depth_mm"))
    return Given(
        date=group.day.isoformat(),
        areas=(areas.replace(";", ","),) if areas else (),
        indication=first_given(group, "indication"),
        substances=tuple(
            _substance_spec(given, date_format)
            for row in group.rows
            for given in substances_of(row)
        ),
        depth=depth_mm.removesuffix("mm").strip() if depth_mm else None,
        technique=first_given(group, "technique"),
        anaesthetic=first_given(group, "anaesthetic"),
        complications=_listed(first_given(group, "complications")),
        measures=_measures(group),
        note=first_given(group, "notes"),
        practitioner=first_given(group, "practitioner") or practitioner or None,
        # Only a course the chart has: a spreadsheet holds no plan to create one from.
        course=course if course and chart is not None and chart.course(course) else None,
        # The table's plain fields (method, angle, needle, points, duration, consent...).
        plain={entry.name: first_given(group, entry.name) for entry in PLAIN},
        zones=_listed(first_given(group, "zones")),
    )


@dataclass(frozen=True)
class Drafting:
    """What drafting a session from rows needs besides the rows and the chart."""

    practice: ClinicDefaults
    date_format: str
    today: date
    recorded: datetime
    practitioner: str = ""


def draft_from_group(group: Group, chart: Chart | None, how: Drafting) -> tuple[Session, list[str]]:
    """One group of rows -> a session and its warnings, through the one drafting function that
    `add` uses (same parsing, validation and warnings). Raises naming the field."""
    given = given_of(group, chart, how.date_format, how.practitioner)
    draft = draft_session(given, chart, how.practice, how.today, recorded=how.recorded)
    session = draft.complete()
    notes = draft.warnings
    course = first_given(group, "course")
    if course and given.course is None:
        kept = f"in the current course {session.course!r}" if session.course else "without a course"
        notes.insert(
            0,
            f"course {course!r} is not in {group.patient}'s chart: recorded {kept} "
            "(add it with `mesolog course add`, then `mesolog amend ... --course`).",
        )
    status = parse.choice(first_given(group, "status") or "active", "status", vocab.STATUSES)
    return replace(session, status=status), notes


# --- why each row of a refused session is refused -------------------------------------------------


def _where(error: MesologError) -> str:
    """The field an error names (the cell a practitioner corrects), else "row"."""
    return getattr(error, "field", None) or ", ".join(getattr(error, "fields", [])) or "row"


def _why(error: MesologError) -> str:
    """What a row's refusal says: a missing field names what a file can do about it (a column,
    or a default in the config), not the options and prompts of ``add``."""
    if not isinstance(error, MissingFields):
        return error.message
    names = ", ".join(error.fields)
    defaults = [f for f in error.fields if f in ("technique", "anaesthetic")]
    also = f", or set a default: mesolog config set {defaults[0]} VALUE" if defaults else ""
    plural = "s" if len(error.fields) > 1 else ""
    return f"missing required field{plural}: {names} (map a column of the file to it{also})."


# Cells that are the same for every row of a session by construction, or the row's own.
_PER_ROW = frozenset(
    {"patient", "date", SUBSTANCE_POSITION, *NUMBERED_SUBSTANCE_COLUMNS, *IGNORED_FIELDS}
)


def _alone(row: Row, group: Group) -> Group:
    """``row`` as a session of its own: its cells, and for the session's fields it leaves empty
    the values the session takes from its other rows (the substances are its own only)."""
    given = dict(row.given)
    for other in group.rows:
        for key, text in other.given.items():
            if text and not given.get(key) and key not in _PER_ROW and not NUMBERED.match(key):
                given[key] = text
    return Group(group.patient, group.day, (Row(row.number, given),))


def row_reasons(
    group: Group,
    error: MesologError,
    chart: Chart | None,
    how: Drafting,
    disagreeing: dict[int, Rejection],
) -> list[Rejection]:
    """Why each row of a refused session is rejected: a row whose own cells are refused names
    its cell, a row that disagrees with an earlier one says so (``disagreeing``); the others are
    "rejected with row N, same session" (N the first row at fault)."""
    own: dict[int, Rejection] = {}
    if len(group.rows) > 1:
        for row in group.rows:
            try:
                draft_from_group(_alone(row, group), chart, how)
            except MesologError as failed:
                own[row.number] = Rejection(row.number, _where(failed), _why(failed))
    own = {**disagreeing, **own}
    if not own:  # no row is wrong alone: the session as a whole is (or it has one row)
        own[group.first] = Rejection(group.first, _where(error), _why(error))
    return with_session(group, own)


def disagreements(group: Group) -> dict[int, Rejection]:
    """Rows of one session that give a session's field another value than an earlier row: one
    value would be kept and the other silently dropped, so the row is rejected saying which."""
    first: dict[str, tuple[str, int]] = {}
    found: dict[int, Rejection] = {}
    for row in sorted(group.rows, key=lambda r: r.number):
        for key, text in row.given.items():
            if not text or key in _PER_ROW or NUMBERED.match(key):
                continue
            if key not in first:
                first[key] = (text, row.number)
            elif (
                vocab.normalize(text) != vocab.normalize(first[key][0]) and row.number not in found
            ):
                kept, at = first[key]
                found[row.number] = Rejection(
                    row.number,
                    key,
                    f"{text!r} here but {kept!r} in row {at}, the same session "
                    f"(same patient and date): a session has one {key}; make the rows agree",
                )
    return found


def with_session(group: Group, own: dict[int, Rejection]) -> list[Rejection]:
    """The rows at fault with their reasons, and every other row of the session "rejected with
    row N, same session": a practitioner fixing a row looks for that row's own problem."""
    blamed = min(own)
    return [
        own.get(r.number) or Rejection(r.number, "row", f"rejected with row {blamed}, same session")
        for r in group.rows
    ]
