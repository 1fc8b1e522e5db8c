"""Rules for whole records: what cannot be charted is refused; what deserves a second look is
returned as warnings (recorded all the same)."""

from __future__ import annotations

import math
import re
from datetime import date

from mesolog.errors import InvalidValue
from mesolog.model import vocabulary as vocab
from mesolog.model.records import Complication, Course, Session
from mesolog.model.values import (
    _MEASURE_NAME,
    AMOUNT_RANGE,
    COURSE_INTERVAL_DAYS,
    COURSE_SESSIONS,
    METHOD_DEPTH_MM,
    choice,
    depth,
    number,
    technique,
    whole,
)

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


def session_remarks(session: Session) -> list[tuple[str, str]]:
    """(field, warning) for the facts worth a second look; the session is recorded all the same.
    The field says which answer caused it, so a prompt can show it right after that answer."""
    notes = []
    for item in session.substances:
        if item.expiry and item.expiry < session.date:
            notes.append(
                (
                    "substance",
                    f"{item.name} lot {item.lot or '?'} expired on {item.expiry.isoformat()}, "
                    f"before the session date {session.date.isoformat()}.",
                )
            )
        if not item.lot:
            notes.append(
                ("lot", f"{item.name} has no lot number: a recall could not find this session.")
            )
    usual = METHOD_DEPTH_MM.get(session.method or "")
    if usual and not usual[0] <= session.depth_mm <= usual[1]:
        notes.append(
            (
                "depth",
                f"depth {session.depth_mm:g} mm is unusual for {session.method} "
                f"(usually {usual[0]:g}-{usual[1]:g} mm).",
            )
        )
    return notes


def session_warnings(session: Session) -> list[str]:
    """Facts worth a second look; the session is recorded all the same."""
    return [text for _, text in session_remarks(session)]


def check_complication_dates(problem: Complication, session_date: date, today: date) -> None:
    """Onset on or after the session, resolved on or after the onset, neither in the future."""
    for name, value in (("onset", problem.onset), ("resolved", problem.resolved)):
        if value is None:
            continue
        if value > today:
            raise InvalidValue(
                f"{problem.name} {name}",
                value.isoformat(),
                f"it is in the future (today is {today})",
            )
        if value < session_date:
            raise InvalidValue(
                f"{problem.name} {name}",
                value.isoformat(),
                f"it is before the session date {session_date.isoformat()}",
            )
    if problem.onset and problem.resolved and problem.resolved < problem.onset:
        raise InvalidValue(
            f"{problem.name} resolved",
            problem.resolved.isoformat(),
            f"it is before the onset {problem.onset.isoformat()}",
        )


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
        low, high = AMOUNT_RANGE
        if not math.isfinite(item.amount) or not low <= item.amount <= high:
            raise InvalidValue(
                "amount", item.amount, f"the amount must be positive, from {low:g} to {high:g}"
            )
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
        check_complication_dates(problem, session.date, today)
    for name, value in session.measurements.items():
        if not _MEASURE_NAME.match(name):
            raise InvalidValue("measure", name, "names are lower-case letters, digits and '_'")
        number(value, f"measure {name}")
