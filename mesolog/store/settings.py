"""`config set` and `config unset`: change one setting, keep the rest of the file as typed.

The file is edited as text by the same in-place editor as charts (``store.editing.revise``),
not re-serialised: only the lines of the one setting change, so
comments, blank lines, order and the other settings stay as the practitioner wrote them. The
result is parsed again and must hold exactly the old settings plus the one change; otherwise
nothing is written and the refusal says to edit the file by hand. Writes are atomic.

Keys: ``practitioner``, ``clinic_name``, ``clinic_address``, ``technique`` (gun or hand),
``anaesthetic``, and ``aftercare.INDICATION`` (``aftercare.hair loss``: the advice printed on
the summary page for that indication; an indication is matched by meaning, so
``aftercare.alopecia`` changes the ``"hair loss"`` entry).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mesolog.errors import ConfigError, InvalidValue, UnknownSetting, WouldLoseHandEdits
from mesolog.model import vocabulary as vocab
from mesolog.model.aftercare import same_indication
from mesolog.model.values import technique
from mesolog.store.config import config_from
from mesolog.store.files import write_atomically
from mesolog.store.paths import make_private_dir

AFTERCARE = "aftercare"
TEXT_KEYS = ("practitioner", "clinic_name", "clinic_address", "technique", "anaesthetic")
# Settings that may hold several lines (an address, advice); the others are one line.
MULTILINE = ("clinic_address", AFTERCARE)
LONGEST = {AFTERCARE: 4000, "clinic_address": 400}
LISTS = ("areas", "zones", "substances")
NEW_FILE = "# mesolog settings (`mesolog config set/unset` keep comments and layout)\n"


@dataclass(frozen=True)
class Key:
    """A setting's place in the file: top level, or a key of the ``[aftercare]`` table."""

    table: str | None  # None: a top-level key; "aftercare": a key in [aftercare]
    name: str

    def __str__(self) -> str:
        return f"{self.table}.{self.name}" if self.table else self.name


def parse_key(text: str) -> Key:
    """The setting a KEY argument names, or one sentence saying what the known ones are."""
    key = text.strip()
    if key in TEXT_KEYS:
        return Key(None, key)
    head, dot, rest = key.partition(".")
    if head == AFTERCARE:
        indication = rest.strip().strip("\"'").strip()
        if not dot or not indication:
            raise UnknownSetting(
                "aftercare needs the indication it is for, e.g. 'aftercare.hair loss'."
            )
        return Key(AFTERCARE, indication)
    if key in LISTS:
        raise UnknownSetting(
            f"{key} is a list: edit it in the config file (its path: mesolog config path)."
        )
    known = [*TEXT_KEYS, "aftercare.INDICATION"]
    close = vocab.close_match(key, [*TEXT_KEYS, AFTERCARE, *LISTS])
    hint = f" (did you mean {close!r}?)" if close else ""
    raise UnknownSetting(f"unknown setting {key!r}{hint}; settings are {', '.join(known)}.")


def checked_value(key: Key, value: str) -> str:
    """The value as it will be stored, or a refusal naming what is allowed."""
    kind = key.table or key.name
    text = value.strip()
    if kind in MULTILINE:
        # A shell passes `'12 rue des Lilas\n75011 Paris'` with a backslash and an n: the line
        # break the practitioner meant, stored as one (the page prints the address's lines).
        text = text.replace("\\n", "\n")
    if not text:
        raise InvalidValue(
            str(key), value, f"give some text, or remove it with: config unset {key}"
        )
    if len(text) > LONGEST.get(kind, 200):
        raise InvalidValue(
            str(key), text[:40] + "...", f"at most {LONGEST.get(kind, 200)} characters"
        )
    allowed = "\n\t" if kind in MULTILINE else ""
    if any((ord(c) < 32 or ord(c) == 127) and c not in allowed for c in text):
        lines = "" if allowed else "one line of "
        raise InvalidValue(str(key), text[:40], f"{lines}text without control characters")
    if key.name == "technique" and not key.table:
        return technique(text)  # the model's rule, stored as its word ("by hand" -> "hand")
    return text


# --- changing the file -------------------------------------------------------------------------


def set_value(path: Path, key_text: str, value: str) -> str:
    """Set one setting; returns the sentence saying what changed."""
    key = parse_key(key_text)
    text = checked_value(key, value)
    old_text = _read(path)
    old = _parse(path, old_text)
    # An indication already in the file keeps the word it was typed with there.
    name = _stored_name(old, key) or key.name
    _write_checked(path, old_text, old, _with(old, key.table, name, name, text), key)
    shown = Key(key.table, name)
    return f"{shown} set in {path}."


def unset_value(path: Path, key_text: str) -> str:
    """Remove one setting (its default applies again); returns the sentence saying so."""
    key = parse_key(key_text)
    old_text = _read(path)
    old = _parse(path, old_text)
    stored = _stored_name(old, key)
    if stored is None:
        return f"{key} was not set in {path}; nothing changed."
    _write_checked(path, old_text, old, _with(old, key.table, stored, None, None), key)
    return f"{key} removed from {path}; the default applies."


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"config file {path} cannot be read: {error}") from None


def _parse(path: Path, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(
            f"{path}: broken config file ({error}); fix it before changing it."
        ) from None


def _stored_name(data: dict[str, Any], key: Key) -> str | None:
    """The name the setting has in the file now (an indication as typed there), or None."""
    if key.table is None:
        return key.name if key.name in data else None
    table = data.get(key.table)
    if not isinstance(table, dict):
        return None
    return next((name for name in table if same_indication(name, key.name)), None)


def _with(
    data: dict[str, Any],
    table: str | None,
    old_name: str | None,
    name: str | None,
    value: str | None,
) -> dict[str, Any]:
    """The settings as they must read after the change."""
    out = dict(data)
    where = out if table is None else dict(out.get(table, {}))
    if old_name is not None:
        where.pop(old_name, None)
    if name is not None:
        where[name] = value
    if table is not None:
        out[table] = where
    return out


def _write_checked(
    path: Path, old_text: str, old: dict[str, Any], expected: dict[str, Any], key: Key
) -> None:
    """The change written into the file's own text (store.editing, as for charts: only the
    setting's lines differ), read back and compared with what it must hold, then written."""
    from mesolog.store.editing import revise
    from mesolog.store.layout import LayoutError

    try:
        new_text = revise(old_text, old, expected) if old_text.strip() else ""
        new_text = new_text or NEW_FILE + revise("", {}, expected)
        ok = tomllib.loads(new_text) == expected
    except (LayoutError, WouldLoseHandEdits, tomllib.TOMLDecodeError):
        ok = False
    if not ok:
        raise ConfigError(
            f"{key} cannot be changed in {path} without disturbing how it is written there; "
            "edit the file by hand (nothing was changed)."
        )
    config_from(path, expected)  # the whole file must still load
    make_private_dir(path.parent)
    write_atomically(path, new_text)
