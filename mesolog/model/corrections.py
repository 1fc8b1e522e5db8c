"""Corrections by name: a correction touches only what it names (docs/corrections.md).

``amend --substance`` replaces the product of that name (or that lot) and keeps the others;
``--remove-substance`` takes one off; ``--resolve-complication`` settles one complication;
``--remove-complication`` takes one off. An item is named by what was typed (a name, a lot)
or by its number in the session as the report shows it (``#2``): where two items of a session
answer to the same name, the correction is refused, listing them by number, never guessed.

And the other way: a lot a correction took away from a session is still a lot the patient
may have received (:func:`corrected_lots`), so a recall lists that session too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from mesolog.errors import InvalidValue, WhichOne
from mesolog.model import vocabulary as vocab
from mesolog.model.amendments import complication_text, substance_text
from mesolog.model.itemkeys import fresh_keys, with_keys
from mesolog.model.records import Complication, Session, Substance
from mesolog.model.values import lot_key

# "#2": the second item of its kind in the session, as the report numbers them.
_NUMBER = re.compile(r"#\s*(\d{1,3})")
# "#2=caffeine:2ml:LOT X": a replacement for the item of that number. The next number adds one
# (a second vial of a product already there, whose name would replace the first), and says so;
# any other number the session does not have is refused.
_NUMBERED_SPEC = re.compile(r"\s*#\s*(\d{1,3})\s*=\s*(.*)", re.DOTALL)


def numbered_spec(spec: str) -> tuple[int | None, str]:
    """(the item's number, the substance spec) of ``--substance "#2=NAME:AMOUNT..."``; (None,
    spec) for a spec naming no number. A spec that starts as a number does (``#x=``, ``#=``)
    but holds none is refused: stored, it would be a product named "#x=biotin"."""
    found = _NUMBERED_SPEC.fullmatch(spec)
    if found:
        return int(found.group(1)), found.group(2)
    if spec.lstrip().startswith("#") and "=" in spec:
        raise InvalidValue(
            "substance",
            spec,
            "'#N=' takes the product's number as the report shows it, e.g. #2=biotin:1ml",
        )
    return None, spec


def item_number(text: str) -> int | None:
    """The number in ``#2``, or None when ``text`` is a name."""
    found = _NUMBER.fullmatch(text.strip())
    return int(found.group(1)) if found else None


def item_line(number: int, item: Substance | Complication) -> str:
    """An item as a refusal lists it: "#2 caffeine 2ml lot CF-8812"."""
    text = substance_text(item) if isinstance(item, Substance) else complication_text(item)
    return f"#{number} {text}"


def _listed(items: Sequence[Substance | Complication]) -> str:
    """Every item of a session's list, numbered as the report numbers them, or "none"."""
    return "; ".join(item_line(i + 1, item) for i, item in enumerate(items)) or "none"


def _same_substance(item: Substance, typed: str) -> bool:
    """``typed`` names ``item``: as typed, by meaning ("DCA" is deoxycholate), or by lot."""
    if vocab.normalize(item.name) == vocab.normalize(typed):
        return True
    if vocab.substance_base(item.name) == vocab.substance_base(typed):
        return True
    meant = vocab.substance_meaning(typed)
    return meant in vocab.SUBSTANCES and vocab.substance_meaning(item.name) == meant


def _one(
    found: list[int],
    items: Sequence[Substance | Complication],
    what: str,
    option: str,
    session: Session,
) -> int | None:
    """The single item ``found`` points to; None for none; refused, listing them, for several
    that differ (entries alike in every field are one answer: the first is taken)."""
    if len(found) <= 1 or all(items[i] == items[found[0]] for i in found):
        return found[0] if found else None
    listed = "; ".join(item_line(i + 1, items[i]) for i in found)
    raise WhichOne(
        f"session {session.id} has {len(found)} {what} ({listed}); say which by its number, "
        f"e.g. {option} '#{found[-1] + 1}'; nothing changed."
    )


def numbered_kinds(session: Session) -> tuple[bool, bool]:
    """Whether the report numbers the session's products, and its complications: only where two
    of a kind answer to one name, the number being how a correction says which."""
    from itertools import combinations

    products = combinations(session.substances, 2)
    complications = combinations(session.complications, 2)
    return (
        any(_same_substance(a, b.name) for a, b in products),
        any(same_complication(a.name, b.name, vocab.DEFAULT) for a, b in complications),
    )


# --- products ---------------------------------------------------------------------------------


def _each_number_once(typed: Sequence[tuple[int | None, Substance]]) -> None:
    """Refuses a product number given twice: which of the two was meant would be a guess."""
    numbers = [number for number, _ in typed if number is not None]
    twice = next((n for n in numbers if numbers.count(n) > 1), None)
    if twice is not None:
        raise InvalidValue("substance", f"#{twice}=", f"#{twice} is given twice; give it once")


def corrected_substances(
    session: Session,
    typed: Sequence[tuple[int | None, Substance]],
    removed: Sequence[str],
) -> tuple[tuple[Substance, ...], list[str]]:
    """The session's products with each typed one in place of the product of that name (or
    that lot, or that number; the next number adds one, any other the session does not have is
    refused), the others kept; a typed product that matches no name or lot is added; each
    removed one taken off (by name, lot or number). A lot left out of a replacement keeps the
    one recorded (a recall must never lose it by omission): said, like every removal, in the
    notes returned with the products (said before the correction is stored). One number given
    twice is refused: which of the two was meant would be a guess."""
    _each_number_once(typed)
    # Each product keeps its export key through the correction (model.itemkeys): written in
    # now, carried by a replacement of the same product, new for a product added or changed.
    items = with_keys(session)
    notes: list[str] = []
    gone: list[Substance] = []
    for text in removed:
        index = _substance_index(session, items, text, None, "--remove-substance")
        if index is None:
            raise InvalidValue(
                "--remove-substance",
                text,
                f"session {session.id} has no such product (it has: {_listed(items)})",
            )
        gone.append(items[index])
        notes.append(
            f"session {session.id}: {item_line(index + 1, items[index])} is taken off "
            "(the trail keeps it; `mesolog lot` still finds this session)."
        )
    for number, item in typed:
        if number == len(session.substances) + 1:
            items.append(item)
            notes.append(
                f"session {session.id}: {substance_text(item)} is added as product #{number} "
                f"(the session had {len(session.substances)}); to correct one instead, give its "
                "own number."
            )
            continue
        index = (
            _numbered(session, number, "--substance")
            if number is not None
            else _substance_index(session, items, item.name, item.lot, "--substance")
        )
        if index is None:
            notes.append(
                f"session {session.id}: {item.name} is added to its products (no product of "
                f"that name or lot was there); to replace one instead, name it: --substance "
                f"'#1={item.name}:...', or take it off with --remove-substance."
            )
            items.append(item)
            continue
        before = items[index]
        if item.lot is None and before.lot:
            item = replace(item, lot=before.lot, expiry=item.expiry or before.expiry)
            notes.append(
                f"session {session.id}: {item.name} keeps lot {before.lot} (no lot was typed); "
                "give LOT to change it."
            )
        if before.lot and item.lot and lot_key(before.lot) != lot_key(item.lot):
            notes.append(f"session {session.id}: {_lot_change(index + 1, before, item)}")
        items[index] = _retyped(before, item)
    kept = fresh_keys(session, [s for s in items if not any(s is g for g in gone)])
    if not kept:
        raise InvalidValue(
            "--remove-substance",
            ", ".join(removed),
            "a session keeps at least one product; void the session if none was given",
        )
    return kept, notes


def _retyped(before: Substance, item: Substance) -> Substance:
    """A product typed again in place of ``before``: the same product keeps its export key, and
    the category the chart recorded when this laptop's catalogue does not know the name (another
    laptop's catalogue did; re-typing a product never re-classifies it)."""
    if not _same_substance(before, item.name):
        return replace(item, export_key=None)
    category = item.category
    if category == vocab.UNCATALOGUED and vocab.normalize(before.name) == vocab.normalize(
        item.name
    ):
        category = before.category
    return replace(item, export_key=before.export_key, category=category)


def _lot_change(number: int, before: Substance, after: Substance) -> str:
    """What a replacement does to a recorded lot, in words true of it: the same product's lot
    corrected, or the product itself replaced by another (and so its lot with it)."""
    still = f"(`mesolog lot {before.lot}` still lists this session, as corrected)."
    if vocab.normalize(before.name) == vocab.normalize(after.name):
        return f"lot {before.lot} of {before.name} is corrected to {after.lot} {still}"
    return (
        f"product #{number} ({substance_text(before)}) is replaced by {after.name} "
        f"(lot {after.lot}) {still}"
    )


def _numbered(session: Session, number: int, option: str) -> int:
    """The index of product ``#number`` as the report numbers the session's products (a product
    typed earlier in the same command, added at the end, has no number yet); refused, listing
    them, for a number the session does not have."""
    if not 1 <= number <= len(session.substances):
        has = _listed(session.substances)
        raise InvalidValue(option, f"#{number}", f"session {session.id} has products {has}")
    return number - 1


def _substance_index(
    session: Session, items: list[Substance], name: str, lot: str | None, option: str
) -> int | None:
    """The product ``name`` (or ``lot``, or ``#N``) names; None for none; refused for several."""
    number = item_number(name)
    if number is not None:
        return _numbered(session, number, option)
    by_name = [i for i, s in enumerate(items) if _same_substance(s, name)]
    wanted = lot or name
    by_lot = [
        i for i, s in enumerate(items) if wanted and s.lot and lot_key(s.lot) == lot_key(wanted)
    ]
    if len(by_name) > 1 and lot:  # two lots of one product: the lot typed says which
        same_lot = [i for i in by_name if i in by_lot]
        by_name = same_lot or by_name
    found = list(dict.fromkeys(by_name or by_lot))
    if by_name and by_lot and set(by_lot) - set(by_name):
        found = list(dict.fromkeys([*by_name, *by_lot]))  # the name says one, the lot another
    return _one(found, items, f"products named {name!r}", option, session)


# --- complications ------------------------------------------------------------------------------


def complication_index(
    session: Session, name: str, option: str, words: vocab.Vocabulary = vocab.DEFAULT
) -> int:
    """The complication ``name`` (as typed, by meaning, or ``#N``) names in the session; refused
    listing them when none or several answer to it."""
    items = session.complications
    number = item_number(name)
    if number is not None:
        if not 1 <= number <= len(items):
            has = f"complications {_listed(items)}" if items else "no complications"
            raise InvalidValue(option, name, f"session {session.id} has {has}")
        return number - 1
    found = [i for i, c in enumerate(items) if same_complication(c.name, name, words)]
    if not found:
        has = ", ".join(c.name for c in items) or "none"
        raise InvalidValue(
            option, name, f"session {session.id} has no such complication (it has: {has})"
        )
    index = _one(found, items, f"complications named {name!r}", option, session)
    assert index is not None
    return index


def same_complication(charted: str, typed: str, words: vocab.Vocabulary) -> bool:
    """``typed`` names the charted complication: as typed, or by meaning (both known)."""
    if vocab.normalize(charted) == vocab.normalize(typed):
        return True
    a, b = words.complication(charted), words.complication(typed)
    return a.known and b.known and a.value == b.value


def without_complications(
    session: Session, names: Sequence[str], words: vocab.Vocabulary = vocab.DEFAULT
) -> Session:
    """``session`` without the complications named (as typed, by meaning: "haematoma" removes
    "bruising", or by number); one name removes one entry. A name the session does not have is
    refused naming those it has; one that two different entries answer to asks which."""
    for name in names:
        index = complication_index(session, name, "--remove-complication", words)
        kept = session.complications[:index] + session.complications[index + 1 :]
        session = replace(session, complications=kept)
    return session


# --- recall: the lots a correction took away ---------------------------------------------------


# A lot a session held until a correction took it away: the product as the trail wrote it then
# (name, amount, unit, lot), and the day (ISO) and reason of the amendment that did; the recall
# rows keep it as it is (questions.Corrected).
CorrectedLot = tuple[str, float, str, str, str, str]
Given = tuple[str, float, str, str]  # a product with a lot: name, amount, unit, lot


# One product as the trail writes it: "NAME AMOUNTunit[ lot LOT][ exp DATE]".
_TRAIL_ITEM = re.compile(
    r"^(?P<name>.+?) (?P<amount>\d[\d.e+-]*)(?P<unit>[A-Za-zµ]+) lot (?P<lot>.+?)"
    r"(?: exp \d{4}-\d{2}-\d{2})?$"
)


def corrected_lots(session: Session) -> list[CorrectedLot]:
    """Every lot the trail shows was taken away from this session (corrected to another lot,
    or its product taken off) and that the session does not hold now, with the amendment that
    did it: the patient may have received it, so a recall lists the session. Read from the
    trail's words ("substances: A 2ml lot X; ... -> ..."). A lot a merge conflict names is one
    too: either side of a settled conflict (the trail's "merge conflict on substances settled
    (...)"), and the other side of an open one, recorded on another machine."""
    held = {lot_key(s.lot) for s in session.substances if s.lot}
    found: dict[str, CorrectedLot] = {}
    for note in session.amendments:
        for change in note.changes:
            if settled := _SETTLED.fullmatch(change):
                day, why = note.at.date().isoformat(), f"merge conflict settled: {note.reason}"
                for name, amount, unit, lot in _conflict_products(session, *settled.groups()):
                    if lot_key(lot) not in held:
                        found.setdefault(lot_key(lot), (name, amount, unit, lot, day, why))
                continue
            if not change.startswith("substances: ") or " -> " not in change:
                continue
            before, _, after = change[len("substances: ") :].partition(" -> ")
            kept = {lot_key(item.group("lot")) for item in _trail_items(after)}
            for item in _trail_items(before):
                key = lot_key(item.group("lot"))
                if key in kept or key in held or key in found:
                    continue
                try:
                    amount = float(item.group("amount"))
                except ValueError:
                    continue  # not a product as the trail writes one
                name, unit, lot = item.group("name", "unit", "lot")
                found[key] = (name, amount, unit, lot, note.at.date().isoformat(), note.reason)
    # The other side of a conflict still open: recorded on another machine, so given maybe.
    for conflict in session.conflicts:
        for name, amount, unit, lot in _conflict_products(session, conflict.field, conflict.other):
            if lot_key(lot) not in held:
                found.setdefault(lot_key(lot), (name, amount, unit, lot, "", _OPEN))
    return list(found.values())


_OPEN = "recorded on another machine; the merge conflict is still open"
# The trail's line for a settled conflict (merging.settled): "merge conflict on F settled (A / B)".
_SETTLED = re.compile(r"merge conflict on (substances\S*) settled \((.*)\)", re.DOTALL)
_INLINE_TABLE = re.compile(r"\{[^{}]*\}")
_TOML_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def _conflict_products(session: Session, field: str, text: str) -> list[Given]:
    """The products with a lot that a merge conflict's values (TOML, as the chart writes them)
    name: whole lists for a conflict on ``substances``, lots alone for one on
    ``substances.N.lot`` (the product is then the session's product N)."""
    import tomllib

    def value(toml: str) -> object:
        try:
            return tomllib.loads(f"v = {toml}")["v"]
        except tomllib.TOMLDecodeError:
            return None

    if field == "substances":
        tables = (value(m.group()) for m in _INLINE_TABLE.finditer(text))
        # A hand-edited value may hold anything: a product is taken only as the chart writes one.
        return [
            (t["name"], float(t.get("amount", 0)), str(t.get("unit", "")), t["lot"])
            for t in tables
            if isinstance(t, dict)
            and isinstance(t.get("name"), str)
            and isinstance(t.get("lot"), str)
            and t["lot"]
            and isinstance(t.get("amount", 0), int | float)
            and not isinstance(t.get("amount", 0), bool)
        ]
    number = re.fullmatch(r"substances\.(\d+)\.lot", field)
    if not number or not 0 < int(number.group(1)) <= len(session.substances):
        return []
    product = session.substances[int(number.group(1)) - 1]
    lots = (value(m.group()) for m in _TOML_STRING.finditer(text))
    return [
        (product.name, product.amount, product.unit, lot)
        for lot in lots
        if isinstance(lot, str) and lot
    ]


def _trail_items(text: str) -> list[re.Match[str]]:
    """Each product with a lot of a trail's list ("A 2ml lot X; B 1ml")."""
    return [m for m in (_TRAIL_ITEM.match(part.strip()) for part in text.split("; ")) if m]
