"""What a chart may receive from outside mesolog: only additions, as mesolog's own commands make
them (the rule is ``model.additions``; see docs/sharing.md, "What a remote may bring").

- From a remote (``sync``): each chart the remote changed, from the merge base to its commit,
  compared session by session; and no picture it held at the base removed or rewritten.
- From a hand edit about to be committed (``sync --keep-edits``, or the chart's next change):
  nothing removed (a session, an amendment, a complication, a photo record); what it changed
  is committed with an amendment that names each field, so that every other laptop takes it.
"""

from __future__ import annotations

from pathlib import Path

from mesolog.model.records import Chart
from mesolog.store import history

PHOTOS = "photos/"
# Who and why, in the amendment that names the fields a hand edit changed.
HAND = "(changed outside mesolog)"


def _chart(path: str, raw: bytes | None) -> Chart | None:
    """A version of a chart as mesolog reads it; None when it does not read (refused by the
    checks of whole charts, which name why)."""
    from mesolog.errors import MesologError
    from mesolog.store.codec import parse_chart_text

    if raw is None:
        return None
    try:
        return parse_chart_text(Path(path), raw.decode("utf-8").removeprefix("\ufeff"))
    except (UnicodeDecodeError, MesologError, RecursionError):
        return None


def remote_refusal(data_dir: Path, base: str | None, incoming: str) -> str | None:
    """What the remote did from ``base`` to ``incoming`` that only a hand outside mesolog does
    (a complication, an amendment or a photo removed, a field changed with no amendment naming
    it), as the words after "not synced: origin"; None when it only added."""
    from mesolog.store.incoming import is_chart, listing, named

    if not base:
        return None
    before, after = listing(data_dir, base), listing(data_dir, incoming)
    for path, entry in sorted(before.items()):
        if path.startswith(PHOTOS) and after.get(path) != entry:
            how = "removed" if path not in after else "rewrote"
            return (
                f"{how} the picture {named(path)} (pictures are kept as taken; nothing was merged)"
            )
    changed = sorted(p for p in before if is_chart(p) and p in after and after[p] != before[p])
    raw = history.blobs(data_dir, [o for p in changed for o in (before[p].oid, after[p].oid)])
    for path in changed:
        problems = _untrailed(path, raw.get(before[path].oid), raw.get(after[path].oid))
        if problems:
            return (
                f"{named(problems[0])}, which mesolog's own commands never do (a remote may only "
                "add to a chart, corrections go through an amendment; nothing was merged)"
            )
    return None


def _untrailed(path: str, old: bytes | None, new: bytes | None) -> list[str]:
    from mesolog.model.additions import untrailed

    before, after = _chart(path, old), _chart(path, new)
    return untrailed(before, after) if before and after else []


def _hand_edited(data_dir: Path, relative: str) -> tuple[str, Chart, Chart] | None:
    """A chart's text as edited by hand, the chart it reads as, and its last committed
    version; None when either does not read (the checks of whole charts name why)."""
    if not (relative.startswith("patients/") and relative.endswith(".toml")):
        return None
    try:
        text = (data_dir / relative).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    committed = history.blobs(data_dir, [f"HEAD:{relative}"]).get(f"HEAD:{relative}")
    old, new = _chart(relative, committed), _chart(relative, text.encode())
    return (text, old, new) if old and new else None


def hand_edit_refusal(data_dir: Path, relative: str) -> str | None:
    """Why a chart edited by hand cannot be committed as it is (the edit removed a session, an
    amendment, a complication or a photo record), with how to get it back; None when the edit
    only added or changed values."""
    from mesolog.model.additions import removed

    found = _hand_edited(data_dir, relative)
    gone = removed(found[1], found[2]) if found else []
    if not gone:
        return None
    return (
        f"{relative} was edited outside mesolog, and the edit {gone[0]}: put it back "
        f"(`mesolog git diff -- {relative}` shows the edit, `mesolog git show HEAD:{relative}` "
        "prints the chart as last committed; a session is voided, a correction is an amendment)"
    )


def trail_hand_edit(data_dir: Path, relative: str, reason: str) -> None:
    """Before a hand edit that removed nothing is committed: each session field it changed with
    no amendment naming it is named in an amendment written into the chart (every hand-typed
    byte kept), so that every other laptop's sync takes it as mesolog's own change."""
    from mesolog.model.additions import with_trail
    from mesolog.model.values import now

    found = _hand_edited(data_dir, relative)
    if found is None:
        return
    text, old, new = found
    trailed = with_trail(old, new, now(), HAND, reason)
    if trailed != new:
        from mesolog.store.editing import revise_chart
        from mesolog.store.files import write_atomically

        write_atomically(data_dir / relative, revise_chart(text, new, trailed))
