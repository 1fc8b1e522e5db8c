"""The questions `add` asks in a terminal for what was not given.

Order: areas, substances (for each without a lot: its lot, offering the one used last time,
then its expiry when the lot is new), depth, technique, anaesthetic; then, once something was
asked, the rest of the protocol the last session held (method, needle...: what --like-last
copies); for a patient's first session, the method and the baseline measurements (a progress
chart needs its first point); the measurements taken last time (blank skips), complications,
and a note. Every default is this patient's last value (the config's only for a patient with no
session). Each answer goes through the drafting function, like an option: a refused answer is
asked again, and its warnings are shown right after it. Ctrl-C says that nothing was saved.

What is shown is inert (a default quoting the chart cannot send an escape sequence to the
terminal), and an answer holding a control key (an arrow key that reached the program as
``^[[A``) is asked again, never stored; the arrow keys edit the answer where the platform has
line editing (readline).
"""

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mesolog.model import Chart
    from mesolog.model.drafting import ClinicDefaults, Draft, Given
    from mesolog.store import Clinic


def _labels() -> tuple[dict[str, str], dict[str, str]]:
    """The questions as the table (model.fields) words them: the required fields by their name
    in drafting.REQUIRED (area...), then the rest of the protocol, offered with the last
    session's value (drafting.protocol_defaults says which), by field name."""
    from mesolog.model.drafting import OPTIONAL_PROTOCOL, REQUIRED, REQUIRED_FIELD
    from mesolog.model.records import TABLE

    asked = {e.name: e.spec.prompt for e in TABLE}
    required = {name: asked[REQUIRED_FIELD[name]] for name in REQUIRED}
    return required, {name: asked[name] for name in OPTIONAL_PROTOCOL}


LABELS, PROTOCOL_LABELS = _labels()
# '-' leaves an optional protocol field out this time.
NONE_THIS_TIME = "-"
# A patient's first session: the method (no last one to offer) and the baseline measurements.
FIRST_METHOD_LABEL = "Method (nappage, papule, point-by-point, depot...; blank for none)"
BASELINE_LABEL = "Baseline measurements as NAME=NUMBER, ';' between several (blank if none)"
# An example of a measurement for an indication (catalogue name), shown with the question.
MEASURE_EXAMPLES = {
    "hair loss": "hair_density_per_cm2=142",
    "fat reduction": "waist_cm=82.5",
    "cellulite": "thigh_cm=58; cellulite_grade=2",
    "contouring": "waist_cm=82.5",
    "wrinkles": "wsrs_1_5=3",
    "rejuvenation": "gais_1_5=3",
}
NOTE_LABEL = "Note (blank for none)"


@contextmanager
def _stopped_saves_nothing() -> "Iterator[None]":
    """Ctrl-C (or Ctrl-D) at a question: nothing was drafted into the chart yet."""
    try:
        yield
    except (typer.Abort, KeyboardInterrupt, EOFError):
        typer.echo("\nmesolog: stopped at your request; nothing was saved.", err=True)
        raise typer.Exit(130) from None


@_stopped_saves_nothing()
def ask_missing(
    clinic: "Clinic",
    patient_id: str,
    given: "Given",
    practice: "ClinicDefaults",
    like_last: bool,
    new_patient: bool,
) -> tuple["Given", set[str]]:
    """``given`` completed with the answers, and the warnings already shown."""
    from mesolog.model import Chart, Patient, drafting, now
    from mesolog.store import read_chart_file

    _line_editing()
    path = clinic.find(patient_id)
    if path is None and not new_patient:
        clinic.path(patient_id, offer_new=True)  # unknown: refused before any question
    chart = read_chart_file(path)[0] if path else Chart(Patient(id=patient_id, created=now()))
    today = date.today()
    shown: set[str] = set()

    def draft(answers: "Given") -> "Draft":
        return drafting.draft_session(
            answers, chart, practice, today, like_last=like_last, asking=True
        )

    def show(found: "Draft", fields: set[str]) -> None:
        from mesolog.render import console

        fresh = [r.text for r in found.remarks if r.field in fields and r.text not in shown]
        shown.update(fresh)
        console.warnings(fresh)

    missing = draft(given).missing  # a refused option stops here, before any question
    defaults = drafting.prompt_defaults(chart, practice)
    for name in missing:  # in the order of drafting.REQUIRED
        given = _ask(LABELS[name], defaults[name], given, name, draft)
        show(draft(given), {name})
        if name == "substance":
            given = _ask_lots(given, chart, practice)
            show(draft(given), {"substance", "lot"})
    if missing:
        given = _ask_protocol(given, chart, draft)
        if chart.last_session is None:
            given = _ask_first_session(given, draft)
        show(draft(given), {"depth"})  # a depth unusual for the method
        given = _ask_optional(given, chart, draft)
        show(draft(given), {"complication"})
        if given.note is None:
            given = _ask(NOTE_LABEL, "", given, "note", draft)
    return given, shown


def _line_editing() -> None:
    """Arrow keys edit the answer instead of arriving in it as ``^[[A`` (Python's input()
    uses readline once it is imported; not every platform has it)."""
    import contextlib

    with contextlib.suppress(ImportError):
        import readline  # noqa: F401


def _answered(given: "Given", name: str, text: str) -> "Given":
    """``given`` with one prompt answer for ``name``: as the option of that field would give it."""
    if name == "area":
        return replace(given, areas=(text,))
    if name == "substance":
        return replace(given, substances=_several(text))
    if name == "complication":
        return replace(given, complications=_several(text))
    if name == "note":
        return replace(given, note=text.strip() or None)
    if name == "measures":
        return replace(given, measures=(*given.measures, *_several(text)))
    if name in ("depth", "technique", "anaesthetic"):  # text, read as the option is
        typed: dict[str, Any] = {name: text}
        return replace(given, **typed)
    if name == "zones":  # '-': none this time (the copied zones are left out)
        return replace(given, zones=() if text.strip() == NONE_THIS_TIME else _several(text))
    if name in PROTOCOL_LABELS:
        # '-' (or blank where nothing is offered) leaves it out this time.
        chosen = None if text.strip() in (NONE_THIS_TIME, "") else text
        return replace(given, plain={**given.plain, name: chosen})
    # a measurement taken last time: NAME, answered with its number (blank skips)
    return replace(given, measures=(*given.measures, f"{name}={text}")) if text.strip() else given


def _several(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split(";") if p.strip())


def _ask(
    label: str, default: str | None, given: "Given", name: str, draft: Callable[["Given"], Any]
) -> "Given":
    """One question, answering ``name``; an answer the drafting function refuses is said and
    asked again."""

    def drafted(text: str) -> "Given":
        answers = _answered(given, name, text)
        draft(answers)
        return answers

    result: Given = _prompt(label, default, drafted)
    return result


def _prompt(label: str, default: str | None, check: Callable[[str], Any]) -> Any:
    """One question as the screen shows it: its default in brackets, both inert (it may quote
    the chart); an empty answer gives the default back, through ``check`` like any answer. An
    answer holding a control key, or that ``check`` refuses, is said and asked again."""
    from mesolog.errors import MesologError, inert

    def checked(text: str) -> Any:
        # An arrow or function key that reached the answer as an escape sequence (``^[[A``)
        # would be stored in the chart as typed.
        if any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in text):
            raise typer.BadParameter(
                f"the answer holds a control key ({inert(text)[:40]}), e.g. an arrow key; type "
                "it again without it"
            )
        try:
            return check(text)
        except MesologError as error:
            raise typer.BadParameter(str(error)) from None

    shown = inert(f"{label} [{default}]" if default else label)
    return typer.prompt(shown, default=default, show_default=False, value_proc=checked)


def _ask_lots(given: "Given", chart: "Chart", practice: "ClinicDefaults") -> "Given":
    """For each substance without a lot: its lot (the last one offered), then its expiry when
    the lot is new to this patient (a known lot keeps the expiry recorded with it)."""
    from mesolog.model import progress, substance

    specs = []
    for spec in given.substances:
        item, _ = substance(spec, practice.vocabulary)
        if item.lot is None:
            offered = progress.last_lot(chart, item.name) or ""
            lot = _prompt(f"Lot of {item.name} (blank if unknown)", offered, _lot)
            if lot:
                spec += f":LOT {lot}"
                if not progress.lot_known(chart, item.name, lot):
                    label = f"Expiry of lot {lot} (YYYY-MM-DD, blank if unknown)"
                    expiry = _prompt(label, "", _expiry)
                    spec += f":EXP {expiry}" if expiry else ""
        specs.append(spec)
    return replace(given, substances=tuple(specs))


def _lot(text: str) -> str:
    if ":" in text:
        raise typer.BadParameter("a lot cannot hold ':' (it separates the parts of a substance)")
    return text.strip()


def _expiry(text: str) -> str:
    from mesolog.model import parse_date

    if text.strip():
        parse_date(text, "expiry")
    return text.strip()


def _ask_protocol(given: "Given", chart: "Chart", draft: Callable[["Given"], Any]) -> "Given":
    """The rest of the protocol the last session held (method, needle...), each offering its
    last value, as --like-last would copy it; '-' leaves it out this time."""
    from mesolog.model.drafting import protocol_defaults

    for name, offered in protocol_defaults(chart).items():
        given_now = given.zones if name == "zones" else given.plain.get(name)
        if given_now in (None, ()):
            label = f"{PROTOCOL_LABELS.get(name, name)} ('{NONE_THIS_TIME}' for none)"
            given = _ask(label, offered, given, name, draft)
    return given


def _ask_first_session(given: "Given", draft: Callable[["Given"], Any]) -> "Given":
    """A patient's first session: the method (there is no last one to offer) and the baseline
    measurements, with an example for the indication."""
    from mesolog.model import vocabulary

    if given.plain.get("method") is None:
        given = _ask(FIRST_METHOD_LABEL, "", given, "method", draft)
    if not given.measures:
        session = draft(given).session
        meant = vocabulary.meaning("indication", (session.indication if session else "") or "")
        example = MEASURE_EXAMPLES.get(meant, "waist_cm=82.5")
        label = f"{BASELINE_LABEL}, e.g. {example}"
        given = _ask(label, "", given, "measures", draft)
    return given


def _ask_optional(given: "Given", chart: "Chart", draft: Callable[["Given"], Any]) -> "Given":
    """The measurements taken last time (blank skips), then complications (blank if none)."""
    from mesolog.model import measurement, number_text

    last = chart.last_session
    typed = {measurement(m)[0] for m in given.measures}
    for name, value in (last.measurements if last else {}).items():
        if name not in typed:
            label = f"{name} (last time {number_text(value)}; blank skips)"
            given = _ask(label, "", given, name, draft)
    if not given.complications:
        label = "Complications as NAME[:SEVERITY], ';' between several (blank if none)"
        given = _ask(label, "", given, "complication", draft)
    return given
