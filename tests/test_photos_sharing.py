"""Photos travel with a shared clinic: `init --git` sets the repository up for Git LFS when
`git lfs` is installed (plain files otherwise), `check` says which, and `sync` brings the
pictures to the other laptops. Real git, real git-lfs (a local bare remote is an LFS store
through git-lfs's standalone transfer agent), two clones, the real CLI."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import tomllib
from pathlib import Path

import pytest
from conftest import Run
from test_photos import BASE, phone_jpeg

LFS = (
    shutil.which("git-lfs") is not None
    or subprocess.run(["git", "lfs", "version"], capture_output=True).returncode == 0
)


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(autouse=True)
def git_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # No system or user config: LFS is set up by `init --git` alone, as on a fresh laptop.
    config = tmp_path / "gitconfig"
    config.write_text(
        "[user]\n\tname = Test\n\temail = test@example.org\n[init]\n\tdefaultBranch = main\n"
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def laptops(run: Run, root: Path) -> tuple[Path, Path, Path]:
    """A bare shared repository, the first laptop (init --git, remote, sync) and a clone."""
    bare = root / "shared.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    first, second = root / "m0", root / "m1"
    run("--data-dir", str(first), "init", "--git")
    run("--data-dir", str(first), "git", "remote", "add", "origin", str(bare))
    run("--data-dir", str(first), "patient", "new", "P-0042")
    run("--data-dir", str(first), "add", "P-0042", "--date", "2026-11-02", *BASE)
    run("--data-dir", str(first), "sync")
    subprocess.run(["git", "clone", "-q", str(bare), str(second)], check=True)
    run("--data-dir", str(second), "init", "--git")
    return bare, first, second


@pytest.mark.skipif(not LFS, reason="git-lfs is not installed")
def test_photos_go_through_lfs_to_the_other_laptop(run: Run, tmp_path: Path) -> None:
    bare, first, second = laptops(run, tmp_path)
    assert "photos/** filter=lfs diff=lfs merge=lfs -text" in (first / ".gitattributes").read_text()
    said = run("--data-dir", str(first), "check")
    assert "photos travel through Git LFS" in said.stderr
    picture = phone_jpeg(tmp_path / "front.jpg")
    run(
        "--data-dir",
        str(first),
        "photo",
        "add",
        "P-0042",
        str(picture),
        "--view",
        "front",
        "--stage",
        "before",
    )
    (name,) = (
        p["file"]
        for p in tomllib.loads((first / "patients" / "P-0042.toml").read_text())["sessions"][0][
            "photos"
        ]
    )
    assert git(first, "lfs", "ls-files", "--name-only").split() == [name]
    # What git stores is the pointer; the picture itself is in the LFS store.
    assert git(first, "show", f"HEAD:{name}").startswith(
        "version https://git-lfs.github.com/spec/v1"
    )
    run("--data-dir", str(first), "sync")
    assert any((bare / "lfs" / "objects").rglob("*"))  # pushed to the shared store
    run("--data-dir", str(second), "sync")
    kept = second / name
    recorded = tomllib.loads((second / "patients" / "P-0042.toml").read_text())["sessions"][0][
        "photos"
    ][0]
    assert (
        hashlib.sha256(kept.read_bytes()).hexdigest() == recorded["sha256"]
    )  # the picture, not a pointer
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    assert "photos travel through Git LFS" in run("--data-dir", str(second), "check").stderr
    # And back: a photo taken on the second laptop reaches the first.
    run(
        "--data-dir",
        str(second),
        "photo",
        "add",
        "P-0042",
        str(picture),
        "--view",
        "top",
        "--stage",
        "after",
    )
    run("--data-dir", str(second), "sync")
    run("--data-dir", str(first), "sync")
    (top,) = (first / "photos" / "P-0042").glob("2026-11-02-s1-top-after-*.jpg")
    assert top.read_bytes()[:2] == b"\xff\xd8"
    assert "2 photos" in run("--data-dir", str(first), "photo", "list", "P-0042").stdout


def test_without_git_lfs_photos_are_plain_files_and_check_says_so(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A PATH holding git but not git-lfs: a machine without the package.
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "git").symlink_to(shutil.which("git") or "/usr/bin/git")
    monkeypatch.setenv("PATH", str(tools))
    monkeypatch.setenv(
        "GIT_EXEC_PATH",
        subprocess.run(["git", "--exec-path"], capture_output=True, text=True).stdout.strip(),
    )
    assert subprocess.run(["git", "lfs", "version"], capture_output=True).returncode != 0
    _, first, second = laptops(run, tmp_path)
    assert "filter=lfs" not in (first / ".gitattributes").read_text()
    assert (
        "photos travel as plain files in git (git-lfs is not installed)"
        in run("--data-dir", str(first), "check").stderr
    )
    picture = phone_jpeg(tmp_path / "front.jpg")
    run(
        "--data-dir",
        str(first),
        "photo",
        "add",
        "P-0042",
        str(picture),
        "--view",
        "front",
        "--stage",
        "before",
    )
    run("--data-dir", str(first), "sync")
    run("--data-dir", str(second), "sync")
    (kept,) = (first / "photos" / "P-0042").iterdir()
    assert (second / "photos" / "P-0042" / kept.name).read_bytes() == kept.read_bytes()


@pytest.mark.skipif(not LFS, reason="git-lfs is not installed")
def test_a_clone_without_lfs_set_up_is_named_by_check(run: Run, tmp_path: Path) -> None:
    bare, first, _ = laptops(run, tmp_path)
    run(
        "--data-dir",
        str(first),
        "photo",
        "add",
        "P-0042",
        str(phone_jpeg(tmp_path / "a.jpg")),
        "--view",
        "front",
        "--stage",
        "before",
    )
    run("--data-dir", str(first), "sync")
    third = tmp_path / "m2"
    subprocess.run(["git", "clone", "-q", str(bare), str(third)], check=True, env={**os.environ})
    said = run("--data-dir", str(third), "check", expect=1)
    text = said.stdout + said.stderr
    assert "not set up on this machine" in text
    assert "is a Git LFS pointer, not the picture" in text
    run("--data-dir", str(third), "init", "--git")  # sets LFS up and fetches the pictures
    run("--data-dir", str(third), "check")


@pytest.mark.skipif(not LFS, reason="git-lfs is not installed")
def test_two_laptops_add_pictures_of_one_view_offline_and_both_keep_theirs(
    run: Run, tmp_path: Path
) -> None:
    _, first, second = laptops(run, tmp_path)
    run("--data-dir", str(second), "sync")
    run(
        "--data-dir",
        str(first),
        "photo",
        "add",
        "P-0042",
        str(phone_jpeg(tmp_path / "a.jpg", colour="tan")),
        "--view",
        "front",
        "--stage",
        "before",
    )
    run(
        "--data-dir",
        str(second),
        "photo",
        "add",
        "P-0042",
        str(phone_jpeg(tmp_path / "b.jpg", colour="navy")),
        "--view",
        "front",
        "--stage",
        "before",
    )
    run("--data-dir", str(first), "sync")
    run(
        "--data-dir", str(second), "sync"
    )  # the chart merged by the driver, the pictures side by side
    run("--data-dir", str(first), "sync")
    for laptop in (first, second):
        photos = tomllib.loads((laptop / "patients" / "P-0042.toml").read_text())["sessions"][0][
            "photos"
        ]
        assert len(photos) == 2 and len({p["file"] for p in photos}) == 2
        run("--data-dir", str(laptop), "check")  # every picture there, every hash right
