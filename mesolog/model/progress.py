"""Progress maths over a chart: intervals, sessions left, next due date, measurement change.

Pure functions of a :class:`~mesolog.model.Chart` and today's date; voided sessions never count.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, NamedTuple

from mesolog.model import vocabulary as vocab
from mesolog.model.values import lot_key

if TYPE_CHECKING:
    from mesolog.model.records import Chart, Course, Session, Substance


class CourseProgress(NamedTuple):
    """Where a course stands: sessions done, the last one, the next due date."""

    course: Course
    done: int
    last: date | None
    next_due: date | None  # None once the course is complete

    @property
    def remaining(self) -> int:
        return max(self.course.planned_sessions - self.done, 0)

    @property
    def complete(self) -> bool:
        return self.done >= self.course.planned_sessions

    def days_late(self, today: date) -> int:
        """Days past the due date (0 when not yet due or complete)."""
        return days_late(self.next_due, today)


def days_late(due: date | None, today: date) -> int:
    return max((today - due).days, 0) if due else 0


def chronological(sessions: Iterable[Session]) -> list[Session]:
    """Sessions in the order they were done (by date, then number)."""
    return sorted(sessions, key=lambda s: (s.date, s.id))


class MeasurementTrend(NamedTuple):
    """One measure's values over the sessions, in date order."""

    name: str
    values: tuple[tuple[date, float], ...]

    @property
    def first(self) -> float:
        return self.values[0][1]

    @property
    def latest(self) -> float:
        return self.values[-1][1]

    @property
    def change(self) -> float:
        return self.latest - self.first

    @property
    def percent(self) -> float | None:
        return None if self.first == 0 else 100.0 * self.change / abs(self.first)


@dataclass(frozen=True)
class LotUse:
    """One product lot as used in a chart: which sessions, first and last date."""

    substance: str
    lot: str | None
    expiry: date | None
    sessions: tuple[int, ...]
    first: date
    last: date


def in_window(
    sessions: tuple[Session, ...],
    since: date | None = None,
    until: date | None = None,
    last: int | None = None,
) -> tuple[Session, ...]:
    """Sessions by date within [since, until], then only the last N of those.

    The last N counts sessions that were done (active): "what did I do last time" is never
    answered by a voided entry. Voided sessions between the first and the last of those N
    stay in the window, marked voided; those after the last active one are left out."""
    chosen = [
        s
        for s in chronological(sessions)
        if (since is None or s.date >= since) and (until is None or s.date <= until)
    ]
    if last is not None:
        done = [n for n, s in enumerate(chosen) if not s.voided]
        kept = done[-last:] if last > 0 else []
        chosen = chosen[kept[0] : kept[-1] + 1] if kept else []
    return tuple(chosen)


def days_between(sessions: tuple[Session, ...]) -> dict[int, int | None]:
    """For each session id, days since the previous active session (None for the first)."""
    out: dict[int, int | None] = {}
    previous: date | None = None
    for item in chronological(sessions):
        if item.voided:
            out[item.id] = None
            continue
        out[item.id] = (item.date - previous).days if previous else None
        previous = item.date
    return out


def current_course(chart: Chart) -> Course | None:
    """The course the patient is in now: the latest started one that is not closed (a
    completed or stopped course leaves `due` and is no longer the default course of `add`)."""
    return max((c for c in chart.courses if not c.closed), key=lambda c: c.start, default=None)


def last_closed_course(chart: Chart) -> Course | None:
    """The latest started closed course, shown when no course is active."""
    return max((c for c in chart.courses if c.closed), key=lambda c: c.start, default=None)


def course_sessions(chart: Chart, course: Course) -> list[Session]:
    """The active sessions recorded in ``course`` (the sessions it has done)."""
    return [s for s in chart.active_sessions if course.named(s.course)]


def course_progress(chart: Chart, course: Course) -> CourseProgress:
    mine = course_sessions(chart, course)
    last = max((s.date for s in mine), default=None)
    if len(mine) >= course.planned_sessions or course.closed:
        due = None
    elif last is None:
        due = course.start
    else:
        try:
            due = last + timedelta(days=course.interval_days)
        except OverflowError:
            # A date a hand edit put near the year 9999: that chart's problem, said in one
            # sentence, never a crash of the command (or of every clinic-wide command).
            from mesolog.errors import ImpossibleDate

            raise ImpossibleDate(
                f"course {course.name}: the next session would fall after the year 9999 "
                f"(last session {last.isoformat()} + {course.interval_days} days); "
                "correct the dates in the chart."
            ) from None
    return CourseProgress(course, len(mine), last, due)


def next_due(chart: Chart) -> CourseProgress | None:
    """Progress of the current course, which says when the next session is due."""
    course = current_course(chart)
    return course_progress(chart, course) if course else None


def measurement_trends(sessions: tuple[Session, ...]) -> list[MeasurementTrend]:
    """Each measurement's values in date order, first to latest, voided sessions left out."""
    series: dict[str, list[tuple[date, float]]] = {}
    for item in chronological(s for s in sessions if not s.voided):
        for name, value in item.measurements.items():
            series.setdefault(name, []).append((item.date, value))
    return [MeasurementTrend(name, tuple(values)) for name, values in series.items()]


def complication_tally(sessions: tuple[Session, ...]) -> Counter[str]:
    """In how many sessions each complication happened, by meaning ("haematoma" counts as
    "bruising"): a session with two bruises (two sites, or one kept by each laptop of a merge)
    counts once, as the report's "Sessions" column says."""
    return Counter(
        meaning
        for s in sessions
        if not s.voided
        for meaning in dict.fromkeys(vocab.meaning("complication", c.name) for c in s.complications)
    )


def lots_used(sessions: tuple[Session, ...]) -> list[LotUse]:
    """Each product and lot, with the sessions that used it, in order of first use. A product
    is matched by meaning ("DCA" and "deoxycholate" of one lot are one row, named as first
    typed), a lot ignoring case and spaces."""
    uses: dict[tuple[str, str, str | None], list[Session]] = {}
    expiry: dict[tuple[str, str, str | None], date | None] = {}
    shown: dict[tuple[str, str, str | None], tuple[str, str | None]] = {}
    for item in chronological(s for s in sessions if not s.voided):
        for given in item.substances:
            lot = lot_key(given.lot) if given.lot else None
            strength = vocab.concentration_of(given.name) or ""
            key = (vocab.substance_meaning(given.name), strength, lot)
            shown.setdefault(key, (given.name, given.lot))
            used = uses.setdefault(key, [])
            if not used or used[-1] is not item:
                used.append(item)
            expiry[key] = expiry.get(key) or given.expiry
    return [
        LotUse(*shown[key], expiry[key], tuple(s.id for s in used), used[0].date, used[-1].date)
        for key, used in uses.items()
    ]


# What the report, its Markdown and the printed summary say when limited_evidence() holds.
LIMITED_EVIDENCE = (
    "Limited evidence: only finasteride and minoxidil have shown evidence for hair loss, "
    "and this course uses neither."
)


def limited_evidence(chart: Chart) -> bool:
    """A hair-loss treatment that used neither finasteride nor minoxidil.

    The source says only those two have shown evidence for hair loss: a fact for the
    practitioner to weigh, never a refusal.
    """
    hair = [s for s in chart.active_sessions if _treats_hair_loss(chart, s)]
    return bool(hair) and not any(_has_evidence(g.name) for s in hair for g in s.substances)


def _treats_hair_loss(chart: Chart, session: Session) -> bool:
    """The session's indication, or its course's, means hair loss."""
    course = chart.course(session.course) if session.course else None
    said = (session.indication, course.indication if course else None)
    return any(vocab.meaning("indication", text or "") == vocab.HAIR_LOSS for text in said)


def _has_evidence(substance_name: str) -> bool:
    return vocab.substance_base(substance_name) in vocab.HAIR_LOSS_EVIDENCE or any(
        word in vocab.normalize(substance_name) for word in vocab.HAIR_LOSS_EVIDENCE
    )


def _given(chart: Chart, substance_name: str, lot: str | None = None) -> Iterator[Substance]:
    """Each time this substance (by meaning) was given, of this ``lot`` (ignoring case and
    spaces) when one is named, newest first."""
    key = vocab.substance_meaning(substance_name)
    wanted = None if lot is None else lot_key(lot)
    for item in reversed(chronological(chart.active_sessions)):
        for given in item.substances:
            if vocab.substance_meaning(given.name) == key and (
                wanted is None or (given.lot and lot_key(given.lot) == wanted)
            ):
                yield given


def last_lot(chart: Chart, substance_name: str) -> str | None:
    """The lot used most recently for this substance, to offer at the prompt."""
    return next((given.lot for given in _given(chart, substance_name) if given.lot), None)


def lot_known(chart: Chart, substance_name: str, lot: str) -> bool:
    """Whether this patient received this lot of this product before."""
    return next(_given(chart, substance_name, lot), None) is not None


def known_expiry(chart: Chart, substance_name: str, lot: str) -> date | None:
    """The expiry recorded with this lot of this substance before (an expiry belongs to the
    lot, so it is not typed again), or None."""
    return next((g.expiry for g in _given(chart, substance_name, lot) if g.expiry), None)


def indication_of(chart: Chart) -> str | None:
    course = current_course(chart)
    if course and course.indication:
        return course.indication
    last = chart.last_session
    return last.indication if last else None


@dataclass(frozen=True)
class OpenCourse:
    """What the summary keeps of one open course: what a row of `due` says of it."""

    name: str
    indication: str | None
    done: int
    planned: int
    next_due: date | None  # course_progress's date, as `patient show` and `report ID` give it


@dataclass(frozen=True)
class PatientSummary:
    """What the clinic-wide views need of one chart (and what the summary cache keeps)."""

    patient_id: str
    name: str | None
    indication: str | None
    sessions: int
    course: str | None
    done: int | None
    planned: int | None
    last_session: date | None
    next_due: date | None
    latest_complications: tuple[str, ...]
    # Contacts and note, for `patient list --search` and the recall list of `lot`.
    phone: str | None = None
    email: str | None = None
    note: str | None = None
    course_status: str | None = None  # of the course shown: active, completed or stopped
    # Every open course, oldest start first: `due` lists each one due (docs/manual.md).
    open_courses: tuple[OpenCourse, ...] = ()

    def days_late(self, today: date) -> int:
        return days_late(self.next_due, today)


def summarize(chart: Chart) -> PatientSummary:
    progress = next_due(chart)
    if progress is None and (closed := last_closed_course(chart)) is not None:
        progress = course_progress(chart, closed)
    last = chart.last_session
    return PatientSummary(
        patient_id=chart.patient.id,
        name=chart.patient.name,
        indication=indication_of(chart),
        sessions=len(chart.active_sessions),
        course=progress.course.name if progress else None,
        done=progress.done if progress else None,
        planned=progress.course.planned_sessions if progress else None,
        last_session=last.date if last else None,
        next_due=progress.next_due if progress else None,
        latest_complications=tuple(c.name for c in last.complications) if last else (),
        phone=chart.patient.phone,
        email=chart.patient.email,
        note=chart.patient.note,
        course_status=progress.course.status if progress else None,
        open_courses=open_courses(chart, progress),
    )


def open_courses(chart: Chart, current: CourseProgress | None) -> tuple[OpenCourse, ...]:
    """Each open course with its next date, by course_progress (the rule of `patient show`);
    ``current`` is the current course's, already worked out by the caller."""
    ordered = sorted((c for c in chart.courses if not c.closed), key=lambda c: c.start)
    return tuple(_open_course(chart, course, current) for course in ordered)


def _open_course(chart: Chart, course: Course, current: CourseProgress | None) -> OpenCourse:
    # The current course's indication is the patient's (indication_of); another's is its own.
    if current is not None and course is current.course:
        state, indication = current, indication_of(chart)
    else:
        state, indication = course_progress(chart, course), course.indication
    return OpenCourse(course.name, indication, state.done, course.planned_sessions, state.next_due)


def course_rows(summary: PatientSummary) -> list[PatientSummary]:
    """The summary as `due` lists it: one row per open course, each naming its course (a
    patient in two courses can be due in both), or the summary itself when none is open."""
    return [
        replace(
            summary,
            course=c.name,
            indication=c.indication,
            done=c.done,
            planned=c.planned,
            next_due=c.next_due,
            course_status="active",
        )
        for c in summary.open_courses
    ] or [summary]


def overview_order(summaries: list[PatientSummary], today: date) -> list[PatientSummary]:
    """Overdue first (most late first), then by due date, then those with nothing due."""
    return sorted(
        summaries,
        key=lambda s: (
            0 if s.next_due and s.next_due < today else 1 if s.next_due else 2,
            s.next_due or date.max,
            s.patient_id.lower(),
        ),
    )
