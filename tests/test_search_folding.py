"""Search folds every Latin letter as it is typed on an English keyboard: ``lukasz`` finds
Łukasz, ``soren`` Søren, ``weiss`` Weiß, and so on, in `patient list --search` and in the
"did you mean" of an unknown id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

PEOPLE = {
    "P-1": "Łukasz Kowalski",
    "P-2": "Søren Bjørnsen",
    "P-3": "Hans Weiß",
    "P-4": "Æsa Læknir",
    "P-5": "Đorđe Đurić",
    "P-6": "Işık Yılmaz",
    "P-7": "Þórunn Œhlenschläger",
    "P-8": "Ðagný Smiðsdóttir",
}


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("lukasz", "P-1"),
        ("LUKASZ kowalski", "P-1"),
        ("soren", "P-2"),
        ("bjornsen", "P-2"),
        ("weiss", "P-3"),
        ("aesa", "P-4"),
        ("laeknir", "P-4"),
        ("dorde", "P-5"),
        ("duric", "P-5"),
        ("isik", "P-6"),
        ("yilmaz", "P-6"),
        ("thorunn", "P-7"),
        ("oehlenschlager", "P-7"),
        ("dagny", "P-8"),
        ("smidsdottir", "P-8"),
        ("Søren", "P-2"),
        ("Łukasz", "P-1"),
    ],
)
def test_search_finds_letters_that_do_not_decompose(
    run, data_dir: Path, typed: str, found: str
) -> None:  # type: ignore[no-untyped-def]
    for pid, name in PEOPLE.items():
        run("patient", "new", pid, "--name", name)
    listed = json.loads(run("patient", "list", "--search", typed, "--format", "json").stdout)
    assert [row["patient"] for row in listed] == [found]


def test_an_unknown_id_suggests_the_patient_by_a_name_typed_in_plain_letters(
    run, data_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    run("patient", "new", "P-1", "--name", PEOPLE["P-1"])
    result = run("report", "lukasz", expect=1)
    assert "did you mean P-1 (Łukasz Kowalski)?" in result.stderr
