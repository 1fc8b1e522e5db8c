"""Import remembers what a row records, not the file's name: another file with the same name
brings its new sessions, and the same rows under another name bring nothing twice. Real files,
the real CLI, a real data folder (with git history)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from conftest import snapshot


@pytest.fixture(autouse=True, params=["kept", "streamed"])
def how_apply_writes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test twice: a short file's plan written as planned, and the same file streamed again
    by --apply (what a file over the kept-rows threshold does)."""
    from mesolog.model import importing

    if request.param == "streamed":
        monkeypatch.setattr(importing, "KEPT_ROWS", 0)
    return str(request.param)


HEADER = "patient,date,areas,technique,depth_mm,anaesthetic,substance,amount,unit,lot\n"
OCTOBER = "P-1,2025-10-06,scalp,gun,1.5,none,minoxidil,1,ml,M1\n"
NOVEMBER = "P-1,2025-11-03,scalp,gun,1.5,none,biotin,2,ml,B7\n"


def sheet(folder: Path, *rows: str, name: str = "visits.csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(HEADER + "".join(rows))
    return path


def sessions(data_dir: Path, patient: str = "P-1") -> list[dict]:  # type: ignore[type-arg]
    return list(tomllib.loads((data_dir / "patients" / f"{patient}.toml").read_text())["sessions"])


def test_another_file_with_the_same_name_imports_its_new_rows(
    run, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    run("init", "--git")
    october = sheet(tmp_path / "oct", OCTOBER)
    run("import", str(october), "--apply")
    november = sheet(tmp_path / "nov", NOVEMBER)  # same name, same row number, another session
    dry = run("import", str(november))
    assert (
        "Would import 1 session into 1 chart" in dry.stdout
        and "Already in the charts" not in dry.stdout
    )
    applied = run("import", str(november), "--apply")
    assert "Imported 1 session into 1 chart" in applied.stdout
    kept = sessions(data_dir)
    assert [(s["date"].isoformat(), s["substances"][0]["name"]) for s in kept] == [
        ("2025-10-06", "minoxidil"),
        ("2025-11-03", "biotin"),
    ]
    assert [s["source"] for s in kept] == ["visits.csv#row=2", "visits.csv#row=2"]  # for the reader


def test_the_same_rows_from_a_renamed_file_import_nothing_twice(
    run, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    run("init", "--git")
    run("import", str(sheet(tmp_path / "a", OCTOBER, NOVEMBER)), "--apply")
    # The same visits, saved again under another name, in another order, with a blank row.
    renamed = sheet(tmp_path / "b", NOVEMBER, "\n", OCTOBER, name="export-final (2).csv")
    before = snapshot(data_dir)
    for extra in ((), ("--apply",)):
        result = run("import", str(renamed), *extra)
        assert "0 sessions into 0 charts" in result.stdout
        assert "Already in the charts (left out): 2 sessions." in result.stdout
    assert snapshot(data_dir) == before and len(sessions(data_dir)) == 2


def test_a_row_already_imported_is_known_whatever_other_rows_the_file_holds(
    run, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """A file that grows month by month: only the new visits come in."""
    run("import", str(sheet(tmp_path / "oct", OCTOBER)), "--apply")
    grown = sheet(tmp_path / "nov", OCTOBER, NOVEMBER)
    result = run("import", str(grown), "--apply")
    assert "Imported 1 session into 1 chart" in result.stdout
    assert "Already in the charts (left out): 1 session." in result.stdout
    assert [s["source"] for s in sessions(data_dir)] == ["visits.csv#row=2", "visits.csv#row=3"]


def test_what_the_clinic_fills_in_since_does_not_make_a_row_new_again(
    run, data_dir: Path, tmp_path: Path, config_file: Path
) -> None:  # type: ignore[no-untyped-def]
    """A row that leaves the indication, technique and anaesthetic to the clinic is drafted with
    the last session's indication and the config's defaults: those may have changed since."""
    header = "patient,date,areas,depth_mm,substance,amount,unit,lot\n"
    path = tmp_path / "oct" / "visits.csv"
    path.parent.mkdir()
    path.write_text(header + "P-1,2025-10-06,scalp,1.5,minoxidil,1,ml,M1\n")
    config_file.write_text('technique = "gun"\nanaesthetic = "none"\n')
    run("import", str(path), "--apply")
    run(
        "add",
        "P-1",
        "--date",
        "2025-10-20",
        "--area",
        "scalp",
        "-s",
        "minoxidil:1ml:LOT M1:EXP 2027-01-31",
        "--depth",
        "1.5",
        "--indication",
        "hair loss",
        "--no-input",
    )
    config_file.write_text('technique = "hand"\nanaesthetic = "topical"\n')
    before = snapshot(data_dir)
    again = run("import", str(path), "--apply")
    assert "Imported 0 sessions into 0 charts" in again.stdout
    assert "Already in the charts (left out): 1 session." in again.stdout
    assert snapshot(data_dir) == before
