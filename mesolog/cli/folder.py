"""The data folder and settings: `check`, `init`, `git`, `paths`, `config`."""

from datetime import date
from typing import Annotated

import typer

from mesolog.cli.application import (
    app,
    check_format,
    config_app,
    state_of,
)
from mesolog.cli.options import flag, format_option

# --- the data folder --------------------------------------------------------------------------


@app.command()
def check(
    ctx: typer.Context,
    fmt: Annotated[
        str,
        format_option(
            "text or json (a list of path, line, severity, message). Example: --format json"
        ),
    ] = "text",
) -> None:
    """Validate every patient file: every problem, one line each as path:line: severity: message, the line of the faulty field. Example: mesolog check"""
    from mesolog.model.values import latest_recorded
    from mesolog.render import console
    from mesolog.store import history
    from mesolog.store.checkup import check_clinic

    check_format(ctx)
    state = state_of(ctx)
    clinic = state.reading_clinic()
    # The clinic's own areas and products are known words here as in `add`; a config that
    # cannot be read is said, and the charts are checked against the built-in lists.
    from mesolog.errors import ConfigError
    from mesolog.model import vocabulary

    try:
        words = state.config().vocabulary()
    except ConfigError as error:
        console.warnings([error.message])
        words = vocabulary.DEFAULT
    problems, files, note = check_clinic(clinic, latest_recorded(date.today()), words)
    if fmt == "json":
        from mesolog.render.console import to_json

        typer.echo(to_json([problem.as_dict() for problem in problems]))
    for problem in problems if fmt == "text" else ():
        console.said(problem.line_text(), stdout=True)  # wrapped between words on a terminal
    stuck = history.index_lock_warning(clinic.data_dir)
    if stuck:
        console.warnings([stuck])
    errors = sum(1 for p in problems if p.severity == "error")
    warns = len(problems) - errors
    summary = ", ".join(console.counted(n, w) for n, w in ((errors, "error"), (warns, "warning")))
    if note:
        typer.echo(f"History: {note}.", err=True)
    typer.echo(f"{console.counted(files, 'file')} checked: {summary}.", err=True)
    if errors:
        raise typer.Exit(1)


@app.command()
def init(
    ctx: typer.Context,
    git: Annotated[
        bool, flag("--git", "Also make it a git repository: every change committed.")
    ] = False,
) -> None:
    """Create the data folder (private to you), optionally with git history. Example: mesolog init --git"""
    from mesolog.store import sharing

    clinic = state_of(ctx).clinic()
    clinic.ensure_folders()
    typer.echo(f"Data folder ready: {clinic.data_dir}")
    if git:
        typer.echo(sharing.init(clinic.data_dir))


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def git(
    ctx: typer.Context,
    args: Annotated[
        list[str] | None,
        typer.Argument(help="Arguments for git. Example: mesolog git log --oneline"),
    ] = None,
) -> None:
    """Run git in the data folder (log, status, push; pulls go through sync). Example: mesolog git log --oneline"""
    from mesolog.store import history, sharing

    folder = state_of(ctx).location().path
    code = history.run(folder, [*(args or []), *ctx.args])
    # A checkout or reset by hand writes the work tree with the umask (0644): private again.
    sharing.tighten(folder)
    raise typer.Exit(code)


@app.command()
def paths(ctx: typer.Context) -> None:
    """Where the data, config and cache folders are, and which setting chose each. Example: mesolog paths"""
    from mesolog.render import clinic as clinic_view
    from mesolog.store import cache_location, config_location, history

    data = state_of(ctx).location()
    git_state = "on (git repository)" if history.enabled(data.path) else "off"
    if history.git_binary() is None:
        git_state = "off (git not installed)"
    places = {"data": data, "config": config_location(), "cache": cache_location()}
    rows = [(name, place.path, place.chosen_by) for name, place in places.items()]
    clinic_view.paths([*rows, ("history", data.path / ".git", git_state)])


@config_app.command("path")
def config_path() -> None:
    """Print the config file's path. Example: mesolog config path"""
    from mesolog.store import config_location

    typer.echo(str(config_location().path))


@config_app.command("show")
def config_show(ctx: typer.Context) -> None:
    """Print the settings in force. Example: mesolog config show"""
    from mesolog.render.console import write
    from mesolog.store.config import TEXT_KEYS

    settings = state_of(ctx).config()
    # One line a setting: the address's lines joined with commas.
    texts = ((key, (getattr(settings, key) or "").replace("\n", ", ")) for key in TEXT_KEYS)
    extra = ", ".join(f"{k} ({v})" for k, v in settings.substances.items())
    lines = [
        f"file: {settings.path or '(none; defaults in force)'}",
        *(f"{key}: {text or '(not set)'}" for key, text in texts),
        f"extra areas: {', '.join(settings.areas) or '(none)'}",
        f"extra substances: {extra or '(none)'}",
        *(f"aftercare.{name}: set (printed on the summary page)" for name in settings.aftercare),
    ]
    write("\n".join(lines))  # inert: a hand-edited config may hold escape sequences


_SETTING_HELP = (
    "practitioner, clinic_name, clinic_address, technique (gun or hand), anaesthetic, "
    "aftercare.INDICATION, or the clinic's own words: areas (adds one), products (adds one), "
    "products.NAME (its category; unset areas.NAME or products.NAME takes one off). "
    "Example: clinic_name"
)


@config_app.command("set")
def config_set(
    key: Annotated[str, typer.Argument(metavar="KEY", help=_SETTING_HELP)],
    value: Annotated[
        str,
        typer.Argument(metavar="VALUE", help='The value. Example: "Dr. L. Moreau"'),
    ],
) -> None:
    """Change one setting; the rest of the file (comments too) stays as it is.
    Example: mesolog config set "aftercare.hair loss" "No hair wash until tomorrow." """
    from mesolog.render.console import write
    from mesolog.store import config_location, settings

    write(settings.set_value(config_location().path, key, value))


@config_app.command("unset")
def config_unset(
    key: Annotated[str, typer.Argument(metavar="KEY", help=_SETTING_HELP)],
) -> None:
    """Remove one setting, so its default applies again. Example: mesolog config unset technique"""
    from mesolog.render.console import write
    from mesolog.store import config_location, settings

    write(settings.unset_value(config_location().path, key))
