"""The clinic's details as the patient's page shows them, and the aftercare advice per
indication.

The default advice is written from the sources listed in docs/vocabulary.md: fine needles into
the dermis, several sessions usually needed, and the complications it lists (pain, redness,
swelling, itching, bruising, bumps at the injection site, dark spots, rash, allergy, infection,
wounds, nausea). The config file overrides it per indication (``[aftercare]`` table).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mesolog.model import vocabulary as vocab

GENERAL = (
    "Small red marks, slight swelling, tenderness, itching or small bumps where the needle went "
    "in are usual and settle within a few days; a bruise may take one to two weeks to fade. "
    "For 24 hours: keep the treated skin clean, do not rub or massage it, and avoid make-up, "
    "saunas, swimming pools, hard exercise and strong sun. Use sun protection on treated skin "
    "until any marks have faded. Several sessions are usually needed before a change shows. "
    "Contact the clinic at once if you notice increasing pain, heat or redness, pus, fever, a "
    "rash or swelling that spreads, an open wound, or a dark spot that does not fade."
)

# Only what the indication adds to the general advice (kept short; the general text follows).
_SPECIFIC = {
    vocab.HAIR_LOSS: (
        "Wait until the next day before washing your hair, and avoid hair dye, styling products "
        "and hot hair dryers for 48 hours. Some shedding in the first weeks is possible and "
        "does not mean the treatment has failed."
    ),
    "fat reduction": (
        "Swelling and tenderness of the treated area can last several days; drink plenty of "
        "water and keep up walking, but avoid tight clothing over the area for 48 hours."
    ),
    "cellulite": (
        "Drink plenty of water and keep up walking; avoid tight clothing over the area and hot "
        "baths for 48 hours."
    ),
}


def default_text(indication: str | None) -> str:
    """The advice mesolog gives when the config has none for this indication."""
    specific = _SPECIFIC.get(vocab.meaning("indication", indication)) if indication else None
    return f"{specific} {GENERAL}" if specific else GENERAL


@dataclass(frozen=True)
class ClinicDetails:
    """The clinic's details from the config, as printed on the patient's summary: name,
    address, practitioner and the aftercare advice (drafting's defaults are
    :class:`mesolog.model.drafting.ClinicDefaults`)."""

    name: str = ""
    address: str = ""
    practitioner: str = ""
    aftercare: dict[str, str] = field(default_factory=dict)  # indication -> advice

    def aftercare_for(self, indication: str | None) -> str:
        """The configured advice for this indication (matched by meaning), else the default."""
        if indication:
            for name, text in self.aftercare.items():
                if same_indication(name, indication):
                    return text
        return default_text(indication)


def same_indication(one: str, other: str) -> bool:
    """True when two indications mean the same ("alopecia" and "Hair loss"): the vocabulary's
    meaning, the rule find, stats and the report tallies compare by."""
    return vocab.meaning("indication", one) == vocab.meaning("indication", other)
