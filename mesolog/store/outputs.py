"""Files the practitioner asks for (``summary``, ``--output``): written whole or not at all."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO

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
    missing = _no_folder(path)
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


def save_lines(folder: Path, lines: Iterable[tuple[str, str]], force: bool = False) -> list[Path]:
    """Write each ``(file name, line)`` to its file in ``folder`` (made if its parent exists) as
    the lines come, private (0600); the files appear under their names only when every line is
    written, and never replace one there unless ``force``."""
    if not folder.parent.is_dir():
        raise _no_folder(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputExists(f"{folder} is a file; give a folder for --output. Nothing written.")
    folder.mkdir(mode=0o700, exist_ok=True)
    handles: dict[str, IO[str]] = {}
    try:
        for name, line in lines:
            handle = handles.get(name)
            if handle is None:
                if os.path.lexists(folder / name) and not force:
                    raise OutputExists(
                        f"{folder / name} already exists; add --force to replace it, or "
                        "choose another folder."
                    )
                fd = os.open(
                    folder / f".{name}.partial", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600
                )
                handle = handles[name] = os.fdopen(fd, "w", encoding="utf-8")
            handle.write(line)
    except BaseException:
        for name, handle in handles.items():
            handle.close()
            (folder / f".{name}.partial").unlink(missing_ok=True)
        raise
    for name, handle in sorted(handles.items()):
        handle.close()
        os.replace(folder / f".{name}.partial", folder / name)
    return [folder / name for name in sorted(handles)]


def _no_folder(path: Path) -> NoSuchFolder:
    return NoSuchFolder(
        f"folder {path.parent} does not exist; create it first or choose another place for "
        f"{path.name} (nothing was written)."
    )


def spool() -> IO[str]:
    """A temporary file where lines wait until they can be written in order (a CSV export learns
    its header only after the last chart): memory stays flat however large the clinic. The
    file is private and removed when closed."""
    import tempfile

    return tempfile.TemporaryFile("w+", encoding="utf-8")
