"""Plumbing shared by every view: the console, JSON/CSV/Markdown, numbers, warnings."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol, TextIO, cast

from mesolog.errors import inert as inert  # the views take it from here
from mesolog.errors import inert_table

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text


FORMATS = ("table", "json", "csv", "markdown")
SPARKS = "▁▂▃▄▅▆▇█"


class Page(Protocol):
    """A file a view is drawn into (``mesolog.render.output.FilePage``)."""

    def console(self) -> Console: ...

    def write(self, text: str) -> None: ...


# The page :func:`mesolog.render.output.captured` is writing, or None for the terminal:
# :func:`console` and :func:`stream` ask it first.
current_page: Page | None = None


# --- what reaches a screen is inert ----------------------------------------------------------
#
# A chart is text anyone could have typed, merged or edited by hand: an escape sequence in it
# would clear the screen, retitle the window, write the clipboard, hide text or plant a link. The
# rule is one function, ``mesolog.errors.inert`` (every refusal's sentence passes through it
# too): every control character (C0 but newline and tab, DEL, C1), every invisible direction
# mark and the line and paragraph separators are shown as their escapes (ESC as the four
# characters \x1b). It is applied where chart text becomes a renderable (``shown``, and
# ``inert`` itself where a view appends data to a ``Text``) and to plain-text output (``write``,
# ``warnings``), before Rich measures or draws anything. Rich markup in data is never parsed:
# views build ``Text`` objects, never markup strings, and a table cell is a ``Text`` too.


def shown(text: object = "", style: str = "", **options: Any) -> Text:
    """Chart text as a Rich ``Text``: inert, never parsed as markup (options as ``Text``'s)."""
    from rich.text import Text

    return Text(inert(str(text)), style=style, **options)


# Piped output (a file, `less`, mail, a printer) is drawn for a screen this wide unless
# COLUMNS says otherwise: the width of most terminals, and what the README's samples show.
PIPED_WIDTH = 80


def piped_width() -> int:
    """The width piped output is drawn at: ``COLUMNS`` when it holds a width, else 80.

    Piped tables follow the same rules as a terminal of that width (values are never cut:
    columns are left out, named under the table, or rows become blocks), so nothing is lost,
    and a report never becomes a box table hundreds of columns wide."""
    columns = os.environ.get("COLUMNS", "").strip()
    return int(columns) if columns.isdigit() and int(columns) > 0 else PIPED_WIDTH


def console(stderr: bool = False) -> Console:
    """A console the width of the terminal, or of :func:`piped_width` when piped, that writes
    no ANSI codes at all when piped or when NO_COLOR is set (Rich alone would still write bold
    and italics).

    Inside :func:`mesolog.render.output.captured` it is the page being written to a file."""
    from rich.console import Console

    if current_page is not None and not stderr:
        return current_page.console()

    stream = sys.stderr if stderr else sys.stdout
    interactive = stream.isatty()
    plain = bool(os.environ.get("NO_COLOR"))
    out = Console(
        file=stream if interactive else trimmed(stream),
        highlight=False,
        width=None if interactive else piped_width(),
        color_system=None if plain else "auto",
    )
    # Rich ends the program with exit 1 when the reader closes the pipe; the CLI decides that
    # (`mesolog report | head -1` has done its job: exit 0, quietly).
    setattr(out, "on_broken_pipe", _pipe_closed)  # noqa: B010
    return out


class _Trimmed:
    """A pipe or a .txt file as Rich writes to it, less the spaces it pads lines with (a block,
    a title, a wrapped paragraph drawn to the full width): piped output carries no trailing
    spaces. Only spaces before a newline go, so a line written in two parts keeps its inner
    space. Rich uses only these four of a file's members."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        # Rich draws its boxes in ASCII for an encoding that lacks them.
        self.encoding = getattr(stream, "encoding", None) or "utf-8"

    def write(self, text: str) -> int:
        self.stream.write(_PADDING.sub("\n", text))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return False


_PADDING = re.compile(r" +\n")


def trimmed(stream: TextIO) -> TextIO:
    """``stream`` for a console whose text is read as text (a pipe, a .txt file): no line of
    it ends in spaces."""
    return cast("TextIO", _Trimmed(stream))


def _pipe_closed() -> None:
    raise BrokenPipeError(32, "the reader closed the pipe")


def _json_default(value: object) -> str:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


def to_json(data: object) -> str:
    import json

    text = json.dumps(data, default=_json_default, ensure_ascii=False, indent=2)
    # JSON escapes C0 controls itself; the rest of what ``inert`` shows (C1, DEL, direction
    # marks) is written as \uXXXX: the same value for a JSON reader, inert on a screen.
    return text.translate(_json_table())


@cache
def _json_table() -> dict[int, str]:
    return {c: f"\\u{c:04x}" for c in inert_table() if c >= 0x20}


def inert_cell(value: object) -> object:
    """A cell a spreadsheet shows as typed: text with a formula lead gets a leading quote."""
    if value is None:
        return ""
    if isinstance(value, str):
        from mesolog.model.values import spreadsheet_quoted

        return spreadsheet_quoted(value)
    return value


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    return "".join(csv_line(row) + "\n" for row in [header, *rows])


# --- what reaches Markdown is text ----------------------------------------------------------
#
# Markdown output escapes user text (docs/design.md) in one function, ``markdown_text``: rendered by
# a CommonMark renderer, the escaped text reads as the text itself (a property test checks it
# with markdown-it). Every character that can start markup anywhere in a line is escaped with a
# backslash: emphasis and strike-through (``*``, ``_``, ``~``), code (a backtick), links and
# images (``[``, ``]``), HTML and autolinks (``<``, ``>``), entities (``&``), table cells
# (``|``), headings (``#``) and the backslash itself. An ``_`` between two letters or digits
# cannot open or close emphasis in CommonMark, so ``wrinkle_severity_wsrs`` stays as typed; and
# ``-``, ``+``, ``=``, ``.`` and ``)`` are escaped only at the start of a line, where they would
# make a list, a rule or a heading, so dates and ids (``2026-11-27``, ``P-0042``) stay readable.
# Spaces at either end of a line, which Markdown drops, are written as character references.

_MARKDOWN_SPECIAL = re.compile(r"[\\`*\[\]<>|&~#]|(?<![^\W_])_|_(?![^\W_])")
_MARKDOWN_LINE_START = re.compile(r"^(?:([-+=])(?=[\s\-+=]|$)|(\d{1,9})([.)])(?=\s|$))")
_MARKDOWN_EDGE_SPACE = re.compile(r"^\s+|\s+$")


def markdown_text(text: str) -> str:
    """``text`` as Markdown that renders as ``text`` itself (newlines kept)."""
    return "\n".join(_markdown_line(line) for line in text.split("\n"))


def _markdown_line(line: str) -> str:
    line = _MARKDOWN_SPECIAL.sub(r"\\\g<0>", line)
    line = _MARKDOWN_LINE_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", line)
    return _MARKDOWN_EDGE_SPACE.sub(lambda m: "".join(f"&#{ord(c)};" for c in m[0]), line)


def to_markdown(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A table read by a person: a yes/no column says its own word for yes (``amended``, as the
    table's ``2 amended*``; ``too small``) and nothing for no, never True/False (CSV and JSON
    keep those for programs)."""

    def cell(key: str, value: object) -> str:
        if isinstance(value, bool):
            value = key.replace("_", " ") if value else None
        text = "" if value is None else inert(str(value))
        return markdown_text(text).replace("\n", "<br>")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += [
        "| " + " | ".join(cell(k, v) for k, v in zip(header, row, strict=True)) + " |"
        for row in rows
    ]
    return "\n".join(lines) + "\n"


def machine_output(fmt: str, columns: Sequence[str], rows: list[list[object]]) -> bool:
    """Rows as JSON objects, CSV or Markdown, written; False for "table" (the caller draws it).
    JSON keeps lists as lists; CSV and Markdown cells hold them joined with "; "."""
    if fmt == "json":
        write(to_json([dict(zip(columns, row, strict=True)) for row in rows]))
    elif fmt in ("csv", "markdown"):
        flat = [[flat_cell(v) for v in row] for row in rows]
        write((to_csv if fmt == "csv" else to_markdown)(columns, flat))
    else:
        return False
    return True


def flat_cell(value: object) -> object:
    """One cell of a flat form: a list joined with "; ", a date as ISO."""
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def write(text: str) -> None:
    text = inert(text)
    stream(text if text.endswith("\n") else text + "\n", inert_already=True)


def date_text(value: date | None) -> str:
    return value.isoformat() if value else ""


def counted(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def sparkline(values: Sequence[float]) -> str:
    if not values:
        return ""
    low, high = min(values), max(values)
    if high == low:
        return SPARKS[3] * len(values)
    return "".join(SPARKS[round((v - low) / (high - low) * (len(SPARKS) - 1))] for v in values)


def change_text(value: float) -> str:
    return f"{value:+g}"


def warnings(messages: Iterable[str]) -> None:
    """Warnings, once each, on stderr: recorded all the same."""
    for message in dict.fromkeys(messages):
        said(f"warning: {inert(message)}")


def said(text: str, stdout: bool = False) -> None:
    """A sentence on stderr (a refusal, a warning), or with ``stdout`` a report's lines on
    stdout (made inert here): one line for a pipe or a log (grep finds it whole); on a
    terminal, wrapped at its width between words, so the terminal never cuts a word, a flag or
    an id in two. An indented line (a report's item) continues two spaces further in."""
    out = sys.stdout if stdout else sys.stderr
    if stdout:
        text = inert(text)
    if out.isatty() and not (stdout and current_page is not None):
        try:
            width = os.get_terminal_size(out.fileno()).columns
        except (OSError, ValueError):
            width = 80
        text = "\n".join(_wrapped(line, width) for line in text.splitlines())
    if stdout:
        stream(text + "\n", inert_already=True)
    else:
        sys.stderr.write(text + "\n")


def _wrapped(line: str, width: int) -> str:
    """One line wrapped between words (never inside a word, an id or a flag)."""
    import textwrap

    indent = len(line) - len(line.lstrip(" "))
    return textwrap.fill(
        line,
        width,
        subsequent_indent=" " * (indent + 2) if indent else "",
        break_long_words=False,
        break_on_hyphens=False,
    )


def stream(text: str, inert_already: bool = False) -> None:
    """Part of a long output, written as it is made (an export of the whole clinic): inert
    (``inert_already``: made so by :func:`to_json_line`), no newline added."""
    text = text if inert_already else inert(text)
    if current_page is not None:
        current_page.write(text)
    else:
        sys.stdout.write(text)


def to_json_line(data: object, acyclic: bool = False) -> str:
    """``data`` as one line of JSON (the compiled encoder: no indent) and its newline.
    ``acyclic``: the caller built ``data`` as a tree, so the encoder skips its check for
    cycles (a fifth of a FHIR export's encoding time)."""
    import json

    text = json.dumps(data, default=_json_default, ensure_ascii=False, check_circular=not acyclic)
    if text.isascii() and "\x7f" not in text:  # nothing the table would change (most lines)
        return text + "\n"
    return text.translate(_json_table()) + "\n"


def csv_line(cells: Sequence[object]) -> str:
    """One CSV row's text without its line end, each cell inert as in :func:`to_csv`."""
    import csv
    import io

    out = io.StringIO()
    # Written with "\r\n" and that cut off again: csv quotes a cell holding a character of its
    # line end only, so with less a note's second line (after "\n" or "\r") would start a row.
    csv.writer(out, lineterminator="\r\n").writerow([inert_cell(v) for v in cells])
    return out.getvalue()[:-2]
