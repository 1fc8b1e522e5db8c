"""Recording and correcting sessions: `add`, `amend`, `void`, `restore`."""

import sys
from typing import Annotated

import typer

from mesolog.cli import completion
from mesolog.cli.application import app, state_of
from mesolog.cli.options import (
    PatientId,
    SessionNumber,
    by_option,
    complication_option,
    flag,
    given_from,
    reason_option,
    session_options,
)

# --- add --------------------------------------------------------------------------------------


@app.command()
@session_options(date="today")
def add(
    ctx: typer.Context,
    patient_id: PatientId,
    *,
    complication: Annotated[list[str] | None, complication_option("complication")] = None,
    like_last: Annotated[
        bool, flag("--like-last", "Repeat the last session's protocol; options given override it.")
    ] = False,
    no_input: Annotated[
        bool, flag("--no-input", "Never ask; fail naming every missing field.")
    ] = False,
    interactive: Annotated[
        bool, flag("--interactive", "Ask for missing fields even when input is piped.")
    ] = False,
    new_patient: Annotated[
        bool, flag("--new-patient", "Create the patient if the id is new.")
    ] = False,
    **fields: object,
) -> None:
    """Record a session. Example: mesolog add P-0042 --area scalp -s "minoxidil 0.5%:2ml:LOT M1" --depth 1.5 --technique gun --anaesthetic none"""
    from mesolog.render import console
    from mesolog.render import sessions as session_view

    state = state_of(ctx)
    clinic, practice = state.starting_clinic(), state.config().clinic_defaults()
    given = given_from(ctx.params)
    shown: set[str] = set()
    if not no_input and (interactive or sys.stdin.isatty()):
        from mesolog.cli import prompts

        given, shown = prompts.ask_missing(
            clinic, patient_id, given, practice, like_last, new_patient
        )
    stored = clinic.record(
        patient_id, given, practice, like_last=like_last, new_patient=new_patient
    )
    session_view.session_stored(stored.path.stem, stored.session, stored.path)
    console.warnings([w for w in stored.warnings if w not in shown] + clinic.notices)


# --- corrections ------------------------------------------------------------------------------


@app.command()
@session_options()
def amend(
    ctx: typer.Context,
    patient_id: PatientId,
    session_number: SessionNumber,
    reason: Annotated[str, reason_option("bruise reported at follow-up")],
    by: Annotated[str | None, by_option("amends")] = None,
    *,
    add_complication: Annotated[list[str] | None, complication_option("add-complication")] = None,
    remove_complication: Annotated[
        list[str] | None,
        typer.Option(
            metavar="NAME",
            shell_complete=completion.complications,
            help="Remove a complication entered on the wrong session (the trail keeps it); by name, or by its number in the report where two share a name. Example: --remove-complication bruising",
        ),
    ] = None,
    resolve_complication: Annotated[
        list[str] | None,
        typer.Option(
            metavar="NAME",
            shell_complete=completion.complications,
            help="Settle a complication of the session (by name, or '#2'), with --resolved DATE and optionally --outcome. Example: --resolve-complication bruising --resolved 2026-11-30",
        ),
    ] = None,
    resolved: Annotated[
        str | None,
        typer.Option(
            metavar="DATE",
            help="The date the complication named by --resolve-complication resolved. Example: --resolved 2026-11-30",
        ),
    ] = None,
    outcome: Annotated[
        str | None,
        typer.Option(
            metavar="OUTCOME",
            help="resolved (the default), recovering, ongoing, resolved-with-sequelae or unknown. Example: --outcome resolved-with-sequelae",
        ),
    ] = None,
    remove_substance: Annotated[
        list[str] | None,
        typer.Option(
            metavar="NAME",
            help="Take off one product (by name, lot, or '#2'); the trail keeps it and `lot` still finds the session. Example: --remove-substance biotin",
        ),
    ] = None,
    **fields: object,
) -> None:
    """Correct a session with the same options as add, with an audit trail (when, who, why, old -> new). Each correction touches only what it names: --substance replaces the product of that name or lot (or '#2=NAME:AMOUNT...') and keeps the others; complications are added, removed or resolved by name; measurements set; other options replace. Example: mesolog amend P-0042 3 --add-complication bruising:mild --reason "reported at follow-up" """
    from mesolog.render import console
    from mesolog.render import sessions as session_view

    state = state_of(ctx)
    settings = state.config()  # read once: the author and the drafting defaults both come from it
    author = by or settings.practitioner
    clinic = state.clinic()
    stored = clinic.amend(
        patient_id,
        session_number,
        given_from(ctx.params),
        author,
        reason,
        practice=settings.clinic_defaults(),
    )
    session_view.session_stored(patient_id, stored.session, stored.path, verb="amended")
    console.warnings(stored.warnings + clinic.notices)


@app.command()
def void(
    ctx: typer.Context,
    patient_id: PatientId,
    session_number: SessionNumber,
    reason: Annotated[str, reason_option("entered for the wrong patient")],
    by: Annotated[str | None, by_option("voids")] = None,
) -> None:
    """Void a session: it stays in the file, struck out, out of the progress maths. Example: mesolog void P-0042 3 --reason "duplicate entry" """
    state = state_of(ctx)
    author = by or state.config().practitioner
    clinic = state.clinic()
    _, path = clinic.void(patient_id, session_number, author, reason)
    typer.echo(f"Session {session_number} of {patient_id} voided (kept in {path}).")
    from mesolog.render import console

    console.warnings(clinic.notices)


@app.command()
def restore(
    ctx: typer.Context,
    patient_id: PatientId,
    session_number: SessionNumber,
    reason: Annotated[str, reason_option("voided by mistake")],
    by: Annotated[str | None, by_option("restores")] = None,
) -> None:
    """Un-void a session: back in the progress maths, with an amendment in its trail. Example: mesolog restore P-0042 3 --reason "voided by mistake" """
    from mesolog.render import console

    state = state_of(ctx)
    clinic = state.clinic()
    author = by or state.config().practitioner
    _, path = clinic.restore(patient_id, session_number, author, reason)
    typer.echo(f"Session {session_number} of {patient_id} restored ({path}).")
    console.warnings(clinic.notices)
