"""The clinic's identity (``clinic.toml``, made by the first FHIR export) is announced before it is
written, as a chart's change is: a mesolog killed between its write and its commit leaves it to
the next command, which commits it as "clinic identity created", never as a hand edit that
blocks `sync` (docs/sharing.md). A real process, killed by a `git` on PATH at its commit."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from conftest import Run, mesolog_process
from test_sharing import ADD, Machine, clinic_of, git
from test_sharing import git_identity as git_identity  # autouse: a private git config per test
from test_sharing_hostile import killing_git

MADE = "clinic identity created"


@pytest.fixture
def laptop(run: Run, tmp_path: Path) -> Machine:
    """One clone of a shared bare repository, history on, with P-1 and one session, synced."""
    (machine,) = clinic_of(run, tmp_path / "clinic", 1)
    machine("patient", "new", "P-1", "--name", "Ana Ruiz")
    machine("add", "P-1", *ADD)
    machine("sync")
    return machine


def subjects(machine: Machine) -> list[str]:
    return git(machine.folder, "log", "--format=%s").splitlines()


def killed_export(machine: Machine, tmp_path: Path) -> bytes:
    """A FHIR export killed at the commit of the identity it made: its bytes, not committed."""
    killed = mesolog_process(
        "--data-dir",
        str(machine.folder),
        "export",
        "--format",
        "fhir",
        env=killing_git(tmp_path, "commit"),
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    identity = machine.folder / "clinic.toml"
    assert identity.is_file()
    assert "clinic.toml" in git(machine.folder, "status", "--porcelain")
    return identity.read_bytes()


def test_an_identity_killed_before_its_commit_is_committed_by_sync_with_its_own_message(
    laptop: Machine, tmp_path: Path
) -> None:
    made = killed_export(laptop, tmp_path)
    synced = laptop("sync", expect=None)
    assert synced.exit_code == 0, synced.stderr
    assert subjects(laptop)[0] == MADE
    assert not any("outside mesolog" in s for s in subjects(laptop))
    assert git(laptop.folder, "status", "--porcelain") == ""
    assert (laptop.folder / "clinic.toml").read_bytes() == made  # the same identity, kept
    assert git(laptop.folder, "show", "HEAD:clinic.toml").encode() == made
    assert not list((laptop.folder / ".git" / "mesolog-writing").glob("*"))


def test_an_identity_killed_before_its_commit_is_committed_by_the_next_change(
    laptop: Machine, tmp_path: Path
) -> None:
    made = killed_export(laptop, tmp_path)
    laptop("add", "P-1", *ADD, "--note", "next")
    # Committed first, with its own message; then the change of the chart.
    assert subjects(laptop)[:2] == ["P-1: session 2 added", MADE]
    assert git(laptop.folder, "status", "--porcelain") == ""
    assert git(laptop.folder, "show", "HEAD:clinic.toml").encode() == made
    # The next export uses the identity that was made, not another.
    assert (laptop.folder / "clinic.toml").read_bytes() == made


def test_an_identity_made_without_a_kill_is_committed_at_once(laptop: Machine) -> None:
    laptop("export", "--format", "fhir")
    assert subjects(laptop)[0] == MADE
    assert git(laptop.folder, "status", "--porcelain") == ""
    assert not list((laptop.folder / ".git" / "mesolog-writing").glob("*"))
