"""The stable keys of what a session holds, for exports a receiver updates by id.

A substance is keyed by what was given (its name, by meaning) and a complication by what
happened (its name): a correction of a lot, an amount, a severity or an outcome keeps the key;
a different product or event is a different key. The n-th entry of one name in a session is
``name#n`` (two vials of one product stay two). Keys need no field in the chart, so every chart
already written has them, and two machines reading one chart agree (docs/exports.md).

Keys that a session held once and holds no more are read back from its correction trail (each
amendment writes the old list): an export can then tell a receiver to delete them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from mesolog.model import vocabulary as vocab
from mesolog.model.records import Patient, Session


@dataclass(frozen=True)
class ExportKeys:
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


# "HA 2ml lot A17 exp 2027-01-31", as the trail writes a substance (amendments.substance_text).
_SUBSTANCE = re.compile(
    r"^(?P<name>.+?) [-+]?\d[\d.]*(?:e[-+]?\d+)?[^\s\d]\S*(?: lot .*?)?(?: exp \d{4}-\d{2}-\d{2})?$"
)
# "bruising mild onset 2026-01-02", as the trail writes a complication.
_COMPLICATION = re.compile(r"^(?P<name>.+?) (?:mild|moderate|severe|severity not recorded)(?: .*)?$")
_ADDED = re.compile(r"^added (?P<name>.+) \([^()]*\)$")


def keyed(names: Iterable[str]) -> list[str]:
    """``name#n`` for each name in order: the n-th of that name (by meaning) in its list."""
    seen: dict[str, int] = {}
    keys = []
    for name in names:
        base = vocab.normalize(name)
        seen[base] = seen.get(base, 0) + 1
        keys.append(f"{base}#{seen[base]}")
    return keys


def substance_keys(session: Session) -> list[str]:
    return keyed(s.name for s in session.substances)


def complication_keys(session: Session) -> list[str]:
    return keyed(c.name for c in session.complications)


def _old_side(change: str, field: str) -> str | None:
    prefix = f"{field}: "
    if not change.startswith(prefix) or " -> " not in change:
        return None
    return change[len(prefix) :].split(" -> ", 1)[0]


def _names(items: list[str], pattern: re.Pattern[str]) -> list[str]:
    names = []
    for item in items:
        found = pattern.match(item.strip())
        if found:
            names.append(found.group("name"))
    return names


def former_keys(session: Session) -> tuple[set[str], set[str], set[str]]:
    """Substance, complication and measurement keys the session held before a correction
    (every one its trail names), whether or not it holds them still."""
    substances: set[str] = set()
    complications: set[str] = set()
    measurements: set[str] = set()
    for note in session.amendments:
        for change in note.changes:
            old = _old_side(change, "substances")
            if old is not None and old != "(none)":
                substances.update(keyed(_names(old.split("; "), _SUBSTANCE)))
            if change.startswith("complications: "):
                said = change.removeprefix("complications: ")
                side = said.removeprefix("removed ").split(" -> ", 1)[0]
                added = _ADDED.match(said)
                names = [added.group("name")] if added else _names([side], _COMPLICATION)
                # A name is keyed as the first of its name: enough for a receiver to drop an
                # event removed; a second of one name is rare and its key stays meanwhile.
                complications.update(keyed(names))
            if change.startswith("measurements.") and ":" in change:
                measurements.add(change.removeprefix("measurements.").split(":", 1)[0])
    return substances, complications, measurements
