"""Sharing the clinic through git: `sync` and the merge driver `merge-chart`."""

from pathlib import Path
from typing import Annotated

import typer

from mesolog.cli.application import app, state_of


@app.command()
def sync(
    ctx: typer.Context,
    keep_edits: Annotated[
        bool,
        typer.Option(
            "--keep-edits",
            help="First commit changes made outside mesolog as they are (every changed chart "
            "must read). Example: --keep-edits",
        ),
    ] = False,
) -> None:
    """Pull the shared repository (charts merged session by session, what it brings checked first), then push. Example: mesolog sync"""
    from mesolog.store import sharing

    clinic = state_of(ctx).clinic()
    from mesolog.render.console import write

    for line in sharing.sync(clinic.data_dir, clinic.lock_dir, keep_edits=keep_edits):
        write(line)  # inert: git's output may quote a commit message or a file name


@app.command("merge-chart")
def merge_chart(
    base: Annotated[Path, typer.Argument(metavar="BASE", help="The common ancestor (git's %O).")],
    ours: Annotated[
        Path,
        typer.Argument(metavar="OURS", help="This machine's version; the result goes here (%A)."),
    ],
    theirs: Annotated[Path, typer.Argument(metavar="THEIRS", help="The other version (%B).")],
    path: Annotated[
        str, typer.Argument(metavar="PATH", help="The chart's path in the repository (%P).")
    ] = "",
) -> None:
    """Git merge driver for one chart: sessions joined by uid, both sides' changes kept. Example: mesolog merge-chart %O %A %B %P"""
    from mesolog.store import sharing

    merged = sharing.merge_files(base, ours, theirs, path or str(ours))
    for sentence in merged.clashes:
        typer.echo(f"mesolog: {path}: {sentence}; both values are kept in the chart.", err=True)
    if merged.clashes:
        raise typer.Exit(1)  # git stops: `mesolog check` names the conflict, `amend` settles it
