"""The table of a session's fields (docs/fields.md): each declared once, on ``records.Session``.

A field's name is its TOML key, CSV column and word in the trail; its annotation is its type;
its :class:`Declared` metadata holds its option, metavar, help, value parser, prompt, unit and
FHIR word. A field with a ``parse`` is *plain*: that parser is its whole rule everywhere; the
others (date, areas, substances...) have their rules in drafting and validation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any, NamedTuple

from mesolog.model.scalars import number_text

# The metadata key of a session field's declaration.
KEY = "mesolog"
# The table's units are UCUM codes (the FHIR extensions carry them); on screen, "deg" is
# written as practitioners write it, against the number (45°).
_ON_SCREEN = {"deg": "°"}


class Declared(NamedTuple):
    """How one session field is typed, parsed, asked for and exchanged (see the top)."""

    option: str  # "--needle-length"; the command parameter is named after it (needle_length)
    metavar: str
    help: str
    short: str = ""  # "-a"
    parse: Callable[[Any], Any] | None = None  # the model's one value parser; None: its own rule
    # Asked at the prompt, offering the last value (the protocol --like-last copies).
    prompt: str = ""
    unit: str = ""  # UCUM: after the value in the FHIR note and on screen ("mm")
    fhir: str = ""  # a Procedure note "WORD: value" when set

    @property
    def parameter(self) -> str:
        return self.option.removeprefix("--").replace("-", "_")


def declared(option: str, metavar: str, help: str, **more: Any) -> dict[str, Declared]:
    """The metadata of a Session field: its option, metavar and help, and ``more`` of
    :class:`Declared` (``field(metadata=declared(...))``)."""
    return {KEY: Declared(option, metavar, help, **more)}


def as_typed(text: Any) -> Any:
    """The parser of a plain text field: kept as typed (it must be one line, like every text
    but the notes: drafting and validation check that of every text field)."""
    return text


class Entry(NamedTuple):
    """A session field of the table: its name, its annotation as written, its declaration."""

    name: str
    type: str
    spec: Declared

    @property
    def text(self) -> bool:
        return self.type.startswith("str")

    @property
    def whole(self) -> bool:
        return self.type.startswith("int")

    @property
    def many(self) -> bool:
        return self.type.startswith(("tuple", "dict"))

    @property
    def label(self) -> str:
        """The field's word on screen: its option's ("--needle-length": "Needle length")."""
        return self.spec.option.removeprefix("--").replace("-", " ").capitalize()

    def value_text(self, value: Any) -> str:
        """A value with its unit as the screen shows it: "1.5 mm", "25 min", "45°"."""
        shown = number_text(value) if isinstance(value, float) else str(value)
        unit = self.spec.unit
        return shown + (_ON_SCREEN.get(unit) or (f" {unit}" if unit else ""))

    def fhir_note(self, value: Any) -> str | None:
        """The field's note in a FHIR Procedure, "WORD: value[ unit]" ("depth: 1.5 mm"), when
        the table gives it a FHIR word and the session a value."""
        if not self.spec.fhir or value in (None, ""):
            return None
        shown = number_text(value) if isinstance(value, float) else str(value)
        return f"{self.spec.fhir}: {shown}" + (f" {self.spec.unit}" if self.spec.unit else "")

    def parsed(self, value: Any) -> Any:
        """``value`` through the field's parser (a plain field's whole rule)."""
        if self.spec.parse is None:
            raise TypeError(f"{self.name} has a rule of its own, not a parser in the table")
        return self.spec.parse(value)


def entries(record: type) -> tuple[Entry, ...]:
    """Every declared field of ``record`` (a dataclass), in its order."""
    return tuple(
        Entry(f.name, str(f.type), f.metadata[KEY]) for f in fields(record) if KEY in f.metadata
    )
