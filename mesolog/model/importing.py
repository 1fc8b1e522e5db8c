"""Import, the pure part: which column is which field (the map), rows to given values, rows to
sessions, and the plan a dry run reports and ``--apply`` writes.

One row is one substance given; the rows of one patient and date (and session number, when the
file has one) form one session. mesolog's own CSV exports need no map: their columns are the
field names (the per-session form holds the substances in numbered columns).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from mesolog.errors import InvalidValue, MesologError
from mesolog.model import values as parse
from mesolog.model import vocabulary as vocab
from mesolog.model.drafting import ClinicDefaults, Given, draft_session
from mesolog.model.exchange import MEASURE_PREFIX, NUMBERED_SUBSTANCE_COLUMNS
from mesolog.model.records import Chart, Course, Patient, Session

PATIENT_FIELDS = ("patient", "name", "birth_year")
SESSION_FIELDS = (
    "date", "practitioner", "course", "indication", "areas", "technique", "method", "depth_mm",
    "angle_deg", "needle_gauge", "needle_length_mm", "points", "anaesthetic", "duration_min",
    "consent", "complications", "notes", "status",
)  # fmt: skip
SUBSTANCE_FIELDS = ("substance", "amount", "unit", "concentration", "lot", "expiry")
# In mesolog's own exports, read and left alone: numbers are given by the chart, the category
# follows from the catalogue, the source is this import's.
IGNORED_FIELDS = ("session", "category", "source")
FIELDS = (*PATIENT_FIELDS, *SESSION_FIELDS, *SUBSTANCE_FIELDS, *IGNORED_FIELDS)
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
        return self.rows[0].number


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
            day = read_date(row.given.get("date", ""), date_format, today)
        except InvalidValue as error:
            rejected.append(Rejection(row.number, error.field, error.message))
            continue
        if not _substances(row):
            rejected.append(Rejection(row.number, "substance", "no substance given"))
            continue
        groups.setdefault((patient.lower(), day, row.given.get("session", "")), []).append(row)
    return [
        Group(rs[0].given["patient"], day, tuple(rs)) for (_, day, _), rs in groups.items()
    ], rejected


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
        method=get("method"),
        angle=get("angle_deg"),
        gauge=get("needle_gauge"),
        needle_length=get("needle_length_mm"),
        points=get("points"),
        anaesthetic=get("anaesthetic"),
        duration=get("duration_min"),
        complications=tuple(
            c.strip() for c in (get("complications") or "").split(";") if c.strip()
        ),
        measures=tuple(f"{name}={value}" for name, value in measures.items()),
        note=get("notes"),
        practitioner=get("practitioner"),
        # Only a course the chart has: a spreadsheet holds no plan to create one from.
        course=course if course and chart is not None and chart.course(course) else None,
        consent=get("consent"),
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


# --- the plan ----------------------------------------------------------------------------------


@dataclass
class ChartPlan:
    """What import would do to one patient: create the chart, then append these sessions."""

    patient_id: str
    new_patient: Patient | None
    sessions: list[Session] = field(default_factory=list)
    courses: tuple[Course, ...] = ()


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
) -> ImportPlan:
    """Everything import would do, decided without writing: ``charts`` gives the existing chart
    of a patient id (ignoring case) or None."""
    plan = ImportPlan(file_name, len(rows))
    groups, plan.rejected = group_rows(rows, date_format, today)
    for group in groups:
        key = group.patient.lower()
        chart = charts(group.patient)
        if key not in plan.charts:
            new = None
            if chart is None:
                new = _new_patient(group, recorded, plan)
                if new is None:
                    continue
            plan.charts[key] = ChartPlan(chart.patient.id if chart else group.patient, new)
        if chart is not None and not _name_agrees(group, chart, plan):
            continue
        target = plan.charts[key]
        source = source_of(file_name, group.first)
        if chart is not None and any(s.source == source for s in chart.sessions):
            plan.already_imported += 1
            continue
        # Drafted against the chart as it will be: the sessions of this file come before it.
        so_far = _chart_so_far(chart, target)
        try:
            draft, notes = draft_from_group(
                group, so_far, practice, date_format, source, today, recorded
            )
        except MesologError as error:
            where = (
                getattr(error, "field", None) or ", ".join(getattr(error, "fields", [])) or "row"
            )
            plan.rejected += [Rejection(r.number, where, error.message) for r in group.rows]
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
    return plan


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
        plan.rejected += [Rejection(r.number, "birth_year", error.message) for r in group.rows]
        return None
    return Patient(id=group.patient, created=recorded, name=name, birth_year=year)


def _name_agrees(group: Group, chart: Chart, plan: ImportPlan) -> bool:
    """A row naming an existing patient differently is rejected: a wrong id must not put one
    patient's sessions in another's chart."""
    known = chart.patient.name
    for row in group.rows:
        given = row.given.get("name")
        if given and known and vocab.normalize(given) != vocab.normalize(known):
            plan.rejected += [
                Rejection(
                    r.number,
                    "name",
                    f"patient {chart.patient.id} is {known!r} in the chart but {given!r} in the file",
                )
                for r in group.rows
            ]
            return False
    return True


def plan_restore(
    file_name: str, exported: list[Chart], charts: Callable[[str], Chart | None]
) -> ImportPlan:
    """mesolog's own JSON export: each chart comes back as it was (numbers, times, trail). A
    patient not in the clinic is created whole; one already there gets only the sessions it
    does not hold (the same uid, or number and time, is the same session)."""
    plan = ImportPlan(file_name, sum(len(c.sessions) for c in exported), "session")
    for chart in exported:
        existing = charts(chart.patient.id)
        if existing is None:
            plan.charts[chart.patient.id.lower()] = ChartPlan(
                chart.patient.id, chart.patient, list(chart.sessions), chart.courses
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
