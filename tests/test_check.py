"""``mesolog check`` like beancount's: every problem of every chart, each at the line of the
faulty field, as text or as JSON; exit 1 when any is an error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FULL_ADD, snapshot


def line_of(text: str, exact: str, after: int = 0) -> int:
    """1-based number of the first line equal to ``exact`` below line ``after``."""
    lines = text.splitlines()
    return lines.index(exact, after) + 1


@pytest.fixture
def broken(run, patient: Path, data_dir: Path) -> tuple[Path, str]:
    """P-0042 with many problems, several of them in one session, and a second broken chart."""
    run("add", "P-0042", *FULL_ADD)
    run("add", "P-0042", "--like-last", "--date", "2026-11-16")
    run("add", "P-0042", "--like-last", "--date", "2026-11-20")
    text = patient.read_text()
    one, two, three = (
        text.index("[[sessions]]\nid = 1"),
        text.index("[[sessions]]\nid = 2"),
        text.index("[[sessions]]\nid = 3"),
    )
    s1, s2, s3 = text[one:two], text[two:three], text[three:]
    s1 = s1.replace("depth_mm = 1.5", 'depth_mm = "deep"').replace("points = 40", "points = 4.5")
    s1 = s1.replace('notes = "first session"', 'notes = """first session\n[[sessions]]\n"""')
    s2 = s2.replace("id = 2", "id = 3").replace('technique = "gun"', 'technique = "laser"')
    s2 = s2.replace("depth_mm = 1.5", "depth_mm = 20.0").replace(
        "angle_deg = 45", "angle_deg = 120"
    )
    s3 = s3.replace("amount = 1.0", 'amount = "one"')
    head = text[:one].replace("interval_days = 14", "interval_days = 60")
    text = head.replace("birth_year = 1986", 'birth_year = "1986"') + s1 + s2 + s3
    patient.write_text(text)
    other = data_dir / "patients" / "P-0007.toml"
    other.write_text('schema = 1\n\n[patient]\nid = "P-0007"\ncreated = "yesterday"\nname = 42\n')
    other.chmod(0o600)  # written by hand with the umask's 0644, which check would name
    return patient, text


def test_check_lists_every_problem_of_every_chart_at_its_line(
    run, broken: tuple[Path, str], data_dir: Path
) -> None:
    patient, text = broken
    before = snapshot(data_dir)
    result = run("check", expect=1)
    other = data_dir / "patients" / "P-0007.toml"
    s2 = line_of(text, "id = 3")
    s3 = line_of(text, "id = 3", s2)

    def at(exact: str) -> str:
        return f"{patient}:{line_of(text, exact)}"

    expected = [
        f"{other}:5: error: [patient]: created must be a date and time, found 'yesterday'",
        f"{other}:6: error: [patient]: name must be text, found 42",
        at('birth_year = "1986"')
        + ": error: [patient]: birth_year must be a whole number, found '1986'",
        at('depth_mm = "deep"') + ": error: session 1: depth_mm must be a number, found 'deep'",
        at("points = 4.5") + ": error: session 1: points must be a whole number, found 4.5",
        at('amount = "one"') + ": error: session 3 substance: amount must be a number, found 'one'",
        at("interval_days = 60")
        + ": warning: course 'hair-2026': an interval of 60 days is outside the usual 7-30.",
        f"{patient}:{s3}: error: session number 3 is also used at line {s2}; amend and void refuse it until one is renumbered",
        at('technique = "laser"') + ": error: session 3: technique 'laser' is not allowed",
        at("depth_mm = 20.0") + ": error: session 3: depth 20.0 is not allowed",
        at("angle_deg = 120") + ": error: session 3: angle 120 is not allowed",
    ]
    out = result.stdout.splitlines()
    for line in expected:
        assert any(found.startswith(line) for found in out), (line, out)
    assert len(out) == len(expected)
    assert "2 files checked: 10 errors, 1 warning." in result.stderr
    assert snapshot(data_dir) == before  # check never writes


def test_check_format_json_is_json_alone_on_stdout(
    run, broken: tuple[Path, str], data_dir: Path
) -> None:
    patient, text = broken
    result = run("check", "--format", "json", expect=1)
    problems = json.loads(result.stdout)
    assert len(problems) == 11
    assert all(set(p) == {"path", "line", "severity", "message"} for p in problems)
    depth = next(p for p in problems if "depth_mm" in p["message"])
    assert depth == {
        "path": str(patient),
        "line": line_of(text, 'depth_mm = "deep"'),
        "severity": "error",
        "message": "session 1: depth_mm must be a number, found 'deep'",
    }
    assert "2 files checked" in result.stderr


def test_check_json_on_a_clean_folder_is_an_empty_list(run, patient: Path) -> None:
    result = run("check", "--format", "json")
    assert json.loads(result.stdout) == []


def test_check_refuses_an_unknown_format(run, patient: Path) -> None:
    result = run("check", "--format", "yaml", expect=2)
    assert "format 'yaml' is not allowed" in result.stderr


def test_check_names_every_problem_of_a_session_each_at_its_own_line(run, patient: Path) -> None:
    """A complication resolved before its onset is reported at its `resolved` line, and the
    problems after it (a severity not in the list, a measurement named `Bad`) are not dropped."""
    run("add", "P-0042", *FULL_ADD)
    run(
        "amend",
        "P-0042",
        "1",
        "--add-complication",
        "bruising:mild:onset=2026-11-05:resolved=2026-11-09",
        "--reason",
        "reported",
    )
    text = patient.read_text()
    text = text.replace("resolved = 2026-11-09", "resolved = 2026-11-04")
    text = text.replace("satisfaction_0_10 = 7.0", "satisfaction_0_10 = 7.0\nBad = 3")
    text = text.replace('severity = "mild"', 'severity = "awful"')
    patient.write_text(text)
    before = snapshot(patient.parent)
    result = run("check", expect=1)
    lines = [line for line in result.stdout.splitlines() if ": error: " in line]
    severity = line_of(text, 'severity = "awful"')
    assert lines == [
        f"{patient}:{severity}: error: session 1: severity 'awful' "
        "is not allowed: use one of mild, moderate, severe.",
        f"{patient}:{line_of(text, 'resolved = 2026-11-04')}: error: session 1: bruising resolved "
        "'2026-11-04' is not allowed: it is before the onset 2026-11-05.",
        f"{patient}:{line_of(text, 'Bad = 3')}: error: session 1: measure 'Bad' is not allowed: "
        "names are lower-case letters, digits and '_'.",
    ]
    assert snapshot(patient.parent) == before


@pytest.mark.parametrize("value", ["3", "[1]", '"x"'])
def test_check_names_conflicts_of_the_wrong_shape_instead_of_crashing(
    run, patient: Path, value: str
) -> None:
    text = patient.read_text()
    assert "\nschema = 2\n" in text
    patient.write_text(
        text.replace(
            "\nschema = 2\n", f"\nschema = 2\nconflicts = {value}  # [[conflicts]] by hand\n", 1
        )
    )
    before = snapshot(patient.parent.parent)
    result = run("check", expect=1)
    assert "conflicts must be a list of [[conflicts]] tables" in result.stdout
    assert "internal error" not in result.stderr and snapshot(patient.parent.parent) == before


def test_a_session_whose_number_does_not_read_is_not_called_session_none(
    run, patient: Path
) -> None:
    run("add", "P-0042", *FULL_ADD, "--no-input")
    text = (
        patient.read_text()
        .replace("\nid = 1\n", '\nid = "one"\n', 1)
        .replace('technique = "gun"', "technique = 3", 1)
    )
    patient.write_text(text)
    result = run("check", expect=1)
    assert "session None" not in result.stdout
    assert "the session without a valid number: technique must be text, found 3" in result.stdout


def test_a_course_sessions_date_written_as_text_is_one_error_not_a_crash(
    run, patient: Path
) -> None:  # type: ignore[no-untyped-def]
    """The patient fixture's chart has a course: a later session's date written as text was
    compared with the earlier session's date in the course's maths (an internal error)."""
    for day in ("2026-01-05", "2026-01-19"):
        run("add", "P-0042", "--date", day, *FULL_ADD[2:])
    text = patient.read_text()
    at = text.rindex("date = 2026-01-19")
    patient.write_text(text[:at] + 'date = "weird"' + text[at + len("date = 2026-01-19") :])
    before = snapshot(patient.parent.parent)
    found = run("check", expect=1)
    assert "internal error" not in found.stderr
    assert "session 2: date must be a date" in found.stdout
    assert snapshot(patient.parent.parent) == before
