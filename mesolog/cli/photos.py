"""`photo add` and `photo list`: pictures kept with the chart (docs/photos.md)."""

from pathlib import Path
from typing import Annotated

import typer

from mesolog.cli.application import Commands, app, state_of
from mesolog.cli.options import PatientId, by_option

photo_app = Commands(
    help="Photos kept with the chart. Example: mesolog photo add P-0042 front.jpg --view front --stage before",
    no_args_is_help=True,
)
app.add_typer(photo_app, name="photo")


@photo_app.command("add")
def photo_add(
    ctx: typer.Context,
    patient_id: PatientId,
    files: Annotated[
        list[str],
        typer.Argument(
            metavar="FILE",
            help="One or more pictures (JPEG, PNG or WebP), after the session number if it is not the latest session. Example: 3 front.jpg",
        ),
    ],
    view: Annotated[
        str,
        typer.Option(
            metavar="VIEW",
            help="front, left, right, back, top or detail. Example: --view front",
        ),
    ],
    stage: Annotated[
        str,
        typer.Option(
            metavar="STAGE",
            help="before or after the session. Example: --stage before",
        ),
    ],
    by: Annotated[str | None, by_option("adds them")] = None,
) -> None:
    """Copy pictures into the data folder (photos/ID/), every piece of metadata removed (GPS, camera, thumbnail), and record them in a session. Example: mesolog photo add P-0042 3 front.jpg --view front --stage before"""
    from mesolog.model import photos as shots
    from mesolog.store import photos as kept

    number, paths = _session_and_files(files)
    chosen_view, chosen_stage = shots.view(view), shots.stage(stage)
    state = state_of(ctx)
    clinic = state.reading_clinic()
    # An unknown patient or session is said before any picture is decoded.
    clinic.photo_session(patient_id, number)
    pictures = [kept.prepare(Path(p)) for p in paths]  # every refusal before anything is written
    author = by or state.config().practitioner
    session, added, _ = clinic.add_photos(
        patient_id, number, pictures, chosen_view, chosen_stage, author
    )
    for item in added:
        typer.echo(f"{item.file}  {item.width}x{item.height}  session {session.id}")
    from mesolog.render import console

    console.warnings(clinic.notices)


def _session_and_files(items: list[str]) -> tuple[int | None, list[str]]:
    """``[SESSION] FILE...``: a first word of digits followed by files is the session."""
    if len(items) > 1 and items[0].isdecimal():
        return int(items[0]), items[1:]
    return None, items


@photo_app.command("list")
def photo_list(ctx: typer.Context, patient_id: PatientId) -> None:
    """The photo timeline of a patient: per view, each picture's date, stage and session. Example: mesolog photo list P-0042"""
    from mesolog.render import pictures

    chart = state_of(ctx).reading_clinic().load(patient_id)
    pictures.show_timeline(chart)
