"""History through git, the way the `pass` password store does it.

When the data folder is a git repository, every change is committed with a message that says
what happened ("P-0042: session 3 added"), the practitioner as author. Git is the audit trail,
the backup and the sync; when git is missing the charts still work and history is simply off.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

from mesolog.errors import HistoryError, RemovedByHand

GITIGNORE = ".locks/\n*.tmp\n"


def git_binary() -> str | None:
    return shutil.which("git")


def enabled(data_dir: Path) -> bool:
    return (data_dir / ".git").exists()


def git(
    data_dir: Path,
    *args: str,
    author: str = "",
    in_english: bool = False,
    extra_env: dict[str, str] | None = None,
    work_tree: Path | None = None,
    given: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """git in the data folder, output captured. ``work_tree`` runs it in another folder, as
    that repository's work tree (a merge whose temporaries must not land in the data folder);
    ``given`` is its standard input."""
    binary = git_binary()
    if binary is None:
        raise HistoryError("git is not installed, so history is off; the charts work as before.")
    env = dict(os.environ) | (extra_env or {})
    # A machine with no git identity must still commit; a configured identity wins over these.
    env.setdefault("GIT_COMMITTER_NAME", "mesolog")
    env.setdefault("GIT_COMMITTER_EMAIL", "mesolog@localhost")
    env.setdefault("GIT_AUTHOR_NAME", author or "mesolog")
    env.setdefault("GIT_AUTHOR_EMAIL", "mesolog@localhost")
    if in_english:  # git's messages untranslated, for the callers that tell them apart
        env["LC_ALL"] = "C"
        env.pop("LANGUAGE", None)
    where = ["-C", str(data_dir)]
    if work_tree is not None:  # the repository's history with another folder as its work tree
        where = ["-C", str(work_tree), f"--git-dir={git_dir(data_dir)}", f"--work-tree={work_tree}"]
    return subprocess.run(
        [binary, *where, *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        input=given,
    )


def has_line(path: Path, line: str) -> bool:
    """Whether a text file (``.gitattributes``) holds this line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return False
    return line in text.splitlines()


def add_lines(path: Path, lines: list[str], old: str | None = None) -> None:
    """``lines`` appended to a text file (``old``: its text, if read already), the rest kept."""
    if old is None:
        old = path.read_text(encoding="utf-8") if path.exists() else ""
    joiner = "" if not old or old.endswith("\n") else "\n"
    from mesolog.store.files import write_atomically

    write_atomically(path, old + joiner + "".join(f"{line}\n" for line in lines))


def git_dir(data_dir: Path) -> Path:
    """The repository's own folder (``.git``, or where a ``.git`` file points)."""
    from mesolog.store.pending import repository

    return repository(data_dir).resolve()


def blobs(data_dir: Path, names: list[str]) -> dict[str, bytes]:
    """The bytes of each object (``oid`` or ``rev:path``) in one ``git cat-file --batch``; an
    object that is missing or not a blob is left out."""
    binary = git_binary()
    if binary is None or not names:
        return {}
    done = subprocess.run(
        [binary, "-C", str(data_dir), "cat-file", "--batch"],
        input="".join(f"{name}\n" for name in names).encode(),
        capture_output=True,
        check=False,
    )
    import io

    found: dict[str, bytes] = {}
    out = io.BytesIO(done.stdout)
    for name in names:
        header = out.readline().split()  # "<oid> <type> <size>", or "<name> missing"
        if len(header) == 3:
            content = out.read(int(header[2]) + 1)[:-1]  # and the newline after it
            if header[1] == b"blob":
                found[name] = content
    return found


def last_line(said: str, none: str = "unknown reason") -> str:
    """The last line git printed: its reason for refusing (``none`` when it printed nothing)."""
    return (said.strip().splitlines() or [none])[-1]


def commit_files(data_dir: Path, relatives: list[str], message: str, author: str) -> str | None:
    """``git add`` and ``git commit`` of these files as one commit; None when it was made,
    else git's reason. Added even when a .gitignore names them (``-f``): they are the exact
    files mesolog wrote, and an ignore rule must never keep a chart from being shared."""
    added = git(data_dir, "add", "-f", "--", *relatives)
    done = git(data_dir, "commit", "--quiet", "-m", message, "--", *relatives, author=author)
    if added.returncode == 0 and done.returncode == 0:
        return None
    return last_line(done.stderr or added.stderr)


# What git has under way: the file or folder it keeps for it in its own folder, and the
# command that finishes it (a merge under way is finished by committing it).
_UNDER_WAY = (
    ("MERGE_HEAD", "merge", "commit"),
    ("rebase-merge", "rebase", "rebase --continue"),
    ("rebase-apply", "rebase", "rebase --continue"),
    ("CHERRY_PICK_HEAD", "cherry-pick", "cherry-pick --continue"),
    ("REVERT_HEAD", "revert", "revert --continue"),
)


def refuse_while_git_is_busy(data_dir: Path) -> None:
    """Refused before anything is written while git has a merge, rebase, cherry-pick or revert
    under way in the data folder: git cannot commit one chart then, and ending it by hand
    (``merge --abort``) would silently throw the chart's change away (docs/sharing.md)."""
    if not enabled(data_dir):
        return
    where = git_dir(data_dir)
    for name, what, finish in _UNDER_WAY:
        if os.path.lexists(where / name):
            raise HistoryError(
                f"a git {what} is under way in the data folder, so nothing was changed: finish it "
                f"(`mesolog git {finish}`) or undo it (`mesolog git {what} --abort`), then try again."
            )


def index_lock_warning(data_dir: Path) -> str | None:
    """A sentence naming a stale ``.git/index.lock`` (left by a git that was killed), which
    makes every commit fail until it is removed; None when there is none."""
    lock = git_dir(data_dir) / "index.lock"
    if not os.path.lexists(lock):
        return None
    return (
        f"git's index is locked by {lock} (left by an interrupted git?), so changes are not "
        f"being committed; if no git is running, remove it: rm {lock}"
    )


HAND_EDIT_KEPT = "changed outside mesolog, committed before the chart's next change"
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
        failed = commit_files(data_dir, [relative], full, author)
        if failed is not None:
            pending.remember(data_dir, relative, message, author)
        else:
            pending.forget(data_dir, relative)  # its earlier change, if any, is committed too
            commit_waiting(data_dir, lock_dir, holding=relative)
    if failed is not None:
        reason = index_lock_warning(data_dir) or failed
        return f"the chart is saved, but git did not record the change ({LATER}): {reason}"
    return None


def commit_waiting(data_dir: Path, lock_dir: Path, holding: str | None = None) -> None:
    """Commit mesolog's own changes that git could not record when they were made, each with
    its message (``mesolog sync``, or before a chart's change). The history lock is held, and
    the lock of chart ``holding`` (relative path) too, if any. Another chart is committed only
    when no one is writing it and it holds exactly what mesolog wrote: hand edits made since
    are the practitioner's to commit (``check`` names them). Changes that wait with the same
    message (one import's charts) are committed together."""
    from mesolog.store import pending

    finish_interrupted_pull(data_dir)
    _take_interrupted(data_dir, lock_dir, holding)
    done: list[str] = []
    groups: dict[tuple[str, str], list[str]] = {}
    for entry in pending.read(data_dir).values():
        if not (data_dir / entry.path).is_file():  # removed since: nothing of mesolog's is left
            done.append(entry.path)
            continue
        untouched = pending.is_untouched(data_dir, entry)
        if entry.path != holding and not untouched:
            continue
        if not untouched:  # the chart about to change holds a hand edit on mesolog's change
            _trail_hand_edit(data_dir, entry.path)
        message = entry.message("" if untouched else pending.HAND_EDITED)
        groups.setdefault((message, entry.author), []).append(entry.path)
    for (message, author), paths in groups.items():
        with _chart_locks(lock_dir, [p for p in paths if p != holding]) as free:
            if free and _commit_paths(data_dir, paths, message, author):
                done += paths
    if done:
        pending.forget(data_dir, *done)


MOVING = "mesolog-moving"  # "start target": a move of ``sync`` under way (``pull.move``)


def finish_interrupted_pull(data_dir: Path) -> None:
    """A move of ``sync`` that was killed half way: when HEAD is still where it started and
    every file that differs from it holds the version of the start or of the target (git was
    writing them), the work tree and the branch are brought to the target. Anything else
    (a hand edit since) is left as it is, for the practitioner."""
    note = git_dir(data_dir) / MOVING
    if not note.is_file():
        return
    noted = note.read_text(encoding="utf-8", errors="replace").split()
    head = git(data_dir, "rev-parse", "--verify", "HEAD").stdout.strip()
    if len(noted) != 2 or head != noted[0] or not _only_between(data_dir, *noted):
        note.unlink(missing_ok=True)
        return
    start, target = noted
    if git(data_dir, "read-tree", "--reset", "-u", target).returncode != 0:
        return  # git's index is still locked: tried again by the next command
    git(
        data_dir,
        "update-ref",
        "-m",
        "mesolog sync: finished after an interruption",
        "HEAD",
        target,
        start,
    )
    note.unlink(missing_ok=True)


def _only_between(data_dir: Path, start: str, target: str) -> bool:
    """Whether every change in the work tree is a file the move changes, at its ``start`` or
    ``target`` version (its object id; "" where that version has no such file)."""
    paths = [path for _, path in changes(data_dir)]
    between = set(git(data_dir, "diff", "--name-only", "-z", start, target).stdout.split("\0"))
    if not set(paths) <= between:
        return False
    for path in paths:
        versions = [
            git(data_dir, "rev-parse", "--verify", "--quiet", f"{rev}:{path}").stdout.strip()
            for rev in (start, target)
        ]
        on_disk = ""
        if (data_dir / path).is_file():
            on_disk = git(data_dir, "hash-object", "--", path).stdout.strip()
        if on_disk not in versions:
            return False
    return True


def _take_interrupted(data_dir: Path, lock_dir: Path, holding: str | None) -> None:
    """Changes announced by a command that was killed before it committed them become
    remembered changes (committed with their own message), decided by each chart's bytes:
    as before the change, nothing was written; otherwise mesolog wrote it, and if the bytes
    are not what it wrote either, the chart was changed by hand since."""
    from mesolog.store import pending

    for intent, announcement in pending.interrupted(data_dir):
        with _chart_locks(lock_dir, [p for p in intent.charts if p != holding]) as free:
            if not free:  # being written again right now: that command takes it
                continue
            for relative, (before, after) in intent.charts.items():
                now = pending.digest(data_dir / relative)
                known = pending.read(data_dir).get(relative)
                if now == before or (
                    known and known.digest == now and known.messages[-1] == intent.message
                ):
                    continue  # never written, or remembered already (killed after that)
                edited = after is not None and now != after
                pending.remember(data_dir, relative, intent.message, intent.author, edited)
            announcement.unlink(missing_ok=True)


@contextlib.contextmanager
def _chart_locks(lock_dir: Path, relatives: list[str]) -> Iterator[bool]:
    """The locks of these charts if every one is free right now (True), else none (False)."""
    from mesolog.errors import ChartBusy
    from mesolog.store import chart_lock

    with contextlib.ExitStack() as held:
        free = True
        try:
            for relative in relatives:
                if relative.startswith("patients/"):
                    held.enter_context(chart_lock(lock_dir, Path(relative).stem, timeout=0))
        except ChartBusy:
            free = False
        yield free


def _commit_paths(data_dir: Path, relatives: list[str], message: str, author: str) -> bool:
    """Commit these files as one commit with ``message``; True when they are committed (maybe
    by hand already)."""
    # An ignored file git does not track is not committed, though status is silent on it.
    status = git(data_dir, "status", "--porcelain", "--ignored=matching", "--", *relatives)
    if status.returncode == 0 and not status.stdout.strip():
        return True
    return commit_files(data_dir, relatives, message, author) is None


def commit_edits(data_dir: Path, relatives: list[str], listed: str) -> bool:
    """Commit changes made outside mesolog (``sync --keep-edits``): a change of mesolog's that
    waited, with a hand edit on top, under its own message saying so; the rest as one commit
    that names them (``listed``). The history lock is held."""
    from mesolog.store import pending

    waiting = pending.read(data_dir)
    committed = True
    for relative in relatives:
        entry = waiting.get(relative)
        if entry is not None:
            message = entry.message(pending.HAND_EDITED)
            committed &= _commit_paths(data_dir, [relative], message, entry.author)
    rest = [relative for relative in relatives if relative not in waiting]
    if rest:
        message = f"changes made outside mesolog, kept by sync: {listed}"
        committed &= _commit_paths(data_dir, rest, message, "")
    if committed:
        pending.forget(data_dir, *relatives)
    return committed


@contextlib.contextmanager
def writing(
    data_dir: Path,
    changes: dict[Path, str | None],
    message: str,
    author: str,
    new: list[Path] | None = None,
) -> Iterator[Callable[[Path], None]]:
    """Around writing charts and committing them: which charts are about to change, and the
    commit they are for, are on disk before the first write, so that a kill between the write
    and the commit is committed later under ``message``, never taken for a hand edit (see
    ``pending.announced``). Nothing is kept when history is off."""
    if not enabled(data_dir) or git_binary() is None:
        yield lambda path: None
        return
    from mesolog.store import pending

    refuse_while_git_is_busy(data_dir)
    with pending.announced(data_dir, changes, message, author, new or []) as announce:
        yield announce


def output(data_dir: Path, *args: str) -> str | None:
    """What a git command printed, stripped; None when it failed."""
    done = git(data_dir, *args)
    return done.stdout.strip() if done.returncode == 0 else None


def why_uncommitted(data_dir: Path, relative: str) -> str:
    """What ``check`` says of a chart git has not recorded: mesolog's own change waiting for its
    commit (remembered, or announced by a command that was interrupted), or a hand edit (never
    a remedy that would throw mesolog's change away)."""
    from mesolog.store import pending

    # Never `mesolog git commit`: a value changed by hand needs the amendment that names it, or
    # every other laptop's sync refuses the commit (docs/sharing.md, "Hand edits").
    now = (
        "now: `mesolog sync --keep-edits` (it records what changed in an amendment, commits "
        "and shares it)"
    )
    entry = pending.read(data_dir).get(relative)
    if entry is None:
        announced = pending.announced_for(data_dir, relative)
        if announced is not None:
            return (
                f"mesolog's own change ({announced}) is saved but its commit was interrupted; "
                f"{LATER}"
            )
        return (
            "changed outside mesolog and not committed to history; mesolog commits it on its "
            f"own before the chart's next change, or {now}"
        )
    what = "; ".join(entry.messages)
    if pending.is_untouched(data_dir, entry):
        return f"mesolog's own change ({what}) is saved but git did not record it yet; {LATER}"
    return (
        f"holds mesolog's own change ({what}), which git did not record, and was changed "
        f"outside mesolog since; mesolog commits both before the chart's next change, or {now}"
    )


def keep_hand_edits(data_dir: Path, path: Path, lock_dir: Path) -> str | None:
    """Before mesolog changes a chart, commit what was changed in it by hand (or the chart
    itself, copied in by hand) under its own message, so that the next commit holds only
    mesolog's change. A change of mesolog's own that git could not record is committed first,
    with its message (never as a hand edit). Returns a warning when git refused."""
    if not enabled(data_dir) or git_binary() is None:
        return None
    from mesolog.store import chart_lock, pending

    refuse_while_git_is_busy(data_dir)  # before the first write of a change (docs/sharing.md)
    relative = str(path.relative_to(data_dir))
    with chart_lock(lock_dir, ".git-history", timeout=30.0):
        commit_waiting(data_dir, lock_dir, holding=relative)
        if relative in pending.read(data_dir):
            # Still not committed (git's index is locked): this change joins it, and a hand
            # edit made meanwhile is remembered, to be named in check and in the commit.
            pending.note_hand_edit(data_dir, relative)
            return None
        status = git(data_dir, "status", "--porcelain", "--", relative)
        if status.returncode != 0 or not status.stdout.strip():
            return None
        _trail_hand_edit(data_dir, relative)
        message = f"{path.stem}: changes made outside mesolog, committed before its next change"
        failed = commit_files(data_dir, [relative], message, "")
    return f"git did not record the hand edits found in the chart: {failed}" if failed else None


def _trail_hand_edit(data_dir: Path, relative: str) -> None:
    """Before a chart's hand edit is committed with its next change: refused when the edit
    removed what the chart recorded; the values it changed named in an amendment (see
    ``store.hand_edits``)."""
    from mesolog.store import hand_edits

    committed = blobs(data_dir, [f"HEAD:{relative}"]).get(f"HEAD:{relative}")
    refusal = hand_edits.refusal(data_dir, relative, committed)
    if refusal:
        raise RemovedByHand(f"{refusal}; nothing was changed.")
    hand_edits.add_trail(data_dir, relative, committed, HAND_EDIT_KEPT)


def uncommitted(data_dir: Path) -> list[str]:
    """The charts (paths relative to the data folder) with changes git has not recorded:
    edited or added by hand since. Empty when history is off."""
    if not enabled(data_dir) or git_binary() is None:
        return []
    return sorted(path for _, path in changes(data_dir, "patients") if path.endswith(".toml"))


def ignored(data_dir: Path) -> list[str]:
    """The charts and photos (paths relative to the data folder) that git does not track
    because a .gitignore rule names them: never committed, never shared. Empty when history
    is off. mesolog's own temporaries are not among them."""
    if not enabled(data_dir) or git_binary() is None:
        return []
    status = git(
        data_dir,
        "status",
        "--porcelain",
        "-z",
        "--ignored=traditional",  # with all untracked files: each file of an ignored folder
        "--untracked-files=all",
        "--",
        "patients",
        "photos",
    )
    found = [item[3:] for item in status.stdout.split("\0") if item.startswith("!! ")]
    return sorted(
        path
        for path in found
        if not path.endswith(".tmp")
        and (path.startswith("photos/") or (path.endswith(".toml") and path.count("/") == 1))
    )


def changes(data_dir: Path, *paths: str) -> list[tuple[str, str]]:
    """(git's two status letters, path) of every change git has not recorded (under ``paths``),
    untracked files included (``-z``: names as they are, the old name of a rename skipped)."""
    status = git(data_dir, "status", "--porcelain", "-z", "--untracked-files=all", "--", *paths)
    found: list[tuple[str, str]] = []
    skip = False
    for item in status.stdout.split("\0"):
        if skip or len(item) < 4:
            skip = False
            continue
        skip = item[0] in "RC"
        found.append((item[:2], item[3:]))
    return found


def record_many(
    data_dir: Path, paths: list[Path], message: str, author: str, lock_dir: Path
) -> str | None:
    """Commit several changed files as one commit (an import); a warning when git refused."""
    if not paths or not enabled(data_dir) or git_binary() is None:
        return None
    from mesolog.store import chart_lock, pending

    relative = [str(p.relative_to(data_dir)) for p in paths]
    with chart_lock(lock_dir, ".git-history", timeout=30.0):
        failed = commit_files(data_dir, relative, message, author)
        if failed is None:
            pending.forget(data_dir, *relative)
        else:
            for each in relative:
                pending.remember(data_dir, each, message, author)
    if failed is not None:
        return f"the charts are saved, but git did not record the change ({LATER}): {failed}"
    return None


# git's options before its command word that take the next word as their value (``-C DIR``).
_GIT_OPTIONS_WITH_VALUE = frozenset(
    {"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--config-env", "--super-prefix"}
)
# The ways out of a merge under way: they take nothing from the remote.
_MERGE_ENDINGS = frozenset({"--abort", "--quit", "--continue"})


def _split_command(args: list[str]) -> tuple[list[str], str | None, list[str]]:
    """git's own options (before its command word), its command word (``pull`` in ``-c x=y
    pull origin``), and what follows it."""
    at = 0
    while at < len(args):
        if not args[at].startswith("-"):
            return args[:at], args[at], args[at + 1 :]
        at += 2 if args[at] in _GIT_OPTIONS_WITH_VALUE else 1  # ``-C DIR``: skip its value
    return args, None, []


def _alias(data_dir: Path, options: list[str], word: str) -> list[str] | None:
    """What the git alias ``word`` stands for, split into words (a shell alias ``!...`` keeps
    its ``!``), with the user's own options in force (``-c alias.up=pull``); None when
    ``word`` is no alias."""
    import shlex

    found = git(data_dir, *options, "config", "--get", f"alias.{word}")
    if found.returncode != 0 or not found.stdout.strip():
        return None
    try:
        return shlex.split(found.stdout.strip())
    except ValueError:  # unbalanced quotes: git cannot run it either
        return None


def _takes_the_remote(word: str | None, rest: list[str]) -> bool:
    return word == "pull" or (word == "merge" and not _MERGE_ENDINGS.intersection(rest))


def _refuse_unchecked_pull(
    data_dir: Path, options: list[str], typed: str | None, rest: list[str]
) -> None:
    """A pull or merge by hand would take the remote's charts without sync's checks (a chart
    deleted, moved or swapped, a session removed, a link, a merge attribute): refused, pointing
    to ``mesolog sync`` (docs/sharing.md). Ending a merge under way stays allowed. A git alias
    for one is refused too (a shell alias ``!...`` when it names ``pull`` or ``merge``)."""
    word = typed
    for _ in range(10):  # git follows an alias of an alias; a loop is git's to refuse
        if word is None or _takes_the_remote(word, rest):
            break
        meant = _alias(data_dir, options, word)
        if meant is None:
            break
        if meant and meant[0].startswith("!"):
            word = next((w for w in meant if w in ("pull", "merge")), None)
            rest = []
            break
        _, word, more = _split_command(meant)
        rest = [*more, *rest]
    if _takes_the_remote(word, rest):
        named = f"`mesolog git {typed}`"
        if typed != word:
            named += f" (git's alias for `{word}`)"
        raise HistoryError(
            f"{named} would take the remote's charts without the checks of "
            "`mesolog sync`; nothing was changed: use `mesolog sync` (it pulls, checks and pushes)."
        )


def run(data_dir: Path, args: list[str]) -> int:
    """``mesolog git ARGS``: git in the data folder, output passed through. git never guesses
    a mistyped command word here (``help.autocorrect``, set right before the word so that no
    ``-c`` of the user's overrides it): a guess could be a pull the refusal never saw."""
    binary = git_binary()
    if binary is None:
        raise HistoryError("git is not installed, so history is off.")
    if not enabled(data_dir):
        raise HistoryError(f"{data_dir} is not a git repository; run `mesolog init --git` first.")
    options, word, rest = _split_command(args)
    _refuse_unchecked_pull(data_dir, options, word, rest)
    if word is not None:
        args = [*options, "-c", "help.autocorrect=0", word, *rest]
    return subprocess.call([binary, "-C", str(data_dir), *args])
