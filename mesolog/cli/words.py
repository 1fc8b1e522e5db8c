"""Arguments shown as words in help, and patient ids read as the chart stores them.

Typer shows a required argument as ``{ID}`` in the usage line and as ``ID <str>`` in the
help, whatever its metavar. :class:`WordsCommand`, the class of every mesolog command (see
``application``), draws the usage line and the Arguments section itself through click's
public ``collect_usage_pieces`` and ``format_options``: ``ID`` when required, ``[ID]`` when
not, and no Python type. Options show the word their declaration gives as ``metavar=``.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperCommand


class WordsCommand(TyperCommand):
    """A Typer command whose arguments read as their names: ``mesolog add [OPTIONS] ID``."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":  # ID when required, [ID] when not
                word = word_of(param)
                pieces.append(word if param.required else f"[{word}]")
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments, options = [], []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                arguments.append((word_of(param), record[1]))
            else:
                options.append(record)
        for title, rows in (("Arguments", arguments), ("Options", options)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


def word_of(param: Any) -> str:
    """An argument's word: its metavar, else its name in capitals (``ARGS...`` when it takes
    any number of values)."""
    return str(param.metavar or param.name or "").upper() + ("..." if param.nargs != 1 else "")


def stored_id(ctx: Any, param: Any, value: Any) -> Any:
    """The callback of a patient id: an id typed in another case becomes the stored one, so
    every answer names the chart as it is filed. An id that is invalid, unknown, or in a
    folder that cannot be read is left as typed: the command itself then refuses it in its
    own sentence, with the right exit code. Anything else is a defect and is not hidden."""
    from mesolog.cli import completion
    from mesolog.errors import MesologError

    if not isinstance(value, str) or ctx.resilient_parsing:
        return value
    try:
        found = completion.clinic_of(ctx).find(value)
    except (MesologError, OSError):
        return value
    return found.stem if found is not None else value
