"""The ``mesolog`` command: parse, prompt, call the core, render. The only module that knows Typer.

Start-up matters (a practitioner runs this dozens of times a day), so everything beyond Typer
is imported inside the command that needs it.
"""

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from mesolog import __version__

if TYPE_CHECKING:
    from mesolog.config import Config
    from mesolog.model import Chart, Session
    from mesolog.store import Clinic, Location


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
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
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
            if _debugging(ctx) or type(error).__module__.startswith("typer"):
                raise
            _say(
                f"mesolog: unexpected internal error ({type(error).__name__}); nothing was changed "
                "beyond what was reported. Run again with --debug to see the traceback."
            )
            raise typer.Exit(1) from None


def _debugging(ctx: Any) -> bool:
    return bool(ctx.params.get("debug")) or "--debug" in sys.argv


def _say(message: str) -> None:
    sys.stderr.write(message.rstrip("\n") + "\n")


app = typer.Typer(
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
patient_app = typer.Typer(
    help="Create, list and show patients. Example: mesolog patient list", no_args_is_help=True
)
course_app = typer.Typer(
    help="Treatment plans. Example: mesolog course add P-0042 --sessions 6 --interval 14",
    no_args_is_help=True,
)
config_app = typer.Typer(help="The config file. Example: mesolog config show", no_args_is_help=True)
app.add_typer(patient_app, name="patient")
app.add_typer(course_app, name="course")
app.add_typer(config_app, name="config")


@dataclass
class State:
    data_dir: str | None = None
    debug: bool = False

    def location(self) -> "Location":
        from mesolog.store import data_location

        return data_location(self.data_dir)

    def clinic(self) -> "Clinic":
        from mesolog.store import Clinic

        return Clinic(self.location().path)

    def config(self) -> "Config":
        from mesolog import config
        from mesolog.store import config_location

        return config.load(config_location().path)


# --- shell completion: ids, areas, substances and lots from the data ---------------------------


def _completing(ctx: typer.Context) -> State:
    # The root callback does not run while completing; read --data-dir from the parsed params.
    return State(data_dir=ctx.find_root().params.get("data_dir"))


def _starting(words: list[str], incomplete: str) -> list[str]:
    return [w for w in words if w.lower().startswith(incomplete.lower())]


def complete_patient(ctx: typer.Context, incomplete: str) -> list[str]:
    try:
        return _starting(_completing(ctx).clinic().ids(), incomplete)
    except Exception:  # completion must never print an error into the shell
        return []


def complete_area(ctx: typer.Context, incomplete: str) -> list[str]:
    try:
        return _starting(sorted(_completing(ctx).config().vocabulary().areas), incomplete)
    except Exception:
        return []


def complete_substance(ctx: typer.Context, incomplete: str) -> list[str]:
    try:
        state = _completing(ctx)
        with _index_of(state) as index:
            used = index.substance_names()
        return _starting(
            sorted(set(used) | set(state.config().vocabulary().substances)), incomplete
        )
    except Exception:
        return []


def complete_lot(ctx: typer.Context, incomplete: str) -> list[str]:
    try:
        with _index_of(_completing(ctx)) as index:
            return _starting(index.lots(), incomplete)
    except Exception:
        return []


def _state(ctx: typer.Context) -> State:
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
            help="The data folder (else MESOLOG_DATA_DIR, else the platformdirs data folder). "
            "Example: --data-dir ~/clinic",
            show_default=False,
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
    ctx.obj = State(data_dir=data_dir, debug=debug)


# --- shared option parsing ------------------------------------------------------------------


def _format(value: str, allowed: tuple[str, ...]) -> str:
    from mesolog.errors import InvalidValue

    if value not in allowed:
        raise InvalidValue("format", value, "use one of " + ", ".join(allowed))
    return value


def _optional_date(text: str | None, field: str) -> date | None:
    from mesolog import model

    return model.parse_date(text, field) if text else None


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


# --- patients ---------------------------------------------------------------------------------


@patient_app.command("new")
def patient_new(
    ctx: typer.Context,
    patient_id: Annotated[
        str, typer.Argument(metavar="ID", help="Pseudonymous id, e.g. P-0042.", show_default=False)
    ],
    name: Annotated[str | None, typer.Option(help='Full name. Example: --name "Ana Ruiz"')] = None,
    birth_year: Annotated[int | None, typer.Option(help="Example: --birth-year 1986")] = None,
    sex: Annotated[
        str | None, typer.Option(help="female, male or other. Example: --sex female")
    ] = None,
    note: Annotated[
        str | None, typer.Option(help='Free note. Example: --note "referred by Dr. X"')
    ] = None,
    course: Annotated[
        str | None, typer.Option(help="Start a course with this name. Example: --course hair-2026")
    ] = None,
    indication: Annotated[
        str | None, typer.Option(help='Course indication. Example: --indication "hair loss"')
    ] = None,
    sessions: Annotated[
        int | None, typer.Option(help="Planned sessions of the course. Example: --sessions 6")
    ] = None,
    interval: Annotated[
        int | None, typer.Option(help="Days between sessions. Example: --interval 14")
    ] = None,
    start: Annotated[
        str | None, typer.Option(help="Course start (default today). Example: --start 2026-11-02")
    ] = None,
) -> None:
    """Create a patient chart. Example: mesolog patient new P-0042 --name "Ana Ruiz" --birth-year 1986"""
    from mesolog import model
    from mesolog import vocabulary as vocab
    from mesolog.model import Patient

    model.check_patient_id(patient_id)
    if birth_year is not None:
        model.whole(birth_year, "birth year", 1900, date.today().year)
    if sex is not None:
        sex = model.choice(sex, "sex", vocab.SEXES)
    courses, notes = _course_from_options(course, indication, sessions, interval, start)
    patient = Patient(
        id=patient_id, created=model.now(), name=name, birth_year=birth_year, sex=sex, note=note
    )
    path = _state(ctx).clinic().new_patient(patient, courses)
    from mesolog import render

    render.warnings(notes)
    typer.echo(f"Patient {patient_id} created: {path}")


def _course_from_options(
    name: str | None,
    indication: str | None,
    sessions: int | None,
    interval: int | None,
    start: str | None,
    required: bool = False,
) -> tuple[tuple[Any, ...], list[str]]:
    from mesolog import model
    from mesolog.errors import MissingFields

    if not any((name, sessions, interval, start)) and not required:
        return (), []
    missing = [
        flag
        for flag, value in (("--sessions", sessions), ("--interval", interval))
        if value is None
    ]
    if missing:
        raise MissingFields(missing)
    assert sessions is not None and interval is not None
    notes: list[str] = []
    canon = None
    if indication:
        canon, notes = model.indication(indication)
    begin = model.parse_date(start, "start") if start else date.today()
    course = model.make_course(name, sessions, interval, begin, canon)
    return (course,), notes + model.course_warnings(course)


@patient_app.command("list")
def patient_list(ctx: typer.Context, fmt: FormatOption = "table") -> None:
    """One row per patient: id, name, sessions, last session, next due. Example: mesolog patient list"""
    _clinic_overview(ctx, _format(fmt, ("table", "json", "csv", "markdown")), "Patients")


@patient_app.command("show")
def patient_show(
    ctx: typer.Context,
    patient_id: PatientId,
) -> None:
    """A patient's details and courses. Example: mesolog patient show P-0042"""
    from mesolog import render
    from mesolog.store import read_chart_file

    path = _state(ctx).clinic().path(patient_id)
    chart, _ = read_chart_file(path)
    render.patient_card(chart, path, date.today())


@course_app.command("add")
def course_add(
    ctx: typer.Context,
    patient_id: PatientId,
    sessions: Annotated[
        int, typer.Option(help="Planned sessions. Example: --sessions 6", show_default=False)
    ],
    interval: Annotated[
        int, typer.Option(help="Days between sessions. Example: --interval 14", show_default=False)
    ],
    name: Annotated[
        str | None,
        typer.Option(help="Course name (default: indication-year). Example: --name hair-2026"),
    ] = None,
    indication: Annotated[
        str | None, typer.Option(help='Example: --indication "hair loss"')
    ] = None,
    start: Annotated[
        str | None, typer.Option(help="Start date (default today). Example: --start 2026-11-02")
    ] = None,
) -> None:
    """Add a treatment plan to a patient. Example: mesolog course add P-0042 --sessions 6 --interval 14 --indication "hair loss" """
    from mesolog import render

    courses, notes = _course_from_options(
        name, indication, sessions, interval, start, required=True
    )
    path = _state(ctx).clinic().add_course(patient_id, courses[0])
    render.warnings(notes)
    typer.echo(f"Course {courses[0].name} added to {patient_id}: {path}")


# --- add --------------------------------------------------------------------------------------


@app.command()
def add(
    ctx: typer.Context,
    patient_id: PatientId,
    when: Annotated[
        str,
        typer.Option(
            "--date",
            help="When it was done: YYYY-MM-DD, today, yesterday, -3d. Example: --date yesterday",
        ),
    ] = "today",
    area: Annotated[
        list[str] | None,
        typer.Option(
            "--area",
            "-a",
            help="Area treated; repeat for several. Example: --area scalp",
            show_default=False,
            autocompletion=complete_area,
        ),
    ] = None,
    indication: Annotated[
        str | None, typer.Option(help='Example: --indication "hair loss"')
    ] = None,
    substance: Annotated[
        list[str] | None,
        typer.Option(
            "--substance",
            "-s",
            help='NAME:AMOUNT[:LOT x][:EXP date]; repeat. Example: -s "hyaluronic acid:2ml:LOT A17"',
            show_default=False,
            autocompletion=complete_substance,
        ),
    ] = None,
    depth: Annotated[
        str | None,
        typer.Option(help="Needle depth in mm (0-13; 1-4 is dermal). Example: --depth 1.5"),
    ] = None,
    technique: Annotated[
        str | None, typer.Option(help="gun or hand. Example: --technique gun")
    ] = None,
    method: Annotated[
        str | None,
        typer.Option(
            help="nappage, papule, point-by-point, linear, depot, ... Example: --method nappage"
        ),
    ] = None,
    angle: Annotated[
        int | None, typer.Option(help="Needle angle in degrees (0-90). Example: --angle 45")
    ] = None,
    gauge: Annotated[
        int | None, typer.Option(help="Needle gauge (27-34). Example: --gauge 30")
    ] = None,
    needle_length: Annotated[
        float | None, typer.Option(help="Needle length in mm. Example: --needle-length 4")
    ] = None,
    points: Annotated[
        int | None, typer.Option(help="Number of injection points. Example: --points 40")
    ] = None,
    anaesthetic: Annotated[
        str | None,
        typer.Option(help='"none" or what was used. Example: --anaesthetic "topical cream"'),
    ] = None,
    duration: Annotated[int | None, typer.Option(help="Minutes. Example: --duration 25")] = None,
    complication: Annotated[
        list[str] | None,
        typer.Option(
            help="NAME[:SEVERITY]; repeat. Example: --complication bruising:mild",
            show_default=False,
        ),
    ] = None,
    measure: Annotated[
        list[str] | None,
        typer.Option(
            help="NAME=NUMBER, unit in the name; repeat. Example: --measure waist_cm=82.5",
            show_default=False,
        ),
    ] = None,
    note: Annotated[
        str | None, typer.Option(help='Free notes. Example: --note "tolerated well"')
    ] = None,
    practitioner: Annotated[
        str | None,
        typer.Option(
            help='Who did it (default from config). Example: --practitioner "Dr. L. Moreau"'
        ),
    ] = None,
    course: Annotated[
        str | None,
        typer.Option(
            help="Course this session belongs to (default: the current one). Example: --course hair-2026"
        ),
    ] = None,
    consent: Annotated[
        str | None,
        typer.Option(help='Reference to the signed consent. Example: --consent "form 2026-11-02"'),
    ] = None,
    photo: Annotated[
        list[str] | None,
        typer.Option(
            help="Photo path relative to the data folder; repeat. Example: --photo photos/P-0042/before.jpg",
            show_default=False,
        ),
    ] = None,
    like_last: Annotated[
        bool,
        typer.Option(
            "--like-last",
            help="Repeat the last session's protocol; options given override it. Example: --like-last",
        ),
    ] = False,
    no_input: Annotated[
        bool,
        typer.Option(
            "--no-input", help="Never ask; fail naming every missing field. Example: --no-input"
        ),
    ] = False,
    interactive: Annotated[
        bool,
        typer.Option(
            "--interactive",
            help="Ask for missing fields even when input is piped. Example: --interactive",
        ),
    ] = False,
    new_patient: Annotated[
        bool,
        typer.Option(
            "--new-patient", help="Create the patient if the id is new. Example: --new-patient"
        ),
    ] = False,
) -> None:
    """Record a session. Example: mesolog add P-0042 --area scalp -s "minoxidil 0.5%:2ml:LOT M1" --depth 1.5 --technique gun --anaesthetic none"""
    from mesolog import model, render
    from mesolog.errors import UnknownPatient
    from mesolog.model import Patient, Session

    state = _state(ctx)
    clinic = state.clinic()
    settings = state.config()
    words = settings.vocabulary()
    model.check_patient_id(patient_id)
    path = clinic.find(patient_id)
    chart: Chart | None = None
    if path is None:
        if not new_patient:
            clinic.path(patient_id)  # raises with "did you mean"
            raise UnknownPatient(f"no patient {patient_id!r}")
    else:
        from mesolog.store import read_chart_file

        chart, _ = read_chart_file(path)
    last = chart.last_session if chart else None
    base = last if like_last else None
    if like_last and last is None:
        from mesolog.errors import InvalidValue

        raise InvalidValue("--like-last", patient_id, "this patient has no earlier session to copy")
    ask = not no_input and (interactive or sys.stdin.isatty())
    notes: list[str] = []
    today = date.today()

    day = model.past_date(when, "date", today)
    areas: list[str] = []
    for given in area or []:
        for word in given.split(","):
            value, more = model.area(word, words)
            areas.append(value)
            notes += more
    substances = []
    for spec in substance or []:
        item, more = model.substance(spec, words)
        substances.append(item)
        notes += more
    depth_mm = None
    if depth is not None:
        depth_mm, more = model.depth(depth)
        notes += more
    tech = model.technique(technique) if technique else None
    anaes = words.anaesthetic(anaesthetic) if anaesthetic else None
    method_v = model.choice(method, "method", _methods()) if method else None
    complications = []
    for spec in complication or []:
        item_c, more = model.complication(spec, words, today)
        complications.append(item_c)
        notes += more
    measurements = dict(model.measurement(m) for m in measure or [])

    # What was not given: the last session's protocol (--like-last), the config, or a prompt.
    if base:
        areas = areas or list(base.areas)
        substances = substances or list(base.substances)
        depth_mm = depth_mm if depth_mm is not None else base.depth_mm
        tech = tech or base.technique
        anaes = anaes or base.anaesthetic
        method_v = method_v or base.method
        angle = angle if angle is not None else base.angle_deg
        gauge = gauge if gauge is not None else base.needle_gauge
        needle_length = needle_length if needle_length is not None else base.needle_length_mm
        points = points if points is not None else base.points
        duration = duration if duration is not None else base.duration_min
    tech = tech or settings.technique
    anaes = anaes or (words.anaesthetic(settings.anaesthetic) if settings.anaesthetic else None)
    if ask:
        answers = _ask_missing(
            chart,
            last,
            words,
            areas=areas,
            substances=substances,
            depth_mm=depth_mm,
            technique=tech,
            anaesthetic=anaes,
        )
        areas, substances, depth_mm, tech, anaes = answers
    missing = [
        name
        for name, value in (
            ("area", areas),
            ("substance", substances),
            ("depth", depth_mm),
            ("technique", tech),
            ("anaesthetic", anaes),
        )
        if value in (None, [], "")
    ]
    if missing:
        from mesolog.errors import MissingFields

        raise MissingFields(missing)
    assert depth_mm is not None and tech is not None and anaes is not None

    course_name = course or (base.course if base else None)
    if course_name is None and chart is not None and chart.courses:
        from mesolog.progress import next_due

        current = next_due(chart)
        if current and not current.complete:
            course_name = current.course.name
    if course_name and chart is not None and chart.course(course_name):
        course_name = chart.course(course_name).name  # type: ignore[union-attr]
    indication_v = None
    if indication:
        indication_v, more = model.indication(indication, words)
        notes += more
    elif base and base.indication:
        indication_v = base.indication
    elif course_name and chart is not None and (c := chart.course(course_name)):
        indication_v = c.indication
    elif last:
        indication_v = last.indication

    draft = Session(
        id=0,
        date=day,
        recorded=model.now(),
        areas=tuple(dict.fromkeys(areas)),
        technique=tech,
        depth_mm=depth_mm,
        anaesthetic=anaes,
        substances=tuple(substances),
        practitioner=practitioner or settings.practitioner or (base.practitioner if base else ""),
        course=course_name,
        indication=indication_v,
        method=method_v,
        angle_deg=angle,
        needle_gauge=gauge,
        needle_length_mm=needle_length,
        points=points,
        consent=consent,
        photos=tuple(photo or ()),
        duration_min=duration,
        notes=note or "",
        complications=tuple(complications),
        measurements=measurements,
    )
    model.validate_session(draft, today)
    if chart is None:
        from contextlib import suppress

        from mesolog.errors import PatientExists

        # Created a moment ago by another practitioner? Then the session goes to that chart.
        with suppress(PatientExists):
            clinic.new_patient(Patient(id=patient_id, created=model.now()))
    stored, saved_to = clinic.add_session(patient_id, draft, today)
    render.session_stored(patient_id if chart is None else chart.patient.id, stored, saved_to)
    render.warnings(notes + model.session_warnings(stored) + clinic.notices)


def _ask_missing(
    chart: "Chart | None",
    last: "Session | None",
    words: Any,
    areas: list[str],
    substances: list[Any],
    depth_mm: float | None,
    technique: str | None,
    anaesthetic: str | None,
) -> tuple[list[str], list[Any], float | None, str | None, str | None]:
    """Ask, in a terminal, for each required field not given; defaults are this patient's last
    values, and for each substance the lot used last time (retyping lots is what practitioners
    hate most, and recalls depend on them)."""
    from dataclasses import replace

    from mesolog import model, progress

    def checked(parse: Any) -> Any:
        def run(text: str) -> Any:
            try:
                return parse(text)
            except Exception as error:  # a refusal: say it and ask again
                raise typer.BadParameter(str(error)) from None

        return run

    if not areas:
        default = ", ".join(last.areas) if last else None
        text = typer.prompt("Areas treated (comma-separated)", default=default)
        areas = [model.area(w, words)[0] for w in text.split(",") if w.strip()]
    if not substances:
        default = "; ".join(_substance_spec(s) for s in last.substances) if last else None
        text = typer.prompt(
            "Substances as NAME:AMOUNT[:LOT x], ';' between several",
            default=default,
            value_proc=checked(
                lambda t: [model.substance(p, words)[0] for p in t.split(";") if p.strip()]
            ),
        )
        substances = (
            list(text)
            if isinstance(text, list)
            else [model.substance(p, words)[0] for p in str(text).split(";") if p.strip()]
        )
        filled = []
        for item in substances:
            if not item.lot:
                offered = progress.last_lot(chart, item.name) if chart else None
                lot = typer.prompt(
                    f"Lot of {item.name} (blank if unknown)",
                    default=offered or "",
                    show_default=bool(offered),
                )
                item = replace(item, lot=lot.strip() or None)
            filled.append(item)
        substances = filled
    if depth_mm is None:
        depth_mm = typer.prompt(
            "Needle depth in mm",
            default=f"{last.depth_mm:g}" if last else None,
            value_proc=checked(lambda t: model.depth(t)[0]),
        )
        depth_mm = model.depth(depth_mm)[0] if isinstance(depth_mm, str) else depth_mm
    if technique is None:
        technique = typer.prompt(
            "Technique [gun/hand]",
            default=last.technique if last else None,
            value_proc=checked(model.technique),
        )
    if anaesthetic is None:
        answer = typer.prompt(
            "Anaesthetic ('none' or what was used)", default=last.anaesthetic if last else "none"
        )
        anaesthetic = words.anaesthetic(answer)
    return areas, substances, depth_mm, technique, anaesthetic


def _substance_spec(item: Any) -> str:
    spec = f"{item.name}:{item.amount:g}{item.unit}"
    return spec + (f":LOT {item.lot}" if item.lot else "")


def _methods() -> tuple[str, ...]:
    from mesolog import vocabulary

    return vocabulary.METHODS


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
) -> None:
    """One patient's progress, or with no ID the whole clinic. Example: mesolog report P-0042"""
    from mesolog import progress, render
    from mesolog.errors import InvalidValue

    fmt = _format(fmt, render.FORMATS)
    if patient_id is None:
        _clinic_overview(ctx, fmt, "Clinic overview")
        return
    if last is not None and last < 1:
        raise InvalidValue("--last", last, "it must be a whole number of 1 or more")
    if output is not None and output.suffix.lower() not in (".html", ".svg"):
        raise InvalidValue("--output", str(output), "the file must end in .html or .svg")
    chart = _state(ctx).clinic().load(patient_id)
    sessions = progress.in_window(
        chart.sessions, _optional_date(since, "--since"), _optional_date(until, "--until"), last
    )
    render.report(chart, sessions, date.today(), fmt, audit, output)
    if output is not None:
        typer.echo(f"Report saved to {output}", err=True)


def _clinic_overview(ctx: typer.Context, fmt: str, title: str) -> None:
    from mesolog import render

    with _index(ctx) as index:
        summaries, problems = index.summaries()
    render.overview(summaries, problems, date.today(), fmt, title)


def _index(ctx: typer.Context) -> Any:
    return _index_of(_state(ctx))


def _index_of(state: State) -> Any:
    """The summary cache of this data folder, brought up to date with the files."""
    from mesolog import summary
    from mesolog.store import cache_location

    return summary.opened(state.clinic(), cache_location().path)


# --- across patients --------------------------------------------------------------------------


@app.command()
def due(
    ctx: typer.Context,
    within: Annotated[int, typer.Option(help="Days ahead to look. Example: --within 14")] = 7,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="Only those already overdue. Example: --overdue")
    ] = False,
    everyone: Annotated[
        bool,
        typer.Option("--all", help="Also patients with no course, by last session. Example: --all"),
    ] = False,
    fmt: FormatOption = "table",
) -> None:
    """Patients due or overdue for their next session, overdue first. Example: mesolog due --within 14"""
    from datetime import timedelta

    from mesolog import model, progress, render

    fmt = _format(fmt, render.FORMATS)
    model.whole(within, "--within", 0, 3650)
    today = date.today()
    horizon = today + timedelta(days=within)
    with _index(ctx) as index:
        summaries, problems = index.summaries()
    chosen = [
        s
        for s in summaries
        if (s.next_due is not None and (s.next_due < today if overdue else s.next_due <= horizon))
        or (everyone and s.planned is None and not overdue)
    ]
    render.due(progress.overview_order(chosen, today), problems, today, fmt)


@app.command()
def lot(
    ctx: typer.Context,
    lot_number: Annotated[
        str,
        typer.Argument(
            metavar="LOT",
            help="The lot or batch number; case and spaces ignored. Example: D2411",
            show_default=False,
            autocompletion=complete_lot,
        ),
    ],
    fmt: FormatOption = "table",
) -> None:
    """Every patient and session that received a lot (recall tracing). Example: mesolog lot D2411"""
    from mesolog import questions, render
    from mesolog.errors import InvalidValue

    fmt = _format(fmt, render.FORMATS)
    if not questions.lot_key(lot_number):
        raise InvalidValue("lot", lot_number, "give the lot number to trace")
    with _index(ctx) as index:
        rows = sorted(
            index.sessions(questions.SessionQuery(lot=lot_number, include_voided=True)),
            key=lambda r: (r.date, r.patient_id, r.session),
        )
        problems = index.problems()
    render.lot_uses(lot_number, rows, problems, fmt)


@app.command()
def find(
    ctx: typer.Context,
    substance: Annotated[
        str | None,
        typer.Option(help="Example: --substance minoxidil", autocompletion=complete_substance),
    ] = None,
    area: Annotated[
        str | None, typer.Option(help="Example: --area scalp", autocompletion=complete_area)
    ] = None,
    complication: Annotated[
        str | None, typer.Option(help="Example: --complication bruising")
    ] = None,
    technique: Annotated[
        str | None, typer.Option(help="gun or hand. Example: --technique gun")
    ] = None,
    practitioner: Annotated[
        str | None, typer.Option(help="Part of the name. Example: --practitioner Moreau")
    ] = None,
    indication: Annotated[
        str | None, typer.Option(help='Example: --indication "hair loss"')
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    voided: Annotated[
        bool, typer.Option("--voided", help="Include voided sessions. Example: --voided")
    ] = False,
    fmt: FormatOption = "table",
) -> None:
    """Sessions across all patients matching every filter given. Example: mesolog find --area scalp --complication bruising"""
    from mesolog import model, render
    from mesolog.questions import SessionQuery

    fmt = _format(fmt, render.FORMATS)
    words = _state(ctx).config().vocabulary()
    query = SessionQuery(
        substance=substance,
        area=words.area(area).value if area else None,
        complication=words.complication(complication).value if complication else None,
        technique=model.technique(technique) if technique else None,
        practitioner=practitioner,
        indication=words.indication(indication).value if indication else None,
        since=_optional_date(since, "--since"),
        until=_optional_date(until, "--until"),
        include_voided=voided,
    )
    with _index(ctx) as index:
        rows = sorted(
            index.sessions(query),
            key=lambda r: (r.date, r.patient_id, r.session),
        )
        problems = index.problems()
    render.found(rows, problems, fmt)


@app.command()
def stats(
    ctx: typer.Context,
    by: Annotated[
        str,
        typer.Option(
            help="substance, technique, depth, anaesthetic, area, practitioner or method. Example: --by technique"
        ),
    ] = "technique",
    since: SinceOption = None,
    until: UntilOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Sessions, patients and complication rate per group. Example: mesolog stats --by technique"""
    from mesolog import model, questions, render

    fmt = _format(fmt, render.FORMATS)
    by = model.choice(by, "--by", questions.STATS_BY)
    query = questions.SessionQuery(
        since=_optional_date(since, "--since"), until=_optional_date(until, "--until")
    )
    with _index(ctx) as index:
        groups = index.stats(by, query)
        problems = index.problems()
    render.stats(by, groups, problems, fmt)


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
    clinic = _state(ctx).clinic()
    if patient_id is not None:
        charts = [clinic.load(patient_id)]
    else:
        charts = []
        for entry in clinic.entries():
            if entry.chart is None:
                render.warnings([f"{entry.patient_id} left out: {entry.error}"])
            else:
                charts.append(entry.chart)
    render.export(charts, fmt)


# --- corrections ------------------------------------------------------------------------------


@app.command()
def amend(
    ctx: typer.Context,
    patient_id: PatientId,
    session_number: SessionNumber,
    reason: Annotated[
        str,
        typer.Option(
            help='Why (required). Example: --reason "bruise reported at follow-up"',
            show_default=False,
        ),
    ],
    by: Annotated[
        str | None,
        typer.Option(help='Who amends (default from config). Example: --by "Dr. L. Moreau"'),
    ] = None,
    when: Annotated[
        str | None, typer.Option("--date", help="Correct the date. Example: --date 2026-11-02")
    ] = None,
    area: Annotated[
        list[str] | None,
        typer.Option("--area", help="Replace the areas. Example: --area scalp", show_default=False),
    ] = None,
    substance: Annotated[
        list[str] | None,
        typer.Option(
            "--substance",
            help='Replace the substances. Example: --substance "HA:2ml:LOT A17"',
            show_default=False,
        ),
    ] = None,
    depth: Annotated[str | None, typer.Option(help="Correct the depth. Example: --depth 2")] = None,
    technique: Annotated[
        str | None, typer.Option(help="Correct the technique. Example: --technique hand")
    ] = None,
    anaesthetic: Annotated[
        str | None, typer.Option(help="Correct the anaesthetic. Example: --anaesthetic none")
    ] = None,
    indication: Annotated[
        str | None, typer.Option(help="Correct the indication. Example: --indication cellulite")
    ] = None,
    add_complication: Annotated[
        list[str] | None,
        typer.Option(
            help="Add a complication found later. Example: --add-complication bruising:mild:onset=2026-11-03:resolved=2026-11-09",
            show_default=False,
        ),
    ] = None,
    measure: Annotated[
        list[str] | None,
        typer.Option(help="Set a measurement. Example: --measure waist_cm=81", show_default=False),
    ] = None,
    note: Annotated[
        str | None, typer.Option(help='Replace the notes. Example: --note "see photos"')
    ] = None,
) -> None:
    """Correct a session, with an audit trail (when, who, why, old -> new). Example: mesolog amend P-0042 3 --add-complication bruising:mild --reason "reported at follow-up" """
    from dataclasses import replace

    from mesolog import model, render

    state = _state(ctx)
    words = state.config().vocabulary()
    today = date.today()
    changes: dict[str, Any] = {}
    notes: list[str] = []
    if when:
        changes["date"] = model.past_date(when, "date", today)
    if area:
        areas = []
        for word in area:
            value, more = model.area(word, words)
            areas.append(value)
            notes += more
        changes["areas"] = tuple(areas)
    if substance:
        items = []
        for spec in substance:
            item, more = model.substance(spec, words)
            items.append(item)
            notes += more
        changes["substances"] = tuple(items)
    if depth is not None:
        changes["depth_mm"], more = model.depth(depth)
        notes += more
    if technique:
        changes["technique"] = model.technique(technique)
    if anaesthetic:
        changes["anaesthetic"] = words.anaesthetic(anaesthetic)
    if indication:
        changes["indication"], more = model.indication(indication, words)
        notes += more
    if note is not None:
        changes["notes"] = note
    found = [model.complication(spec, words, today) for spec in add_complication or []]
    for _, more in found:
        notes += more
    measured = dict(model.measurement(m) for m in measure or [])

    def edit(session: "Session") -> "Session":
        extra: dict[str, Any] = {}
        if found:
            extra["complications"] = (*session.complications, *(c for c, _ in found))
        if measured:
            extra["measurements"] = {**session.measurements, **measured}
        return replace(session, **changes, **extra)

    author = by or state.config().practitioner
    clinic = state.clinic()
    stored, path = clinic.amend(patient_id, session_number, edit, author, reason, today)
    render.session_stored(patient_id, stored, path, verb="amended")
    render.warnings(notes + clinic.notices)


@app.command()
def void(
    ctx: typer.Context,
    patient_id: PatientId,
    session_number: SessionNumber,
    reason: Annotated[
        str,
        typer.Option(
            help='Why (required). Example: --reason "entered for the wrong patient"',
            show_default=False,
        ),
    ],
    by: Annotated[
        str | None,
        typer.Option(help='Who voids (default from config). Example: --by "Dr. L. Moreau"'),
    ] = None,
) -> None:
    """Void a session: it stays in the file, struck out, out of the progress maths. Example: mesolog void P-0042 3 --reason "duplicate entry" """
    state = _state(ctx)
    author = by or state.config().practitioner
    _, path = state.clinic().void(patient_id, session_number, author, reason)
    typer.echo(f"Session {session_number} of {patient_id} voided (kept in {path}).")


# --- the data folder --------------------------------------------------------------------------


@app.command()
def check(ctx: typer.Context) -> None:
    """Validate every patient file: one line per problem as path:line: message. Example: mesolog check"""
    from mesolog.checkup import check_clinic

    clinic = _state(ctx).clinic()
    problems, files = check_clinic(clinic, date.today())
    for problem in problems:
        typer.echo(problem.line_text())
    errors = sum(1 for p in problems if p.severity == "error")
    warns = len(problems) - errors
    typer.echo(f"{files} files checked: {errors} errors, {warns} warnings.", err=True)
    if errors:
        raise typer.Exit(1)


@app.command()
def init(
    ctx: typer.Context,
    git: Annotated[
        bool,
        typer.Option(
            "--git", help="Also make it a git repository: every change committed. Example: --git"
        ),
    ] = False,
) -> None:
    """Create the data folder (private to you), optionally with git history. Example: mesolog init --git"""
    from mesolog import history

    clinic = _state(ctx).clinic()
    clinic.ensure_folders()
    typer.echo(f"Data folder ready: {clinic.data_dir}")
    if git:
        typer.echo(history.init(clinic.data_dir))


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def git(
    ctx: typer.Context,
    args: Annotated[
        list[str] | None,
        typer.Argument(
            help="Arguments for git. Example: mesolog git log --oneline", show_default=False
        ),
    ] = None,
) -> None:
    """Run git in the data folder (push, pull, log). Example: mesolog git log --oneline"""
    from mesolog import history

    code = history.run(_state(ctx).location().path, [*(args or []), *ctx.args])
    raise typer.Exit(code)


@app.command()
def paths(ctx: typer.Context) -> None:
    """Where the data, config and cache folders are, and which setting chose each. Example: mesolog paths"""
    from mesolog import history, render
    from mesolog.store import cache_location, config_location

    data = _state(ctx).location()
    config = config_location()
    cache = cache_location()
    git_state = "on (git repository)" if history.enabled(data.path) else "off"
    if history.git_binary() is None:
        git_state = "off (git not installed)"
    render.paths(
        [
            ("data", data.path, data.chosen_by),
            ("config", config.path, config.chosen_by),
            ("cache", cache.path, cache.chosen_by),
            ("history", data.path / ".git", git_state),
        ]
    )


@config_app.command("path")
def config_path() -> None:
    """Print the config file's path. Example: mesolog config path"""
    from mesolog.store import config_location

    typer.echo(str(config_location().path))


@config_app.command("show")
def config_show(ctx: typer.Context) -> None:
    """Print the settings in force. Example: mesolog config show"""
    settings = _state(ctx).config()
    typer.echo(f"file: {settings.path or '(none; defaults in force)'}")
    typer.echo(f"practitioner: {settings.practitioner or '(not set)'}")
    typer.echo(f"technique: {settings.technique or '(not set)'}")
    typer.echo(f"anaesthetic: {settings.anaesthetic or '(not set)'}")
    typer.echo(f"extra areas: {', '.join(settings.areas) or '(none)'}")
    extra = ", ".join(f"{k} ({v})" for k, v in settings.substances.items())
    typer.echo(f"extra substances: {extra or '(none)'}")


# Global options that take a value: the word after them is not the command's name.
_GLOBAL_OPTIONS_WITH_VALUE = frozenset({"--data-dir"})


def invoked_name(args: list[str]) -> str | None:
    """The command word of a command line (``add`` in ``--data-dir x add P-1``), or None."""
    words = iter(args)
    for word in words:
        if word == "--":
            return None
        if word in _GLOBAL_OPTIONS_WITH_VALUE:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


@contextmanager
def only_command(name: str | None) -> Iterator[None]:
    """Register only the command (or command group) called ``name`` while inside.

    Typer builds the parser of every registered command at start-up, about 30 ms for our
    twenty, though a run only ever parses one. An unknown or missing name keeps them all, so
    ``mesolog --help``, "No such command" and its suggestions, and shell completion are
    Typer's own. The parsing itself is unchanged: a test compares every command's help through
    both paths.
    """
    commands = [c for c in app.registered_commands if _command_name(c) == name]
    groups = [g for g in app.registered_groups if g.name == name]
    if not (commands or groups):
        yield
        return
    every_command, every_group = app.registered_commands, app.registered_groups
    app.registered_commands, app.registered_groups = commands, groups
    try:
        yield
    finally:
        app.registered_commands, app.registered_groups = every_command, every_group


def _command_name(info: Any) -> str:
    return str(info.name or typer.main.get_command_name(info.callback.__name__))


def main() -> NoReturn:
    """Entry point of the ``mesolog`` script (and of ``python -m mesolog``)."""
    completing = "_MESOLOG_COMPLETE" in os.environ
    with only_command(None if completing else invoked_name(sys.argv[1:])):
        app(prog_name="mesolog")
    raise SystemExit(0)
