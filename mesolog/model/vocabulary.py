"""The words of the trade, in one place: areas, indications, substances, complications.

Built from the sources listed in docs/vocabulary.md. Unknown words
are accepted (practice varies) but a close known one is suggested. The config file may extend
areas and substances (see :func:`Vocabulary.extended`).
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass, field

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
UNIT_ALIASES = {
    "ml": "ml",
    "mg": "mg",
    "mcg": "mcg",
    "ug": "mcg",
    "µg": "mcg",
    "iu": "IU",
    "u": "U",
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
    "perioral": ("lips", "mouth"),
    "jawline": ("jaw",),
    "submental": ("double chin", "chin"),
    "neck": (),
    "décolleté": ("decollete", "decolletage", "chest"),
    "scalp": ("hair", "head"),
    "abdomen": ("stomach", "abdominal", "belly", "tummy"),
    "flanks": ("love handles", "waist"),
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

HAIR_LOSS = "hair loss"
# The source says only these two have shown evidence for hair loss.
HAIR_LOSS_EVIDENCE = ("finasteride", "minoxidil")

UNCATALOGUED = "uncatalogued"

# Substance -> category. Categories follow the source text and the SEME classification.
SUBSTANCES: dict[str, str] = {
    "buflomedil": "prescription drug (vasodilator)",
    "pentoxifylline": "prescription drug (vasodilator)",
    "aminophylline": "prescription drug (vasodilator)",
    "gentamicin": "prescription drug (antibiotic)",
    "calcitonin": "hormone",
    "thyroxine": "hormone",
    "collagenase": "enzyme",
    "hyaluronidase": "enzyme",
    "ginkgo biloba": "herbal extract",
    "centella asiatica": "herbal extract",
    "artichoke extract": "herbal extract",
    "melilot": "herbal extract",
    "vitamin c": "vitamin",
    "vitamin b complex": "vitamin",
    "biotin": "vitamin",
    "zinc": "mineral",
    "selenium": "mineral",
    "hyaluronic acid": "hyaluronic acid",
    "glutathione": "antioxidant",
    "alpha lipoic acid": "antioxidant",
    "dmae": "DMAE",
    "procollagen peptide": "peptide",
    "organic silicon": "silicon",
    "coenzyme q10": "coenzyme",
    "amino acids": "amino acid",
    "multivitamins": "multivitamin",
    "finasteride": "hair-loss drug",
    "minoxidil": "hair-loss drug",
    "dutasteride": "hair-loss drug",
    "phosphatidylcholine": "lipolytic",
    "deoxycholate": "lipolytic",
    "caffeine": "lipolytic",
    "l-carnitine": "lipolytic",
    "lidocaine": "anaesthetic",
    "procaine": "anaesthetic",
}

SUBSTANCE_ALIASES: dict[str, str] = {
    "ha": "hyaluronic acid",
    "hyaluronan": "hyaluronic acid",
    "dimethylaminoethanol": "dmae",
    "silicon": "organic silicon",
    "silicium": "organic silicon",
    "q10": "coenzyme q10",
    "vit c": "vitamin c",
    "ascorbic acid": "vitamin c",
    "multivitamin": "multivitamins",
    "ala": "alpha lipoic acid",
    "pc": "phosphatidylcholine",
    "dca": "deoxycholate",
    "sodium deoxycholate": "deoxycholate",
    "carnitine": "l-carnitine",
    "deoxycholic acid": "deoxycholate",
    "phosphatidylcholine deoxycholate": "phosphatidylcholine",
    "ppc": "phosphatidylcholine",
    "polyenylphosphatidylcholine": "phosphatidylcholine",
    "vitamin b": "vitamin b complex",
    "b complex": "vitamin b complex",
    "vitamin h": "biotin",
    "vitamin b7": "biotin",
    "gentamycin": "gentamicin",
    "thyroxin": "thyroxine",
    "t4": "thyroxine",
    "lipoic acid": "alpha lipoic acid",
    "ubiquinone": "coenzyme q10",
    "coq10": "coenzyme q10",
    "ginkgo": "ginkgo biloba",
    "centella": "centella asiatica",
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
    "papules": ("papule", "nodules", "nodule", "bumps", "lumps", "bumps at the injection site"),
    "dark spots": ("hyperpigmentation", "pigment spots", "dark spots on the skin"),
    "rash": ("rush",),  # the source text's spelling
    "infection": (
        "mycobacterial infection",
        "non-tuberculous mycobacteria",
        "ntm infection",
    ),
    "wounds": ("wound", "necrosis", "ulcer"),
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
    """Lower case, single spaces, accents on the few words that carry them folded."""
    text = " ".join(word.strip().lower().split())
    return text.replace("é", "e").replace("è", "e").replace("ö", "o")


@dataclass(frozen=True)
class Match:
    """The result of looking a typed word up: what to store, and what to say about it."""

    value: str
    known: bool
    suggestion: str | None = None


def _lookup(word: str, canon: dict[str, tuple[str, ...]]) -> Match:
    key = normalize(word)
    table: dict[str, str] = {}
    for name, aliases in canon.items():
        table[normalize(name)] = name
        for alias in aliases:
            table[normalize(alias)] = name
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


@functools.lru_cache(maxsize=4096)
def _meaning_table(kind: str) -> dict[str, str]:
    canon = {"area": AREAS, "indication": INDICATIONS, "complication": COMPLICATIONS}[kind]
    table: dict[str, str] = {}
    for name, aliases in canon.items():
        table[normalize(name)] = name
        for alias in aliases:
            table[normalize(alias)] = name
    return table


@functools.lru_cache(maxsize=8192)
def meaning(kind: str, word: str) -> str:
    """The catalogue name a typed area, indication or complication means ("belly" ->
    "abdomen", "haematoma" -> "bruising"); a word not in the lists means itself (normalised)."""
    key = normalize(word)
    return _meaning_table(kind).get(key, key)


@functools.lru_cache(maxsize=8192)
def substance_meaning(name: str) -> str:
    """The catalogue name a typed substance means: "DCA" -> "deoxycholate", "minoxidil 0.5%" ->
    "minoxidil", "HA non-reticulated" -> "hyaluronic acid"; an unknown name means itself
    (normalised, strength words left out)."""
    base = substance_base(name) or normalize(name)
    key = SUBSTANCE_ALIASES.get(base, base)
    if key in SUBSTANCES:
        return key
    for known in _BY_LENGTH:
        if key.startswith(known + " "):
            return SUBSTANCE_ALIASES.get(known, known)
    return key


# Longest first, so "vitamin b complex" wins over "vitamin b".
_BY_LENGTH = sorted([*SUBSTANCES, *SUBSTANCE_ALIASES], key=len, reverse=True)


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
            more_substances[normalize(name)] = category
        return Vocabulary(more_areas, self.indications, more_substances, self.complications)

    def area(self, word: str) -> Match:
        return _lookup(word, self.areas)

    def indication(self, word: str) -> Match:
        return _lookup(word, self.indications)

    def complication(self, word: str) -> Match:
        return _lookup(word, self.complications)

    def substance(self, name: str) -> tuple[str, Match]:
        """(category, match of the base name). Free names are "uncatalogued", with a suggestion."""
        base = substance_base(name)
        key = SUBSTANCE_ALIASES.get(base, base)
        if key in self.substances:
            return self.substances[key], Match(key, True)
        # "minoxidil topical" or "hyaluronic acid non-reticulated": a known name at the start.
        for known in sorted(self.substances, key=len, reverse=True):
            if key.startswith(known + " "):
                return self.substances[known], Match(known, True)
        close = suggestion(key, list(self.substances) + list(SUBSTANCE_ALIASES))
        suggested = SUBSTANCE_ALIASES.get(close, close) if close else None
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
