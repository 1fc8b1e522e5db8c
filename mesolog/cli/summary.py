"""`summary`: the printable page for the patient or a colleague."""

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from mesolog.cli.application import app, state_of
from mesolog.cli.options import PageForceOption, PageOutputOption, PatientId, flag


@app.command()
def summary(
    ctx: typer.Context,
    patient_id: PatientId,
    output: PageOutputOption = None,
    force: PageForceOption = False,
    open_it: Annotated[
        bool, flag("--open", "Open the page in the web browser afterwards.")
    ] = False,
) -> None:
    """A printable HTML page for the patient or a colleague: clinic, course, sessions with
    products and lots, complications, charts of the measurements, aftercare.
    Example: mesolog summary P-0042 --open"""
    from mesolog import __version__
    from mesolog.render.summary_page import summary_page
    from mesolog.store.outputs import save_output

    state = state_of(ctx)
    clinic = state.reading_clinic()
    from mesolog.store.reading import details_in_conflict, details_lines

    chart, text = clinic.read_with_text(patient_id)
    today = date.today()
    pictures = {}
    if any(s.photos for s in chart.active_sessions):  # Pillow only for a chart with photos
        from mesolog.store.photos import page_pictures

        pictures = page_pictures(clinic.data_dir, chart)
    page = summary_page(
        chart,
        state.config().clinic_details(),
        today,
        __version__,
        pictures,
        details_in_conflict(text),
    )
    # Without --output: ID-summary-DATE.html here, a new name each day (and an existing file is
    # never replaced without --force).
    default = Path(f"{chart.patient.id}-summary-{today.isoformat()}.html")
    path = save_output(output or default, page, force)
    typer.echo(f"Summary of {chart.patient.id} saved to {path}", err=True)
    from mesolog.model.amendments import unsettled
    from mesolog.render import console

    # The page says so itself too ("Awaiting the practitioner's decision").
    console.warnings(
        details_lines(clinic, clinic.path(patient_id), text)
        + [line for s in chart.active_sessions for line in unsettled(chart.patient.id, s)]
    )
    if open_it:
        import webbrowser

        if not webbrowser.open(path.resolve().as_uri()):
            typer.echo(f"No web browser could be started; open {path} yourself.", err=True)
