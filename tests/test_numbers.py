"""Stored numbers are shown with every digit (model.number_text, the one way numbers become
text): a correction of the seventh digit is a change in the trail, never "1.23457 -> 1.23457"."""

from __future__ import annotations

import math
import re
import tomllib
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mesolog.model import number_text

ADD = ["--area", "scalp", "--technique", "gun", "--anaesthetic", "none", "--date", "2026-11-02"]


def test_a_correction_of_the_seventh_digit_is_a_change_in_the_trail(run, patient: Path) -> None:
    added = run(
        "add",
        "P-0042",
        *ADD,
        "--substance",
        "minoxidil:1.2345678ml:LOT A1",
        "--depth",
        "1.2345678",
        "--no-input",
    )
    assert "minoxidil 1.2345678 ml" in added.stdout
    assert "1.2345678 mm" in added.stdout
    amended = run("amend", "P-0042", "1", "--depth", "1.2345679", "--reason", "typo")
    assert "1.2345679 mm" in amended.stdout
    session = tomllib.loads(patient.read_text())["sessions"][0]
    assert session["amendments"][0]["changes"] == ["depth_mm: 1.2345678 -> 1.2345679"]
    report = run("report", "P-0042").stdout
    assert "minoxidil 1.2345678 ml" in report and "1.2345679 mm" in report


def test_the_summary_page_shows_every_digit(run, patient: Path, tmp_path: Path) -> None:
    run(
        "add",
        "P-0042",
        *ADD,
        "--substance",
        "minoxidil:0.0012345ml",
        "--depth",
        "1.2345678",
        "--measure",
        "hair_density_per_cm2=142.1234567",
        "--no-input",
    )
    page = tmp_path / "summary.html"
    run("summary", "P-0042", "--output", str(page))
    html = page.read_text()
    assert "1.2345678 mm" in html and "142.1234567" in html and "0.0012345" in html


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    depth=st.floats(min_value=0.1, max_value=13.0),
    amount=st.floats(min_value=0.001, max_value=1000.0),
)
def test_any_depth_and_amount_shown_reads_back_as_the_same_float(
    run, patient: Path, depth: float, amount: float
) -> None:
    patient.write_text(patient.read_text().split("\n[[sessions]]")[0])  # no session yet
    added = run(
        "add",
        "P-0042",
        *ADD,
        "--substance",
        f"minoxidil:{amount!r}ml",
        "--depth",
        repr(depth),
        "--no-input",
    ).stdout
    shown_amount = re.search(r"minoxidil (\S+) ml", added)
    shown_depth = re.search(r"Depth:\s+(\S+) mm", added)
    assert shown_amount and float(shown_amount.group(1)) == amount
    assert shown_depth and float(shown_depth.group(1)) == depth
    other = math.nextafter(depth, 0.0 if depth == 13.0 else 13.0)  # the next float there is
    run("amend", "P-0042", "1", "--depth", repr(other), "--reason", "typo")
    changes = tomllib.loads(patient.read_text())["sessions"][0]["amendments"][0]["changes"]
    before, after = changes[0].removeprefix("depth_mm: ").split(" -> ")
    assert (float(before), float(after)) == (depth, other)


# --- number_text, the pure function -----------------------------------------------------------


@given(st.floats(allow_nan=False))
def test_number_text_reads_back_as_the_same_float(value: float) -> None:
    assert float(number_text(value)) == value


@given(st.floats(min_value=1e-6, max_value=1e15) | st.floats(min_value=-1e15, max_value=-1e-6))
def test_number_text_of_an_ordinary_value_has_no_exponent(value: float) -> None:
    assert "e" not in number_text(value)


def test_number_text_reads_like_a_person_wrote_it() -> None:
    assert number_text(2.0) == "2"
    assert number_text(142.0) == "142"
    assert number_text(1.5) == "1.5"
    assert number_text(1.2345678) == "1.2345678"
    assert number_text(0.00001) == "0.00001"
    assert number_text(1000.0) == "1000"


def test_a_merge_conflict_shows_its_numbers_as_every_view_does() -> None:
    """The conflict sentence, check and the settled trail line say "3 kept, 4.5 also recorded",
    not "3.0": one way to show a stored number (values.number_text)."""
    from mesolog.model.merging import literal

    assert [literal(3.0), literal(4.5), literal(1.2345678), literal(3)] == [
        "3",
        "4.5",
        "1.2345678",
        "3",
    ]
