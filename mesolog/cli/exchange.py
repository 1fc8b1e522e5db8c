"""`export`: records for spreadsheets and other systems."""

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    pass

from mesolog.cli.application import (
    _format,
    _left_out,
    _state,
    app,
)
from mesolog.cli.completion import complete_patient


@app.command()
def export(
    ctx: typer.Context,
    patient_id: Annotated[
        str | None,
        typer.Argument(
            metavar="[ID]",
            help="One patient; without it, every patient.",
            show_default=False,
            autocompletion=complete_patient,
        ),
    ] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="json, csv (one row per substance given) or fhir (R4 Bundle). Example: --format fhir",
        ),
    ] = "json",
) -> None:
    """Records for spreadsheets and other systems. Example: mesolog export P-0042 --format fhir"""
    from mesolog import render

    fmt = _format(fmt, ("json", "csv", "fhir"))
    clinic = _state(ctx).reading_clinic()
    if patient_id is not None:
        charts = [clinic.load(patient_id)]
    else:
        charts = []
        problems = []
        for entry in clinic.entries():
            if entry.chart is None:
                problems.append((entry.patient_id, str(entry.error)))
                render.warnings([f"{entry.patient_id} left out: {entry.error}"])
            else:
                charts.append(entry.chart)
        render.export(charts, fmt)
        _left_out(problems)
        return
    render.export(charts, fmt)
