"""A patient's chart as plain data: patient, courses, sessions and what they hold."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from mesolog.model import vocabulary as vocab
from mesolog.model.identity import new_uid

SCHEMA = 2


@dataclass(frozen=True)
class Substance:
    """A product given: name as typed, amount and unit, lot and expiry."""

    name: str
    amount: float
    unit: str
    category: str = vocab.UNCATALOGUED
    concentration: str | None = None
    lot: str | None = None
    expiry: date | None = None


@dataclass(frozen=True)
class Complication:
    """Something that happened after a session: severity, onset, resolution, outcome.

    A severity not given stays None ("severity not recorded"): a grade nobody gave is never
    filled in."""

    name: str
    severity: str | None = None
    onset: date | None = None
    resolved: date | None = None
    outcome: str | None = None
    reported_by: str | None = None


@dataclass(frozen=True)
class Amendment:
    """One correction: when, who, why, and each change as 'field: old -> new'."""

    at: datetime
    by: str
    reason: str
    changes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Conflict:
    """One field changed two ways on two machines: both values kept until an amend settles it.

    ``kept`` is the value the session holds meanwhile; both are written as TOML values."""

    field: str
    kept: str
    other: str


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
    source: str | None = None  # imported sessions: "visits.csv#row=17"
    conflicts: tuple[Conflict, ...] = ()
    # Stable identity across machines (schema 2); made when the session is first built.
    uid: str = field(default_factory=new_uid)

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
    status: str = "active"  # active | completed | stopped; a closed course leaves `due`

    @property
    def closed(self) -> bool:
        return self.status != "active"

    def named(self, name: str | None) -> bool:
        """True when ``name`` (a session's ``course``, a typed name) names this course: course
        names are matched ignoring case, everywhere."""
        return name is not None and name.lower() == self.name.lower()


@dataclass(frozen=True)
class Patient:
    """Who the chart is for; every field but id and created is optional."""

    id: str
    created: datetime
    name: str | None = None
    birth_year: int | None = None
    sex: str | None = None
    note: str | None = None
    phone: str | None = None  # recall needs a way to reach the patient
    email: str | None = None
    # The key FHIR ids of this patient derive from (docs/exports.md): kept in the chart only
    # when a JSON export was restored; otherwise derived from the clinic's secret.
    uid: str | None = None


@dataclass(frozen=True)
class Chart:
    """Everything recorded for one patient."""

    patient: Patient
    courses: tuple[Course, ...] = ()
    sessions: tuple[Session, ...] = ()
    schema: int = SCHEMA
    # The chart-level trail: patient details and courses changed (sessions carry their own).
    amendments: tuple[Amendment, ...] = ()

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
        return next((c for c in self.courses if c.named(name)), None)

    def next_session_id(self) -> int:
        # Numbers are never reused: voided sessions keep theirs.
        return max((s.id for s in self.sessions), default=0) + 1
