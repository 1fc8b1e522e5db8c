"""One rule decides "same word" everywhere: the vocabulary compares an area, indication,
substance, complication or zone through the fold of the search and the import
(``mesolog.model.folding.fold``), so "DÉCOLLETÉ" typed with combining accents (as macOS pastes
it), "œdema", "hæmatoma" or "Centélla asiática" are the catalogue's words, not "not in the
list". The real CLI on a real data folder."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from mesolog.model import vocabulary as vocab
from mesolog.model.folding import fold

BASE = ["--date", "2026-11-02", "--depth", "1.5", "--technique", "gun", "--anaesthetic", "none"]
SUBSTANCE = ["--substance", "biotin:1ml:LOT B1"]
NFD_DECOLLETE = "DE\u0301COLLETE\u0301"  # "DÉCOLLETÉ" as two code points a letter
CASES = [
    ("area", ["--area", NFD_DECOLLETE, *SUBSTANCE], "décolleté"),
    ("area", ["--area", "dêcolleté", *SUBSTANCE], "décolleté"),
    ("indication", ["--area", "face", "--indication", "me\u0301lasma", *SUBSTANCE], "pigmentation"),
    ("indication", ["--area", "face", "--indication", "skin agëing", *SUBSTANCE], "rejuvenation"),
    (
        "substance",
        ["--area", "face", "--substance", "hyaluronic ácid:1ml:LOT H1"],
        "hyaluronic acid",
    ),
    (
        "substance",
        ["--area", "face", "--substance", "coenzyme \uff31\uff11\uff10:1ml:L1"],
        "coenzyme Q10",
    ),
    ("complication", ["--area", "face", *SUBSTANCE, "--complication", "œdema"], "swelling"),
    ("complication", ["--area", "face", *SUBSTANCE, "--complication", "hæmatoma"], "bruising"),
    (
        "zone",
        ["--area", "décolleté", *SUBSTANCE, "--zone", f"{NFD_DECOLLETE}/CENTRE:5"],
        "décolleté/centre",
    ),
]


def session_of(chart: Path) -> dict:  # type: ignore[type-arg]
    return tomllib.loads(chart.read_text())["sessions"][-1]


@pytest.mark.parametrize(("kind", "args", "meant"), CASES)
def test_a_folded_spelling_is_the_catalogues_word_with_no_warning(
    run, patient: Path, kind: str, args: list[str], meant: str
) -> None:  # type: ignore[no-untyped-def]
    result = run("add", "P-0042", *BASE, *args)
    said = result.stdout + result.stderr
    assert "not in the list" not in said
    assert "uncatalogued" not in said
    assert "did you mean" not in said
    assert session_of(patient)  # recorded
    # ...and counted under the catalogue's word by the clinic-wide questions.
    assert "P-0042" in run("find", f"--{kind}", meant, "--format", "csv").stdout


@pytest.mark.parametrize(
    ("kind", "typed", "meant"),
    [
        ("area", NFD_DECOLLETE, "décolleté"),
        ("area", "Décolleté", "décolleté"),
        ("area", "decollete", "décolleté"),
        ("indication", "me\u0301lasma", "pigmentation"),
        ("complication", "œdema", "swelling"),
        ("complication", "hæmatoma", "bruising"),
    ],
)
def test_the_questions_count_a_folded_spelling_under_the_catalogue_word(
    kind: str, typed: str, meant: str
) -> None:
    # find, stats and the report's tallies group by this meaning.
    assert vocab.meaning(kind, typed) == meant


def test_the_questions_count_a_folded_product_under_its_catalogue_name() -> None:
    assert vocab.substance_meaning("Hyaluronic Ácid 2%") == "hyaluronic acid"
    assert vocab.substance_meaning("coenzyme \uff31\uff11\uff10") == "coenzyme Q10"


def test_the_vocabulary_and_the_search_agree_on_what_is_one_word() -> None:
    for word in ("Søren", "Straße", "Łukasz", NFD_DECOLLETE, "œdema", "  Vitamin   C "):
        assert vocab.normalize(word) == fold(word)


def test_the_catalogue_names_the_zone_of_a_folded_area(run, patient: Path) -> None:  # type: ignore[no-untyped-def]
    run("add", "P-0042", *BASE, "--area", "décolleté", *SUBSTANCE, "--zone", "DÉCOLLETÉ/céntre:5")
    assert "P-0042" in run("find", "--zone", f"{NFD_DECOLLETE}/center", "--format", "csv").stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--area", "elbøw", *SUBSTANCE],
        ["--area", "face", "--indication", "sunbürn", *SUBSTANCE],
        ["--area", "face", *SUBSTANCE, "--complication", "œdemma"],
    ],
)
def test_a_truly_unknown_word_still_warns(run, patient: Path, args: list[str]) -> None:  # type: ignore[no-untyped-def]
    result = run("add", "P-0042", *BASE, *args)
    assert "not in the list" in result.stdout + result.stderr


def test_a_truly_unknown_substance_is_still_uncatalogued(run, patient: Path) -> None:  # type: ignore[no-untyped-def]
    result = run("add", "P-0042", *BASE, "--area", "face", "--substance", "Zørblex:1ml:LOT Z1")
    assert "Zørblex" in result.stdout + result.stderr
    assert "Zørblex" in patient.read_text()


@pytest.mark.parametrize(
    ("configured", "typed"),
    [("Łopatki", "lopatki"), ("Rückenfuß", "RUCKENFUSS"), ("Skulderblad øvre", "skulderblad ovre")],
)
def test_a_clinics_own_area_with_o_slash_eszett_or_l_stroke_is_known_typed_plainly(
    run, patient: Path, configured: str, typed: str
) -> None:  # type: ignore[no-untyped-def]
    run("config", "set", "areas", configured)
    result = run("add", "P-0042", *BASE, "--area", typed, *SUBSTANCE)
    assert "not in the list" not in result.stdout + result.stderr
    assert "P-0042" in run("find", "--area", configured, "--format", "csv").stdout
