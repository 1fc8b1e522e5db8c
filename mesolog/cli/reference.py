"""The command reference (docs/reference.md), written from the application itself.

Every command's help and every option's word and help come from the commands Typer builds, so
the reference says what `--help` says. `python -m mesolog.cli.reference > docs/reference.md`
writes it again; a test fails when the file in the repository differs from what this prints.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

from typer.main import get_command

from mesolog.cli.main import every_command

HEADER = """# Command reference

Every command and option of `mesolog`, written from the program itself
(`python -m mesolog.cli.reference > docs/reference.md`; a test fails when this page is stale).
The [manual](manual.md) explains how they work together.

Global options, before the command: `--data-dir PATH` (also `MESOLOG_DATA_DIR`), `--version`,
`--debug` (tracebacks; off by default because a traceback could print patient data).
"""


def commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every runnable command under ``command`` with its words, in the order of their names."""
    subcommands: dict[str, Any] | None = getattr(command, "commands", None)
    if subcommands:
        for name in sorted(subcommands):
            if not subcommands[name].hidden:
                yield from commands(subcommands[name], (*path, name))
    else:
        yield path, command


def _cell(text: str) -> str:
    """Help text as one Markdown table cell: one line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def _word(param: Any) -> str:
    if param.param_type_name == "argument":
        word = str(param.metavar or param.name.upper())
        return word if param.required else f"[{word}]"
    names = " / ".join([*param.opts, *param.secondary_opts])
    if param.is_flag:
        return f"`{names}`"
    return f"`{names} {param.metavar or param.name.upper()}`"


def _section(path: tuple[str, ...], command: Any) -> str:
    params = [p for p in command.params if not getattr(p, "hidden", False) and p.name != "help"]
    arguments = " ".join(_word(p) for p in params if p.param_type_name == "argument")
    title = " ".join(("mesolog", *path, arguments)).strip()
    lines = [f"## `{title}`", "", (command.help or "").strip(), ""]
    options = [p for p in params if p.param_type_name == "option"]
    if options:
        lines += ["| option | meaning |", "| --- | --- |"]
        for param in options:
            more = " (repeatable)" if param.multiple else ""
            lines.append(f"| {_word(param)}{more} | {_cell(param.help or '')} |")
        lines.append("")
    return "\n".join(lines)


def markdown() -> str:
    """The whole reference page."""
    root = get_command(every_command())
    sections = [_section(path, command) for path, command in commands(root)]
    return HEADER + "\n" + "\n".join(sections)


if __name__ == "__main__":
    sys.stdout.write(markdown())
