"""Refusals say what happened in the practitioner's words, with the exit code of their kind."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from conftest import FULL_ADD, snapshot

SESSION = [
    "--date",
    "2026-11-20",
    "--area",
    "scalp",
    "-s",
    "minoxidil:1ml:LOT M1",
    "--depth",
    "1.5",
    "--technique",
    "gun",
    "--anaesthetic",
    "none",
    "--no-input",
]


@pytest.fixture
def three(run, patient: Path) -> Path:
    """P-0042 with three sessions of its six-session course, the last one voided."""
    run("add", "P-0042", *FULL_ADD)
    run("add", "P-0042", "--like-last", "--date", "2026-11-16")
    run("add", "P-0042", "--like-last", "--date", "2026-11-20")
    run("void", "P-0042", "3", "--reason", "entered twice")
    return patient


# --- a correction that changes nothing is a refused action (exit 1) ---------------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ["amend", "P-0042", "1", "--depth", "1.5", "--reason", "same"],
            "nothing would change: session 1 already holds these values",
        ),
        (
            ["patient", "edit", "P-0042", "--name", "Ana Ruiz"],
            "the values given are the chart's already",
        ),
        (["void", "P-0042", "3", "--reason", "again"], "session 3 of P-0042 is voided already"),
        (
            ["restore", "P-0042", "1", "--reason", "again"],
            "session 1 of P-0042 is active (not voided), so there is nothing to restore",
        ),
    ],
    ids=["amend", "patient-edit", "void", "restore"],
)
def test_a_change_to_what_is_there_already_is_refused_with_exit_1(
    run, three: Path, args: list[str], says: str
) -> None:
    before = snapshot(three.parent.parent)
    result = run(*args, expect=1)
    assert result.stderr.startswith(f"mesolog: {says}") and result.stderr.count("\n") == 1
    assert result.stderr.endswith("nothing changed.\n") or result.stderr.endswith(
        "nothing written.\n"
    )
    assert snapshot(three.parent.parent) == before


# --- small wording and empty values -------------------------------------------------------


@pytest.mark.parametrize(
    "option",
    [
        "--substance",
        "--area",
        "--complication",
        "--technique",
        "--practitioner",
        "--indication",
        "--since",
        "--until",
    ],
)
def test_a_find_filter_given_empty_is_refused_like_an_empty_lot(
    run, three: Path, option: str
) -> None:
    assert "give the lot number" in run("lot", "", expect=2).stderr
    result = run("find", option, "", expect=2)
    assert result.stderr.startswith(f"mesolog: {option} '' is not allowed: ")
    assert result.stdout == ""
    assert run("find", option, " ", expect=2).stderr.count("\n") == 1


@pytest.mark.parametrize(
    "command", [["due"], ["report"], ["report", "P-0042"], ["summary", "P-0042"]]
)
def test_output_onto_a_folder_says_it_is_a_folder_with_or_without_force(
    run, three: Path, tmp_path: Path, command: list[str]
) -> None:
    folder = tmp_path / ("out.html" if command[0] == "summary" else "out.csv")
    folder.mkdir()
    for force in ([], ["--force"]):
        result = run(*command, "--output", str(folder), *force, expect=1)
        assert (
            result.stderr == f"mesolog: {folder} is a folder; give a file name. Nothing written.\n"
        )
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize(
    "command", [["due"], ["lot", "D2411"], ["report", "P-0042"], ["summary", "P-0042"], ["stats"]]
)
def test_output_given_empty_needs_a_file_name(
    run, three: Path, tmp_path: Path, command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    result = run(*command, "--output", "", expect=2)
    assert result.stderr == "mesolog: --output needs a file name; nothing was written.\n"
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(("command", "done"), [("void", "voided"), ("restore", "restored")])
def test_an_empty_reason_says_why_in_the_words_of_the_command(
    run, three: Path, command: str, done: str
) -> None:
    before = snapshot(three.parent.parent)
    number = "3" if command == "restore" else "1"
    for reason in ("", "  "):
        result = run(command, "P-0042", number, "--reason", reason, expect=2)
        assert result.stderr.endswith(f"is not allowed: say why the session is {done}.\n")
    assert snapshot(three.parent.parent) == before


def test_check_counts_in_words(run, patient: Path) -> None:
    assert "1 file checked: 0 errors, 0 warnings." in run("check").stderr
    run("patient", "new", "P-0043")
    assert "2 files checked: 0 errors, 0 warnings." in run("check").stderr


def test_patient_edit_clears_the_birth_year_with_an_empty_value(run, patient: Path) -> None:
    changed = run("patient", "edit", "P-0042", "--birth-year", "")
    assert "patient.birth_year: 1986 -> (none)" in changed.stdout
    assert "birth_year" not in tomllib.loads(patient.read_text())["patient"]
    run("patient", "edit", "P-0042", "--birth-year", "1987")
    assert tomllib.loads(patient.read_text())["patient"]["birth_year"] == 1987
    before = snapshot(patient.parent.parent)
    assert (
        "birth year 'abc' is not allowed"
        in run("patient", "edit", "P-0042", "--birth-year", "abc", expect=2).stderr
    )
    assert (
        "birth year 1800 is not allowed"
        in run("patient", "edit", "P-0042", "--birth-year", "1800", expect=2).stderr
    )
    for odd in (
        "²",
        "19 86",
        "1986.0",
        "-1986",
    ):  # digits Python reads but a year is not written so
        assert (
            "birth year" in run("patient", "edit", "P-0042", "--birth-year", odd, expect=2).stderr
        )
    assert snapshot(patient.parent.parent) == before


def test_a_course_cannot_plan_fewer_sessions_than_it_has_done(run, three: Path) -> None:
    before = snapshot(three.parent.parent)
    result = run("course", "edit", "P-0042", "hair-2026", "--sessions", "1", expect=2)
    assert result.stderr == (
        "mesolog: planned sessions 1 is not allowed: course hair-2026 has 2 sessions done already; "
        "plan at least 2, or close the course with `mesolog course close`.\n"
    )  # the voided third session is not done
    assert snapshot(three.parent.parent) == before
    run("course", "edit", "P-0042", "hair-2026", "--sessions", "2")
    progress = json.loads(run("report", "P-0042", "--format", "json").stdout)["progress"]
    assert (progress["done"], progress["planned"], progress["remaining"]) == (2, 2, 0)
