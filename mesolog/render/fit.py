"""Tables that fit the terminal without cutting a value ("Reading at any width", docs/design.md;
the why of each step in docs/widths.md).

Rich, given a table wider than the screen, shrinks every column and ends values with "…":
``P-00…``, ``2026-11-…``, ``(PC7…``. Here each column says what it holds instead:

- a *whole* column (ids, dates, lot numbers, numbers, substance names) gets the width of its
  longest line, so it is never wrapped or cut;
- a *free* column (areas, notes, complications, the audit trail's changes) wraps between
  words, never inside one: it is at least as wide as its longest word, since a word in free
  text may be a lot, a date, a number or a substance name ("PCDC-2026-000123456789-ABCDEFGH",
  "phosphatidylcholine") that folded could not be read or copied (only a word longer than
  LONGEST_KEPT_WORD, a URL or a pasted string, is folded);
- a column with a ``drop`` rank may be left out when the screen is too narrow, an empty one
  first, then the highest rank; the caller is told which, to say so under the table.

When even the columns that stay do not fit (one long word is enough), :func:`fitted` answers
None and the caller shows the rows another way (:func:`stacked`, or the report's own block per session). Widths are
computed here and given to Rich as fixed, so Rich never has to shrink anything: Rich's own
sharing, even given each column's ``min_width``, narrows the widest wrapping columns evenly and
can take one below its minimum, and the table then runs off the screen (docs/widths.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from mesolog.render.console import shown  # chart text becomes a renderable inert

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.table import Table
    from rich.text import Text

# A free column wraps down to this or to its longest word, whichever is wider.
FREE_MINIMUM = 8
# A word longer than this is no id, date, lot, number or substance name (a URL, a pasted
# string): it folds, rather than push every table that holds it into blocks.
LONGEST_KEPT_WORD = 40


@dataclass(frozen=True)
class Column:
    """One column of a view, declared once for every form of it.

    The table draws ``header`` with ``cell(row)`` (plain text or a Rich renderable; the value
    as plain text when not given); JSON, CSV and Markdown write ``key`` with ``value(row)``.
    A field the machine forms need but the table folds into another column (``days_late`` in
    "Next due") is a column of the same spec with ``table=False``: so the CSV header is always
    the table's keys plus those, in the same order (see :func:`keys`).
    """

    header: str
    whole: bool = True
    drop: int = 0  # 0: always shown; otherwise left out first when narrow, highest rank first
    justify: Literal["left", "right", "center"] = "left"
    # The machine name (JSON key, CSV and Markdown header): the header's words in snake case
    # ("Last session": last_session) unless given.
    key: str = ""
    value: Callable[[Any], object] | None = None  # the machine value of a row
    cell: Callable[[Any], object] | None = None  # the table cell of a row
    table: bool = True  # False: machine forms only

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", self.header.lower().replace(" ", "_"))


def keys(columns: Sequence[Column]) -> list[str]:
    """The machine header of a view: every column's key, table-hidden ones included."""
    return [c.key for c in columns]


def drawn(columns: Sequence[Column]) -> list[Column]:
    """The columns the table draws."""
    return [c for c in columns if c.table]


def machine_rows(columns: Sequence[Column], items: Iterable[object]) -> list[list[object]]:
    """The machine values of each item, a row each (see :func:`keys`)."""
    return [[c.value(item) if c.value else None for c in columns] for item in items]


def text(value: object) -> Text:
    """A value as an inert table cell (Rich markup in chart text prints as typed): a ``Text``
    as it is, nothing for None, a list one item a line, a date as ISO."""
    from datetime import date

    from rich.text import Text

    if isinstance(value, Text):
        return value
    if value is None:
        return shown("")
    if isinstance(value, (list, tuple)):
        return shown("\n".join(str(v) for v in value))
    if isinstance(value, date):
        return shown(value.isoformat())
    return shown(str(value))


def table_rows(columns: Sequence[Column], items: Iterable[object]) -> list[list[object]]:
    """The cells the table draws for each item, a row each (see :func:`drawn`): each its
    ``cell`` or else its ``value``, made a table cell by :func:`text`."""
    visible = drawn(columns)
    return [
        [text(c.cell(item) if c.cell else c.value(item) if c.value else None) for c in visible]
        for item in items
    ]


def _plain(cell: object) -> str:
    from rich.text import Text

    return cell.plain if isinstance(cell, Text) else str(cell)


def _lines(cell: object) -> list[str]:
    return _plain(cell).split("\n")


def _empty(cells: list[object]) -> bool:
    return not any(_plain(c).strip() for c in cells)


def _longest_word(text: str) -> int:
    from rich.cells import cell_len

    return max((cell_len(w) for w in text.split()), default=0)


def _natural(column: Column, cells: list[object]) -> int:
    """The width the column takes when nothing wraps."""
    from rich.cells import cell_len

    widest = max((cell_len(line) for c in cells for line in _lines(c)), default=0)
    return max(
        widest, _longest_word(column.header) if not column.whole else cell_len(column.header), 1
    )


def _least(column: Column, cells: list[object]) -> int:
    """The narrowest the column may be without cutting anything it must keep whole: a whole
    column's longest line; a free column's longest word (no word is folded: a table that cannot
    hold it leaves the column out or becomes blocks)."""
    if column.whole:
        return _natural(column, cells)
    words = max((_longest_word(line) for c in cells for line in _lines(c)), default=0)
    return max(
        _longest_word(column.header),
        min(words, LONGEST_KEPT_WORD),
        min(FREE_MINIMUM, _natural(column, cells)),
        1,
    )


def table_width(widths: Sequence[int]) -> int:
    """A boxed table: a rule between and around the columns, one space of padding each side."""
    return sum(widths) + 3 * len(widths) + 1


@dataclass
class Fitted:
    table: Table | None  # None: the columns that must stay do not fit this width
    hidden: list[str]  # headers of the columns left out


def fitted(
    width: int,
    columns: Sequence[Column],
    rows: Sequence[Sequence[object]],
    row_styles: Sequence[str] | None = None,
    **table_options: object,
) -> Fitted:
    """The rows as a table no wider than ``width``, leaving out droppable columns if needed."""
    from rich.table import Table

    # A cell given as a string is chart text like any other: inert, and never read as markup.
    rows = [[shown(cell) if isinstance(cell, str) else cell for cell in row] for row in rows]
    cells = [[row[i] for row in rows] for i in range(len(columns))]
    least = {i: _least(columns[i], cells[i]) for i in range(len(columns))}
    kept = _kept(width, columns, cells, least)
    if table_width([least[i] for i in kept]) > width:  # even the columns that must stay
        return Fitted(None, [columns[i].header for i in range(len(columns)) if i not in kept])
    widths = _share(width, kept, least, {i: _natural(columns[i], cells[i]) for i in kept})
    table = Table(**table_options)  # type: ignore[arg-type]
    for i in kept:
        table.add_column(
            columns[i].header, justify=columns[i].justify, width=widths[i], overflow="fold"
        )
    for n, row in enumerate(rows):
        table.add_row(*(row[i] for i in kept), style=row_styles[n] if row_styles else None)  # type: ignore[arg-type]
    # An empty column left out hides nothing: not named.
    hidden = [
        columns[i].header for i in range(len(columns)) if i not in kept and not _empty(cells[i])
    ]
    return Fitted(table, hidden)


def _kept(
    width: int, columns: Sequence[Column], cells: list[list[object]], least: dict[int, int]
) -> list[int]:
    """The columns that stay: droppable ones left out, an empty one first, then the highest
    rank, until the rest fit at their least (or nothing droppable is left)."""
    shown = list(least)
    while table_width([least[i] for i in shown]) > width:
        droppable = [i for i in shown if columns[i].drop]
        if not droppable:
            break
        # A column with nothing in it goes before any that says something.
        shown.remove(max(droppable, key=lambda i: (_empty(cells[i]), columns[i].drop, i)))
    return shown


def _share(
    width: int, shown: list[int], least: dict[int, int], natural: dict[int, int]
) -> dict[int, int]:
    """Every column at its least, then the spare width handed out towards each one's natural
    width, the narrowest wishes first, so short free columns stop wrapping before long notes."""
    widths = {i: least[i] for i in shown}
    spare = width - table_width(list(widths.values()))
    wanting = sorted(
        (i for i in shown if natural[i] > widths[i]), key=lambda i: natural[i] - widths[i]
    )
    for n, i in enumerate(wanting):
        share = spare // (len(wanting) - n)
        grow = min(natural[i] - widths[i], share)
        widths[i] += grow
        spare -= grow
    return widths


def stacked(
    width: int,
    columns: Sequence[Column],
    rows: Sequence[Sequence[object]],
    row_styles: Sequence[str] | None = None,
) -> RenderableType:
    """Rows as blocks, one ``Header: value`` line per value, for a screen no table fits. A
    value too long to stand beside its header goes on the lines under it; a value wider than
    the whole screen is folded, never cut."""
    from rich.cells import cell_len
    from rich.console import Group
    from rich.padding import Padding

    label_width = max(cell_len(c.header) for c in columns) + 2
    lines: list[RenderableType] = []
    for n, row in enumerate(rows):
        style = row_styles[n] if row_styles else ""
        if n:
            lines.append(shown(""))
        for column, cell in zip(columns, row, strict=True):
            values = _lines(cell)
            if not "".join(values).strip():
                continue
            label = (column.header + ":").ljust(label_width)
            if label_width + max(cell_len(v) for v in values) <= width:
                lead = label  # then, under it, the indent of a value
                for value in values:
                    lines.append(shown(lead + value, style=style, overflow="fold"))
                    lead = " " * label_width
            else:
                lines.append(shown(label.rstrip(), style=style))
                # Under the label, indented; a wrapped line keeps the indent.
                lines += [
                    Padding(shown(value, style=style, overflow="fold"), (0, 0, 0, 2), expand=False)
                    for value in values
                ]
    return Group(*lines)


WIDER_OR_CSV = "a wider window, or --format csv, shows them"  # what shows a column left out


def table_or_blocks(
    width: int,
    columns: Sequence[Column],
    rows: Sequence[Sequence[object]],
    title: str | Text,
    row_styles: Sequence[str] | None = None,
    more: str = WIDER_OR_CSV,
) -> RenderableType:
    """What to print for these rows at this width: the table, or blocks under the title, and
    a line naming the columns left out and what shows them (``more``: a command without
    ``--format`` says only the wider window)."""
    from rich.console import Group

    heading = text(title)
    fit = fitted(width, columns, rows, row_styles, title=heading, title_justify="left")
    if fit.table is None:
        return Group(heading, stacked(width, columns, rows, row_styles))
    hidden = [h for h in fit.hidden if h]
    if not hidden:
        return fit.table
    note = shown(
        f"Not shown at this width: {', '.join(hidden)} ({more}).",
        style="dim",
    )
    return Group(fit.table, note)


def view(
    width: int,
    columns: Sequence[Column],
    items: Iterable[object],
    title: str | Text,
    row_styles: Sequence[str] | None = None,
    more: str = WIDER_OR_CSV,
) -> RenderableType:
    """:func:`table_or_blocks` for the items of a view, drawn from its column spec."""
    rows = table_rows(columns, items)
    return table_or_blocks(width, drawn(columns), rows, title, row_styles, more)
