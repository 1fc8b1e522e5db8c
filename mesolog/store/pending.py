"""mesolog's own changes that git did not record (a stale ``.git/index.lock``, say): remembered
in ``.git/mesolog-pending`` so that the next write of the chart or ``mesolog sync`` commits each
with the message it was meant to have, and so that ``check`` and ``sync`` never mistake it for
a hand edit (whose remedy, ``git checkout``, would throw the session away).

One JSON line per chart: its path in the data folder, the commit messages it waits for, the
author, and the SHA-256 of the bytes mesolog wrote. A chart whose bytes differ from those was
also changed by hand since. The file lives inside ``.git``: it is this clone's, never shared.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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


def _file(data_dir: Path) -> Path:
    return data_dir / ".git" / FILE_NAME


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


def remember(data_dir: Path, relative: str, message: str, author: str) -> None:
    """Add ``message`` to what ``relative`` waits for (the caller holds the history lock)."""
    entries = read(data_dir)
    old = entries.get(relative)
    messages = (*old.messages, message) if old else (message,)
    entries[relative] = Pending(
        relative,
        messages,
        (old.author if old else "") or author,
        digest(data_dir / relative),
        old.hand_edited if old else False,
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
