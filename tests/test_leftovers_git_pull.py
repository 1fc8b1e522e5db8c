"""`mesolog git pull` and `mesolog git merge` are refused with one sentence that points to
`mesolog sync`: by hand they would take the remote's charts without sync's checks
(docs/sharing.md). A real bare remote, real clones, a plain git clone as the hostile remote."""

from __future__ import annotations

from pathlib import Path

from conftest import Run
from test_git_safety import merge_by_hand
from test_sharing import Machine, clinic_of, git
from test_sharing import git_identity as git_identity  # autouse: a private git config per test
from test_sharing_hostile import outsider, push, state


def _refused(machine: Machine, *args: str) -> str:
    before = state(machine)
    done = machine("git", *args, expect=1)
    assert state(machine) == before
    said = done.stderr.strip()
    assert "mesolog sync" in said and "Traceback" not in said
    assert said.count("\n") <= 1  # one sentence (wrapped at most once)
    return said


def test_a_pull_or_merge_by_hand_is_refused_and_sync_takes_the_same_change(
    run: Run, tmp_path: Path
) -> None:
    a, b = clinic_of(run, tmp_path, 2)
    a("patient", "new", "P-1")
    a("sync")
    assert "`mesolog git pull`" in _refused(b, "pull", "-q", "origin", "main")
    _refused(b, "-c", "pull.rebase=false", "pull")
    b("git", "fetch", "-q", "origin")
    assert "`mesolog git merge`" in _refused(b, "merge", "-q", "origin/main")
    assert not (b.folder / "patients" / "P-1.toml").exists()
    b("sync")
    assert (b.folder / "patients" / "P-1.toml").exists()


def test_a_remote_that_deleted_a_chart_cannot_be_merged_by_hand(run: Run, tmp_path: Path) -> None:
    a, b = clinic_of(run, tmp_path, 2)
    a("patient", "new", "P-1")
    a("sync")
    b("sync")
    evil = outsider(tmp_path)
    git(evil, "rm", "-q", "patients/P-1.toml")
    push(evil, "delete a chart")
    b("git", "fetch", "-q", "origin")
    _refused(b, "merge", "origin/main")
    _refused(b, "pull", "--no-rebase")
    assert (b.folder / "patients" / "P-1.toml").exists()
    assert "deleted" in b("sync", expect=1).stderr


def test_a_merge_under_way_can_still_be_undone_through_mesolog_git(
    run: Run, tmp_path: Path
) -> None:
    # A merge of a's new chart started with git itself, outside mesolog, left under way.
    b = merge_by_hand(tmp_path, run)
    b("git", "merge", "--abort")
    assert not (b.folder / ".git" / "MERGE_HEAD").exists()
    assert not (b.folder / "patients" / "P-1.toml").exists()
