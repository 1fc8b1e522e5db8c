"""How every parameter shows and completes, set in one place over the command tree Typer builds.

Typer shows Python types in help (``-a, --area <list[str]>``, ``{ID}``, ``[[ID]]``). Rather than
spell a metavar in every option of every module, :func:`in_words` walks the click commands once
they are built and gives each option a word from :data:`METAVARS` (or its own name in
capitals) and each argument its name as a word, ``ID`` when required and ``[ID]`` when not.
It also attaches the completers of :mod:`mesolog.cli.completion` by parameter name, converts
values with :mod:`mesolog.cli.conversion`, and reads every patient id as the chart stores it
(``void p-0003`` answers about P-0003), so a new command gets all of this without a line here.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperArgument

from mesolog.cli import completion, conversion

# Option (long name without dashes) -> the word its value shows as. A key "command:option"
# applies to that command only. The session's options carry their own (records.Session).
METAVARS = {
    "area": "AREA",
    "birth-year": "YEAR",
    "by": "NAME",
    "stats:by": "FIELD",
    "complication": "COMPLICATION",
    "add-complication": "COMPLICATION",
    "remove-complication": "NAME",
    "course": "COURSE",
    "data-dir": "PATH",
    "email": "EMAIL",
    "format": "FORMAT",
    "indication": "INDICATION",
    "interval": "DAYS",
    "last": "N",
    "name": "NAME",
    "note": "TEXT",
    "output": "FILE",
    "phone": "PHONE",
    "practitioner": "NAME",
    "reason": "TEXT",
    "search": "TEXT",
    "sessions": "N",
    "since": "DATE",
    "start": "DATE",
    "status": "STATUS",
    "substance": "SUBSTANCE",
    "technique": "TECHNIQUE",
    "until": "DATE",
    "within": "DAYS",
}


def in_words(command: Any, path: tuple[str, ...] = ()) -> None:
    """Metavars, completers and stored ids for ``command`` and everything under it."""
    name = path[-1] if path else ""
    conversion.converting(command)
    for param in command.params:
        if param.param_type_name == "argument":
            _argument_in_words(param)
        elif param.param_type_name == "option" and not (param.is_flag or param.count):
            param.metavar = _option_word(name, param)
        complete = completion.completer_for(name, param.name or "")
        if complete is not None:
            param._custom_shell_complete = complete
        if param.name == "patient_id":
            param.callback = _as_stored(param.callback)
    for sub_name, sub in (getattr(command, "commands", None) or {}).items():
        in_words(sub, (*path, sub_name))


def _option_word(command: str, param: Any) -> str:
    if param.metavar and not any(c in param.metavar for c in "<>[]{}"):
        return str(param.metavar)  # a word its declaration chose
    long_names = [o for o in param.opts if o.startswith("--")] or param.opts
    option = long_names[0].lstrip("-")
    return METAVARS.get(f"{command}:{option}") or METAVARS.get(option) or option.upper().replace("-", "_")


class WordArgument(TyperArgument):
    """An argument shown as its name: ``ID`` in help, ``ID`` or ``[ID]`` in the usage line."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None

    def _rich_display_name(self) -> str:
        return self.display_name_raw + ("..." if self.nargs != 1 else "")

    def _usage_display_name(self) -> str:
        name = self._rich_display_name()
        return name if self.required else f"[{name}]"


def _argument_in_words(param: Any) -> None:
    word = (param.metavar or param.name or "").strip("[]{}<> ").upper().replace("-", "_")
    param.metavar = word or None
    if isinstance(param, TyperArgument) and not isinstance(param, WordArgument):
        param.__class__ = WordArgument  # same object and fields, shown in words


def _as_stored(callback: Any) -> Any:
    """Wrap a patient id parameter's callback: an id typed in another case becomes the stored
    one, so every answer names the chart as it is filed. An id that is invalid, unknown, or in
    a folder that cannot be read is left as typed: the command itself then refuses it in its
    own sentence, with the right exit code. Anything else is a defect and is not hidden."""

    def stored_id(ctx: Any, param: Any, value: Any) -> Any:
        from mesolog.errors import MesologError

        if callback is not None:
            value = callback(ctx, param, value)
        if not isinstance(value, str) or ctx.resilient_parsing:
            return value
        try:
            found = completion.clinic_of(ctx).find(value)
        except (MesologError, OSError):
            return value
        return found.stem if found is not None else value

    return stored_id
