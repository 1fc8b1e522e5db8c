"""Rules for whole records: what cannot be charted is refused; what deserves a second look is
returned as warnings (recorded all the same)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, NamedTuple

from mesolog.errors import InvalidValue
from mesolog.model import vocabulary as vocab
from mesolog.model.photos import photo_problems
from mesolog.model.records import PLAIN, Complication, Course, Session, Substance
from mesolog.model.values import (
    AMOUNT_RANGES,
    COURSE_INTERVAL_DAYS,
    COURSE_SESSIONS,
    EARLIEST_SESSION_DATE,
    MEASURE_NAME,
    choice,
    depth,
    number,
    number_text,
    one_line,
    photo,
    technique,
    whole,
)
from mesolog.model.zones import zone_value_problems

# --- whole records ----------------------------------------------------------------------------


class Remark(NamedTuple):
    """A warning, and the field whose answer caused it (a prompt shows it right after)."""

    field: str
    text: str


def course_warnings(course: Course) -> list[str]:
    plan = (
        (f"{course.planned_sessions} sessions", course.planned_sessions, COURSE_SESSIONS),
        (f"an interval of {course.interval_days} days", course.interval_days, COURSE_INTERVAL_DAYS),
    )
    return [
        f"course {course.name!r}: {what} is outside the usual {low}-{high}."
        for what, value, (low, high) in plan
        if not low <= value <= high
    ]


def make_course(
    name: str | None,
    planned_sessions: int,
    interval_days: int,
    start: date,
    indication_name: str | None = None,
) -> Course:
    whole(planned_sessions, "planned sessions", 1, 100)
    whole(interval_days, "interval days", 1, 365)
    for text, field_name in ((name, "course name"), (indication_name, "indication")):
        if text:
            one_line(text, field_name)
    if not name:
        slug = re.sub(r"[^a-z0-9]+", "-", (indication_name or "course").lower()).strip("-")
        name = f"{slug}-{start.year}"
    return Course(name.strip(), planned_sessions, interval_days, start, indication_name)


def session_remarks(session: Session) -> list[Remark]:
    """(field, warning) for the facts worth a second look; the session is recorded all the same.
    The field says which answer caused it, so a prompt can show it right after that answer."""
    return draft_remarks(vars(session))


def draft_remarks(values: Mapping[str, Any]) -> list[Remark]:
    """:func:`session_remarks` of what is known so far, by Session field (a prompt between
    answers): a warning about a field not answered yet is not given."""
    day, depth_mm = values["date"], values.get("depth_mm")
    notes = []
    for item in values.get("substances", ()):
        if item.expiry and item.expiry < day:
            expired = (
                f"{item.name}{f' lot {item.lot}' if item.lot else ''} expired on "
                f"{item.expiry.isoformat()}, "
                f"before the session date {day.isoformat()}."
            )
            notes.append(Remark("substance", expired))
        if not item.lot:
            text = f"{item.name} has no lot number: a recall could not find this session."
            notes.append(Remark("lot", text))
    method, indication = values.get("method"), values.get("indication")
    unusual = vocab.depth_remark(depth_mm, method, indication) if depth_mm is not None else None
    if unusual:
        notes.append(Remark("depth", unusual))
    return notes


# Where a problem is, from the session down: ("depth_mm",), ("complications", 0, "resolved"),
# ("measurements", "Bad"). `check` turns it into the line of that field.
Field = tuple[str | int, ...]


class Problem(NamedTuple):
    """One value the session cannot be charted with, and the field it concerns."""

    field: Field
    error: InvalidValue

    @property
    def message(self) -> str:
        return self.error.message


def complication_problems(
    problem: Complication, session_date: date, today: date
) -> list[tuple[str, date, str]]:
    """Onset on or after the session, resolved on or after the onset, neither in the future:
    the name of each date that breaks it ("onset", "resolved") with why."""
    found: list[tuple[str, date, str]] = []
    for name, value in (("onset", problem.onset), ("resolved", problem.resolved)):
        if value is None:
            continue
        if value > today:
            found.append((name, value, f"it is in the future (today is {today})"))
        elif value < session_date:
            why = f"it is before the session date {session_date.isoformat()}"
            found.append((name, value, why))
    if problem.onset and problem.resolved and problem.resolved < problem.onset:
        why = f"it is before the onset {problem.onset.isoformat()}"
        found.append(("resolved", problem.resolved, why))
    return found


def amount_problem(item: Substance) -> InvalidValue | None:
    """A dose of one product is plausible within its unit's range (values.AMOUNT_RANGES;
    outside it is a typing slip, e.g. 1e-320 or 20 digits). A unit not in the table is its own
    problem (session_problems says so); its amount need only be positive."""
    low, high = AMOUNT_RANGES.get(item.unit, (math.ulp(0.0), math.inf))
    if math.isfinite(item.amount) and low <= item.amount <= high:
        return None
    typed = f"{number_text(item.amount)}{item.unit}"
    allowed = f"it must be positive, from {number_text(low)} to {number_text(high)} {item.unit}"
    return InvalidValue("amount", typed, allowed)


def _one_line_problems(session: Session, check: Callable[..., None]) -> None:
    """Every text of a session but its notes is one line (``values.one_line``), however the
    session came: typed, scripted through the Python API, or restored from a JSON export."""
    texts = (
        "practitioner",
        "indication",
        "course",
        "anaesthetic",
        *(e.name for e in PLAIN if e.text),
    )
    for name in texts:
        value = getattr(session, name)
        if isinstance(value, str):
            check((name,), one_line, value, name)
    for index, area in enumerate(session.areas):
        check(("areas", index), one_line, area, "area")
    for index, item in enumerate(session.substances):
        check(("substances", index, "name"), one_line, item.name, "substance")
        if item.lot:
            check(("substances", index, "lot"), one_line, item.lot, "lot")
    for index, problem in enumerate(session.complications):
        check(("complications", index, "name"), one_line, problem.name, "complication")


class _Found(list[Problem]):
    """The problems of one session as they are found: a rule that refuses, or a refusal."""

    def check(self, field: Field, rule: Callable[..., object], *values: object) -> None:
        try:
            rule(*values)
        except InvalidValue as error:
            self.append(Problem(field, error))

    def refuse(self, field: Field, name: str, value: object, allowed: str) -> None:
        self.append(Problem(field, InvalidValue(name, value, allowed)))


def session_problems(session: Session, today: date | None = None) -> list[Problem]:
    """Every value that cannot be charted, each with its field, in the order of the session."""
    today = today or date.today()
    found = _Found()
    _protocol_problems(session, today, found)
    _item_problems(session, found)
    _outcome_problems(session, today, found)
    return list(found)


def _protocol_problems(session: Session, today: date, found: _Found) -> None:
    """The date, the one-line texts, and what every session must hold."""
    if session.date > today:
        found.refuse(("date",), "date", session.date.isoformat(), "it is in the future")
    if session.date < EARLIEST_SESSION_DATE:
        allowed = f"it is before {EARLIEST_SESSION_DATE.year}"
        found.refuse(("date",), "date", session.date.isoformat(), allowed)
    _one_line_problems(session, found.check)
    if not session.areas:
        found.refuse(("areas",), "area", "", "at least one area is required")
    if not session.substances:
        found.refuse(("substances",), "substance", "", "at least one substance is required")
    found.check(("technique",), technique, session.technique)
    found.check(("depth_mm",), depth, session.depth_mm)
    if not session.anaesthetic.strip():
        allowed = "write 'none' or what was used"
        found.refuse(("anaesthetic",), "anaesthetic", session.anaesthetic, allowed)


def _item_problems(session: Session, found: _Found) -> None:
    """Substances, the one-value fields, zones and photos, each at its place."""
    for index, item in enumerate(session.substances):
        wrong = amount_problem(item)
        if wrong is not None:
            found.append(Problem(("substances", index, "amount"), wrong))
        if item.unit not in vocab.UNITS:
            allowed = "use one of " + ", ".join(vocab.UNITS)
            found.refuse(("substances", index, "unit"), "unit", item.unit, allowed)
    for entry in PLAIN:  # method, needle_gauge...: each by its parser in the table
        value = getattr(session, entry.name)
        if value is not None:
            found.check((entry.name,), entry.parsed, value)
    for index, place in enumerate(session.zones):
        for name, why in zone_value_problems(place, session.areas):
            found.refuse(("zones", index, name), f"zone {name}", getattr(place, name), why)
    for index, picture in enumerate(session.photos):
        where: Field = ("photos", index, "file") if not picture.bare else ("photos",)
        found.check(where, photo, picture.file)
        for name, why in photo_problems(picture):
            found.refuse(("photos", index, name), f"photo {name}", getattr(picture, name), why)


def _outcome_problems(session: Session, today: date, found: _Found) -> None:
    """Complications and measurements."""
    for index, problem in enumerate(session.complications):
        here: Field = ("complications", index)
        if problem.severity is not None:  # absent: not recorded, which is allowed
            found.check((*here, "severity"), choice, problem.severity, "severity", vocab.SEVERITIES)
        for name, day, why in complication_problems(problem, session.date, today):
            found.refuse((*here, name), f"{problem.name} {name}", day.isoformat(), why)
    for name, measured in session.measurements.items():
        if not MEASURE_NAME.match(name):
            allowed = "names are lower-case letters, digits and '_'"
            found.refuse(("measurements", name), "measure", name, allowed)
        found.check(("measurements", name), number, measured, f"measure {name}")


def validate_session(session: Session, today: date | None = None) -> None:
    """Refuse what cannot be charted; the same rules whether it came from a prompt or a file.
    The first problem is the one said (``check`` lists them all: :func:`session_problems`)."""
    problems = session_problems(session, today)
    if problems:
        raise problems[0].error
