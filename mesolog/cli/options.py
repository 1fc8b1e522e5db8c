"""Parameters shared by several commands, declared once."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from collections.abc import Callable

    from mesolog.model.drafting import Given


PatientId = Annotated[
    str,
    typer.Argument(
        metavar="ID",
        help="Patient id. Example: P-0042",
        show_default=False,
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
                   *short: str, metavar: str | None = None) -> Any:
    """``--output FILE``, declared once for every command that writes a file: checked as it is
    parsed, no default shown. Every one is written by ``store.outputs.save_output``, which
    never replaces an existing file without ``--force``."""
    return typer.Option(
        "--output", *short, metavar=metavar, callback=check, help=help, show_default=False
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
        help="When it was done: YYYY-MM-DD, today, yesterday, -3d. Example: --date yesterday",
    ),
]
AreaOption = Annotated[
    list[str] | None,
    typer.Option(
        "--area",
        "-a",
        help="Area treated, comma-separated or repeated. Example: --area scalp",
        show_default=False,
    ),
]
IndicationOption = Annotated[
    str | None, typer.Option(help='What it treats. Example: --indication "hair loss"')
]
SubstanceOption = Annotated[
    list[str] | None,
    typer.Option(
        "--substance",
        "-s",
        help='NAME:AMOUNT[:LOT x][:EXP date]; repeat. Example: -s "hyaluronic acid:2ml:LOT A17"',
        show_default=False,
    ),
]
DepthOption = Annotated[
    str | None,
    typer.Option(help="Needle depth in mm (0.1-13; 1-4 is dermal). Example: --depth 1.5"),
]
TechniqueOption = Annotated[str | None, typer.Option(help="gun or hand. Example: --technique gun")]
MethodOption = Annotated[
    str | None,
    typer.Option(
        help="nappage, papule, point-by-point, linear, depot, ... Example: --method nappage"
    ),
]
AngleOption = Annotated[
    int | None, typer.Option(help="Needle angle in degrees (0-90). Example: --angle 45")
]
GaugeOption = Annotated[int | None, typer.Option(help="Needle gauge (27-34). Example: --gauge 30")]
NeedleLengthOption = Annotated[
    str | None, typer.Option(help="Needle length in mm. Example: --needle-length 4")
]
PointsOption = Annotated[
    int | None, typer.Option(help="Number of injection points. Example: --points 40")
]
AnaestheticOption = Annotated[
    str | None,
    typer.Option(help='"none" or what was used. Example: --anaesthetic "topical cream"'),
]
DurationOption = Annotated[int | None, typer.Option(help="Minutes. Example: --duration 25")]
MeasureOption = Annotated[
    list[str] | None,
    typer.Option(
        help="NAME=NUMBER, unit in the name; repeat. Example: --measure waist_cm=82.5",
        show_default=False,
    ),
]
NoteOption = Annotated[
    str | None, typer.Option(help='Free notes. Example: --note "tolerated well"')
]
PractitionerOption = Annotated[
    str | None,
    typer.Option(help='Who did it (default from config). Example: --practitioner "Dr. L. Moreau"'),
]
CourseOption = Annotated[
    str | None,
    typer.Option(
        help="The course it belongs to (add: default the current one). Example: --course hair-2026"
    ),
]
ConsentOption = Annotated[
    str | None,
    typer.Option(help='Reference to the signed consent. Example: --consent "form 2026-11-02"'),
]
PhotoOption = Annotated[
    list[str] | None,
    typer.Option(
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
    "remove_substance": "remove_substances",
    "resolve_complication": "resolve_complications",
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
