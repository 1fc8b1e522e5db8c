"""New-user QA findings: each refusal leaves every file as it was, each sentence says what to type."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from conftest import snapshot

from mesolog.model import values

SESSION = [
    "--date",
    "2026-11-02",
    "--area",
    "scalp",
    "--indication",
    "hair loss",
    "--depth",
    "1.5",
    "--technique",
    "gun",
    "--anaesthetic",
    "none",
]


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("HA:2ml:LOT ", "LOT needs a value after it"),
        ("HA:2ml:lot=", "lot needs a value after it"),
        ("HA:2ml:EXP", "EXP needs a value after it"),
        ("HA:2ml::", "empty part"),
        ("HA:2ml:", "empty part"),
        ("HA:2ml:LOT A;B", "a lot cannot hold ';' or ','"),
        ("HA:2ml:LOT A, B", "a lot cannot hold ';' or ','"),
        ("HA:2ml:A;B", "a lot cannot hold ';' or ','"),
    ],
)
def test_a_lot_that_would_be_recorded_wrongly_is_refused(
    run, patient: Path, spec: str, words: str
) -> None:
    before = snapshot(patient.parent.parent)
    result = run("add", "P-0042", *SESSION, "--substance", spec, expect=2)
    assert words in result.stderr
    assert "hyaluronic acid:2ml:LOT A17" in result.stderr  # how to type it
    assert "Traceback" not in result.stderr
    assert snapshot(patient.parent.parent) == before


def test_a_lot_keyword_with_its_value_still_records_the_lot() -> None:
    found, _ = values.substance("HA:2ml:LOT A1:EXP 2027-01-01")
    assert (found.lot, str(found.expiry)) == ("A1", "2027-01-01")
    assert values.substance("HA:2ml")[0].lot is None


@pytest.mark.parametrize("areas", [" , ", ",", "face,", "face,,neck"])
def test_an_area_with_an_empty_comma_separated_part_is_refused(
    run, patient: Path, areas: str
) -> None:
    before = snapshot(patient.parent.parent)
    result = run("add", "P-0042", *SESSION, "--substance", "HA:2ml", "--area", areas, expect=2)
    assert "every comma-separated part must name an area" in result.stderr
    assert snapshot(patient.parent.parent) == before


def test_areas_separated_by_commas_are_each_recorded(run, patient: Path) -> None:
    run("add", "P-0042", *SESSION, "--substance", "HA:2ml", "--area", "face, neck")
    import tomllib

    assert tomllib.loads(patient.read_text())["sessions"][0]["areas"] == ["scalp", "face", "neck"]


def test_a_known_lot_with_another_expiry_is_recorded_with_a_warning(run, patient: Path) -> None:
    run("add", "P-0042", *SESSION, "--substance", "hyaluronic acid:2ml:LOT HA1:EXP 2027-09-30")
    result = run(
        "add",
        "P-0042",
        *SESSION,
        "--date",
        "2026-11-16",
        "--substance",
        "hyaluronic acid:2ml:LOT HA1:EXP 2028-01-01",
    )
    assert "lot HA1 of hyaluronic acid was recorded with expiry 2027-09-30" in result.stderr
    assert "2028-01-01" in patient.read_text()  # recorded as given
    same = run(
        "add",
        "P-0042",
        *SESSION,
        "--date",
        "2026-11-20",
        "--substance",
        "hyaluronic acid:2ml:LOT HA2:EXP 2028-01-01",
    )
    assert "was recorded with expiry" not in same.stderr


def test_amending_the_only_session_with_that_lot_does_not_warn_about_itself(
    run, patient: Path
) -> None:
    run("add", "P-0042", *SESSION, "--substance", "hyaluronic acid:2ml:LOT HA1:EXP 2027-09-30")
    result = run(
        "amend",
        "P-0042",
        "1",
        "--reason",
        "typo in expiry",
        "--substance",
        "hyaluronic acid:2ml:LOT HA1:EXP 2027-10-30",
    )
    assert "was recorded with expiry" not in result.stderr
    assert "2027-10-30" in patient.read_text()
    assert "exp 2027-09-30 -> " in patient.read_text()  # the trail says what the expiry was


def test_an_unknown_config_key_is_a_warning_in_every_command(
    run, patient: Path, config_file: Path
) -> None:
    config_file.write_text('mystery = 1\npractitioner = "Dr. X"\n')
    shown = run("config", "show")
    assert "warning:" in shown.stderr and "unknown setting 'mystery' ignored" in shown.stderr
    assert "Dr. X" in shown.stdout
    added = run("add", "P-0042", *SESSION, "--substance", "HA:2ml")
    assert "unknown setting 'mystery' ignored" in added.stderr
    run("config", "set", "technique", "hand")
    run("config", "unset", "practitioner")
    assert config_file.read_text() == 'mystery = 1\ntechnique = "hand"\n'


def test_amend_reads_the_config_once_for_its_author_and_its_defaults(
    run, patient: Path, config_file: Path
) -> None:
    """One read, one warning: a second read printed the ignored setting twice."""
    run("add", "P-0042", *SESSION, "--substance", "HA:2ml")
    config_file.write_text('mystery = 1\npractitioner = "Dr. X"\n')
    amended = run("amend", "P-0042", "1", "--depth", "2", "--reason", "typo in depth")
    assert amended.stderr.count("unknown setting 'mystery' ignored") == 1, amended.stderr
    assert 'by = "Dr. X"' in patient.read_text()
    for command in ("void", "restore"):
        done = run(command, "P-0042", "1", "--reason", "checking the warning")
        assert done.stderr.count("unknown setting 'mystery' ignored") == 1, done.stderr
    edited = run(
        "course", "edit", "P-0042", "hair-2026", "--indication", "alopecia", "--reason", "wording"
    )
    assert edited.stderr.count("unknown setting 'mystery' ignored") == 1, edited.stderr


def test_a_known_key_with_a_wrong_type_is_still_refused(
    run, patient: Path, config_file: Path
) -> None:
    config_file.write_text("technique = 3\n")
    before = snapshot(config_file.parent)
    assert "technique must be text" in run("config", "set", "practitioner", "X", expect=1).stderr
    assert snapshot(config_file.parent) == before


def test_voiding_twice_and_amending_to_the_same_values_are_refusals_not_bad_values(
    run, patient: Path
) -> None:
    run("add", "P-0042", *SESSION, "--substance", "HA:2ml")
    run("void", "P-0042", "1", "--reason", "wrong patient")
    before = snapshot(patient.parent.parent)
    again = run("void", "p-0042", "1", "--reason", "again", expect=1)
    assert again.stderr == "mesolog: session 1 of P-0042 is voided already; nothing changed.\n"
    same = run("amend", "P-0042", "1", "--depth", "1.5", "--reason", "x", expect=1)
    assert same.stderr == (
        "mesolog: nothing would change: session 1 already holds these values; nothing written.\n"
    )
    assert snapshot(patient.parent.parent) == before


def test_one_day_apart_is_said_in_the_singular(run, patient: Path) -> None:
    from datetime import date

    from rich.console import Console

    from mesolog.render.report import report_parts
    from mesolog.store import Clinic

    run("add", "P-0042", *SESSION, "--substance", "HA:2ml")
    added = run("add", "P-0042", *SESSION, "--date", "2026-11-03", "--substance", "HA:2ml")
    assert "this session is 1 day after the previous one" in added.stderr
    chart = Clinic(patient.parent.parent).load("P-0042")
    screen = Console(width=50, record=True, file=io.StringIO())
    for part in report_parts(chart, chart.sessions, date(2026, 11, 4), False, width=50):
        screen.print(part)
    text = screen.export_text()
    assert "1 day after the previous" in text and "1 days" not in text


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (
            ("amend", "P-0042", "abc", "--reason", "x"),
            "session 'abc' is not allowed: it takes a whole number",
        ),
        (("due", "--within", "abc"), "--within 'abc' is not allowed: it takes a whole number"),
        (
            ("patient", "new", "P-9", "--birth-year", "abc"),
            "--birth-year 'abc' is not allowed: it takes a whole number",
        ),
        (
            ("add", "P-0042", *SESSION, "-s", "HA:2ml", "--points", "1.5"),
            "--points '1.5' is not allowed",
        ),
    ],
)
def test_a_word_where_a_whole_number_belongs_is_one_sentence(
    run, patient: Path, args: tuple[str, ...], sentence: str
) -> None:
    before = snapshot(patient.parent.parent)
    result = run(*args, expect=2)
    assert result.stderr.startswith(f"mesolog: {sentence}") and result.stderr.count("\n") == 1
    assert "Input should be" not in result.output
    assert snapshot(patient.parent.parent) == before
    assert run("due", "--within", "30").exit_code == 0  # numbers still read as numbers


@pytest.mark.parametrize("command", [("report", "P-0042"), ("report",), ("find",), ("stats",)])
def test_an_inverted_date_window_is_refused(run, patient: Path, command: tuple[str, ...]) -> None:
    run("add", "P-0042", *SESSION, "--substance", "HA:2ml")
    before = snapshot(patient.parent.parent)
    result = run(*command, "--since", "2026-11-20", "--until", "2026-11-01", expect=2)
    assert result.stderr == (
        "mesolog: --until '2026-11-01' is not allowed: it is before --since 2026-11-20; give the "
        "earlier date as --since and the later as --until.\n"
    )
    assert snapshot(patient.parent.parent) == before
    run(*command, "--since", "2026-11-01", "--until", "2026-11-01")  # one day is a window


@pytest.mark.parametrize(
    ("command", "name"), [(("report", "P-0042"), "x.txt"), (("summary", "P-0042"), "x.html")]
)
def test_an_output_into_a_missing_folder_names_that_folder(
    run, patient: Path, tmp_path: Path, command: tuple[str, ...], name: str
) -> None:
    run("add", "P-0042", *SESSION, "--substance", "HA:2ml")
    target = tmp_path / "nonexistent" / "dir" / name
    before = snapshot(tmp_path)
    result = run(*command, "--output", str(target), expect=1)
    assert result.stderr == (
        f"mesolog: folder {target.parent} does not exist; create it first or choose another "
        f"place for {name} (nothing was written).\n"
    )
    assert snapshot(tmp_path) == before
