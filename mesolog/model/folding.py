"""Text folded for comparing as a person types it: one rule, used by the search of ``patient
list --search``, the "did you mean" of an unknown id, and the import's header and name matching
(so an import and a search never disagree on whether "Soren" is "Søren")."""

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
