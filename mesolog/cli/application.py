"""The Typer application, its global options, and the one place refusals become exit codes.

Start-up matters (a practitioner runs this dozens of times a day), so everything beyond Typer
is imported inside the command that needs it.
"""

import sys
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from mesolog import __version__
from mesolog.cli import running

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from typer.models import CommandFunctionType

    from mesolog.store import Clinic, Location
    from mesolog.store.config import Config


class _Refusals(TyperGroup):
    """Turns every refusal into one sentence on stderr and its exit code; no traceback unless
    ``--debug``. Crash tracebacks would print patient data, so they are opt-in."""

    def invoke(self, ctx: Any) -> Any:
        from mesolog.errors import MesologError

        try:
            return super().invoke(ctx)
        except MesologError as error:
            if _debugging(ctx):
                raise
            _say(f"mesolog: {error.message}")
            raise typer.Exit(error.exit_code) from None
        except BrokenPipeError:
            # The reader closed the pipe (`mesolog report | head -1`): it has what it wanted.
            reader_gone()
            raise typer.Exit(0) from None
        except OSError as error:
            # A full disk, a read-only or vanished folder: the writes are atomic, so the chart
            # on disk is the one from before this command.
            if _debugging(ctx):
                raise
            where = f" ({error.filename})" if error.filename else ""
            _say(f"mesolog: {error.strerror or type(error).__name__}{where}; nothing was changed.")
            raise typer.Exit(1) from None
        except Exception as error:
            # Only the type: the text of an unexpected error may quote a patient's record.
            # Typer's own (Exit, Abort, a usage error) are Typer's to handle.
            if _debugging(ctx) or type(error).__module__.startswith("typer"):
                raise
            _say(
                f"mesolog: unexpected internal error ({type(error).__name__}); nothing was changed "
                "beyond what was reported. Run again with --debug to see the traceback."
            )
            raise typer.Exit(1) from None


def _debugging(ctx: Any) -> bool:
    return bool(ctx.params.get("debug")) or "--debug" in sys.argv


def reader_gone() -> None:
    """stdout's reader went away: whatever is still buffered goes nowhere, quietly (Python
    would otherwise complain about the pipe once more when it flushes at exit)."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _say(message: str) -> None:
    from mesolog.render.console import said

    said(message.rstrip("\n"))


class Commands(typer.Typer):
    """A Typer application whose commands show their arguments as words in help
    (``mesolog.cli.words.WordsCommand``) unless a command names another class. The root and
    every command group (``patient``, ``course``, ``config``, ``photo``) is one; a group made
    with ``typer.Typer`` shows ``{ID}`` and ``ID <str>``, and tests/test_help_in_words.py fails."""

    def command(
        self, name: str | None = None, *, cls: type[TyperCommand] | None = None, **settings: Any
    ) -> "Callable[[CommandFunctionType], CommandFunctionType]":
        from mesolog.cli.words import WordsCommand

        register = super().command(name, cls=cls or WordsCommand, **settings)
        if self is not app:
            return register

        def only_the_one_running(command: "CommandFunctionType") -> "CommandFunctionType":
            # Typer's own name for a command: the function's, lower case, "_" as "-".
            word = name or command.__name__.lower().replace("_", "-")
            return register(command) if running.registers(word) else command

        return only_the_one_running


app = Commands(
    name="mesolog",
    cls=_Refusals,
    help="A logbook for mesotherapy sessions: one TOML chart per patient, progress at a glance.\n\n"
    'Example: mesolog add P-0042 --area scalp --substance "minoxidil 0.5%:2ml:LOT M1" '
    "--depth 1.5 --technique gun --anaesthetic none",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # never print a patient's data in a traceback
    pretty_exceptions_short=True,
    rich_markup_mode=None,
)
patient_app = Commands(
    help="Create, list and show patients. Example: mesolog patient list", no_args_is_help=True
)
course_app = Commands(
    help="Treatment plans. Example: mesolog course add P-0042 --sessions 6 --interval 14",
    no_args_is_help=True,
)
config_app = Commands(help="The config file. Example: mesolog config show", no_args_is_help=True)
app.add_typer(patient_app, name="patient")
app.add_typer(course_app, name="course")
app.add_typer(config_app, name="config")


@dataclass
class State:
    """The global options of this run: the data folder (``--debug`` is read by _Refusals)."""

    data_dir: str | None = None

    def location(self) -> "Location":
        from mesolog.store import data_location

        return data_location(self.data_dir)

    def clinic(self) -> "Clinic":
        from mesolog.store import Clinic

        clinic = Clinic(self.location().path)
        clinic.finish_interrupted_renames()  # a rename killed half way (docs/rename.md)
        return clinic

    def reading_clinic(self) -> "Clinic":
        """The clinic of a reading command: a data folder that does not exist is refused."""
        clinic = self.clinic()
        clinic.require_folder(self.location().chosen_by)
        return clinic

    def starting_clinic(self) -> "Clinic":
        """The clinic of a command that may start a chart (``patient new``, ``add``): a folder
        named by --data-dir or MESOLOG_DATA_DIR that does not exist is refused like a reading
        command's (a typo in the path must not start a second clinic); the default location
        is created on first use."""
        return self.reading_clinic() if self.location().explicit else self.clinic()

    def config(self) -> "Config":
        from mesolog.render.console import warnings
        from mesolog.store import config, config_location

        settings = config.load(config_location().path)
        warnings(settings.warnings)
        return settings


def state_of(ctx: typer.Context) -> State:
    state = ctx.find_root().obj
    return state if isinstance(state, State) else State()


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"mesolog {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    ctx: typer.Context,
    data_dir: Annotated[
        str | None,
        typer.Option(
            "--data-dir",
            metavar="PATH",
            help="The data folder (else MESOLOG_DATA_DIR, else the platformdirs data folder). "
            "Example: --data-dir ~/clinic",
        ),
    ] = None,
    debug: Annotated[
        bool,
        typer.Option("--debug", help="Show tracebacks of errors. Example: mesolog --debug check"),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_show_version,
            is_eager=True,
            help="Print the version. Example: mesolog --version",
        ),
    ] = False,
) -> None:
    """A logbook for mesotherapy sessions."""
    if data_dir is not None and not data_dir.strip():
        # An unset variable in a script (`--data-dir "$DIR"`) must not fall through to
        # MESOLOG_DATA_DIR or the default clinic and write there.
        from mesolog.errors import MissingValue

        raise MissingValue("--data-dir needs a folder; nothing was read or written.")
    ctx.obj = State(data_dir=data_dir)


# --- shared option parsing ------------------------------------------------------------------


def check_format(ctx: typer.Context) -> None:
    """The command's --format is refused unless it is one of the forms the command makes (the
    table shell completion offers them from)."""
    from mesolog.cli.completion import FORMATS_OF, REPORT_FORMATS
    from mesolog.errors import InvalidValue

    value: str = ctx.params["fmt"]
    allowed = FORMATS_OF.get(ctx.info_name or "", REPORT_FORMATS)
    if value not in allowed:
        raise InvalidValue("format", value, "use one of " + ", ".join(allowed))


def date_window(since: str | None, until: str | None) -> tuple[date | None, date | None]:
    """``--since``/``--until`` as dates; an inverted window is refused, not shown as empty."""
    from mesolog import model

    # Given empty ("--since ''") is refused as a date, never read as "no limit".
    begin = None if since is None else model.parse_date(since, "--since")
    end = None if until is None else model.parse_date(until, "--until")
    if begin and end and begin > end:
        from mesolog.errors import InvalidValue

        raise InvalidValue(
            "--until",
            until,
            f"it is before --since {begin.isoformat()}; give the earlier "
            "date as --since and the later as --until",
        )
    return begin, end


@contextmanager
def summary_index(ctx: typer.Context) -> "Iterator[Any]":
    """The summary cache of this data folder, brought up to date with the files; what the
    practitioner should hear about the folder (a chart's second name, skipped) is said first."""
    from mesolog.render import console
    from mesolog.render.progress import rebuild_progress
    from mesolog.store import cache as summary
    from mesolog.store import cache_location

    clinic = state_of(ctx).reading_clinic()
    with summary.opened(clinic, cache_location().path, rebuild_progress()) as index:
        console.warnings(clinic.notices)
        yield index


def chart_problems(index: Any) -> list[str]:
    """What a clinic-wide answer says once, under it, of the charts' problems: which hold open
    merge conflicts, and each file whose hand edits make writes refuse it (docs/reading.md).
    Read from the open summary cache: no chart is read for it."""
    from mesolog.store.reading import clinic_notes

    return clinic_notes(index.clinic.patients_dir, *index.chart_problems())


def fail_if_left_out(problems: list[tuple[str, str]], listed: bool = False) -> None:
    """After an answer that could not include every chart: exit 1. Each chart was named on
    stderr, or, ``listed``, shown as a "cannot read this chart" row (the overview, `patient
    list`): a script must not take an answer about part of the clinic for the whole."""
    from mesolog.errors import LeftOut

    if problems and listed:
        raise LeftOut(
            f'{len(problems)} chart(s) could not be read (the rows marked "cannot read this '
            'chart" above); run `mesolog check`.'
        )
    if problems:
        raise LeftOut(
            f"the answer above leaves out {len(problems)} chart(s) that could not be read "
            "(named above); run `mesolog check`."
        )


def clinic_overview(
    ctx: typer.Context,
    title: str,
    since: date | None = None,
    until: date | None = None,
    search: str | None = None,
) -> None:
    """The overview; with --since/--until, the patients who had a session in that window; with
    ``search`` (`patient list --search`), those whose details hold the text."""
    from mesolog.model.questions import SessionQuery
    from mesolog.render import clinic as clinic_view

    with summary_index(ctx) as index:
        summaries, problems = index.summaries()
        notes = chart_problems(index)
        if since or until:
            seen = {r.patient_id for r in index.sessions(SessionQuery(since=since, until=until))}
            summaries = [s for s in summaries if s.patient_id in seen]
            title += f", sessions {since or '…'} to {until or 'today'}"
    if search is not None:
        from mesolog.model.finding import patient_matches

        summaries = [s for s in summaries if patient_matches(search, s)]
    show_report(
        ctx,
        lambda form: clinic_view.overview(summaries, problems, date.today(), form, title),
        title,
    )
    from mesolog.render.console import warnings

    warnings(notes)
    fail_if_left_out(problems, listed=True)


def show_report(ctx: typer.Context, draw: "Callable[[str], None]", title: str) -> None:
    """A report on the terminal in the command's --format, or written to its ``--output FILE``
    in the form its extension names (refused when it names none, or not the --format typed; an
    existing file only with --force). Each command declares --format, --output and --force in
    its signature, where Typer reads them, and leaves them to this."""
    output: Path | None = ctx.params.get("output")
    if output is None:
        draw(ctx.params["fmt"])
        return
    from mesolog.cli.options import typed_format
    from mesolog.render.output import captured, file_format
    from mesolog.store.outputs import save_output

    form = file_format(output, typed_format(ctx))
    save_output(output, captured(output, lambda: draw(form), title), bool(ctx.params.get("force")))
    typer.echo(f"Saved to {output}", err=True)
