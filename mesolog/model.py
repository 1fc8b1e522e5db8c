"""A patient's chart as plain data, and the rules a value must follow to go into it.

No I/O, no terminal: everything here is usable and testable from Python alone. Parsing of the
short forms a practitioner types (``"hyaluronic acid:2ml:LOT A17"``, ``waist_cm=82.5``) lives
here too, since it is validation of values, not of command lines.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from mesolog import vocabulary as vocab
from mesolog.errors import InvalidPatientId, InvalidValue

SCHEMA = 1

MAX_DEPTH_MM = 13.0
DERMAL_DEPTH_MM = (1.0, 4.0)  # the source's range; outside it: recorded, with a warning
COURSE_SESSIONS = (3, 15)
COURSE_INTERVAL_DAYS = (7, 30)
# Depth a method usually goes to (DESIGN.md "Depth by technique"); outside: a warning only.
METHOD_DEPTH_MM: dict[str, tuple[float, float]] = {
    "epidermal-nappage": (0.0, 1.0),
    "papule": (1.0, 2.0),
    "nappage": (2.0, 4.0),
    "point-by-point": (4.0, 13.0),
    "linear": (1.0, 13.0),
}

_PATIENT_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$")
_MEASURE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Substance:
    name: str
    amount: float
    unit: str
    category: str = vocab.UNCATALOGUED
    concentration: str | None = None
    lot: str | None = None
    expiry: date | None = None


@dataclass(frozen=True)
class Complication:
    name: str
    severity: str = "mild"
    onset: date | None = None
    resolved: date | None = None
    outcome: str | None = None
    reported_by: str | None = None


@dataclass(frozen=True)
class Amendment:
    at: datetime
    by: str
    reason: str
    changes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Session:
    """One treatment session, as charted."""

    id: int
    date: date
    recorded: datetime
    areas: tuple[str, ...]
    technique: str
    depth_mm: float
    anaesthetic: str
    substances: tuple[Substance, ...]
    practitioner: str = ""
    course: str | None = None
    indication: str | None = None
    method: str | None = None
    angle_deg: int | None = None
    needle_gauge: int | None = None
    needle_length_mm: float | None = None
    points: int | None = None
    consent: str | None = None
    photos: tuple[str, ...] = ()
    duration_min: int | None = None
    notes: str = ""
    status: str = "active"
    complications: tuple[Complication, ...] = ()
    measurements: dict[str, float] = field(default_factory=dict)
    amendments: tuple[Amendment, ...] = ()

    @property
    def voided(self) -> bool:
        return self.status == "voided"


@dataclass(frozen=True)
class Course:
    """A treatment plan: so many sessions, so many days apart, from a start date."""

    name: str
    planned_sessions: int
    interval_days: int
    start: date
    indication: str | None = None


@dataclass(frozen=True)
class Patient:
    id: str
    created: datetime
    name: str | None = None
    birth_year: int | None = None
    sex: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Chart:
    """Everything recorded for one patient."""

    patient: Patient
    courses: tuple[Course, ...] = ()
    sessions: tuple[Session, ...] = ()
    schema: int = SCHEMA

    @property
    def active_sessions(self) -> tuple[Session, ...]:
        return tuple(s for s in self.sessions if not s.voided)

    @property
    def last_session(self) -> Session | None:
        active = sorted(self.active_sessions, key=lambda s: (s.date, s.id))
        return active[-1] if active else None

    def session(self, number: int) -> Session | None:
        return next((s for s in self.sessions if s.id == number), None)

    def course(self, name: str) -> Course | None:
        return next((c for c in self.courses if c.name.lower() == name.lower()), None)

    def next_session_id(self) -> int:
        # Numbers are never reused: voided sessions keep theirs.
        return max((s.id for s in self.sessions), default=0) + 1


# --- ids --------------------------------------------------------------------------------------


def check_patient_id(patient_id: str) -> str:
    """The id, if it can safely become a file name; refuses anything else before any path."""
    if not _PATIENT_ID.match(patient_id or ""):
        shown = patient_id if len(patient_id or "") <= 70 else patient_id[:67] + "..."
        raise InvalidPatientId(
            f"patient id {shown!r} is not allowed: use 1 to 64 letters, digits, '-', '_' or '.', "
            "not starting with '.' or '-'."
        )
    return patient_id


# --- single values ----------------------------------------------------------------------------


def now() -> datetime:
    """This moment in local time with its UTC offset, to the second (as charted)."""
    return datetime.now().astimezone().replace(microsecond=0)


def parse_date(text: str, field_name: str = "date", today: date | None = None) -> date:
    """ISO ``YYYY-MM-DD``, ``today``, ``yesterday`` or ``-Nd`` (N days ago)."""
    today = today or date.today()
    word = text.strip().lower()
    if word == "today":
        return today
    if word == "yesterday":
        return today - timedelta(days=1)
    ago = re.fullmatch(r"-(\d{1,4})d", word)
    if ago:
        return today - timedelta(days=int(ago.group(1)))
    allowed = "use a date as YYYY-MM-DD, 'today', 'yesterday' or '-3d'"
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", word):
        raise InvalidValue(field_name, text, allowed)
    try:
        return date.fromisoformat(word)
    except ValueError:
        raise InvalidValue(field_name, text, allowed) from None


def past_date(text: str, field_name: str = "date", today: date | None = None) -> date:
    """A date that is not in the future (sessions and onsets have happened)."""
    today = today or date.today()
    value = parse_date(text, field_name, today)
    if value > today:
        raise InvalidValue(field_name, text, f"it is in the future (today is {today.isoformat()})")
    return value


def number(text: str | float, field_name: str) -> float:
    """A finite number; a comma as decimal mark is accepted ("1,5")."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value = float(text)
    else:
        try:
            value = float(str(text).strip().replace(",", "."))
        except ValueError:
            raise InvalidValue(field_name, text, "it must be a number") from None
    if not math.isfinite(value):
        raise InvalidValue(field_name, text, "it must be a finite number")
    return value


def whole(text: str | int, field_name: str, low: int, high: int) -> int:
    """A whole number within [low, high]."""
    value = number(text, field_name)
    if value != int(value) or not low <= value <= high:
        raise InvalidValue(field_name, text, f"it must be a whole number from {low} to {high}")
    return int(value)


def depth(text: str | float) -> tuple[float, list[str]]:
    """Needle depth in mm (0 < d <= 13); outside the dermal 1-4 mm it is kept with a warning."""
    value = number(text, "depth")
    if not 0 < value <= MAX_DEPTH_MM:
        raise InvalidValue(
            "depth", text, f"depth in mm must be above 0 and at most {MAX_DEPTH_MM:g}"
        )
    warnings = []
    low, high = DERMAL_DEPTH_MM
    if not low <= value <= high:
        warnings.append(
            f"depth {value:g} mm is outside the dermal range {low:g}-{high:g} mm; recorded as given."
        )
    return value, warnings


def technique(text: str) -> str:
    word = vocab.normalize(text)
    if word in ("by hand", "manual", "syringe"):
        word = "hand"
    if word in ("injection gun", "pistol", "meso gun", "mesogun"):
        word = "gun"
    if word not in vocab.TECHNIQUES:
        raise InvalidValue("technique", text, "use 'gun' (injection gun) or 'hand'")
    return word


def choice(text: str, field_name: str, allowed: tuple[str, ...]) -> str:
    word = vocab.normalize(text)
    for option in allowed:
        if word == option.lower():
            return option
    raise InvalidValue(field_name, text, "use one of " + ", ".join(allowed))


def measurement(spec: str) -> tuple[str, float]:
    """``waist_cm=82.5`` -> ("waist_cm", 82.5). The name carries the unit."""
    name, sep, raw = spec.partition("=")
    name = name.strip().lower()
    if not sep or not raw.strip():
        raise InvalidValue("measure", spec, "write it as NAME=NUMBER, e.g. waist_cm=82.5")
    if not _MEASURE_NAME.match(name):
        raise InvalidValue(
            "measure", spec, "the name is lower-case letters, digits and '_', unit last (waist_cm)"
        )
    return name, number(raw, f"measure {name}")


_AMOUNT = re.compile(r"^\s*(\d+(?:[.,]\d+)?|[.,]\d+)\s*([A-Za-zµ]+)\s*$")


def amount(text: str) -> tuple[float, str]:
    """``2ml`` / ``0.5 mg`` / ``10 U`` -> (amount, unit); the amount must be positive."""
    stripped = text.strip()
    if stripped.startswith("-"):
        raise InvalidValue("amount", text, "the amount must be a positive number with a unit")
    match = _AMOUNT.match(stripped)
    if not match:
        raise InvalidValue(
            "amount", text, "write a positive number and a unit (ml, mg, mcg, IU, U), e.g. 2ml"
        )
    value = number(match.group(1), "amount")
    unit = vocab.UNIT_ALIASES.get(match.group(2).lower())
    if unit is None:
        raise InvalidValue("unit", match.group(2), "use one of " + ", ".join(vocab.UNITS))
    if value <= 0:
        raise InvalidValue("amount", text, "the amount must be a positive number")
    return value, unit


def substance(
    spec: str, vocabulary: vocab.Vocabulary = vocab.DEFAULT
) -> tuple[Substance, list[str]]:
    """``NAME:AMOUNT[:LOT x][:EXP yyyy-mm-dd]`` -> a substance and any suggestion to show.

    A third part without a keyword is the lot ("hyaluronic acid:2ml:A17").
    """
    parts = [p.strip() for p in spec.split(":")]
    if len(parts) < 2 or not parts[0]:
        raise InvalidValue(
            "substance",
            spec,
            'write it as NAME:AMOUNT[:LOT x][:EXP date], e.g. "hyaluronic acid:2ml:LOT A17"',
        )
    name = " ".join(parts[0].split())
    value, unit = amount(parts[1])
    lot: str | None = None
    expiry: date | None = None
    for extra in parts[2:]:
        if not extra:
            continue
        key, _, rest = extra.partition(" ")
        key_l = key.lower().rstrip("=")
        if "=" in key:
            key_l, _, rest = extra.partition("=")
            key_l = key_l.strip().lower()
        if key_l in ("lot", "batch") and rest.strip():
            lot = rest.strip()
        elif key_l in ("exp", "expiry", "expires") and rest.strip():
            expiry = parse_date(rest.strip(), "expiry")
        else:
            lot = extra
    category, match = vocabulary.substance(name)
    notes = []
    if not match.known and match.suggestion:
        notes.append(
            f"substance {name!r} is not in the catalogue; did you mean {match.suggestion!r}?"
        )
    return (
        Substance(
            name=name,
            amount=value,
            unit=unit,
            category=category,
            concentration=vocab.concentration_of(name),
            lot=lot,
            expiry=expiry,
        ),
        notes,
    )


def complication(
    spec: str, vocabulary: vocab.Vocabulary = vocab.DEFAULT, today: date | None = None
) -> tuple[Complication, list[str]]:
    """``NAME[:SEVERITY][:onset=DATE][:resolved=DATE][:outcome=X][:by=patient]``."""
    parts = [p.strip() for p in spec.split(":")]
    if not parts[0]:
        raise InvalidValue("complication", spec, "write it as NAME[:SEVERITY], e.g. bruising:mild")
    match = vocabulary.complication(parts[0])
    severity = "mild"
    onset = resolved = None
    outcome = reported_by = None
    for extra in parts[1:]:
        key, sep, value = extra.partition("=")
        key = key.strip().lower()
        if not sep:
            severity = choice(extra, "severity", vocab.SEVERITIES)
        elif key == "severity":
            severity = choice(value, "severity", vocab.SEVERITIES)
        elif key == "onset":
            onset = past_date(value, "onset", today)
        elif key == "resolved":
            resolved = past_date(value, "resolved", today)
        elif key == "outcome":
            outcome = choice(value, "outcome", vocab.OUTCOMES)
        elif key in ("by", "reported_by"):
            reported_by = choice(value, "reported_by", vocab.REPORTERS)
        else:
            raise InvalidValue(
                "complication", spec, "extra parts are SEVERITY, onset=, resolved=, outcome=, by="
            )
    if onset and resolved and resolved < onset:
        raise InvalidValue("resolved", resolved.isoformat(), "it is before the onset")
    if resolved and outcome is None:
        outcome = "resolved"
    notes = []
    if not match.known and match.suggestion:
        notes.append(
            f"complication {parts[0]!r} is not in the list; did you mean {match.suggestion!r}?"
        )
    item = Complication(match.value, severity, onset, resolved, outcome, reported_by)
    return item, notes


def area(word: str, vocabulary: vocab.Vocabulary = vocab.DEFAULT) -> tuple[str, list[str]]:
    if not word.strip():
        raise InvalidValue("area", word, "name the area treated, e.g. scalp")
    match = vocabulary.area(word)
    notes = []
    if not match.known:
        hint = (
            f"; did you mean {match.suggestion!r}?" if match.suggestion else "; recorded as typed."
        )
        notes.append(f"area {word.strip()!r} is not in the list{hint}")
    return match.value, notes


def indication(word: str, vocabulary: vocab.Vocabulary = vocab.DEFAULT) -> tuple[str, list[str]]:
    match = vocabulary.indication(word)
    notes = []
    if not match.known:
        hint = (
            f"; did you mean {match.suggestion!r}?" if match.suggestion else "; recorded as typed."
        )
        notes.append(f"indication {word.strip()!r} is not in the list{hint}")
    return match.value, notes


# --- whole records ----------------------------------------------------------------------------


def course_warnings(course: Course) -> list[str]:
    notes = []
    low, high = COURSE_SESSIONS
    if not low <= course.planned_sessions <= high:
        notes.append(
            f"course {course.name!r}: {course.planned_sessions} sessions is outside the usual {low}-{high}."
        )
    low, high = COURSE_INTERVAL_DAYS
    if not low <= course.interval_days <= high:
        notes.append(
            f"course {course.name!r}: an interval of {course.interval_days} days is outside the usual {low}-{high}."
        )
    return notes


def make_course(
    name: str | None,
    planned_sessions: int,
    interval_days: int,
    start: date,
    indication_name: str | None = None,
) -> Course:
    whole(planned_sessions, "planned sessions", 1, 100)
    whole(interval_days, "interval days", 1, 365)
    if not name:
        slug = re.sub(r"[^a-z0-9]+", "-", (indication_name or "course").lower()).strip("-")
        name = f"{slug}-{start.year}"
    return Course(name.strip(), planned_sessions, interval_days, start, indication_name)


def session_warnings(session: Session) -> list[str]:
    """Facts worth a second look; the session is recorded all the same."""
    notes = []
    for item in session.substances:
        if item.expiry and item.expiry < session.date:
            notes.append(
                f"{item.name} lot {item.lot or '?'} expired on {item.expiry.isoformat()}, "
                f"before the session date {session.date.isoformat()}."
            )
        if not item.lot:
            notes.append(f"{item.name} has no lot number: a recall could not find this session.")
    usual = METHOD_DEPTH_MM.get(session.method or "")
    if usual and not usual[0] <= session.depth_mm <= usual[1]:
        notes.append(
            f"depth {session.depth_mm:g} mm is unusual for {session.method} "
            f"(usually {usual[0]:g}-{usual[1]:g} mm)."
        )
    return notes


def validate_session(session: Session, today: date | None = None) -> None:
    """Refuse what cannot be charted; the same rules whether it came from a prompt or a file."""
    today = today or date.today()
    if session.date > today:
        raise InvalidValue("date", session.date.isoformat(), "it is in the future")
    if not session.areas:
        raise InvalidValue("area", "", "at least one area is required")
    if not session.substances:
        raise InvalidValue("substance", "", "at least one substance is required")
    technique(session.technique)
    depth(session.depth_mm)
    if not session.anaesthetic.strip():
        raise InvalidValue("anaesthetic", session.anaesthetic, "write 'none' or what was used")
    for item in session.substances:
        if not item.amount > 0 or not math.isfinite(item.amount):
            raise InvalidValue("amount", item.amount, "the amount must be a positive number")
        if item.unit not in vocab.UNITS:
            raise InvalidValue("unit", item.unit, "use one of " + ", ".join(vocab.UNITS))
    if session.method is not None:
        choice(session.method, "method", vocab.METHODS)
    if session.angle_deg is not None:
        whole(session.angle_deg, "angle", 0, 90)
    if session.needle_gauge is not None:
        whole(session.needle_gauge, "needle gauge", 27, 34)
    if session.needle_length_mm is not None:
        value = number(session.needle_length_mm, "needle length")
        if not 0 < value <= 50:
            raise InvalidValue("needle length", value, "it must be above 0 and at most 50 mm")
    if session.points is not None:
        whole(session.points, "points", 1, 10000)
    if session.duration_min is not None:
        whole(session.duration_min, "duration", 1, 600)
    for problem in session.complications:
        choice(problem.severity, "severity", vocab.SEVERITIES)
    for name, value in session.measurements.items():
        if not _MEASURE_NAME.match(name):
            raise InvalidValue("measure", name, "names are lower-case letters, digits and '_'")
        number(value, f"measure {name}")


def amended(session: Session, new: Session, at: datetime, by: str, reason: str) -> Session:
    """``new`` with an amendment appended that lists every changed field (old -> new)."""
    if not reason.strip():
        raise InvalidValue("reason", reason, "say why the session is amended")
    changes = describe_changes(session, new)
    if not changes:
        raise InvalidValue("amendment", "", "nothing would change")
    note = Amendment(at=at, by=by, reason=reason.strip(), changes=tuple(changes))
    return replace(new, amendments=(*session.amendments, note))


def describe_changes(old: Session, new: Session) -> list[str]:
    changes = []
    for name in (
        "date",
        "practitioner",
        "course",
        "indication",
        "areas",
        "technique",
        "method",
        "depth_mm",
        "angle_deg",
        "needle_gauge",
        "needle_length_mm",
        "points",
        "consent",
        "photos",
        "anaesthetic",
        "duration_min",
        "notes",
        "status",
    ):
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            changes.append(f"{name}: {_show(before)} -> {_show(after)}")
    old_names = [substance_text(s) for s in old.substances]
    new_names = [substance_text(s) for s in new.substances]
    if old_names != new_names:
        changes.append(f"substances: {'; '.join(old_names)} -> {'; '.join(new_names)}")
    for item in new.complications[len(old.complications) :]:
        changes.append(f"complications: added {item.name} ({item.severity})")
    for before, after in zip(old.complications, new.complications, strict=False):
        if before != after:
            changes.append(
                f"complications: {complication_text(before)} -> {complication_text(after)}"
            )
    for key in sorted(set(old.measurements) | set(new.measurements)):
        if old.measurements.get(key) != new.measurements.get(key):
            changes.append(
                f"measurements.{key}: {_show(old.measurements.get(key))} -> {_show(new.measurements.get(key))}"
            )
    return changes


def _show(value: object) -> str:
    if value is None or value == "" or value == ():
        return "(none)"
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def substance_text(item: Substance) -> str:
    lot = f" lot {item.lot}" if item.lot else ""
    return f"{item.name} {item.amount:g}{item.unit}{lot}"


def complication_text(item: Complication) -> str:
    parts = [item.name, item.severity]
    if item.onset:
        parts.append(f"onset {item.onset.isoformat()}")
    if item.resolved:
        parts.append(f"resolved {item.resolved.isoformat()}")
    if item.outcome:
        parts.append(item.outcome)
    return " ".join(parts)
