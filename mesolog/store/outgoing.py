"""What this laptop is about to push, checked by the rule every other laptop's sync applies to
what it brings (``model.additions``; docs/sharing.md, "What a laptop pushes"): a laptop never
pushes what the others would refuse.

Its own changes are compared from the merge base with the remote to what it would push. A value
changed without an amendment (a hand edit committed with ``mesolog git commit``) is named in
an amendment "(changed outside mesolog)", as ``sync --keep-edits`` does, and committed; a
removal (a session, a complication, an amendment, a photo record, a picture, a chart) is
refused with how to put it back: nothing is pushed.
"""

from __future__ import annotations

from pathlib import Path

from mesolog.errors import inert
from mesolog.model.records import Chart
from mesolog.store import history
from mesolog.store.hand_edits import HAND, version
from mesolog.store.incoming import Entry, is_chart, listing, named

PHOTOS = "photos/"
RECORDED_BY_SYNC = "committed outside mesolog, recorded by `mesolog sync` before pushing"


def own_changes(data_dir: Path, theirs: str | None) -> tuple[str, str] | None:
    """(merge base, HEAD) when this laptop has commits the remote's ``theirs`` lacks; None when
    it has none, or the remote has no branch yet (nothing to compare with)."""
    head = history.output(data_dir, "rev-parse", "--verify", "HEAD^{commit}")
    if not theirs or not head:
        return None
    base = history.output(data_dir, "merge-base", head, theirs)
    if not base or base == head:
        return None
    return base, head


def _refused(what: str, base: str, path: str, why: str = "") -> str:
    """What was removed, and how to put it back, as the words after "this laptop's own
    commits"."""
    return (
        f"{what}, which every other laptop's sync would refuse: put it back "
        f"(`mesolog git show {base[:12]}:{path}` prints it as the remote has it, "
        f"`mesolog git checkout {base[:12]} -- {path}` puts that version back and drops this "
        f"laptop's later changes to it{why}), commit it, then sync again"
    )


def removal(data_dir: Path, base: str, head: str) -> str | None:
    """The first thing this laptop's own commits removed (what every other laptop's sync
    would refuse), with how to put it back, as the words after "this laptop's own commits";
    None when they only add or change values."""
    from mesolog.model.additions import removed

    before, after = listing(data_dir, base), listing(data_dir, head)
    for path, entry in sorted(before.items()):
        gone = path not in after
        if path.startswith(PHOTOS) and after.get(path) != entry:
            how = "removed" if gone else "rewrote"
            return _refused(f"{how} the picture {named(path)}", base, path)
        if is_chart(path) and gone:
            return _refused(f"deleted the chart {named(path)}", base, path)
    for path, old, new in _changed_charts(data_dir, before, after):
        found = removed(old, new)
        if found:
            voided = "; a session is voided, a correction is an amendment"
            return _refused(inert(found[0]), base, path, voided)
    return None


def _changed_charts(
    data_dir: Path, before: dict[str, Entry], after: dict[str, Entry]
) -> list[tuple[str, Chart, Chart]]:
    """Each chart of both trees that changed: (path, as the base has it, as HEAD has it); a
    version that does not read is left to the checks of whole charts."""
    changed = sorted(p for p in before if is_chart(p) and p in after and after[p] != before[p])
    raw = history.blobs(data_dir, [o for p in changed for o in (before[p].oid, after[p].oid)])
    found = []
    for path in changed:
        old = version(path, raw.get(before[path].oid))
        new = version(path, raw.get(after[path].oid))
        if old and new:
            found.append((path, old, new))
    return found


def record_untrailed(data_dir: Path, base: str, head: str) -> list[str]:
    """Each chart whose values this laptop's commits changed with no amendment naming them:
    the amendment "(changed outside mesolog)" written into it and committed (the work tree is
    clean here: ``sync`` committed or refused every other change first). Returns the charts
    amended; raises HistoryError when git could not commit."""
    from mesolog.errors import HistoryError
    from mesolog.model.additions import untrailed, with_trail
    from mesolog.model.values import now
    from mesolog.store.editing import revise_chart
    from mesolog.store.files import write_atomically

    before, after = listing(data_dir, base), listing(data_dir, head)
    amended = []
    for path, old, new in _changed_charts(data_dir, before, after):
        trailed = with_trail(old, new, now(), HAND, RECORDED_BY_SYNC)
        if not untrailed(old, new) or trailed == new:
            continue
        text = history.blobs(data_dir, [after[path].oid])[after[path].oid].decode("utf-8")
        write_atomically(data_dir / path, revise_chart(text, new, trailed))
        amended.append(path)
    if amended:
        message = "mesolog: " + ", ".join(amended) + " changed outside mesolog, amendment recorded"
        said = history.commit_files(data_dir, amended, message, "")
        if said is not None:
            raise HistoryError(f"not synced: git could not commit {', '.join(amended)} ({said}).")
    return amended
