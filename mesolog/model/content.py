"""What a session records, as one key: the import's "already in the charts" (docs/import.md,
"How identity works") and the rule that names sessions recorded twice (docs/sharing.md, "One
session recorded twice"). One rule, one place, in a module light enough for `report` to load.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import astuple, fields

from mesolog.model import vocabulary as vocab
from mesolog.model.records import Session

# What a session records that says nothing of what was done, or that drafting fills in from
# the clinic when a row leaves it empty (so that it may differ from one import to the next):
# its number and uid, when and from where it was typed, who signed it, its course and
# indication (from the course or the last session), technique and anaesthetic (from the
# config), its trail, pictures, merge questions and status (a void after the import must not
# make the row new again). Of a product: its category and concentration (from the catalogue)
# and its expiry (from an earlier session with the same lot).
_NOT_CONTENT = ("id", "uid", "recorded", "source", "practitioner", "course", "indication",
                "technique", "anaesthetic", "amendments", "photos", "conflicts", "status")  # fmt: skip
_CONTENT = tuple(f.name for f in fields(Session) if f.name not in _NOT_CONTENT)


def content_key(patient_id: str, session: Session) -> str:
    """A stable hash of what ``session`` records for ``patient_id`` (see ``docs/import.md``)."""
    what = {
        name: getattr(session, name)
        for name in _CONTENT
        if name not in ("substances", "complications")
    }
    what["patient"] = patient_id.casefold()
    what["substances"] = [
        (vocab.normalize(s.name), s.amount, s.unit, s.lot) for s in session.substances
    ]
    what["complications"] = [astuple(c) for c in session.complications]
    text = json.dumps(what, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def keys_of(patient_id: str, sessions: Iterable[Session]) -> set[str]:
    """The content keys of a chart's sessions."""
    return {content_key(patient_id, session) for session in sessions}
