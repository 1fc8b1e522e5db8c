"""History through git, the way the `pass` password store does it.

When the data folder is a git repository, every change is committed with a message that says
what happened ("P-0042: session 3 added"), the practitioner as author. Git is the audit trail,
the backup and the sync; when git is missing the charts still work and history is simply off.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

from mesolog.errors import HistoryError

GITIGNORE = ".locks/\n*.tmp\n"


def git_binary() -> str | None:
    return shutil.which("git")


def enabled(data_dir: Path) -> bool:
    return (data_dir / ".git").exists()


def _git(
    data_dir: Path, *args: str, author: str = "", in_english: bool = False
) -> subprocess.CompletedProcess[str]:
    binary = git_binary()
    if binary is None:
        raise HistoryError("git is not installed, so history is off; the charts work as before.")
    env = dict(os.environ)
    # A machine with no git identity must still commit; a configured identity wins over these.
    env.setdefault("GIT_COMMITTER_NAME", "mesolog")
    env.setdefault("GIT_COMMITTER_EMAIL", "mesolog@localhost")
    env.setdefault("GIT_AUTHOR_NAME", author or "mesolog")
    env.setdefault("GIT_AUTHOR_EMAIL", "mesolog@localhost")
    if in_english:  # git's messages untranslated, for the callers that tell them apart
        env["LC_ALL"] = "C"
        env.pop("LANGUAGE", None)
    return subprocess.run(
        [binary, "-C", str(data_dir), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def git(
    data_dir: Path, *args: str, author: str = "", in_english: bool = False
) -> subprocess.CompletedProcess[str]:
    """git in the data folder, output captured (for the store's sharing module)."""
    return _git(data_dir, *args, author=author, in_english=in_english)


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


LATER = "mesolog commits it with its own message at the chart's next change or `mesolog sync`"


def record(data_dir: Path, path: Path, message: str, author: str, lock_dir: Path) -> str | None:
    """Commit one changed chart; returns a warning when git refused (the chart is saved, and
    the change is remembered to be committed later with ``message``: see ``store.pending``)."""
    if not enabled(data_dir) or git_binary() is None:
        return None
    from mesolog.store import chart_lock, pending

    # git's own index lock would make concurrent writers fail; take turns instead.
    with chart_lock(lock_dir, ".git-history", timeout=30.0):
        relative = str(path.relative_to(data_dir))
        earlier = pending.read(data_dir).get(relative)
        full = message
        if earlier is not None:  # its earlier change could not be committed before: one commit
            full = replace(earlier, messages=(*earlier.messages, message)).message()
        added = _git(data_dir, "add", "--", relative)
        done = _git(data_dir, "commit", "--quiet", "-m", full, "--", relative, author=author)
        if added.returncode != 0 or done.returncode != 0:
            pending.remember(data_dir, relative, message, author)
        else:
            if earlier is not None:
                pending.forget(data_dir, relative)
            _commit_waiting(data_dir, lock_dir, holding=relative)
    if added.returncode != 0 or done.returncode != 0:
        stuck = index_lock_warning(data_dir)
        if stuck:
            return f"the chart is saved, but git did not record the change ({LATER}): {stuck}"
        return (
            f"the chart is saved, but git did not record the change ({LATER}): "
            + ((done.stderr or added.stderr).strip().splitlines() or ["unknown reason"])[-1]
        )
    return None


def commit_waiting(data_dir: Path, lock_dir: Path) -> None:
    """Commit mesolog's own changes that git could not record when they were made, each with
    its message (``mesolog sync``, which holds the history lock)."""
    _commit_waiting(data_dir, lock_dir, holding=None)


def _commit_waiting(data_dir: Path, lock_dir: Path, holding: str | None) -> None:
    """The history lock is held, and the lock of chart ``holding`` (relative path) too. Another
    chart is committed only when no one is writing it and it holds exactly what mesolog wrote:
    hand edits made since are the practitioner's to commit (``check`` names them)."""
    from mesolog.errors import ChartBusy
    from mesolog.store import chart_lock, pending

    waiting = pending.read(data_dir)
    done: list[str] = []
    for entry in waiting.values():
        path = data_dir / entry.path
        if not path.is_file():  # removed since: nothing of mesolog's is left to commit
            done.append(entry.path)
            continue
        untouched = pending.is_untouched(data_dir, entry)
        message = entry.message("" if untouched else pending.HAND_EDITED)
        if entry.path == holding:
            committed = _commit_one(data_dir, entry.path, message, entry.author)
        elif not untouched:
            continue
        elif not entry.path.startswith("patients/"):
            committed = _commit_one(data_dir, entry.path, message, entry.author)
        else:
            try:
                with chart_lock(lock_dir, path.stem, timeout=0):
                    committed = _commit_one(data_dir, entry.path, message, entry.author)
            except ChartBusy:  # being written right now: that write commits it
                continue
        if committed:
            done.append(entry.path)
    if done:
        pending.forget(data_dir, *done)


def _commit_one(data_dir: Path, relative: str, message: str, author: str) -> bool:
    """Commit one file with ``message``; True when it is committed (maybe by hand already)."""
    status = _git(data_dir, "status", "--porcelain", "--", relative)
    if status.returncode == 0 and not status.stdout.strip():
        return True
    added = _git(data_dir, "add", "--", relative)
    done = _git(data_dir, "commit", "--quiet", "-m", message, "--", relative, author=author)
    return added.returncode == 0 and done.returncode == 0


def why_uncommitted(data_dir: Path, relative: str) -> str:
    """What ``check`` says of a chart git has not recorded: mesolog's own change waiting for its
    commit, or a hand edit (never a remedy that would throw mesolog's change away)."""
    from mesolog.store import pending

    entry = pending.read(data_dir).get(relative)
    if entry is None:
        return (
            "changed outside mesolog and not committed to history; mesolog commits it on its "
            'own before the chart\'s next change, or now: mesolog git commit -m "why" -- '
            + relative
        )
    what = "; ".join(entry.messages)
    if pending.is_untouched(data_dir, entry):
        return f"mesolog's own change ({what}) is saved but git did not record it yet; {LATER}"
    return (
        f"holds mesolog's own change ({what}), which git did not record, and was changed "
        "outside mesolog since; mesolog commits both before the chart's next change, or now: "
        'mesolog git commit -m "why" -- ' + relative
    )


def keep_hand_edits(data_dir: Path, path: Path, lock_dir: Path) -> str | None:
    """Before mesolog changes a chart, commit what was changed in it by hand (or the chart
    itself, copied in by hand) under its own message, so that the next commit holds only
    mesolog's change. A change of mesolog's own that git could not record is committed first,
    with its message (never as a hand edit). Returns a warning when git refused."""
    if not enabled(data_dir) or git_binary() is None:
        return None
    from mesolog.store import chart_lock, pending

    relative = str(path.relative_to(data_dir))
    with chart_lock(lock_dir, ".git-history", timeout=30.0):
        _commit_waiting(data_dir, lock_dir, holding=relative)
        if relative in pending.read(data_dir):
            # Still not committed (git's index is locked): this change joins it, and a hand
            # edit made meanwhile is remembered, to be named in check and in the commit.
            pending.note_hand_edit(data_dir, relative)
            return None
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
        from mesolog.store import pending

        for each in relative:
            if added.returncode != 0 or done.returncode != 0:
                pending.remember(data_dir, each, message, author)
            else:
                pending.forget(data_dir, each)
    if added.returncode != 0 or done.returncode != 0:
        return (
            f"the charts are saved, but git did not record the change ({LATER}): "
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
