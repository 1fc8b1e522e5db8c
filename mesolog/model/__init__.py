"""The model layer: plain data and pure functions, no I/O, no terminal.

``records`` the chart's dataclasses; ``values`` what a practitioner types, parsed; ``validation``
the rules for whole records; ``amendments`` the trail; ``vocabulary`` the domain's words;
``progress`` one patient's progress maths; ``questions`` questions across patients.
"""

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

# A run imports a name's module on first use, not the whole model at start-up (``--version``,
# ``--help`` and completion load only the records behind the options); the type checker sees
# the names here. (store.codec imports the same record names: each lists what it uses.)
if TYPE_CHECKING:
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
        Photo,
        Session,
        Substance,
        Zone,
    )
    from mesolog.model.validation import (
        course_warnings,
        make_course,
        session_problems,
        validate_session,
    )
    from mesolog.model.values import (
        check_patient_id,
        choice,
        complication,
        indication,
        measurement,
        now,
        number_text,
        parse_date,
        substance,
        technique,
        whole,
    )

__all__ = [
    "SCHEMA",
    "Amendment",
    "Chart",
    "Complication",
    "Conflict",
    "Course",
    "Patient",
    "Photo",
    "Session",
    "Substance",
    "Zone",
    "amended",
    "check_patient_id",
    "choice",
    "complication",
    "complication_text",
    "course_warnings",
    "describe_changes",
    "indication",
    "make_course",
    "measurement",
    "now",
    "number_text",
    "parse_date",
    "session_problems",
    "substance",
    "substance_text",
    "technique",
    "validate_session",
    "whole",
    "without_complications",
]


def names_on_first_use(
    package: str, homes: tuple[str, ...], names: list[str]
) -> Callable[[str], Any]:
    """A package's module ``__getattr__``: each of ``names`` imported from the first of its
    modules ``homes`` that has it, when first asked for (``model`` and ``store`` use it)."""

    def lookup(name: str) -> Any:
        for home in homes if name in names else ():
            module = vars(importlib.import_module(f"{package}.{home}"))
            if name in module:
                return module[name]
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return lookup


# Each home is imported until the name is found: values first, since a question the summary
# cache answers parses its options (``model.whole``) but reads no chart, so needs no records;
# validation last, since it brings the photo and zone rules, which a command that changes no
# session does not need (start-up).
if not TYPE_CHECKING:  # hidden from the type checker, which would then take any name as Any
    __getattr__ = names_on_first_use(
        "mesolog.model", ("values", "records", "amendments", "corrections", "validation"), __all__
    )
