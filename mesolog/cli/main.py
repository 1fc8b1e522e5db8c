"""The entry point: imports only the module of the command being run (start-up), then runs Typer.

Typer builds a parser for every command registered, so a run registers only its own command
(``running.word``: ``void`` would otherwise build ``add``'s and ``amend``'s forty options,
about 19 million instructions). An unknown or missing command word registers them all, so
``mesolog --help``, "No such command" with its suggestions, and shell completion are Typer's
own."""

import importlib
import os
import sys
from typing import NoReturn

import typer

from mesolog.cli import running
from mesolog.cli.application import app, reader_gone

# Which module defines each command word. A run imports only its command's module; a test
# checks this table against the commands the modules register.
COMMAND_MODULES = {
    word: module
    for module, words in {
        "patients": ("patient", "course"),
        "sessions": ("add", "amend", "void", "restore"),
        "reports": ("report",),
        "summary": ("summary",),
        "questions": ("due", "lot", "find", "stats"),
        "exchange": ("export", "import"),
        "folder": ("check", "init", "git", "paths", "config"),
        "sharing": ("sync", "merge-chart"),
        "photos": ("photo",),
    }.items()
    for word in words
}


def every_command() -> typer.Typer:
    """The application with every command registered."""
    for module in sorted(set(COMMAND_MODULES.values())):
        importlib.import_module(f"mesolog.cli.{module}")
    return app


# Global options that take a value: the word after them is not the command's name.
_GLOBAL_OPTIONS_WITH_VALUE = frozenset({"--data-dir"})


def invoked_name(args: list[str]) -> str | None:
    """The command word of a command line (``add`` in ``--data-dir x add P-1``), or None."""
    words = iter(args)
    for word in words:
        if word == "--":
            return None
        if word in _GLOBAL_OPTIONS_WITH_VALUE:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def _refuse_undecodable(args: list[str]) -> None:
    """Bytes that are not UTF-8 in an argument (Python keeps them as lone surrogates) can be
    neither stored in a chart nor compared: one sentence naming the argument, exit 2."""
    for word in args:
        try:
            word.encode("utf-8")
        except UnicodeEncodeError:
            shown = repr(os.fsencode(word))[:60]
            sys.stderr.write(
                f"mesolog: the argument {shown} is not UTF-8 text; retype it (check the "
                "terminal's encoding). Nothing was changed.\n"
            )
            raise SystemExit(2) from None


def _refuse_closed_output() -> None:
    """Started with standard output closed (``mesolog report >&-``; Python then has no
    ``sys.stdout``): nothing could be shown and no change confirmed, so nothing is read or
    written: one sentence on stderr (when there is one), exit 1."""
    if sys.stdout is None:
        if sys.stderr is not None:
            sys.stderr.write("mesolog: standard output is closed; nothing was done.\n")
        raise SystemExit(1)


def main() -> NoReturn:
    """Entry point of the ``mesolog`` script (and of ``python -m mesolog``)."""
    _refuse_undecodable(sys.argv[1:])
    _refuse_closed_output()
    completing = "_MESOLOG_COMPLETE" in os.environ
    name = None if completing else invoked_name(sys.argv[1:])
    if name in COMMAND_MODULES:
        running.word = name  # its module registers that command alone
        importlib.import_module(f"mesolog.cli.{COMMAND_MODULES[name]}")
    else:
        every_command()  # --help, an unknown command's suggestions, completion: Typer's own
    try:
        app(prog_name="mesolog")  # exits itself (SystemExit)
    finally:
        _flush_for_a_reader_that_may_be_gone()
    raise SystemExit(0)


def _flush_for_a_reader_that_may_be_gone() -> None:
    # Piped output is buffered until here; a reader that already left (`| head -1`) is fine.
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        reader_gone()
