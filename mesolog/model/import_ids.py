"""Import's guard against typos in patient ids: an unknown id one keystroke away from a
patient's id (one character wrong, missing, extra, or two swapped; case and accents aside) may
be a typo, and a typo must never start a second chart. Nor must another program's numbering of
the same patient: an id that is a chart's with other zeros or separators (:func:`bare_id`), or
a new patient with a chart's name and birth year, is asked about too (``docs/import.md``).

Ids are indexed by their one-deletion variants, so each id is compared only with the few ids
that could be that close (thousands against thousands take milliseconds, not minutes), and ids
that only share a numbering pattern (``K-2001``, ``P-0010``) are not close.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from mesolog.model.folding import fold


def within_one(a: str, b: str) -> bool:
    """Whether ``b`` is ``a`` with one character changed, added, removed, or two neighbours
    swapped (and not ``a`` itself)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    start = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), len(a))
    if len(a) < len(b):
        return a[start:] == b[start + 1 :]
    if a[start + 1 :] == b[start + 1 :]:
        return True
    swapped = a[start : start + 2] == b[start : start + 2][::-1]
    return swapped and a[start + 2 :] == b[start + 2 :]


def _variants(key: str) -> set[str]:
    return {key} | {key[:i] + key[i + 1 :] for i in range(len(key))}


def numbering(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ only in their digits, in the same places (``K-2001``,
    ``K-2002``, ``K-2010``): how a file numbers its patients, not how a hand slips between two
    ids of one person."""
    if len(a) != len(b):
        return False
    return all(x == y or (x.isdigit() and y.isdigit()) for x, y in zip(a, b, strict=True))


class IdIndex(dict[str, list[tuple[str, str]]]):
    """Ids (folded, as given) by their one-deletion variants."""

    def add(self, patient_id: str) -> None:
        key = fold(patient_id)
        for variant in _variants(key):
            self.setdefault(variant, []).append((key, patient_id))

    def close_to(self, patient_id: str, renumbered: bool = True) -> list[str]:
        """The indexed ids one keystroke from ``patient_id``, in the order they were added;
        ``renumbered`` False leaves out ids that differ from it in their digits only."""
        key = fold(patient_id)
        candidates: dict[tuple[str, str], None] = {}
        for variant in _variants(key):
            candidates.update(dict.fromkeys(self.get(variant, ())))
        return [
            other
            for folded, other in candidates
            if within_one(key, folded) and (renumbered or not numbering(key, folded))
        ]


class NewPatient(NamedTuple):
    """A patient a file would create: its id, the row it starts on, and what tells it apart."""

    patient_id: str
    first_row: int
    name: str | None = None
    birth_year: int | None = None


def told_apart(a: NewPatient, b: NewPatient) -> bool:
    """Two close ids are two people when the file names them differently, or gives different
    birth years."""
    if a.name and b.name and fold(a.name) != fold(b.name):
        return True
    return bool(a.birth_year and b.birth_year and a.birth_year != b.birth_year)


def close_new_ids(new: Sequence[NewPatient]) -> list[str]:
    """New patients of one file whose ids are one keystroke apart, unless the file tells them
    apart; one line per id (its closest earlier id). The file's own numbering (ids apart in
    their digits only) is not a typo: the file chose both ids."""
    index, found = IdIndex(), []
    by_id: dict[str, NewPatient] = {}
    for this in new:
        for close in index.close_to(this.patient_id, renumbered=False):
            other = by_id[close]
            if not told_apart(this, other):
                found.append(
                    f"{other.patient_id} (row {other.first_row}) and {this.patient_id} "
                    f"(row {this.first_row}): one may be a typo of the other"
                )
                break
        index.add(this.patient_id)
        by_id[this.patient_id] = this
    return found


class TypoCheck:
    """An unknown id close to an existing patient's is refused: a typo must never start a
    second chart. The ids the practitioner named with ``--new-patient`` start their chart all
    the same, and so does an id the file names as someone else than every close patient."""

    def __init__(
        self,
        people: Callable[[], Sequence[tuple[str, str | None]]],
        new_ids: set[str],
        birth_year: Callable[[str], int | None] | None = None,
    ) -> None:
        self._people = people
        self._birth_year = birth_year or (lambda _: None)
        self._index: IdIndex | None = None
        self._bare: dict[str, list[str]] = {}
        self._named: dict[str, list[str]] = {}  # folded name -> the ids of that name
        self._order: dict[str, int] = {}  # each id's place in the clinic's list
        self._names: dict[str, str | None] = {}
        self.new_ids = new_ids
        self.told_apart: list[str] = []
        self.close_to_existing: list[str] = []

    def _close(self, patient_id: str) -> list[str]:
        """The clinic's ids close to ``patient_id``; the clinic is read once, and only when a
        row names an unknown id."""
        if self._index is None:
            known = self._people()
            self._names = dict(known)
            self._index = IdIndex()
            for known_id, _ in known:
                self._index.add(known_id)
                self._bare.setdefault(bare_id(known_id), []).append(known_id)
            for n, (known_id, known_name) in enumerate(known):
                self._order[known_id] = n
                if known_name:
                    self._named.setdefault(fold(known_name), []).append(known_id)
        close = self._index.close_to(patient_id)
        close += [i for i in self._bare.get(bare_id(patient_id), ()) if i not in close]
        # In the clinic's order, the same on every run (the index's variants are a set).
        return sorted(close, key=self._order.__getitem__)

    def refusal(
        self, patient_id: str, name: str | None, first_row: int, born: int | None = None
    ) -> str:
        """Why rows naming ``patient_id`` (unknown to the clinic) are refused, or ""."""
        if patient_id.casefold() in self.new_ids:
            return ""
        close = self._close(patient_id)
        if not close:
            return self._namesake(patient_id, name, born)
        if name and all((known := self._names.get(c)) and fold(known) != fold(name) for c in close):
            # Numbered ids are often one keystroke apart (P-0043, P-0042): when the file names
            # the patient and every close patient is named otherwise, they are different people;
            # the plan still lists the pair, to be looked at.
            self.told_apart.append(
                f"{patient_id} (row {first_row}) and the clinic's {', '.join(close)}: named differently"
            )
            return self._namesake(patient_id, name, born)
        if patient_id not in self.close_to_existing:
            self.close_to_existing.append(patient_id)
        hint = _either(close)
        return (
            f"no patient {patient_id!r} in the clinic; did you mean {hint}? If {patient_id} is "
            f"a new patient, add --new-patient {patient_id}."
        )

    def _namesake(self, patient_id: str, name: str | None, born: int | None) -> str:
        """Why a new id is refused when the clinic holds a chart of the same name (folded) and
        birth year: the same person under another numbering (``P-0042``, ``ANA-RUIZ``), whose
        sessions belong in that chart. Birth years are compared when both give one; a name
        with no year on one side is asked about too (``--new-patient`` says it is someone
        else)."""
        if not name:
            return ""
        self._close(patient_id)  # the clinic's names, read once
        same = [
            known_id
            for known_id in self._named.get(fold(name), ())
            if _same_year(born, self._birth_year(known_id))
        ]
        if not same:
            return ""
        if patient_id not in self.close_to_existing:
            self.close_to_existing.append(patient_id)
        hint = _either(same)
        return (
            f"no patient {patient_id!r} in the clinic, but {hint} has the same name and birth "
            f"year; did you mean {hint}? If {patient_id} is a new patient, add --new-patient "
            f"{patient_id}."
        )


def _same_year(a: int | None, b: int | None) -> bool:
    """Birth years that do not tell two people apart: equal, or one of them not known."""
    return a is None or b is None or a == b


def bare_id(patient_id: str) -> str:
    """An id as any numbering writes it: folded, letters and digits only, a number without its
    leading zeros. ``P-0042``, ``P42`` and ``p-42`` are one bare id: two keystrokes or more
    apart, but one patient (``add`` offers ``P-42`` for ``P-0042`` too)."""
    import re

    kept = re.sub(r"[\W_]", "", fold(patient_id))
    return re.sub(r"(?<![0-9])0+(?=[0-9])", "", kept)


def _either(ids: list[str]) -> str:
    """ "P-1", "P-1 or P-2", "P-1, P-2 or P-3": the ids a "did you mean" offers."""
    return ids[0] if len(ids) == 1 else ", ".join(ids[:-1]) + f" or {ids[-1]}"
