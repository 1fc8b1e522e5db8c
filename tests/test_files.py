"""Creating a file without overwriting where the file system has no hard links
(store.files.create_exclusively, the fallback of write_atomically(overwrite=False))."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from mesolog.store.files import create_exclusively, write_atomically


def test_it_creates_a_private_file_with_the_text(tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    create_exclusively(path, "séance 1\n")
    assert path.read_bytes() == "séance 1\n".encode()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_it_never_clobbers_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    path.write_text("typed by hand\n")
    with pytest.raises(FileExistsError):
        create_exclusively(path, "new\n")
    assert path.read_text() == "typed by hand\n"


def test_it_never_follows_a_symlink_even_a_dangling_one(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.txt"
    link = tmp_path / "report.txt"
    link.symlink_to(target)
    with pytest.raises(FileExistsError):
        create_exclusively(link, "new\n")
    assert not target.exists() and link.is_symlink()


def test_the_linking_path_refuses_an_existing_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    path = folder / "report.txt"
    path.write_text("typed by hand\n")
    with pytest.raises(FileExistsError):
        write_atomically(path, "new\n", overwrite=False)
    assert path.read_text() == "typed by hand\n"
    assert sorted(p.name for p in folder.iterdir()) == ["report.txt"]
