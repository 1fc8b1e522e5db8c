"""Parsers Typer calls (``parser=``) for the command line's whole numbers and file names.

Typer converts every other value itself. For these two it would refuse a word where a number
belongs with pydantic's "Input should be a valid integer, unable to parse string as an
integer", and read an empty file name as the current folder; here either is one sentence
naming the option (exit 2), like every other refusal. The values that carry meaning (dates,
depths, amounts, substances) are text on the command line and read by the model's parsers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

# Plain digits with an optional sign: "3.0", "1_000" or "٣" are refused, not guessed at.
_WHOLE = re.compile(r"[+-]?[0-9]+")


# The number a help text gives as its example ("Example: --birth-year 1986", "Example: 3").
_EXAMPLE = re.compile(r"Example: (?:-\S+ )?([+-]?[0-9]+)")


def whole_number(name: str, help: str = "") -> Callable[[object], int]:
    """The parser of a whole-number option or argument called ``name`` in a refusal, which
    shows the example of its ``help`` (a year is not "e.g. 3")."""
    found = _EXAMPLE.search(help)
    example = found.group(1) if found else "3"

    def parse(value: object) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value  # a declared default
        text = str(value).strip()
        if not _WHOLE.fullmatch(text):
            from mesolog.errors import InvalidValue

            raise InvalidValue(name, value, f"it takes a whole number, e.g. {example}")
        return int(text)

    return parse


def file_name(name: str) -> Callable[[object], Path]:
    """The parser of a file name option called ``name``: given empty, it is refused."""

    def parse(value: object) -> Path:
        if isinstance(value, Path):
            return value
        if not str(value).strip():  # Path("") is "." (the current folder): never what was meant
            from mesolog.errors import MissingValue

            raise MissingValue(f"{name} needs a file name; nothing was written.")
        return Path(str(value))

    return parse
