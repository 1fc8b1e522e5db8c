"""Finding people: the search of ``patient list --search`` and the "did you mean" of an unknown
id, in one place. Text is compared folded: case and accents ignored (``Lena`` finds ``Léna``,
``JOSE`` finds ``José``), and every Latin letter read as it is typed on an English keyboard
(``lukasz`` finds ``Łukasz``, ``soren`` ``Søren``, ``weiss`` ``Weiß``)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from mesolog.model.folding import fold
from mesolog.model.progress import PatientSummary

MAX_SUGGESTIONS = 3
MIN_NAME_CHARS = 3


def matches(search: str, fields: Iterable[str | None]) -> bool:
    """Whether ``search`` appears in any of ``fields`` (id, name, phone, email, note...).

    A phone number matches however it is spaced: ``600000000`` finds ``+34 600 000 000``.
    """
    # Spaces left out of both: a text found as typed is found without its spaces too.
    compact = fold(search).replace(" ", "")
    return not compact or any(compact in fold(value).replace(" ", "") for value in fields if value)


def patient_matches(search: str, summary: PatientSummary) -> bool:
    """``patient list --search``: the id, name, phone, email or note holds the text."""
    s = summary
    return matches(search, (s.patient_id, s.name, s.phone, s.email, s.note))


# How many keystrokes a mistyped id may be from an id it is offered for: beyond two, an id of
# the same shape (Q-0143 for P-0213) is another patient, not a slip of the hand.
MAX_ID_EDITS = 2


def edits(a: str, b: str) -> int:
    """Keystrokes from ``a`` to ``b``: a character changed, added or removed, or two neighbours
    swapped, each one (the optimal string alignment distance)."""
    before: list[int] = []
    above = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        row = [i]
        for j, y in enumerate(b, 1):
            cost = min(above[j] + 1, row[j - 1] + 1, above[j - 1] + (x != y))
            if i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                cost = min(cost, before[j - 2] + 1)
            row.append(cost)
        before, above = above, row
    return above[-1]


def close_ids(word: str, people: Iterable[tuple[str, str | None]]) -> list[str]:
    """The ids of ``people`` at most ``MAX_ID_EDITS`` keystrokes from ``word`` (a mistyped id),
    closest first."""
    folded_ids = {fold(pid): pid for pid, _ in people}
    wanted = fold(word)
    near = {
        c: (n, difflib.SequenceMatcher(None, wanted, c).ratio())
        for c in folded_ids
        if abs(len(c) - len(wanted)) <= MAX_ID_EDITS and (n := edits(wanted, c)) <= MAX_ID_EDITS
    }
    close = sorted(near, key=lambda c: (near[c][0], -near[c][1]))[:MAX_SUGGESTIONS]
    # The closest id is always offered; more only when they also look alike (with numbered
    # ids, every P-0xxx is two keystrokes from many others).
    return [folded_ids[c] for n, c in enumerate(close) if n == 0 or near[c][1] >= 0.75]


def suggestions(word: str, people: Iterable[tuple[str, str | None]]) -> list[str]:
    """Who the practitioner may have meant by ``word``: close ids, then patients whose name
    matches (a word of it, a part of it, or a close spelling), as ``P-0003 (Lena Berg)``.

    A name is shown only when it is what matched: whoever typed "Lena" knows the name already,
    while a mistyped id must not put another patient's name on the screen. Names are looked at
    only from ``MIN_NAME_CHARS`` letters typed: one or two letters are in most names, so they
    would show other patients' names by chance."""
    known = list(people)
    names = {pid: name for pid, name in known}
    wanted = fold(word)
    found = close_ids(word, known)
    by_id = len(found)
    for pid, name in known:
        if not name or pid in found or len(wanted) < MIN_NAME_CHARS:
            continue
        folded = fold(name)
        words = folded.split()
        if (
            wanted in folded
            or difflib.get_close_matches(wanted, words, n=1, cutoff=0.75)
            or difflib.SequenceMatcher(None, wanted, folded).ratio() >= 0.75
        ):
            found.append(pid)
    return [
        f"{pid} ({names[pid]})" if n >= by_id else pid
        for n, pid in enumerate(found[:MAX_SUGGESTIONS])
    ]


def did_you_mean(word: str, people: Iterable[tuple[str, str | None]]) -> str:
    """``"; did you mean P-0003 (Lena Berg)?"``, or ``""`` when nobody comes close."""
    found = suggestions(word, people)
    if not found:
        return ""
    if len(found) == 1:
        return f"; did you mean {found[0]}?"
    return "; did you mean " + ", ".join(found[:-1]) + f" or {found[-1]}?"
