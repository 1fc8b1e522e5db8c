"""`mesolog check` names a `.locks` that is a symbolic link, in the sentence every writing command
refuses with (remove it): the command a practitioner runs to see what is wrong says what stops
every write. `check` itself changes nothing, neither in the data folder nor in the link's
target. The real CLI on a real data folder."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from conftest import snapshot


def _every_file(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _checked(run, data_dir: Path) -> tuple[str, list[dict]]:  # type: ignore[no-untyped-def,type-arg]
    """What `check` says in text and in JSON, each run leaving the data folder as it was."""
    before, link = snapshot(data_dir), os.readlink(data_dir / ".locks")
    text = run("check", expect=1)
    found = json.loads(run("check", "--format", "json", expect=1).stdout)
    assert "Traceback" not in text.stdout + text.stderr
    assert snapshot(data_dir) == before
    assert os.readlink(data_dir / ".locks") == link
    return text.stdout + text.stderr, found


def test_check_names_a_locks_link_to_another_folder(
    run, patient: Path, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "p-0042.lock").write_text("precious\n")
    shutil.rmtree(data_dir / ".locks", ignore_errors=True)  # the real one, made by `patient`
    (data_dir / ".locks").symlink_to(elsewhere)
    said, found = _checked(run, data_dir)
    locks = data_dir / ".locks"
    assert (
        f"{locks}:1: error: {locks} is a symbolic link; mesolog never writes through one. "
        "Remove it."
    ) in said
    assert "1 error" in said
    assert [p["path"] for p in found if "symbolic link" in p["message"]] == [str(locks)]
    assert _every_file(elsewhere) == {"p-0042.lock": b"precious\n"}
    # The same sentence as the refusal of a write.
    refused = run("patient", "new", "P-7", expect=1).stderr
    assert refused.strip().removeprefix("mesolog: ") in said


def test_check_names_a_dangling_locks_link_and_never_makes_its_target(
    run, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "nowhere"
    (data_dir / ".locks").symlink_to(target)
    said, _ = _checked(run, data_dir)
    assert "is a symbolic link" in said and "Remove it." in said
    assert not os.path.lexists(target)


def test_a_real_locks_folder_or_none_is_no_problem(run, patient: Path, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    assert (data_dir / ".locks").is_dir()
    assert "symbolic link" not in run("check").stderr
    shutil.rmtree(data_dir / ".locks")
    said = run("check")
    assert "symbolic link" not in said.stdout + said.stderr
    assert not (data_dir / ".locks").exists()  # check makes none
