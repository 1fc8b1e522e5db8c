"""Corrections by name, and a recall that sees them: a correction touches only what it names,
asks which where two items share a name, says what it takes off; `lot` still finds a session
whose lot was corrected away (docs/corrections.md)."""

from __future__ import annotations

import csv
import io
import json
import tomllib
from pathlib import Path

import pytest
from conftest import snapshot

BODY = [
    "--area",
    "abdomen",
    "--depth",
    "8",
    "--technique",
    "hand",
    "--anaesthetic",
    "none",
    "--indication",
    "localized fat",
    "--method",
    "point-by-point",
    "--no-input",
]


@pytest.fixture
def chart(run, data_dir: Path) -> Path:  # type: ignore[no-untyped-def]
    run("patient", "new", "P-0007", "--name", "Carla Diaz", "--phone", "+34 600 111 222")
    run(
        "add",
        "P-0007",
        "--date",
        "2026-11-01",
        "-s",
        "phosphatidylcholine:4ml:LOT PC-1",
        "-s",
        "silicium:2ml:LOT SI-77",
        "-s",
        "caffeine:2ml:LOT CF-0000",
        "--complication",
        "bruising:moderate",
        "--complication",
        "bruising:mild:onset=2026-11-03",
        *BODY,
    )
    return data_dir / "patients" / "P-0007.toml"


def _products(chart: Path, session: int = 0) -> list[tuple[str, str]]:
    return [
        (s["name"], s.get("lot", ""))
        for s in tomllib.loads(chart.read_text())["sessions"][session]["substances"]
    ]


def test_a_substance_replaces_only_the_product_of_that_name(run, chart: Path) -> None:  # type: ignore[no-untyped-def]
    result = run(
        "amend", "P-0007", "1", "--substance", "caffeine:2ml:LOT CF-8812", "--reason", "wrong lot"
    )
    assert _products(chart) == [
        ("phosphatidylcholine", "PC-1"),
        ("silicium", "SI-77"),
        ("caffeine", "CF-8812"),
    ]
    assert "lot CF-0000 of caffeine is corrected to CF-8812" in result.stderr
    trail = tomllib.loads(chart.read_text())["sessions"][0]["amendments"][-1]
    assert trail["reason"] == "wrong lot" and "caffeine 2ml lot CF-0000" in trail["changes"][0]


def test_a_product_is_found_by_its_lot_and_a_new_one_is_added_not_swapped_in(
    run, chart: Path
) -> None:  # type: ignore[no-untyped-def]
    run(
        "amend",
        "P-0007",
        "1",
        "--substance",
        "silicon organic:2ml:LOT SI-77",
        "--reason",
        "name as on the vial",
    )
    assert ("silicon organic", "SI-77") in _products(chart) and len(_products(chart)) == 3
    added = run(
        "amend", "P-0007", "1", "--substance", "L-carnitine:1ml:LOT LC-5", "--reason", "forgotten"
    )
    assert len(_products(chart)) == 4 and "is added to its products" in added.stderr


def test_remove_substance_takes_off_one_and_says_so(run, chart: Path) -> None:  # type: ignore[no-untyped-def]
    result = run("amend", "P-0007", "1", "--remove-substance", "silicium", "--reason", "not given")
    assert _products(chart) == [("phosphatidylcholine", "PC-1"), ("caffeine", "CF-0000")]
    assert "silicium 2ml lot SI-77 is taken off (the trail keeps it" in result.stderr
    before = snapshot(chart.parent)
    nothing = run("amend", "P-0007", "1", "--remove-substance", "biotin", "--reason", "x", expect=2)
    assert "has no such product" in nothing.stderr and snapshot(chart.parent) == before


def test_where_two_items_share_a_name_the_command_asks_which(
    run, chart: Path, data_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    # A second vial of a product already there, recorded with the session.
    two = ["-s", "caffeine:2ml:LOT CF-0000", "-s", "caffeine:1ml:LOT CF-0001"]
    run("add", "P-0007", "--date", "2026-11-15", *two, *BODY)
    before = snapshot(data_dir)
    which = run("amend", "P-0007", "2", "--remove-substance", "caffeine", "--reason", "x", expect=2)
    assert (
        "has 2 products named 'caffeine' (#1 caffeine 2ml lot CF-0000; #2 caffeine 1ml lot CF-0001)"
        in which.stderr
    )
    asked = run(
        "amend",
        "P-0007",
        "1",
        "--resolve-complication",
        "bruising",
        "--resolved",
        "2026-11-20",
        "--reason",
        "healed",
        expect=2,
    )
    assert "#1 bruising moderate; #2 bruising mild onset 2026-11-03" in asked.stderr
    assert snapshot(data_dir) == before  # nothing guessed, nothing written
    report = run("report", "P-0007").stdout  # the numbers the question names are the report's
    assert "#2 caffeine" in report and "#2 bruising" in report
    run("amend", "P-0007", "2", "--remove-substance", "#2", "--reason", "second vial not used")
    assert [lot for _, lot in _products(chart, 1)] == ["CF-0000"]


def test_resolve_complication_settles_one_and_the_report_shows_it(run, chart: Path) -> None:  # type: ignore[no-untyped-def]
    run(
        "amend",
        "P-0007",
        "1",
        "--resolve-complication",
        "#1",
        "--resolved",
        "2026-11-30",
        "--reason",
        "healed",
    )
    run(
        "amend",
        "P-0007",
        "1",
        "--resolve-complication",
        "#2",
        "--resolved",
        "2026-12-01",
        "--outcome",
        "resolved-with-sequelae",
        "--reason",
        "small mark left",
    )
    complications = tomllib.loads(chart.read_text())["sessions"][0]["complications"]
    assert [(c["severity"], str(c["resolved"]), c["outcome"]) for c in complications] == [
        ("moderate", "2026-11-30", "resolved"),
        ("mild", "2026-12-01", "resolved-with-sequelae"),
    ]
    report = run("report", "P-0007").stdout
    assert "bruising (moderate), resolved 2026-11-30" in report


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--resolve-complication", "#1"), "give the date it resolved with --resolved"),
        (("--resolved", "2026-11-30"), "say which complication with --resolve-complication"),
        (("--resolve-complication", "#1", "--resolved", "2026-10-01"), "before the session date"),
        (
            ("--resolve-complication", "#2", "--resolved", "2026-11-02"),
            "before the onset 2026-11-03",
        ),
        (
            ("--resolve-complication", "#1", "--resolved", "2026-11-30", "--outcome", "healed"),
            "use one of resolved",
        ),
        (
            ("--resolve-complication", "nausea", "--resolved", "2026-11-30"),
            "no such complication (it has: bruising, bruising)",
        ),
    ],
)
def test_a_bad_resolution_is_one_sentence_and_changes_nothing(
    run, chart: Path, data_dir: Path, args: tuple[str, ...], says: str
) -> None:  # type: ignore[no-untyped-def]
    before = snapshot(data_dir)
    result = run("amend", "P-0007", "1", *args, "--reason", "x", expect=2)
    assert says in result.stderr and result.stderr.count("\n") == 1
    assert snapshot(data_dir) == before


def test_a_number_names_a_product_only_in_a_correction(run, chart: Path, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    before = snapshot(data_dir)
    result = run("add", "P-0007", "-s", "#1=caffeine:2ml:LOT X", *BODY, expect=2)
    assert "use it with `mesolog amend`" in result.stderr and snapshot(data_dir) == before


def test_lot_lists_a_session_whose_lot_was_corrected_away(run, chart: Path, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    run("patient", "new", "P-0008", "--name", "Dan Roe")
    run("add", "P-0008", "--date", "2026-11-05", "-s", "silicium:2ml:LOT SI-77", *BODY)
    run("amend", "P-0007", "1", "--substance", "caffeine:2ml:LOT CF-8812", "--reason", "wrong lot")
    run("amend", "P-0007", "1", "--remove-substance", "SI-77", "--reason", "not given after all")
    recall = run("lot", "CF-0000").stdout
    assert run("lot", "CF-0000").stdout == recall  # the summary cache, warm now, answers the same
    assert "Lot CF-0000: 1 administration in 1 session of 1 patient (1 since corrected" in recall
    assert "P-0007" in recall and "Carla Diaz" in recall and "wrong lot" in recall
    both = run("lot", "SI-77", "--format", "json").stdout
    rows = {(r["patient"], r["corrected"]) for r in json.loads(both)}
    day = json.loads(run("report", "P-0007", "--format", "json").stdout)["sessions"][0][
        "amendments"
    ][-1]["at"][:10]
    assert rows == {("P-0007", f"corrected away on {day}: not given after all"), ("P-0008", "")}
    mail = list(csv.DictReader(io.StringIO(run("lot", "SI-77", "--format", "csv").stdout)))
    assert [(r["patient"], r["corrected"]) for r in mail] == [
        ("P-0007", f"session 1: corrected away on {day}: not given after all"),
        ("P-0008", ""),
    ]
    # The lot it was corrected to is recalled as an ordinary administration.
    assert "corrected" not in run("lot", "CF-8812", "--format", "json").stdout.replace(
        '"corrected": ""', ""
    )
