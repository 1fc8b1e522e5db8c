"""Warnings worth reading: a depth is said only outside every range the sources give for the
session's method and indication (docs/vocabulary.md); normal practice raises none."""

from __future__ import annotations

from pathlib import Path

import pytest

BODY = [
    "--area",
    "abdomen",
    "-s",
    "phosphatidylcholine:5ml:LOT PC1",
    "--technique",
    "hand",
    "--anaesthetic",
    "none",
    "--indication",
    "localized fat",
    "--no-input",
]
HAIR = [
    "--area",
    "scalp",
    "-s",
    "dutasteride 0.01%:1ml:LOT D2411",
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


@pytest.mark.parametrize("depth", ["4", "8", "13"])
@pytest.mark.parametrize("method", ["point-by-point", "depot", None])
def test_lipolytic_depots_at_4_to_13_mm_pass(
    run, data_dir: Path, depth: str, method: str | None
) -> None:  # type: ignore[no-untyped-def]
    run("patient", "new", "P-1")
    result = run("add", "P-1", "--depth", depth, *BODY, *(["--method", method] if method else []))
    assert "warning" not in result.stderr


@pytest.mark.parametrize("depth", ["0.5", "1", "1.5", "2", "4"])
def test_nappage_from_half_a_millimetre_to_4_mm_passes(run, data_dir: Path, depth: str) -> None:  # type: ignore[no-untyped-def]
    run("patient", "new", "P-1")
    assert "warning" not in run("add", "P-1", "--depth", depth, *HAIR).stderr


def test_a_depth_no_source_describes_is_said_with_the_sources_range(run, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    run("patient", "new", "P-1")
    deep = run("add", "P-1", "--depth", "8", *HAIR).stderr
    assert (
        "depth 8 mm is outside what the sources describe for nappage for hair loss (under 4 mm"
        in deep
    )
    papule = run(
        "add", "P-1", "--depth", "6", *HAIR[:-3], "--method", "papule", "--no-input"
    ).stderr
    assert "for papule for hair loss (1-4 mm; docs/vocabulary.md)" in papule
    assert (
        "depth_mm = 8.0" in (data_dir / "patients" / "P-1.toml").read_text()
    )  # recorded all the same


def test_the_readmes_own_examples_raise_no_warning(run, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    run(
        "patient",
        "new",
        "P-0042",
        "--name",
        "Ana Ruiz",
        "--birth-year",
        "1986",
        "--course",
        "hair-2026",
        "--indication",
        "hair loss",
        "--sessions",
        "6",
        "--interval",
        "14",
        "--start",
        "2026-11-02",
    )
    first = run(
        "add",
        "P-0042",
        "--date",
        "2026-11-02",
        "--area",
        "scalp",
        "--substance",
        "dutasteride 0.01%:1ml:LOT D2411",
        "--depth",
        "1.5",
        "--technique",
        "gun",
        "--anaesthetic",
        "none",
        "--indication",
        "hair loss",
        "--measure",
        "hair_density_per_cm2=142",
    )
    again = run(
        "add",
        "P-0042",
        "--date",
        "2026-11-16",
        "--like-last",
        "--measure",
        "hair_density_per_cm2=150",
    )
    full = run(
        "add",
        "P-0042",
        "--date",
        "2026-11-30",
        "--area",
        "scalp",
        "--area",
        "forehead",
        "--substance",
        "minoxidil 0.5%:2ml:LOT MX2409:EXP 2027-06-30",
        "--substance",
        "biotin:1ml:LOT B553",
        "--depth",
        "1.5",
        "--technique",
        "gun",
        "--method",
        "nappage",
        "--angle",
        "45",
        "--gauge",
        "32",
        "--needle-length",
        "4",
        "--points",
        "120",
        "--anaesthetic",
        "none",
        "--duration",
        "25",
        "--complication",
        "redness:mild",
        "--measure",
        "hair_density_per_cm2=147",
        "--note",
        "tolerated well",
        "--practitioner",
        "Dr. L. Moreau",
        "--consent",
        "form 2026-11-02",
    )
    for result in (first, again, full):
        assert "warning" not in result.stderr, result.stderr
