"""Files the practitioner asks for (``summary``, ``--output``): written whole or not at all."""

from __future__ import annotations

from pathlib import Path

from mesolog.errors import OutputExists
from mesolog.store.files import write_atomically


def save_output(path: Path, text: str, force: bool = False) -> Path:
    """Write ``text`` to ``path`` atomically, private to the practitioner (0600: it holds patient
    data), never replacing an existing file unless ``force``."""
    refusal = f"{path} already exists; add --force to replace it, or choose another file name."
    if path.exists() and not force:
        raise OutputExists(refusal)
    try:
        write_atomically(path, text, overwrite=force)
    except FileExistsError:  # created by someone else since the check above
        raise OutputExists(refusal) from None
    return path
