"""The injection map as data: named zones per area, and where in an area a session went, with
how many points and how much product (see docs/photos.md, "The injection map").

A zone is typed ``AREA/ZONE[:POINTS][:AMOUNT]`` (``scalp/vertex:40:1.5``, ``"face/cheek
left:12:0.5ml"``). The area is matched by meaning like every area (``hair/crown`` is the
scalp's vertex); the zone must be one of the catalogue's for that area, or one the clinic added
in its config (``zones = ["scalp/parietal left"]``). The record keeps what was typed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from mesolog.errors import InvalidValue
from mesolog.model import vocabulary as vocab
from mesolog.model.records import Zone

# Canonical zone -> aliases, per catalogue area (the area names are the vocabulary's). A name
# with "left"/"right" is also known with the side first or joined by a hyphen ("left temporal",
# "temporal-left"): see :func:`zone_key`.
ZONES: dict[str, dict[str, tuple[str, ...]]] = {
    "scalp": {
        "frontal": ("front", "hairline", "frontal hairline"),
        "mid-scalp": ("mid scalp", "midscalp", "middle"),
        "vertex": ("crown",),
        "temporal left": ("temple left",),
        "temporal right": ("temple right",),
        "occipital": ("occiput", "back"),
    },
    "face": {
        "forehead": (),
        "glabella": (),
        "periorbital left": ("eye left", "under-eye left"),
        "periorbital right": ("eye right", "under-eye right"),
        "cheek left": (),
        "cheek right": (),
        "nasolabial left": (),
        "nasolabial right": (),
        "perioral": ("lips", "mouth"),
        "chin": (),
        "jawline left": ("jaw left",),
        "jawline right": ("jaw right",),
    },
    "neck": {
        "front": ("anterior",),
        "side left": ("lateral left",),
        "side right": ("lateral right",),
        "back": ("nape", "posterior"),
    },
    "décolleté": {
        "upper": (),
        "centre": ("center", "central", "middle"),
        "side left": (),
        "side right": (),
    },
    "abdomen": {
        "upper left": (),
        "upper right": (),
        "periumbilical": ("navel", "umbilical", "around the navel"),
        "lower left": (),
        "lower right": (),
    },
    "flanks": {"left": (), "right": ()},
    "thighs": {
        "front left": ("anterior left",),
        "front right": ("anterior right",),
        "inner left": ("medial left",),
        "inner right": ("medial right",),
        "outer left": ("lateral left", "saddlebag left"),
        "outer right": ("lateral right", "saddlebag right"),
        "back left": ("posterior left",),
        "back right": ("posterior right",),
    },
    "buttocks": {
        "left": (),
        "right": (),
        "lower left": ("banana roll left",),
        "lower right": ("banana roll right",),
    },
    "arms": {
        "back left": ("triceps left", "posterior left"),
        "back right": ("triceps right", "posterior right"),
        "inner left": ("medial left",),
        "inner right": ("medial right",),
    },
}

# SNOMED CT body structures for the zones that have their own, unambiguous one (FHIR bodySite);
# only codes we are sure of (the vocabulary's, see docs/vocabulary.md). Another zone is sent
# with its area's code and its name as text.
ZONE_SNOMED: dict[tuple[str, str], tuple[str, str]] = {
    ("face", "forehead"): vocab.AREA_SNOMED["forehead"],
    ("face", "cheek left"): vocab.AREA_SNOMED["cheeks"],
    ("face", "cheek right"): vocab.AREA_SNOMED["cheeks"],
}
MAX_POINTS = 10_000  # as a session's own points
MAX_AMOUNT_ML = 20.0  # per zone: a whole abdomen takes 10 to 20 ml in one session
_SIDES = ("left", "right")
# What a zone's points and amount may be, typed (--zone) or read from a chart (check).
POINTS_RULE = f"the points are a whole number from 1 to {MAX_POINTS}"
AMOUNT_RULE = f"the amount is in ml, more than 0 and at most {MAX_AMOUNT_ML:g}"


@dataclass(frozen=True)
class ZoneCatalogue:
    """The zones known per area (canonical area -> canonical zone -> aliases): the built-in
    catalogue, extended by the clinic's own (config ``zones``)."""

    zones: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=lambda: ZONES)

    def extended(self, own: Iterable[str]) -> ZoneCatalogue:
        """A copy that also knows the clinic's ``area/zone`` names (the area by meaning)."""
        more = {area: dict(names) for area, names in self.zones.items()}
        for spec in own:
            area, _, zone = spec.partition("/")
            if area.strip() and zone.strip():
                more.setdefault(area_key(area), {}).setdefault(" ".join(zone.lower().split()), ())
        return ZoneCatalogue(more)

    def names(self, area: str) -> list[str]:
        """The canonical zones of an area (matched by meaning), in the catalogue's order."""
        return list(self.zones.get(area_key(area), {}))

    @functools.cached_property
    def tables(self) -> dict[str, dict[str, str]]:
        """Per catalogue area, each zone and alias (compared by :func:`zone_key`) -> its zone;
        built on first use (a catalogue never changes: ``extended`` makes another)."""
        return {area: vocab.alias_table(names, zone_key) for area, names in self.zones.items()}

    def zone(self, area: str, word: str) -> str | None:
        """The canonical zone ``word`` names in ``area``, or None."""
        return self.tables.get(area_key(area), {}).get(zone_key(word))


DEFAULT = ZoneCatalogue()


def area_key(word: str) -> str:
    """The catalogue area a typed area means ("hair" -> "scalp", "decollete" -> "décolleté")."""
    return vocab.meaning("area", word)


@functools.lru_cache(maxsize=1024)
def zone_key(word: str) -> str:
    """A zone name compared: lower case, accents folded, hyphens and underscores as spaces, a
    side word last ("Left-Temporal" -> "temporal left")."""
    words = vocab.normalize(re.sub(r"[-_]", " ", word)).split()
    if len(words) > 1 and words[0] in _SIDES:
        words = [*words[1:], words[0]]
    return " ".join(words)


_AMOUNT = re.compile(r"^\s*(\d+(?:[.,]\d+)?|[.,]\d+)\s*(ml)?\s*$", re.IGNORECASE)


def parse_zone(spec: str) -> Zone:
    """``AREA/ZONE[:POINTS][:AMOUNT]`` split and its numbers checked; the names are checked
    against the catalogue and the session by :func:`zone_problem`."""
    how = 'give AREA/ZONE[:POINTS][:AMOUNT], e.g. scalp/vertex:40:1.5 or "face/cheek left:12:0.5ml"'
    area, slash, rest = spec.partition("/")
    parts = rest.split(":")
    if not slash or not area.strip() or not parts[0].strip() or len(parts) > 3:
        raise InvalidValue("zone", spec, how)
    points = _points(spec, parts[1]) if len(parts) > 1 and parts[1].strip() else None
    amount = _amount(spec, parts[2]) if len(parts) > 2 and parts[2].strip() else None
    return Zone(area.strip(), " ".join(parts[0].split()), points, amount)


def _points(spec: str, text: str) -> int:
    text = text.strip()
    if not text.isdecimal() or not 1 <= int(text) <= MAX_POINTS:
        raise InvalidValue("zone points", spec, POINTS_RULE)
    return int(text)


def _amount(spec: str, text: str) -> float:
    found = _AMOUNT.match(text)
    value = float(found.group(1).replace(",", ".")) if found else -1.0
    if not 0 < value <= MAX_AMOUNT_ML:
        raise InvalidValue("zone amount", spec, AMOUNT_RULE)
    return value


def zone_problem(
    given: Zone, session_areas: Iterable[str], catalogue: ZoneCatalogue = DEFAULT
) -> str | None:
    """Why a zone cannot be recorded with a session of ``session_areas``, or None: an area
    without zones, a zone the area does not have (with the close names), an area the session
    does not name."""
    area = area_key(given.area)
    names = catalogue.names(area)
    if not names:
        return f"the catalogue has zones for {', '.join(catalogue.zones)}"
    if catalogue.zone(area, given.zone) is None:
        close = _close(given.zone, names, catalogue.tables[area])
        hint = f"did you mean {' or '.join(close)}? " if close else ""
        return (
            f"{hint}the zones of {area} are {', '.join(names)}"
            " (a clinic adds its own to `zones` in its config file: `mesolog config path` names it)"
        )
    if area not in {area_key(a) for a in session_areas}:
        named = ", ".join(session_areas) or "none"
        return f"the session's areas are {named}; add --area {area} or correct the zone"
    return None


def _close(word: str, names: list[str], table: dict[str, str]) -> list[str]:
    """Up to three zone names close to ``word`` (by spelling, or sharing a word with it)."""
    import difflib

    key = zone_key(word)
    close = [table[k] for k in difflib.get_close_matches(key, list(table), n=6, cutoff=0.6)]
    close += [n for n in names if set(key.split()) & set(zone_key(n).split()) - set(_SIDES)]
    return list(dict.fromkeys(close))[:3]


def drafted_zones(
    typed: Iterable[str], session_areas: Iterable[str], catalogue: ZoneCatalogue = DEFAULT
) -> tuple[Zone, ...]:
    """The ``--zone`` values of a session as records, each checked (syntax, numbers, catalogue,
    the session's areas); a zone given twice is refused (its points would be a guess)."""
    areas = tuple(session_areas)
    out: list[Zone] = []
    seen: dict[tuple[str, str], str] = {}
    for spec in typed:
        given = parse_zone(spec)
        why = zone_problem(given, areas, catalogue)
        if why is not None:
            raise InvalidValue("zone", spec, why)
        key = (area_key(given.area), catalogue.zone(given.area, given.zone) or "")
        if key in seen:
            raise InvalidValue(
                "zone", spec, f"{seen[key]} names the same zone; give each zone once"
            )
        seen[key] = spec
        out.append(given)
    return tuple(out)


def zone_value_problems(place: Zone, session_areas: Iterable[str]) -> list[tuple[str, str]]:
    """(field, why) for a recorded zone's values that no ``--zone`` could have given: points or
    amount out of range, an area the session does not name. (A zone not in the built-in
    catalogue may be the clinic's own: ``check`` warns about it.)"""
    problems = []
    points, amount, area = place.points, place.amount, place.area
    if points is not None and not 1 <= points <= MAX_POINTS:
        problems.append(("points", POINTS_RULE))
    if amount is not None and not 0 < amount <= MAX_AMOUNT_ML:
        problems.append(("amount", AMOUNT_RULE))
    if area_key(area) not in {area_key(a) for a in session_areas}:
        problems.append(("area", "a zone's area must be one of the session's areas"))
    return problems


def zone_meaning(typed: str) -> tuple[str, str]:
    """(catalogue area, catalogue zone) an ``area/zone`` (or a bare zone) means: "hair/crown"
    -> ("scalp", "vertex"); a zone the catalogue lacks means itself, compared as a name."""
    area, slash, zone = typed.partition("/")
    if not slash:
        area, zone = "", typed
    key = area_key(area) if area else ""
    if key:
        return key, DEFAULT.zone(key, zone) or zone_key(zone)
    found = next((z for a in DEFAULT.zones if (z := DEFAULT.zone(a, zone))), None)
    return "", found or zone_key(zone)


def zone_snomed(area: str, zone: str) -> tuple[str, str] | None:
    """(code, display) of a zone's own SNOMED CT body structure, if it has one."""
    canonical = DEFAULT.zone(area, zone)
    return ZONE_SNOMED.get((area_key(area), canonical)) if canonical else None
