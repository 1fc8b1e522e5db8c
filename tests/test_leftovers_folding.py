"""One fold for the search and the import: `patient list --search` and the import's matching of
names (a close id's, an id's own) and headers agree that "Soren" is "Søren", "Strasse" "Straße",
"Aesa" "Æsa", "Lukasz" "Łukasz", "Lucia" "Lucía"."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from mesolog.model.import_map import normal_header
from tests.conftest import snapshot
from tests.test_import_files import HEADER

PAIRS = [
    ("Søren Holm", "Soren Holm"),
    ("Anna Straße", "Anna Strasse"),
    ("Æsa Lind", "Aesa Lind"),
    ("Łukasz Nowak", "Lukasz Nowak"),
    ("Lucía Gómez", "Lucia Gomez"),
]


@pytest.mark.parametrize(("charted", "typed"), PAIRS)
def test_the_search_and_the_import_read_a_name_typed_plainly_as_the_same_person(
    run, data_dir: Path, tmp_path: Path, charted: str, typed: str
) -> None:  # type: ignore[no-untyped-def]
    run("patient", "new", "P-0042", "--name", charted)
    # The search finds the charted name by its plain spelling...
    assert "P-0042" in run("patient", "list", "--search", typed.split()[-2]).stdout
    # ...and so the import takes a close id with the same name for a typo, not a new patient.
    row = [
        "P-0043", typed, "2025-10-06", "scalp", "gun", "1.5", "none", "minoxidil", "1", "ml", "M1",
    ]  # fmt: skip
    visits = tmp_path / "visits.csv"
    visits.write_text("\n".join(",".join(r) for r in (HEADER, row)) + "\n")
    before = snapshot(data_dir)
    for extra in ((), ("--apply",)):
        said = run("import", str(visits), *extra, expect=1).stdout
        assert "did you mean P-0042?" in said
    assert snapshot(data_dir) == before


@pytest.mark.parametrize(("charted", "typed"), PAIRS)
def test_a_file_naming_a_patient_plainly_imports_into_the_chart_of_that_name(
    run, data_dir: Path, tmp_path: Path, charted: str, typed: str
) -> None:  # type: ignore[no-untyped-def]
    run("patient", "new", "P-0042", "--name", charted)
    row = [
        "P-0042", typed, "2025-10-06", "scalp", "gun", "1.5", "none", "minoxidil", "1", "ml", "M1",
    ]  # fmt: skip
    visits = tmp_path / "visits.csv"
    visits.write_text("\n".join(",".join(r) for r in (HEADER, row)) + "\n")
    assert "1 accepted, 0 rejected" in run("import", str(visits), "--apply").stdout
    assert len(tomllib.loads((data_dir / "patients" / "P-0042.toml").read_text())["sessions"]) == 1


@pytest.mark.parametrize(("charted", "typed"), PAIRS)
def test_a_header_reads_the_same_written_either_way(charted: str, typed: str) -> None:
    # The key a header is known by (a map's column, a header word): both spellings are one.
    assert normal_header(f"Notes {charted}") == normal_header(f"Notes {typed}")
