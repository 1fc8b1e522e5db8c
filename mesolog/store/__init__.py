"""The store layer: the only code that touches files (charts, config, cache, git, outputs).

``paths`` where things are; ``codec`` TOML text <-> charts; ``files`` atomic writes and locks;
``clinic`` the :class:`Clinic` service; ``cache`` the summary cache; ``history`` git;
``checkup`` the chart checker; ``config`` the settings file.
"""

from typing import TYPE_CHECKING

from mesolog.model import names_on_first_use

# A run imports a name's module on first use (completion reads the settings without loading
# the Clinic); the type checker sees the names here.
if TYPE_CHECKING:
    from mesolog.store.clinic import Clinic
    from mesolog.store.codec import encode_chart, parse_chart_text, read_chart_file
    from mesolog.store.files import chart_lock, write_atomically
    from mesolog.store.paths import (
        Location,
        cache_location,
        config_location,
        data_location,
        make_private_dir,
    )

__all__ = [
    "Clinic",
    "Location",
    "cache_location",
    "chart_lock",
    "config_location",
    "data_location",
    "encode_chart",
    "make_private_dir",
    "parse_chart_text",
    "read_chart_file",
    "write_atomically",
]

if not TYPE_CHECKING:  # hidden from the type checker, which would then take any name as Any
    __getattr__ = names_on_first_use(
        "mesolog.store", ("paths", "files", "clinic", "codec"), __all__
    )
