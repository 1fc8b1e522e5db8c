"""What a chart may receive from outside mesolog: only additions, as mesolog's own commands make
them (the rule is ``model.additions``; see docs/sharing.md, "What a remote may bring into a chart").

- From a remote (``sync``): each chart the remote changed, from the merge base to its commit,
  compared session by session; and no picture it held at the base removed or rewritten.
- From a hand edit about to be committed: see ``store.hand_edits``.
"""

from __future__ import annotations

from pathlib import Path

from mesolog.errors import inert
from mesolog.store import history
from mesolog.store.hand_edits import version
from mesolog.store.incoming import Entry, is_chart, listing, named

PHOTOS = "photos/"


def remote_refusal(data_dir: Path, base: str | None, incoming: str) -> str | None:
    """What the remote did from ``base`` to ``incoming`` that only a hand outside mesolog does
    (a complication, an amendment or a photo removed, a field changed with no amendment naming
    it), as the words after "not synced: origin"; None when it only added."""
    if not base:
        return None
    before, after = listing(data_dir, base), listing(data_dir, incoming)
    return _picture_refusal(before, after) or _chart_refusal(data_dir, before, after)


def _picture_refusal(before: dict[str, Entry], after: dict[str, Entry]) -> str | None:
    """A picture the base held, removed or rewritten."""
    for path, entry in sorted(before.items()):
        if path.startswith(PHOTOS) and after.get(path) != entry:
            how = "removed" if path not in after else "rewrote"
            return (
                f"{how} the picture {named(path)} (pictures are kept as taken; nothing was merged)"
            )
    return None


def _chart_refusal(data_dir: Path, before: dict[str, Entry], after: dict[str, Entry]) -> str | None:
    """The first chart of both trees that changed other than by adding (model.additions)."""
    changed = sorted(p for p in before if is_chart(p) and p in after and after[p] != before[p])
    raw = history.blobs(data_dir, [o for p in changed for o in (before[p].oid, after[p].oid)])
    for path in changed:
        problems = _untrailed(path, raw.get(before[path].oid), raw.get(after[path].oid))
        if problems:
            return (
                f"{inert(problems[0])} (a remote may only add to a chart, as mesolog's own "
                "commands do; nothing was merged)"
            )
    return None


def _untrailed(path: str, old: bytes | None, new: bytes | None) -> list[str]:
    from mesolog.model.additions import untrailed

    before, after = version(path, old), version(path, new)
    return untrailed(before, after) if before and after else []
