"""Typer converts the command line's values; the whole numbers and file names go through
mesolog.cli.conversion (Typer's ``parser=``), so a word where a number belongs, or an empty
file name, is one sentence naming the option, and numbers still arrive as numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
from conftest import FULL_ADD, snapshot

from mesolog.cli.main import every_command


def whole_number_parameters() -> list[tuple[list[str], str]]:
    """(command words, option or "ARGUMENT") for every parameter declared as a whole number."""
    found: list[tuple[list[str], str]] = []

    def walk(command: Any, path: list[str]) -> None:
        for param in command.params:
            if param.type_descriptor.annotation in (int, int | None):
                found.append(
                    (path, param.opts[0] if param.param_type_name == "option" else "ARGUMENT")
                )
        for name, sub in (getattr(command, "commands", None) or {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(every_command()), [])
    return found


WHOLE = whole_number_parameters()


def test_the_whole_numbers_are_found() -> None:
    assert (["due"], "--within") in WHOLE and (["amend"], "ARGUMENT") in WHOLE
    assert len(WHOLE) >= 12


@pytest.mark.parametrize(("path", "option"), WHOLE, ids=[f"{' '.join(p)}:{o}" for p, o in WHOLE])
def test_every_whole_number_refuses_a_word_in_one_sentence_naming_it(
    run, patient: Path, path: list[str], option: str
) -> None:
    before = snapshot(patient.parent.parent)
    if option == "ARGUMENT":  # the session number
        result = run(*path, "P-0042", "many", "--reason", "x", expect=2)
        named = "session"
    else:
        result = run(*path, option, "many", expect=2)
        named = option
    said = f"mesolog: {named} 'many' is not allowed: it takes a whole number, e.g. "
    assert result.stderr.startswith(said) and result.stderr.endswith(".\n"), result.stderr
    # The example is the one the option's help gives (a year is not "e.g. 3").
    example = result.stderr[len(said) : -2]
    assert example.lstrip("-").isdigit()
    helped = run(*path, "--help").stdout
    assert f" {example}" in helped.replace("\n", " "), (example, helped)
    assert snapshot(patient.parent.parent) == before


def test_a_year_is_not_refused_with_an_example_of_three(run, patient: Path) -> None:
    result = run("patient", "new", "P-9", "--birth-year", "abc", expect=2)
    assert result.stderr == (
        "mesolog: --birth-year 'abc' is not allowed: it takes a whole number, e.g. 1986.\n"
    )


@pytest.mark.parametrize(
    ("word", "why"),
    [
        ("nan", "it must be a finite number"),
        ("inf", "it must be a finite number"),
        ("1e400", "it must be a finite number"),
        ("abc", "it must be a number"),
        ("0", "it must be above 0 and at most 50 mm"),
        ("51", "it must be above 0 and at most 50 mm"),
    ],
)
def test_a_needle_length_is_read_by_the_model_like_a_depth(
    run, patient: Path, word: str, why: str
) -> None:
    before = snapshot(patient.parent.parent)
    result = run("add", "P-0042", *FULL_ADD[:-4], "--needle-length", word, expect=2)
    assert result.stderr == f"mesolog: needle length '{word}' is not allowed: {why}.\n"
    assert snapshot(patient.parent.parent) == before


@pytest.mark.parametrize("word", ["3.0", "1_000", "٣", "3 4", "", "x"])
def test_a_whole_number_is_plain_digits(run, patient: Path, word: str) -> None:
    before = snapshot(patient.parent.parent)
    result = run("due", "--within", word, expect=2)
    assert (
        result.stderr
        == f"mesolog: --within {word!r} is not allowed: it takes a whole number, e.g. 14.\n"
    )
    assert snapshot(patient.parent.parent) == before


def test_numbers_arrive_as_numbers(run, patient: Path) -> None:
    run(
        "add",
        "P-0042",
        *FULL_ADD[:-4],
        "--needle-length",
        " 4,5 ",
        "--points",
        "+40",
        "--gauge",
        " 30 ",
    )
    chart = (patient).read_text()
    assert (
        "needle_length_mm = 4.5" in chart and "points = 40" in chart
    )  # a decimal comma, as for depth
    assert "needle_gauge = 30" in chart
