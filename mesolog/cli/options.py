"""Parameters shared by several commands, declared once."""

import inspect
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from mesolog.cli import completion, conversion, words

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from mesolog.model.drafting import Given
    from mesolog.model.fields import Entry

    # What checks an --output as it is parsed: the name, or a refusal.
    OutputCheck = Callable[[typer.Context, Path | None], Path | None]

Command = TypeVar("Command", bound="Callable[..., None]")


def patient_argument(help: str) -> Any:
    """A patient id argument: completed from the clinic's ids, and read as the chart files it
    (``words.stored_id``)."""
    return typer.Argument(
        metavar="ID",
        help=help,
        callback=words.stored_id,
        shell_complete=completion.patients,
    )


PatientId = Annotated[str, patient_argument("Patient id. Example: P-0042")]
SessionNumber = Annotated[
    int,
    typer.Argument(
        metavar="SESSION",
        help="Session number. Example: 3",
        parser=conversion.whole_number("session", "Example: 3"),
        shell_complete=completion.sessions,
    ),
]
SinceOption = Annotated[
    str | None,
    typer.Option(metavar="DATE", help="Only sessions from this date. Example: --since 2026-01-01"),
]
UntilOption = Annotated[
    str | None,
    typer.Option(metavar="DATE", help="Only sessions up to this date. Example: --until 2026-06-30"),
]


def format_option(help: str) -> Any:
    """``--format`` / ``-f``, completed with the forms of the command it is given to."""
    return typer.Option(
        "--format", "-f", metavar="FORMAT", help=help, shell_complete=completion.formats
    )


FormatOption = Annotated[str, format_option("table, json, csv or markdown. Example: --format json")]


def flag(name: str, help: str, example: str = "") -> Any:
    """An option that is on when given: named, so that Typer makes no ``--no-`` form of it; its
    help ends with its example, the flag itself unless ``example`` says more."""
    return typer.Option(name, help=f"{help} Example: {example or name}")


def whole_option(option: str, metavar: str, help: str) -> Any:
    """An option that takes a whole number: anything else is refused in one sentence naming it."""
    parser = conversion.whole_number(option, help)
    return typer.Option(option, metavar=metavar, parser=parser, help=help)


def by_option(who: str) -> Any:
    """``--by NAME``: who makes a change (``who`` says it: "amends", "voids"...)."""
    return typer.Option(
        metavar="NAME", help=f'Who {who} (default from config). Example: --by "Dr. L. Moreau"'
    )


def reason_option(example: str, required: bool = True) -> Any:
    """``--reason TEXT``, kept in the trail: required by a correction, optional in an edit."""
    why = "required" if required else "kept in the trail"
    return typer.Option(metavar="TEXT", help=f'Why ({why}). Example: --reason "{example}"')


def typed_format(ctx: typer.Context) -> str | None:
    """The --format typed on the command line; None when it was left to its default (a file's
    ending then chooses the form)."""
    source = ctx.get_parameter_source("fmt")
    return ctx.params.get("fmt") if source is not None and source.name == "COMMANDLINE" else None


def _output_checked(ctx: typer.Context, value: Path | None) -> Path | None:
    """Refuse a file the report cannot be written as before anything is read (and again,
    with the --format typed after it, when the report is written)."""
    if value is not None and not ctx.resilient_parsing:
        from mesolog.render import output

        output.file_format(value, typed_format(ctx))
    return value


def _refused_output(wrong: "Callable[[Path], bool]", why: str) -> "OutputCheck":
    """The check of an --output that refuses, before anything is read, a name that is ``wrong``
    for the command, saying ``why``."""

    def check(ctx: typer.Context, value: Path | None) -> Path | None:
        if value is not None and not ctx.resilient_parsing and wrong(value):
            from mesolog.errors import InvalidValue

            raise InvalidValue("--output", str(value), why)
        return value

    return check


# The summary is a web page: a name that does not end in .html is refused.
_page_checked = _refused_output(
    lambda path: path.suffix.lower() not in (".html", ".htm"),
    "the summary is a web page: end the name in .html",
)
# `export --format fhir-ndjson` writes a folder of files: an existing file named is refused.
_folder_checked = _refused_output(
    Path.is_file,
    "it is a file; --output names the folder --format fhir-ndjson writes its files into "
    "(other formats print: redirect them, e.g. mesolog export --format csv > FILE)",
)


def _output_option(help: str, check: "OutputCheck", *short: str, metavar: str = "FILE") -> Any:
    """``--output FILE``, declared once for every command that writes a file: checked as it is
    parsed, no default shown. Every one is written by ``store.outputs`` (``save_output``, or
    ``save_lines`` for a folder), which never replaces an existing file without ``--force``."""
    return typer.Option(
        "--output",
        *short,
        metavar=metavar,
        parser=conversion.file_name("--output"),
        callback=check,
        help=help,
    )


OutputOption = Annotated[
    Path | None,
    _output_option(
        "Write the report to FILE instead; its ending chooses the form: .html, .svg, .txt, "
        ".md, .csv or .json. Example: --output due.csv",
        _output_checked,
    ),
]
ForceOption = Annotated[bool, flag("--force", "With --output: replace the file if it exists.")]
# `summary` always writes a file (ID-summary-DATE.html unless told where): the same two
# options in its own words.
PageOutputOption = Annotated[
    Path | None,
    _output_option(
        "Where to write the page (default: ID-summary-DATE.html here). Example: --output ana.html",
        _page_checked,
        "-o",
        metavar="FILE.html",
    ),
]
PageForceOption = Annotated[bool, flag("--force", "Replace the file if it exists.")]
# `export --format fhir-ndjson` writes a folder: one .ndjson file a resource type.
FolderOutputOption = Annotated[
    Path | None,
    _output_option(
        "With --format fhir-ndjson: the folder for one .ndjson file a resource type (made if "
        "missing). Example: --output bulk",
        _folder_checked,
        "-o",
        metavar="DIR",
    ),
]
FolderForceOption = Annotated[
    bool, flag("--force", "With --output: replace the .ndjson files there.")
]


# --- the fields of a session: declared once, on the record (model.fields) -----------------------


def complication_option(option: str) -> Any:
    """A complication as ``add --complication`` and ``amend --add-complication`` take it."""
    return typer.Option(
        metavar="COMPLICATION",
        shell_complete=completion.complications,
        help="NAME, then optionally :SEVERITY :onset=DATE :resolved=DATE :outcome=WORD "
        "(resolved, recovering, ongoing...); repeat. "
        f"Example: --{option} bruising:mild:onset=2026-11-03:outcome=resolved",
    )


# A repeated option is singular (it is given once per value) and fills the plural ``Given``
# field (--zone, zones); amend's --add-complication adds to the complications.
_ADDED_TO = {"add_complication": "complications"}


def keyword_options(
    options: "Callable[[], Iterable[tuple[str, Any, object]]]",
) -> "Callable[[Command], Command]":
    """Give a command the options ``options()`` makes (each a name, an ``Annotated`` type and a
    default), between its own positional parameters and its keyword-only ones; the command
    takes them as ``**`` keywords. They are made only when the command is registered in this
    run (``add`` runs: ``amend``'s forty options are never built)."""

    def with_options(command: "Command") -> "Command":
        from mesolog.cli import running

        if not running.registers(command.__name__):
            return command
        own = list(inspect.signature(command).parameters.values())
        keyword = inspect.Parameter.KEYWORD_ONLY
        added = [
            inspect.Parameter(name, keyword, default=default, annotation=annotation)
            for name, annotation, default in options()
        ]
        parameters = [
            *(p for p in own if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD),
            *added,
            *(p for p in own if p.kind is keyword),
        ]
        # The signature inspect (and so Typer) reads; mypy knows no such attribute of a Callable.
        setattr(command, "__signature__", inspect.Signature(parameters))  # noqa: B010
        return command

    return with_options


def session_options(**defaults: object) -> "Callable[[Command], Command]":
    """Every option of the session's table, in the record's order (``add`` and ``amend`` take
    the same options; ``defaults`` are the command's own, e.g. ``add``'s date "today"). The
    command takes them as ``**fields`` and reads them through :func:`given_from`."""

    def options() -> "Iterator[tuple[str, Any, object]]":
        from mesolog.model.records import TABLE

        for entry in TABLE:
            name = entry.spec.parameter
            yield name, _option_annotation(entry), defaults.get(name)

    return keyword_options(options)


def _option_annotation(entry: "Entry") -> Any:
    """``Annotated[type | None, typer.Option(...)]`` of one field of the table: a whole number
    comes as an int, a repeated option as a list of texts, anything else as text (the model's
    parser reads decimal commas and dates)."""
    spec = entry.spec
    typed: Any = list[str] if entry.many else int if entry.whole else str
    names = [spec.option, *([spec.short] if spec.short else [])]
    option = typer.Option(
        *names,
        metavar=spec.metavar,
        help=spec.help,
        show_default=not entry.many,
        parser=conversion.whole_number(spec.option, spec.help) if entry.whole else None,
        # A field completes from the completer named for its plural, where there is one
        # (--area from completion.areas, --course from completion.courses).
        shell_complete=getattr(completion, f"{spec.parameter}s", None),
    )
    return Annotated[typed | None, option]


def given_from(params: dict[str, object]) -> "Given":
    """What the command line gave for a session, as the drafting function takes it: the
    table's plain fields (model.fields) by their name, the others into ``Given``'s own."""
    from dataclasses import fields

    from mesolog.model.drafting import Given
    from mesolog.model.records import PLAIN

    names = {f.name for f in fields(Given)}
    plain_by_option = {entry.spec.parameter: entry.name for entry in PLAIN}
    values: dict[str, object] = {}
    typed: dict[str, object] = {}
    for param, value in params.items():
        name = _ADDED_TO.get(param) or (param if param in names else f"{param}s")
        if param in plain_by_option:
            typed[plain_by_option[param]] = value
        elif name in names and value is not None:
            values[name] = tuple(value) if isinstance(value, list) else value
    return Given(**values, plain=typed)  # type: ignore[arg-type]
