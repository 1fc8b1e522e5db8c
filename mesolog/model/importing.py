"""Import, the pure part: which column is which field (the map), rows to given values, rows to
sessions, and the plan a dry run reports and ``--apply`` writes.

One row is one substance given; the rows of one patient and date (and session number, when the
file has one) form one session. mesolog's own CSV exports need no map: their columns are the
field names (the per-session form holds the substances in numbered columns).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from mesolog.errors import InvalidPatientId, InvalidValue, MesologError
from mesolog.model import values as parse
from mesolog.model import vocabulary as vocab
from mesolog.model.drafting import ClinicDefaults, Given, draft_session
from mesolog.model.exchange import (
    MEASURE_PREFIX,
    NUMBERED_SUBSTANCE_COLUMNS,
    SUBSTANCE_POSITION,
)
from mesolog.model.records import PLAIN, Amendment, Chart, Course, Patient, Session

PATIENT_FIELDS = ("patient", "name", "birth_year")
SESSION_FIELDS = (
    "date", "practitioner", "course", "indication", "areas", "technique", "method", "depth_mm",
    "angle_deg", "needle_gauge", "needle_length_mm", "points", "zones", "anaesthetic", "duration_min",
    "consent", "complications", "notes", "status",
)  # fmt: skip
SUBSTANCE_FIELDS = ("substance", "amount", "unit", "concentration", "lot", "expiry")
# In mesolog's own exports, read and left alone: numbers are given by the chart, the category
# follows from the catalogue, the source is this import's.
IGNORED_FIELDS = ("session", "category", "source")
FIELDS = (
    *PATIENT_FIELDS, *SESSION_FIELDS, *SUBSTANCE_FIELDS, SUBSTANCE_POSITION, *IGNORED_FIELDS
)  # fmt: skip
REQUIRED = ("patient", "date", "substance")
_NUMBERED = re.compile(r"^(" + "|".join(NUMBERED_SUBSTANCE_COLUMNS) + r")_(\d{1,2})$")
ISO_DATE = "%Y-%m-%d"
DATE_FORMATS = (ISO_DATE, "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%y", "%Y/%m/%d")

# Headers practitioners write, normalised (lower case, '_' for anything else) -> our field.
SYNONYMS = {
    "patient": ("id", "patient_id", "client_id", "chart", "file_no", "record", "patient_no", "ref"),
    "name": ("patient_name", "client", "client_name", "full_name", "surname"),
    "birth_year": ("born", "year_of_birth", "yob", "birth"),
    "date": ("visit_date", "session_date", "treatment_date", "date_of_visit", "day", "visit"),
    "areas": ("area", "zone", "zones", "body_area", "site", "treated_area", "region"),
    "substance": ("product", "drug", "medication", "ingredient", "cocktail", "solution"),
    "amount": ("qty", "quantity", "dose", "volume", "ml"),
    "unit": ("units",),
    "lot": ("batch", "lot_number", "lot_no", "batch_no", "batch_number"),
    "expiry": ("exp", "expiration", "expiry_date", "expires", "best_before"),
    "depth_mm": ("depth", "needle_depth", "depth_in_mm"),
    "technique": ("tech", "gun_or_hand", "gun_hand"),
    "anaesthetic": ("anesthetic", "anaesthesia", "anesthesia", "numbing"),
    "notes": ("note", "comments", "comment", "remarks", "observations"),
    "practitioner": ("doctor", "by", "performed_by", "clinician", "dr", "injector"),
    "indication": ("reason", "concern", "treatment_for", "goal"),
    "complications": ("complication", "side_effects", "adverse_events", "reaction", "reactions"),
    "points": ("injection_points", "n_points"),
    "needle_gauge": ("gauge", "needle"),
    "duration_min": ("duration", "minutes"),
}
# Fields whose source words are worth a [values.FIELD] table in a new map.
VALUE_FIELDS = ("technique", "anaesthetic", "method", "status")


def normal_header(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", vocab.normalize(header)).strip("_")


def known_field(name: str) -> bool:
    return (
        name in FIELDS
        or bool(_NUMBERED.match(name))
        or (name.startswith(MEASURE_PREFIX) and bool(parse.MEASURE_NAME.match(name)))
    )


def guess_field(header: str) -> str | None:
    key = normal_header(header)
    if known_field(key):
        return key
    for target, words in SYNONYMS.items():
        if key in words:
            return target
    return None


def is_own_format(header: list[str]) -> bool:
    """A mesolog CSV export: every column a field name, with a patient, a date, a substance."""
    names = set(header)
    return (
        all(known_field(h) for h in header)
        and {"patient", "date"} <= names
        and ("substance" in names or "substance_1" in names)
    )


# --- the map -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnMap:
    """Source header -> field; the date format; source value -> ours, per field."""

    columns: dict[str, str]
    date_format: str = ISO_DATE
    values: dict[str, dict[str, str]] = field(default_factory=dict)


def own_map(header: list[str]) -> ColumnMap:
    return ColumnMap({h: h for h in header})


def guess_date_format(samples: Iterable[str]) -> str:
    """The first format that reads every sample (day first before month first)."""
    found = [s.strip() for s in samples if s.strip()][:200]
    for candidate in DATE_FORMATS:
        try:
            for sample in found:
                datetime.strptime(sample, candidate)
        except ValueError:
            continue
        return candidate
    return ISO_DATE


def draft_map(file_name: str, header: list[str], rows: list[list[str]]) -> tuple[str, list[str]]:
    """The text of a first map (best guesses) and the headers it could not place."""
    import tomli_w

    columns = {h: guess_field(h) or "" for h in header}
    unmapped = [h for h, f in columns.items() if not f]
    date_column = next((h for h, f in columns.items() if f == "date"), None)
    samples = [r[header.index(date_column)] for r in rows] if date_column else []
    values: dict[str, dict[str, str]] = {}
    for h, target in columns.items():
        if target in VALUE_FIELDS:
            seen = sorted({r[header.index(h)].strip() for r in rows} - {""})
            values[target] = {s: _our_word(target, s) for s in seen}
    data: dict[str, Any] = {
        "date_format": guess_date_format(samples),
        "columns": columns,
        "values": {k: v for k, v in values.items() if v},
    }
    fields = ", ".join(f for f in FIELDS if f not in IGNORED_FIELDS)
    text = (
        f"# How mesolog reads {file_name}. Check every line, then run the import again.\n"
        '# [columns]: source header = mesolog field; "" leaves the column out.\n'
        f"# Fields: {fields}, measure_<name_unit> (e.g. measure_waist_cm).\n"
        "# One row is one substance given; rows of one patient and date form one session.\n"
        "# date_format: strftime syntax (%d/%m/%Y = 31/12/2025); ISO dates are always read.\n"
        '# [values.FIELD]: a source word = the word mesolog records ("Gun" = "gun").\n\n'
    )
    return text + tomli_w.dumps(data), unmapped


def _our_word(target: str, word: str) -> str:
    try:
        if target == "technique":
            return parse.technique(word)
        if target == "method":
            return parse.choice(word, "method", vocab.METHODS)
        if target == "status":
            return parse.choice(word, "status", vocab.STATUSES)
    except InvalidValue:
        return ""
    return vocab.DEFAULT.anaesthetic(word) if target == "anaesthetic" else word


def load_map(data: dict[str, Any], where: str) -> ColumnMap:
    """A map file's data, checked: every field named must be one mesolog knows."""
    columns = data.get("columns")
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        raise InvalidValue(
            f"{where} [columns]", "", 'write one line per column: "Header" = "field"'
        )
    targets: dict[str, str] = {}
    for header, target in columns.items():
        if not target:
            continue
        if not known_field(target):
            allowed = ", ".join(f for f in FIELDS) + ", measure_<name>"
            raise InvalidValue(f"{where} column {header!r}", target, f"use one of {allowed}")
        if target in targets:
            raise InvalidValue(
                f"{where} column {header!r}",
                target,
                f"column {targets[target]!r} maps to it already",
            )
        targets[target] = header
    for needed in REQUIRED:
        if needed not in targets and f"{needed}_1" not in targets:
            raise InvalidValue(f"{where} [columns]", "", f"a column must map to {needed!r}")
    date_format = data.get("date_format", ISO_DATE)
    if not isinstance(date_format, str) or "%" not in date_format:
        raise InvalidValue(
            f"{where} date_format", date_format, "use strftime syntax, e.g. %d/%m/%Y"
        )
    values = data.get("values", {})
    if not isinstance(values, dict):
        raise InvalidValue(f"{where} [values]", "", "write tables [values.FIELD]")
    for name, table in values.items():
        if not known_field(name) or not isinstance(table, dict):
            raise InvalidValue(f"{where} [values.{name}]", name, "name a mesolog field")
    return ColumnMap(
        {h: t for h, t in columns.items() if t},
        date_format,
        {k: {str(a): str(b) for a, b in v.items()} for k, v in values.items()},
    )


# --- rows ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rejection:
    row: int
    field: str
    reason: str


@dataclass(frozen=True)
class Row:
    """One source row as field -> text (after the [values] tables), with its row number."""

    number: int
    given: dict[str, str]


def _inert_back(text: str) -> str:
    """Undo the export's spreadsheet guard: "'=x" was written for "=x"."""
    from mesolog.model.values import spreadsheet_unquoted

    return spreadsheet_unquoted(text)


def mapped_rows(
    header: list[str], rows: list[list[str]], cmap: ColumnMap, numbers: list[int]
) -> list[Row]:
    """Each row as field -> text; ``numbers`` are the rows' numbers in the spreadsheet."""
    columns = []
    for i, h in enumerate(header):
        if h in cmap.columns:
            target = cmap.columns[h]
            base = target.rsplit("_", 1)[0] if _NUMBERED.match(target) else target
            columns.append((i, target, cmap.values.get(target) or cmap.values.get(base) or {}))
    out = []
    for number, cells in zip(numbers, rows, strict=True):
        given = {}
        for i, target, table in columns:
            text = _inert_back(cells[i].strip())
            given[target] = table[text].strip() if text in table else text
        out.append(Row(number, given))
    return out


def read_date(text: str, date_format: str, today: date) -> date:
    """``date_format`` or ISO; not in the future."""
    value = None
    for form in (date_format, ISO_DATE):
        try:
            value = datetime.strptime(text.strip(), form).date()
            break
        except ValueError:
            continue
    if value is None:
        raise InvalidValue("date", text, f"it does not match date_format {date_format!r}")
    if value > today:
        raise InvalidValue("date", text, f"it is in the future (today is {today.isoformat()})")
    return value


# --- sessions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    """The rows of one session: one patient, one date (one session number, if the file has one)."""

    patient: str
    day: date
    rows: tuple[Row, ...]

    @property
    def first(self) -> int:
        """The session's first row in the file (its rows are in substance order)."""
        return min(r.number for r in self.rows)


def _substances(row: Row) -> list[dict[str, str]]:
    """The substances a row gives: its plain columns, or its numbered ones (_1, _2...)."""
    found = []
    if row.given.get("substance"):
        found.append({k: row.given.get(k, "") for k in SUBSTANCE_FIELDS})
    n = 1
    while f"substance_{n}" in row.given:
        if row.given[f"substance_{n}"]:
            found.append({k: row.given.get(f"{k}_{n}", "") for k in SUBSTANCE_FIELDS})
        n += 1
    return found


def group_rows(
    rows: list[Row], date_format: str, today: date
) -> tuple[list[Group], list[Rejection]]:
    """Rows into sessions; rows that cannot be placed (no patient, bad date, a duplicate) are
    rejected with their number."""
    rejected: list[Rejection] = []
    seen: dict[tuple[tuple[str, str], ...], int] = {}
    groups: dict[tuple[str, date, str], list[Row]] = {}
    for row in rows:
        key = tuple(sorted(row.given.items()))
        if key in seen:
            rejected.append(
                Rejection(row.number, "row", f"the same as row {seen[key]} (a duplicate)")
            )
            continue
        seen[key] = row.number
        patient = row.given.get("patient", "")
        try:
            parse.check_patient_id(patient)
        except InvalidPatientId as error:
            rejected.append(Rejection(row.number, "patient", error.message))
            continue
        try:
            day = read_date(row.given.get("date", ""), date_format, today)
        except InvalidValue as error:
            rejected.append(Rejection(row.number, error.field, error.message))
            continue
        if not _substances(row):
            rejected.append(Rejection(row.number, "substance", "no substance given"))
            continue
        try:
            _position(row)
        except InvalidValue as error:
            rejected.append(Rejection(row.number, SUBSTANCE_POSITION, error.message))
            continue
        groups.setdefault((patient.lower(), day, row.given.get("session", "")), []).append(row)
    return [
        Group(rs[0].given["patient"], day, tuple(sorted(rs, key=_position)))
        for (_, day, _), rs in groups.items()
    ], rejected


def _position(row: Row) -> int:
    """The substance's place in its session (``substance_no``); 0 when the file has none, so
    such rows keep the file's order."""
    text = row.given.get(SUBSTANCE_POSITION, "")
    return parse.whole(text, SUBSTANCE_POSITION, 1, 999) if text else 0


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


def given_of(group: Group, chart: Chart | None, date_format: str) -> Given:
    """A group of rows as what was given for one session, in the words `add` takes."""

    def get(name: str) -> str | None:
        return next((r.given[name] for r in group.rows if r.given.get(name)), None)

    course = get("course")
    measures = {
        key.removeprefix(MEASURE_PREFIX): text
        for row in group.rows
        for key, text in row.given.items()
        if key.startswith(MEASURE_PREFIX) and text
    }
    depth_mm = get("depth_mm")
    return Given(
        date=group.day.isoformat(),
        areas=((get("areas") or "").replace(";", ","),) if get("areas") else (),
        indication=get("indication"),
        substances=tuple(
            _substance_spec(given, date_format) for row in group.rows for given in _substances(row)
        ),
        depth=depth_mm.removesuffix("mm").strip() if depth_mm else None,
        technique=get("technique"),
        anaesthetic=get("anaesthetic"),
        complications=tuple(
            c.strip() for c in (get("complications") or "").split(";") if c.strip()
        ),
        measures=tuple(f"{name}={value}" for name, value in measures.items()),
        note=get("notes"),
        practitioner=get("practitioner"),
        # Only a course the chart has: a spreadsheet holds no plan to create one from.
        course=course if course and chart is not None and chart.course(course) else None,
        plain={entry.name: get(entry.name) for entry in PLAIN},
        zones=tuple(z.strip() for z in (get("zones") or "").split(";") if z.strip()),
    )


def draft_from_group(
    group: Group,
    chart: Chart | None,
    practice: ClinicDefaults,
    date_format: str,
    source: str,
    today: date,
    recorded: datetime,
) -> tuple[Session, list[str]]:
    """One group of rows -> a session and its warnings, through the one drafting function that
    `add` uses (same parsing, validation and warnings). Raises naming the field."""
    given = given_of(group, chart, date_format)
    draft = draft_session(given, chart, practice, today, recorded=recorded)
    session = draft.complete()
    notes = draft.warnings
    course = next((r.given["course"] for r in group.rows if r.given.get("course")), None)
    if course and given.course is None:
        kept = f"in the current course {session.course!r}" if session.course else "without a course"
        notes.insert(
            0,
            f"course {course!r} is not in {group.patient}'s chart: recorded {kept} "
            "(add it with `mesolog course add`, then `mesolog amend ... --course`).",
        )
    status = next((r.given["status"] for r in group.rows if r.given.get("status")), "active")
    status = parse.choice(status, "status", vocab.STATUSES)
    return replace(session, status=status, source=source), notes


def _where(error: MesologError) -> str:
    """The field an error names (the cell a practitioner corrects), else "row"."""
    return getattr(error, "field", None) or ", ".join(getattr(error, "fields", [])) or "row"


def _alone(row: Row, group: Group) -> Group:
    """``row`` as a session of its own: its cells, and for the session's fields it leaves empty
    the values the session takes from its other rows (the substances are its own only)."""
    given = dict(row.given)
    for other in group.rows:
        for key, text in other.given.items():
            substance = key in SUBSTANCE_FIELDS or bool(_NUMBERED.match(key))
            if text and not given.get(key) and not substance:
                given[key] = text
    return Group(group.patient, group.day, (Row(row.number, given),))


def row_reasons(
    group: Group,
    error: MesologError,
    chart: Chart | None,
    practice: ClinicDefaults,
    date_format: str,
    today: date,
    recorded: datetime,
    disagreeing: dict[int, Rejection] | None = None,
) -> list[Rejection]:
    """Why each row of a refused session is rejected: a row whose own cells are refused names
    its cell, a row that disagrees with an earlier one says so (``disagreeing``); the others are
    "rejected with row N, same session" (N the first row at fault)."""
    own: dict[int, Rejection] = {}
    if len(group.rows) > 1:
        for row in group.rows:
            try:
                draft_from_group(
                    _alone(row, group), chart, practice, date_format, "", today, recorded
                )
            except MesologError as failed:
                own[row.number] = Rejection(row.number, _where(failed), failed.message)
    for number, rejection in (disagreeing or {}).items():
        own.setdefault(number, rejection)
    if not own:  # no row is wrong alone: the session as a whole is (or it has one row)
        own[group.first] = Rejection(group.first, _where(error), error.message)
    return with_session(group, own)


# Cells that are the same for every row of a session by construction, or the row's own.
_PER_ROW = frozenset({"patient", "date", SUBSTANCE_POSITION, *SUBSTANCE_FIELDS, *IGNORED_FIELDS})


def _disagreements(group: Group) -> dict[int, Rejection]:
    """Rows of one session that give a session's field another value than an earlier row: one
    value would be kept and the other silently dropped, so the row is rejected saying which."""
    first: dict[str, tuple[str, int]] = {}
    found: dict[int, Rejection] = {}
    for row in sorted(group.rows, key=lambda r: r.number):
        for key, text in row.given.items():
            if not text or key in _PER_ROW or _NUMBERED.match(key):
                continue
            if key not in first:
                first[key] = (text, row.number)
            elif vocab.normalize(text) != vocab.normalize(first[key][0]):
                kept, at = first[key]
                found.setdefault(
                    row.number,
                    Rejection(
                        row.number,
                        key,
                        f"{text!r} here but {kept!r} in row {at}, the same session "
                        f"(same patient and date): a session has one {key}; make the rows agree",
                    ),
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


# --- the plan ----------------------------------------------------------------------------------


@dataclass
class ChartPlan:
    """What import would do to one patient: create the chart, then append these sessions."""

    patient_id: str
    new_patient: Patient | None
    sessions: list[Session] = field(default_factory=list)
    courses: tuple[Course, ...] = ()
    first_row: int = 0  # the file's first row for this patient (0: not from a spreadsheet)
    # A restored JSON export: the chart-level trail (patient and course changes) of a new chart.
    amendments: tuple[Amendment, ...] = ()


@dataclass
class ImportPlan:
    file_name: str
    rows_read: int
    unit: str = "row"  # what was read: spreadsheet rows, or the sessions of a JSON export
    rejected: list[Rejection] = field(default_factory=list)
    charts: dict[str, ChartPlan] = field(default_factory=dict)
    already_imported: int = 0
    unknown_values: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    # A restored JSON export: the identity of the clinic that made it (docs/exports.md).
    clinic_id: str | None = None
    # Unknown ids close to an existing one (rejected: a typo must never start a second chart)
    # and new ids of this file close to each other (flagged: one may be a typo of the other).
    close_to_existing: list[str] = field(default_factory=list)
    close_new_ids: list[str] = field(default_factory=list)

    @property
    def accepted_rows(self) -> int:
        return self.rows_read - len({r.row for r in self.rejected})

    @property
    def sessions(self) -> int:
        return sum(len(c.sessions) for c in self.charts.values())

    @property
    def new_patients(self) -> list[str]:
        return [c.patient_id for c in self.charts.values() if c.new_patient is not None]


def source_of(file_name: str, row: int) -> str:
    return f"{file_name}#row={row}"


def _same_session(a: Session, b: Session) -> bool:
    names = sorted(vocab.substance_base(s.name) for s in a.substances)
    return a.date == b.date and names == sorted(vocab.substance_base(s.name) for s in b.substances)


def plan_import(
    file_name: str,
    rows: list[Row],
    date_format: str,
    charts: Callable[[str], Chart | None],
    practice: ClinicDefaults,
    today: date,
    recorded: datetime,
    people: Callable[[], Sequence[tuple[str, str | None]]] = tuple,
    new_ids: Collection[str] = (),
) -> ImportPlan:
    """Everything import would do, decided without writing: ``charts`` gives the existing chart
    of a patient id (ignoring case) or None; ``people`` the (id, name) of every chart, asked
    once and only when a row names an unknown id; ``new_ids`` the ids the practitioner said are
    new patients although close to an existing one (``--new-patient``)."""
    plan = ImportPlan(file_name, len(rows))
    groups, plan.rejected = group_rows(rows, date_format, today)
    typo = _TypoCheck(people, {i.lower() for i in new_ids})
    for group in groups:
        key = group.patient.lower()
        chart = charts(group.patient)
        if key not in plan.charts:
            new = None
            if chart is None:
                if not typo.allows(group, plan):
                    continue
                new = _new_patient(group, recorded, plan)
                if new is None:
                    continue
            plan.charts[key] = ChartPlan(
                chart.patient.id if chart else group.patient, new, first_row=group.first
            )
        if chart is not None and not _name_agrees(group, chart, plan):
            continue
        target = plan.charts[key]
        source = source_of(file_name, group.first)
        if chart is not None and any(s.source == source for s in chart.sessions):
            plan.already_imported += 1
            continue
        disagreeing = _disagreements(group)
        # Drafted against the chart as it will be: the sessions of this file come before it.
        so_far = _chart_so_far(chart, target)
        try:
            draft, notes = draft_from_group(
                group, so_far, practice, date_format, source, today, recorded
            )
        except MesologError as error:
            plan.rejected += row_reasons(
                group, error, so_far, practice, date_format, today, recorded, disagreeing
            )
            continue
        if disagreeing:
            plan.rejected += with_session(group, disagreeing)
            continue
        for note in notes:
            (
                plan.unknown_values
                if "did you mean" in note or "not in the" in note
                else plan.warnings
            ).append(f"row {group.first}: {note}")
        for old in chart.sessions if chart else ():
            if not old.voided and _same_session(old, draft):
                plan.duplicates.append(
                    f"row {group.first}: {target.patient_id} already has session {old.id} on "
                    f"{old.date.isoformat()} with the same substances"
                )
        target.sessions.append(draft)
    plan.charts = {k: c for k, c in plan.charts.items() if c.sessions}
    plan.close_new_ids = typo.told_apart + close_new_ids(list(plan.charts.values()))
    return plan


class _TypoCheck:
    """An unknown id close to an existing patient's (the "did you mean" of `add`, the one
    matcher in model.finding) is refused: a typo must never start a second chart. The ids the
    practitioner named with ``--new-patient`` start their chart all the same."""

    def __init__(
        self, people: Callable[[], Sequence[tuple[str, str | None]]], new_ids: set[str]
    ) -> None:
        self._people = people
        self._known: Sequence[tuple[str, str | None]] | None = None
        self._hints: dict[str, str] = {}
        self.new_ids = new_ids
        self.told_apart: list[str] = []

    def _everyone(self) -> Sequence[tuple[str, str | None]]:
        """The clinic's (id, name) pairs, read once, and only when a row names an unknown id."""
        if self._known is None:
            self._known = self._people()
        return self._known

    def _named_otherwise(self, patient_id: str, group: Group) -> str:
        """The close existing ids, when the file names this patient and each of them is named
        differently in the clinic; else ""."""
        from mesolog.model.finding import close_ids, fold

        name = next((r.given["name"] for r in group.rows if r.given.get("name")), None)
        if not name:
            return ""
        known = self._everyone()
        names = dict(known)
        close = close_ids(patient_id, known)
        if close and all(names.get(c) and fold(names[c] or "") != fold(name) for c in close):
            return ", ".join(close)
        return ""

    def hint(self, patient_id: str) -> str:
        from mesolog.model.finding import did_you_mean

        key = patient_id.lower()
        if key not in self._hints:
            self._hints[key] = did_you_mean(patient_id, self._everyone())
        return self._hints[key]

    def allows(self, group: Group, plan: ImportPlan) -> bool:
        pid = group.patient
        if pid.lower() in self.new_ids:
            return True
        hint = self.hint(pid)
        if not hint:
            return True
        other = self._named_otherwise(pid, group)
        if other:
            # Numbered ids all look close (P-0043 to P-0042): when the file names the patient
            # and every close patient is named otherwise, they are different people; the plan
            # still lists the pair, to be looked at.
            self.told_apart.append(
                f"{pid} (row {group.first}) and the clinic's {other}: named differently"
            )
            return True
        if pid not in plan.close_to_existing:
            plan.close_to_existing.append(pid)
        reason = (
            f"no patient {pid!r} in the clinic{hint} If {pid} is a new patient, "
            f"add --new-patient {pid}."
        )
        plan.rejected += [Rejection(r.number, "patient", reason) for r in group.rows]
        return False


# Comparing every new id with every other is quadratic (a 2,000-patient migration would spend
# minutes) and says nothing about numbered ids, which all look close; beyond this many new
# patients a file is a migration, and the report says the comparison was left out.
CLOSE_NEW_IDS_UP_TO = 200


def close_new_ids(planned: list[ChartPlan]) -> list[str]:
    """New patients of one file whose ids are close to each other (the same matcher), unless
    the file tells them apart (both named, differently; or born in different years)."""
    from mesolog.model.finding import suggestions

    new = [c for c in planned if c.new_patient is not None]
    if len(new) > CLOSE_NEW_IDS_UP_TO:
        return [
            f"{len(new)} new patients: their ids were not compared with each other "
            f"(over {CLOSE_NEW_IDS_UP_TO}; check the id column by eye)"
        ]
    found = []
    for n, this in enumerate(new):
        others = {o.patient_id: o for o in new[:n] if not _told_apart(this, o)}
        # The closest earlier id only: one line per new id is enough to look at the pair.
        for close in suggestions(this.patient_id, [(pid, None) for pid in others])[:1]:
            other = others[close]
            found.append(
                f"{other.patient_id} (row {other.first_row}) and {this.patient_id} "
                f"(row {this.first_row}): one may be a typo of the other"
            )
    return found


def _told_apart(a: ChartPlan, b: ChartPlan) -> bool:
    from mesolog.model.finding import fold

    pa, pb = a.new_patient, b.new_patient
    if pa is None or pb is None:
        return True
    if pa.name and pb.name and fold(pa.name) != fold(pb.name):
        return True
    return bool(pa.birth_year and pb.birth_year and pa.birth_year != pb.birth_year)


def _chart_so_far(chart: Chart | None, target: ChartPlan) -> Chart | None:
    if not target.sessions:
        return chart
    base = chart or Chart(target.new_patient or Patient(target.patient_id, datetime.min))
    return replace(base, sessions=(*base.sessions, *target.sessions))


def _new_patient(group: Group, recorded: datetime, plan: ImportPlan) -> Patient | None:
    name = next((r.given["name"] for r in group.rows if r.given.get("name")), None)
    born = next((r.given["birth_year"] for r in group.rows if r.given.get("birth_year")), None)
    try:
        year = parse.whole(born, "birth_year", 1900, recorded.year) if born else None
    except InvalidValue as error:
        at = next(r.number for r in group.rows if r.given.get("birth_year") == born)
        plan.rejected += with_session(group, {at: Rejection(at, "birth_year", error.message)})
        return None
    try:  # a name is one line (see values.one_line)
        name = parse.one_line(name, "name") if name else None
    except InvalidValue as error:
        at = next(r.number for r in group.rows if r.given.get("name") == name)
        plan.rejected += with_session(group, {at: Rejection(at, "name", error.message)})
        return None
    return Patient(id=group.patient, created=recorded, name=name, birth_year=year)


def _name_agrees(group: Group, chart: Chart, plan: ImportPlan) -> bool:
    """A row naming an existing patient differently is rejected: a wrong id must not put one
    patient's sessions in another's chart."""
    known = chart.patient.name
    own = {
        row.number: Rejection(
            row.number,
            "name",
            f"patient {chart.patient.id} is {known!r} in the chart but {given!r} in the file",
        )
        for row in group.rows
        if (given := row.given.get("name"))
        and known
        and vocab.normalize(given) != vocab.normalize(known)
    }
    if own:
        plan.rejected += with_session(group, own)
    return not own


def plan_restore(
    file_name: str, exported: list[Chart], charts: Callable[[str], Chart | None], today: date
) -> ImportPlan:
    """mesolog's own JSON export: each chart comes back as it was (numbers, times, trail). A
    patient not in the clinic is created whole; one already there gets only the sessions it
    does not hold (the same uid, or number and time, is the same session). A file edited by
    hand is held to the rules of every other way in: a session the rules refuse is rejected,
    as a row of a spreadsheet is (counted in the file's order of sessions)."""
    from mesolog.model.validation import session_problems

    plan = ImportPlan(file_name, sum(len(c.sessions) for c in exported), "session")
    ordinal = 0
    for chart in exported:
        first, ordinal = ordinal + 1, ordinal + len(chart.sessions)
        try:
            parse.check_patient_id(chart.patient.id)
        except InvalidPatientId as error:
            plan.rejected += [Rejection(first + i, "patient", error.message) for i in range(len(chart.sessions))]
            continue
        refused = [
            Rejection(first + i, ".".join(map(str, p.field)), f"{chart.patient.id} session {s.id}: {p.message}")
            for i, s in enumerate(chart.sessions)
            for p in session_problems(s, today)
        ]
        if refused:
            plan.rejected += refused
            bad = {r.row for r in refused}
            chart = replace(chart, sessions=tuple(
                s for i, s in enumerate(chart.sessions) if first + i not in bad
            ))
        existing = charts(chart.patient.id)
        if existing is None:
            plan.charts[chart.patient.id.lower()] = ChartPlan(
                chart.patient.id,
                chart.patient,
                list(chart.sessions),
                chart.courses,
                amendments=chart.amendments,
            )
            continue
        held = {session_identity(s) for s in existing.sessions}
        fresh = [s for s in chart.sessions if session_identity(s) not in held]
        plan.already_imported += len(chart.sessions) - len(fresh)
        if fresh:
            plan.charts[chart.patient.id.lower()] = ChartPlan(existing.patient.id, None, fresh)
    return plan


def session_identity(session: Session) -> object:
    """What makes a session the same record: its uid when it has one, else number and time."""
    uid = getattr(session, "uid", None)
    return uid if uid else (session.id, session.date, session.recorded)
