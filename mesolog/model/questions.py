"""The questions a clinic asks across patients: which sessions match, who got a lot, how often
complications follow each technique, substance or depth. Pure functions of session rows: the
summary cache stores the rows and asks these same functions, so there is one answer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, replace
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, NamedTuple

from mesolog.model import vocabulary as vocab
from mesolog.model.values import lot_key

if TYPE_CHECKING:
    from mesolog.model.records import Chart

# --- across patients --------------------------------------------------------------------------

Given = tuple[str, float, str, "str | None"]  # substance name, amount, unit, lot
# A lot a correction took away from the session: the product as given then, when and why.
Corrected = tuple[str, float, str, str, str, str]  # name, amount, unit, lot, date (ISO), reason


@dataclass(frozen=True)
class SessionRow:
    """One session, flattened for the clinic-wide questions (find, lot, stats)."""

    patient_id: str
    session: int
    date: date
    status: str
    technique: str
    depth_mm: float
    anaesthetic: str
    practitioner: str
    indication: str | None
    course: str | None
    method: str | None
    areas: tuple[str, ...]
    substances: tuple[Given, ...]
    complications: tuple[tuple[str, str], ...]  # name, severity as shown (severity_text)
    zones: tuple[str, ...] = ()  # "area/zone" as typed
    corrected: tuple[Corrected, ...] = ()  # lots corrected away (model.corrections)


# The fields a row holds as its session charts them, by the same name: all but the chart's,
# the session's number and what is flattened.
_FLATTENED = ("patient_id", "session", "substances", "complications", "zones", "corrected")
AS_CHARTED = tuple(f.name for f in fields(SessionRow) if f.name not in _FLATTENED)


def session_rows(chart: Chart) -> list[SessionRow]:
    from mesolog.model.amendments import severity_text
    from mesolog.model.corrections import corrected_lots

    return [
        SessionRow(
            patient_id=chart.patient.id,
            session=s.id,
            **{name: getattr(s, name) for name in AS_CHARTED},
            substances=tuple((x.name, x.amount, x.unit, x.lot) for x in s.substances),
            complications=tuple((c.name, severity_text(c.severity)) for c in s.complications),
            zones=tuple(f"{z.area}/{z.zone}" for z in s.zones),
            corrected=tuple(corrected_lots(s)) if s.amendments or s.conflicts else (),
        )
        for s in chart.sessions
    ]


def _word_match(query: str, value: str) -> bool:
    """A substance search: the word itself, part of the name, or the same meaning ("deoxycholate"
    finds "DCA")."""
    query, value = vocab.normalize(query), vocab.normalize(value)
    return (
        query == value
        or query in value.split()
        or value.startswith(query + " ")
        or query == vocab.substance_base(value)
        or vocab.substance_meaning(query) == vocab.substance_meaning(value)
    )


def same_zone(query: str, typed: str) -> bool:
    """A zone searched for ("scalp/crown", or "vertex" in any area) matches a recorded one by
    meaning (see ``model.zones``)."""
    from mesolog.model.zones import zone_meaning

    wanted, found = zone_meaning(query), zone_meaning(typed)
    return wanted == found if "/" in query else wanted[1] == found[1]


def same_meaning(kind: str, query: str, value: str | None) -> bool:
    """An area, indication or complication typed one way matches the same thing typed another."""
    return value is not None and vocab.meaning(kind, query) == vocab.meaning(kind, value)


@dataclass(frozen=True)
class SessionQuery:
    """What ``mesolog find`` asks; every given part must match."""

    substance: str | None = None
    area: str | None = None
    complication: str | None = None
    technique: str | None = None
    practitioner: str | None = None
    indication: str | None = None
    lot: str | None = None
    zone: str | None = None  # "AREA/ZONE" or a zone of any area ("vertex")
    since: date | None = None
    until: date | None = None
    include_voided: bool = False

    def matches(self, row: SessionRow) -> bool:
        return _plain_fields_match(self, row) and self._lists_match(*_lists_of(row))

    def may_match(self, gathered: Gathered) -> bool:
        """Whether some session of a chart whose sessions are ``gathered`` can match. A chart
        that fails holds no session that matches (the summary cache reads no further); one that
        passes is asked row by row."""
        if gathered.first is None or gathered.last is None:
            return False  # no session at all
        if (self.since and gathered.last < self.since) or (
            self.until and gathered.first > self.until
        ):
            return False
        return self._lists_match(*gathered[:5])

    def takes_every(self, gathered: Gathered) -> bool:
        """Whether every session of a chart whose sessions are ``gathered`` matches, voided ones
        aside: nothing but a date window is asked, and the chart's sessions all lie in it."""
        if replace(self, since=None, until=None, include_voided=False) != SessionQuery():
            return False
        if gathered.first is None or gathered.last is None:
            return True
        return not (
            (self.since and gathered.first < self.since)
            or (self.until and gathered.last > self.until)
        )

    def _lists_match(
        self,
        substances: Iterable[str],
        areas: Iterable[str],
        complications: Iterable[str],
        lots: Iterable[str],
        zones: Iterable[str],
    ) -> bool:
        """The many-valued parts: for each one asked about, some item must match."""
        if not (self.substance or self.area or self.complication or self.lot or self.zone):
            return True
        asked: list[tuple[str | None, Iterable[str], Callable[[str, str], bool]]] = [
            (self.substance or None, substances, _word_match),
            (self.area or None, areas, partial(same_meaning, "area")),
            (self.complication or None, complications, partial(same_meaning, "complication")),
            (lot_key(self.lot) if self.lot else None, lots, lambda key, lot: lot_key(lot) == key),
            (self.zone or None, zones, same_zone),
        ]
        return all(
            any(test(wanted, v) for v in values)
            for wanted, values, test in asked
            if wanted is not None
        )


def _lists_of(row: SessionRow) -> tuple[Iterable[str], ...]:
    """The substance names, areas, complications, lots and zones of a session, each read once.
    Its lots are those it holds and those a correction took away from it (a recall lists a
    session that may have received a lot: docs/corrections.md)."""
    return (
        (name for name, *_ in row.substances),
        row.areas,
        (name for name, _ in row.complications),
        (*(lot for *_, lot in row.substances if lot), *(c[3] for c in row.corrected)),
        row.zones,
    )


class Gathered(NamedTuple):
    """The substance names, areas, complications, lots and zones of some sessions, each once,
    and the first and last of their dates."""

    substances: tuple[str, ...]
    areas: tuple[str, ...]
    complications: tuple[str, ...]
    lots: tuple[str, ...]
    zones: tuple[str, ...]
    first: date | None
    last: date | None

    @staticmethod
    def of(rows: list[SessionRow]) -> Gathered:
        parts: tuple[dict[str, None], ...] = ({}, {}, {}, {}, {})
        for row in rows:
            for part, values in zip(parts, _lists_of(row), strict=True):
                part.update(dict.fromkeys(values))
        substances, areas, complications, lots, zones = (tuple(part) for part in parts)
        dates = [row.date for row in rows]
        first, last = min(dates, default=None), max(dates, default=None)
        return Gathered(substances, areas, complications, lots, zones, first, last)


def _plain_fields_match(query: SessionQuery, row: SessionRow) -> bool:
    """The one-valued fields: status, date window, technique, practitioner, indication."""
    if row.status == "voided" and not query.include_voided:
        return False
    if (query.since and row.date < query.since) or (query.until and row.date > query.until):
        return False
    if query.technique and row.technique != query.technique:
        return False
    if query.practitioner and vocab.normalize(query.practitioner) not in vocab.normalize(
        row.practitioner
    ):
        return False
    return not query.indication or same_meaning("indication", query.indication, row.indication)


STATS_BY = ("substance", "technique", "depth", "anaesthetic", "area", "practitioner", "method")
SMALL_GROUP = 5  # under this many sessions a rate is not worth comparing
DEPTH_BANDS = (
    (1.0, "under 1 mm"),
    (2.0, "1-2 mm"),
    (4.0, "2-4 mm"),
    (6.0, "4-6 mm"),
    (13.0, "6-13 mm"),
)


NOT_RECORDED = "(not recorded)"


def _groups(row: SessionRow, by: str) -> tuple[str, ...]:
    """The stats groups of a session: a substance, area or complication by its catalogue name
    ("DCA" and "deoxycholate" are one group), a depth by its band, the rest as charted."""
    if by == "substance":
        return tuple(dict.fromkeys(vocab.substance_meaning(n) or n for n, *_ in row.substances))
    if by == "area":
        return tuple(dict.fromkeys(vocab.meaning("area", a) or a for a in row.areas))
    if by == "depth":
        return (next(label for top, label in DEPTH_BANDS if row.depth_mm < top or top == 13.0),)
    value = getattr(row, by)
    return (value or NOT_RECORDED,)


class GroupStats(NamedTuple):
    """One group of `stats`: sessions, patients, and how many had complications."""

    group: str
    sessions: int
    patients: int
    with_complications: int
    top: tuple[tuple[str, int], ...]

    @property
    def rate(self) -> float:
        return self.with_complications / self.sessions if self.sessions else 0.0

    @property
    def too_small(self) -> bool:
        return self.sessions < SMALL_GROUP


def top_three(counts: Counter[str]) -> tuple[tuple[str, int], ...]:
    """The three most frequent, ties by name (the same answer in any order of counting)."""
    return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:3])


# One patient's part of the statistics by one kind of group: per group, (sessions, sessions
# with a complication, how often each complication came). Parts add up (see ``combined``), so
# the summary cache keeps one per chart and never counts anything itself.
Tally = dict[str, tuple[int, int, Counter[str]]]


def tallies(
    rows: Iterable[SessionRow], kinds_of_group: Iterable[str] = STATS_BY
) -> dict[str, Tally]:
    """One patient's tally by each kind of group (``by``), in one pass over the sessions."""
    out: dict[str, Tally] = {by: {} for by in kinds_of_group}
    for row in rows:
        if row.status == "voided":
            continue
        kinds = {vocab.meaning("complication", name) or name for name, _ in row.complications}
        for by, part in out.items():
            for group in _groups(row, by):
                sessions, affected, counts = part.get(group) or (0, 0, Counter())
                if kinds:
                    counts.update(kinds)
                part[group] = (sessions + 1, affected + bool(kinds), counts)
    return out


def combined(parts: Iterable[tuple[str, Tally]]) -> list[GroupStats]:
    """Each group's statistics from the (patient id, tally) of each patient."""
    sessions: Counter[str] = Counter()
    patients: dict[str, set[str]] = {}
    affected: Counter[str] = Counter()
    kinds: dict[str, Counter[str]] = {}
    for patient_id, part in parts:
        for group, (n, hit, counts) in part.items():
            sessions[group] += n
            patients.setdefault(group, set()).add(patient_id)
            affected[group] += hit
            kinds.setdefault(group, Counter()).update(counts)
    out = [
        GroupStats(g, n, len(patients[g]), affected[g], top_three(kinds[g]))
        for g, n in sessions.items()
    ]
    return sorted(out, key=lambda s: (-s.sessions, s.group))


def complication_stats(
    rows: Iterable[SessionRow], by: str, counted: Iterable[tuple[str, Tally]] = ()
) -> list[GroupStats]:
    """Sessions, patients and complication rate per group; a session counts in every group it
    belongs to (a session with two substances counts for both). ``counted``: the (patient id,
    tally) of patients already counted, whose sessions are not among ``rows``."""
    per_patient: dict[str, list[SessionRow]] = {}
    for row in rows:
        per_patient.setdefault(row.patient_id, []).append(row)
    return combined(
        [*counted, *((pid, tallies(own, [by])[by]) for pid, own in per_patient.items())]
    )


# --- recall: who received a lot, and how to reach them -----------------------------------------


class Contact(NamedTuple):
    """How to reach a patient (for a recall): name, phone, email, as charted."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None


# One administration of a lot: the session, the product, and "" or what corrected it away.
Administered = tuple[SessionRow, Given, str]


class LotPatient(NamedTuple):
    """One patient who received a lot: contacts, and each administration (session, substance)."""

    patient_id: str
    contact: Contact
    sessions: tuple[SessionRow, ...]
    given: tuple[Administered, ...]


def lot_patients(
    lot: str, rows: list[SessionRow], contacts: dict[str, Contact]
) -> list[LotPatient]:
    """The sessions that received ``lot``, grouped per patient in order of first use; a session
    whose lot was corrected away from ``lot`` is one of them (the patient may have received
    it), its administration marked with the correction's date and reason."""
    key = lot_key(lot)
    grouped: dict[str, list[Administered]] = {}
    for row in sorted(rows, key=lambda r: (r.date, r.patient_id, r.session)):
        for item in row.substances:
            if item[3] and lot_key(item[3]) == key:
                grouped.setdefault(row.patient_id, []).append((row, item, ""))
        for name, amount, unit, was, day, reason in row.corrected:
            if lot_key(was) == key:
                note = f"corrected away on {day}: {reason}" if day else reason
                grouped.setdefault(row.patient_id, []).append(
                    (row, (name, amount, unit, was), note)
                )
    return [
        LotPatient(
            pid,
            contacts.get(pid, Contact()),
            tuple(dict.fromkeys(row for row, _, _ in given)),
            tuple(given),
        )
        for pid, given in grouped.items()
    ]


def close_lots(lot: str, known: list[str]) -> list[str]:
    """Lots that exist and look like ``lot`` (a typo, a missing digit), for "did you mean"."""
    import difflib

    keys: dict[str, str] = {}
    for name in known:
        keys.setdefault(lot_key(name), name)
    wanted = lot_key(lot)
    found = difflib.get_close_matches(wanted, list(keys), n=3, cutoff=0.6)
    found += [k for k in keys if wanted and wanted in k and k not in found]
    return [keys[k] for k in found[:3]]
