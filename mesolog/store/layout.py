"""Where everything is in a chart's text: every table header and every key line, with its lines.

A small scanner that understands TOML's strings (basic, literal, multi-line), arrays that span
lines, inline tables and comments, so that ``[[sessions]]`` inside a note is text, not a header.
It serves two purposes, with one notion of "where": naming the line of a faulty field (the
codec and ``check``) and editing a chart in place (``store.editing``).

It reads text that ``tomllib`` has accepted already; text it cannot follow raises
:class:`LayoutError` (callers refuse rather than guess).

A place is a path of keys, with the element number for arrays of tables:
``("sessions", 2, "depth_mm")`` is the ``depth_mm`` line of the third ``[[sessions]]``;
``("patient",)`` is the ``[patient]`` table; ``()`` is the top of the file.
"""

from __future__ import annotations

import bisect
import functools
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field

Place = tuple[str | int, ...]


class LayoutError(Exception):
    """Text the scanner cannot follow (it should have been refused by tomllib first)."""


@dataclass(frozen=True)
class KeyLine:
    """One ``key = value`` of the text (dotted keys included)."""

    place: Place  # the key's full path: ("sessions", 2, "depth_mm")
    first: int  # 0-based line of the key
    last: int  # 0-based line where the value ends
    start: int  # offset of the value's first character
    end: int  # offset just past the value
    inner_comment: bool  # a comment inside the value (an array written over several lines)
    comment: int | None  # offset of a comment after the value on its last line


@dataclass
class Table:
    """A table with a header (``[patient]``, one ``[[sessions]]`` element) or the top of the file."""

    place: Place
    header: int | None  # 0-based line of the header; None for the top of the file
    body_end: int  # last line of its own keys (the header line when it has none)
    region_end: int = -1  # last content line of it and of the tables inside it that follow it
    keys: list[KeyLine] = field(default_factory=list)


@dataclass
class Layout:
    """Every table and key line of a text, by place."""

    lines: list[str]  # the text's lines, line ends kept
    tables: dict[Place, Table]  # in the order of the text
    keys: dict[Place, KeyLine]
    comment_lines: set[int]  # lines holding a comment

    def line(self, place: Place) -> int | None:
        """1-based line of ``place``, or of its nearest enclosing table that has a line."""
        while True:
            found = self.keys.get(place)
            if found is not None:
                return found.first + 1
            table = self.tables.get(place) or self.tables.get((*place, 0))
            if table is not None and table.header is not None:
                return table.header + 1
            if not place:
                return None
            place = place[:-1]

    def elements(self, array: Place) -> list[Table]:
        """The ``[[...]]`` elements of ``array`` written as tables, in order."""
        found: list[Table] = []
        while (element := self.tables.get((*array, len(found)))) is not None:
            found.append(element)
        return found


# The common line, read in one step: a bare key, a one-line basic string or a plain scalar
# (number, boolean, date, date and time), perhaps a comment. Anything else takes the long way.
_SIMPLE_LINE = re.compile(
    r"([A-Za-z0-9_-]+)[ \t]*=[ \t]*"
    r'("(?:[^"\\\n]|\\.)*"|[A-Za-z0-9_:.+-]+(?: \d\d:\d\d[0-9:.+Zz-]*)?)'
    r"[ \t]*(#[^\n]*)?(?:\r?\n|\Z)"
)
_BARE = re.compile(r"[A-Za-z0-9_-]+")
# A string by its opening quotes: a basic one ends at the first unescaped quote on its line, a
# literal one at the next quote; a multi-line one at the first three quotes (not escaped, in a
# basic one), and up to two more quotes just before them belong to its content.
_STRINGS = {
    '"': re.compile(r'"(?:[^"\\\n]|\\.)*"', re.DOTALL),
    "'": re.compile(r"'[^'\n]*'"),
    '"""': re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""(?:"{0,2})', re.DOTALL),
    "'''": re.compile(r"'''(?:[^']|'(?!''))*'''(?:'{0,2})"),
}
_SCALAR = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})?"
    r"|[^\s,\]\}#]+"
)


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text, self.i, self.n = text, 0, len(text)
        self.comments: list[int] = []  # offsets of every '#' that opens a comment

    def peek(self, ahead: int = 0) -> str:
        at = self.i + ahead
        return self.text[at] if at < self.n else ""

    def fail(self, what: str) -> LayoutError:
        return LayoutError(f"{what} at offset {self.i}")

    def spaces(self) -> None:
        while self.peek() in (" ", "\t"):
            self.i += 1

    def comment(self) -> None:
        self.comments.append(self.i)
        end = self.text.find("\n", self.i)
        self.i = self.n if end < 0 else end

    def blanks(self) -> bool:
        """Skip spaces, line ends and comments (inside arrays); True if a comment was skipped."""
        seen = False
        while self.i < self.n:
            c = self.text[self.i]
            if c in " \t\r\n":
                self.i += 1
            elif c == "#":
                self.comment()
                seen = True
            else:
                break
        return seen

    def line_end(self) -> None:
        """After a header or a value: spaces, perhaps a comment, then the end of the line."""
        self.spaces()
        if self.peek() == "#":
            self.comment()
        if self.peek() == "\r":
            self.i += 1
        if self.i < self.n:
            if self.peek() != "\n":
                raise self.fail("expected the end of the line")
            self.i += 1

    # -- keys --

    def key(self) -> tuple[str, ...]:
        parts: list[str] = []
        while True:
            self.spaces()
            c, start = self.peek(), self.i
            if c in ('"', "'"):  # a quoted key, as TOML reads it
                self.string(c)
                parts.append(tomllib.loads("k = " + self.text[start : self.i])["k"])
            else:
                found = _BARE.match(self.text, self.i)
                if not found:
                    raise self.fail("expected a key")
                parts.append(found.group())
                self.i = found.end()
            self.spaces()
            if self.peek() != ".":
                return tuple(parts)
            self.i += 1

    # -- values --

    def string(self, opening: str) -> None:
        """Skip a string that starts with ``opening`` (a key of ``_STRINGS``)."""
        found = _STRINGS[opening].match(self.text, self.i)
        if found is None:
            raise self.fail(
                "unterminated multi-line string" if len(opening) == 3 else "unterminated string"
            )
        self.i = found.end()

    def value(self) -> bool:
        """Skip one value; True if a comment lies inside it."""
        c = self.peek()
        if c in ('"', "'"):
            self.string(c * 3 if self.text.startswith(c * 3, self.i) else c)
            return False
        if c == "[":
            return self.items("]", keyed=False)
        if c == "{":
            return self.items("}", keyed=True)
        found = _SCALAR.match(self.text, self.i)
        if not found:
            raise self.fail("expected a value")
        self.i = found.end()
        return False

    def items(self, close: str, keyed: bool) -> bool:
        """Skip an array (``close`` is "]") or an inline table ("}": its items are ``keyed``);
        True if a comment lies inside it."""
        self.i += 1
        commented = False
        while True:
            commented |= self.blanks()
            if self.peek() == close:
                self.i += 1
                return commented
            if keyed:
                self.key()
                if self.peek() != "=":
                    raise self.fail("expected = in an inline table")
                self.i += 1
                self.spaces()
            commented |= self.value()
            commented |= self.blanks()
            if self.peek() == ",":
                self.i += 1
            elif self.peek() != close:
                raise self.fail(
                    f"expected , or {close} in {'an inline table' if keyed else 'an array'}"
                )


@functools.lru_cache(maxsize=4)
def scan(text: str) -> Layout:
    """The layout of ``text`` (a chart that tomllib reads). A change asks about the same text
    several times: the answer is kept (a layout is never changed once made)."""
    return _scan(text, None)


def scan_until(text: str, places: Iterable[Place]) -> Layout:
    """A layout of ``text`` that answers :meth:`Layout.line` for each of ``places``, read no
    further than the last of them: ``check`` names the line of every problem of every chart,
    and most problems sit near the top (the patient, the courses). When one of them is not
    written as a key or table of its own, the whole text is read, so its nearest enclosing
    table answers as :func:`scan`'s would. Only for lines: never for editing."""
    return _scan(text, set(places))


def _scan(text: str, wanted: set[Place] | None) -> Layout:
    scanner = _Scanner(text)
    starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_of(offset: int) -> int:
        return bisect.bisect_right(starts, offset) - 1

    root = Table((), None, -1)
    tables: dict[Place, Table] = {(): root}
    keys: dict[Place, KeyLine] = {}
    counts: dict[Place, int] = {}  # elements seen so far of each array of tables
    current = root
    while scanner.i < scanner.n:
        scanner.spaces()
        c = scanner.peek()
        if c in ("\n", "\r"):
            scanner.i += 1
            continue
        if c == "#":
            scanner.comment()
            continue
        if c == "":
            break
        start = scanner.i
        if c == "[":
            place = _header(scanner, counts)
            line = line_of(start)
            current = Table(place, line, line)
            tables[place] = current
            scanner.line_end()
            if wanted is not None and _all_found(wanted, place):
                break
            continue
        names, inner, value_start, value_end, comment = _key_value(scanner, start)
        entry = KeyLine(
            (*current.place, *names),
            line_of(start),
            line_of(value_end - 1),
            value_start,
            value_end,
            inner,
            comment,
        )
        keys[entry.place] = entry
        current.keys.append(entry)
        current.body_end = entry.last
        if wanted is not None and _all_found(wanted, entry.place):
            break
    _close_regions(list(tables.values()))
    comment_lines = {line_of(offset) for offset in scanner.comments}
    return Layout(toml_lines(text), tables, keys, comment_lines)


def toml_lines(text: str) -> list[str]:
    """``text`` cut into its lines, each with its ending, where TOML ends a line: at "\n" only.
    ``str.splitlines`` also cuts at U+2028, U+2029, U+0085, vertical tab and form feed, which a
    note may hold inside its quotes: the lines would no longer be the file's, and an edit of
    such a chart would never read back."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    return [*lines, parts[-1]] if parts[-1] else lines


def _header(scanner: _Scanner, counts: dict[Place, int]) -> Place:
    """A table header read: its place (an array's element by its number). ``counts`` holds the
    elements seen so far of each array of tables."""
    array = scanner.text.startswith("[[", scanner.i)
    scanner.i += 2 if array else 1
    names = scanner.key()
    closing = "]]" if array else "]"
    if not scanner.text.startswith(closing, scanner.i):
        raise scanner.fail("expected the end of a table header")
    scanner.i += len(closing)
    place: Place = ()
    for name in names[:-1]:
        place = (*place, name)
        if place in counts:  # a header below an array names its last element
            place = (*place, counts[place] - 1)
    place = (*place, names[-1])
    if array:
        counts[place] = counts.get(place, 0) + 1
        place = (*place, counts[place] - 1)
    return place


def _key_value(scanner: _Scanner, start: int) -> tuple[tuple[str, ...], bool, int, int, int | None]:
    """A ``key = value`` line read: (dotted key, whether the value holds tables, the value's
    start and end, where its comment starts or None)."""
    simple = _SIMPLE_LINE.match(scanner.text, start)
    if simple is not None:  # the common case, matched at once
        value_start, value_end = simple.span(2)
        comment = simple.start(3) if simple.group(3) is not None else None
        if comment is not None:
            scanner.comments.append(comment)
        scanner.i = simple.end()
        return (simple.group(1),), False, value_start, value_end, comment
    names = scanner.key()
    if scanner.peek() != "=":
        raise scanner.fail("expected =")
    scanner.i += 1
    scanner.spaces()
    value_start = scanner.i
    inner = scanner.value()
    value_end = scanner.i
    scanner.spaces()
    comment = scanner.i if scanner.peek() == "#" else None
    scanner.line_end()
    return names, inner, value_start, value_end, comment


def _all_found(wanted: set[Place], place: Place) -> bool:
    wanted.discard(place)
    return not wanted


def _close_regions(order: list[Table]) -> None:
    """Each table's region: itself and the tables inside it that follow it without a break."""
    for index, table in enumerate(order):
        end = table.body_end
        for inner in order[index + 1 :]:
            if inner.place[: len(table.place)] != table.place:
                break
            end = max(end, inner.body_end)
        table.region_end = end
