"""A data folder whose `.locks` is a symbolic link is refused in one sentence: mesolog would make
its lock files (and an import's backups) in the link's target, outside the data folder, and
truncate a file of that name there (docs/manual.md, "How the records are kept safe")."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import FULL_ADD, snapshot
from tests.test_import_files import ROWS, text_of


def _every_file(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _refused(run, data_dir: Path, *args: str) -> None:  # type: ignore[no-untyped-def]
    before, link = snapshot(data_dir), os.readlink(data_dir / ".locks")
    said = run(*args, expect=1).stderr
    assert "is a symbolic link" in said and "Traceback" not in said
    assert said.strip().count("\n") == 0
    assert snapshot(data_dir) == before
    assert os.readlink(data_dir / ".locks") == link


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A folder outside the data folder holding files of the names mesolog keeps in `.locks`."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "p-0042.lock").write_text("precious\n")
    (folder / "P-1.toml.before-import").write_text("precious too\n")
    return folder


def test_a_locks_link_to_another_folder_is_refused_and_that_folder_untouched(
    run, patient: Path, data_dir: Path, tmp_path: Path, elsewhere: Path
) -> None:  # type: ignore[no-untyped-def]
    shutil.rmtree(data_dir / ".locks", ignore_errors=True)  # the real one, made by `patient`
    (data_dir / ".locks").symlink_to(elsewhere)
    kept = _every_file(elsewhere)
    visits = tmp_path / "visits.csv"
    visits.write_text(text_of(ROWS))
    _refused(run, data_dir, "add", "P-0042", *FULL_ADD)
    _refused(run, data_dir, "patient", "new", "P-7")
    _refused(run, data_dir, "import", str(visits), "--apply")
    assert _every_file(elsewhere) == kept


def test_a_dangling_locks_link_is_refused_and_its_target_never_made(
    run, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "nowhere"
    (data_dir / ".locks").symlink_to(target)
    visits = tmp_path / "visits.csv"
    visits.write_text(text_of(ROWS))
    _refused(run, data_dir, "patient", "new", "P-7")
    _refused(run, data_dir, "import", str(visits), "--apply")
    assert not os.path.lexists(target)
