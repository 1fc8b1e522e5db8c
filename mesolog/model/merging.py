"""The merge of two machines' versions of one chart, on parsed values (pure).

A chart is merged table by table against the common ancestor (the base): for each key, a side
that left the value as it was takes the other side's change; both making the same change is
one change; both changing it two ways is a :class:`FieldClash`, kept for the practitioner to
settle. Lists that only grow or whose items are independent (amendments, complications, photos,
conflicts) are unions. A session's products and zones are merged item by item when the three
versions hold the same products at the same places (one side may add products at the end):
the n-th against the n-th, each one's fields key by key, so corrections of two products both
stay. A conflict both sides settled is settled two ways unless their answers agree
(docs/chart-merge.md). Everything is symmetric: merging (ours, theirs) and (theirs, ours) gives
the same values, so two machines merging the same histories agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


class _Absent:
    """A key missing from a table (TOML has no null): one value with a stable text, since a
    conflict on a field one side removed is written into the chart (the same bytes on every
    machine, which an address-based repr would not give)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()
# The ancestor of a field both sides settled: equal to no value, so two different answers
# clash even when one of them is the value the ancestor held (docs/chart-merge.md).
_ANSWERED: Any = object()

# Keys of a session whose values are sets of independent items: merged as unions.
UNION_KEYS = frozenset({"amendments", "complications", "photos", "conflicts"})
# Keys whose items are merged key by key (a table of named numbers).
KEYED_KEYS = frozenset({"measurements"})
# Lists of tables merged item by item, when every position of the ancestor holds the same item
# in all three versions (items added at the end by one side follow them): a key -> the fields
# that say which item it is (a product by its name, a zone by its place). Otherwise (an item
# removed, moved or replaced, two items of one name, two different additions) positions no
# longer say which item is which, and the list is merged whole: mixing fields across positions
# would make a product nobody gave and lose another.
ITEM_KEYS: dict[str, tuple[str, ...]] = {"substances": ("name",), "zones": ("area", "zone")}
# Unions whose items a practitioner changes in place (a complication resolved): a key -> the
# fields that say which item it is. An item one side removed and the other changed is a
# conflict, never a silent undoing of the removal (docs/chart-merge.md).
EDITED_ITEMS: dict[str, tuple[str, ...]] = {"complications": ("name",)}


@dataclass(frozen=True)
class FieldClash:
    """``field`` changed two ways: ``kept`` is what the chart holds meanwhile."""

    field: str
    kept: Any
    other: Any


def canonical(value: Any) -> str:
    """A stable text for any TOML value: used to compare, deduplicate and sort."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{k!r}:{canonical(value[k])}" for k in sorted(value)) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(canonical(v) for v in value) + "]"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return repr(value)


def literal(value: Any) -> str:
    """A value as a practitioner reads it (and as TOML would mostly write it); a field one
    side removed reads "none"."""
    if value is ABSENT:
        return "none"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, float):
        from mesolog.model.values import number_text  # "3", not "3.0", as every view shows it

        return number_text(value)
    return str(value)


# The option of ``amend`` that settles a session's conflict on a list whose item one side
# removed and the other changed: the removal again; or the other option, which keeps the item
# as it should stay.
SETTLING_OPTIONS = {"complications": "--remove-complication NAME"}
KEEPING_OPTIONS = {"complications": "--resolve-complication NAME ..."}


def keeping(field: str) -> str:
    """What to type instead to keep the changed item (" (or `...` to keep it)"), or ""."""
    option = KEEPING_OPTIONS.get(field.partition(".")[0])
    return f" (or `{option}` to keep it)" if option else ""


def settled(field: str, kept: object, other: object) -> str:
    """The trail's line for a conflict the practitioner settled (session or chart)."""
    return f"merge conflict on {field} settled ({kept} / {other})"


def two_values(field: str, kept: str, other: str) -> str:
    """What a conflict holds, in words: "KEPT kept, OTHER also recorded", the two values as the
    chart holds them (``literal`` texts). Two lists of products (or zones) are said item by item,
    only what differs: the field of a product changed two ways, a product one value holds and
    the other does not (numbered as in the value kept, the one in force), so a long list still
    reads on one terminal line or two (docs/chart-merge.md)."""
    identity = ITEM_KEYS.get(field) or EDITED_ITEMS.get(field)
    lists = (_tables(kept), _tables(other)) if identity else (None, None)
    if identity is None or lists[0] is None or lists[1] is None:
        return f"{kept} kept, {other} also recorded"
    said = "; ".join(_differences(lists[0], lists[1], identity))
    # A list one side took an item off: what the other version lacks was removed there.
    return (
        said.replace(", not in the other version", ", removed in the other version")
        if (field in EDITED_ITEMS)
        else said
    )


def _tables(text: str) -> list[dict[str, Any]] | None:
    """A list of tables written as ``literal`` writes it, read back; None for anything else."""
    import tomllib

    if text == literal(ABSENT):
        return []  # the list one side removed: every item is in the other version only
    try:
        value = tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return None
    tables = isinstance(value, list) and all(isinstance(item, dict) for item in value)
    return value if tables else None


def _differences(
    kept: list[dict[str, Any]], other: list[dict[str, Any]], identity: tuple[str, ...]
) -> list[str]:
    """Items lined up by what they are (a product by its name), as ``diff`` lines up lines."""
    from difflib import SequenceMatcher

    def names(items: list[dict[str, Any]]) -> list[str]:
        return [canonical([i.get(k, ABSENT) for k in identity]) for i in items]

    out: list[str] = []
    lined = SequenceMatcher(None, names(kept), names(other), autojunk=False)
    for tag, k1, k2, o1, o2 in lined.get_opcodes():
        if tag == "equal":
            out += [
                _fields_apart(n + 1, kept[n], other[o1 + n - k1], identity) for n in range(k1, k2)
            ]
        else:
            out += [
                f"#{n + 1} {_item_words(kept[n], identity)} kept, not in the other version"
                for n in range(k1, k2)
            ]
            out += [
                f"{_item_words(item, identity)} also recorded, not in the version kept"
                for item in other[o1:o2]
            ]
    return [line for line in out if line]


def _fields_apart(
    number: int, kept: dict[str, Any], other: dict[str, Any], identity: tuple[str, ...]
) -> str:
    """'#2 biotin: lot B1 kept, B2 also recorded', or "" when the two are the same."""
    said = [
        f"{key} {_word(kept.get(key, ABSENT))} kept, {_word(other.get(key, ABSENT))} also recorded"
        for key in {**kept, **other}
        if kept.get(key, ABSENT) != other.get(key, ABSENT)
    ]
    return f"#{number} {_named(kept, identity)}: " + ", ".join(said) if said else ""


def _named(item: dict[str, Any], identity: tuple[str, ...]) -> str:
    """What the item is: a product's name, a zone's "scalp/vertex"."""
    return "/".join(_word(item[k]) for k in identity if k in item)


def _item_words(item: dict[str, Any], identity: tuple[str, ...]) -> str:
    """A product as a practitioner reads it: "vitamin c 1 ml lot VC1" (a zone "scalp/vertex
    points 40 amount 1.5")."""
    rest = {k: v for k, v in item.items() if k not in identity}
    words = [_named(item, identity)]
    if "amount" in rest and "unit" in rest:
        words.append(f"{_word(rest.pop('amount'))} {_word(rest.pop('unit'))}")
    words += [f"{key} {_word(value)}" for key, value in rest.items()]
    return " ".join(words)


def _word(value: Any) -> str:
    return value if isinstance(value, str) else literal(value)


def same_person(ours: dict[str, Any], theirs: dict[str, Any], shared_session: bool = False) -> bool:
    """Whether two charts opened on their own under one id are one person: they share the
    patient's uid or a session (``shared_session``; uids are never reused: a JSON export of the
    chart imported on the other laptop, then its name corrected there), or their names are the
    same once folded as a person types them (case, accents) and their birth years the same; a
    detail one side left out says nothing either way (docs/chart-merge.md)."""
    from mesolog.model.folding import fold

    uids = ours.get("uid"), theirs.get("uid")
    if shared_session or (isinstance(uids[0], str) and uids[0] == uids[1]):
        return True
    names = [fold(x) if isinstance(x, str) else "" for x in (ours.get("name"), theirs.get("name"))]
    years = [ours.get("birth_year"), theirs.get("birth_year")]
    return (not all(names) or names[0] == names[1]) and (None in years or years[0] == years[1])


def three_way(base: Any, ours: Any, theirs: Any) -> tuple[Any, bool]:
    """(merged value, whether it clashed). On a clash the value is ``ours``: the caller
    decides which side is kept (symmetrically)."""
    if ours == theirs:
        return ours, False
    if ours == base:
        return theirs, False
    if theirs == base:
        return ours, False
    return ours, True


def union(base: Iterable[Any], ours: Iterable[Any], theirs: Iterable[Any]) -> list[Any]:
    """A three-way set merge: an item stays if either side has it, unless one side removed it
    from the base; the base's survivors keep their order, new items follow in a stable order
    (by time first when items carry one: amendments read in the order they were made)."""
    base_keys = {canonical(v) for v in base}
    ours_l, theirs_l = list(ours), list(theirs)
    ours_keys = {canonical(v) for v in ours_l}
    theirs_keys = {canonical(v) for v in theirs_l}
    kept = [v for v in base if canonical(v) in ours_keys and canonical(v) in theirs_keys]
    new = [v for v in [*ours_l, *theirs_l] if canonical(v) not in base_keys]
    added = {canonical(v): v for v in reversed(new)}  # the first of each (sorted below)
    return kept + sorted(added.values(), key=_order)


def _order(value: Any) -> tuple[str, str]:
    moment = value.get("at") if isinstance(value, dict) else None
    return (moment.isoformat() if isinstance(moment, datetime | date) else "", canonical(value))


def merge_values(
    base: dict[str, Any],
    ours: dict[str, Any],
    theirs: dict[str, Any],
    keep_ours: bool,
    special: Callable[[str, Any, Any, Any], Any] | None = None,
    prefix: str = "",
    answered: frozenset[str] | None = None,
) -> tuple[dict[str, Any], list[FieldClash]]:
    """One table merged key by key. ``keep_ours`` says which side a clash keeps (the caller
    chooses it the same way on every machine); ``special`` may settle a key its own way
    (it returns the value, or None for the ordinary rules); ``answered``: the fields (full
    names, as conflicts name them) both sides settled, by default read from the table's own
    ``conflicts`` (:func:`answered_both_ways`)."""
    if answered is None:
        answered = answered_both_ways(base, ours, theirs)
    merged: dict[str, Any] = {}
    clashes: list[FieldClash] = []
    # Keys keep their order in the file (ours, then keys only theirs has, by name).
    place = {key: (at, "") for at, key in enumerate(ours)}
    keys = sorted(set(base) | set(ours) | set(theirs), key=lambda k: place.get(k, (len(ours), k)))
    for key in keys:
        b, o, t = base.get(key, ABSENT), ours.get(key, ABSENT), theirs.get(key, ABSENT)
        settled = special(key, b, o, t) if special else None
        if settled is not None:
            value: Any = settled
        elif key in UNION_KEYS:
            value = union(_items(b), _items(o), _items(t))
            clashes += _removed_and_changed(prefix + key, (b, o, t), value)
            if not value and (o is ABSENT or t is ABSENT):
                value = ABSENT  # an empty list nobody wrote stays unwritten
        else:
            value, inner = _merge_key(prefix + key, (b, o, t), keep_ours, answered)
            clashes += inner
        if value is not ABSENT:
            merged[key] = value
    return merged, clashes


def _removed_and_changed(
    path: str, versions: tuple[Any, Any, Any], merged: list[Any]
) -> list[FieldClash]:
    """A conflict on the list when one side removed an item of the ancestor and the other
    changed it (a complication taken off on one laptop, resolved on the other). The changed item
    stays in force (a complication is never hidden on a guess); the other version is the merged
    list without it, so both are kept, the same way whichever side is ours."""
    identity = EDITED_ITEMS.get(path.rpartition(".")[2])
    if identity is None:
        return []
    b, o, t = (_items(v) for v in versions)

    def which(item: Any) -> str | None:
        return (
            canonical([item.get(k, ABSENT) for k in identity]) if isinstance(item, dict) else None
        )

    base_keys = {canonical(i) for i in b}
    sides = [
        ({canonical(i) for i in side}, [i for i in side if canonical(i) not in base_keys])
        for side in (o, t)
    ]
    changed: list[Any] = []
    for item in b:
        if any(canonical(item) in keys for keys, _ in sides):
            continue  # left as it was on one side: an ordinary removal, or a change, or both
        edits = [[i for i in new if which(i) == which(item)] for _, new in sides]
        if bool(edits[0]) != bool(edits[1]):  # changed on one side, gone from the other
            changed += edits[0] or edits[1]
    gone = {canonical(i) for i in changed}
    if not gone:
        return []
    return [FieldClash(path, merged, [i for i in merged if canonical(i) not in gone])]


def answered_both_ways(
    base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any]
) -> frozenset[str]:
    """The fields of the conflicts the ancestor held that both sides settled (the entry gone
    from both): each side's value there is a practitioner's answer, and two answers are never
    merged silently, even when one of them is the value the ancestor kept."""
    left = {canonical(c) for side in (ours, theirs) for c in _items(side.get("conflicts"))}
    return frozenset(
        c["field"]
        for c in _items(base.get("conflicts"))
        if isinstance(c, dict) and isinstance(c.get("field"), str) and canonical(c) not in left
    )


def _touches(path: str, answered: frozenset[str]) -> bool:
    """Whether the value at ``path`` holds, or lies in, a field both sides answered."""
    return any(a == path or a.startswith(f"{path}.") or path.startswith(f"{a}.") for a in answered)


def _merge_key(
    path: str, versions: tuple[Any, Any, Any], keep_ours: bool, answered: frozenset[str]
) -> tuple[Any, list[FieldClash]]:
    """One key that is no union: a table of named numbers key by key, a list of items whose
    places say which is which item by item, anything else whole."""
    b, o, t = versions
    key = path.rpartition(".")[2]
    if key in KEYED_KEYS and all(isinstance(x, dict) or x is ABSENT for x in versions):
        return merge_values(_table(b), _table(o), _table(t), keep_ours, None, f"{path}.", answered)
    if (
        key in ITEM_KEYS
        and lined_up(b, o, t, ITEM_KEYS[key])
        and not _two_lists(path, o, t, answered)
    ):
        return merge_items(b, o, t, keep_ours, f"{path}.", answered)
    value, clash = three_way(_ANSWERED if _touches(path, answered) else b, o, t)
    if not clash:
        return value, []
    kept = o if keep_ours else t
    return kept, [FieldClash(path, kept, t if keep_ours else o)]


def _two_lists(path: str, ours: list[Any], theirs: list[Any], answered: frozenset[str]) -> bool:
    """Whether both sides settled the list as a whole with lists of different lengths: two
    answers, not one product added at the end."""
    whole = any(path == a or path.startswith(f"{a}.") for a in answered)
    return whole and len(ours) != len(theirs)


def lined_up(base: Any, ours: Any, theirs: Any, identity: tuple[str, ...]) -> bool:
    """Whether places say which item is which: all three are lists of tables; each item of the
    ancestor is at its place in both sides (the same ``identity`` fields); items after them
    were added at the end by one side (or the same by both); and no two items of the merged
    list are alike (two lots of one product swapped would otherwise look like two corrected
    lots)."""
    versions = (base, ours, theirs)
    if not all(isinstance(x, list) and all(isinstance(i, dict) for i in x) for x in versions):
        return False
    count = len(base)
    added, also = ours[count:], theirs[count:]
    if added and also and added != also:
        return False  # two different additions: which goes first, or are they one vial?

    def names(items: list[dict[str, Any]]) -> list[str]:
        return [canonical([i.get(k, ABSENT) for k in identity]) for i in items]

    merged = names(base) + names(added or also)
    alike = len(set(merged)) < len(merged)
    return not alike and names(base) == names(ours[:count]) == names(theirs[:count])


def merge_items(
    base: list[dict[str, Any]],
    ours: list[dict[str, Any]],
    theirs: list[dict[str, Any]],
    keep_ours: bool,
    prefix: str,
    answered: frozenset[str] = frozenset(),
) -> tuple[list[dict[str, Any]], list[FieldClash]]:
    """Lists whose places say which item is which (see :func:`lined_up`) merged place by place
    (numbered from 1, as the practitioner's ``#N=`` counts them), each item key by key; the
    items one side added at the end follow."""
    merged: list[dict[str, Any]] = []
    clashes: list[FieldClash] = []
    for number, (b, o, t) in enumerate(zip(base, ours, theirs, strict=False), start=1):
        path = f"{prefix}{number}"
        value, clash = three_way(_ANSWERED if _touches(path, answered) else b, o, t)
        if clash:  # changed on both sides: field by field
            value, inner = merge_values(b, o, t, keep_ours, None, f"{path}.", answered)
            clashes += inner
        merged.append(value)
    return merged + (ours[len(base) :] or theirs[len(base) :]), clashes


def _items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def _table(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def latest_change(values: dict[str, Any]) -> str:
    """When a version of a session was last changed: its last amendment, else its recording."""
    moments = [a.get("at") for a in values.get("amendments", []) if isinstance(a, dict)]
    moments.append(values.get("recorded"))
    found = [m.isoformat() for m in moments if isinstance(m, datetime | date)]
    return max(found, default="")


def keeps_ours(ours: dict[str, Any], theirs: dict[str, Any]) -> bool:
    """Which side a clash keeps, the same on every machine: the version changed last, and on a
    tie the one whose values sort first."""
    a, b = latest_change(ours), latest_change(theirs)
    if a != b:
        return a > b
    return canonical(ours) <= canonical(theirs)


def renumbering(sessions: list[tuple[str, int, str]]) -> dict[str, tuple[int, int]]:
    """Sessions as (uid, number, recorded): uid -> (old, new) for those that must change
    number because an earlier-recorded session holds theirs. New numbers follow the largest."""
    taken: set[int] = set()
    moves: dict[str, tuple[int, int]] = {}
    largest = max((number for _, number, _ in sessions), default=0)
    for uid, number, _ in sorted(sessions, key=lambda s: (s[2], s[0])):
        if number in taken:
            largest += 1
            moves[uid] = (number, largest)
            taken.add(largest)
        else:
            taken.add(number)
    return moves
