"""Where the views' output goes: the terminal, or a page being written to a file.

:mod:`mesolog.render.console` asks :data:`current` first; :mod:`mesolog.render.output` sets it
while a view draws into a file. A module of its own so that both can reach it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from rich.console import Console


class Page(Protocol):
    def console(self) -> Console: ...

    def write(self, text: str) -> None: ...


# The page being captured, or None for the terminal.
current: Page | None = None
