"""The clinic's identity: a uuid made once per data folder and kept in it (``clinic.toml``).

FHIR exports derive every ``urn:uuid`` and identifier system from it, so patient P-0042 of two
clinics never shares a uuid, and two laptops sharing one data folder through git (the file is
committed with the charts) export the same ids.
"""

from __future__ import annotations

import tomllib
import uuid
from pathlib import Path

from mesolog.errors import CorruptFile
from mesolog.store import history
from mesolog.store.files import chart_lock, write_atomically
from mesolog.store.paths import make_private_dir

FILE_NAME = "clinic.toml"
_TEXT = (
    "# This clinic's identity, made once by mesolog. Keep it (and commit it with the charts):\n"
    "# FHIR exports derive every patient, session and identifier uuid from it.\n"
    'id = "{id}"\n'
)


def _read(path: Path) -> str:
    try:
        value = tomllib.loads(path.read_text(encoding="utf-8")).get("id")
        return str(uuid.UUID(str(value)))
    except (tomllib.TOMLDecodeError, ValueError, UnicodeDecodeError):
        raise CorruptFile(path, 'the clinic identity must be a line id = "<uuid>"') from None


def clinic_id(data_dir: Path, lock_dir: Path) -> str:
    """The uuid of this data folder; made (and committed when history is on) the first time."""
    path = data_dir / FILE_NAME
    if path.is_file():
        return _read(path)
    make_private_dir(data_dir)
    with chart_lock(lock_dir, ".clinic-identity"):
        if path.is_file():  # made by another process while we waited
            return _read(path)
        made = str(uuid.uuid4())
        write_atomically(path, _TEXT.format(id=made))
    history.record(data_dir, path, "clinic identity created", "", lock_dir)
    return made
