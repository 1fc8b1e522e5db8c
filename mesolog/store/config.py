"""The practice's defaults: ``config.toml`` in the platformdirs config folder.

```toml
practitioner = "Dr. L. Moreau"
clinic_name = "Clinique Moreau"      # printed at the top of `mesolog summary`
clinic_address = "12 rue des Lilas, 75011 Paris"
technique = "gun"              # default when not given
anaesthetic = "none"
areas = ["inner knees"]        # extra areas the practice uses
zones = ["scalp/parietal left"]  # extra zones of the injection map, AREA/ZONE
[substances]                   # extra substances and their category
"meso-hair cocktail" = "multivitamin"
[aftercare]                    # advice on the summary page, per indication
"hair loss" = "No hair wash until tomorrow."
```
`mesolog config set/unset` edit this file (see :mod:`mesolog.store.settings`).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mesolog.errors import ConfigError, InvalidValue
from mesolog.model import values
from mesolog.model import vocabulary as vocab

if TYPE_CHECKING:
    from mesolog.model.aftercare import ClinicDetails
    from mesolog.model.drafting import ClinicDefaults

# The settings that hold one text (`config set` takes each), then the lists and tables.
TEXT_KEYS = ("practitioner", "clinic_name", "clinic_address", "technique", "anaesthetic")
KEYS = (*TEXT_KEYS, "areas", "zones", "substances", "aftercare")


@dataclass(frozen=True)
class Config:
    """The settings in force (the config file, or the defaults)."""

    path: Path | None = None
    practitioner: str = ""
    technique: str | None = None
    anaesthetic: str | None = None
    areas: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()  # the clinic's own zones, "area/zone" (docs/photos.md)
    substances: dict[str, str] = field(default_factory=dict)
    clinic_name: str = ""
    clinic_address: str = ""
    aftercare: dict[str, str] = field(default_factory=dict)  # indication -> advice
    warnings: tuple[str, ...] = ()  # settings in the file that are ignored (unknown keys)

    def clinic_details(self) -> ClinicDetails:
        """The clinic's details as the summary page prints them."""
        from mesolog.model.aftercare import ClinicDetails  # only the summary page: start-up

        return ClinicDetails(
            self.clinic_name, self.clinic_address, self.practitioner, self.aftercare
        )

    def clinic_defaults(self) -> ClinicDefaults:
        """The defaults and words a session is drafted with (add, amend, import)."""
        from mesolog.model import zones
        from mesolog.model.drafting import ClinicDefaults  # drafting only when a session is

        # The zones of the injection map: the catalogue's and the clinic's own.
        catalogue = zones.DEFAULT.extended(self.zones) if self.zones else zones.DEFAULT
        return ClinicDefaults(
            self.practitioner, self.technique, self.anaesthetic, self.vocabulary(), catalogue
        )

    def vocabulary(self) -> vocab.Vocabulary:
        if not self.areas and not self.substances:
            return vocab.DEFAULT
        return vocab.DEFAULT.extended(list(self.areas), self.substances)


def load(path: Path) -> Config:
    """The config at ``path``; a missing file means defaults, a broken one is an error."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config(None)
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"config file {path} cannot be read: {error}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        found = re.search(r"\(at line (\d+), column (\d+)\)", message)
        where = f"{path}:{found.group(1)}" if found else str(path)
        reason = message[: found.start()].strip() if found else message
        raise ConfigError(f"{where}: broken config file: {reason}") from None
    return config_from(path, data)


def config_from(path: Path, data: dict[str, Any]) -> Config:
    """The settings in a parsed config table (``load`` and ``config set`` check through it)."""
    # An unknown key (a typo, a setting from a newer version) is ignored with a warning, the
    # same for every command: refusing it in some and not others left `config set` unusable.
    unknown = sorted(set(data) - set(KEYS))
    ignored = tuple(
        f"{path}: unknown setting {key!r} ignored; known settings are {', '.join(KEYS)}."
        for key in unknown
    )

    def text(key: str) -> str | None:
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"{path}: {key} must be text, found {value!r}.")
        return value

    areas = data.get("areas", [])
    if not isinstance(areas, list) or not all(isinstance(a, str) for a in areas):
        raise ConfigError(f"{path}: areas must be a list of text, found {areas!r}.")
    zones = data.get("zones", [])
    if not isinstance(zones, list) or not all(isinstance(z, str) and "/" in z for z in zones):
        raise ConfigError(
            f'{path}: zones must be a list of AREA/ZONE texts ("scalp/parietal left"), found {zones!r}.'
        )
    substances = data.get("substances", {})
    if not isinstance(substances, dict) or not all(isinstance(v, str) for v in substances.values()):
        raise ConfigError(f"{path}: [substances] must map names to a category (text).")
    aftercare = data.get("aftercare", {})
    if not isinstance(aftercare, dict) or not all(isinstance(v, str) for v in aftercare.values()):
        raise ConfigError(f"{path}: [aftercare] must map indications to advice (text).")
    technique = text("technique")
    if technique is not None:
        try:
            technique = values.technique(technique)  # the model's rule, the model's sentence
        except InvalidValue as error:
            raise ConfigError(f"{path}: {error.message}") from None
    return Config(
        path=path,
        practitioner=text("practitioner") or "",
        technique=technique,
        anaesthetic=text("anaesthetic"),
        areas=tuple(areas),
        zones=tuple(zones),
        substances=dict(substances),
        clinic_name=text("clinic_name") or "",
        clinic_address=text("clinic_address") or "",
        aftercare=dict(aftercare),
        warnings=ignored,
    )
