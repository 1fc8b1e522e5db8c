"""Drafting a session, once for every path: what was given (options, prompt answers, an import
row), the patient's chart and the practice's defaults become a :class:`Session` plus warnings.

``add``, the prompts, ``--like-last``, ``amend`` and ``import`` all come here, so a rule
(comma-split areas, the expiry kept with a lot, complication dates) holds everywhere or nowhere.

Precedence of a field's value: typed now > ``--like-last`` > (prompt default only) this
patient's last value > the config's default.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from typing import Any, NamedTuple

from mesolog.errors import InvalidValue, MissingFields, UnknownCourse
from mesolog.model import corrections
from mesolog.model import vocabulary as vocab
from mesolog.model.records import PLAIN, TABLE, Chart, Course, Photo, Session, Substance
from mesolog.model.validation import (
    Remark,
    amount_problem,
    complication_problems,
    draft_remarks,
    session_remarks,
    validate_session,
)
from mesolog.model.values import (
    area,
    choice,
    complication,
    depth,
    indication,
    latest_recorded,
    measurements,
    now,
    number_text,
    one_line,
    past_date,
    photo,
    session_date,
    substance,
    technique,
)
from mesolog.model.zones import DEFAULT as ZONE_CATALOGUE
from mesolog.model.zones import ZoneCatalogue, area_key, drafted_zones

# The fields a session cannot be recorded without, by their option, in the order the prompts
# ask for them, and the Session field each sets.
REQUIRED_FIELD = {
    "area": "areas",
    "substance": "substances",
    "depth": "depth_mm",
    "technique": "technique",
    "anaesthetic": "anaesthetic",
}
REQUIRED = tuple(REQUIRED_FIELD)
# What --like-last copies: the protocol, each field the prompt asks for (the table's prompt),
# not the day's facts (date, notes, measurements...).
PROTOCOL = tuple(e.name for e in TABLE if e.spec.prompt)
# The rest of the protocol (method, needle...): not required, but offered at the prompt with
# the last session's value, as --like-last would copy it.
OPTIONAL_PROTOCOL = tuple(f for f in PROTOCOL if f not in REQUIRED_FIELD.values())

Number = str | int | float | None


@dataclass(frozen=True)
class Given:
    """What was given for one session, as typed: text (numbers as the parser got them), lists
    for what may be repeated. None or empty means "not given"."""

    date: str | None = None
    areas: tuple[str, ...] = ()  # each may name several, comma-separated
    indication: str | None = None
    substances: tuple[str, ...] = ()  # NAME:AMOUNT[:LOT x][:EXP date]
    depth: Number = None
    technique: str | None = None
    anaesthetic: str | None = None
    complications: tuple[str, ...] = ()  # NAME[:SEVERITY][:onset=DATE][:resolved=DATE]...
    remove_complications: tuple[str, ...] = ()  # amend only: names (or meanings) to take off
    # amend only (docs/corrections.md): products to take off (name, lot or #N); complications
    # to settle (name or #N), on the date resolved, with their outcome.
    remove_substances: tuple[str, ...] = ()
    resolve_complications: tuple[str, ...] = ()
    resolved: str | None = None
    outcome: str | None = None
    measures: tuple[str, ...] = ()  # NAME=NUMBER
    note: str | None = None
    practitioner: str | None = None
    course: str | None = None
    photos: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()  # AREA/ZONE[:POINTS][:AMOUNT]
    # The table's plain fields (method, needle_gauge, consent...: model.fields), by name.
    plain: Mapping[str, Number] = field(default_factory=dict)


class ClinicDefaults(NamedTuple):
    """The clinic's defaults and words from the config, as drafting a session needs them
    (what the patient's page prints is :class:`mesolog.model.aftercare.ClinicDetails`)."""

    practitioner: str = ""
    technique: str | None = None
    anaesthetic: str | None = None
    vocabulary: vocab.Vocabulary = vocab.DEFAULT
    zones: ZoneCatalogue = ZONE_CATALOGUE


class Draft(NamedTuple):
    """A drafted session, or what is still missing; the warnings either way."""

    session: Session | None
    missing: tuple[str, ...] = ()
    remarks: tuple[Remark, ...] = ()
    # A correction's fields given (Session fields; a measurement as ``measurements.NAME``): the
    # merge conflicts it settles (docs/corrections.md).
    named: frozenset[str] = frozenset()

    @property
    def warnings(self) -> list[str]:
        return list(dict.fromkeys(r.text for r in self.remarks))

    def complete(self) -> Session:
        """The session; refuses naming every missing field."""
        if self.session is None:
            raise MissingFields(list(self.missing))
        return self.session


# --- the value parser shared by add, amend, the prompts and import ---------------------------


def parse_given(
    given: Given, words: vocab.Vocabulary, today: date
) -> tuple[dict[str, Any], list[Remark]]:
    """The values given, parsed, keyed by the Session field they set; only what was given."""
    remarks: list[Remark] = []

    def note(name: str, found: tuple[Any, list[str]]) -> Any:
        remarks.extend(Remark(name, text) for text in found[1])
        return found[0]

    _one_line_fields(given)
    values = _parse_protocol(given, words, note)
    values.update(_parse_plain(given))
    if given.date is not None:
        values["date"] = session_date(given.date, today)
    if given.indication:
        values["indication"] = note("indication", indication(given.indication, words))
    if given.complications:
        values["complications"] = tuple(
            note("complication", complication(c, words, today)) for c in given.complications
        )
        for item in values["complications"]:  # said at once (the session date is checked later)
            for name, day, why in complication_problems(item, date.min, today):
                raise InvalidValue(f"{item.name} {name}", day.isoformat(), why)
    if given.measures:
        values["measurements"] = measurements(given.measures)
    texts: dict[str, object] = {"notes": given.note, "practitioner": given.practitioner or None}
    texts["photos"] = tuple(Photo(photo(p)) for p in given.photos) or None
    values.update({k: v for k, v in texts.items() if v is not None})
    return values, remarks


def _one_line_fields(given: Given) -> None:
    """A line break in any text given but the notes is refused (see :func:`values.one_line`),
    named in the singular as its option names it (``remove_substances``: "substance"). The
    depth is a number, which its parser reads (a line break around it is only space)."""
    for item in fields(Given):
        value = getattr(given, item.name)
        name = item.name.rpartition("_")[2]
        for text in value if isinstance(value, tuple) else (value,):
            if isinstance(text, str) and item.name not in ("note", "depth"):
                one_line(text, name.removesuffix("s") if isinstance(value, tuple) else name)
    for entry in PLAIN:
        text = given.plain.get(entry.name)
        if entry.text and isinstance(text, str):
            one_line(text, entry.name)


def _parse_protocol(
    given: Given, words: vocab.Vocabulary, note: Callable[[str, tuple[Any, list[str]]], Any]
) -> dict[str, Any]:
    """Areas, substances, depth, technique and anaesthetic, as given."""
    values: dict[str, Any] = {}
    # Comma-split everywhere ("face, neck" is two areas). An empty piece (" , ", "face,") is
    # refused rather than skipped: a separator alone must never be stored as an area.
    for text in given.areas:
        if len(text.split(",")) > 1 and not all(w.strip() for w in text.split(",")):
            raise InvalidValue(
                "area", text, 'every comma-separated part must name an area, e.g. "face, neck"'
            )
    areas = [w for text in given.areas for w in text.split(",")]
    if given.areas:
        values["areas"] = tuple(dict.fromkeys(note("area", area(w, words)) for w in areas))
    if given.substances:
        # "#2=NAME:AMOUNT..." (amend: the product of that number) is parsed without its number.
        values["substances"] = tuple(
            note("substance", substance(corrections.numbered_spec(s)[1], words))
            for s in given.substances
        )
        for item in values["substances"]:  # said at once, with what was typed
            wrong = amount_problem(item)
            if wrong is not None:
                raise wrong
    if given.depth is not None:
        values["depth_mm"] = depth(given.depth)
    if given.technique:
        values["technique"] = technique(given.technique)
    if given.anaesthetic:
        values["anaesthetic"] = words.anaesthetic(given.anaesthetic)
    return values


def _parse_plain(given: Given) -> dict[str, Any]:
    """The table's plain fields (method, needle gauge, consent...), each by its own parser; an
    empty text is not given, an empty number is refused by its parser."""
    typed = ((entry, given.plain.get(entry.name)) for entry in PLAIN)
    return {
        entry.name: entry.parsed(raw)
        for entry, raw in typed
        if raw is not None and not (entry.text and raw == "")
    }


# --- defaults taken from the chart ------------------------------------------------------------


def named_course(chart: Chart, name: str) -> Course:
    from mesolog.model.details import find_course

    return find_course(chart, name)


def known_expiries(
    chart: Chart | None, items: tuple[Substance, ...]
) -> tuple[tuple[Substance, ...], list[Remark]]:
    """An expiry belongs to its lot: a lot given without one gets the expiry recorded with that
    lot of that product before in this chart (a default substance keeps its lot and expiry).
    A lot given with another expiry than that one is a warning (one lot has one expiry, so one
    of them was mistyped), recorded all the same since the box in hand is the better witness."""
    if chart is None or not chart.sessions:
        return items, []
    from mesolog.model import progress

    remarks, known_items = [], []
    for item in items:
        known = progress.known_expiry(chart, item.name, item.lot) if item.lot else None
        if known is not None and item.expiry is not None and item.expiry != known:
            text = (
                f"lot {item.lot} of {item.name} was recorded with expiry {known.isoformat()} "
                f"earlier in this chart, now {item.expiry.isoformat()}: check the box "
                "(recorded as given)"
            )
            remarks.append(Remark("substance", text))
        known_items.append(
            replace(item, expiry=known) if item.lot and item.expiry is None else item
        )
    return tuple(known_items), remarks


def new_product_remarks(
    chart: Chart | None, items: tuple[Substance, ...], words: vocab.Vocabulary
) -> list[Remark]:
    """A product neither in the catalogue nor the clinic's own, with no close catalogue name
    (a close one is suggested already): said once, the first time this chart holds it, with how
    to make it a known word (docs/vocabulary.md)."""
    import shlex

    sessions = chart.sessions if chart else ()
    held = {vocab.normalize(given.name) for session in sessions for given in session.substances}
    remarks = []
    for item in items:
        category, match = words.substance(item.name)
        if category != vocab.UNCATALOGUED or match.suggestion or vocab.normalize(item.name) in held:
            continue
        text = (
            f"product {item.name!r} is not in the catalogue; recorded as typed. If the clinic "
            f"uses it, make it a known word: mesolog config set products {shlex.quote(item.name)}"
        )
        remarks.append(Remark("substance", text))
    return remarks


def substance_spec(item: Substance) -> str:
    """A substance as it would be typed: NAME:AMOUNT[:LOT x][:EXP date]."""
    spec = f"{item.name}:{number_text(item.amount)}{item.unit}"
    spec += f":LOT {item.lot}" if item.lot else ""
    return spec + (f":EXP {item.expiry.isoformat()}" if item.expiry else "")


def prompt_defaults(chart: Chart | None, practice: ClinicDefaults) -> dict[str, str | None]:
    """The default offered for each required field at the prompt: this patient's last value;
    the config's only for a patient with no session yet."""
    last = chart.last_session if chart else None
    if last is None:
        config = {"technique": practice.technique, "anaesthetic": practice.anaesthetic}
        return {name: config.get(name) for name in REQUIRED}
    return {
        "area": ", ".join(last.areas),
        "substance": "; ".join(substance_spec(s) for s in last.substances),
        "depth": number_text(last.depth_mm),
        "technique": last.technique,
        "anaesthetic": last.anaesthetic,
    }


def protocol_defaults(chart: Chart | None) -> dict[str, str]:
    """The optional protocol fields this patient's last session holds, as text, by name (what
    the prompt offers after the required fields, into :attr:`Given.plain`)."""
    last = chart.last_session if chart else None
    found: dict[str, str] = {}
    for name in OPTIONAL_PROTOCOL:
        value = getattr(last, name, None)
        if name == "zones" and value:  # as typed: "scalp/vertex:40:1.5; scalp/frontal:20"
            from mesolog.model.exchange import zone_spec

            found["zones"] = "; ".join(zone_spec(z) for z in value)
        elif value is not None and value != ():
            shown = number_text(value) if isinstance(value, float) else str(value)
            found[name] = shown
    return found


# --- drafting ---------------------------------------------------------------------------------


def draft_session(
    given: Given,
    chart: Chart | None,
    practice: ClinicDefaults,
    today: date,
    *,
    like_last: bool = False,
    asking: bool = False,
    recorded: datetime | None = None,
) -> Draft:
    """A new session from what was given, this patient's chart and the practice's defaults.

    ``asking``: the missing fields will be asked for at a prompt (whose defaults come from
    :func:`prompt_defaults`), so the config does not fill them here.
    """
    _refuse_corrections(given)
    values, remarks = parse_given(given, practice.vocabulary, today)
    last = chart.last_session if chart else None
    base = _like_last(chart) if like_last else None
    values = {
        **_defaults(base, practice, asking),
        **{k: v for k, v in values.items() if v is not None},
    }
    values.setdefault("date", today)
    _with_zones(values, given, practice)
    course = _course(given, chart)
    values["course"] = course.name if course else None
    values.setdefault("indication", _indication(base, course, last))
    values.setdefault("practitioner", practice.practitioner or (base.practitioner if base else ""))
    if "substances" in values:
        values["substances"], said = known_expiries(chart, values["substances"])
        remarks += said + new_product_remarks(chart, values["substances"], practice.vocabulary)
    missing = tuple(f for f in REQUIRED if values.get(REQUIRED_FIELD[f]) in (None, (), ""))
    if missing:
        return Draft(None, missing, tuple(remarks + draft_remarks(values)))
    session = Session(id=0, recorded=recorded or now(), **values)
    return _checked(session, chart, today, remarks)


def _refuse_corrections(given: Given) -> None:
    """What only a correction can say (a product by its number, one to take off, a
    complication to settle) has no meaning for a new session."""
    numbered = [s for s in given.substances if corrections.numbered_spec(s)[0] is not None]
    if numbered:
        raise InvalidValue(
            "substance",
            numbered[0],
            "'#N=' names a product of a recorded session: use it with "
            "`mesolog amend`, or give NAME:AMOUNT here",
        )
    if given.remove_substances or given.resolve_complications or given.resolved or given.outcome:
        raise InvalidValue(
            "--remove-substance/--resolve-complication",
            "",
            "they correct a recorded session: use them with `mesolog amend`",
        )


def _with_zones(values: dict[str, Any], given: Given, practice: ClinicDefaults) -> None:
    """The zones given, checked against the session's areas and the catalogue; zones copied by
    --like-last keep only those of the areas the session now names."""
    areas = values.get("areas", ())
    if given.zones:
        values["zones"] = drafted_zones(given.zones, areas, practice.zones)
    elif values.get("zones"):
        named = {area_key(a) for a in areas}
        values["zones"] = tuple(z for z in values["zones"] if area_key(z.area) in named)


def draft_from_session(session: Session, chart: Chart, today: date) -> Draft:
    """A session built already (by a script, a migration, a test) drafted as a typed one is,
    less the parsing and the defaults: its course must exist (and is named as the chart names
    it), a lot given without an expiry keeps the one recorded with it before, and it is checked
    and warned about by the same rules (:func:`draft_session`)."""
    course = named_course(chart, session.course).name if session.course else None
    substances, remarks = known_expiries(chart, session.substances)
    return _checked(replace(session, course=course, substances=substances), chart, today, remarks)


def _checked(session: Session, chart: Chart | None, today: date, remarks: list[Remark]) -> Draft:
    """What every new session passes, however it was drafted: the record's rules (refused
    when broken), then the warnings of its values and of its place in its course."""
    validate_session(session, today)
    remarks = [*remarks, *session_remarks(session)]
    remarks += _date_remarks(chart, session)
    remarks += _interval_remarks(chart, session)
    return Draft(session, (), tuple(remarks))


def _like_last(chart: Chart | None) -> Session:
    last = chart.last_session if chart else None
    if last is None:
        raise InvalidValue(
            "--like-last",
            chart.patient.id if chart else "",
            "this patient has no earlier session to copy",
        )
    return last


def _defaults(base: Session | None, practice: ClinicDefaults, asking: bool) -> dict[str, Any]:
    """What fills a field not typed: the protocol copied by --like-last, then (unless the
    field will be asked for) the config's technique and anaesthetic."""
    found: dict[str, Any] = {}
    if not asking and practice.technique:
        found["technique"] = practice.technique
    if not asking and practice.anaesthetic:
        found["anaesthetic"] = practice.vocabulary.anaesthetic(practice.anaesthetic)
    if base is not None:
        found.update({k: getattr(base, k) for k in PROTOCOL if getattr(base, k) not in (None, ())})
    return found


def _indication(base: Session | None, course: Course | None, last: Session | None) -> str | None:
    """Not typed: the last session's when copying it, else the course's, else the last one's."""
    for found in (base, course, last):
        if found is not None and found.indication:
            return found.indication
    return None


def _course(given: Given, chart: Chart | None) -> Course | None:
    """The course typed (which must exist), else the current course while it is open."""
    if given.course:
        if chart is None:
            raise UnknownCourse(
                f"a new patient has no course {given.course!r}; add it with `mesolog course add`."
            )
        return named_course(chart, given.course)
    if chart is None or not chart.courses:
        return None
    from mesolog.model import progress  # only for charts with a course: start-up

    current = progress.next_due(chart)
    return current.course if current and not current.complete else None


def _date_remarks(chart: Chart | None, session: Session) -> list[Remark]:
    """A session dated before the patient's birth year, or before the start of its course: a
    typing slip more often than not, so said (recorded all the same: old charts get copied in)."""
    if chart is None:
        return []
    found = []
    born = chart.patient.birth_year
    if born is not None and session.date.year < born:
        found.append(
            f"the session date {session.date.isoformat()} is before the patient's birth year "
            f"{born}; recorded as given."
        )
    course = chart.course(session.course) if session.course else None
    if course is not None and session.date < course.start:
        found.append(
            f"the session date {session.date.isoformat()} is before course {course.name} "
            f"started ({course.start.isoformat()}); recorded as given."
        )
    return [Remark("date", text) for text in found]


def _interval_remarks(chart: Chart | None, session: Session) -> list[Remark]:
    """A session sooner after the previous one of its course than the course's interval."""
    course = chart.course(session.course) if chart is not None and session.course else None
    if chart is None or course is None:
        return []
    mine = (s.date for s in chart.active_sessions if course.named(s.course))
    previous = max((day for day in mine if day <= session.date), default=None)
    gap = (session.date - previous).days if previous else course.interval_days
    if gap >= course.interval_days:
        return []
    text = (
        f"this session is {gap} day{'' if gap == 1 else 's'} after the previous one of "
        f"course {course.name}, which plans one every {course.interval_days} days."
    )
    return [Remark("date", text)]


def _settled(
    session: Session, given: Given, words: vocab.Vocabulary, today: date
) -> tuple[Any, ...]:
    """The session's complications with those ``--resolve-complication`` names settled on the
    date ``--resolved`` gives (required with it), outcome ``--outcome`` or "resolved"; the
    others as they were."""
    if not given.resolve_complications:
        if given.resolved or given.outcome:
            raise InvalidValue(
                "--resolved/--outcome",
                given.resolved or given.outcome or "",
                "say which complication with --resolve-complication NAME",
            )
        return session.complications
    if not given.resolved:
        raise InvalidValue(
            "--resolve-complication",
            given.resolve_complications[0],
            "give the date it resolved with --resolved YYYY-MM-DD",
        )
    resolved = past_date(given.resolved, "resolved", today)
    outcome = choice(given.outcome, "outcome", vocab.OUTCOMES) if given.outcome else "resolved"
    items = list(session.complications)
    for name in given.resolve_complications:
        index = corrections.complication_index(session, name, "--resolve-complication", words)
        items[index] = replace(items[index], resolved=resolved, outcome=outcome)
    return tuple(items)


def draft_amendment(
    old: Session,
    given: Given,
    chart: Chart,
    practice: ClinicDefaults,
    today: date,
) -> Draft:
    """``old`` with the given values applied (same parser and rules as a new session): areas
    are replaced; each product typed replaces the one of that name, lot or number (the others
    kept), complications are added, taken off or settled by name, measurements set."""
    values, remarks = parse_given(given, practice.vocabulary, today)
    words = practice.vocabulary
    measured = values.get("measurements", {})  # the measures given (merged with the old below)
    # Each correction touches only what it names (docs/corrections.md): complications taken
    # off, then settled, then the new ones added; products replaced by name, lot or number.
    kept = corrections.without_complications(old, given.remove_complications, words)
    settled = _settled(kept, given, words, today)
    if given.complications or given.remove_complications or given.resolve_complications:
        values["complications"] = (*settled, *values.get("complications", ()))
    if "substances" in values or given.remove_substances:
        numbers = [corrections.numbered_spec(s)[0] for s in given.substances]
        typed = list(zip(numbers, values.get("substances", ()), strict=True))
        fixed, notes = corrections.corrected_substances(old, typed, given.remove_substances)
        remarks += [Remark("substance", text) for text in notes]
        remarks += new_product_remarks(chart, tuple(item for _, item in typed), words)
        values["substances"] = fixed
    if "photos" in values:  # a picture the session holds keeps its record (view, stage, size)
        held = {p.file: p for p in old.photos}
        added = [p.file for p in values["photos"] if p.file not in held]
        if added and any(p.sha256 for p in old.photos):  # a bare path beside `photo add` records
            raise InvalidValue(
                "--photo",
                added[0],
                "this session's pictures were added with `mesolog photo add`, which adds "
                "another with its view and stage; --photo keeps only the ones it names",
            )
        values["photos"] = tuple(held.get(p.file, p) for p in values["photos"])
    if "measurements" in values:
        values["measurements"] = {**old.measurements, **values["measurements"]}
    if "substances" in values:
        # Warned against the other sessions (this one holds the expiry being corrected).
        others = replace(chart, sessions=tuple(s for s in chart.sessions if s.id != old.id))
        remarks += known_expiries(others, values["substances"])[1]
        values["substances"] = known_expiries(chart, values["substances"])[0]
    if given.course:
        values["course"] = named_course(chart, given.course).name
    if given.zones:  # replaced, as areas and substances are
        values["zones"] = drafted_zones(given.zones, values.get("areas", old.areas), practice.zones)
    new = replace(old, **values)
    if not new.voided:  # the values typed now were judged by today as they were read
        validate_session(new, latest_recorded(today))
    before = {*session_remarks(old), *_date_remarks(chart, old)}
    remarks += [r for r in (*session_remarks(new), *_date_remarks(chart, new)) if r not in before]
    return Draft(new, (), tuple(remarks), _given_fields(values, measured))


def _given_fields(values: dict[str, Any], measured: dict[str, Any]) -> frozenset[str]:
    """The fields a correction gives: each Session field it set, a measurement by its name."""
    measures = {f"measurements.{name}" for name in measured}
    return frozenset((set(values) - {"measurements"}) | measures)
