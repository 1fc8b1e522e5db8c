"""What a later version of a chart may bring: only additions, the way mesolog's own commands
make them (pure; see docs/sharing.md, "What a remote may bring into a chart").

A chart grows: sessions are added, never removed (a mistake is voided); a recorded field is
changed only by an amendment that names it (``amend``, ``void``, ``restore`` each write one);
the trail is append-only; a merge conflict leaves only when an amendment settles it; a photo
record leaves only through an amendment that names the photos. Two versions of one chart are
compared session by session (a session is known by its uid: a merge may renumber it), and
every way the later one breaks that is returned as a phrase, never raised.

Two rules share the comparison:

- :func:`untrailed`, for what a remote brings: every change without its trail entry;
- :func:`removed`, for a hand edit about to be committed: what it removed (a hand edit may
  add or change a value; :func:`with_trail` then writes the amendment that names it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, is_dataclass, replace
from datetime import datetime
from typing import TypeVar

from mesolog.errors import shortened
from mesolog.model.amendments import (
    complication_text,
    describe_changes,
    substance_text,
    value_text,
)
from mesolog.model.merging import settled
from mesolog.model.records import Amendment, Chart, Complication, Session, Substance
from mesolog.model.vocabulary import UNCATALOGUED

# What identifies a session (uid; a merge may renumber it), and the trail and merge notes,
# which have rules of their own below: never compared as recorded fields.
NOT_RECORDED = frozenset({"id", "uid", "amendments", "conflicts"})
RECORDED = tuple(f.name for f in fields(Session) if f.name not in NOT_RECORDED)
SETTLED_START = "merge conflict on "
T = TypeVar("T")


@dataclass(frozen=True)
class Change:
    """One session field changed without a trail entry: its name and how it reads now."""

    field: str
    said: str  # "depth_mm: 1.5 -> 3", as the trail writes it


def named_fields(notes: Iterable[Amendment]) -> set[str]:
    """The session fields these amendments name: "depth_mm: 1.5 -> 2" names depth_mm,
    "measurements.waist_cm: ..." measurements, "merge conflict on substances.2.lot settled
    (...)" substances."""
    names: set[str] = set()
    for note in notes:
        for line in note.changes:
            if line.startswith(SETTLED_START):
                line = line[len(SETTLED_START) :]
                name = line.split(" ", 1)[0]
            else:
                name = line.split(":", 1)[0]
            names.add(name.split(".", 1)[0])
    return names


def _new_items(old: Iterable[T], new: Iterable[T]) -> list[T]:
    """The items of ``new`` that ``old`` does not hold (as many times as it holds them)."""
    left = list(old)
    added = []
    for item in new:
        if item in left:
            left.remove(item)
        else:
            added.append(item)
    return added


def _missing(old: Iterable[T], new: Iterable[T]) -> list[T]:
    return _new_items(new, old)


def session_changes(old: Session, new: Session) -> list[Change]:
    """The recorded fields of a session that changed with no amendment new in ``new`` naming
    them and no merge conflict new in ``new`` on them (a merge keeps one value of a field
    changed two ways and says so); a photo added alone is no change (``photo add``)."""
    fresh = _new_items(old.amendments, new.amendments)
    allowed = named_fields(fresh)
    allowed |= {c.field.split(".", 1)[0] for c in _new_items(old.conflicts, new.conflicts)}
    described = describe_changes(old, new)
    found = []
    for name in RECORDED:
        before, after = _compared(old, name), _compared(new, name)
        if before == after or name in allowed:
            continue
        if name == "photos" and not _missing(old.photos, new.photos):
            continue
        said = next(
            (line for line in described if line.split(":", 1)[0].split(".", 1)[0] == name),
            f"{name}: {_text(before)} -> {_text(after)}",
        )
        found.append(Change(name, said))
    return found


def _compared(session: Session, name: str) -> object:
    """A recorded field as compared: a product without its category, which each laptop derives
    from its own catalogue (one that lacks the word says "uncatalogued"); what was given is the
    name, amount, concentration, lot and expiry."""
    value = getattr(session, name)
    if name == "substances":
        return tuple(replace(item, category=UNCATALOGUED) for item in value)
    return value


def _text(value: object) -> str:
    """A value as the trail writes it (a product: ``substance_text``), never a Python repr."""
    if isinstance(value, tuple) and value and all(isinstance(v, Substance) for v in value):
        return "; ".join(
            f"{substance_text(v)}{f' ({v.concentration})' if v.concentration else ''}"
            for v in value
        )
    if isinstance(value, tuple) and any(is_dataclass(v) for v in value):
        return f"{len(value)} entries"
    return value_text(value)


def _cut(said: str, limit: int = 120) -> str:
    """A trail line as quoted in a refusal: one line, at most ``limit`` characters (a whole
    note is the chart's, never echoed)."""
    said = " ".join(said.split())
    return said if len(said) <= limit else said[: limit - 1] + "…"


def _trail_removed(where: str, old: Iterable[Amendment], new: Iterable[Amendment]) -> list[str]:
    later = list(new)
    return [
        f"{'changed' if any(n.at == a.at and n.by == a.by for n in later) else 'removed'} the "
        f"amendment of {a.at.isoformat()} ({shortened(a.reason, 40)}) {where}"
        for a in _missing(old, later)
    ]


def _complications_removed(where: str, old: Session, new: Session) -> list[str]:
    """Complications whose name the later version no longer holds (one changed, resolved or
    graded keeps its name)."""
    names = [c.name for c in new.complications]
    gone: list[Complication] = []
    for item in old.complications:
        if item.name in names:
            names.remove(item.name)
        else:
            gone.append(item)
    return [f"removed the complication {complication_text(c)} {where}" for c in gone]


def _session_removals(where: str, old: Session, new: Session) -> list[str]:
    """What a later version removed from a session: its trail entries, complications, photo
    records (a complication or photo taken off by an amendment that names them, as ``amend``
    does, is a correction, not a removal)."""
    return [
        *_items_removed(where, old, new).values(),
        *_trail_removed(where, old.amendments, new.amendments),
    ]


def _items_removed(where: str, old: Session, new: Session) -> dict[str, str]:
    """Field -> the first complication or photo record a later version removed, unless an
    amendment new in it names that field."""
    named = named_fields(_new_items(old.amendments, new.amendments))
    found = {}
    complications = _complications_removed(where, old, new)
    if complications and "complications" not in named:
        found["complications"] = complications[0]
    photos = _missing(old.photos, new.photos)
    if photos and "photos" not in named:
        found["photos"] = f"removed the photo record {photos[0].file} {where}"
    return found


def _pairs(old: Chart, new: Chart) -> tuple[list[str], list[tuple[str, Session, Session]]]:
    """Sessions removed (phrased), and each session of both versions with where it is."""
    later = {s.uid: s for s in new.sessions}
    gone = [
        f"removed session {s.id} from the chart of {old.patient.id}"
        for s in old.sessions
        if s.uid not in later
    ]
    pairs = [
        (f"from session {s.id} of {old.patient.id}", s, later[s.uid])
        for s in old.sessions
        if s.uid in later
    ]
    return gone, pairs


def removed(old: Chart, new: Chart) -> list[str]:
    """What ``new`` removed from ``old``: a session, a trail entry (session or chart), a
    complication or a photo record. A value added or changed is no removal."""
    return _charted(old, new, _session_removals)


def untrailed(old: Chart, new: Chart) -> list[str]:
    """Everything ``new`` did to ``old`` that mesolog's own commands never do: what it removed
    (:func:`removed`), a merge conflict gone with no amendment settling it, and a recorded
    field changed with no amendment naming it."""
    return _charted(old, new, _session_untrailed)


def _charted(
    old: Chart, new: Chart, each: Callable[[str, Session, Session], list[str]]
) -> list[str]:
    """The sessions gone, the chart-level trail entries gone, then ``each`` session's own."""
    found, pairs = _pairs(old, new)
    found += _trail_removed(
        f"from the chart-level trail of {old.patient.id}", old.amendments, new.amendments
    )
    for where, before, after in pairs:
        found += each(where, before, after)
    return found


def _session_untrailed(where: str, before: Session, after: Session) -> list[str]:
    """One session's changes with no trail entry: what it removed (a complication or a photo
    record first, then trail entries), a merge conflict gone unsettled, then every other
    field changed."""
    named = named_fields(_new_items(before.amendments, after.amendments))
    found = _session_removals(where, before, after)
    told = _items_removed(where, before, after)
    found += [
        f"removed the merge conflict on {c.field} {where} without an amendment settling it"
        for c in _missing(before.conflicts, after.conflicts)
        if c.field.split(".", 1)[0] not in named
    ]
    on = where.removeprefix("from ")
    found += [
        f"changed {change.field} of {on} without an amendment naming it ({_cut(change.said)})"
        for change in session_changes(before, after)
        if change.field not in told
    ]
    return found


def with_trail(old: Chart, new: Chart, at: datetime, by: str, reason: str) -> Chart:
    """``new`` (a hand edit of ``old`` that removed nothing) with an amendment on each session
    whose recorded fields it changed without one, naming each field (old -> new), and on each
    merge conflict it deleted, settling it: what :func:`untrailed` then accepts."""
    earlier = {s.uid: s for s in old.sessions}
    sessions = []
    for session in new.sessions:
        before = earlier.get(session.uid)
        lines: list[str] = []
        if before is not None:
            lines = [change.said for change in session_changes(before, session)]
            named = named_fields(_new_items(before.amendments, session.amendments))
            lines += [
                settled(c.field, c.kept, c.other)
                for c in _missing(before.conflicts, session.conflicts)
                if c.field.split(".", 1)[0] not in named
            ]
        if lines:
            note = Amendment(at=at, by=by, reason=reason, changes=tuple(lines))
            session = replace(session, amendments=(*session.amendments, note))
        sessions.append(session)
    return replace(new, sessions=tuple(sessions))
