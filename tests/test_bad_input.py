"""Every bad input gets one clear sentence, the right exit code, no traceback, and no file changed."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import FULL_ADD, snapshot

GOOD = {
    "--area": "scalp",
    "--substance": "minoxidil 0.5%:2ml:LOT M1",
    "--depth": "1.5",
    "--technique": "gun",
    "--anaesthetic": "none",
    "--date": "2026-11-02",
}
TOMORROW = (date.today() + timedelta(days=1)).isoformat()


def add_args(**override: str) -> list[str]:
    values = {**GOOD, **{"--" + k.replace("_", "-"): v for k, v in override.items()}}
    out: list[str] = []
    for key, value in values.items():
        out += [key, value]
    return out


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("--depth", "abc", "must be a number"),
        ("--depth", "0", "at least 0.1 and at most 13"),
        ("--depth", "-1", "at least 0.1 and at most 13"),
        ("--depth", "13.5", "at least 0.1 and at most 13"),
        ("--depth", "nan", "finite"),
        ("--technique", "laser", "'gun' (injection gun) or 'hand'"),
        ("--date", "02/11/2026", "YYYY-MM-DD"),
        ("--date", "2026-02-30", "YYYY-MM-DD"),
        ("--date", TOMORROW, "in the future"),
        ("--substance", "minoxidil:0ml", "positive"),
        ("--substance", "minoxidil:-2ml", "positive"),
        ("--substance", "minoxidil:two ml", "positive number and a unit"),
        ("--substance", "minoxidil:2 litres", "use one of ml, mg, mcg, IU, U"),
        ("--substance", "minoxidil", "NAME:AMOUNT"),
        ("--method", "laser", "use one of epidermal-nappage"),
        ("--angle", "120", "0 to 90"),
        ("--gauge", "18", "27 to 34"),
        ("--measure", "waist", "NAME=NUMBER"),
        ("--measure", "Waist cm=3", "lower-case"),
        ("--measure", "waist_cm=abc", "must be a number"),
        ("--complication", "bruising:huge", "use one of mild, moderate, severe"),
        ("--complication", f"bruising:mild:onset={TOMORROW}", "in the future"),
        ("--duration", "0", "1 to 600"),
    ],
)
def test_invalid_values_are_refused_with_field_value_and_what_is_allowed(
    run, patient: Path, option: str, value: str, words: str
) -> None:
    before = snapshot(patient.parent.parent)
    args = add_args(**{option.lstrip("-").replace("-", "_"): value})
    result = run("add", "P-0042", *args, expect=2)
    assert words in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr  # one sentence
    assert "Traceback" not in result.output
    assert snapshot(patient.parent.parent) == before


def test_wrong_type_for_an_integer_option_is_one_sentence(run, patient: Path) -> None:
    before = snapshot(patient.parent.parent)
    result = run("add", "P-0042", *add_args(), "--points", "many", expect=2)
    assert "--points 'many' is not allowed: it takes a whole number" in result.stderr
    assert snapshot(patient.parent.parent) == before


@pytest.mark.parametrize(
    "bad_id", ["../x", "a/b", "", "x" * 65, ".hidden", "-dash", "a b", "..", "C:\\x", "é"]
)
@pytest.mark.parametrize("command", [["add"], ["report"], ["patient", "show"], ["patient", "new"]])
def test_path_like_or_malformed_ids_are_refused_before_any_path(
    run, data_dir: Path, bad_id: str, command: list[str]
) -> None:
    run("init")
    before = snapshot(data_dir.parent)
    extra = add_args() if command == ["add"] else []
    result = run(*command, *extra, "--", bad_id, expect=2)
    assert "patient id" in result.stderr and "not allowed" in result.stderr
    assert snapshot(data_dir.parent) == before
    assert not (data_dir.parent / "x.toml").exists()


def test_existing_id_is_refused_even_in_another_case(run, patient: Path) -> None:
    before = snapshot(patient.parent.parent)
    result = run("patient", "new", "p-0042", expect=1)
    assert "already exists" in result.stderr
    assert snapshot(patient.parent.parent) == before


def test_broken_toml_names_file_line_and_column_and_is_not_touched(run, patient: Path) -> None:
    run("add", "P-0042", *FULL_ADD)
    text = patient.read_text()
    patient.write_text(text.replace('technique = "gun"', 'technique = "gun'))
    before = snapshot(patient.parent.parent)
    for args in (
        ["report", "P-0042"],
        ["add", "P-0042", *FULL_ADD],
        ["amend", "P-0042", "1", "--depth", "2", "--reason", "x"],
    ):
        result = run(*args, expect=1)
        line = next(
            n
            for n, text in enumerate(patient.read_text().splitlines(), 1)
            if 'technique = "gun' in text
        )
        assert f"{patient}:{line}: column" in result.stderr
        assert "Traceback" not in result.output
    assert snapshot(patient.parent.parent) == before


def test_wrong_type_in_a_file_names_the_session_line(run, patient: Path) -> None:
    run("add", "P-0042", *FULL_ADD)
    patient.write_text(patient.read_text().replace("depth_mm = 1.5", 'depth_mm = "deep"'))
    result = run("report", "P-0042", expect=1)
    assert "session 1: depth_mm must be a number" in result.stderr
    assert f"{patient}:" in result.stderr


def test_newer_schema_is_refused_and_never_rewritten(run, patient: Path) -> None:
    patient.write_text(patient.read_text().replace("schema = 2", "schema = 3"))
    before = snapshot(patient.parent.parent)
    for args in (["report", "P-0042"], ["add", "P-0042", *FULL_ADD]):
        result = run(*args, expect=1)
        assert "newer mesolog" in result.stderr and "schema 3" in result.stderr
    assert snapshot(patient.parent.parent) == before


@pytest.mark.parametrize(
    "content",
    [b"", b"   \n", b"\x00" * 64, b'schema = 1\n[patient]\nid = "P-0042"\n', b"\xff\xfe garbage"],
)
def test_empty_truncated_or_binary_file_is_refused_not_read_as_no_sessions(
    run, patient: Path, content: bytes
) -> None:
    patient.write_bytes(content)
    before = snapshot(patient.parent.parent)
    result = run("add", "P-0042", *FULL_ADD, expect=1)
    assert str(patient) in result.stderr
    assert snapshot(patient.parent.parent) == before


def test_bad_format_and_last_values(run, patient: Path) -> None:
    assert "use one of table, json" in run("report", "P-0042", "--format", "xml", expect=2).stderr
    assert "1 or more" in run("report", "P-0042", "--last", "0", expect=2).stderr
    assert (
        "must end in .html, .svg, .txt"
        in run("report", "P-0042", "--output", "x.pdf", expect=2).stderr
    )


def test_broken_config_names_the_line(run, patient: Path, config_file: Path) -> None:
    config_file.write_text('practitioner = "Dr. X"\ntechnique = \n')
    result = run("add", "P-0042", *add_args(), expect=1)
    assert f"{config_file}:2" in result.stderr
    config_file.write_text('colour = "blue"\n')
    assert "unknown setting 'colour' ignored" in run("config", "show").stderr


def test_a_folder_that_cannot_be_written_is_one_sentence(run, data_dir: Path) -> None:
    (data_dir / "patients").write_text("a file where the patients folder should be")
    before = snapshot(data_dir)
    result = run("patient", "new", "P-1", expect=1)
    assert result.stderr.startswith("mesolog: ") and "nothing was changed" in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    assert snapshot(data_dir) == before


def test_toml_broken_at_the_end_names_the_last_line(run, patient: Path) -> None:
    patient.write_text(patient.read_text() + "\nnotes = [\n")
    lines = patient.read_text().count("\n")
    assert (
        f"{patient}:{lines}: end of file: broken TOML" in run("report", "P-0042", expect=1).stderr
    )
