"""Recording and correcting sessions: `add`, `amend`, `void`, `restore`."""

import sys
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from mesolog.model.drafting import Practice

from mesolog.cli.application import (
    State,
    _state,
    app,
)
from mesolog.cli.completion import complete_area, complete_substance
from mesolog.cli.options import PatientId, SessionNumber

# --- add --------------------------------------------------------------------------------------


@app.command()
def add(
    ctx: typer.Context,
    patient_id: PatientId,
    when: Annotated[
        str,
        typer.Option(
            "--date",
            help="When it was done: YYYY-MM-DD, today, yesterday, -3d. Example: --date yesterday",
        ),
    ] = "today",
    area: Annotated[
        list[str] | None,
        typer.Option(
            "--area",
            "-a",
            help="Area treated; repeat for several. Example: --area scalp",
            show_default=False,
            autocompletion=complete_area,
        ),
    ] = None,
    indication: Annotated[
        str | None, typer.Option(help='Example: --indication "hair loss"')
    ] = None,
    substance: Annotated[
        list[str] | None,
        typer.Option(
            "--substance",
            "-s",
            help='NAME:AMOUNT[:LOT x][:EXP date]; repeat. Example: -s "hyaluronic acid:2ml:LOT A17"',
            show_default=False,
            autocompletion=complete_substance,
        ),
    ] = None,
    depth: Annotated[
        str | None,
        typer.Option(help="Needle depth in mm (0-13; 1-4 is dermal). Example: --depth 1.5"),
    ] = None,
    technique: Annotated[
        str | None, typer.Option(help="gun or hand. Example: --technique gun")
    ] = None,
    method: Annotated[
        str | None,
        typer.Option(
            help="nappage, papule, point-by-point, linear, depot, ... Example: --method nappage"
        ),
    ] = None,
    angle: Annotated[
        int | None, typer.Option(help="Needle angle in degrees (0-90). Example: --angle 45")
    ] = None,
    gauge: Annotated[
        int | None, typer.Option(help="Needle gauge (27-34). Example: --gauge 30")
    ] = None,
    needle_length: Annotated[
        float | None, typer.Option(help="Needle length in mm. Example: --needle-length 4")
    ] = None,
    points: Annotated[
        int | None, typer.Option(help="Number of injection points. Example: --points 40")
    ] = None,
    anaesthetic: Annotated[
        str | None,
        typer.Option(help='"none" or what was used. Example: --anaesthetic "topical cream"'),
    ] = None,
    duration: Annotated[int | None, typer.Option(help="Minutes. Example: --duration 25")] = None,
    complication: Annotated[
        list[str] | None,
        typer.Option(
            help="NAME, then optionally :SEVERITY :onset=DATE :resolved=DATE :outcome=WORD "
            "(resolved, recovering, ongoing...); repeat. "
            "Example: --complication bruising:mild:onset=2026-11-03:outcome=resolved",
            show_default=False,
        ),
    ] = None,
    measure: Annotated[
        list[str] | None,
        typer.Option(
            help="NAME=NUMBER, unit in the name; repeat. Example: --measure waist_cm=82.5",
            show_default=False,
        ),
    ] = None,
    note: Annotated[
        str | None, typer.Option(help='Free notes. Example: --note "tolerated well"')
    ] = None,
    practitioner: Annotated[
        str | None,
        typer.Option(
            help='Who did it (default from config). Example: --practitioner "Dr. L. Moreau"'
        ),
    ] = None,
    course: Annotated[
        str | None,
        typer.Option(
            help="Course this session belongs to (default: the current one). Example: --course hair-2026"
        ),
    ] = None,
    consent: Annotated[
        str | None,
        typer.Option(help='Reference to the signed consent. Example: --consent "form 2026-11-02"'),
    ] = None,
    photo: Annotated[
        list[str] | None,
        typer.Option(
            help="Photo path relative to the data folder; repeat. Example: --photo photos/P-0042/before.jpg",
            show_default=False,
        ),
    ] = None,
    like_last: Annotated[
        bool,
        typer.Option(
            "--like-last",
            help="Repeat the last session's protocol; options given override it. Example: --like-last",
        ),
    ] = False,
    no_input: Annotated[
        bool,
        typer.Option(
            "--no-input", help="Never ask; fail naming every missing field. Example: --no-input"
        ),
    ] = False,
    interactive: Annotated[
        bool,
        typer.Option(
            "--interactive",
            help="Ask for missing fields even when input is piped. Example: --interactive",
        ),
    ] = False,
    new_patient: Annotated[
        bool,
        typer.Option(
            "--new-patient", help="Create the patient if the id is new. Example: --new-patient"
        ),
    ] = False,
) -> None:
    """Record a session. Example: mesolog add P-0042 --area scalp -s "minoxidil 0.5%:2ml:LOT M1" --depth 1.5 --technique gun --anaesthetic none"""
    from mesolog import render
    from mesolog.model.drafting import Given

    state = _state(ctx)
    clinic, practice = state.clinic(), _practice(state)
    given = Given(
        date=when,
        areas=tuple(area or ()),
        indication=indication,
        substances=tuple(substance or ()),
        depth=depth,
        technique=technique,
        method=method,
        angle=angle,
        gauge=gauge,
        needle_length=needle_length,
        points=points,
        anaesthetic=anaesthetic,
        duration=duration,
        complications=tuple(complication or ()),
        measures=tuple(measure or ()),
        note=note,
        practitioner=practitioner,
        course=course,
        consent=consent,
        photos=tuple(photo or ()),
    )
    shown: set[str] = set()
    if not no_input and (interactive or sys.stdin.isatty()):
        from mesolog.cli import prompts

        given, shown = prompts.ask_missing(
            clinic, patient_id, given, practice, like_last, new_patient
        )
    stored = clinic.record(
        patient_id, given, practice, like_last=like_last, new_patient=new_patient
    )
    render.session_stored(stored.path.stem, stored.session, stored.path)
    render.warnings([w for w in stored.warnings if w not in shown] + clinic.notices)


def _practice(state: State) -> "Practice":
    """The config's defaults and words, as drafting needs them."""
    from mesolog.model.drafting import Practice

    settings = state.config()
    return Practice(
        settings.practitioner, settings.technique, settings.anaesthetic, settings.vocabulary()
    )


# --- corrections ------------------------------------------------------------------------------


@app.command()
def amend(
    ctx: typer.Context,
    patient_id: PatientId,
    session_number: SessionNumber,
    reason: Annotated[
        str,
        typer.Option(
            help='Why (required). Example: --reason "bruise reported at follow-up"',
            show_default=False,
        ),
    ],
    by: Annotated[
        str | None,
        typer.Option(help='Who amends (default from config). Example: --by "Dr. L. Moreau"'),
    ] = None,
    when: Annotated[
        str | None, typer.Option("--date", help="Correct the date. Example: --date 2026-11-02")
    ] = None,
    area: Annotated[
        list[str] | None,
        typer.Option(
            "--area",
            "-a",
            help="Replace the areas (comma-separated or repeated, as for add). Example: --area scalp",
            show_default=False,
        ),
    ] = None,
    substance: Annotated[
        list[str] | None,
        typer.Option(
            "--substance",
            "-s",
            help='Replace the substances. Example: --substance "HA:2ml:LOT A17"',
            show_default=False,
        ),
    ] = None,
    depth: Annotated[str | None, typer.Option(help="Correct the depth. Example: --depth 2")] = None,
    technique: Annotated[
        str | None, typer.Option(help="Correct the technique. Example: --technique hand")
    ] = None,
    anaesthetic: Annotated[
        str | None, typer.Option(help="Correct the anaesthetic. Example: --anaesthetic none")
    ] = None,
    indication: Annotated[
        str | None, typer.Option(help="Correct the indication. Example: --indication cellulite")
    ] = None,
    add_complication: Annotated[
        list[str] | None,
        typer.Option(
            help="Add a complication found later. Example: --add-complication bruising:mild:onset=2026-11-03:resolved=2026-11-09",
            show_default=False,
        ),
    ] = None,
    remove_complication: Annotated[
        list[str] | None,
        typer.Option(
            help="Remove a complication entered on the wrong session (the trail keeps it). Example: --remove-complication bruising",
            show_default=False,
        ),
    ] = None,
    course: Annotated[
        str | None,
        typer.Option(help="Move the session to another course. Example: --course hair-2026"),
    ] = None,
    measure: Annotated[
        list[str] | None,
        typer.Option(help="Set a measurement. Example: --measure waist_cm=81", show_default=False),
    ] = None,
    note: Annotated[
        str | None, typer.Option(help='Replace the notes. Example: --note "see photos"')
    ] = None,
) -> None:
    """Correct a session, with an audit trail (when, who, why, old -> new). Example: mesolog amend P-0042 3 --add-complication bruising:mild --reason "reported at follow-up" """
    from mesolog import render
    from mesolog.model.drafting import Given

    state = _state(ctx)
    given = Given(
        date=when,
        areas=tuple(area or ()),
        substances=tuple(substance or ()),
        depth=depth,
        technique=technique,
        anaesthetic=anaesthetic,
        indication=indication,
        complications=tuple(add_complication or ()),
        remove_complications=tuple(remove_complication or ()),
        course=course,
        measures=tuple(measure or ()),
        note=note,
    )
    author = by or state.config().practitioner
    clinic = state.clinic()
    stored = clinic.amend(
        patient_id, session_number, given, author, reason, practice=_practice(state)
    )
    render.session_stored(patient_id, stored.session, stored.path, verb="amended")
    render.warnings(stored.warnings + clinic.notices)


@app.command()
def void(
    ctx: typer.Context,
    patient_id: PatientId,
    session_number: SessionNumber,
    reason: Annotated[
        str,
        typer.Option(
            help='Why (required). Example: --reason "entered for the wrong patient"',
            show_default=False,
        ),
    ],
    by: Annotated[
        str | None,
        typer.Option(help='Who voids (default from config). Example: --by "Dr. L. Moreau"'),
    ] = None,
) -> None:
    """Void a session: it stays in the file, struck out, out of the progress maths. Example: mesolog void P-0042 3 --reason "duplicate entry" """
    state = _state(ctx)
    author = by or state.config().practitioner
    clinic = state.clinic()
    _, path = clinic.void(patient_id, session_number, author, reason)
    typer.echo(f"Session {session_number} of {patient_id} voided (kept in {path}).")
    from mesolog import render

    render.warnings(clinic.notices)


@app.command()
def restore(
    ctx: typer.Context,
    patient_id: PatientId,
    session_number: SessionNumber,
    reason: Annotated[
        str,
        typer.Option(
            help='Why (required). Example: --reason "voided by mistake"', show_default=False
        ),
    ],
    by: Annotated[
        str | None,
        typer.Option(help='Who restores (default from config). Example: --by "Dr. L. Moreau"'),
    ] = None,
) -> None:
    """Un-void a session: back in the progress maths, with an amendment in its trail. Example: mesolog restore P-0042 3 --reason "voided by mistake" """
    from mesolog import render

    state = _state(ctx)
    clinic = state.clinic()
    author = by or state.config().practitioner
    _, path = clinic.restore(patient_id, session_number, author, reason)
    typer.echo(f"Session {session_number} of {patient_id} restored ({path}).")
    render.warnings(clinic.notices)
