"""Recording and correcting sessions: `add`, `amend`, `void`."""

import sys
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from mesolog.model import Chart, Session

from mesolog.cli.application import (
    _state,
    app,
)
from mesolog.cli.completion import complete_area, complete_substance
from mesolog.cli.options import PatientId, SessionNumber

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
            help="NAME, then optionally :SEVERITY :onset=DATE :resolved=DATE :outcome=WORD "
            "(resolved, recovering, ongoing...); repeat. "
            "Example: --complication bruising:mild:onset=2026-11-03:outcome=resolved",
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
            clinic.path(patient_id, offer_new=True)  # raises with "did you mean"
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
    if not course and chart is not None and course_name:
        copied = chart.course(course_name)
        course_name = None if copied and copied.closed else course_name  # closed: not a default
    if course_name is None and chart is not None and chart.courses:
        from mesolog.model.progress import next_due

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

    from mesolog import model
    from mesolog.model import progress

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
    from mesolog.model import vocabulary

    return vocabulary.METHODS


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
    remove_complication: Annotated[
        list[str] | None,
        typer.Option(
            help="Remove a complication entered on the wrong session (the trail keeps it). Example: --remove-complication bruising",
            show_default=False,
        ),
    ] = None,
    course: Annotated[
        str | None,
        typer.Option(help="Move the session to another course. Example: --course hair-2026"),
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

    if course:
        changes["course"] = course  # the Clinic checks it and uses the chart's spelling

    def edit(session: "Session") -> "Session":
        extra: dict[str, Any] = {}
        if remove_complication:
            session = model.without_complications(session, remove_complication, words)
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


@app.command()
def restore(
    ctx: typer.Context,
    patient_id: PatientId,
    session_number: SessionNumber,
    reason: Annotated[
        str,
        typer.Option(
            help='Why (required). Example: --reason "voided by mistake"', show_default=False
        ),
    ],
    by: Annotated[
        str | None,
        typer.Option(help='Who restores (default from config). Example: --by "Dr. L. Moreau"'),
    ] = None,
) -> None:
    """Un-void a session: back in the progress maths, with an amendment in its trail. Example: mesolog restore P-0042 3 --reason "voided by mistake" """
    from mesolog import render

    state = _state(ctx)
    clinic = state.clinic()
    author = by or state.config().practitioner
    _, path = clinic.restore(patient_id, session_number, author, reason)
    typer.echo(f"Session {session_number} of {patient_id} restored ({path}).")
    render.warnings(clinic.notices)
