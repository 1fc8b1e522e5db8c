"""`report`: one patient's progress, or the clinic overview."""

from datetime import date
from typing import Annotated

import typer

from mesolog.cli.application import (
    app,
    check_format,
    clinic_overview,
    date_window,
    show_report,
    state_of,
)
from mesolog.cli.options import (
    ForceOption,
    FormatOption,
    OutputOption,
    SinceOption,
    UntilOption,
    flag,
    patient_argument,
    whole_option,
)

# --- report -----------------------------------------------------------------------------------


@app.command()
def report(
    ctx: typer.Context,
    patient_id: Annotated[
        str | None, patient_argument("Patient id; without it, the clinic overview.")
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    last: Annotated[
        int | None,
        whole_option(
            "--last",
            "N",
            "Only the last N sessions done (voided ones between them are shown). Example: --last 3",
        ),
    ] = None,
    fmt: FormatOption = "table",
    audit: Annotated[bool, flag("--audit", "Show the amendment trail.")] = False,
    output: OutputOption = None,
    force: ForceOption = False,
) -> None:
    """One patient's progress, or with no ID the whole clinic. Example: mesolog report P-0042"""
    from mesolog.errors import InvalidValue
    from mesolog.model import progress
    from mesolog.render import report as report_view

    check_format(ctx)
    if last is not None and last < 1:
        raise InvalidValue("--last", last, "it must be a whole number of 1 or more")
    begin, end = date_window(since, until)
    if patient_id is None:
        if last is not None:
            raise InvalidValue(
                "--last",
                last,
                "it counts one patient's sessions; give a patient id, or "
                "--since/--until for the clinic",
            )
        clinic_overview(ctx, "Clinic overview", begin, end)
        return
    from mesolog.store import read_chart_file

    clinic = state_of(ctx).reading_clinic()
    path = clinic.path(patient_id)
    chart, text = read_chart_file(path)
    sessions = progress.in_window(chart.sessions, begin, end, last)
    today = date.today()
    from mesolog.store.reading import details_lines

    # A Markdown report lists the open conflicts of the chart's details itself (docs/reading.md).
    show_report(
        ctx,
        lambda form: report_view.report(
            chart,
            sessions,
            today,
            form,
            audit,
            details_lines(clinic, path, text) if form == "markdown" else (),
        ),
        f"mesolog report {chart.patient.id}",
    )
    # A value a merge kept is not yet the chart's word, and a hand edit can make the chart
    # refuse every change: the report says so under the table (on stderr, so a machine format
    # stays whole), naming the command that settles each (docs/reading.md).
    from mesolog.render import console
    from mesolog.store.reading import chart_notes

    console.warnings(chart_notes(clinic, path, chart, text))
