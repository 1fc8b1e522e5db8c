"""A correction that names an item by its number (``#2``) names one the session has, or, for a
product, the next number adds one and says so; any other number is refused, listing the items as
the report numbers them, and nothing is written; a product replaced by another product is said
to be replaced, and the recall of its old lot still lists the session (docs/corrections.md)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from conftest import snapshot

BODY = [
    "--area",
    "scalp",
    "--depth",
    "1.5",
    "--technique",
    "gun",
    "--anaesthetic",
    "none",
    "--indication",
    "hair loss",
    "--method",
    "nappage",
    "--no-input",
]
PRODUCTS = "session 1 has products #1 minoxidil 0.5% 1ml lot MX2409."


@pytest.fixture
def chart(run, data_dir: Path) -> Path:  # type: ignore[no-untyped-def]
    """P-0500: session 1 with one product and one complication; session 2 with none."""
    run("patient", "new", "P-0500", "--name", "Ana Test", "--phone", "+34 600 000 000")
    one = ["-s", "minoxidil 0.5%:1ml:LOT MX2409", "--complication", "bruising:mild"]
    run("add", "P-0500", "--date", "2026-11-01", *one, *BODY)
    run("add", "P-0500", "--date", "2026-11-08", "-s", "biotin:1ml:LOT B1", *BODY)
    return data_dir / "patients" / "P-0500.toml"


def _refused(run, data_dir: Path, *args: str) -> str:  # type: ignore[no-untyped-def]
    """The one sentence ``amend P-0500 ARGS`` is refused with (exit 2), nothing written."""
    before = snapshot(data_dir)
    result = run("amend", "P-0500", *args, "--reason", "x", expect=2)
    assert snapshot(data_dir) == before
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1
    return str(result.stderr.strip())


@pytest.mark.parametrize("spec", ["#3=biotin:1ml:LOT B2", "#0=biotin:1ml"])
def test_a_product_number_the_session_does_not_have_is_refused_not_added(
    run, data_dir: Path, chart: Path, spec: str
) -> None:  # type: ignore[no-untyped-def]
    said = _refused(run, data_dir, "1", "--substance", spec)
    number = spec.split("=")[0]
    assert said == f"mesolog: --substance '{number}' is not allowed: {PRODUCTS}"
    # The same sentence as a product taken off by a number the session does not have.
    off = _refused(run, data_dir, "1", "--remove-substance", number)
    assert off == said.replace("--substance", "--remove-substance")


def test_the_next_number_adds_a_product_and_says_so(run, data_dir: Path, chart: Path) -> None:  # type: ignore[no-untyped-def]
    # A second vial of the product already there: its name alone would replace the first.
    result = run(
        "amend", "P-0500", "1", "--substance", "#2=minoxidil 0.5%:1ml:LOT MX2410",
        "--reason", "second vial",
    )  # fmt: skip
    assert "minoxidil 0.5% 1ml lot MX2410 is added as product #2 (the session had 1)" in (
        result.stderr
    )
    substances = tomllib.loads(chart.read_text())["sessions"][0]["substances"]
    assert [s["lot"] for s in substances] == ["MX2409", "MX2410"]
    rows = json.loads(run("lot", "MX2410", "--format", "json").stdout)
    assert [(r["patient"], r["session"]) for r in rows] == [("P-0500", 1)]


def test_a_number_names_the_products_the_report_numbers_not_one_typed_beside_it(
    run, data_dir: Path, chart: Path
) -> None:  # type: ignore[no-untyped-def]
    # L-carnitine is added by this very command: '#2' is the session's next number, not it.
    run(
        "amend", "P-0500", "1", "--substance", "L-carnitine:1ml:LOT LC5",
        "--substance", "#2=biotin:1ml:LOT B2", "--reason", "x",
    )  # fmt: skip
    substances = tomllib.loads(chart.read_text())["sessions"][0]["substances"]
    assert [s["name"] for s in substances] == ["minoxidil 0.5%", "L-carnitine", "biotin"]


@pytest.mark.parametrize(
    "option",
    [["--resolve-complication", "#2", "--resolved", "2026-11-20"], ["--remove-complication", "#2"]],
)
def test_a_complication_number_the_session_does_not_have_is_refused(
    run, data_dir: Path, chart: Path, option: list[str]
) -> None:  # type: ignore[no-untyped-def]
    said = _refused(run, data_dir, "1", *option)
    assert said == (
        f"mesolog: {option[0]} '#2' is not allowed: session 1 has complications #1 bruising mild."
    )
    none = _refused(run, data_dir, "2", *option[:1], "#1", *option[2:])
    assert none == f"mesolog: {option[0]} '#1' is not allowed: session 2 has no complications."


def test_a_product_replaced_by_another_is_said_replaced_and_its_lot_still_recalled(
    run, chart: Path
) -> None:  # type: ignore[no-untyped-def]
    result = run(
        "amend", "P-0500", "1", "--substance", "#1=biotin:1ml:LOT X", "--reason", "wrong vial"
    )
    assert (
        "session 1: product #1 (minoxidil 0.5% 1ml lot MX2409) is replaced by biotin (lot X) "
        "(`mesolog lot MX2409` still lists this session, as corrected)." in result.stderr
    )
    assert "is corrected to" not in result.stderr  # not a lot correction of minoxidil
    substances = tomllib.loads(chart.read_text())["sessions"][0]["substances"]
    assert [(s["name"], s["lot"]) for s in substances] == [("biotin", "X")]
    rows = json.loads(run("lot", "MX2409", "--format", "json").stdout)
    assert [(r["patient"], r["session"], r["substance"]) for r in rows] == [
        ("P-0500", 1, "minoxidil 0.5%")
    ]
    assert rows[0]["corrected"].startswith("corrected away on ")
    assert rows[0]["corrected"].endswith(": wrong vial")
