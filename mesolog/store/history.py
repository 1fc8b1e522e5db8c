"""History through git, the way the `pass` password store does it.

When the data folder is a git repository, every change is committed with a message that says
what happened ("P-0042: session 3 added"), the practitioner as author. Git is the audit trail,
the backup and the sync; when git is missing the charts still work and history is simply off.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from mesolog.errors import HistoryError

GITIGNORE = ".locks/\n*.tmp\n"


def git_binary() -> str | None:
    return shutil.which("git")


def enabled(data_dir: Path) -> bool:
    return (data_dir / ".git").exists()


def _git(data_dir: Path, *args: str, author: str = "") -> subprocess.CompletedProcess[str]:
    binary = git_binary()
    if binary is None:
        raise HistoryError("git is not installed, so history is off; the charts work as before.")
    env = dict(os.environ)
    # A machine with no git identity must still commit; a configured identity wins over these.
    env.setdefault("GIT_COMMITTER_NAME", "mesolog")
    env.setdefault("GIT_COMMITTER_EMAIL", "mesolog@localhost")
    env.setdefault("GIT_AUTHOR_NAME", author or "mesolog")
    env.setdefault("GIT_AUTHOR_EMAIL", "mesolog@localhost")
    return subprocess.run(
        [binary, "-C", str(data_dir), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def git(data_dir: Path, *args: str, author: str = "") -> subprocess.CompletedProcess[str]:
    """git in the data folder, output captured (for the store's sharing module)."""
    return _git(data_dir, *args, author=author)


def init(data_dir: Path) -> str:
    """Make the data folder a git repository (idempotent)."""
    if git_binary() is None:
        raise HistoryError("git is not installed, so history is off; the data folder was created.")
    if not enabled(data_dir):
        result = _git(data_dir, "init", "--quiet")
        if result.returncode != 0:
            raise HistoryError(f"git init failed: {result.stderr.strip()}")
    ignore = data_dir / ".gitignore"
    if not ignore.exists():
        ignore.write_text(GITIGNORE, encoding="utf-8")
    stuck = index_lock_warning(data_dir)
    if stuck:
        raise HistoryError(f"history is not on yet: {stuck}")
    _git(data_dir, "add", "--all")
    done = _git(data_dir, "commit", "--quiet", "-m", "mesolog: history started")
    if done.returncode != 0 and not _has_commits(data_dir):
        reason = (done.stderr.strip().splitlines() or ["unknown reason"])[-1]
        raise HistoryError(f"history is not on: git could not commit ({reason}).")
    return "history is on: every change will be committed in the data folder's git repository."


def _has_commits(data_dir: Path) -> bool:
    return _git(data_dir, "rev-parse", "--verify", "--quiet", "HEAD").returncode == 0


def index_lock_warning(data_dir: Path) -> str | None:
    """A sentence naming a stale ``.git/index.lock`` (left by a git that was killed), which
    makes every commit fail until it is removed; None when there is none."""
    lock = data_dir / ".git" / "index.lock"
    if not os.path.lexists(lock):
        return None
    return (
        f"git's index is locked by {lock} (left by an interrupted git?), so changes are not "
        f"being committed; if no git is running, remove it: rm {lock}"
    )


def record(data_dir: Path, path: Path, message: str, author: str, lock_dir: Path) -> str | None:
    """Commit one changed chart; returns a warning when git refused (the chart is saved)."""
    if not enabled(data_dir) or git_binary() is None:
        return None
    from mesolog.store import chart_lock

    # git's own index lock would make concurrent writers fail; take turns instead.
    with chart_lock(lock_dir, ".git-history", timeout=30.0):
        relative = str(path.relative_to(data_dir))
        added = _git(data_dir, "add", "--", relative)
        done = _git(data_dir, "commit", "--quiet", "-m", message, "--", relative, author=author)
    if added.returncode != 0 or done.returncode != 0:
        stuck = index_lock_warning(data_dir)
        if stuck:
            return f"the chart is saved, but git did not record the change: {stuck}"
        return (
            "the chart is saved, but git did not record the change: "
            + ((done.stderr or added.stderr).strip().splitlines() or ["unknown reason"])[-1]
        )
    return None


def keep_hand_edits(data_dir: Path, path: Path, lock_dir: Path) -> str | None:
    """Before mesolog changes a chart, commit what was changed in it by hand (or the chart
    itself, copied in by hand) under its own message, so that the next commit holds only
    mesolog's change. Returns a warning when git refused."""
    if not enabled(data_dir) or git_binary() is None:
        return None
    from mesolog.store import chart_lock

    relative = str(path.relative_to(data_dir))
    with chart_lock(lock_dir, ".git-history", timeout=30.0):
        status = _git(data_dir, "status", "--porcelain", "--", relative)
        if status.returncode != 0 or not status.stdout.strip():
            return None
        _git(data_dir, "add", "--", relative)
        message = f"{path.stem}: changes made outside mesolog, committed before its next change"
        done = _git(data_dir, "commit", "--quiet", "-m", message, "--", relative)
    if done.returncode != 0:
        return "git did not record the hand edits found in the chart: " + (
            done.stderr.strip().splitlines() or ["unknown reason"]
        )[-1]
    return None


def uncommitted(data_dir: Path) -> list[str]:
    """The charts (paths relative to the data folder) with changes git has not recorded:
    edited or added by hand since. Empty when history is off."""
    if not enabled(data_dir) or git_binary() is None:
        return []
    status = _git(data_dir, "status", "--porcelain", "-z", "--untracked-files=all", "--", "patients")
    if status.returncode != 0:
        return []
    # -z: "XY path\0" entries, renames followed by their old path (skipped).
    entries = status.stdout.split("\0")
    out = []
    skip = False
    for entry in entries:
        if skip or len(entry) < 4:
            skip = False
            continue
        skip = entry[0] in "RC"
        if entry[3:].endswith(".toml"):
            out.append(entry[3:])
    return sorted(out)


def record_many(
    data_dir: Path, paths: list[Path], message: str, author: str, lock_dir: Path
) -> str | None:
    """Commit several changed files as one commit (an import); a warning when git refused."""
    if not paths or not enabled(data_dir) or git_binary() is None:
        return None
    from mesolog.store import chart_lock

    relative = [str(p.relative_to(data_dir)) for p in paths]
    with chart_lock(lock_dir, ".git-history", timeout=30.0):
        added = _git(data_dir, "add", "--", *relative)
        done = _git(data_dir, "commit", "--quiet", "-m", message, "--", *relative, author=author)
    if added.returncode != 0 or done.returncode != 0:
        return (
            "the charts are saved, but git did not record the change: "
            + ((done.stderr or added.stderr).strip().splitlines() or ["unknown reason"])[-1]
        )
    return None


def run(data_dir: Path, args: list[str]) -> int:
    """``mesolog git ARGS``: git in the data folder, output passed through."""
    binary = git_binary()
    if binary is None:
        raise HistoryError("git is not installed, so history is off.")
    if not enabled(data_dir):
        raise HistoryError(f"{data_dir} is not a git repository; run `mesolog init --git` first.")
    return subprocess.call([binary, "-C", str(data_dir), *args])
