"""A value given twice in one command, or a product number that is no number, is refused in
one sentence and nothing is written: which of two values was meant would be a guess (the other
would be lost), and "#x=biotin" stored would be a product of that name."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FULL_ADD, snapshot


@pytest.fixture
def recorded(run, patient: Path) -> Path:  # type: ignore[no-untyped-def]
    run("add", "P-0042", *FULL_ADD, "-s", "biotin:1ml:LOT B1")
    return patient


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["add", "P-0042", *FULL_ADD, "--measure", "waist_cm=80", "--measure", "waist_cm=85"],
            "waist_cm is given twice; give it once",
        ),
        (
            ["amend", "P-0042", "1", "--measure", "waist_cm=80", "--measure", "waist_cm=85"],
            "waist_cm is given twice; give it once",
        ),
        (
            ["amend", "P-0042", "1", "-s", "#1=biotin:2ml", "-s", "#1=biotin:3ml"],
            "#1 is given twice; give it once",
        ),
        (
            ["amend", "P-0042", "1", "-s", "#x=biotin:1ml"],
            "'#N=' takes the product's number as the report shows it",
        ),
        (
            ["amend", "P-0042", "1", "-s", "#=biotin:1ml"],
            "'#N=' takes the product's number as the report shows it",
        ),
    ],
)
def test_refused_and_nothing_written(run, recorded: Path, args: list[str], said: str) -> None:  # type: ignore[no-untyped-def]
    if args[0] == "amend":
        args = [*args, "--reason", "typo"]
    before = snapshot(recorded.parent.parent)
    result = run(*args, expect=2)
    assert said in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert snapshot(recorded.parent.parent) == before


def test_one_measure_of_each_name_is_still_recorded(run, recorded: Path) -> None:  # type: ignore[no-untyped-def]
    run(
        "amend",
        "P-0042",
        "1",
        "--measure",
        "waist_cm=80",
        "--measure",
        "hip_cm=95",
        "--reason",
        "r",
    )
    text = recorded.read_text()
    assert "waist_cm = 80" in text and "hip_cm = 95" in text


def test_an_expired_product_with_no_lot_is_named_without_a_question_mark(
    run, patient: Path
) -> None:  # type: ignore[no-untyped-def]
    args = [a for a in FULL_ADD if a != "--no-input"]
    result = run(
        "add",
        "P-0042",
        *args,
        "-s",
        "biotin:1ml:EXP 2020-01-01",
        "--date",
        "2026-11-02",
        "--no-input",
    )
    assert "biotin expired on 2020-01-01" in result.stderr and "lot ?" not in result.stderr
