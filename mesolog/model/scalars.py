"""One-value parsers that need no record: a number (decimal comma accepted), a whole number
in a range, a needle length, a word from a list. The table of a session's fields
(``records.Session``, model.fields) names them; ``values`` builds the compound forms on them."""

from __future__ import annotations

import math
import re

from mesolog.errors import InvalidValue
from mesolog.model import vocabulary as vocab

# "1,000" is one thousand to some and one to others: a comma then exactly three digits, after
# a whole part that could be a group of thousands (1-3 digits, not 0), is refused with how to
# write either. "1,5", "0,750" and "1234,567" can only be decimal commas.
_THOUSANDS_OR_DECIMAL = re.compile(r"(-?)\+?([1-9]\d{0,2}),(\d{3})")


def _refuse_ambiguous_comma(typed: str, field_name: str) -> None:
    """Refuses a number whose comma reads as thousands or as decimals."""
    found = _THOUSANDS_OR_DECIMAL.fullmatch(typed)
    if found is None:
        return
    sign, whole_part, digits = found.groups()
    whole_part = sign + whole_part
    small = number_text(float(f"{whole_part}.{digits}"))
    comma = small.replace(".", ",") if "." in small else f"{small},0"
    decimal = f"{whole_part}.{digits}" + ("" if comma == typed.lstrip("+") else f" / {comma}")
    raise InvalidValue(
        field_name,
        typed,
        "a comma before three digits reads as thousands or as decimals: write "
        f"{whole_part}{digits} for {whole_part}{digits}, or {decimal} for {small}",
    )


def number(text: str | float, field_name: str) -> float:
    """A finite number; a comma as decimal mark is accepted ("1,5"), but not where it could
    be a thousands separator ("1,000": see ``_refuse_ambiguous_comma``)."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value = float(text)
    else:
        typed = str(text).strip()
        _refuse_ambiguous_comma(typed, field_name)
        try:
            value = float(typed.replace(",", "."))
        except ValueError:
            raise InvalidValue(field_name, text, "it must be a number") from None
    if not math.isfinite(value):
        raise InvalidValue(field_name, text, "it must be a finite number")
    return value


def number_text(value: float) -> str:
    """A stored number as text that reads back as the very same float ("1.2345678", not
    ``:g``'s "1.23457"; "2", not "2.0"): a correction of the seventh digit must show as one.

    ``repr`` is the shortest round-tripping text; ordinary values (1e-6 up to 1e16) are written
    without an exponent ("0.00001", not "1e-05"), which Decimal does with the same digits."""
    value = float(value)
    text = repr(value)
    if "e" in text and math.isfinite(value) and 1e-6 <= abs(value) < 1e16:
        from decimal import Decimal  # rare: only the few ordinary values repr writes as 1e-05

        text = format(Decimal(text), "f")
    return text[:-2] if text.endswith(".0") else text


def whole(text: str | float, field_name: str, low: int, high: int) -> int:
    """A whole number within [low, high]."""
    value = number(text, field_name)
    if value != int(value) or not low <= value <= high:
        raise InvalidValue(field_name, text, f"it must be a whole number from {low} to {high}")
    return int(value)


def needle_length(text: str | float) -> float:
    """Needle length in mm: above 0 and at most 50."""
    length = number(text, "needle length")
    if not 0 < length <= 50:
        raise InvalidValue("needle length", text, "it must be above 0 and at most 50 mm")
    return length


def choice(text: str, field_name: str, allowed: tuple[str, ...]) -> str:
    word = vocab.normalize(text)
    for option in allowed:
        if word == option.lower():
            return option
    raise InvalidValue(field_name, text, "use one of " + ", ".join(allowed))
