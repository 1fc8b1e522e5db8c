"""Sessions that look recorded twice: the same CSV imported on two laptops before they synced,
or one session typed by two practitioners on their own laptops. The merge keeps both (sessions
are a union by uid, and each laptop made its own uids); nothing is voided for the practitioner,
since two real sessions can look alike, but `check`, `sync` and `report` say so
(docs/sharing.md, "One session recorded twice").

"Look alike" is the import's own rule for "already in the charts" (:func:`content_key`): one
rule, one place, so a session the import would leave out as already there is a session these
commands name as recorded twice.
"""

from __future__ import annotations

from typing import NamedTuple

from mesolog.model.content import content_key
from mesolog.model.records import Chart, Session


class RecordedTwice(NamedTuple):
    """Two active sessions of one chart that record the same thing: ``first`` is the one that
    comes first in the chart, ``second`` the one the advice voids."""

    first: Session
    second: Session

    def sentence(self, patient_id: str) -> str:
        """One line: both session numbers, and the command that voids the second."""
        return (
            f"sessions {self.first.id} and {self.second.id} of {patient_id} look like one session "
            f"recorded twice (same date {self.first.date.isoformat()}, same products, amounts, "
            f"lots and areas): if so, void one with `mesolog void {patient_id} {self.second.id} "
            '--reason "recorded twice"`'
        )


def recorded_twice(chart: Chart) -> list[RecordedTwice]:
    """Each pair of active sessions of ``chart`` that look like the same session, in the
    chart's order; three alike make two pairs, each with the first of them."""
    first_with: dict[str, Session] = {}
    pairs: list[RecordedTwice] = []
    patient_id = str(chart.patient.id)
    for session in chart.sessions:
        if session.voided:
            continue
        key = content_key(patient_id, session)
        if key in first_with:
            pairs.append(RecordedTwice(first_with[key], session))
        else:
            first_with[key] = session
    return pairs


def made_since(before: Chart | None, after: Chart) -> list[RecordedTwice]:
    """The pairs of ``after`` that ``before`` (the same chart earlier, or None when it was not
    there) did not hold, known by their sessions' uids: what a merge made, not old ones."""
    old = {_uids(p) for p in recorded_twice(before)} if before else set()
    return [p for p in recorded_twice(after) if _uids(p) not in old]


def _uids(pair: RecordedTwice) -> frozenset[str]:
    # Unordered: a merge may renumber sessions, and so reorder a pair.
    return frozenset((str(pair.first.uid), str(pair.second.uid)))
