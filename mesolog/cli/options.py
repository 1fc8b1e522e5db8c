"""Parameters shared by several commands, declared once."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mesolog.cli import completion, conversion, words

if TYPE_CHECKING:
    from collections.abc import Callable

    from mesolog.model.drafting import Given


PatientId = Annotated[
    str,
    typer.Argument(
        metavar="ID",
        help="Patient id. Example: P-0042",
        show_default=False,
        callback=words.stored_id,
        shell_complete=completion.patients,
    ),
]
SessionNumber = Annotated[
    int,
    typer.Argument(
        metavar="SESSION",
        help="Session number. Example: 3",
        show_default=False,
        parser=conversion.whole_number("session"),
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
FormatOption = Annotated[
    str,
    typer.Option(
        "--format",
        "-f",
        metavar="FORMAT",
        help="table, json, csv or markdown. Example: --format json",
        shell_complete=completion.formats,
    ),
]


def _output_checked(ctx: typer.Context, value: Path | None) -> Path | None:
    """Refuse a file the report cannot be written as before anything is read (and again,
    with the --format typed after it, when the report is written)."""
    if value is not None and not ctx.resilient_parsing:
        from mesolog.render import output

        source = ctx.get_parameter_source("fmt")
        typed = (
            ctx.params.get("fmt") if source is not None and source.name == "COMMANDLINE" else None
        )
        output.file_format(value, typed)
    return value


def _page_checked(ctx: typer.Context, value: Path | None) -> Path | None:
    """The summary is a web page: a name that does not end in .html is refused before anything
    is read."""
    if value is not None and not ctx.resilient_parsing and value.suffix.lower() not in (".html", ".htm"):
        from mesolog.errors import InvalidValue

        raise InvalidValue("--output", str(value), "the summary is a web page: end the name in .html")
    return value


def _output_option(help: str, check: "Callable[[typer.Context, Path | None], Path | None]",
                   *short: str, metavar: str = "FILE") -> Any:
    """``--output FILE``, declared once for every command that writes a file: checked as it is
    parsed, no default shown. Every one is written by ``store.outputs.save_output``, which
    never replaces an existing file without ``--force``."""
    return typer.Option(
        "--output",
        *short,
        metavar=metavar,
        parser=conversion.file_name("--output"),
        callback=check,
        help=help,
        show_default=False,
    )


def _force_option(help: str) -> Any:
    return typer.Option("--force", help=help)


OutputOption = Annotated[
    Path | None,
    _output_option(
        "Write the report to FILE instead; its ending chooses the form: .html, .svg, .txt, "
        ".md, .csv or .json. Example: --output due.csv",
        _output_checked,
    ),
]
ForceOption = Annotated[
    bool, _force_option("With --output: replace the file if it exists. Example: --force")
]
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
PageForceOption = Annotated[bool, _force_option("Replace the file if it exists. Example: --force")]


# --- the fields of a session: one declaration for add and amend ---------------------------------
# The same option names and the same parsing on both (amend replaces what it is given). The
# values go to the drafting function through ``given_from``, which names them as ``Given`` does.

DateOption = Annotated[
    str | None,
    typer.Option(
        "--date",
        metavar="DATE",
        help="When it was done: YYYY-MM-DD, today, yesterday, -3d. Example: --date yesterday",
    ),
]
AreaOption = Annotated[
    list[str] | None,
    typer.Option(
        "--area",
        "-a",
        metavar="AREA",
        shell_complete=completion.areas,
        help="Area treated, comma-separated or repeated. Example: --area scalp",
        show_default=False,
    ),
]
IndicationOption = Annotated[
    str | None,
    typer.Option(
        metavar="INDICATION",
        help='What it treats. Example: --indication "hair loss"',
        shell_complete=completion.indications,
    ),
]
SubstanceOption = Annotated[
    list[str] | None,
    typer.Option(
        "--substance",
        "-s",
        metavar="SUBSTANCE",
        shell_complete=completion.substances,
        help='NAME:AMOUNT[:LOT x][:EXP date]; repeat. Example: -s "hyaluronic acid:2ml:LOT A17"',
        show_default=False,
    ),
]
DepthOption = Annotated[
    str | None,
    typer.Option(metavar="MM", help="Needle depth in mm (0.1-13; 1-4 is dermal). Example: --depth 1.5"),
]
TechniqueOption = Annotated[
    str | None,
    typer.Option(
        metavar="TECHNIQUE",
        help="gun or hand. Example: --technique gun",
        shell_complete=completion.techniques,
    ),
]
MethodOption = Annotated[
    str | None,
    typer.Option(
        metavar="METHOD",
        help="nappage, papule, point-by-point, linear, depot, ... Example: --method nappage",
        shell_complete=completion.methods,
    ),
]
AngleOption = Annotated[
    int | None,
    typer.Option(
        metavar="DEGREES",
        parser=conversion.whole_number("--angle"),
        help="Needle angle in degrees (0-90). Example: --angle 45",
    ),
]
GaugeOption = Annotated[
    int | None,
    typer.Option(
        metavar="GAUGE",
        parser=conversion.whole_number("--gauge"),
        help="Needle gauge (27-34). Example: --gauge 30",
    ),
]
NeedleLengthOption = Annotated[
    str | None, typer.Option(metavar="MM", help="Needle length in mm. Example: --needle-length 4")
]
PointsOption = Annotated[
    int | None,
    typer.Option(
        metavar="N",
        parser=conversion.whole_number("--points"),
        help="Number of injection points. Example: --points 40",
    ),
]
AnaestheticOption = Annotated[
    str | None,
    typer.Option(
        metavar="WHAT",
        help='"none" or what was used. Example: --anaesthetic "topical cream"',
        shell_complete=completion.anaesthetics,
    ),
]
DurationOption = Annotated[
    int | None,
    typer.Option(
        metavar="MINUTES",
        parser=conversion.whole_number("--duration"),
        help="Minutes. Example: --duration 25",
    ),
]
MeasureOption = Annotated[
    list[str] | None,
    typer.Option(
        metavar="NAME=NUMBER",
        help="NAME=NUMBER, unit in the name; repeat. Example: --measure waist_cm=82.5",
        show_default=False,
    ),
]
NoteOption = Annotated[
    str | None, typer.Option(metavar="TEXT", help='Free notes. Example: --note "tolerated well"')
]
PractitionerOption = Annotated[
    str | None,
    typer.Option(metavar="NAME", help='Who did it (default from config). Example: --practitioner "Dr. L. Moreau"'),
]
CourseOption = Annotated[
    str | None,
    typer.Option(
        metavar="COURSE",
        help="The course it belongs to (add: default the current one). Example: --course hair-2026",
        shell_complete=completion.courses,
    ),
]
ConsentOption = Annotated[
    str | None,
    typer.Option(metavar="TEXT", help='Reference to the signed consent. Example: --consent "form 2026-11-02"'),
]
PhotoOption = Annotated[
    list[str] | None,
    typer.Option(
        metavar="FILE",
        help="Photo path relative to the data folder; repeat. Example: --photo photos/P-0042/before.jpg",
        show_default=False,
    ),
]
COMPLICATION_HELP = (
    "NAME, then optionally :SEVERITY :onset=DATE :resolved=DATE :outcome=WORD "
    "(resolved, recovering, ongoing...); repeat. "
    "Example: --{option} bruising:mild:onset=2026-11-03:outcome=resolved"
)

# Parameter name -> the ``Given`` field it fills, where the two differ (an option is singular
# because it is repeated once per value).
_GIVEN_FIELD = {
    "when": "date",
    "area": "areas",
    "substance": "substances",
    "complication": "complications",
    "add_complication": "complications",
    "remove_complication": "remove_complications",
    "measure": "measures",
    "photo": "photos",
}


def given_from(params: dict[str, object]) -> "Given":
    """What the command line gave for a session, as the drafting function takes it; the
    fields come from ``Given`` itself, so a new field needs no second list here."""
    from dataclasses import fields

    from mesolog.model.drafting import Given

    names = {f.name for f in fields(Given)}
    values: dict[str, object] = {}
    for param, value in params.items():
        name = _GIVEN_FIELD.get(param, param)
        if name in names and value is not None:
            values[name] = tuple(value) if isinstance(value, list) else value
    return Given(**values)  # type: ignore[arg-type]
