"""Help shows words (`--area AREA`, `--depth MM`, `ID`, `[ID]`), never Python types."""

from __future__ import annotations

import re

import pytest
from test_help_and_style import all_commands

# What Typer shows when nothing says otherwise: <list[str]>, <int>, {ID}, [[ID]], <path>...
PYTHON_TYPES = re.compile(
    r"<[^>]*>|\{[A-Z_]+\}|\[\[|\b(list|str|int|float|bool|Path|NoneType|datetime)\b(?!-)"
)


def python_types_in(text: str) -> list[str]:
    return [m.group(0) for m in PYTHON_TYPES.finditer(text)]


def test_the_check_itself_sees_python_types() -> None:
    assert python_types_in("  -a, --area <list[str]>  Area") == ["<list[str]>"]
    assert python_types_in("Usage: mesolog add [OPTIONS] {ID}") == ["{ID}"]
    assert python_types_in("Usage: mesolog report [OPTIONS] [[ID]]") == ["[["]
    assert python_types_in("  ID <str>  Patient id") == ["<str>"]
    assert python_types_in("  --area AREA  Area treated. Example: --area scalp") == []


def name_columns(help_text: str) -> str:
    """The usage line and the left column of the help (option names and what they take)."""
    lines = help_text.splitlines()
    columns = [
        m.group(1) for line in lines if (m := re.match(r"  ((?:-|[A-Z\[]).*?)(?:  |$)", line))
    ]
    usage = lines[0].partition("[OPTIONS]")[2]  # what follows the command words
    return "\n".join([usage, *columns])


@pytest.mark.parametrize(
    "path", [p for p, _ in all_commands()] + [[]], ids=lambda p: " ".join(p) or "mesolog"
)
def test_help_shows_words_not_python_types(run, path: list[str]) -> None:
    text = run(*path, "--help").stdout
    assert text.startswith("Usage:")
    assert python_types_in(name_columns(text)) == [], f"{' '.join(path)}:\n{text}"
    assert not re.search(r"<[a-z]", text), text  # no <int>, <list[str]> anywhere


def test_options_and_arguments_read_as_words(run) -> None:
    add = run("add", "--help").stdout
    assert "Usage: mesolog add [OPTIONS] ID\n" in add
    for shown in (
        "-a, --area AREA",
        "--depth MM",
        "--date DATE",
        "-s, --substance SUBSTANCE",
        "--measure NAME=NUMBER",
        "--photo FILE",
    ):
        assert shown in add, shown
    report = run("report", "--help").stdout
    assert "Usage: mesolog report [OPTIONS] [ID]\n" in report
    assert "--output FILE" in report and "--last N" in report
    assert "--interval DAYS" in run("course", "add", "--help").stdout
    assert "--by FIELD" in run("stats", "--help").stdout
    assert "--within DAYS" in run("due", "--help").stdout


def test_complication_help_documents_its_dates_and_outcome(run) -> None:
    text = " ".join(run("add", "--help").stdout.split())
    for part in ("onset=DATE", "resolved=DATE", "outcome="):
        assert part in text
