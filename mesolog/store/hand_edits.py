"""A chart edited by hand, about to be committed (``sync --keep-edits``, or before the chart's
next change): nothing it recorded may be gone (a session, an amendment, a complication, a photo
record; the rule is ``model.additions``); what the edit changed is committed with an amendment
that names each field, so that every other laptop's sync takes it (docs/sharing.md, "Hand
edits"). The chart's last committed bytes are given by the caller (``store.history``).
"""

from __future__ import annotations

from pathlib import Path

from mesolog.model.records import Chart

# Who, in the amendment that names the fields a hand edit changed.
HAND = "(changed outside mesolog)"


def version(path: str, raw: bytes | None) -> Chart | None:
    """A version of a chart as mesolog reads it; None when it does not read (refused by the
    checks of whole charts, which name why)."""
    from mesolog.errors import MesologError
    from mesolog.store.codec import parse_chart_text

    if raw is None:
        return None
    try:
        return parse_chart_text(Path(path), raw.decode("utf-8").removeprefix("\ufeff"), bulk=True)
    except (UnicodeDecodeError, MesologError, RecursionError):
        return None


def _hand_edited(
    data_dir: Path, relative: str, committed: bytes | None
) -> tuple[str, Chart, Chart] | None:
    """A chart's text as edited by hand, the chart it reads as, and its last committed
    version (``committed``, its bytes at HEAD); None when either does not read (the checks of
    whole charts name why)."""
    if not (relative.startswith("patients/") and relative.endswith(".toml")):
        return None
    try:
        text = (data_dir / relative).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    old, new = version(relative, committed), version(relative, text.encode())
    return (text, old, new) if old and new else None


def refusal(data_dir: Path, relative: str, committed: bytes | None) -> str | None:
    """Why a chart edited by hand cannot be committed as it is (the edit removed a session, an
    amendment, a complication or a photo record), with how to get it back; None when the edit
    only added or changed values."""
    from mesolog.errors import inert
    from mesolog.model.additions import removed

    found = _hand_edited(data_dir, relative, committed)
    gone = removed(found[1], found[2]) if found else []
    if not gone:
        return None
    return (
        f"{relative} was edited outside mesolog, and the edit {inert(gone[0])}: put it back "
        f"(`mesolog git diff -- {relative}` shows the edit, `mesolog git show HEAD:{relative}` "
        "prints the chart as last committed; a session is voided, a correction is an amendment)"
    )


def add_trail(data_dir: Path, relative: str, committed: bytes | None, reason: str) -> None:
    """Before a hand edit that removed nothing is committed: each session field it changed with
    no amendment naming it is named in an amendment written into the chart (every hand-typed
    byte kept), so that every other laptop's sync takes it as mesolog's own change."""
    from mesolog.model.additions import with_trail
    from mesolog.model.values import now

    found = _hand_edited(data_dir, relative, committed)
    if found is None:
        return
    text, old, new = found
    trailed = with_trail(old, new, now(), HAND, reason)
    if trailed != new:
        from mesolog.store.editing import revise_chart
        from mesolog.store.files import write_atomically

        write_atomically(data_dir / relative, revise_chart(text, new, trailed))
