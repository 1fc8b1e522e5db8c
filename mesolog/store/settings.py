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

The clinic's own words (docs/vocabulary.md): ``areas NAME`` adds an area, ``zones AREA/ZONE`` a
zone of the injection map, ``products NAME`` adds a product with the category "clinic product" (``substances`` is
the same table), ``products.NAME CATEGORY`` sets its category; ``config unset areas.NAME``, ``zones.AREA/ZONE``
or ``products.NAME`` takes one off.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mesolog.errors import (
    ConfigError,
    InvalidValue,
    UnknownSetting,
    WouldLoseHandEdits,
    shortened,
)
from mesolog.model import vocabulary as vocab
from mesolog.model.aftercare import same_indication
from mesolog.model.values import one_line, technique
from mesolog.store.config import TEXT_KEYS, config_from
from mesolog.store.files import write_atomically
from mesolog.store.paths import make_private_dir

AFTERCARE = "aftercare"
# Settings that may hold several lines (an address, advice); the others are one line.
MULTILINE = ("clinic_address", AFTERCARE)
LONGEST = {AFTERCARE: 4000, "clinic_address": 400}
LISTS = ("areas", "zones", "substances")
AREAS, ZONES, SUBSTANCES = LISTS
# The words a practitioner may use for the clinic's own lists.
LIST_NAMES = {"areas": AREAS, "zones": ZONES, "substances": SUBSTANCES, "products": SUBSTANCES}
CLINIC_PRODUCT = "clinic product"  # the category of a product added without one
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
    if key in LIST_NAMES:
        return Key(None, LIST_NAMES[key])
    head, dot, rest = key.partition(".")
    if head in LIST_NAMES and dot and rest.strip():
        return Key(LIST_NAMES[head], " ".join(rest.strip().strip("\"'").split()))
    if head == AFTERCARE:
        indication = rest.strip().strip("\"'").strip()
        if not dot or not indication:
            raise UnknownSetting(
                "aftercare needs the indication it is for, e.g. 'aftercare.hair loss'."
            )
        return Key(AFTERCARE, indication)
    known = [*TEXT_KEYS, "aftercare.INDICATION", "areas", "zones", "products", "products.NAME"]
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
    # Control characters (C0, DEL, C1 such as U+0085) and the line and paragraph separators
    # (U+2028, U+2029) would break the line the setting is shown on, or print as a new one.
    import unicodedata

    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") and c not in allowed for c in text):
        lines = "" if allowed else "one line of "
        raise InvalidValue(str(key), text[:40], f"{lines}text without control characters")
    if key.name == "technique" and not key.table:
        return technique(text)  # the model's rule, stored as its word ("by hand" -> "hand")
    return " ".join(text.split()) if key.name in LISTS or key.table in LISTS else text


# --- changing the file -------------------------------------------------------------------------


def set_value(path: Path, key_text: str, value: str) -> str:
    """Set one setting; returns the sentence saying what changed."""
    key = parse_key(key_text)
    text = checked_value(key, value)
    old_text, old = _read(path)
    if key.table is None and key.name in LISTS:
        return _add_word(path, old_text, old, key.name, text)
    if key.table in WORD_LISTS:
        raise UnknownSetting(f"add one with: config set {key.table} {shortened(key.name)}")
    # An indication already in the file keeps the word it was typed with there.
    name = _stored_name(old, key) or key.name
    _write_checked(path, old_text, old, _with(old, key.table, name, text), key)
    shown = Key(key.table, name)
    return f"{shown} set in {path}."


def unset_value(path: Path, key_text: str) -> str:
    """Remove one setting (its default applies again); returns the sentence saying so."""
    key = parse_key(key_text)
    old_text, old = _read(path)
    if key.table in WORD_LISTS:
        return _remove_word(path, old_text, old, key.table, key.name)
    if key.table is None and key.name in LISTS:
        raise UnknownSetting(
            f"name the one to take off, e.g. config unset {key.name}.NAME (a list is never "
            "emptied at once)"
        )
    stored = _stored_name(old, key)
    if stored is None:
        return f"{key} was not set in {path}; nothing changed."
    _write_checked(path, old_text, old, _with(old, key.table, stored, None), key)
    return f"{key} removed from {path}; the default applies."


# The lists of words (areas; zones as AREA/ZONE), as opposed to the products' table.
WORD_LISTS = {AREAS: "area", ZONES: "zone"}


def _add_word(path: Path, old_text: str, old: dict[str, Any], list_name: str, word: str) -> str:
    """An area (or zone) appended to its list, or a product added to ``[substances]`` (category
    "clinic product"); a word the clinic has already is said, not added twice."""
    one_line(word, list_name)
    if list_name in WORD_LISTS:
        kind = WORD_LISTS[list_name]
        words = old.get(list_name, [])
        if not isinstance(words, list):
            raise ConfigError(f"{path}: {list_name} must be a list of text; fix it by hand first.")
        if any(vocab.normalize(str(a)) == vocab.normalize(word) for a in words):
            return f"{kind} {shortened(word)} is in {path} already; nothing changed."
        expected = {**old, list_name: [*words, word]}
        what = f"{kind} {shortened(word)} added to {path}: a known word from now on."
    else:
        table = old.get(SUBSTANCES, {})
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [substances] must be a table; fix it by hand first.")
        if any(vocab.normalize(str(n)) == vocab.normalize(word) for n in table):
            return f"product {shortened(word)} is in {path} already; nothing changed."
        expected = {**old, SUBSTANCES: {**table, word: CLINIC_PRODUCT}}
        what = (
            f"product {shortened(word)} added to {path} (category {CLINIC_PRODUCT!r}; set "
            f'another with: config set "products.{word}" CATEGORY).'
        )
    _write_checked(path, old_text, old, expected, Key(None, list_name))
    return what


def _remove_word(path: Path, old_text: str, old: dict[str, Any], list_name: str, word: str) -> str:
    kind = WORD_LISTS[list_name]
    words = old.get(list_name, [])
    kept = [a for a in words if vocab.normalize(str(a)) != vocab.normalize(word)]
    if not isinstance(words, list) or len(kept) == len(words):
        return f"{kind} {shortened(word)} was not in {path}; nothing changed."
    expected = {k: v for k, v in old.items() if k != list_name or kept}
    if kept:
        expected[list_name] = kept
    _write_checked(path, old_text, old, expected, Key(list_name, word))
    return f"{kind} {shortened(word)} removed from {path}."


def _read(path: Path) -> tuple[str, dict[str, Any]]:
    """The file's text (none yet: empty) and its settings."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"config file {path} cannot be read: {error}") from None
    try:
        return text, tomllib.loads(text)
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
    if key.table == SUBSTANCES:  # a product by its name, whatever the case it is typed in
        same = (n for n in table if vocab.normalize(str(n)) == vocab.normalize(key.name))
        return next(same, None)
    return next((name for name in table if same_indication(name, key.name)), None)


def _with(data: dict[str, Any], table: str | None, name: str, value: str | None) -> dict[str, Any]:
    """The settings as they must read after the change: ``name`` set to ``value``, or removed
    (``value`` None)."""
    out = dict(data)
    where = out if table is None else dict(out.get(table, {}))
    where.pop(name, None)
    if value is not None:
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
