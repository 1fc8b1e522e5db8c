"""`sync` says what its pull did to the charts: those this laptop never had are new, the others
updated (docs/reading.md). Real git: a bare remote and two laptops made with `init --git`."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Run
from test_sharing import clinic_of, private_git


@pytest.fixture(autouse=True)
def git_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    private_git(tmp_path, monkeypatch)


def pulled(result) -> str:  # type: ignore[no-untyped-def]
    """The line of `sync` that says what the pull did."""
    (line,) = [x for x in (result.stdout + result.stderr).splitlines() if "pulled from" in x]
    return line


def test_a_pull_says_which_charts_are_new_and_which_updated(run: Run, tmp_path: Path) -> None:
    a, b = clinic_of(run, tmp_path, 2)
    a("patient", "new", "P-1", "--name", "Ana")
    a("patient", "new", "P-2", "--name", "Bea")
    a("sync")
    assert pulled(b("sync")) == "pulled from origin/main: P-1, P-2 new"
    a("patient", "edit", "P-1", "--phone", "555")
    a("patient", "new", "P-3", "--name", "Cai")
    a("sync")
    assert pulled(b("sync")) == "pulled from origin/main: P-3 new; P-1 updated"
    assert pulled(b("sync")) == "pulled from origin/main: already up to date"
