"""Changes written into a chart's own text: only the lines of the fields that changed, and the new
entries (a trail entry, a complication, a course), differ. Comments anywhere, blank lines,
unknown keys at any level and every other block keep their bytes.

A chart is never encoded whole for a change. What cannot be edited in place (a value with
comments inside it, a list of tables written inline, a block holding hand-typed lines that the
change would delete) is refused with a sentence (:class:`WouldLoseHandEdits`).

:func:`revise_chart` is what the :class:`~mesolog.store.Clinic` uses: it compares the chart as
read with the chart intended, as TOML documents, and applies the differences with the
primitives below (each takes text and returns text; places are as in ``store.layout``):
``set_value`` (replace a key's value, or add the key to its table), ``remove_value`` (a key, a
table, or every element of an array of tables), ``append_table`` (one more ``[[...]]`` element
after the last of its kind), ``insert`` (any of these, or a ``[...]`` table). The caller still
reads the new text back and compares it with the chart intended before writing it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mesolog.errors import WouldLoseHandEdits
from mesolog.model import Chart, Session
from mesolog.store.codec import (
    encode_chart,
    encode_session,
    is_tables,
    toml_block,
    toml_key,
    toml_value,
)
from mesolog.store.layout import KeyLine, Layout, LayoutError, Place, Table, scan, toml_lines

Document = Mapping[str, Any]

_REFUSED = "nothing changed (edit that part of the file by hand, then run `mesolog check`)."


def revise_chart(text: str, before: Chart, after: Chart) -> str:
    """``text`` (which reads as ``before``) changed so that it reads as ``after``: the two
    compared as the TOML documents mesolog writes, as tomllib reads them back."""
    try:
        return revise(text, *documents(before, after))
    except LayoutError as error:
        raise WouldLoseHandEdits(
            f"the chart's text could not be followed line by line ({error}); {_REFUSED}"
        ) from None


def documents(before: Chart, after: Chart) -> tuple[Document, Document]:
    """``before`` and ``after`` as the TOML documents mesolog writes (:func:`encode_chart`), as
    tomllib reads them back. A change rebuilds only what it changes, so the two charts share
    most sessions (the same objects): each shared one is encoded and read once, not twice, and
    is one table in both documents (an amend of a 20-session chart read 40 sessions)."""
    import tomllib
    from dataclasses import replace

    read: dict[int, dict[str, Any]] = {}

    def session(item: Session) -> dict[str, Any]:
        if id(item) not in read:
            read[id(item)] = tomllib.loads(encode_session(item))["sessions"][0]
        return read[id(item)]

    def document(chart: Chart) -> dict[str, Any]:
        rest = tomllib.loads(encode_chart(replace(chart, sessions=())))
        trail = {"amendments": rest.pop("amendments")} if "amendments" in rest else {}
        sessions = {"sessions": [session(s) for s in chart.sessions]} if chart.sessions else {}
        return {**rest, **sessions, **trail}

    return document(before), document(after)


def revise(text: str, before: Document, after: Document, place: Place = ()) -> str:
    """Apply the differences between two TOML documents (as tomllib gives them) to ``text``:
    the whole file, or the table at ``place``.

    ``before`` is what ``text`` holds, as far as the caller knows; keys in the text that neither
    document names (hand-typed ones) are never touched.
    """
    previous: list[str] = []
    for key, value in after.items():
        here = (*place, key)
        if key not in before:
            text = insert(text, here, value, previous)
        elif before[key] != value:
            text = _revise_value(text, here, before[key], value, previous)
        previous.append(key)
    for key in reversed(list(before)):
        if key not in after:
            text = remove_value(text, (*place, key), before[key])
    return text


# --- the differences --------------------------------------------------------------------------


def _revise_value(text: str, place: Place, old: Any, new: Any, previous: Sequence[str]) -> str:
    layout = scan(text)
    if place in layout.keys:
        return _replace(text, layout.keys[place], new)
    if isinstance(old, dict) and isinstance(new, dict):
        return revise(text, old, new, place)
    if is_tables(old) and is_tables(new):
        for index, (before, after) in enumerate(zip(old, new, strict=False)):
            if before != after:
                text = _revise_value(text, (*place, index), before, after, ())
        for item in new[len(old) :]:
            text = append_table(text, place, item, previous)
        for index in reversed(range(len(new), len(old))):
            text = remove_value(text, (*place, index), old[index])
        return text
    return set_value(text, place, new, previous)


# --- the primitives ---------------------------------------------------------------------------


def insert(text: str, place: Place, value: Any, previous: Sequence[str] = ()) -> str:
    """Add ``value`` at ``place``: a key line, a ``[...]`` table or ``[[...]]`` elements.

    ``previous`` names the keys that come before it in the same table, nearest last: a new key
    line goes after the nearest of them written there, a new table after their tables.
    """
    layout = scan(text)
    if place in layout.keys:
        return set_value(text, place, value, previous)
    if isinstance(value, dict):  # a new [...] table
        anchor = _table_anchor(layout, place[:-1], previous, place)
        return _insert_block(layout, anchor, toml_block(_header(place), value, as_array=False))
    if is_tables(value):
        for item in value:
            text = append_table(text, place, item, previous)
        return text
    return set_value(text, place, value, previous)


def set_value(text: str, place: Place, value: Any, previous: Sequence[str] = ()) -> str:
    """The value of the key at ``place`` replaced, keeping the key, spacing and comment; or, when
    the key is absent, a ``key = value`` line added to its table (after ``previous``' line)."""
    layout = scan(text)
    entry = layout.keys.get(place)
    if entry is not None:
        return _replace(text, entry, value)
    owner = _owner(layout, place[:-1], place)
    anchor = owner.body_end
    for name in reversed(previous):
        sibling = layout.keys.get((*owner.place, name))
        if sibling is not None and sibling in owner.keys:
            anchor = sibling.last
            break
    indent = _indent(layout.lines[anchor]) if anchor >= 0 and anchor != owner.header else ""
    line = f"{indent}{toml_key(str(place[-1]))} = {_value(value)}\n"
    return _join(_ended(layout.lines[: anchor + 1]), [line], layout.lines[anchor + 1 :])


def append_table(text: str, array: Place, values: Document, previous: Sequence[str] = ()) -> str:
    """One more ``[[...]]`` element of ``array`` (e.g. ``("sessions", 2, "amendments")``), after
    the last element of its kind, or, for the first, after the tables of ``previous``."""
    layout = scan(text)
    if array in layout.keys:
        raise WouldLoseHandEdits(
            f"line {layout.keys[array].first + 1}: {_name(array)} is written inline; a change "
            f"can only add to lists written as [[{_header(array)}]] blocks; {_REFUSED}"
        )
    elements = layout.elements(array)
    if elements:
        anchor = elements[-1].region_end
    else:
        anchor = _table_anchor(layout, array[:-1], previous, array)
    return _insert_block(layout, anchor, toml_block(_header(array), values, as_array=True))


def remove_value(text: str, place: Place, old: Any) -> str:
    """The key line, the table, or every ``[[...]]`` element at ``place`` removed; ``old`` is
    what the caller knows it holds: anything else inside (a comment, an unknown key) refuses.
    A comment after a removed value on its line stays, on a line of its own."""
    layout = scan(text)
    entry = layout.keys.get(place)
    if entry is not None:
        _no_inner_comment(entry)
        lines = layout.lines
        kept: list[str] = []
        if entry.comment is not None:
            kept = [_indent(lines[entry.first]) + text[entry.comment :].partition("\n")[0] + "\n"]
        return _join(lines[: entry.first], kept, lines[entry.last + 1 :])
    elements = layout.elements(place)
    if elements and isinstance(old, list):
        for index in reversed(range(len(elements))):
            text = remove_value(text, (*place, index), old[index] if index < len(old) else {})
        return text
    table = layout.tables.get(place)
    if table is None:
        return text  # not in the file: it was the model's default
    return _remove_table(layout, table, old)


# --- helpers ----------------------------------------------------------------------------------


def _replace(text: str, entry: KeyLine, value: Any) -> str:
    _no_inner_comment(entry)
    return text[: entry.start] + _value(value) + text[entry.end :]


def _no_inner_comment(entry: KeyLine) -> None:
    if entry.inner_comment:
        raise WouldLoseHandEdits(
            f"line {entry.first + 1}: the value of {_name(entry.place)} has comments inside it "
            f"that this change would remove; {_REFUSED}"
        )


def _owner(layout: Layout, owner: Place, place: Place) -> Table:
    table = layout.tables.get(owner)
    if table is None:
        line = layout.line(place)
        raise WouldLoseHandEdits(
            f"line {line or 1}: {_name(owner)} is not written as a [{_header(owner)}] block of its "
            f"own, so {_name(place)} cannot be added to it in place; {_REFUSED}"
        )
    return table


def _table_anchor(layout: Layout, owner: Place, previous: Sequence[str], place: Place) -> int:
    """The line after which a new table of ``owner`` goes: after its own keys and after the
    tables of the keys that precede it."""
    table = _owner(layout, owner, place)
    anchor = table.body_end if table.header is not None or table.keys else -1
    for name in previous:
        sibling = layout.tables.get((*owner, name))
        elements = layout.elements((*owner, name))
        for found in (sibling, elements[-1] if elements else None):
            if found is not None:
                anchor = max(anchor, found.region_end)
    return anchor


def _remove_table(layout: Layout, table: Table, old: Any) -> str:
    assert table.header is not None
    first, last = table.header, table.region_end
    size = len(table.place)
    for number in range(first, last + 1):
        if number in layout.comment_lines:
            raise WouldLoseHandEdits(
                f"line {number + 1}: a comment inside {_name(table.place)} would be removed "
                f"with it; {_REFUSED}"
            )
    inside = [k.place for k in layout.keys.values() if first <= k.first <= last]
    inside += [
        t.place
        for t in layout.tables.values()
        if t.header is not None and first <= t.header <= last
    ]
    for place in inside:
        if place[:size] != table.place or not _holds(old, place[size:]):
            raise WouldLoseHandEdits(
                f"line {layout.line(place)}: {_name(place)} was typed by hand and would be removed "
                f"with {_name(table.place)}; {_REFUSED}"
            )
    lines = layout.lines
    if first > 0 and not lines[first - 1].strip():
        first -= 1  # the blank line that separated it
    return _join(lines[:first], [], lines[last + 1 :])


def _holds(known: Any, rest: Place) -> bool:
    for part in rest:
        if isinstance(part, int):
            if not isinstance(known, list) or part >= len(known):
                return False
        elif not isinstance(known, dict) or part not in known:
            return False
        known = known[part]
    return True


def _insert_block(layout: Layout, anchor: int, block: str) -> str:
    head, tail = _ended(layout.lines[: anchor + 1]), layout.lines[anchor + 1 :]
    piece = toml_lines(block)
    if head:
        piece = ["\n", *piece]
    if tail and tail[0].strip():
        piece.append("\n")
    return _join(head, piece, tail)


def _value(value: Any, inline: bool = False) -> str:
    """``value`` as written after ``key = ``: as tomli_w writes it, but a table, and a list
    holding one, inline (on the key's line), with every list inside them."""
    if isinstance(value, dict):
        inner = ", ".join(f"{toml_key(k)} = {_value(v, inline=True)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(value, list) and (inline or any(isinstance(v, dict) for v in value)):
        return "[" + ", ".join(_value(v, inline=True) for v in value) + "]"
    return toml_value(value)


def _header(place: Place) -> str:
    return ".".join(toml_key(p) for p in place if isinstance(p, str))


def _name(place: Place) -> str:
    """A place in words: ``sessions[3].depth_mm`` (element numbers counted from 1)."""
    if not place:
        return "the top of the file"
    out = ""
    for part in place:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _ended(lines: list[str]) -> list[str]:
    if lines and not lines[-1].endswith("\n"):
        return [*lines[:-1], lines[-1] + "\n"]
    return lines


def _join(*parts: list[str]) -> str:
    return "".join("".join(part) for part in parts)
