"""What a pull would make of the data folder, computed in the repository alone (see
docs/sharing.md): nothing is written to the work tree until ``sync`` has checked the result.

The merge is made by ``git merge-tree`` run in a scratch folder inside ``.git``, with the
``.gitattributes`` of HEAD (this laptop's, already trusted): git's merge temporaries and the
merge driver's files land there, never among the charts, and a kill leaves nothing a later
command could take for a hand edit. Charts git stopped on are merged by mesolog into a
scratch index; the result is a tree, and a commit only once it is accepted.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from mesolog.errors import CannotMerge, SyncFailed
from mesolog.store import history
from mesolog.store.merge import merge_chart_texts

SCRATCH = "mesolog-merge"


@dataclass
class Pull:
    """The commits of a pull and the tree it would leave (a fast-forward when ``base`` is
    ``head``); ``conflicts``: path -> {stage: (mode, object id)} of what git stopped on."""

    head: str
    incoming: str
    base: str | None
    tree: str
    conflicts: dict[str, dict[int, tuple[str, str]]] = field(default_factory=dict)
    clashes: list[str] = field(default_factory=list)


def scratch(data_dir: Path) -> Path:
    """An empty private folder in ``.git`` for one sync (what a killed sync left is removed)."""
    folder = history.git_dir(data_dir) / SCRATCH
    clear(data_dir)
    folder.mkdir(mode=0o700)
    return folder


def clear(data_dir: Path) -> None:
    shutil.rmtree(history.git_dir(data_dir) / SCRATCH, ignore_errors=True)


def prepare(data_dir: Path, theirs: str, shown: str, folder: Path) -> Pull | None:
    """The pull of commit ``theirs`` (None: nothing new). Raises SyncFailed when git cannot
    merge."""
    head = history.output(data_dir, "rev-parse", "--verify", "HEAD")
    # The merge base says it all: theirs (nothing new), HEAD (a fast-forward), or another.
    base = history.output(data_dir, "merge-base", head, theirs) if head else None
    if not head or base == theirs:
        return None
    if base == head:
        tree = history.output(data_dir, "rev-parse", f"{theirs}^{{tree}}") or ""
        return Pull(head, theirs, head, tree)
    _attributes_of(data_dir, head, folder)
    done = history.git(
        data_dir,
        "merge-tree",
        "--write-tree",
        "-z",
        head,
        theirs,
        work_tree=folder,
        in_english=True,
    )
    if done.returncode not in (0, 1):
        said = history.last_line(done.stderr or done.stdout, "no reason given")
        raise SyncFailed(f"git could not merge {shown}: {said}; nothing was changed.")
    tree, conflicts = _parse_merge_tree(done.stdout)
    return Pull(head, theirs, base, tree, conflicts)


def _attributes_of(data_dir: Path, head: str, folder: Path) -> None:
    """HEAD's .gitattributes files, into the scratch folder git merges in: the attributes it
    merges with are this laptop's, never the remote's."""
    listed = history.git(data_dir, "ls-tree", "-r", "-z", "--name-only", "--full-tree", head)
    names = [n for n in listed.stdout.split("\0") if Path(n).name == ".gitattributes"]
    found = history.blobs(data_dir, [f"{head}:{n}" for n in names])
    for name in names:
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(found.get(f"{head}:{name}", b""))


def _parse_merge_tree(out: str) -> tuple[str, dict[str, dict[int, tuple[str, str]]]]:
    """``git merge-tree -z``: the tree, then "mode oid stage<TAB>path" per conflicted entry,
    then an empty field and git's messages (not read)."""
    fields = out.split("\0")
    conflicts: dict[str, dict[int, tuple[str, str]]] = {}
    for item in fields[1:]:
        if not item:
            break
        meta, _, path = item.partition("\t")
        mode, oid, stage = meta.split()
        conflicts.setdefault(path, {})[int(stage)] = (mode, oid)
    return fields[0].strip(), conflicts


def settle(data_dir: Path, pull: Pull, shown: str, folder: Path) -> None:
    """Merge every chart git stopped on with mesolog's merge (both values of a field changed
    two ways are kept, valid TOML); ``pull.tree`` becomes the settled tree. Anything else git
    stopped on is refused: nothing was changed yet."""
    if not pull.conflicts:
        return
    env = {"GIT_INDEX_FILE": str(folder / "merge-index")}
    history.git(data_dir, "read-tree", pull.tree, extra_env=env)
    for path, stages in sorted(pull.conflicts.items()):
        text, clashes = _merged_chart(data_dir, path, stages, shown)
        blob = history.git(data_dir, "hash-object", "-w", "--stdin", given=text).stdout.strip()
        mode = stages[2][0]
        history.git(data_dir, "update-index", "--cacheinfo", f"{mode},{blob},{path}", extra_env=env)
        pull.clashes += [f"{Path(path).stem} {sentence}" for sentence in clashes]
    written = history.git(data_dir, "write-tree", extra_env=env)
    if written.returncode != 0:
        raise SyncFailed(f"the merge with {shown} could not be written; nothing was changed.")
    pull.tree = written.stdout.strip()


def _merged_chart(
    data_dir: Path, path: str, stages: dict[int, tuple[str, str]], shown: str
) -> tuple[str, list[str]]:
    from mesolog.store.incoming import is_chart, named

    nothing = f"the merge with {shown} was not made, nothing was changed here"
    if not is_chart(path) or 2 not in stages or 3 not in stages:
        raise SyncFailed(
            f"{named(path)} was changed here and on {shown} in ways mesolog cannot merge; {nothing}."
        )
    found = history.blobs(data_dir, [oid for _, oid in stages.values()])
    try:
        base, ours, theirs = (
            found.get(stages[n][1], b"").decode("utf-8") if n in stages else "" for n in (1, 2, 3)
        )
        merged = merge_chart_texts(base, ours, theirs, path)
    except UnicodeDecodeError:
        raise SyncFailed(f"{named(path)} is not UTF-8 text on one side; {nothing}.") from None
    except CannotMerge as error:
        raise SyncFailed(f"{error.message}; {nothing}.") from None
    return merged.text, merged.clashes


def commit(data_dir: Path, pull: Pull, shown: str) -> str:
    """The commit the branch moves to: the incoming one for a fast-forward, else a merge."""
    if pull.base == pull.head:
        return pull.incoming
    done = history.git(
        data_dir,
        "commit-tree",
        pull.tree,
        "-p",
        pull.head,
        "-p",
        pull.incoming,
        "-m",
        f"mesolog sync: merge {shown}",
    )
    if done.returncode != 0:
        raise SyncFailed(f"the merge with {shown} could not be committed; nothing was changed.")
    return done.stdout.strip()


def move(data_dir: Path, target: str, shown: str) -> None:
    """Fast-forward the branch and the work tree to ``target`` (git refuses rather than
    overwrite a change it does not know). Where it starts and where it goes are noted in
    ``.git/mesolog-moving`` first (removed once the move is done), so that a kill in the
    middle of git's checkout is finished by the next command, not taken for hand edits."""
    from mesolog.store.files import write_atomically

    start = history.output(data_dir, "rev-parse", "--verify", "HEAD") or ""
    note = history.git_dir(data_dir) / history.MOVING
    write_atomically(note, f"{start} {target}\n")
    done = history.git(data_dir, "merge", "--ff-only", "--quiet", target, in_english=True)
    note.unlink(missing_ok=True)
    if done.returncode != 0:
        said = history.last_line(done.stderr or done.stdout, "no reason")
        raise SyncFailed(f"the charts from {shown} could not be written here: {said}.")


def leftover_temporaries(data_dir: Path) -> list[Path]:
    """git's merge temporaries (``.merge_file_XXXXXX``) left in the data folder by a merge that
    was killed (an older mesolog, or a `git merge` run by hand): copies of versions of a chart
    that git holds in full; never a hand edit."""
    import re

    pattern = re.compile(r"\.merge_file_[A-Za-z0-9]{6}")
    tracked = history.git(data_dir, "ls-files", "-z", "--", ".merge_file_*").stdout.split("\0")
    return [
        data_dir / name
        for name in sorted(os.listdir(data_dir))
        if pattern.fullmatch(name)
        and name not in tracked
        and (data_dir / name).is_file()
        and not (data_dir / name).is_symlink()
    ]
