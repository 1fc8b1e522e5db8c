"""mesolog converts its parameters' values itself (mesolog.cli.conversion) instead of through
Typer's pydantic adapters: every command must receive exactly what Typer would have given it,
refuse what Typer refused, and start without importing pydantic's validation machinery."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from conftest import FULL_ADD, mesolog_process, snapshot
from typer._click import Context
from typer._coercion import build_runtime_param

from mesolog.cli import conversion
from mesolog.cli.main import every_command
from mesolog.errors import InvalidValue

# Raw values as the parser hands them over: typed words, declared defaults, nothing given.
WORDS = ["3", " 3 ", "-2", "+7", "0", "4.5", "1e3", "x", "", "a b", "~/notes.txt", "P-0042", "é"]
REPEATED = [(), ("scalp",), ("scalp", "", "chin"), ["a b"]]


def every_param() -> list[tuple[str, Any, Any]]:
    """(command path, command, parameter) for every parameter, --help and completion included."""
    root = typer.main.get_command(every_command())
    found: list[tuple[str, Any, Any]] = []

    def walk(command: Any, path: str) -> None:
        with Context(command, info_name=path) as ctx:
            found.extend((path, command, param) for param in command.get_params(ctx))
        for name, sub in (getattr(command, "commands", None) or {}).items():
            walk(sub, f"{path} {name}")

    walk(root, "mesolog")
    return found


PARAMS = every_param()


def typers_own(param: Any, ctx: Context, value: Any) -> tuple[str, Any]:
    try:
        return "ok", build_runtime_param(param.type_descriptor).coerce(value, param=param, ctx=ctx)
    except Exception as error:
        return "refused", type(error).__name__


def ours(param: Any, ctx: Context, value: Any) -> tuple[str, Any]:
    try:
        return "ok", param.get_runtime_param().coerce(value, param=param, ctx=ctx)
    except InvalidValue as error:
        return "refused", error.message


def test_every_parameter_of_every_command_is_converted_here() -> None:
    assert len(PARAMS) > 150
    left_to_typer = [
        f"{path} {param.name}" for path, _, param in PARAMS
        if not isinstance(param.get_runtime_param(), conversion.Conversion)
    ]
    assert left_to_typer == []


@pytest.mark.parametrize(("path", "command", "param"), PARAMS, ids=[f"{p}:{q.name}" for p, _, q in PARAMS])
def test_a_command_receives_what_typer_would_have_given_it(path: str, command: Any, param: Any) -> None:
    with Context(command, info_name=path) as ctx:
        many = param.multiple or param.nargs == -1
        values: list[Any] = [None, *(REPEATED if many else WORDS), param.default]
        for value in values:
            theirs, mine = typers_own(param, ctx, value), ours(param, ctx, value)
            if theirs[0] == "refused":
                assert mine[0] == "refused", (value, theirs, mine)
            elif mine[0] == "refused":
                # Stricter than Typer only where a number would not be a plain one.
                annotation = param.type_descriptor.annotation
                assert (annotation, value) in {(int, "4.5"), (int, "1e3"), (int, "é")} | {
                    (bool, v) for v in WORDS
                }, (value, theirs, mine)
            else:
                assert mine == theirs and type(mine[1]) is type(theirs[1]), (value, theirs, mine)


@pytest.mark.parametrize(("word", "why"), [
    ("nan", "it must be a finite number"), ("inf", "it must be a finite number"),
    ("1e400", "it must be a finite number"), ("abc", "it must be a number"),
    ("0", "it must be above 0 and at most 50 mm"), ("51", "it must be above 0 and at most 50 mm"),
])
def test_a_needle_length_is_read_by_the_model_like_a_depth(run, patient: Path, word: str, why: str) -> None:
    before = snapshot(patient.parent.parent)
    result = run("add", "P-0042", *FULL_ADD[:-4], "--needle-length", word, expect=2)
    assert result.stderr == f"mesolog: needle length '{word}' is not allowed: {why}.\n"
    assert snapshot(patient.parent.parent) == before


@pytest.mark.parametrize("word", ["3.0", "1_000", "٣", "3 4", ""])
def test_a_whole_number_is_plain_digits(run, patient: Path, word: str) -> None:
    before = snapshot(patient.parent.parent)
    result = run("due", "--within", word, expect=2)
    assert result.stderr.startswith("mesolog: --within ") and "it takes a whole number, e.g. 3" in result.stderr
    assert snapshot(patient.parent.parent) == before


def test_numbers_arrive_as_numbers(run, patient: Path) -> None:
    run("add", "P-0042", *FULL_ADD[:-4], "--needle-length", " 4,5 ", "--points", "+40")
    chart = (patient).read_text()
    assert "needle_length_mm = 4.5" in chart and "points = 40" in chart  # a decimal comma, as for depth


@pytest.mark.parametrize(
    "args",
    [
        ("add", "P-0042", *FULL_ADD[:-4], "--no-input"),
        ("report", "P-0042"),
        ("patient", "show", "P-0042"),
        ("due", "--within", "30"),
        ("amend", "P-0042", "1", "--note", "checked", "--reason", "typo"),
    ],
)
def test_a_run_does_not_import_pydantics_validation(patient: Path, args: tuple[str, ...]) -> None:
    """Typer 0.29 imports pydantic's validators (~105 ms) the first time it converts a value
    itself; nothing in these runs should make it do so."""
    if args[0] in ("report", "amend"):
        assert mesolog_process("add", "P-0042", *FULL_ADD[:-4], "--no-input").returncode == 0
    done = mesolog_process(*args, env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert done.returncode == 0, done.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "typer" in imported  # the check itself works
    assert "typer._adapters" not in imported and "pydantic.main" not in imported
    assert sys.modules.get("mesolog") is not None
