"""The stable keys of what a session holds, for exports a receiver updates by id.

A substance is keyed by what was given and a complication by what happened (its name): a
correction of a lot, an amount, a severity or an outcome keeps the key; a different product or
event is a different key. The n-th entry of one name in a session is ``name#n`` (two vials of
one product stay two): every chart already written has these keys without a field for them, and
two machines reading one chart agree (docs/exports.md).

A place in a list moves when an entry before it is taken off, so the first correction of a
session's products writes each product's key in the chart (``Substance.export_key``), and every
later correction carries it: a product taken off leaves the others' keys where they were, a
name corrected to the same meaning keeps its key, and a product added gets a key no entry of
the session ever had (:func:`fresh_keys`).

Keys that a session held once and holds no more are read back from its correction trail (each
amendment writes the old list): an export can then tell a receiver to delete them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import NamedTuple

from mesolog.model import vocabulary as vocab
from mesolog.model.records import Patient, Session, Substance


class ExportKeys(NamedTuple):
    """What export ids derive from: the clinic's uuid (its namespace, restored with a JSON
    export) and its secret (kept in the data folder, never exported), so no one can recompute
    an id from a patient number (docs/exports.md)."""

    clinic_id: str
    secret: str

    def patient_key(self, patient: Patient) -> str:
        """The patient's stored key (a restored JSON export), else one made with the secret."""
        if patient.uid:
            return patient.uid
        import hashlib
        import hmac

        digest = hmac.new(self.secret.encode(), patient.id.encode(), hashlib.sha256)
        return digest.hexdigest()[:32]


# How the trail writes a substance (amendments.substance_text: "HA 2ml lot A17 exp 2027-01-31",
# "; " between them) and a complication (amendments.complication_text: "bruising mild onset
# 2026-11-03"). Names and lots are free text (they may hold "; ", " -> ", digits), so reading a
# trail back can be ambiguous: every reading is taken (see :func:`_places`).
_UNITS = "|".join(re.escape(unit) for unit in sorted(vocab.UNITS, key=len, reverse=True))
_AMOUNT = re.compile(rf" [-+]?\d[\d.]*(?:e[-+]?\d+)?(?:{_UNITS})")
_AFTER_AMOUNT = re.compile(r"(?: lot .*?)?(?: exp \d{4}-\d{2}-\d{2})?", re.S)
_SEVERITY = re.compile(r" (?:mild|moderate|severe|severity not recorded)(?= |$)")
_ADDED = re.compile(r"^added (?P<name>.+) \([^()]*\)$", re.S)
# A trail's list longer than this many "; " pieces is read one reading per piece only.
_PIECES = 60


def key_word(name: str) -> str:
    """A name as its key spells it: lower case, single spaces, é, è and ö unaccented. Frozen at
    the rule the first exports used, not the vocabulary's fold (which may learn more letters):
    an id a receiver holds must never move, or it would keep the old record beside the new."""
    text = " ".join(name.strip().lower().split())
    return text.replace("é", "e").replace("è", "e").replace("ö", "o")


def keyed(names: Iterable[str]) -> list[str]:
    """``name#n`` for each name in order: the n-th of that name (by meaning) in its list."""
    seen: dict[str, int] = {}
    keys = []
    for name in names:
        base = key_word(name)
        seen[base] = seen.get(base, 0) + 1
        keys.append(f"{base}#{seen[base]}")
    return keys


def substance_keys(session: Session) -> list[str]:
    """Each product's key: the one written in the chart, else its place by name (a session no
    correction touched since keys were written; such a place skips the keys written)."""
    items = session.substances
    # The common case (a session no correction touched): exactly the keys of every export.
    if not any(item.export_key for item in items):
        return keyed(item.name for item in items)
    written = {item.export_key for item in items if item.export_key}
    seen: dict[str, int] = {}
    keys: list[str] = []
    for item in items:
        if item.export_key and item.export_key not in keys:
            keys.append(item.export_key)
            continue
        base = key_word(item.name)
        n = seen.get(base, 0) + 1
        while f"{base}#{n}" in written or f"{base}#{n}" in keys:
            n += 1
        seen[base] = n
        keys.append(f"{base}#{n}")
    return keys


def with_keys(session: Session) -> list[Substance]:
    """The session's products, each with its key written in (what a correction starts from)."""
    return [
        replace(s, export_key=k)
        for s, k in zip(session.substances, substance_keys(session), strict=True)
    ]


def fresh_keys(session: Session, items: Sequence[Substance]) -> tuple[Substance, ...]:
    """``items`` (the session's products as a correction leaves them), each product added by it
    (no key yet) given a key no entry of the session has ever had: ``name#n`` past every place
    its trail may name (:func:`former_keys` reads the same count back, so once the product is
    taken off, its key is among those a receiver is told to delete).

    Why that holds: each correction of the products writes the old list out, so the places
    the trail names for a name plus the entries of that name held never fall; a key given
    here is at most that count once the correction is written, and :func:`_places` reads
    every place up to it."""
    mentioned: list[str] = []
    for note in session.amendments:
        for change in note.changes:
            for old in _old_sides(change, "substances"):
                mentioned += _substance_names(old)
    bound = Counter(key_word(name) for name in mentioned)
    bound.update(key_word(s.name) for s in session.substances)
    taken = {s.export_key for s in items if s.export_key} | set(substance_keys(session))
    keyed_items = []
    for item in items:
        if item.export_key is None:
            base = key_word(item.name)
            n = bound[base] + 1
            while f"{base}#{n}" in taken:
                n += 1
            item = replace(item, export_key=f"{base}#{n}")
            taken.add(item.export_key or "")
            bound[base] = n
        keyed_items.append(item)
    return tuple(keyed_items)


def complication_keys(session: Session) -> list[str]:
    return keyed(c.name for c in session.complications)


def _old_sides(change: str, field: str) -> list[str]:
    """Every reading of what "FIELD: old -> new" says was there before (old may hold " -> ")."""
    prefix = f"{field}: "
    if not change.startswith(prefix):
        return []
    said = change[len(prefix) :]
    return [said[: m.start()] for m in re.finditer(" -> ", said)]


def _substance_names(old: str) -> list[str]:
    """Every name a substance of this trail list may have had: each run of "; "-pieces that
    reads as one item, at each amount in it that the rest of the run can follow."""
    pieces = old.split("; ")
    names = []
    for i in range(len(pieces)):
        for j in range(i + 1, min(len(pieces), i + _PIECES) + 1):
            item = "; ".join(pieces[i:j])
            for amount in _AMOUNT.finditer(item):
                if amount.start() and _AFTER_AMOUNT.fullmatch(item, amount.end()):
                    names.append(item[: amount.start()])
    return names


def _complication_names(text: str) -> list[str]:
    """Every name a complication written "NAME SEVERITY[ details]" may have had."""
    return [text[: m.start()] for m in _SEVERITY.finditer(text) if m.start()]


def former_keys(session: Session) -> tuple[set[str], set[str], set[str]]:
    """Substance, complication and measurement keys the session may have held before a
    correction (every one its trail names), whether or not it holds them still. A key too many
    is harmless (a receiver deletes an id it never held); one too few would leave a record
    behind."""
    given: list[str] = []  # substances the trail names, one entry per mention
    named: list[str] = []  # complications the trail names, one entry per mention
    measurements: set[str] = set()
    for note in session.amendments:
        for change in note.changes:
            for old in _old_sides(change, "substances"):
                given += _substance_names(old)
            if change.startswith("complications: "):
                said = change.removeprefix("complications: ")
                added = _ADDED.match(said)
                if added:
                    named.append(added.group("name"))
                elif said.startswith("removed "):
                    named += _complication_names(said.removeprefix("removed "))
                for old in _old_sides(change, "complications"):
                    named += _complication_names(old)
            if change.startswith("measurements.") and ":" in change:
                measurements.add(change.removeprefix("measurements.").split(":", 1)[0])
    substances = _places(given, [s.name for s in session.substances])
    complications = _places(named, [c.name for c in session.complications])
    return substances, complications, measurements


def _places(mentioned: list[str], held: list[str]) -> set[str]:
    """Every key a name the trail mentions may have had: the n-th of a name may have been any
    place up to its mentions (every reading of every change) and what the session holds now.
    Too many is harmless (a receiver deletes an id it never held); too few would leave a record
    behind."""
    now = Counter(key_word(name) for name in held)
    times = Counter(key_word(name) for name in mentioned)
    return {f"{base}#{n}" for base, count in times.items() for n in range(1, count + now[base] + 1)}
