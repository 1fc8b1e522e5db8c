"""Parameters shared by several commands, declared once."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    pass

from mesolog.cli.completion import complete_patient

PatientId = Annotated[
    str,
    typer.Argument(
        metavar="ID",
        help="Patient id. Example: P-0042",
        show_default=False,
        autocompletion=complete_patient,
    ),
]
SessionNumber = Annotated[
    int, typer.Argument(metavar="SESSION", help="Session number. Example: 3", show_default=False)
]
SinceOption = Annotated[
    str | None, typer.Option(help="Only sessions from this date. Example: --since 2026-01-01")
]
UntilOption = Annotated[
    str | None, typer.Option(help="Only sessions up to this date. Example: --until 2026-06-30")
]
FormatOption = Annotated[
    str, typer.Option("--format", "-f", help="table, json, csv or markdown. Example: --format json")
]
def _output_checked(ctx: typer.Context, value: Path | None) -> Path | None:
    """Refuse a file the report cannot be written as before anything is read (and again,
    with the --format typed after it, when the report is written)."""
    if value is not None and not ctx.resilient_parsing:
        from mesolog import render

        source = ctx.get_parameter_source("fmt")
        typed = ctx.params.get("fmt") if source is not None and source.name == "COMMANDLINE" else None
        render.file_format(value, typed)
    return value


OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output",
        callback=_output_checked,
        help="Write the report to FILE instead; its ending chooses the form: .html, .svg, .txt, "
        ".md, .csv or .json. Example: --output due.csv",
        show_default=False,
    ),
]
ForceOption = Annotated[
    bool,
    typer.Option("--force", help="With --output: replace the file if it exists. Example: --force"),
]
