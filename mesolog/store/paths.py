"""Where the data, config and cache folders are, and which setting chose each."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "mesolog"


# --- locations --------------------------------------------------------------------------------


DEFAULT_CHOICE = "platformdirs default"


@dataclass(frozen=True)
class Location:
    """A folder or file, and which setting chose it."""

    path: Path
    chosen_by: str

    @property
    def explicit(self) -> bool:
        """Chosen by the practitioner (an option or a variable), not the default location."""
        return self.chosen_by != DEFAULT_CHOICE


def data_location(explicit: str | Path | None = None) -> Location:
    """``--data-dir``, else ``MESOLOG_DATA_DIR``, else the platformdirs user data folder."""
    if explicit:
        return Location(Path(explicit).expanduser(), "--data-dir")
    if os.environ.get("MESOLOG_DATA_DIR"):
        return Location(Path(os.environ["MESOLOG_DATA_DIR"]).expanduser(), "MESOLOG_DATA_DIR")
    import platformdirs

    return Location(Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)), DEFAULT_CHOICE)


def config_location() -> Location:
    if os.environ.get("MESOLOG_CONFIG"):
        return Location(Path(os.environ["MESOLOG_CONFIG"]).expanduser(), "MESOLOG_CONFIG")
    import platformdirs

    folder = Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
    return Location(folder / "config.toml", DEFAULT_CHOICE)


def cache_location() -> Location:
    if os.environ.get("MESOLOG_CACHE_DIR"):
        return Location(Path(os.environ["MESOLOG_CACHE_DIR"]).expanduser(), "MESOLOG_CACHE_DIR")
    import platformdirs

    return Location(Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)), DEFAULT_CHOICE)


def make_private_dir(path: Path) -> None:
    """Create a folder (and parents) readable only by its owner; an existing folder that is
    wider (a ``git clone`` makes 0755) is tightened to 0700, never widened. A folder we do not
    own is left as it is (``check`` names it)."""
    import contextlib
    import stat

    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        found = os.lstat(path)
        mode = stat.S_IMODE(found.st_mode)
        if mode & ~0o700 and not stat.S_ISLNK(found.st_mode):  # a link's target is not ours
            os.chmod(path, mode & 0o700)
