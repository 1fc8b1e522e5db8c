"""mesolog's own changes that git did not record (a stale ``.git/index.lock``, say): remembered
in ``.git/mesolog-pending`` so that the next write of the chart or ``mesolog sync`` commits each
with the message it was meant to have, and so that ``check`` and ``sync`` never mistake it for
a hand edit (whose remedy, ``git checkout``, would throw the session away).

A change that is being written is announced first, in ``.git/mesolog-writing/`` (one file per
change, locked while its process lives): a kill between the chart's write and its commit leaves
that file behind, and the next command turns it into a remembered change (see
``docs/sharing.md``).

One JSON line per chart: its path in the data folder, the commit messages it waits for, the
author, and the SHA-256 of the bytes mesolog wrote. A chart whose bytes differ from those was
also changed by hand since. The file lives inside ``.git``: it is this clone's, never shared.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FILE_NAME = "mesolog-pending"
HAND_EDITED = " (with changes made outside mesolog since)"


@dataclass(frozen=True)
class Pending:
    """A change mesolog wrote to ``path`` (relative to the data folder) but did not commit."""

    path: str
    messages: tuple[str, ...]
    author: str
    digest: str
    # Changed by hand between two of mesolog's changes while both waited: the digest is of
    # mesolog's latest bytes, which hold the hand edit too, so the fact is kept here.
    hand_edited: bool = False

    def message(self, note: str = "") -> str:
        """The commit message: the change's own, or the first with the others listed after;
        ``note`` ends the first line (a chart changed by hand meanwhile says so)."""
        if self.hand_edited and not note:
            note = HAND_EDITED
        more = len(self.messages) - 1
        if not more:
            return self.messages[0] + note
        return (
            f"{self.messages[0]} (and {more} more change{'s' if more > 1 else ''}){note}\n\n"
            + "\n".join(self.messages)
        )


def repository(data_dir: Path) -> Path:
    """The repository's own folder: ``.git``, or the one a ``.git`` file names (a data folder
    that is a git worktree or a submodule)."""
    dot_git = data_dir / ".git"
    if dot_git.is_file():
        first = dot_git.read_text(encoding="utf-8", errors="replace").partition("\n")[0]
        if first.startswith("gitdir:"):
            return (data_dir / first.removeprefix("gitdir:").strip()).resolve()
    return dot_git


def _file(data_dir: Path) -> Path:
    return repository(data_dir) / FILE_NAME


def digest(path: Path) -> str:
    import hashlib  # loads OpenSSL: only when a change is remembered or checked

    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def is_untouched(data_dir: Path, entry: Pending) -> bool:
    """Whether the chart holds exactly what mesolog wrote (no hand edit since)."""
    return not entry.hand_edited and digest(data_dir / entry.path) == entry.digest


def read(data_dir: Path) -> dict[str, Pending]:
    """The remembered changes by path; a line that does not read (edited by hand) is skipped."""
    path = _file(data_dir)
    if not path.is_file():
        return {}
    import json

    found: dict[str, Pending] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            item = json.loads(line)
            entry = Pending(
                str(item["path"]),
                tuple(str(m) for m in item["messages"]),
                str(item.get("author", "")),
                str(item.get("sha256", "")),
                item.get("hand_edited") is True,
            )
        except (ValueError, KeyError, TypeError):
            continue
        if entry.messages:
            found[entry.path] = entry
    return found


def _write(data_dir: Path, entries: dict[str, Pending]) -> None:
    import json

    from mesolog.store.files import write_atomically

    path = _file(data_dir)
    if not entries:
        path.unlink(missing_ok=True)
        return
    lines = [
        json.dumps(
            {"path": e.path, "messages": list(e.messages), "author": e.author, "sha256": e.digest}
            | ({"hand_edited": True} if e.hand_edited else {})
        )
        for e in sorted(entries.values(), key=lambda e: e.path)
    ]
    write_atomically(path, "\n".join(lines) + "\n")


def remember(
    data_dir: Path, relative: str, message: str, author: str, hand_edited: bool = False
) -> None:
    """Add ``message`` to what ``relative`` waits for (the caller holds the history lock)."""
    entries = read(data_dir)
    old = entries.get(relative)
    messages = (*old.messages, message) if old else (message,)
    entries[relative] = Pending(
        relative,
        messages,
        (old.author if old else "") or author,
        digest(data_dir / relative),
        hand_edited or (old.hand_edited if old else False),
    )
    _write(data_dir, entries)


def note_hand_edit(data_dir: Path, relative: str) -> None:
    """Before mesolog writes a chart that waits for its commit: if it was changed by hand since
    mesolog's last write, remember that (the next write's digest would hide it)."""
    entries = read(data_dir)
    entry = entries.get(relative)
    if entry is not None and not is_untouched(data_dir, entry):
        from dataclasses import replace

        entries[relative] = replace(entry, hand_edited=True)
        _write(data_dir, entries)


def forget(data_dir: Path, *relative: str) -> None:
    """The charts were committed: they wait for nothing any more."""
    entries = read(data_dir)
    if any(r in entries for r in relative):
        _write(data_dir, {k: v for k, v in entries.items() if k not in relative})


# --- changes being written ---------------------------------------------------------------------

WRITING = "mesolog-writing"


@dataclass(frozen=True)
class Intent:
    """A change announced before its charts were written: the commit it is for, and each
    chart's SHA-256 before the write and after it (None: not known in advance, an import)."""

    message: str
    author: str
    charts: dict[str, tuple[str, str | None]]


@contextlib.contextmanager
def announced(
    data_dir: Path, changes: dict[Path, str | None], message: str, author: str, new: list[Path]
) -> Iterator[Callable[[Path], None]]:
    """Hold the change (an :class:`Intent`) on disk, fsynced before any chart is written, while
    the block writes and commits; removed when the block ends. ``changes`` maps each chart to
    the text about to be written (None: decided later, under the chart's lock, as an import
    does); ``new`` are files written just before for the same commit (pictures), that did not
    exist before it. The file stays locked while this process lives, so that no other command
    takes a change being made for an interrupted one; a kill (or an error) leaves it for
    :func:`interrupted`, which decides from the charts' bytes.

    The block is handed a function that announces one more chart before it is written (an
    import streams, so its charts are known one at a time): each is one line appended and
    fsynced, so the file grows with the change and a kill can only cut the line of a chart not
    yet written."""
    import fcntl
    import hashlib
    import json
    import tempfile

    from mesolog.store.files import fsync_folder
    from mesolog.store.paths import make_private_dir

    def before(path: Path, text: str | None) -> tuple[str, tuple[str, str | None]]:
        after = None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()
        return str(path.relative_to(data_dir)), (digest(path), after)

    charts = dict(before(path, text) for path, text in changes.items())
    charts |= {str(path.relative_to(data_dir)): ("", None) for path in new}
    folder = repository(data_dir) / WRITING
    make_private_dir(folder)
    fd, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
    final = Path(temporary).with_suffix(".json")
    named = finished = False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # before the file has its name: never seen unlocked

        def line(body: dict[str, Any]) -> None:  # one line, on the disk before it returns
            os.write(fd, json.dumps(body).encode() + b"\n")
            os.fsync(fd)

        line({"message": message, "author": author, "charts": charts})
        os.rename(temporary, final)
        named = True
        fsync_folder(folder)
        yield lambda path: line({"charts": dict([before(path, None)])})
        finished = True
    finally:
        if not named:
            os.unlink(temporary)
        elif finished:
            final.unlink(missing_ok=True)
        os.close(fd)  # an error after the name: left for the next command to decide


def interrupted(data_dir: Path) -> Iterator[tuple[Intent, Path]]:
    """The announced changes whose process is gone (its lock is free), each with its file;
    the caller removes the file once it has dealt with it. A file left half written (killed
    before it was named) announced nothing that was written: removed here once it is an hour
    old (a younger one may be a command's that has yet to lock it)."""
    import fcntl

    folder = repository(data_dir) / WRITING
    found = sorted(folder.iterdir()) if folder.is_dir() else []
    for path, fd in _opened(p for p in found if p.suffix == ".json" or _age(p) >= 3600):
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # its process is still writing or committing
            continue
        intent = _read_intent(fd) if path.suffix == ".json" else None
        if intent is None:
            path.unlink(missing_ok=True)
        else:
            yield intent, path


def _opened(paths: Iterable[Path]) -> Iterator[tuple[Path, int]]:
    """Each file, opened to read (never through a link, never waiting), and closed after."""
    for path in paths:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            yield path, fd
        finally:
            os.close(fd)


def _age(path: Path) -> float:
    import time

    try:
        return time.time() - os.lstat(path).st_mtime
    except OSError:
        return 0.0


def _read_intent(fd: int) -> Intent | None:
    import json

    with os.fdopen(os.dup(fd), "rb") as handle:
        lines = handle.read().splitlines()
    try:
        body = json.loads(lines[0])
        intent = Intent(str(body["message"]), str(body.get("author", "")), _charts(body))
    except (ValueError, KeyError, TypeError, AttributeError, IndexError):
        return None
    for line in lines[1:]:  # charts announced later, one line each
        try:
            intent.charts.update(_charts(json.loads(line)))
        except (ValueError, KeyError, TypeError, AttributeError, IndexError):
            break  # a line cut by a kill: its chart was not written yet
    return intent


def _charts(body: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    return {
        str(path): (str(pair[0]), None if pair[1] is None else str(pair[1]))
        for path, pair in body["charts"].items()
    }


def announced_for(data_dir: Path, relative: str) -> str | None:
    """The message of a change announced for this chart (being written now, or interrupted)
    whose bytes are no longer the ones before it; None when there is none (for ``check``,
    which reads and changes nothing)."""
    folder = repository(data_dir) / WRITING
    for _, fd in _opened(sorted(folder.glob("*.json")) if folder.is_dir() else []):
        intent = _read_intent(fd)
        before = intent.charts.get(relative) if intent is not None else None
        if intent is not None and before is not None and digest(data_dir / relative) != before[0]:
            return intent.message
    return None
