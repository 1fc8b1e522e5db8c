"""The words of the trade, in one place: areas, indications, substances, complications, and
the needle depths the training sources describe for each method.

Every alias and every depth range here has its source in ``docs/vocabulary.md`` (a test checks
that each one has a row there, with a source): a clinician can audit why "haematoma" counts as
bruising and why 8 mm is not unusual for a lipolytic depot. Distinct clinical entities are never
aliases of each other (a nodule is not a papule, a granuloma not an abscess). Unknown words are
accepted (practice varies) but a close known one is suggested. The config file adds the clinic's
own areas and products (see :func:`Vocabulary.extended`).
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from mesolog.model.folding import fold

TECHNIQUES = ("gun", "hand")
METHODS = (
    "epidermal-nappage",
    "nappage",
    "papule",
    "point-by-point",
    "linear",
    "depot",
    "mesoperfusion",
)
UNITS = ("ml", "mg", "mcg", "IU", "U")
# Typed unit (lower case) -> the unit: each unit itself, and "ug" or "µg" for mcg, with the
# micro sign (U+00B5) or Greek mu (U+03BC), which look alike and are both typed.
UNIT_ALIASES = {unit.lower(): unit for unit in UNITS} | {
    "ug": "mcg",
    "\u00b5g": "mcg",
    "\u03bcg": "mcg",
}
# Typed words for a technique -> the technique ("with a mechanical gun or by hand").
TECHNIQUE_ALIASES = {
    "by hand": "hand",
    "manual": "hand",
    "syringe": "hand",
    "injection gun": "gun",
    "pistol": "gun",
    "meso gun": "gun",
    "mesogun": "gun",
}
SEVERITIES = ("mild", "moderate", "severe")
OUTCOMES = ("resolved", "recovering", "ongoing", "resolved-with-sequelae", "unknown")
REPORTERS = ("patient", "practitioner")
STATUSES = ("active", "voided")
COURSE_STATUSES = ("active", "completed", "stopped")  # completed and stopped close a course
SEXES = ("female", "male", "other")

# Canonical area -> aliases a practitioner may type. The catalogue names are the domain anchors'
# (tallies and stats group under them): "abdomen", not the organ; "décolleté" with its accents.
AREAS: dict[str, tuple[str, ...]] = {
    "face": ("facial",),
    "forehead": (),
    "periorbital": ("eyes", "under-eyes"),
    "cheeks": ("cheek",),
    "perioral": ("mouth",),  # the lips are not the perioral area
    "jawline": ("jaw",),
    "submental": ("double chin",),  # the chin itself is not submental
    "neck": (),
    "décolleté": ("decolletage", "chest"),  # "decollete" is the same word folded
    "scalp": ("hair",),
    "abdomen": ("stomach", "abdominal", "belly", "tummy"),
    "flanks": ("love handles",),  # "waist" could be the abdomen as well: not an alias
    "back": (),
    "thighs": ("thigh",),
    "saddlebags": (),
    "knees": ("knee",),
    "buttocks": ("glutes", "bottom"),
    "legs": ("leg",),
    "calves": ("calf",),
    "arms": ("arm", "upper arms"),
    "hands": ("hand",),
}

# SNOMED CT body structures for the areas that have an unambiguous one (FHIR bodySite).
# Only codes we are sure of; an area without one is exported as text.
AREA_SNOMED: dict[str, tuple[str, str]] = {
    "face": ("89545001", "Face structure"),
    "forehead": ("52795006", "Forehead structure"),
    "cheeks": ("60819002", "Cheek structure"),
    "neck": ("45048000", "Neck structure"),
    "scalp": ("41695006", "Scalp structure"),
    "abdomen": ("113345001", "Abdominal structure"),
    "thighs": ("68367000", "Thigh structure"),
    "knees": ("72696002", "Knee region structure"),
    "buttocks": ("46862004", "Buttock structure"),
    "arms": ("40983000", "Upper arm structure"),
    "hands": ("85562004", "Hand structure"),
}

INDICATIONS: dict[str, tuple[str, ...]] = {
    "fat reduction": (
        "localized fat",
        "localised fat",
        "fat",
        "lipolysis",
        "removal of excess fat",
        "fat removal",
    ),
    "cellulite": (),
    "wrinkles": ("lines",),
    "laxity": (
        "lift and tightening",
        "tightening",
        "lift",
        "sagging",
        "skin lift",
        "skin tightening",
    ),
    "contouring": ("body contouring", "face contouring"),
    "pigmentation": ("lightening and pigment repair", "lightening", "melasma"),
    "hair loss": ("alopecia", "hair", "hair regrowth", "hair growth"),
    "rejuvenation": ("skin ageing", "skin aging", "hydration", "elasticity", "luminosity"),
    "scars and stretch marks": ("scars", "stretch marks"),
    "localized pain": ("pain",),
}

# --- needle depth: what the training sources describe ---------------------------------------
# The sources disagree, so a depth is only worth a warning outside the union of every range a
# source gives for the session's method and indication (docs/vocabulary.md cites each row).
# ``methods`` None: any method, or none named; "" in it: a session that names no method.
# ``indications`` None: any indication.
FAT_INDICATIONS = ("fat reduction", "cellulite", "contouring")


class DepthRange(NamedTuple):
    """A needle depth a source describes, for some methods and indications."""

    low: float
    high: float
    source: str  # the key of the source in docs/vocabulary.md
    methods: tuple[str, ...] | None = None
    indications: tuple[str, ...] | None = None

    def applies(self, method: str | None, indication: str | None) -> bool:
        if self.methods is not None and (method or "") not in self.methods:
            return False
        return (
            self.indications is None or meaning("indication", indication or "") in self.indications
        )


DEPTH_RANGES = (
    DepthRange(1.0, 4.0, "OV"),  # intradermal, "from one to four millimeters"
    DepthRange(0.0, 1.0, "BTP", ("epidermal-nappage", "nappage")),  # epidermal nappage, < 1 mm
    DepthRange(2.0, 4.0, "BTP", ("nappage",)),
    DepthRange(1.0, 2.0, "BTP", ("papule",)),
    DepthRange(4.0, 13.0, "BTP", ("point-by-point",)),  # 4-12 mm; 13 mm at 45 degrees for fat
    DepthRange(2.0, 13.0, "MD", ("linear",)),  # a 13 mm needle, product laid from 2 mm
    # Lipolytic depots: point-by-point deep injections for fat reach 4-13 mm by design.
    DepthRange(4.0, 13.0, "MD", ("depot", "point-by-point", "linear", ""), FAT_INDICATIONS),
)


def usual_depths(method: str | None, indication: str | None) -> list[tuple[float, float]]:
    """The union of the ranges the sources give for this method and indication, merged and in
    order ([(0, 4)] for nappage: under 1 mm to 4 mm)."""
    spans = sorted((r.low, r.high) for r in DEPTH_RANGES if r.applies(method, indication))
    merged: list[tuple[float, float]] = []
    for low, high in spans:
        if merged and low <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def depth_remark(depth_mm: float, method: str | None, indication: str | None) -> str | None:
    """A warning when no source describes this depth for this method and indication."""
    spans = usual_depths(method, indication)
    if not spans or any(low <= depth_mm <= high for low, high in spans):
        return None
    shown = " or ".join(
        f"under {high:g} mm" if low == 0 else f"{low:g}-{high:g} mm" for low, high in spans
    )
    what = " for ".join(w for w in (method, indication) if w) or "mesotherapy"
    text = repr(float(depth_mm)).removesuffix(".0")  # every digit, as values.number_text
    return (
        f"depth {text} mm is outside what the sources describe for {what} ({shown}; "
        "docs/vocabulary.md); recorded as given."
    )


HAIR_LOSS = "hair loss"
# The source says only these two have shown evidence for hair loss.
HAIR_LOSS_EVIDENCE = ("finasteride", "minoxidil")

UNCATALOGUED = "uncatalogued"

# Substance -> category, each name in its catalogue spelling (what stats and tallies show:
# "vitamin C", "L-carnitine"). Categories follow the source text and the SEME classification.
SUBSTANCES: dict[str, str] = {
    "buflomedil": "prescription drug (vasodilator)",
    "pentoxifylline": "prescription drug (vasodilator)",
    "aminophylline": "prescription drug (vasodilator)",
    "gentamicin": "prescription drug (antibiotic)",
    "calcitonin": "hormone",
    "thyroxine": "hormone",
    "collagenase": "enzyme",
    "hyaluronidase": "enzyme",
    "Ginkgo biloba": "herbal extract",
    "Centella asiatica": "herbal extract",
    "artichoke extract": "herbal extract",
    "melilot": "herbal extract",
    "vitamin C": "vitamin",
    "vitamin B complex": "vitamin",
    "biotin": "vitamin",
    "zinc": "mineral",
    "selenium": "mineral",
    "hyaluronic acid": "hyaluronic acid",
    "glutathione": "antioxidant",
    "alpha lipoic acid": "antioxidant",
    "DMAE": "DMAE",
    "procollagen peptide": "peptide",
    "organic silicon": "silicon",
    "coenzyme Q10": "coenzyme",
    "amino acids": "amino acid",
    "multivitamins": "multivitamin",
    "finasteride": "hair-loss drug",
    "minoxidil": "hair-loss drug",
    "dutasteride": "hair-loss drug",
    "phosphatidylcholine": "lipolytic",
    "deoxycholate": "lipolytic",
    "caffeine": "lipolytic",
    "L-carnitine": "lipolytic",
    "lidocaine": "anaesthetic",
    "procaine": "anaesthetic",
}

# Typed name (lower case) -> the catalogue name it means.
SUBSTANCE_ALIASES: dict[str, str] = {
    "ha": "hyaluronic acid",
    "hyaluronan": "hyaluronic acid",
    "dimethylaminoethanol": "DMAE",
    "silicon": "organic silicon",
    "silicium": "organic silicon",
    "q10": "coenzyme Q10",
    "vit c": "vitamin C",
    "ascorbic acid": "vitamin C",
    "multivitamin": "multivitamins",
    "ala": "alpha lipoic acid",
    "pc": "phosphatidylcholine",
    "dca": "deoxycholate",
    "sodium deoxycholate": "deoxycholate",
    "carnitine": "L-carnitine",
    "deoxycholic acid": "deoxycholate",
    "ppc": "phosphatidylcholine",
    "polyenylphosphatidylcholine": "phosphatidylcholine",
    "vitamin b": "vitamin B complex",
    "b complex": "vitamin B complex",
    "vitamin h": "biotin",
    "vitamin b7": "biotin",
    "gentamycin": "gentamicin",
    "thyroxin": "thyroxine",
    "t4": "thyroxine",
    "lipoic acid": "alpha lipoic acid",
    "ubiquinone": "coenzyme Q10",
    "coq10": "coenzyme Q10",
    "ginkgo": "Ginkgo biloba",
    "centella": "Centella asiatica",
    "artichoke": "artichoke extract",
}

COMPLICATIONS: dict[str, tuple[str, ...]] = {
    "nausea": (),
    "pain": ("the pain",),
    "allergy": ("urticaria", "allergic reaction", "hives"),
    "swelling": ("oedema", "edema", "ورم"),  # the source text's own word for it
    "itching": ("pruritus", "itch"),
    "redness": ("erythema", "red"),
    "bruising": ("bruise", "haematoma", "hematoma"),
    # Papules, nodules, granulomas and abscesses are distinct events (a nodule after a
    # lipolytic is more serious than a papule; a granuloma or an abscess may be a mycobacterial
    # infection): each its own name, never counted as another.
    "papules": ("papule", "bumps", "bumps at the injection site"),
    "nodules": ("nodule", "lumps"),
    "granuloma": ("granulomas",),
    "abscess": ("abscesses",),
    "dark spots": ("hyperpigmentation", "pigment spots", "dark spots on the skin"),
    "rash": ("rush",),  # the source text's spelling
    "infection": (
        "mycobacterial infection",
        "non-tuberculous mycobacteria",
        "ntm infection",
    ),
    "wounds": ("wound", "ulcer"),
    "necrosis": ("skin necrosis",),  # a vascular event, not a wound: kept apart
    "scarring": ("scar",),
    "panniculitis": (),
    "lipoatrophy": (),
    "vasovagal": ("fainting", "syncope"),
}

ANAESTHETICS = ("none", "topical cream", "local injection", "in the mix", "cooling")
ANAESTHETIC_ALIASES = {
    "no": "none",
    "topical": "topical cream",
    "emla": "topical cream (EMLA)",
    "local": "local injection",
    "infiltration": "local injection",
    "ice": "cooling",
    "cold": "cooling",
}


@functools.lru_cache(maxsize=4096)  # the same few words come back thousands of times
def normalize(word: str) -> str:
    """A word as compared: the fold of the search and the import (lower case, every accent
    folded, "œ" as "oe", single spaces), so one rule decides "same word" everywhere
    (docs/vocabulary.md)."""
    return fold(word)


class Match(NamedTuple):
    """The result of looking a typed word up: what to store, and what to say about it."""

    value: str
    known: bool
    suggestion: str | None = None


def alias_table(
    canon: Mapping[str, tuple[str, ...]], key: Callable[[str], str] = normalize
) -> dict[str, str]:
    """Each name and alias, compared by ``key`` (normalised) -> the name it stands for."""
    return {key(word): name for name, aliases in canon.items() for word in (name, *aliases)}


def _lookup(word: str, table: dict[str, str]) -> Match:
    key = normalize(word)
    if key in table:
        return Match(table[key], True)
    close = suggestion(key, list(table))
    return Match(word.strip(), False, table[close] if close else None)


def suggestion(key: str, names: list[str]) -> str | None:
    """The known name (of ``names``, normalised) to suggest for a word not in a list, the one
    rule for every vocabulary list: a close spelling ("abdomn" -> "abdomen"), else the longest
    known name the word holds as whole words ("inner thighs" -> "thighs")."""
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.75)
    if close:
        return close[0]
    held = [name for name in names if name and f" {name} " in f" {key} "]
    return max(held, key=len) if held else None


_CONCENTRATION = re.compile(r"^\d+(?:[.,]\d+)?\s*(?:%|mg/ml|mg|mcg|iu|u|ml)?$", re.IGNORECASE)


def substance_base(name: str) -> str:
    """The substance name without strength words: "dutasteride 0.01%" -> "dutasteride"."""
    words = [w for w in normalize(name).split() if not _CONCENTRATION.match(w)]
    return " ".join(words)


def concentration_of(name: str) -> str | None:
    """The strength written in a substance's name, if any: "dutasteride 0.01%" -> "0.01%"."""
    found = [w for w in name.split() if _CONCENTRATION.match(w) and not w.isdigit()]
    return " ".join(found) or None


# --- meaning: what the clinic-wide questions compare ---------------------------------------
# The record keeps the practitioner's word ("DCA", "abdomen", "haematoma"); find, lot, stats and
# the report tallies compare what the words mean, through the built-in tables only (never the
# config), so the summary cache built without a config gives the same answer as the charts.


@functools.lru_cache(maxsize=8192)
def meaning(kind: str, word: str) -> str:
    """The catalogue name a typed area, indication or complication means ("belly" ->
    "abdomen", "haematoma" -> "bruising"); a word not in the lists means itself (normalised)."""
    key = normalize(word)
    return DEFAULT.tables[kind].get(key, key)  # the built-in words: DEFAULT is never extended


@functools.lru_cache(maxsize=8192)
def substance_meaning(name: str) -> str:
    """The catalogue name a typed substance means, in its catalogue spelling: "DCA" ->
    "deoxycholate", "vitamin c 20%" -> "vitamin C", "HA non-reticulated" -> "hyaluronic acid";
    an unknown name means itself (normalised, strength words left out)."""
    base = substance_base(name) or normalize(name)
    found = _catalogue_key(base, _CATALOGUE)
    return _CATALOGUE[found] if found else base


def _catalogue_key(base: str, catalogue: dict[str, str]) -> str | None:
    """The normalised catalogue name ``base`` (a normalised name without strength words)
    means, through the aliases and a known name at its start ("minoxidil topical"); or None.
    ``catalogue`` maps normalised names to their spelling."""
    key = _ALIASES.get(base, base)
    if key in catalogue:
        return key
    for known in sorted(catalogue.keys() | _ALIASES.keys(), key=len, reverse=True):
        if key.startswith(known + " "):  # longest first: "vitamin b complex" before "vitamin b"
            return _ALIASES.get(known, known)
    return None


# Normalised catalogue name -> its spelling; normalised alias -> normalised catalogue name.
_CATALOGUE = {normalize(name): name for name in SUBSTANCES}
_ALIASES = {normalize(alias): normalize(name) for alias, name in SUBSTANCE_ALIASES.items()}


@dataclass(frozen=True)
class Vocabulary:
    """The known words; one default instance, extended by the config file."""

    areas: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(AREAS))
    indications: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(INDICATIONS))
    substances: dict[str, str] = field(default_factory=lambda: dict(SUBSTANCES))
    complications: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(COMPLICATIONS))

    def extended(
        self, areas: list[str] | None = None, substances: dict[str, str] | None = None
    ) -> Vocabulary:
        """A copy that also knows the practice's own areas and substances."""
        more_areas = dict(self.areas)
        for area in areas or []:
            more_areas.setdefault(normalize(area), ())
        more_substances = dict(self.substances)
        for name, category in (substances or {}).items():
            more_substances[" ".join(name.split())] = category  # kept as the clinic spells it
        return Vocabulary(more_areas, self.indications, more_substances, self.complications)

    @functools.cached_property
    def tables(self) -> dict[str, dict[str, str]]:
        """Normalised word -> the name it stands for, by kind; built on first use (a Vocabulary
        never changes: ``extended`` makes another). Substances map to their spelling only."""
        return {
            "area": alias_table(self.areas),
            "indication": alias_table(self.indications),
            "complication": alias_table(self.complications),
            "substance": {normalize(known): known for known in self.substances},
        }

    def area(self, word: str) -> Match:
        return _lookup(word, self.tables["area"])

    def indication(self, word: str) -> Match:
        return _lookup(word, self.tables["indication"])

    def complication(self, word: str) -> Match:
        return _lookup(word, self.tables["complication"])

    def substance(self, name: str) -> tuple[str, Match]:
        """(category, match of the base name, in its catalogue spelling). Free names are
        "uncatalogued", with a suggestion when a catalogue name is close."""
        base = substance_base(name)
        spelled = self.tables["substance"]
        # The whole name first: a clinic's "CytoCare 532" is known with its number.
        found = _catalogue_key(normalize(name), spelled) or _catalogue_key(base, spelled)
        if found is not None:
            return self.substances[spelled[found]], Match(spelled[found], True)
        close = suggestion(base, list(spelled) + list(_ALIASES))
        suggested = spelled.get(_ALIASES.get(close, close)) if close else None
        return UNCATALOGUED, Match(name.strip(), False, suggested)

    def anaesthetic(self, word: str) -> str:
        key = normalize(word)
        return ANAESTHETIC_ALIASES.get(key, word.strip() if key not in ANAESTHETICS else key)


DEFAULT = Vocabulary()


def close_match(word: str, candidates: list[str]) -> str | None:
    """The candidate closest to ``word`` (ignoring case), for "did you mean" sentences."""
    lowered = {c.lower(): c for c in candidates}
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[close[0]] if close else None
