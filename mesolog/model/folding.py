"""Text folded for comparing as a person types it: one rule, used by the search of ``patient
list --search``, the "did you mean" of an unknown id, and the import's header and name matching
(so an import and a search never disagree on whether "Soren" is "Søren"); and how many
keystrokes apart two texts are (the "did you mean" of an id, import's guard against typos)."""

from __future__ import annotations

import unicodedata

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
