""" "did you mean" offers only ids a slip of the hand away (at most two keystrokes: a character
changed, added, removed, or two neighbours swapped), never an id of the same shape that is
another patient's (Q-0143 for a mistyped P-0213)."""

from __future__ import annotations

from pathlib import Path

from mesolog.model import finding
from tests.conftest import snapshot


def _unknown(run, data_dir: Path, *args: str) -> str:  # type: ignore[no-untyped-def]
    before = snapshot(data_dir)
    said = run(*args, expect=1).stderr
    assert snapshot(data_dir) == before
    return said


def test_a_far_id_is_not_suggested_and_a_near_one_still_is(run, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    run("patient", "new", "Q-0143")
    said = _unknown(run, data_dir, "report", "P-0213")
    assert "no patient 'P-0213'" in said
    assert "Q-0143" not in said and "did you mean" not in said
    run("patient", "new", "P-0231")
    said = _unknown(run, data_dir, "report", "P-0213")  # two digits swapped: one keystroke
    assert "did you mean P-0231?" in said and "Q-0143" not in said
    said = _unknown(run, data_dir, "patient", "show", "p0231")  # the dash left out, lower case
    assert "did you mean P-0231?" in said


def test_edits_counts_keystrokes() -> None:
    assert finding.edits("P-0213", "P-0231") == 1  # neighbours swapped
    assert finding.edits("P-0213", "P-213") == 1
    assert finding.edits("P-0213", "P-0914") == 2
    assert finding.edits("P-0213", "Q-0143") == 3
    assert finding.edits("", "P-1") == 3
    people = [("Q-0143", None), ("P-0914", None), ("P-0231", None)]
    assert finding.close_ids("P-0213", people) == ["P-0231"]
    assert finding.close_ids("P-0213", people[:2]) == ["P-0914"]
    assert finding.close_ids("P-0213", people[:1]) == []


def test_a_letter_or_two_shows_no_other_patients_name(run, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    run("patient", "new", "P-0100", "--name", "Søren Ærø")
    run("patient", "new", "P-0102", "--name", "José Muñoz")
    for typed in ("S", "a", "so", "Jo"):
        said = _unknown(run, data_dir, "report", typed)
        assert "Søren" not in said and "José" not in said and "did you mean" not in said, typed
    # From three letters a name is what the practitioner is typing: it is offered.
    assert "did you mean P-0100 (Søren Ærø)?" in _unknown(run, data_dir, "report", "sor")
    assert "P-0102 (José Muñoz)" in _unknown(run, data_dir, "report", "munoz")
