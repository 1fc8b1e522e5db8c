"""`report`: one patient's progress, or the clinic overview."""

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    pass

from mesolog.cli.application import (
    _clinic_overview,
    _format,
    _optional_date,
    _state,
    app,
)
from mesolog.cli.completion import complete_patient
from mesolog.cli.options import FormatOption, SinceOption, UntilOption

# --- report -----------------------------------------------------------------------------------


@app.command()
def report(
    ctx: typer.Context,
    patient_id: Annotated[
        str | None,
        typer.Argument(
            metavar="[ID]",
            help="Patient id; without it, the clinic overview.",
            show_default=False,
            autocompletion=complete_patient,
        ),
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    last: Annotated[
        int | None, typer.Option(help="Only the last N sessions. Example: --last 3")
    ] = None,
    fmt: FormatOption = "table",
    audit: Annotated[
        bool, typer.Option("--audit", help="Show the amendment trail. Example: --audit")
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option(help="Save the table report as .html or .svg. Example: --output report.html"),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing --output file. Example: --force")
    ] = False,
) -> None:
    """One patient's progress, or with no ID the whole clinic. Example: mesolog report P-0042"""
    from mesolog import render
    from mesolog.errors import InvalidValue
    from mesolog.model import progress

    fmt = _format(fmt, render.FORMATS)
    if patient_id is None:
        _clinic_overview(ctx, fmt, "Clinic overview")
        return
    if last is not None and last < 1:
        raise InvalidValue("--last", last, "it must be a whole number of 1 or more")
    if output is not None and fmt != "table":
        raise InvalidValue("--output", str(output), "it saves the table report; leave out --format")
    if output is not None and output.suffix.lower() not in (".html", ".svg"):
        raise InvalidValue("--output", str(output), "the file must end in .html or .svg")
    chart = _state(ctx).reading_clinic().load(patient_id)
    sessions = progress.in_window(
        chart.sessions, _optional_date(since, "--since"), _optional_date(until, "--until"), last
    )
    saved = render.report(chart, sessions, date.today(), fmt, audit, output)
    if output is not None and saved is not None:
        from mesolog.store.outputs import save_output

        save_output(output, saved, force)
        typer.echo(f"Report saved to {output}", err=True)
