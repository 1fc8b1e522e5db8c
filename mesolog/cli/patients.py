"""`patient new/edit/list/show` and `course add/edit/close`."""

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from pathlib import Path

    from mesolog.model import Chart

from mesolog.cli import completion
from mesolog.cli.application import (
    check_format,
    clinic_overview,
    course_app,
    patient_app,
    state_of,
)
from mesolog.cli.options import (
    FormatOption,
    PatientId,
    by_option,
    patient_argument,
    reason_option,
    whole_option,
)

PhoneOption = Annotated[
    str | None,
    typer.Option(
        metavar="PHONE", help='How to reach the patient. Example: --phone "+34 600 000 000"'
    ),
]
EmailOption = Annotated[
    str | None, typer.Option(metavar="EMAIL", help="Example: --email ana@example.org")
]
SexOption = Annotated[
    str | None,
    typer.Option(
        metavar="SEX",
        shell_complete=completion.sexes,
        help="female, male or other. Example: --sex female",
    ),
]
# The course's options, the same in `patient new`, `course add` and `course edit`.
SessionsOption = Annotated[
    int | None,
    whole_option("--sessions", "N", "Planned sessions of the course. Example: --sessions 6"),
]
IntervalOption = Annotated[
    int | None, whole_option("--interval", "DAYS", "Days between sessions. Example: --interval 14")
]
IndicationOption = Annotated[
    str | None,
    typer.Option(
        metavar="INDICATION",
        shell_complete=completion.indications,
        help='Course indication. Example: --indication "hair loss"',
    ),
]
StartOption = Annotated[
    str | None,
    typer.Option(metavar="DATE", help="Course start (default today). Example: --start 2026-11-02"),
]

# --- patients ---------------------------------------------------------------------------------


@patient_app.command("new")
def patient_new(
    ctx: typer.Context,
    patient_id: Annotated[str, patient_argument("Pseudonymous id, e.g. P-0042.")],
    name: Annotated[
        str | None, typer.Option(metavar="NAME", help='Full name. Example: --name "Ana Ruiz"')
    ] = None,
    birth_year: Annotated[
        int | None, whole_option("--birth-year", "YEAR", "Example: --birth-year 1986")
    ] = None,
    sex: SexOption = None,
    note: Annotated[
        str | None,
        typer.Option(metavar="TEXT", help='Free note. Example: --note "referred by Dr. X"'),
    ] = None,
    phone: PhoneOption = None,
    email: EmailOption = None,
    course: Annotated[
        str | None,
        typer.Option(
            metavar="COURSE",
            shell_complete=completion.courses,
            help="Start a course with this name. Example: --course hair-2026",
        ),
    ] = None,
    indication: IndicationOption = None,
    sessions: SessionsOption = None,
    interval: IntervalOption = None,
    start: StartOption = None,
) -> None:
    """Create a patient chart. Example: mesolog patient new P-0042 --name "Ana Ruiz" --birth-year 1986"""
    from mesolog import model
    from mesolog.model import Patient, details

    model.check_patient_id(patient_id)
    given = dict(name=name, birth_year=birth_year, sex=sex, phone=phone, email=email, note=note)
    checked = details.patient_details(given, date.today())
    courses, notes = _course_from_options(course, indication, sessions, interval, start)
    patient = Patient(id=patient_id, created=model.now(), **checked)  # type: ignore[arg-type]
    clinic = state_of(ctx).starting_clinic()
    path = clinic.new_patient(patient, courses)
    from mesolog.render import console

    console.warnings(notes + clinic.notices)
    typer.echo(f"Patient {patient_id} created: {path}")


def _course_from_options(
    name: str | None,
    indication: str | None,
    sessions: int | None,
    interval: int | None,
    start: str | None,
    required: bool = False,
) -> tuple[tuple[Any, ...], list[str]]:
    from mesolog import model
    from mesolog.errors import MissingFields

    if not any((name, sessions, interval, start)) and not required:
        return (), []
    if sessions is None or interval is None:
        plan = (("--sessions", sessions), ("--interval", interval))
        raise MissingFields([flag for flag, value in plan if value is None])
    canon, notes = model.indication(indication) if indication else (None, [])
    begin = model.parse_date(start, "start") if start else date.today()
    course = model.make_course(name, sessions, interval, begin, canon)
    return (course,), notes + model.course_warnings(course)


@patient_app.command("list")
def patient_list(
    ctx: typer.Context,
    fmt: FormatOption = "table",
    search: Annotated[
        str | None,
        typer.Option(
            metavar="TEXT",
            help="Only patients whose id, name, phone, email or note holds this text, ignoring "
            "case and accents. Example: --search lena",
        ),
    ] = None,
) -> None:
    """One row per patient: id, name, sessions, last session, next due. Example: mesolog patient list --search berg"""
    check_format(ctx)
    title = "Patients" if search is None else f"Patients matching {search!r}"
    clinic_overview(ctx, title, search=search)


@patient_app.command("show")
def patient_show(
    ctx: typer.Context,
    patient_id: PatientId,
) -> None:
    """A patient's details and courses. Example: mesolog patient show P-0042"""
    from mesolog.render import console
    from mesolog.render import report as report_view
    from mesolog.store import read_chart_file
    from mesolog.store.reading import chart_notes

    clinic = state_of(ctx).reading_clinic()
    path = clinic.path(patient_id)
    chart, text = read_chart_file(path)
    report_view.patient_card(chart, path, date.today())
    console.warnings(chart_notes(clinic, path, chart, text))  # as `report ID` (docs/reading.md)


@course_app.command("add")
def course_add(
    ctx: typer.Context,
    patient_id: PatientId,
    sessions: Annotated[
        int, whole_option("--sessions", "N", "Planned sessions. Example: --sessions 6")
    ],
    interval: IntervalOption,
    name: Annotated[
        str | None,
        typer.Option(
            metavar="NAME", help="Course name (default: indication-year). Example: --name hair-2026"
        ),
    ] = None,
    indication: IndicationOption = None,
    start: StartOption = None,
) -> None:
    """Add a treatment plan to a patient. Example: mesolog course add P-0042 --sessions 6 --interval 14 --indication "hair loss" """
    from mesolog.render import console

    courses, notes = _course_from_options(
        name, indication, sessions, interval, start, required=True
    )
    clinic = state_of(ctx).clinic()
    path = clinic.add_course(patient_id, courses[0])
    console.warnings(notes + clinic.notices)
    console.write(f"Course {courses[0].name} added to {patient_id}: {path}")


# --- corrections with a chart-level trail -----------------------------------------------------

CourseName = Annotated[
    str,
    typer.Argument(
        metavar="COURSE",
        help="Course name. Example: hair-2026",
        shell_complete=completion.courses,
    ),
]
ByOption = Annotated[str | None, by_option("changes it")]


@patient_app.command("edit")
def patient_edit(
    ctx: typer.Context,
    patient_id: PatientId,
    name: Annotated[
        str | None, typer.Option(metavar="NAME", help='Example: --name "Ana Ruiz Vidal"')
    ] = None,
    # Text, not a number: "" clears it, as for every detail (the model reads the year).
    birth_year: Annotated[
        str | None, typer.Option(metavar="YEAR", help="Example: --birth-year 1986")
    ] = None,
    sex: SexOption = None,
    phone: PhoneOption = None,
    email: EmailOption = None,
    note: Annotated[
        str | None, typer.Option(metavar="TEXT", help='Example: --note "prefers mornings"')
    ] = None,
    reason: Annotated[str | None, reason_option("married name", required=False)] = None,
    by: ByOption = None,
) -> None:
    """Change a patient's details; each change (old -> new) goes into the chart's trail; "" clears a detail. Example: mesolog patient edit P-0042 --phone "+34 600 111 222" --reason "new number" """
    given = dict(name=name, birth_year=birth_year, sex=sex, phone=phone, email=email, note=note)
    state = state_of(ctx)
    clinic = state.clinic()
    chart, path = clinic.edit_patient(
        patient_id,
        {k: v for k, v in given.items() if v is not None},
        by or state.config().practitioner,
        reason,
    )
    _changed(f"Patient {chart.patient.id}", chart, path, clinic.notices)


@patient_app.command("rename")
def patient_rename(
    ctx: typer.Context,
    patient_id: PatientId,
    new_id: Annotated[
        str, typer.Argument(metavar="NEW_ID", help="The chart's new id. Example: P-0043")
    ],
    reason: Annotated[
        str | None, reason_option("two patients opened under one id", required=False)
    ] = None,
    by: ByOption = None,
) -> None:
    """Move a chart to a new id: its file, its photos folder and their paths in it; recorded in the chart's trail and one git commit. Example: mesolog patient rename P-2 P-3 --reason "two patients opened under P-2" """
    from mesolog.render import console
    from mesolog.store.checkup import check_file

    def errors_of(path: "Path") -> list[str]:  # what `check` calls wrong in the chart
        found = check_file(path, date.today())
        return [p.line_text() for p in found if p.severity == "error"]

    state = state_of(ctx)
    clinic = state.clinic()
    author = by or state.config().practitioner
    chart, path = clinic.rename_patient(patient_id, new_id, author, reason, errors_of)
    changes = (f"  {line}" for line in chart.amendments[-1].changes)
    console.write("\n".join([f"Patient {patient_id} renamed to {new_id} ({path}):", *changes]))
    console.warnings(clinic.notices)


@course_app.command("edit")
def course_edit(
    ctx: typer.Context,
    patient_id: PatientId,
    course: CourseName,
    sessions: SessionsOption = None,
    interval: IntervalOption = None,
    indication: IndicationOption = None,
    start: StartOption = None,
    reason: Annotated[str | None, reason_option("slow response", required=False)] = None,
    by: ByOption = None,
) -> None:
    """Change a course's plan, in the chart's trail. Example: mesolog course edit P-0042 hair-2026 --sessions 8 --reason "slow response" """
    from mesolog import model

    state = state_of(ctx)
    settings = state.config()  # read once: its words and its practitioner
    notes: list[str] = []
    if indication is not None:
        indication, notes = model.indication(indication, settings.vocabulary())
    clinic = state.clinic()
    chart, path = clinic.edit_course(
        patient_id,
        course,
        by or settings.practitioner,
        reason,
        planned_sessions=sessions,
        interval_days=interval,
        indication=indication,
        start=model.parse_date(start, "start") if start else None,
    )
    changed = chart.course(course)
    notes += model.course_warnings(changed) if changed else []
    _changed(f"Course of {chart.patient.id}", chart, path, notes + clinic.notices)


@course_app.command("close")
def course_close(
    ctx: typer.Context,
    patient_id: PatientId,
    course: CourseName,
    status: Annotated[
        str,
        typer.Option(
            metavar="STATUS",
            shell_complete=completion.course_statuses,
            help="completed or stopped. Example: --status completed",
        ),
    ],
    reason: Annotated[str, reason_option("plan finished")],
    by: ByOption = None,
) -> None:
    """Close a course: it leaves `due` and is no longer the default course of `add`. Example: mesolog course close P-0042 hair-2026 --status stopped --reason "patient moved away" """
    state = state_of(ctx)
    clinic = state.clinic()
    chart, path = clinic.close_course(
        patient_id, course, status, by or state.config().practitioner, reason
    )
    _changed(f"Course of {chart.patient.id}", chart, path, clinic.notices)


def _changed(heading: str, chart: "Chart", path: "Path", notes: list[str]) -> None:
    """What a correction changed, as the trail words it, then the warnings."""
    from mesolog.render import console

    # The trail's old -> new quote the chart: printed inert (console.write).
    changes = (f"  {line}" for line in chart.amendments[-1].changes)
    console.write("\n".join([f"{heading} changed ({path}):", *changes]))
    console.warnings(notes)
