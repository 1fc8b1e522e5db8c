"""A patient's chart as plain data: patient, courses, sessions and what they hold."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial

from mesolog.model import scalars
from mesolog.model import vocabulary as vocab
from mesolog.model.fields import Entry, as_typed, declared, entries
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
    # The key its export ids derive from (model.itemkeys), written by the first correction of
    # the session's products so that no later correction moves it; None: its place by name.
    # Not part of what was given: two entries alike but for it are the same product.
    export_key: str | None = field(default=None, compare=False)


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
class Photo:
    """A picture kept with the chart: its file (relative to the data folder), which view and
    stage it shows, its size in pixels, the day the camera took it and the SHA-256 of the
    stored file (see docs/photos.md). A chart written before ``photo add`` holds bare paths:
    those read as a Photo with the file alone."""

    file: str
    view: str | None = None
    stage: str | None = None
    width: int | None = None
    height: int | None = None
    taken: date | None = None
    sha256: str | None = None

    def __str__(self) -> str:  # the trail and the report name a photo by its file
        return self.file

    @property
    def bare(self) -> bool:
        """A path and nothing else (``--photo PATH``, or a chart from before ``photo add``)."""
        return self == Photo(self.file)


@dataclass(frozen=True)
class Zone:
    """Where in an area a session went: a named zone of the catalogue (``model.zones``), with
    its injection points and amount in ml when given. Area and zone are kept as typed."""

    area: str
    zone: str
    points: int | None = None
    amount: float | None = None

    def __str__(self) -> str:  # the trail's and the report's words: "scalp/vertex 40 pts 1.5 ml"
        parts = [f"{self.area}/{self.zone}"]
        if self.points is not None:
            parts.append(f"{self.points} pts")
        if self.amount is not None:  # every digit, no trailing ".0" (as values.number_text)
            parts.append(f"{repr(float(self.amount)).removesuffix('.0')} ml")
        return " ".join(parts)


@dataclass(frozen=True)
class Session:
    """One treatment session, as charted; the table of its fields (model.fields): each field's
    option, parser and prompt are declared here, once."""

    id: int
    date: date = field(metadata=declared(
        "--date", "DATE",
        "When it was done: YYYY-MM-DD, today, yesterday, -3d. Example: --date yesterday",
    ))  # fmt: skip
    recorded: datetime
    areas: tuple[str, ...] = field(metadata=declared(
        "--area", "AREA", "Area treated, comma-separated or repeated. Example: --area scalp",
        short="-a", prompt="Areas treated (comma-separated)",
    ))  # fmt: skip
    technique: str = field(metadata=declared(
        "--technique", "TECHNIQUE", "gun or hand. Example: --technique gun",
        prompt="Technique [gun/hand]", fhir="technique",
    ))  # fmt: skip
    depth_mm: float = field(metadata=declared(
        "--depth", "MM", "Needle depth in mm (0.1-13; 1-4 is dermal). Example: --depth 1.5",
        prompt="Needle depth in mm", unit="mm", fhir="depth",
    ))  # fmt: skip
    anaesthetic: str = field(metadata=declared(
        "--anaesthetic", "WHAT", '"none" or what was used. Example: --anaesthetic "topical cream"',
        prompt="Anaesthetic ('none' or what was used)", fhir="anaesthetic",
    ))  # fmt: skip
    substances: tuple[Substance, ...] = field(metadata=declared(
        "--substance", "SUBSTANCE",
        'NAME:AMOUNT[:LOT x][:EXP date]; repeat. Example: -s "hyaluronic acid:2ml:LOT A17"',
        short="-s", prompt="Substances as NAME:AMOUNT[:LOT x][:EXP date], ';' between several",
    ))  # fmt: skip
    practitioner: str = field(default="", metadata=declared(
        "--practitioner", "NAME",
        'Who did it (default from config). Example: --practitioner "Dr. L. Moreau"',
    ))  # fmt: skip
    course: str | None = field(default=None, metadata=declared(
        "--course", "COURSE",
        "The course it belongs to (add: default the current one). Example: --course hair-2026",
    ))  # fmt: skip
    indication: str | None = field(default=None, metadata=declared(
        "--indication", "INDICATION", 'What it treats. Example: --indication "hair loss"',
    ))  # fmt: skip
    method: str | None = field(default=None, metadata=declared(
        "--method", "METHOD",
        "nappage, papule, point-by-point, linear, depot, ... Example: --method nappage",
        parse=partial(scalars.choice, field_name="method", allowed=vocab.METHODS),
        prompt="Method (nappage, papule, point-by-point...)", fhir="method",
    ))  # fmt: skip
    angle_deg: int | None = field(default=None, metadata=declared(
        "--angle", "DEGREES", "Needle angle in degrees (0-90). Example: --angle 45",
        parse=partial(scalars.whole, field_name="angle", low=0, high=90),
        prompt="Needle angle in degrees", unit="deg", fhir="needle angle",
    ))  # fmt: skip
    needle_gauge: int | None = field(default=None, metadata=declared(
        "--gauge", "GAUGE", "Needle gauge (27-34). Example: --gauge 30",
        parse=partial(scalars.whole, field_name="needle gauge", low=27, high=34),
        prompt="Needle gauge", fhir="needle gauge",
    ))  # fmt: skip
    needle_length_mm: float | None = field(default=None, metadata=declared(
        "--needle-length", "MM", "Needle length in mm. Example: --needle-length 4",
        parse=scalars.needle_length, prompt="Needle length in mm", unit="mm",
        fhir="needle length",
    ))  # fmt: skip
    points: int | None = field(default=None, metadata=declared(
        "--points", "N", "Number of injection points. Example: --points 40",
        parse=partial(scalars.whole, field_name="points", low=1, high=10000),
        prompt="Injection points", fhir="injection points",
    ))  # fmt: skip
    # The injection map (model.zones): checked against the areas by drafting's own rule.
    zones: tuple[Zone, ...] = field(default=(), metadata=declared(
        "--zone", "AREA/ZONE",
        'AREA/ZONE[:POINTS][:AMOUNT]: where in an area, with its points and ml; repeat. Example: --zone scalp/vertex:40:1.5 --zone "face/cheek left:12:0.5"',
        prompt="Zones as AREA/ZONE[:POINTS][:AMOUNT], ';' between several",
    ))  # fmt: skip
    consent: str | None = field(default=None, metadata=declared(
        "--consent", "TEXT",
        'Reference to the signed consent. Example: --consent "form 2026-11-02"', parse=as_typed,
        fhir="consent",
    ))  # fmt: skip
    # Kept by `photo add` (docs/photos.md); --photo names a file already in the data folder.
    photos: tuple[Photo, ...] = field(default=(), metadata=declared(
        "--photo", "FILE",
        "Photo path relative to the data folder; repeat (`mesolog photo add` copies one in). Example: --photo photos/P-0042/before.jpg",
    ))  # fmt: skip
    duration_min: int | None = field(default=None, metadata=declared(
        "--duration", "MINUTES", "Minutes. Example: --duration 25",
        parse=partial(scalars.whole, field_name="duration", low=1, high=600),
        prompt="Duration in minutes", unit="min", fhir="duration",
    ))  # fmt: skip
    notes: str = field(default="", metadata=declared(
        "--note", "TEXT", 'Free notes. Example: --note "tolerated well"'
    ))  # fmt: skip
    status: str = "active"
    complications: tuple[Complication, ...] = ()
    measurements: dict[str, float] = field(default_factory=dict, metadata=declared(
        "--measure", "NAME=NUMBER",
        "NAME=NUMBER, unit in the name; repeat. Example: --measure waist_cm=82.5",
    ))  # fmt: skip
    amendments: tuple[Amendment, ...] = ()
    source: str | None = None  # imported sessions: "visits.csv#row=17"
    conflicts: tuple[Conflict, ...] = ()
    # Stable identity across machines (schema 2); made when the session is first built.
    uid: str = field(default_factory=new_uid)

    @property
    def voided(self) -> bool:
        return self.status == "voided"


# The table of a session's fields (model.fields), in the record's order; PLAIN: those whose
# parser in the table is their whole rule (method, needle_gauge, consent...).
TABLE = entries(Session)
PLAIN: tuple[Entry, ...] = tuple(e for e in TABLE if e.spec.parse is not None)


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
