"""Patient details and course plans, and their corrections: the chart-level trail.

Sessions carry their own amendments (``amendments``); what belongs to the chart as a whole (the
patient's name or phone, a course's plan or status) is corrected here, each change written as
``field: old -> new`` in a chart-level ``[[amendments]]`` entry (docs/design.md, the file format).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date, datetime

from mesolog.errors import AlreadyRecorded, InvalidValue, UnknownCourse
from mesolog.model import vocabulary as vocab

# The trail writes changes the way session amendments do ("(none)" for an empty value).
from mesolog.model.amendments import field_changes
from mesolog.model.records import Amendment, Chart, Course, Patient, Photo
from mesolog.model.values import choice, one_line

# What `patient new` and `patient edit` may set, in the order they are shown and compared.
PATIENT_FIELDS = ("name", "birth_year", "sex", "phone", "email", "note")
EARLIEST_BIRTH_YEAR = 1900


# --- single values ----------------------------------------------------------------------------


def birth_year(value: object, today: date) -> int:
    """A year from 1900 to this one, given as a number or typed ("1986": patient edit takes
    text)."""
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,4}", value.strip()):
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidValue("birth year", value, "use a year such as 1986")
    if not EARLIEST_BIRTH_YEAR <= value <= today.year:
        raise InvalidValue(
            "birth year", value, f"use a year from {EARLIEST_BIRTH_YEAR} to {today.year}"
        )
    return value


def email(text: str) -> str:
    """An address with something on each side of one ``@`` and no spaces (not more: the
    practitioner knows the address; this only catches a phone number typed in its place)."""
    value = text.strip()
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain or any(c.isspace() for c in value):
        raise InvalidValue("email", text, "an email address has the form name@example.org")
    return value


def phone(text: str) -> str:
    """Any way of writing a number (``+34 600 000 000``, ``(0)6 12 34``), as long as it has digits."""
    value = " ".join(text.split())
    if not any(c.isdigit() for c in value):
        raise InvalidValue("phone", text, 'a phone number has digits, e.g. "+34 600 000 000"')
    return value


def patient_details(given: Mapping[str, object], today: date) -> dict[str, object]:
    """What was typed for each patient field, checked. ``""`` clears a field (kept as None)."""
    out: dict[str, object] = {}
    for key, value in given.items():
        if key not in PATIENT_FIELDS:
            raise InvalidValue("patient field", key, "use one of " + ", ".join(PATIENT_FIELDS))
        if isinstance(value, str) and key != "note":  # the note alone may hold several lines
            one_line(value, key.replace("_", " "))
        if value is None or (isinstance(value, str) and not value.strip()):
            out[key] = None
        elif key == "birth_year":
            out[key] = birth_year(value, today)
        else:
            out[key] = _TEXT_DETAILS.get(key, str.strip)(str(value))
    return out


# How a typed detail is read; the others are kept as typed, without surrounding spaces.
_TEXT_DETAILS: dict[str, Callable[[str], str]] = {
    "sex": lambda text: choice(text, "sex", vocab.SEXES),
    "email": email,
    "phone": phone,
}


# The option of `course edit` that sets each course field a conflict can be on.
COURSE_OPTIONS = {
    "planned_sessions": "--sessions",
    "interval_days": "--interval",
    "indication": "--indication",
    "start": "--start",
}


def settle_command(patient_id: str, field: str) -> str | None:
    """The command that settles a conflict a merge left in the chart's own details, on
    ``field`` (``patient.name``, ``courses.hair-2026.planned_sessions``); None for a field
    that no command sets (it is corrected by hand). A session's is settled with `amend`."""
    place, _, name = field.rpartition(".")
    if place == "patient" and name in PATIENT_FIELDS:
        return f"mesolog patient edit {patient_id} --{name.replace('_', '-')} VALUE"
    if place.startswith("courses.") and name in COURSE_OPTIONS:
        course = place.removeprefix("courses.")
        return f"mesolog course edit {patient_id} {course} {COURSE_OPTIONS[name]} VALUE"
    return None


def validate_patient(patient: Patient, today: date) -> None:
    """A patient's details as they would be stored (the Python API's own check)."""
    patient_details({k: getattr(patient, k) for k in PATIENT_FIELDS}, today)


# --- corrections ------------------------------------------------------------------------------


def changed_patient(patient: Patient, details: Mapping[str, object]) -> tuple[Patient, list[str]]:
    """The patient with ``details`` (already checked) applied, and each change as old -> new."""
    new = replace(patient, **details)  # type: ignore[arg-type]
    return new, field_changes(patient, new, PATIENT_FIELDS, "patient.")


def find_course(chart: Chart, name: str) -> Course:
    """The course called ``name`` (ignoring case), or a refusal naming the ones there are."""
    found = chart.course(name)
    if found is None:
        known = ", ".join(c.name for c in chart.courses) or "none yet"
        raise UnknownCourse(
            f"patient {chart.patient.id} has no course {name!r} (courses: {known}; "
            "add one with `mesolog course add`); nothing changed."
        )
    return found


def changed_course(
    course: Course,
    planned_sessions: int | None = None,
    interval_days: int | None = None,
    indication: str | None = None,
    status: str | None = None,
    start: date | None = None,
) -> tuple[Course, list[str]]:
    """The course with the given parts replaced, and each change as old -> new."""
    parts = {
        "planned_sessions": planned_sessions,
        "interval_days": interval_days,
        "indication": indication,
        "status": status,
        "start": start,
    }
    given = {k: v for k, v in parts.items() if v is not None}
    new = replace(course, **given)  # type: ignore[arg-type]
    # The same bounds as a new course (make_course says what is allowed).
    from mesolog.model.validation import make_course  # only here: start-up of `patient new`

    make_course(new.name, new.planned_sessions, new.interval_days, new.start, new.indication)
    return new, field_changes(course, new, given, f"course {course.name}.")


def replanned(
    chart: Chart,
    course: Course,
    planned_sessions: int | None = None,
    interval_days: int | None = None,
    indication: str | None = None,
    start: date | None = None,
) -> tuple[Course, list[str]]:
    """:func:`changed_course` for ``course edit``; a plan of fewer sessions than the course has
    done already is refused (it would read "3 of 2 sessions done")."""
    if planned_sessions is not None:
        from mesolog.model.progress import course_sessions

        done = len(course_sessions(chart, course))
        if planned_sessions < done:
            raise InvalidValue(
                "planned sessions",
                planned_sessions,
                f"course {course.name} has {done} session{'s' if done != 1 else ''} done "
                f"already; plan at least {done}, or close the course with `mesolog course close`",
            )
    return changed_course(course, planned_sessions, interval_days, indication, start=start)


def closed_course(course: Course, status: str) -> tuple[Course, list[str]]:
    """The course marked completed or stopped; a closed course cannot be closed again."""
    status = choice(status, "--status", vocab.COURSE_STATUSES[1:])
    if course.closed:
        raise AlreadyRecorded(
            f"course {course.name!r} is closed already ({course.status}); nothing changed."
        )
    return changed_course(course, status=status)


def with_trail(
    chart: Chart, changes: list[str], at: datetime, by: str, reason: str | None
) -> Chart:
    """``chart`` with a chart-level amendment appended; refuses a change that changes nothing."""
    if not changes:
        raise AlreadyRecorded("the values given are the chart's already; nothing changed.")
    note = Amendment(
        at=at, by=by, reason=one_line(reason or "", "reason").strip(), changes=tuple(changes)
    )
    return replace(chart, amendments=(*chart.amendments, note))


# --- a new id ---------------------------------------------------------------------------------


def renamed(chart: Chart, new_id: str) -> tuple[Chart, list[str]]:
    """The chart under ``new_id``: its ``[patient] id`` and every photo kept in the patient's
    folder (``photos/OLD/...``, which moves with the chart) changed to match; the trail's
    words for it. A photo elsewhere in the data folder stays where it is (docs/rename.md)."""
    from mesolog.model.photos import folder

    old_folder, new_folder = folder(str(chart.patient.id)) + "/", folder(new_id) + "/"
    moved = 0

    def moved_photo(photo: Photo) -> Photo:
        nonlocal moved
        if not photo.file.startswith(old_folder):
            return photo
        moved += 1
        return replace(photo, file=new_folder + photo.file[len(old_folder) :])

    sessions = tuple(
        replace(s, photos=tuple(map(moved_photo, s.photos))) if s.photos else s
        for s in chart.sessions
    )
    lines = [f"patient.id: {chart.patient.id} -> {new_id}"]
    if moved:
        lines.append(
            f"photos: {old_folder[:-1]} -> {new_folder[:-1]} ({moved} photo{'s' * (moved > 1)})"
        )
    patient = replace(chart.patient, id=new_id)
    return replace(chart, patient=patient, sessions=sessions), lines
