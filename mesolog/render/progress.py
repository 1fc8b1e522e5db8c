"""A progress bar on stderr while the summary cache reads many charts (a first run, or after
the data folder was copied or restored).

The store never draws: it takes a ``(done, total)`` callback, and this module builds one.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress

# Below this many charts a rebuild takes well under a second: a bar would only flicker.
MANY_CHARTS = 50
# Redraw at most this often (the bar is also drawn at the start and at the end).
_REDRAW_S = 0.1


class RebuildBar:
    """The callback: starts a Rich bar on the first call for many charts, stops it at the end.

    Drawn by hand (no refresh thread, no redirected stdout/stderr): a rebuild forks worker
    processes, and forking a process that runs a drawing thread can deadlock the workers.
    """

    def __init__(self) -> None:
        self.bar: Progress | None = None
        self.drawn = 0.0

    def __call__(self, done: int, total: int) -> None:
        if total < MANY_CHARTS:
            return
        if self.bar is None:
            if done >= total:
                return
            self._start(total)
        assert self.bar is not None
        now = time.monotonic()
        finished = done >= total
        self.bar.update(self.bar.task_ids[0], completed=done)
        if finished or now - self.drawn >= _REDRAW_S:
            self.bar.refresh()
            self.drawn = now
        if finished:
            self.bar.stop()
            self.bar = None

    def _start(self, total: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        from mesolog.render.console import console

        self.bar = Progress(
            TextColumn("Reading charts into the summary cache"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console(stderr=True),
            auto_refresh=False,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self.bar.add_task("charts", total=total)
        self.bar.start()
        self.bar.refresh()
        self.drawn = time.monotonic()


def rebuild_progress() -> Callable[[int, int], None] | None:
    """A bar for a terminal; None (nothing drawn) when stderr is piped or a dumb terminal, and
    during shell completion (the shell's own line is on that terminal)."""
    import os

    quiet = os.environ.get("TERM") == "dumb" or "_MESOLOG_COMPLETE" in os.environ
    return None if quiet or not sys.stderr.isatty() else RebuildBar()
