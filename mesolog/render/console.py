"""Plumbing shared by every view: the console, JSON/CSV/Markdown, numbers, warnings."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

from mesolog.render import page

if TYPE_CHECKING:
    from rich.console import Console


FORMATS = ("table", "json", "csv", "markdown")
SPARKS = "▁▂▃▄▅▆▇█"


# --- plumbing ---------------------------------------------------------------------------------


def console(stderr: bool = False) -> Console:
    """A console that never cuts piped output at 80 columns, and writes no ANSI codes at all
    when piped or when NO_COLOR is set (Rich alone would still write bold and italics).

    Inside :func:`mesolog.render.output.captured` it is the page being written to a file."""
    import os

    from rich.console import Console

    if page.current is not None and not stderr:
        return page.current.console()

    stream = sys.stderr if stderr else sys.stdout
    interactive = stream.isatty()
    plain = bool(os.environ.get("NO_COLOR"))
    out = Console(
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

    return json.dumps(data, default=_json_default, ensure_ascii=False, indent=2)


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP CSV injection).
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def inert_cell(value: object) -> object:
    """A cell a spreadsheet shows as typed: text with a formula lead gets a leading quote."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
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


def to_markdown(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    def cell(value: object) -> str:
        text = "" if value is None else str(value)
        return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", "<br>")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def machine_output(fmt: str, columns: Sequence[str], rows: list[list[object]]) -> bool:
    """Rows as JSON objects, CSV or Markdown, written; False for "table" (the caller draws it).
    JSON keeps lists as lists; CSV and Markdown cells hold them joined with "; "."""
    if fmt == "json":
        write(to_json([dict(zip(columns, row, strict=True)) for row in rows]))
    elif fmt == "csv":
        write(to_csv(columns, [[_flat(v) for v in row] for row in rows]))
    elif fmt == "markdown":
        write(to_markdown(columns, [[_flat(v) for v in row] for row in rows]))
    else:
        return False
    return True


def _flat(value: object) -> object:
    """One cell of a flat form: a list joined with "; ", a date as ISO."""
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def write(text: str) -> None:
    text = text if text.endswith("\n") else text + "\n"
    if page.current is not None:
        page.current.write(text)
    else:
        sys.stdout.write(text)



def _day(value: date | None) -> str:
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


def _number(value: float) -> str:
    """A stored number, every digit kept (model.number_text: the one way numbers are shown)."""
    from mesolog.model.values import number_text

    return number_text(value)


def _signed(value: float) -> str:
    return f"{value:+g}"


def warnings(messages: Iterable[str]) -> None:
    """Warnings, once each, on stderr: recorded all the same."""
    seen = set()
    for message in messages:
        if message not in seen:
            seen.add(message)
            sys.stderr.write(f"warning: {message}\n")
