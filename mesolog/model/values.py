"""The short forms a practitioner types (``"hyaluronic acid:2ml:LOT A17"``, ``waist_cm=82.5``,
``-3d``), each parsed to a value or refused with one sentence naming the field."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from mesolog.errors import InvalidPatientId, InvalidValue
from mesolog.model import vocabulary as vocab
from mesolog.model.scalars import choice as choice
from mesolog.model.scalars import number as number
from mesolog.model.scalars import number_text as number_text
from mesolog.model.scalars import whole as whole

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mesolog.model.records import Complication, Substance

# choice, number, number_text and whole live in model.scalars, below the records (the table of
# a session's fields names them), and are re-exported here.
MAX_DEPTH_MM = 13.0
# Plausible bounds (anything outside is a typing slip, e.g. 1e-320 or 20 digits): a needle goes
# in at least 0.1 mm.
MIN_DEPTH_MM = 0.1
# A session's dose of one product, plausible per unit (vocabulary.UNITS), at least 0.001: up to
# 1000 ml (a body session of lipolytics is tens of ml); 5000 mg (phosphatidylcholine goes up to
# about 2500 mg a session); 10000 mcg (a vitamin B12 ampoule is 1000 mcg); 100000 IU or U (a
# hyaluronidase vial is 1500 IU).
AMOUNT_RANGES: dict[str, tuple[float, float]] = {
    "ml": (0.001, 1000.0),
    "mg": (0.001, 5000.0),
    "mcg": (0.001, 10000.0),
    "IU": (0.001, 100000.0),
    "U": (0.001, 100000.0),
}
# The dermis, as the overview source puts it (docs/vocabulary.md): deeper is a depot (FHIR
# exports it as subcutaneous). Which depths are worth a warning: vocabulary.depth_remark.
DERMAL_DEPTH_MM = (1.0, 4.0)
COURSE_SESSIONS = (3, 15)
COURSE_INTERVAL_DAYS = (7, 30)

_PATIENT_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,63}")  # the whole id: fullmatch
MEASURE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")  # a measurement: lower-case, unit last (waist_cm)


# --- ids --------------------------------------------------------------------------------------


def check_patient_id(patient_id: str) -> str:
    """The id, if it can safely become a file name; refuses anything else before any path."""
    # fullmatch, not match with "$": "$" also matches before a trailing newline ("P-1\n").
    if not isinstance(patient_id, str) or not _PATIENT_ID.fullmatch(patient_id):
        shown = patient_id if len(patient_id or "") <= 70 else patient_id[:67] + "..."
        raise InvalidPatientId(
            f"patient id {shown!r} is not allowed: use 1 to 64 letters, digits, '-', '_' or '.', "
            "not starting with '.' or '-'."
        )
    return patient_id


# --- single values ----------------------------------------------------------------------------

# Every line break Python's str.splitlines knows (\n, \r, \v, \f, \x1c-\x1e, U+0085, U+2028,
# U+2029): in a one-line field it would print as two lines and could fake a line of output.
_LINE_BREAK = re.compile("[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


def one_line(text: str, field_name: str) -> str:
    """``text``, refused when it holds a line break: every field but the notes is one line (a
    name, a phone number, a lot, an area, a reason...). Checked before any spaces are tidied,
    so a line break is never silently turned into a space either."""
    if _LINE_BREAK.search(text):
        raise InvalidValue(
            field_name,
            text,
            "it must be one line; remove the line break (only notes may hold several lines)",
        )
    return text


def now() -> datetime:
    """This moment in local time with its UTC offset, to the second (as charted)."""
    return datetime.now().astimezone().replace(microsecond=0)


def parse_date(text: str, field_name: str = "date", today: date | None = None) -> date:
    """ISO ``YYYY-MM-DD``, ``today``, ``yesterday`` or ``-Nd`` (N days ago)."""
    today = today or date.today()
    word = text.strip().lower()
    if word == "today":
        return today
    if word == "yesterday":
        return today - timedelta(days=1)
    ago = re.fullmatch(r"-(\d{1,4})d", word)
    if ago:
        return today - timedelta(days=int(ago.group(1)))
    allowed = "use a date as YYYY-MM-DD, 'today', 'yesterday' or '-3d'"
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", word):
        raise InvalidValue(field_name, text, allowed)
    try:
        return date.fromisoformat(word)
    except ValueError:
        raise InvalidValue(field_name, text, allowed) from None


# No session predates this: an earlier date is a typing slip (0001-01-01), refused.
EARLIEST_SESSION_DATE = date(1900, 1, 1)


def latest_recorded(today: date) -> date:
    """The latest date a chart may already hold: a day after this laptop's today, since a
    laptop ahead in time (Sydney against London) records its own "today" there. What is typed
    here is judged by this laptop's today; what the chart holds, by this (docs/sharing.md)."""
    return today + timedelta(days=1)


def session_date(text: str, today: date | None = None) -> date:
    """A session's date: not in the future, and not before 1900."""
    value = past_date(text, "date", today)
    if value < EARLIEST_SESSION_DATE:
        raise InvalidValue("date", text, f"it is before {EARLIEST_SESSION_DATE.year}")
    return value


def past_date(text: str, field_name: str = "date", today: date | None = None) -> date:
    """A date that is not in the future (sessions and onsets have happened)."""
    today = today or date.today()
    value = parse_date(text, field_name, today)
    if value > today:
        raise InvalidValue(field_name, text, f"it is in the future (today is {today.isoformat()})")
    return value


def amount_text(amount: float, unit: str) -> str:
    """An amount as every screen, Markdown and HTML page shows it: the number as stored, a space
    and the unit ("2 ml", the SI way). The chart keeps the number and the unit apart, and the
    trail of a correction keeps the words it was written with (``substance_text``)."""
    return f"{number_text(amount)} {unit}"


def depth(text: str | float) -> float:
    """Needle depth in mm (0.1 <= d <= 13). Whether it is usual depends on the method and the
    indication (vocabulary.depth_remark, said once the session is drafted): no warning here."""
    value = number(text, "depth")
    if not MIN_DEPTH_MM <= value <= MAX_DEPTH_MM:
        raise InvalidValue(
            "depth",
            text,
            f"depth in mm must be at least {MIN_DEPTH_MM:g} and at most {MAX_DEPTH_MM:g}",
        )
    return value


def technique(text: str) -> str:
    word = vocab.normalize(text)
    word = vocab.TECHNIQUE_ALIASES.get(word, word)
    if word not in vocab.TECHNIQUES:
        raise InvalidValue("technique", text, "use 'gun' (injection gun) or 'hand'")
    return word


def measurement(spec: str) -> tuple[str, float]:
    """``waist_cm=82.5`` -> ("waist_cm", 82.5). The name carries the unit."""
    name, sep, raw = spec.partition("=")
    name = name.strip().lower()
    if not sep or not raw.strip():
        raise InvalidValue("measure", spec, "write it as NAME=NUMBER, e.g. waist_cm=82.5")
    if not MEASURE_NAME.match(name):
        raise InvalidValue(
            "measure", spec, "the name is lower-case letters, digits and '_', unit last (waist_cm)"
        )
    return name, number(raw, f"measure {name}")


def measurements(specs: Sequence[str]) -> dict[str, float]:
    """Every ``--measure`` given, by name; one name given twice is refused (which value was
    meant would be a guess, and the other would be lost)."""
    taken: dict[str, float] = {}
    for spec in specs:
        name, value = measurement(spec)
        if name in taken:
            raise InvalidValue("measure", spec, f"{name} is given twice; give it once")
        taken[name] = value
    return taken


_AMOUNT = re.compile(r"^\s*(\d+(?:[.,]\d+)?|[.,]\d+)\s*([A-Za-zµμ]+)\s*$")


def amount(text: str) -> tuple[float, str]:
    """``2ml`` / ``0.5 mg`` / ``10 U`` -> (amount, unit): a number without a sign, and a unit."""
    stripped = text.strip()
    if stripped.startswith("-"):
        raise InvalidValue("amount", text, "the amount must be a positive number with a unit")
    match = _AMOUNT.match(stripped)
    if not match:
        raise InvalidValue(
            "amount", text, "write a positive number and a unit (ml, mg, mcg, IU, U), e.g. 2ml"
        )
    value = number(match.group(1), "amount")
    unit = vocab.UNIT_ALIASES.get(match.group(2).lower())
    if unit is None:
        raise InvalidValue("unit", match.group(2), "use one of " + ", ".join(vocab.UNITS))
    return value, unit  # its plausible range is a rule: validation.amount_problem


def photo(text: str) -> str:
    """A photo's path, relative to the data folder and inside it ("photos/P-0042/before.jpg").
    The shape only: whether the file is there yet is the store's to say (it may come later)."""
    how = "give its path relative to the data folder, e.g. photos/P-0042/before.jpg"
    if not text.strip():
        raise InvalidValue("photo", text, f"it is empty; {how}")
    from pathlib import PurePosixPath, PureWindowsPath

    if PurePosixPath(text).is_absolute() or PureWindowsPath(text).anchor or text.startswith("~"):
        raise InvalidValue(
            "photo", text, f"it is not inside the data folder; copy it there and {how}"
        )
    if ".." in PureWindowsPath(text).parts:  # "\\" and "/" both separate parts here
        raise InvalidValue("photo", text, f"'..' leads out of the data folder; {how}")
    return text


def lot_key(lot: str) -> str:
    """Lots match ignoring case and spaces: "d 2411" finds "D2411". The one rule for comparing
    lots: the lot recall, the lot filter of a session query (SessionQuery.lot), the summary
    cache's lots table, and one patient's lot list, known lots and the expiry kept with a lot
    (model.progress)."""
    return "".join(lot.split()).lower()


LOT_WORDS = ("lot", "batch")
EXPIRY_WORDS = ("exp", "expiry", "expires")


def _substance_extra(spec: str, extra: str, how: str) -> tuple[str, str | date]:
    """One part after NAME:AMOUNT: ("lot", text) or ("expiry", date)."""
    if not extra:
        # "HA:2ml::" could mean "no lot" or a lot lost in typing: refused, not guessed.
        raise InvalidValue(
            "substance",
            spec,
            "it has an empty part (nothing after a ':'); leave out a lot "
            f"or expiry you do not have; {how}",
        )
    key, _, rest = extra.partition(" ")
    key_l = key.lower().rstrip("=")
    if "=" in key:
        key_l, _, rest = extra.partition("=")
        key_l = key_l.strip().lower()
    if key_l in (*LOT_WORDS, *EXPIRY_WORDS) and not rest.strip():
        # A bare keyword would otherwise be recorded as the lot "LOT".
        raise InvalidValue(
            "substance",
            spec,
            f"{key.rstrip('=')} needs a value after it, e.g. "
            '"hyaluronic acid:2ml:LOT A17:EXP 2027-09-30"; leave it out if there is none',
        )
    if key_l in EXPIRY_WORDS:
        return "expiry", parse_date(rest.strip(), "expiry")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", extra) and key_l not in LOT_WORDS:
        raise InvalidValue(
            "substance", spec, f"is {extra} the lot or the expiry? write LOT {extra} or EXP {extra}"
        )
    return "lot", rest.strip() if key_l in LOT_WORDS else extra


def _lot_and_expiry(spec: str, extras: list[str], how: str) -> tuple[str | None, date | None]:
    """The lot and expiry of a substance spec, from the parts after NAME:AMOUNT."""
    found = [_substance_extra(spec, extra, how) for extra in extras]
    lots = [str(v) for kind, v in found if kind == "lot"]
    expiries = [v for kind, v in found if kind == "expiry" and isinstance(v, date)]
    if len(lots) > 1:
        raise InvalidValue(
            "substance",
            spec,
            f"it names {len(lots)} lots ({', '.join(lots)}); a lot cannot hold ':' and each "
            "substance has one lot: give a second lot as a second --substance",
        )
    if len(expiries) > 1:
        raise InvalidValue("substance", spec, "it gives two expiry dates; give one EXP date")
    if lots and re.search(r"(?i)\b(?:" + "|".join(map(re.escape, LOT_WORDS)) + r")\s+\S", lots[0]):
        # "LOT B553 LOT B554": stored as one lot, a recall of B554 would miss the patient.
        raise InvalidValue(
            "substance",
            spec,
            f"the lot '{lots[0]}' names a second lot; each substance has one lot: "
            "give a second lot as a second --substance",
        )
    if lots and any(c in lots[0] for c in ";,"):
        # At the prompt ';' separates substances (and ',' reads as a list): the same text
        # would split differently there, so a lot holding them is never stored.
        raise InvalidValue(
            "substance",
            spec,
            "a lot cannot hold ';' or ','; give one lot per substance "
            '(a second lot as a second --substance), e.g. "hyaluronic acid:2ml:LOT A17"',
        )
    return (lots[0] if lots else None), (expiries[0] if expiries else None)


def substance(
    spec: str, vocabulary: vocab.Vocabulary = vocab.DEFAULT
) -> tuple[Substance, list[str]]:
    """``NAME:AMOUNT[:LOT x][:EXP yyyy-mm-dd]`` -> a substance and any suggestion to show.

    A third part without a keyword is the lot ("hyaluronic acid:2ml:A17"). A spec whose parts
    would be replaced or split (two lots, two expiries, a bare date) is refused with how to
    type it: a recall must never miss a lot because a colon changed its meaning.
    """
    from mesolog.model.records import Substance

    how = 'write it as NAME:AMOUNT[:LOT x][:EXP date], e.g. "hyaluronic acid:2ml:LOT A17"'
    parts = [p.strip() for p in spec.split(":")]
    if len(parts) < 2 or not parts[0]:
        raise InvalidValue("substance", spec, how)
    name = " ".join(parts[0].split())
    value, unit = amount(parts[1])
    lot, expiry = _lot_and_expiry(spec, parts[2:], how)
    category, match = vocabulary.substance(name)
    close = None if match.known else match.suggestion
    notes = (
        [f"substance {name!r} is not in the catalogue; did you mean {close!r}?"] if close else []
    )
    strength = vocab.concentration_of(name)
    return Substance(name, value, unit, category, strength, lot, expiry), notes


def complication(
    spec: str, vocabulary: vocab.Vocabulary = vocab.DEFAULT, today: date | None = None
) -> tuple[Complication, list[str]]:
    """``NAME[:SEVERITY][:onset=DATE][:resolved=DATE][:outcome=X][:by=patient]``.

    Only the spelling is checked here; the rules of the dates (onset on or after the session,
    resolved on or after the onset, neither in the future) are one function,
    :func:`mesolog.model.validation.complication_problems`, applied on every path."""
    from mesolog.model.records import Complication

    parts = [p.strip() for p in spec.split(":")]
    if not parts[0]:
        raise InvalidValue("complication", spec, "write it as NAME[:SEVERITY], e.g. bruising:mild")
    match = vocabulary.complication(parts[0])
    severity: str | None = None  # not given: not recorded (never a grade nobody gave)
    onset = resolved = None
    outcome = reported_by = None
    for extra in parts[1:]:
        key, sep, value = extra.partition("=")
        key = key.strip().lower()
        if not sep:
            severity = choice(extra, "severity", vocab.SEVERITIES)
        elif key == "severity":
            severity = choice(value, "severity", vocab.SEVERITIES)
        elif key == "onset":
            onset = parse_date(value, "onset", today)
        elif key == "resolved":
            resolved = parse_date(value, "resolved", today)
        elif key == "outcome":
            outcome = choice(value, "outcome", vocab.OUTCOMES)
        elif key in ("by", "reported_by"):
            reported_by = choice(value, "reported_by", vocab.REPORTERS)
        else:
            raise InvalidValue(
                "complication", spec, "extra parts are SEVERITY, onset=, resolved=, outcome=, by="
            )
    if resolved and outcome is None:
        outcome = "resolved"
    close = None if match.known else match.suggestion
    notes = (
        [f"complication {parts[0]!r} is not in the list; did you mean {close!r}?"] if close else []
    )
    # The record keeps the word as typed; questions compare by meaning (vocabulary.meaning).
    item = Complication(" ".join(parts[0].split()), severity, onset, resolved, outcome, reported_by)
    return item, notes


def area(word: str, vocabulary: vocab.Vocabulary = vocab.DEFAULT) -> tuple[str, list[str]]:
    if not word.strip():
        raise InvalidValue("area", word, "name the area treated, e.g. scalp")
    return _listed_word("area", word, vocabulary.area(word))


def indication(word: str, vocabulary: vocab.Vocabulary = vocab.DEFAULT) -> tuple[str, list[str]]:
    if not word.strip():  # none given (`course edit --indication ""` clears it): nothing to say
        return "", []
    return _listed_word("indication", word, vocabulary.indication(one_line(word, "indication")))


def _listed_word(kind: str, word: str, match: vocab.Match) -> tuple[str, list[str]]:
    """An area or indication as typed (single spaces), and what to say when it is not listed:
    the close known word, else that it is recorded as typed."""
    if match.known:
        return " ".join(word.split()), []
    hint = f"; did you mean {match.suggestion!r}?" if match.suggestion else "; recorded as typed."
    return " ".join(word.split()), [f"{kind} {word.strip()!r} is not in the list{hint}"]


# --- spreadsheet cells ------------------------------------------------------------------------

# A cell a spreadsheet would run as a formula (OWASP: CSV injection).
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


class NumberText(str):
    """A stored number written as text (:func:`number_text`): a spreadsheet reads "-1" as the
    number it is, so the formula guard leaves it alone (a number is never a formula)."""

    __slots__ = ()


def spreadsheet_quoted(text: str) -> str:
    """``text`` as a CSV cell a spreadsheet shows as typed: a formula lead gets a leading quote.
    Text that already starts with quotes before a lead gets one more, so that
    :func:`spreadsheet_unquoted` gives back exactly what was typed. A number stays a number."""
    if isinstance(text, NumberText):
        return text
    return "'" + text if text.lstrip("'").startswith(FORMULA_LEADS) else text


def spreadsheet_unquoted(text: str) -> str:
    """The value a cell written by :func:`spreadsheet_quoted` stands for."""
    return text[1:] if text.startswith("'") and text.lstrip("'").startswith(FORMULA_LEADS) else text
