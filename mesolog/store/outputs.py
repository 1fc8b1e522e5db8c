"""Files the practitioner asks for (``summary``, ``--output``): written whole or not at all."""

from __future__ import annotations

import os
from pathlib import Path

from mesolog.errors import NoSuchFolder, OutputExists
from mesolog.store.files import write_atomically


def save_output(path: Path, text: str, force: bool = False) -> Path:
    """Write ``text`` to ``path`` atomically, private to the practitioner (0600: it holds patient
    data), never replacing an existing file unless ``force``."""
    refusal = f"{path} already exists; add --force to replace it, or choose another file name."
    if os.path.isdir(path) and not os.path.islink(path):  # --force would not help
        raise OutputExists(f"{path} is a folder; give a file name. Nothing written.")
    if os.path.lexists(path) and not force:  # a link, even a dangling one, counts as there
        raise OutputExists(refusal)
    # The folder as typed, not the temporary file the write would have named.
    missing = NoSuchFolder(
        f"folder {path.parent} does not exist; create it first or choose another place for "
        f"{path.name} (nothing was written)."
    )
    if not path.parent.is_dir():
        raise missing
    # With force, ``os.replace`` replaces a link itself: a link is never written through.
    try:
        write_atomically(path, text, overwrite=force)
    except FileExistsError:  # created by someone else since the check above
        raise OutputExists(refusal) from None
    except FileNotFoundError:  # the folder was removed since the check above
        raise missing from None
    return path
