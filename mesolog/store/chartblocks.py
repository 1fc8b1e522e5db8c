"""A chart's text cut into blocks, for edits that keep every other byte: the schema upgrade and
the merge of two machines' versions.

A block runs from a top-level table header (``[patient]``, ``[[courses]]``, ``[[sessions]]``,
``[[amendments]]``, or any table typed by hand) to the next one; the comment lines directly
above a header belong to the block they introduce. Sub-tables (``[[sessions.substances]]``,
``[sessions.measurements]``) stay inside their block. What comes before the first header (the
managed comment, ``schema = ...``) is the preamble.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mesolog.model.identity import derived_uid

_HEADER = re.compile(r"^[ \t]*(\[\[?)[ \t]*([^\[\]#]+?)[ \t]*\]\]?[ \t]*(#.*)?$")
_COMMENT = re.compile(r"^[ \t]*#")
_SCHEMA = re.compile(r"^(schema[ \t]*=[ \t]*)(\d+)", re.MULTILINE)
OLD_FIRST_LINE = "# mesolog patient chart (schema 1)."
NEW_FIRST_LINE = "# mesolog patient chart (schema 2)."


@dataclass(frozen=True)
class Block:
    """One table of the text: ``name`` (``sessions``), whether it is an array item, its text."""

    name: str
    array: bool
    text: str

    def data(self) -> dict[str, Any]:
        """The block's own values (raises ``tomllib.TOMLDecodeError`` when it does not parse)."""
        parsed = tomllib.loads(self.text)
        value = parsed[self.name]
        return dict(value[0] if self.array else value)


def _header(line: str) -> tuple[str, bool] | None:
    found = _HEADER.match(line)
    if not found:
        return None
    return found.group(2).replace(" ", "").replace("\t", ""), found.group(1) == "[["


def cut(text: str, nested_under: str | None = None) -> tuple[str, list[Block]]:
    """(preamble, blocks). With ``nested_under`` (a block's text), cut at its sub-tables instead:
    the preamble is then the block's own header and keys."""
    # Imported here: a chart of schema 2 is written without cutting it, and ``add`` need not
    # load the layout's tables (start-up).
    from mesolog.store.layout import toml_lines

    lines = toml_lines(text)
    bounds: list[tuple[int, str, bool]] = []  # where each block starts, its name, whether [[...]]
    floor = 0  # a block's comments never reach back into the block before it
    for index, line in enumerate(lines):
        found = _header(line)
        if found is None:
            continue
        name = found[0]
        if nested_under is None:
            starts = "." not in name  # a sub-table is part of the block above
        else:
            starts = name.startswith(nested_under + ".") and index > 0
        if not starts:
            continue
        start = index
        while start > floor and _COMMENT.match(lines[start - 1]):
            start -= 1
        bounds.append((start, *found))
        floor = index + 1
    ends = [start for start, _, _ in bounds[1:]] + [len(lines)]
    blocks = [
        Block(name, array, "".join(lines[start:end]))
        for (start, name, array), end in zip(bounds, ends, strict=False)
    ]
    return "".join(lines[: bounds[0][0] if bounds else len(lines)]), blocks


def schema_of(text: str) -> int | None:
    found = _SCHEMA.search(text)
    return int(found.group(2)) if found else None


def with_uid(block_text: str, patient_id: str) -> str:
    """A ``[[sessions]]`` block with a ``uid`` line after its ``id`` line, derived as for any
    schema-1 session; unchanged when it has one or does not parse."""
    own, _ = cut(block_text, "sessions")
    if re.search(r"(?m)^[ \t]*uid[ \t]*=", own):
        return block_text
    try:
        values = Block("sessions", True, own).data()
        uid = schema1_uid(patient_id, values["id"], values.get("recorded"))
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError):
        return block_text
    if uid is None:
        return block_text
    from mesolog.store.layout import toml_lines

    lines = toml_lines(block_text)
    at = next((i + 1 for i, line in enumerate(lines) if re.match(r"[ \t]*id[ \t]*=", line)), 1)
    at = min(at, len(lines))
    if at and not lines[at - 1].endswith("\n"):
        lines[at - 1] += "\n"
    lines.insert(at, f'uid = "{uid}"\n')
    return "".join(lines)


def schema1_uid(patient_id: str, number: object, recorded: object) -> str | None:
    """The uid of a schema-1 session (see ``model.identity.derived_uid``), or None when its
    number or its ``recorded`` moment is missing or not a date and time (a date or a time alone
    says nothing of when it was recorded): such a session has no identity to derive, and
    ``check`` names the field. Every derivation goes through here."""
    if isinstance(number, bool) or not isinstance(number, int):
        return None
    return derived_uid(patient_id, number, recorded) if isinstance(recorded, datetime) else None


def upgraded(text: str, patient_id: str) -> str:
    """A schema-1 chart's text as schema 2: ``schema = 2``, a uid in every session block, every
    other byte as it was. Text of schema 2 (or that cannot be upgraded plainly) is returned as
    it is: the write path's read-back check decides what is written."""
    if schema_of(text) != 1:
        return text
    preamble, blocks = cut(text)
    preamble = _SCHEMA.sub(lambda m: m.group(1) + "2", preamble, count=1)
    if preamble.startswith(OLD_FIRST_LINE):
        preamble = NEW_FIRST_LINE + preamble[len(OLD_FIRST_LINE) :]
    parts = [preamble]
    for block in blocks:
        is_session = block.name == "sessions" and block.array
        parts.append(with_uid(block.text, patient_id) if is_session else block.text)
    return "".join(parts)
