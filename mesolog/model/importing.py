"""Import, the plan: what a dry run reports and ``--apply`` writes, decided without writing.

The parts live apart: the map (``import_map``: which column is which field), the rows
(``import_rows``: rows into drafted sessions), the id guard (``import_ids``). Here they meet:
rows stream in twice (a first pass counts each session's rows, the second hands each session
on when its last row is read), and each session is drafted against its chart as it will be.
See ``docs/import.md``.

One row is one substance given; the rows of one patient and date (and session number, when the
file has one) form one session. mesolog's own CSV exports need no map: their columns are the
field names (the per-session form holds the substances in numbered columns).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import partial
from typing import Any, NamedTuple

from mesolog.errors import InvalidPatientId, InvalidValue, MesologError, UnreadableImport
from mesolog.model import values as parse
from mesolog.model import vocabulary as vocab
from mesolog.model.content import content_key, keys_of
from mesolog.model.exchange import NUMBERED_SUBSTANCE_COLUMNS, SUBSTANCE_POSITION
from mesolog.model.import_ids import NewPatient, TypoCheck, close_new_ids
from mesolog.model.import_map import (
    FIELDS,
    IGNORED_FIELDS,
    SWAPPABLE,
    DateGuess,
)
from mesolog.model.import_rows import (
    Drafting,
    Group,
    Rejection,
    Row,
    Sessions,
    disagreements,
    draft_from_group,
    first_given,
    row_reasons,
    session_key,
    with_session,
)
from mesolog.model.records import Amendment, Chart, Course, Patient, Session


@dataclass
class ChartPlan:
    """What import would do to one patient: create the chart, then append these sessions
    (``count`` of them: a dry run does not keep them once the patient's last row is read)."""

    patient_id: str
    new_patient: Patient | None
    sessions: list[Session] = field(default_factory=list)
    courses: tuple[Course, ...] = ()
    first_row: int = 0  # the file's first row for this patient (0: not from a spreadsheet)
    count: int = 0
    # A restored JSON export: the chart-level trail (patient and course changes) of a new chart.
    amendments: tuple[Amendment, ...] = ()

    @property
    def planned(self) -> int:
        return max(self.count, len(self.sessions))


# A report lists the first lines of each kind and how many more there are (see the render);
# a plan keeps this many distinct lines of each kind, so that its memory does not grow with a
# file whose every row has the same warning.
KEPT = 1000


class Said(list[str]):
    """A report's lines of one kind: the first :data:`KEPT` distinct ones, and how many more
    were said (``more``)."""

    def __init__(self) -> None:
        super().__init__()
        self.more = 0
        self._seen: set[str] = set()

    def append(self, line: str) -> None:
        if line in self._seen:
            return
        if len(self) < KEPT:
            self._seen.add(line)
            super().append(line)
        else:
            self.more += 1


@dataclass
class ImportPlan:
    file_name: str
    rows_read: int
    unit: str = "row"  # what was read: spreadsheet rows, visits, or the sessions of an export
    rejected: list[Rejection] = field(default_factory=list)
    charts: dict[str, ChartPlan] = field(default_factory=dict)
    already_imported: int = 0
    unknown_values: Said = field(default_factory=Said)
    warnings: Said = field(default_factory=Said)
    duplicates: Said = field(default_factory=Said)
    # Unknown ids close to an existing one (rejected: a typo must never start a second chart)
    # and new ids of this file close to each other (flagged: one may be a typo of the other).
    close_to_existing: list[str] = field(default_factory=list)
    close_new_ids: list[str] = field(default_factory=list)
    dates: str = ""  # how the dates were read, when they read two ways
    whole: bool = True  # it holds every drafted session (a long file's dry run counts them)
    # A restored JSON export: the identity of the clinic that made it (docs/exports.md).
    clinic_id: str | None = None
    # What a restored export holds otherwise than the chart (a session, the patient's details,
    # a course): left out, the chart kept, and said, with the command that changes the chart.
    differs: Said = field(default_factory=Said)
    # After --apply: the sessions and charts really written (another import of the same rows
    # at the same moment may have written some of them first).
    written: tuple[int, int] | None = None

    @property
    def where(self) -> str:
        """How a report names a place in the file: a visit of a JSON list, else a row."""
        return "visit" if self.unit == "visit" else "row"

    @property
    def accepted_rows(self) -> int:
        return self.rows_read - len({r.row for r in self.rejected})

    @property
    def sessions(self) -> int:
        return sum(c.planned for c in self.charts.values())

    @property
    def new_patients(self) -> list[str]:
        return [c.patient_id for c in self.charts.values() if c.new_patient is not None]


# --- the plan ---------------------------------------------------------------------------------


class Source(NamedTuple):
    """The rows of a file, to be read twice (the first pass counts), and how to read them."""

    file_name: str
    rows: Callable[[], Iterable[Row]]
    date_format: str
    unit: str = "row"
    # The same rows with only the cells that place a row in its session (a quicker first pass).
    keys: Callable[[], Iterable[Row]] | None = None


@dataclass
class _Planner:
    """The plan, built one session at a time."""

    plan: ImportPlan
    how: Drafting
    charts: Callable[[str], Chart | None]
    typo: TypoCheck
    sessions_left: dict[str, int]  # sessions of each patient still to come
    keys: dict[str, set[str]] = field(default_factory=dict)
    ready: list[ChartPlan] = field(default_factory=list)  # patients whose last session is in

    def add(self, group: Group) -> None:
        key = group.patient.casefold()
        try:
            chart = self.charts(group.patient)
        except MesologError as error:  # one chart that cannot be read rejects its rows only
            self.plan.rejected += unreadable_chart(
                group.patient, error, [r.number for r in group.rows]
            )
            chart, target = None, None
        else:
            target = self._target(key, group, chart)
        if target is not None and (chart is None or self._name_agrees(group, chart)):
            self._draft(group, chart, target)
        self.sessions_left[key] -= 1
        if self.sessions_left[key]:
            return
        # The patient's last session: what the chart held is no longer asked.
        self.keys.pop(key, None)
        if key in self.plan.charts:
            self.ready.append(self.plan.charts[key])

    def _target(self, key: str, group: Group, chart: Chart | None) -> ChartPlan | None:
        if key in self.plan.charts:
            return self.plan.charts[key]
        new = None
        if chart is None:
            born = _year_given(first_given(group, "birth_year"))
            refusal = self.typo.refusal(
                group.patient, first_given(group, "name"), group.first, born
            )
            if refusal:
                self.plan.rejected += [Rejection(r.number, "patient", refusal) for r in group.rows]
                return None
            new = _new_patient(group, self.how.recorded, self.plan)
            if new is None:
                return None
        target = ChartPlan(chart.patient.id if chart else group.patient, new, first_row=group.first)
        self.plan.charts[key] = target
        return target

    def _draft(self, group: Group, chart: Chart | None, target: ChartPlan) -> None:
        disagreeing = disagreements(group)
        # Drafted against the chart as it will be: the sessions of this file come before it.
        so_far = _chart_so_far(chart, target)
        try:
            draft, notes = draft_from_group(group, so_far, self.how)
        except MesologError as error:
            self.plan.rejected += row_reasons(group, error, so_far, self.how, disagreeing)
            return
        if disagreeing:
            self.plan.rejected += with_session(group, disagreeing)
            return
        content = content_key(target.patient_id, draft)
        held = self._held(target.patient_id, chart)
        if content in held:
            self.plan.already_imported += 1
            return
        for note in notes:
            unknown = "did you mean" in note or "not in the" in note
            (self.plan.unknown_values if unknown else self.plan.warnings).append(
                f"{self.plan.where} {group.first}: {note}"
            )
        self._duplicates(group, chart, target, draft)
        # Where the session came from, for the reader ("visits.csv#row=17"), never its identity:
        # another file may have the same name.
        source = f"{self.plan.file_name}#row={group.first}"
        target.sessions.append(replace(draft, source=source))

    def _held(self, patient_id: str, chart: Chart | None) -> set[str]:
        """What the chart records already, by content (read once per chart)."""
        key = patient_id.casefold()
        if key not in self.keys:
            self.keys[key] = keys_of(patient_id, chart.sessions) if chart else set()
        return self.keys[key]

    def _duplicates(
        self, group: Group, chart: Chart | None, target: ChartPlan, draft: Session
    ) -> None:
        """Sessions of the chart on the same day with the same substances."""
        names = sorted(vocab.substance_base(s.name) for s in draft.substances)
        for old in chart.sessions if chart else ():
            if old.voided or old.date != draft.date:
                continue
            if sorted(vocab.substance_base(s.name) for s in old.substances) == names:
                self.plan.duplicates.append(
                    f"{self.plan.where} {group.first}: {target.patient_id} already has session {old.id} on "
                    f"{old.date.isoformat()} with the same substances"
                )

    def _name_agrees(self, group: Group, chart: Chart) -> bool:
        """A row naming an existing patient differently is rejected (:func:`name_conflict`)."""
        own = {
            row.number: Rejection(row.number, "name", said)
            for row in group.rows
            if (said := name_conflict(chart, row.given.get("name")))
        }
        if own:
            self.plan.rejected += with_session(group, own)
        return not own


def name_conflict(chart: Chart, given: str | None) -> str:
    """Why a file's patient is not the chart's patient of the same id: both give a name and the
    names differ (case, spacing and accents aside); else nothing. A wrong id must not put one
    patient's sessions in another's chart (docs/import.md). Folded as the search folds, so a
    file's "Soren" is the chart's "Søren"."""
    from mesolog.model.folding import fold

    known = chart.patient.name
    if not (given and known) or fold(given) == fold(known):
        return ""
    return f"patient {chart.patient.id} is {known!r} in the chart but {given!r} in the file"


def _first_pass(
    source: Source, rejected: list[Rejection]
) -> tuple[int, dict[int, int], dict[str, int], str]:
    """Count each session's rows (by its key's hash) and each patient's sessions; say when the
    dates read two ways (as the map's format and as its day and month swapped, one of them as
    two days)."""
    from collections import Counter

    rows, patients, rows_read, last = Counter[int](), Counter[str](), 0, None
    swapped = SWAPPABLE.get(source.date_format)
    dates = DateGuess([source.date_format, swapped]) if swapped else None
    for row in (source.keys or source.rows)():
        rows_read += row.number != last  # a visit's products share its number
        last = row.number
        if row.fault:
            rejected.append(Rejection(row.number, "row", row.fault))
            continue
        key = session_key(row.given, source.date_format)
        if hash(key) not in rows:  # the session's first row
            patients[key[0]] += 1
        rows[hash(key)] += 1
        if dates and len(dates.fitting) == 2:  # until a date tells day from month
            dates.feed(row.given.get("date", ""))
    # A file whose every date reads alike both ways (03/03) is read right either way.
    said = dates.ambiguity() if dates and dates.example_reads_two_ways else ""
    return rows_read, rows, patients, said


# A file of up to this many rows keeps its drafted sessions in the plan (a few megabytes), so
# that --apply writes them without reading the file a second time; a longer file streams.
KEPT_ROWS = 20_000


def plan_rows(
    source: Source,
    charts: Callable[[str], Chart | None],
    how: Drafting,
    people: Callable[[], Sequence[tuple[str, str | None]]] = tuple,
    new_ids: Collection[str] = (),
) -> ImportPlan:
    """Everything import would do, decided without writing (the dry run: see
    :func:`stream_rows`); the sessions of a file over :data:`KEPT_ROWS` rows are counted
    without being held (``plan.whole`` says whether it holds them all)."""
    plan = ImportPlan(source.file_name, 0, source.unit)
    for done in stream_rows(plan, source, charts, how, people, new_ids):
        if plan.rows_read > KEPT_ROWS:
            done.count, done.sessions = done.planned, []
            plan.whole = False
    return plan


def stream_rows(
    plan: ImportPlan,
    source: Source,
    charts: Callable[[str], Chart | None],
    how: Drafting,
    people: Callable[[], Sequence[tuple[str, str | None]]] = tuple,
    new_ids: Collection[str] = (),
) -> Iterator[ChartPlan]:
    """Fill ``plan`` from the rows, handing on each patient's chart plan as soon as the
    patient's last session is drafted (to be written while the rows stream on). ``charts``
    gives the existing chart of a patient id (ignoring case) or None; ``people`` the (id, name)
    of every chart, asked once and only when a row names an unknown id; ``new_ids`` the ids the
    practitioner said are new patients although close to an existing one (``--new-patient``)."""
    plan.rows_read, rows, patients, plan.dates = _first_pass(source, plan.rejected)
    if not plan.rows_read:
        raise UnreadableImport(
            f"{source.file_name} has a header but no rows: there is nothing to import."
        )
    sessions = Sessions(rows, source.date_format, how.today)
    typo = TypoCheck(people, {i.casefold() for i in new_ids}, partial(chart_birth_year, charts))
    planner = _Planner(plan, how, charts, typo, patients)
    handed: set[str] = set()
    for row in source.rows():
        group = None if row.fault else sessions.feed(row)
        if group is not None:
            planner.add(group)
        while planner.ready:
            done = planner.ready.pop()
            handed.add(done.patient_id.casefold())
            if done.sessions:
                yield done
    if sessions.pending:
        raise UnreadableImport(
            f"{source.file_name} changed while it was read: run the import again."
        )
    # Patients one of whose sessions was rejected whole never saw their last session drafted.
    yield from (c for k, c in plan.charts.items() if k not in handed and c.sessions)
    _finish(plan, sessions, typo)


def _finish(plan: ImportPlan, sessions: Sessions, typo: TypoCheck) -> None:
    plan.rejected += sessions.rejected
    plan.close_to_existing = typo.close_to_existing
    plan.charts = {k: c for k, c in plan.charts.items() if c.planned}
    new = [
        NewPatient(c.patient_id, c.first_row, c.new_patient.name, c.new_patient.birth_year)
        for c in plan.charts.values()
        if c.new_patient is not None
    ]
    plan.close_new_ids = typo.told_apart + close_new_ids(new)


def _chart_so_far(chart: Chart | None, target: ChartPlan) -> Chart | None:
    if not target.sessions:
        return chart
    base = chart or Chart(target.new_patient or Patient(target.patient_id, datetime.min))
    return replace(base, sessions=(*base.sessions, *target.sessions))


def _new_patient(group: Group, recorded: datetime, plan: ImportPlan) -> Patient | None:
    name, born = first_given(group, "name"), first_given(group, "birth_year")
    try:
        year = parse.whole(born, "birth_year", 1900, recorded.year) if born else None
        name = parse.one_line(name, "name") if name else None  # a name is one line
    except InvalidValue as error:  # rejected at the first row that gives the value
        at = next(r.number for r in group.rows if r.given.get(error.field))
        plan.rejected += with_session(group, {at: Rejection(at, error.field, error.message)})
        return None
    return Patient(id=group.patient, created=recorded, name=name, birth_year=year)


# --- a JSON list of visits ----------------------------------------------------------------------

# The nested list of a visit: one entry per product given (the rows of a spreadsheet).
PRODUCTS = "products"
PRODUCT_FIELDS = frozenset(NUMBERED_SUBSTANCE_COLUMNS)
VISIT_FIELDS = frozenset(FIELDS) - PRODUCT_FIELDS - {SUBSTANCE_POSITION, *IGNORED_FIELDS}
VISITS_SHAPE = (
    'JSON import reads `mesolog export --format json`, or a list of visits: [{"patient": "P-1", '
    '"date": "2026-11-03", "areas": ["scalp"], ..., "products": [{"substance": "biotin", '
    '"amount": 1, "unit": "ml", "lot": "B1"}]}] (see docs/import.md)'
)


def _text(value: object, separator: str = ", ") -> str:
    if isinstance(value, list):
        return separator.join(_text(v) for v in value)
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value).lower()
    return str(value)


def visit_rows(file_name: str, visits: list[Any]) -> Iterator[Row]:
    """Each product of each visit as a row numbered by its visit (the first visit is 1);
    anything off the documented shape is refused, showing the shape."""
    for number, visit in enumerate(visits, 1):
        products = visit.get(PRODUCTS)
        unknown = set(visit) - VISIT_FIELDS - {PRODUCTS}
        if not isinstance(products, list) or not products or unknown:
            said = (
                f"key {sorted(unknown)[0]!r} is no field"
                if unknown
                else f"has no {PRODUCTS!r} list"
            )
            raise UnreadableImport(f"{file_name}: visit {number} {said}. {VISITS_SHAPE}.")
        # Complications and zones are read as the CSV export joins them ("x; y").
        shared = {
            k: _text(v, "; " if k in ("complications", "zones") else ", ")
            for k, v in visit.items()
            if k != PRODUCTS
        }
        for place, product in enumerate(products, 1):
            if not isinstance(product, dict) or set(product) - PRODUCT_FIELDS:
                raise UnreadableImport(
                    f"{file_name}: visit {number}, product {place} is not "
                    f"{{substance, amount, unit, concentration, lot, expiry}}. {VISITS_SHAPE}."
                )
            given = {**shared, **{k: _text(v) for k, v in product.items()}}
            yield Row(number, {**given, SUBSTANCE_POSITION: str(place)})


# --- mesolog's own JSON export ------------------------------------------------------------------


def plan_restore(
    file_name: str,
    exported: list[Chart],
    charts: Callable[[str], Chart | None],
    today: date,
    holders: Callable[[], Mapping[str, Holder]] = dict,
    typo: TypoCheck | None = None,
) -> ImportPlan:
    """mesolog's own JSON export: each chart comes back as it was (numbers, times, trail). A
    patient not in the clinic is created whole; one already there (and not named otherwise:
    :func:`name_conflict`) gets only the sessions it does not hold (the same uid, or number and
    time, is the same session). A file edited by hand is held to the rules of every other way
    in: a session the rules refuse is rejected, as a row of a spreadsheet is (counted in the
    file's order of sessions). ``holders`` gives the chart that holds each session and patient
    uid of the clinic: a uid another chart holds is rejected (:func:`held_elsewhere`), and what
    the file holds otherwise than the chart is said (:func:`differences`). ``typo`` refuses a
    new patient whose id is close to a chart's, or who has a chart's name and birth year, as
    for a spreadsheet row."""
    plan = ImportPlan(file_name, sum(len(c.sessions) for c in exported), "session")
    first = 1  # the chart's first session, counted in the file
    for chart in exported:
        rows = range(first, first + len(chart.sessions))
        first = rows.stop
        try:
            parse.check_patient_id(chart.patient.id)
        except InvalidPatientId as error:
            plan.rejected += [Rejection(row, "patient", error.message) for row in rows]
            continue
        try:
            existing = charts(chart.patient.id)
        except MesologError as error:  # one chart that cannot be read rejects its sessions only
            plan.rejected += unreadable_chart(chart.patient.id, error, rows)
            continue
        refused = _whole_chart_refused(chart, rows, existing, typo)
        if refused:
            plan.rejected += refused
            continue
        elsewhere = held_elsewhere(chart, rows, holders())
        plan.rejected += elsewhere
        kept = _sessions_kept(chart, rows, {r.row for r in elsewhere}, today, plan.rejected)
        if existing is None and chart.sessions and not kept:
            continue  # every session rejected: no empty chart is started
        if existing is None:
            plan.charts[chart.patient.id.lower()] = ChartPlan(
                chart.patient.id, chart.patient, kept, chart.courses, amendments=chart.amendments
            )
            continue
        held = {session_identity(s) for s in existing.sessions}
        fresh = [s for s in kept if session_identity(s) not in held]
        for line in differences(existing, chart, kept):
            plan.differs.append(line)
        plan.already_imported += len(kept) - len(fresh)
        fresh = _course_in_chart(existing, chart, rows, fresh, plan.rejected)
        if fresh:
            plan.charts[chart.patient.id.lower()] = ChartPlan(existing.patient.id, None, fresh)
    if typo is not None:
        plan.close_to_existing = typo.close_to_existing
    return plan


def _sessions_kept(
    chart: Chart, rows: range, skipped: set[int], today: date, rejected: list[Rejection]
) -> list[Session]:
    """The sessions of a restored chart the rules accept (a file edited by hand is held to the
    rules of every other way in); each refused one added to ``rejected``. ``skipped``: rows
    rejected already."""
    from mesolog.model.validation import session_problems

    kept = []
    for row, session in zip(rows, chart.sessions, strict=True):
        if row in skipped:
            continue
        problems = session_problems(session, today)
        rejected += [
            Rejection(
                row,
                ".".join(map(str, p.field)),
                f"{chart.patient.id} session {session.id}: {p.message}",
            )
            for p in problems
        ]
        if not problems:
            kept.append(session)
    return kept


def _course_in_chart(
    existing: Chart, chart: Chart, rows: range, fresh: list[Session], rejected: list[Rejection]
) -> list[Session]:
    """The new sessions of a restored chart whose course the clinic's chart has; one of a
    course it does not have (added on the other copy) is rejected, since import adds no course
    to a chart (``differences`` says so): it would name a course the chart lacks."""
    row_of = {id(s): row for row, s in zip(rows, chart.sessions, strict=True)}
    kept = []
    for session in fresh:
        course = session.course
        if course is None or any(c.named(course) for c in existing.courses):
            kept.append(session)
            continue
        rejected.append(
            Rejection(
                row_of[id(session)],
                "course",
                f"{existing.patient.id} session {session.id} belongs to course {course!r}, which "
                f"the chart does not have: add the course (mesolog course add "
                f"{existing.patient.id} --name {course} ...), then import the file again",
            )
        )
    return kept


def _whole_chart_refused(
    chart: Chart, rows: range, existing: Chart | None, typo: TypoCheck | None
) -> list[Rejection]:
    """Every session of a restored chart, rejected when the chart of that id in the clinic is
    another patient's (:func:`name_conflict`), or, for a chart new to the clinic, when the id
    guard refuses it (a close id, a chart's name and birth year); else nothing."""
    patient = chart.patient
    if existing is not None:
        # Another patient under the same id in this clinic: refused as a spreadsheet row is.
        conflict = name_conflict(existing, patient.name)
        return [Rejection(row, "name", conflict) for row in rows] if conflict else []
    said = typo.refusal(patient.id, patient.name, rows.start, patient.birth_year) if typo else ""
    return [Rejection(row, "patient", said) for row in rows] if said else []


def session_identity(session: Session) -> object:
    """What makes a session the same record: its uid when it has one, else number and time."""
    return session.uid or (session.id, session.date, session.recorded)


# --- who a new id may already be ------------------------------------------------------------------


def _year_given(text: str | None) -> int | None:
    """A file's birth year, when it reads as one (a bad one is rejected elsewhere)."""
    try:
        return int(text) if text else None
    except ValueError:
        return None


def chart_birth_year(charts: Callable[[str], Chart | None], patient_id: str) -> int | None:
    """The birth year a chart records; None when it records none or cannot be read."""
    try:
        chart = charts(patient_id)
    except MesologError:
        return None
    return chart.patient.birth_year if chart else None


# --- a foreign file is hostile input (docs/import.md) ----------------------------------------------


def unreadable_chart(patient_id: str, error: MesologError, rows: Iterable[int]) -> list[Rejection]:
    """The rows of a patient whose chart cannot be read: rejected, naming the chart, so that
    the other patients' rows import (with ``--skip-rejected``)."""
    said = (
        f"the chart of {patient_id} cannot be read ({error.message}); its rows are left out: "
        "mend the chart (mesolog check says what is wrong) and import the file again"
    )
    return [Rejection(row, "patient", said) for row in rows]


# Who holds a uid in the clinic: the patient's id, and the session's number (None: the uid is
# the patient's own).
Holder = tuple[str, int | None]


def held_elsewhere(
    chart: Chart, rows: Sequence[int], holders: Mapping[str, Holder]
) -> list[Rejection]:
    """The sessions of a restored chart whose uid (or whose patient's uid) another chart of
    the clinic holds: a copy of one patient's chart under another id must not put that
    patient's sessions in a second chart (``lot`` would list two patients, FHIR would hold the
    same resource twice)."""
    own = chart.patient.id.casefold()
    owner = holders.get(chart.patient.uid) if chart.patient.uid else None
    if owner is not None and owner[0].casefold() != own:
        said = (
            f"patient {chart.patient.id} of the file has the uid of {owner[0]}'s chart in this "
            f"clinic: it is {owner[0]}'s chart under another id; import it as {owner[0]}, or "
            "leave it out"
        )
        return [Rejection(row, "patient", said) for row in rows]
    out = []
    for row, session in zip(rows, chart.sessions, strict=True):
        held = holders.get(session.uid)
        if held is not None and held[0].casefold() != own:
            out.append(
                Rejection(
                    row,
                    "uid",
                    f"{chart.patient.id} session {session.id} is {held[0]}'s session {held[1]} "
                    f"in this clinic (the same uid): one session is never in two charts; "
                    f"leave it out of the file, or import it as {held[0]}",
                )
            )
    return out


def _changed(old: object, new: object, left_out: Collection[str] = ()) -> list[str]:
    """The names of the fields of two records of one dataclass that differ."""
    from dataclasses import fields

    return [
        f.name
        for f in fields(old)  # type: ignore[arg-type]
        if f.name not in left_out and getattr(old, f.name) != getattr(new, f.name)
    ]


def differences(existing: Chart, exported: Chart, sessions: Iterable[Session]) -> Iterator[str]:
    """What a restored chart holds otherwise than the clinic's chart of the same patient: the
    sessions held by both (the same uid) that differ, the patient's details, the courses. The
    chart is kept as it is (import never overwrites what a chart records); each line says what
    differs and the command that changes the chart, so nothing is dropped without a word."""
    pid = existing.patient.id
    by_identity = {session_identity(s): s for s in existing.sessions}
    for session in sessions:
        old = by_identity.get(session_identity(session))
        changed = _changed(old, session, ("source",)) if old else []
        if old is not None and changed:
            yield (
                f"{pid} session {old.id} differs from the chart in {', '.join(changed)}: the "
                f"chart's is kept; if the file's is right, change it with mesolog amend {pid} "
                f"{old.id}"
            )
    # The uid is who the patient is (held_elsewhere), not a detail: the chart stores it only
    # when restored from an export.
    details = _changed(existing.patient, exported.patient, ("id", "created", "uid"))
    if details:
        yield (
            f"{pid}'s details differ from the chart in {', '.join(details)}: the chart's are "
            f"kept; if the file's are right, change them with mesolog patient edit {pid}"
        )
    for course in exported.courses:
        same = next((c for c in existing.courses if c.named(course.name)), None)
        if same is None:
            yield (
                f"{pid}'s course {course.name!r} is not in the chart: left out; add it with "
                f"mesolog course add {pid}"
            )
        elif changed := _changed(same, course):
            yield (
                f"{pid}'s course {course.name!r} differs from the chart in {', '.join(changed)}: "
                f"the chart's is kept; change it with mesolog course edit {pid} {course.name}"
            )
