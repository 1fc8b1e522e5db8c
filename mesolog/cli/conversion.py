"""The words of a command line turned into the str, int, Path and flag values commands declare.

Typer 0.29 converts every parameter through a pydantic ``TypeAdapter`` that it builds on the
first parse; building the first one imports pydantic's validation machinery, about 105 ms of
CPU in a run whose other work takes about 110 ms (``python -X importtime``; figures in
benchmarks/results.md). Every mesolog parameter is a str, int, Path, bool flag or list of
str, and the values that carry meaning (dates, depths, amounts, substances) are parsed by the
model's one value parser afterwards, so converting these few types here is a few lines, and a
word where a number belongs gets one sentence naming the option (exit 2) instead of pydantic's
"Input should be a valid integer, unable to parse string as an integer".

:func:`converting` makes a command give each of its parameters this conversion when its
annotation is one of those types, and leaves any other to Typer. It hooks the command's
``get_params`` because Typer adds some parameters after the command is built (``--help``, and
the completion options of the top-level group). ``tests/test_conversion.py`` runs Typer's own conversion and this
one over every parameter of every command and compares what the command receives.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Typer's lazily built conversion of a parameter lives in this attribute (typer.core,
# ``_TyperParameter.get_runtime_param``); typer is pinned to 0.29.x in pyproject.toml.
_SLOT = "_runtime_param"

_WHOLE = re.compile(r"[+-]?[0-9]+")


def converting(command: Any) -> None:
    """Make ``command`` convert its parameters here, those Typer adds later included."""
    get_params = command.get_params

    def params_converted_here(ctx: Any) -> Any:
        params = get_params(ctx)
        for param in params:
            if getattr(param, _SLOT, True) is None:
                take_over(param)
        return params

    command.get_params = params_converted_here


def take_over(param: Any) -> bool:
    """Convert ``param``'s values here if its type is one of ours; True when taken over."""
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None or not hasattr(param, _SLOT) or descriptor.file_annotation is not None:
        return False
    annotation = descriptor.annotation
    many = param.multiple or param.nargs == -1
    if many:
        if annotation != list[str]:
            return False
        convert: Callable[[Any, str], Any] = _text
    else:
        found = _CONVERSIONS.get(annotation)
        if found is None:
            return False
        convert = found
    setattr(param, _SLOT, Conversion(convert, _shown_name(param), many))
    return True


class Conversion:
    """Stands in for Typer's conversion of one parameter (its ``coerce`` contract): nothing
    given is None (or an empty tuple for a repeated option), one value or a list of them."""

    def __init__(self, convert: Callable[[Any, str], Any], name: str, many: bool) -> None:
        self.convert, self.name, self.many = convert, name, many

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        if value is None:
            return () if self.many else None
        if self.many:
            return [self.convert(item, self.name) for item in value]
        return self.convert(value, self.name)


def _text(value: Any, name: str) -> str:
    return value if isinstance(value, str) else str(value)


def _path(value: Any, name: str) -> Path:
    if isinstance(value, Path):
        return value
    if not str(value).strip():  # Path("") is "." (the current folder): never what was meant
        from mesolog.errors import MissingValue

        raise MissingValue(f"{name} needs a file name; nothing was written.")
    return Path(value)


def _whole(value: Any, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        return int(value.strip())
    raise _refused(name, value, "it takes a whole number, e.g. 3")


_YES, _NO = frozenset({"1", "true", "t", "yes", "y", "on"}), frozenset({"0", "false", "f", "no", "n", "off"})


def _flag(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in _YES | _NO:
        return word in _YES
    raise _refused(name, value, "it is a flag: give it or leave it out")


_CONVERSIONS: dict[Any, Callable[[Any, str], Any]] = {
    bool: _flag,
    str: _text,
    int: _whole,
    Path: _path,
}


def _refused(name: str, value: Any, allowed: str) -> Exception:
    from mesolog.errors import InvalidValue

    return InvalidValue(name, value, allowed)


def _shown_name(param: Any) -> str:
    """How a refusal names the parameter: its long option, or an argument's name in words."""
    long_names = [o for o in param.opts if o.startswith("--")]
    if param.param_type_name == "option" and long_names:
        return str(long_names[0])
    return str(param.metavar or param.name or "").lower().replace("_", " ")
