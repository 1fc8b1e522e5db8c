"""Plumbing shared by every view: the console, JSON/CSV/Markdown, numbers, warnings."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from mesolog.render import page

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text


FORMATS = ("table", "json", "csv", "markdown")
SPARKS = "▁▂▃▄▅▆▇█"


# --- plumbing ---------------------------------------------------------------------------------


# --- what reaches a screen is inert ----------------------------------------------------------
#
# A chart is text anyone could have typed, merged or edited by hand: an escape sequence in it
# would clear the screen, retitle the window, hide text or plant a link. The rule is one
# function, ``inert``: every control character (C0 but newline and tab, DEL, C1) and every
# invisible direction mark is shown as its escape (ESC as the four characters \x1b). It is
# applied where chart text becomes a renderable (``shown``), to plain-text output (``write``,
# ``warnings``), and, as the last guard for any text a view forgot, by the console itself
# to every piece of text it draws (``console``). Rich markup in data is never parsed: views
# build ``Text`` objects, not markup strings.

_KEPT = "\n\t"
_INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


@cache
def _inert_table() -> dict[int, str]:
    codes = [*range(0x00, 0x20), *range(0x7F, 0xA0)]
    table = {c: f"\\x{c:02x}" for c in codes if chr(c) not in _KEPT}
    table.update({ord(c): f"\\u{ord(c):04x}" for c in _INVISIBLE})
    return table


def inert(text: str) -> str:
    """``text`` with every control character and invisible direction mark shown visibly."""
    if text.isprintable() or not any(ord(c) in _inert_table() for c in text):
        return text
    return text.translate(_inert_table())


def shown(text: object = "", style: str = "", **options: Any) -> Text:
    """Chart text as a Rich ``Text``: inert, never parsed as markup (options as ``Text``'s)."""
    from rich.text import Text

    return Text(inert(str(text)), style=style, **options)


@cache
def _inert_console_class() -> type[Console]:
    from rich.console import Console
    from rich.segment import Segment

    class InertConsole(Console):
        """A console that makes every text segment inert before it is written (the last
        guard: styles, drawn by Rich itself, are control segments and pass untouched)."""

        def _render_buffer(self, buffer: Any) -> str:
            safe = (
                segment if segment.control else Segment(inert(segment.text), segment.style)
                for segment in buffer
            )
            return str(super()._render_buffer(safe))

    return InertConsole


def console(stderr: bool = False) -> Console:
    """A console that never cuts piped output at 80 columns, and writes no ANSI codes at all
    when piped or when NO_COLOR is set (Rich alone would still write bold and italics).

    Inside :func:`mesolog.render.output.captured` it is the page being written to a file."""
    import os

    if page.current is not None and not stderr:
        return page.current.console()

    stream = sys.stderr if stderr else sys.stdout
    interactive = stream.isatty()
    plain = bool(os.environ.get("NO_COLOR"))
    out = _inert_console_class()(
        file=stream,
        highlight=False,
        width=None if interactive else 100_000,
        soft_wrap=not interactive,
        color_system=None if plain else "auto",
    )
    # Rich ends the program with exit 1 when the reader closes the pipe; the CLI decides that
    # (`mesolog report | head -1` has done its job: exit 0, quietly).
    setattr(out, "on_broken_pipe", _pipe_closed)  # noqa: B010
    return out


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
    return {c: f"\\u{c:04x}" for c in _inert_table() if c >= 0x20}


def inert_cell(value: object) -> object:
    """A cell a spreadsheet shows as typed: text with a formula lead gets a leading quote."""
    if value is None:
        return ""
    if isinstance(value, str):
        from mesolog.model.values import spreadsheet_quoted

        return spreadsheet_quoted(value)
    return value


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([inert_cell(h) for h in header])
    for row in rows:
        writer.writerow([inert_cell(v) for v in row])
    return out.getvalue()



# The characters through which a cell's text could become something else, escaped with a
# backslash: ``[x](javascript:...)`` stays text, never a link; ``|`` never splits a cell; ``<``
# never opens HTML (nor ``&`` an entity); a backtick never starts code. Emphasis marks (``*``,
# ``_``) are left alone: at worst italics, and ``wrinkle_severity_wsrs`` stays readable.
_MARKDOWN_SPECIAL = re.compile(r"[\\`\[\]<>|&]")


def to_markdown(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    def cell(value: object) -> str:
        text = "" if value is None else inert(str(value))
        return _MARKDOWN_SPECIAL.sub(r"\\\g<0>", text).replace("\n", "<br>")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def machine_output(fmt: str, columns: Sequence[str], rows: list[list[object]]) -> bool:
    """Rows as JSON objects, CSV or Markdown, written; False for "table" (the caller draws it).
    JSON keeps lists as lists; CSV and Markdown cells hold them joined with "; "."""
    if fmt == "json":
        write(to_json([dict(zip(columns, row, strict=True)) for row in rows]))
    elif fmt == "csv":
        write(to_csv(columns, [[flat_cell(v) for v in row] for row in rows]))
    elif fmt == "markdown":
        write(to_markdown(columns, [[flat_cell(v) for v in row] for row in rows]))
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
    text = text if text.endswith("\n") else text + "\n"
    if page.current is not None:
        page.current.write(text)
    else:
        sys.stdout.write(text)



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
    seen = set()
    for message in messages:
        if message not in seen:
            seen.add(message)
            sys.stderr.write(f"warning: {inert(message)}\n")
