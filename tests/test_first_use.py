"""A data folder named by --data-dir or MESOLOG_DATA_DIR that is not there is never created by
`patient new` or `add --new-patient` (a typo in the path would start a second clinic); the
default location is created on first use."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import snapshot

SESSION = [
    "--date",
    "2026-11-20",
    "--area",
    "scalp",
    "-s",
    "minoxidil:1ml:LOT M1",
    "--depth",
    "1.5",
    "--technique",
    "gun",
    "--anaesthetic",
    "none",
    "--no-input",
]
STARTING = [
    ["patient", "new", "P-1", "--name", "Ana"],
    ["add", "P-1", "--new-patient", *SESSION],
    ["add", "P-1", *SESSION],
]


@pytest.mark.parametrize("command", STARTING, ids=["patient-new", "add-new-patient", "add"])
def test_a_named_data_folder_that_is_not_there_is_refused(
    run, tmp_path: Path, missing_data_dir: Path, command: list[str]
) -> None:
    before = snapshot(tmp_path)
    result = run(*command, expect=1)
    assert result.stderr == (
        f"mesolog: there is no data folder at {missing_data_dir} (chosen by MESOLOG_DATA_DIR); "
        "check the path, or create one with `mesolog init`.\n"
    )
    typo = tmp_path / "clinc"
    result = run("--data-dir", str(typo), *command, expect=1)
    assert f"there is no data folder at {typo} (chosen by --data-dir)" in result.stderr
    assert not missing_data_dir.exists() and not typo.exists()
    assert snapshot(tmp_path) == before
    # The same in a real process.
    from conftest import mesolog_process

    done = mesolog_process("--data-dir", str(typo), *command)
    assert done.returncode == 1 and "create one with `mesolog init`" in done.stderr
    assert not typo.exists()


def test_after_init_the_named_folder_takes_new_patients(run, missing_data_dir: Path) -> None:
    run("init")
    run("patient", "new", "P-1")
    run("add", "P-2", "--new-patient", *SESSION)
    assert sorted(p.name for p in (missing_data_dir / "patients").iterdir()) == [
        "P-1.toml",
        "P-2.toml",
    ]


@pytest.mark.parametrize("command", STARTING[:2], ids=["patient-new", "add-new-patient"])
def test_the_default_data_folder_is_created_on_first_use(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.delenv("MESOLOG_DATA_DIR")
    import platformdirs

    default = Path(platformdirs.user_data_dir("mesolog", appauthor=False))  # under the test's HOME
    assert default.is_relative_to(tmp_path / "home") and not default.exists()
    run(*command)
    assert (default / "patients" / "P-1.toml").is_file()
    assert (default.stat().st_mode & 0o777) == 0o700


def test_an_empty_data_dir_is_refused_not_taken_for_the_default_clinic(run, data_dir: Path) -> None:
    before = snapshot(data_dir)
    result = run("--data-dir", "", "patient", "new", "P-42", expect=2)
    assert result.stderr == "mesolog: --data-dir needs a folder; nothing was read or written.\n"
    assert snapshot(data_dir) == before


def test_import_into_a_named_folder_that_does_not_exist_is_refused(run, tmp_path: Path) -> None:
    sheet = tmp_path / "visits.csv"
    sheet.write_text(
        "patient,date,areas,technique,depth_mm,anaesthetic,substance,amount,unit,lot\n"
        "Q-1,2026-11-02,scalp,gun,1.5,none,minoxidil,1,ml,M1\n"
    )
    typo = tmp_path / "typo"
    result = run("--data-dir", str(typo), "import", str(sheet), "--apply", expect=1)
    assert "there is no data folder at" in result.stderr and not typo.exists()
