"""Finding people: the search of ``patient list --search`` and the "did you mean" of an unknown
id, in one place. Text is compared folded: case and accents ignored (``Lena`` finds ``Léna``,
``JOSE`` finds ``José``), and every Latin letter read as it is typed on an English keyboard
(``lukasz`` finds ``Łukasz``, ``soren`` ``Søren``, ``weiss`` ``Weiß``)."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable

from mesolog.model.progress import PatientSummary

MAX_SUGGESTIONS = 3


# The Latin letters Unicode does not decompose into a base letter and a mark (NFKD leaves them
# whole), as a person types them on an English keyboard. Lower case: folding comes first.
# (ß is casefold's own: "ss".)
_AS_TYPED = str.maketrans(
    {
        "ł": "l",
        "ø": "o",
        "æ": "ae",
        "œ": "oe",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "ı": "i",
        "ħ": "h",
        "ŧ": "t",
        "ĸ": "k",
        "ŋ": "n",
        "ƒ": "f",
        "ɨ": "i",
        "ʉ": "u",
        "ɛ": "e",
        "ɔ": "o",
        "ə": "e",
        "ƶ": "z",
        "ȥ": "z",
        "ɍ": "r",
        "ɏ": "y",
        "ꝁ": "k",
        "ƀ": "b",
        "ɓ": "b",
        "ɗ": "d",
        "ƙ": "k",
        "ƴ": "y",
    }
)


def fold(text: str) -> str:
    """Lower case, accents removed (Unicode NFKD, combining marks dropped), letters that do not
    decompose written as typed on an English keyboard (``_AS_TYPED``), single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().translate(_AS_TYPED).split())


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


def close_ids(word: str, people: Iterable[tuple[str, str | None]]) -> list[str]:
    """The ids of ``people`` close to ``word`` (a mistyped id), closest first."""
    folded_ids = {fold(pid): pid for pid, _ in people}
    wanted = fold(word)
    # The closest id as "did you mean" always offered it; more only when really close (with
    # numbered ids, every P-0xxx looks a little like every other).
    close = difflib.get_close_matches(wanted, list(folded_ids), n=MAX_SUGGESTIONS, cutoff=0.6)
    return [
        folded_ids[c]
        for n, c in enumerate(close)
        if n == 0 or difflib.SequenceMatcher(None, wanted, c).ratio() >= 0.75
    ]


def suggestions(word: str, people: Iterable[tuple[str, str | None]]) -> list[str]:
    """Who the practitioner may have meant by ``word``: close ids, then patients whose name
    matches (a word of it, a part of it, or a close spelling), as ``P-0003 (Lena Berg)``.

    A name is shown only when it is what matched: whoever typed "Lena" knows the name already,
    while a mistyped id must not put another patient's name on the screen."""
    known = list(people)
    names = {pid: name for pid, name in known}
    wanted = fold(word)
    found = close_ids(word, known)
    by_id = len(found)
    for pid, name in known:
        if not name or pid in found or not wanted:
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
