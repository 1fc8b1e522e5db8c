"""The questions `add` asks in a terminal for what was not given.

Order: areas, substances (for each without a lot: its lot, offering the one used last time,
then its expiry when the lot is new), depth, technique, anaesthetic; then, once something was
asked, the rest of the protocol the last session held (method, needle...: what --like-last
copies), the measurements taken last time (blank skips) and complications. Every default is this
patient's last value (the config's only for a patient with no session). Each answer goes
through the drafting function, like an option: a refused answer is asked again, and its
warnings are shown right after it.
"""

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
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
    for name in drafting.REQUIRED:
        if name not in missing:
            continue
        given = _ask(LABELS[name], defaults[name], _answering(given, name), draft)
        if name == "substance":
            show(draft(given), {"substance"})
            given = _ask_lots(given, chart, practice, draft)
            show(draft(given), {"substance", "lot"})
        else:
            show(draft(given), {name, "depth"} if name == "depth" else {name})
    if missing:
        given = _ask_protocol(given, chart, draft)
        show(draft(given), {"depth"})  # a depth unusual for the method
        given = _ask_optional(given, chart, draft)
        show(draft(given), {"complication"})
    return given, shown


def _answering(given: "Given", name: str) -> Callable[[str], "Given"]:
    """How one prompt answer goes into ``given``: as the option of that field would give it."""

    def answer(text: str) -> "Given":
        if name == "area":
            return replace(given, areas=(text,))
        if name == "substance":
            return replace(given, substances=_several(text))
        if name == "complication":
            return replace(given, complications=_several(text))
        if name == "depth":
            return replace(given, depth=text)
        if name == "technique":
            return replace(given, technique=text)
        if name == "anaesthetic":
            return replace(given, anaesthetic=text)
        if name == "zones":  # '-': none this time (the copied zones are left out)
            return replace(given, zones=() if text.strip() == NONE_THIS_TIME else _several(text))
        if name in PROTOCOL_LABELS:
            chosen = None if text.strip() == NONE_THIS_TIME else text
            return replace(given, plain={**given.plain, name: chosen})
        # a measurement taken last time: NAME, answered with its number (blank skips)
        return (
            replace(given, measures=(*given.measures, f"{name}={text}")) if text.strip() else given
        )

    return answer


def _several(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split(";") if p.strip())


def _ask(
    label: str,
    default: str | None,
    answer: Callable[[str], "Given"],
    draft: Callable[["Given"], Any],
) -> "Given":
    """One question; an answer the drafting function refuses is said and asked again."""
    from mesolog.errors import MesologError

    def checked(text: str) -> "Given":
        answers = answer(text)
        try:
            draft(answers)
        except MesologError as error:
            raise typer.BadParameter(str(error)) from None
        return answers

    result: Given = typer.prompt(
        label, default=default, show_default=bool(default), value_proc=checked
    )
    return result


def _ask_lots(
    given: "Given", chart: "Chart", practice: "ClinicDefaults", draft: Callable[["Given"], Any]
) -> "Given":
    """For each substance without a lot: its lot (the last one offered), then its expiry when
    the lot is new to this patient (a known lot keeps the expiry recorded with it)."""
    from mesolog.model import progress, substance

    specs = []
    for spec in given.substances:
        item, _ = substance(spec, practice.vocabulary)
        if item.lot is None:
            offered = progress.last_lot(chart, item.name) or ""
            lot = typer.prompt(
                f"Lot of {item.name} (blank if unknown)",
                default=offered,
                show_default=bool(offered),
                value_proc=_lot,
            ).strip()
            if lot:
                spec += f":LOT {lot}"
                if not progress.lot_known(chart, item.name, lot):
                    expiry = typer.prompt(
                        f"Expiry of lot {lot} (YYYY-MM-DD, blank if unknown)",
                        default="",
                        show_default=False,
                        value_proc=_expiry,
                    )
                    spec += f":EXP {expiry}" if expiry else ""
        specs.append(spec)
    return replace(given, substances=tuple(specs))


def _lot(text: str) -> str:
    if ":" in text:
        raise typer.BadParameter("a lot cannot hold ':' (it separates the parts of a substance)")
    return text.strip()


def _expiry(text: str) -> str:
    from mesolog.errors import MesologError
    from mesolog.model import parse_date

    if text.strip():
        try:
            parse_date(text, "expiry")
        except MesologError as error:
            raise typer.BadParameter(str(error)) from None
    return text.strip()


def _ask_protocol(given: "Given", chart: "Chart", draft: Callable[["Given"], Any]) -> "Given":
    """The rest of the protocol the last session held (method, needle...), each offering its
    last value, as --like-last would copy it; '-' leaves it out this time."""
    from mesolog.model.drafting import protocol_defaults

    for name, offered in protocol_defaults(chart).items():
        given_now = given.zones if name == "zones" else given.plain.get(name)
        if given_now in (None, ()):
            label = f"{PROTOCOL_LABELS.get(name, name)} ('{NONE_THIS_TIME}' for none)"
            given = _ask(label, offered, _answering(given, name), draft)
    return given


def _ask_optional(given: "Given", chart: "Chart", draft: Callable[["Given"], Any]) -> "Given":
    """The measurements taken last time (blank skips), then complications (blank if none)."""
    from mesolog.model import measurement, number_text

    last = chart.last_session
    typed = {measurement(m)[0] for m in given.measures}
    for name, value in (last.measurements if last else {}).items():
        if name not in typed:
            label = f"{name} (last time {number_text(value)}; blank skips)"
            given = _ask(label, "", _answering(given, name), draft)
    if not given.complications:
        label = "Complications as NAME[:SEVERITY], ';' between several (blank if none)"
        given = _ask(label, "", _answering(given, "complication"), draft)
    return given
