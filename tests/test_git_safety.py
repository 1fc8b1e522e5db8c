"""Git's own state, as mesolog finds it in the data folder, never costs a chart its change:
no chart or ``clinic.toml`` is written while git has a merge, rebase, cherry-pick or revert
under way; `mesolog git` never lets git's autocorrect turn a typo into a pull or a merge; a
``.locks`` that is not a folder is refused in one sentence and named by `check`
(docs/sharing.md). Real git repositories, a bare remote and clones, the real CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import Run
from test_sharing import ADD, Machine, clinic_of, git
from test_sharing import git_identity as git_identity  # autouse: a private git config per test
from test_sharing_hostile import state

Disk = tuple[object, str]


def disk(machine: Machine) -> Disk:
    """HEAD, the branch, every file's bytes, and what `git status` says."""
    status = git(machine.folder, "status", "--porcelain", "--untracked-files=all")
    return state(machine), status


def merge_by_hand(tmp_path: Path, run: Run) -> Machine:
    """Clone b with a merge of a's new chart started by git itself and left under way."""
    a, b = clinic_of(run, tmp_path, 2)
    a("patient", "new", "P-1")
    a("sync")
    b("patient", "new", "P-2")
    b("git", "fetch", "-q", "origin")
    subprocess.run(
        ["git", "-C", str(b.folder), "merge", "-q", "--no-commit", "--no-ff", "origin/main"],
        check=True,
        capture_output=True,
    )
    assert (b.folder / ".git" / "MERGE_HEAD").exists()
    return b


def _refused_while_busy(machine: Machine, what: str, *args: str) -> str:
    before = disk(machine)
    done = machine(*args, expect=1)
    assert disk(machine) == before
    said = done.stderr.strip()
    assert f"a git {what} is under way" in said and "Traceback" not in said
    assert "--abort" in said and "nothing was changed" in said
    return said


def test_a_session_is_refused_during_a_merge_by_hand_and_never_lost_by_its_abort(
    run: Run, tmp_path: Path
) -> None:
    b = merge_by_hand(tmp_path, run)
    said = _refused_while_busy(b, "merge", "add", "P-2", *ADD)
    assert "`mesolog git merge --abort`" in said and "`mesolog git commit`" in said
    _refused_while_busy(b, "merge", "patient", "new", "P-3")
    b("git", "merge", "--abort")
    b("add", "P-2", *ADD)  # over: the session is saved and committed
    assert len(b.sessions("P-2")) == 1
    assert git(b.folder, "status", "--porcelain") == ""


def test_an_amend_is_refused_during_a_merge_by_hand(run: Run, tmp_path: Path) -> None:
    a, b = clinic_of(run, tmp_path, 2)
    b("add", "P-2", "--new-patient", *ADD)
    a("patient", "new", "P-1")
    a("sync")
    b("git", "fetch", "-q", "origin")
    git(b.folder, "merge", "-q", "--no-commit", "--no-ff", "origin/main")
    _refused_while_busy(b, "merge", "amend", "P-2", "1", "--depth", "2", "--reason", "why")
    b("git", "merge", "--abort")
    b("amend", "P-2", "1", "--depth", "2", "--reason", "why")
    assert b.sessions("P-2")[0]["depth_mm"] == 2


@pytest.mark.parametrize(
    ("marker", "what"),
    [
        ("rebase-merge", "rebase"),
        ("rebase-apply", "rebase"),
        ("CHERRY_PICK_HEAD", "cherry-pick"),
        ("REVERT_HEAD", "revert"),
    ],
)
def test_other_operations_under_way_refuse_writes_too(
    run: Run, tmp_path: Path, marker: str, what: str
) -> None:
    (b,) = clinic_of(run, tmp_path, 1)
    b("patient", "new", "P-2")
    where = b.folder / ".git" / marker
    if marker.startswith("rebase"):
        where.mkdir()
    else:
        where.write_text(git(b.folder, "rev-parse", "HEAD") + "\n")
    said = _refused_while_busy(b, what, "add", "P-2", *ADD)
    assert f"`mesolog git {what} --abort`" in said


# --- `mesolog git`: no autocorrect, no alias for a pull or a merge ------------------------------


def _remote_has_a_chart(run: Run, tmp_path: Path) -> Machine:
    a, b = clinic_of(run, tmp_path, 2)
    a("patient", "new", "P-1")
    a("sync")
    b("git", "fetch", "-q", "origin")
    return b


def _nothing_taken(machine: Machine, *args: str) -> str:
    before = disk(machine)
    done = machine("git", *args, expect=None)
    assert done.exit_code != 0
    assert disk(machine) == before
    assert not (machine.folder / "patients" / "P-1.toml").exists()
    return str(done.stderr)


def test_git_autocorrect_never_turns_a_typo_into_a_pull(run: Run, tmp_path: Path) -> None:
    b = _remote_has_a_chart(run, tmp_path)
    _nothing_taken(b, "-c", "help.autocorrect=immediate", "pulll", "--no-rebase", "origin", "main")
    _nothing_taken(b, "-c", "help.autocorrect=-1", "mrege", "origin/main")
    git(b.folder, "config", "help.autocorrect", "immediate")  # the user's own setting
    _nothing_taken(b, "pulll", "--no-rebase", "origin", "main")
    b("git", "status")  # a command word typed right still runs


@pytest.mark.parametrize(
    "alias",
    ["pull --no-rebase origin main", "merge origin/main", "-c x.y=z pull", "!git pull origin main"],
)
def test_a_git_alias_for_a_pull_or_merge_is_refused(run: Run, tmp_path: Path, alias: str) -> None:
    b = _remote_has_a_chart(run, tmp_path)
    said = _nothing_taken(b, "-c", f"alias.up={alias}", "up")
    assert "mesolog sync" in said and "`mesolog git up` (git's alias for `" in said
    assert said.count("(") == said.count(")") and said.count("`") % 2 == 0
    git(b.folder, "config", "alias.up", alias)
    assert "mesolog sync" in _nothing_taken(b, "up")


def test_an_alias_for_ending_a_merge_or_for_anything_else_still_runs(
    run: Run, tmp_path: Path
) -> None:
    b = _remote_has_a_chart(run, tmp_path)
    git(b.folder, "config", "alias.last", "log -1 --format=%s")
    assert b("git", "last").exit_code == 0
    git(b.folder, "merge", "-q", "--no-commit", "--no-ff", "origin/main")
    git(b.folder, "config", "alias.undo", "merge --abort")
    b("git", "undo")
    assert not (b.folder / ".git" / "MERGE_HEAD").exists()


# --- a `.locks` that is not a folder, a lock that is a link -------------------------------------


def test_a_locks_file_is_refused_in_one_sentence_and_named_by_check(
    run: Run, tmp_path: Path
) -> None:
    (b,) = clinic_of(run, tmp_path, 1)
    b("patient", "new", "P-2")
    locks = b.folder / ".locks"
    shutil.rmtree(locks)
    locks.write_bytes(b"not a folder\n")
    before = disk(b), locks.read_bytes()
    refused = b("add", "P-2", *ADD, expect=1).stderr.strip()
    assert refused == (
        f"mesolog: {locks} is a file, where mesolog keeps its locks in a folder; mesolog leaves "
        "it alone. Remove it."
    )
    b("patient", "new", "P-3", expect=1)
    said = b("check", expect=1)
    found = json.loads(b("check", "--format", "json", expect=1).stdout)
    assert (disk(b), locks.read_bytes()) == before
    assert refused.removeprefix("mesolog: ") in said.stdout + said.stderr
    assert [p["path"] for p in found if p["severity"] == "error"] == [str(locks)]


def test_check_names_a_lock_file_that_is_a_link(run: Run, tmp_path: Path) -> None:
    (b,) = clinic_of(run, tmp_path, 1)
    b("patient", "new", "P-2")
    target = tmp_path / "precious"
    target.write_bytes(b"precious\n")
    lock = b.folder / ".locks" / "p-2.lock"
    lock.unlink(missing_ok=True)
    lock.symlink_to(target)
    before = disk(b)
    refused = b("add", "P-2", *ADD, expect=1).stderr.strip().removeprefix("mesolog: ")
    said = b("check", expect=1)
    assert disk(b) == before and os.readlink(lock) == str(target)
    assert target.read_bytes() == b"precious\n"
    assert refused == f"{lock} is a symbolic link; mesolog never writes through one. Remove it."
    assert f"{lock}:1: error: {refused}" in said.stdout + said.stderr


def test_an_import_is_refused_during_a_merge_by_hand(run: Run, tmp_path: Path) -> None:
    b = merge_by_hand(tmp_path, run)
    source = Machine(run, tmp_path / "elsewhere")
    source("init")
    source("add", "P-9", "--new-patient", *ADD)
    exported = tmp_path / "clinic.json"
    exported.write_text(source("export").stdout)
    # P-9 is one keystroke from b's P-1 and P-2: said to be a new patient (docs/import.md).
    new = ("--new-patient", "P-9")
    _refused_while_busy(b, "merge", "import", str(exported), "--apply", *new)
    b("git", "merge", "--abort")
    b("import", str(exported), "--apply", *new)
    assert len(b.sessions("P-9")) == 1
