"""The table of a session's fields: each is declared once, on :class:`records.Session`, with
what every layer needs to know about it (see docs/fields.md).

The record is the table. A field's name is its TOML key, its CSV column and its word in the
trail; its annotation is its type (how the chart stores it, how the command line hands it
over). Its :class:`Declared` metadata holds the rest: the option of ``add`` and ``amend`` with
its metavar and help, the model's value parser, the prompt, the unit and the FHIR note. From
the record (``records.TABLE``) come the options (``cli.options.session_options``), decoding
(``store.codec``), :class:`drafting.Given`'s plain values and their parsing, validation, the
CSV columns, the prompts and the FHIR notes: a new field is one line on the record.

A field with a ``parse`` is *plain*: that parser is its whole rule, everywhere. Without one,
drafting and validation hold its rule (the date, the areas, the substances...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from mesolog.model.scalars import number_text

# The metadata key of a session field's declaration.
KEY = "mesolog"


@dataclass(frozen=True)
class Declared:
    """How one session field is typed, parsed, asked for and exchanged (see the top)."""

    option: str  # "--needle-length"; the command parameter is named after it (needle_length)
    metavar: str
    help: str
    short: str = ""  # "-a"
    parse: Callable[[Any], Any] | None = None  # the model's one value parser; None: its own rule
    prompt: str = ""  # asked at the prompt, offering the last value (the protocol --like-last copies)
    unit: str = ""  # after the value in the FHIR note ("mm")
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


@dataclass(frozen=True)
class Entry:
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
