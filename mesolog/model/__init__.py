"""The model layer: plain data and pure functions, no I/O, no terminal.

``records`` the chart's dataclasses; ``values`` what a practitioner types, parsed; ``validation``
the rules for whole records; ``amendments`` the trail; ``vocabulary`` the domain's words;
``progress`` one patient's progress maths; ``questions`` questions across patients.
"""

from mesolog.model.amendments import (
    amended,
    complication_text,
    describe_changes,
    substance_text,
)
from mesolog.model.corrections import without_complications
from mesolog.model.records import (
    SCHEMA,
    Amendment,
    Chart,
    Complication,
    Conflict,
    Course,
    Patient,
    Session,
    Substance,
)
from mesolog.model.validation import (
    course_warnings,
    make_course,
    session_problems,
    session_warnings,
    validate_session,
)
from mesolog.model.values import (
    COURSE_INTERVAL_DAYS,
    COURSE_SESSIONS,
    DERMAL_DEPTH_MM,
    MAX_DEPTH_MM,
    amount,
    area,
    check_patient_id,
    choice,
    complication,
    depth,
    indication,
    measurement,
    now,
    number,
    number_text,
    parse_date,
    past_date,
    substance,
    technique,
    whole,
)

__all__ = [
    "COURSE_INTERVAL_DAYS",
    "COURSE_SESSIONS",
    "DERMAL_DEPTH_MM",
    "MAX_DEPTH_MM",
    "SCHEMA",
    "Amendment",
    "Chart",
    "Complication",
    "Conflict",
    "Course",
    "Patient",
    "Session",
    "Substance",
    "amended",
    "amount",
    "area",
    "check_patient_id",
    "choice",
    "complication",
    "complication_text",
    "course_warnings",
    "depth",
    "describe_changes",
    "indication",
    "make_course",
    "measurement",
    "now",
    "number",
    "number_text",
    "parse_date",
    "past_date",
    "session_problems",
    "session_warnings",
    "substance",
    "substance_text",
    "technique",
    "validate_session",
    "whole",
    "without_complications",
]
