"""The clinic's identity and secret, made once per data folder and kept in it (``clinic.toml``).

FHIR exports derive every ``urn:uuid`` and identifier system from the identity (a uuid), so
patient P-0042 of two clinics never shares a uuid, and two laptops sharing one data folder
through git (the file is committed with the charts) export the same ids. The secret (random,
never exported) goes into each patient's key, so no one can recompute an id from a patient
number (docs/exports.md). A JSON export carries the identity, not the secret: a restored
clinic takes the identity back (``adopt_identity``) and its charts keep their patients' keys.
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
MADE = "clinic identity created"  # its commit message
_TEXT = (
    "# This clinic's identity, made once by mesolog. Keep it (and commit it with the charts):\n"
    "# FHIR exports derive every patient, session and identifier uuid from it. The secret\n"
    "# keeps those uuids from being recomputed from patient numbers: never share it.\n"
    'id = "{id}"\n'
    'secret = "{secret}"\n'
)


def _read(path: Path) -> tuple[str, str | None]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        secret = data.get("secret")
        if secret is not None and (not isinstance(secret, str) or len(secret) < 32):
            raise ValueError(secret)
        return str(uuid.UUID(str(data.get("id")))), secret
    except (tomllib.TOMLDecodeError, ValueError, UnicodeDecodeError):
        raise CorruptFile(
            path, 'the clinic identity must be a line id = "<uuid>" (and secret = "<hex>")'
        ) from None


def clinic_keys(data_dir: Path, lock_dir: Path, adopt: str | None = None) -> tuple[str, str]:
    """The uuid and secret of this data folder; made (and committed when history is on) the
    first time, or the secret added to a folder made before secrets were. ``adopt``: the
    identity of a restored JSON export, taken when the folder has none yet."""
    path = data_dir / FILE_NAME
    if path.is_file():
        found, secret = _read(path)
        if secret is not None:
            return found, secret
    make_private_dir(data_dir)
    with chart_lock(lock_dir, ".clinic-identity"):
        found, secret = _read(path) if path.is_file() else (adopt or str(uuid.uuid4()), None)
        if secret is not None:  # made by another process while we waited
            return found, secret
        import secrets

        secret = secrets.token_hex(32)
        text = _TEXT.format(id=found, secret=secret)
        # Announced before it is written, as a chart's change is: a kill before the commit is
        # committed by the next command under this message, never taken for a hand edit
        # (docs/sharing.md).
        with history.writing(data_dir, {path: text}, MADE, ""):
            write_atomically(path, text)
            history.record(data_dir, path, MADE, "", lock_dir)
    return found, secret
