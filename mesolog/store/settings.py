"""`config set` and `config unset`: change one setting, keep the rest of the file as typed.

The file is edited as text, not re-serialised: only the lines of the one setting change, so
comments, blank lines, order and the other settings stay as the practitioner wrote them. The
result is parsed again and must hold exactly the old settings plus the one change; otherwise
nothing is written and the refusal says to edit the file by hand. Writes are atomic.

Keys: ``practitioner``, ``clinic_name``, ``clinic_address``, ``technique`` (gun or hand),
``anaesthetic``, and ``aftercare.INDICATION`` (``aftercare.hair loss``: the advice printed on
the summary page for that indication; an indication is matched by meaning, so
``aftercare.alopecia`` changes the ``"hair loss"`` entry).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mesolog.errors import ConfigError, InvalidValue, UnknownSetting
from mesolog.model import vocabulary as vocab
from mesolog.model.aftercare import same_indication
from mesolog.store.config import _decode
from mesolog.store.files import write_atomically
from mesolog.store.paths import make_private_dir

AFTERCARE = "aftercare"
TEXT_KEYS = ("practitioner", "clinic_name", "clinic_address", "technique", "anaesthetic")
# Settings that may hold several lines (an address, advice); the others are one line.
MULTILINE = ("clinic_address", AFTERCARE)
LONGEST = {AFTERCARE: 4000, "clinic_address": 400}
LISTS = ("areas", "substances")
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
    if key.name == "technique" and not key.table and text not in vocab.TECHNIQUES:
        raise InvalidValue("technique", text, "use gun or hand")
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
    new_text = _spliced(old_text, Key(key.table, name), text)
    _write_checked(path, new_text, _with(old, key.table, name, name, text), key)
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
    new_text = _spliced(old_text, Key(key.table, stored), None)
    expected = _with(old, key.table, stored, None, None)
    _write_checked(path, new_text, expected, key)
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


def _write_checked(path: Path, new_text: str, expected: dict[str, Any], key: Key) -> None:
    try:
        ok = tomllib.loads(new_text) == expected
    except tomllib.TOMLDecodeError:
        ok = False
    if not ok:
        raise ConfigError(
            f"{key} cannot be changed in {path} without disturbing how it is written there; "
            "edit the file by hand (nothing was changed)."
        )
    _decode(path, expected)  # the whole file must still load
    make_private_dir(path.parent)
    write_atomically(path, new_text)


# --- text splicing -----------------------------------------------------------------------------

_HEADER = re.compile(r"^\s*\[")
_KEY = re.compile(r"""^\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)\s*=""")


def _header_name(line: str) -> str | None:
    """``[aftercare]`` -> "aftercare"; an array of tables or a dotted header -> its text."""
    try:
        parsed = tomllib.loads(line.strip() + "\n")
    except tomllib.TOMLDecodeError:
        return None
    return next(iter(parsed), None)


def _section(lines: list[str], table: str | None) -> tuple[int, int] | None:
    """[start, end) of the lines holding the keys of ``table`` (None: the top level)."""
    headers = [i for i, line in enumerate(lines) if _HEADER.match(line)]
    if table is None:
        return 0, headers[0] if headers else len(lines)
    for n, i in enumerate(headers):
        if lines[i].strip().startswith("[[") or _header_name(lines[i]) != table:
            continue
        if tomllib.loads(lines[i].strip() + "\n").get(table) != {}:
            continue  # [aftercare.x] is a sub-table, not ours
        return i + 1, headers[n + 1] if n + 1 < len(headers) else len(lines)
    return None


def _key_of(line: str) -> str | None:
    found = _KEY.match(line)
    if not found:
        return None
    word = found.group(1)
    if word[0] in "\"'":
        try:
            return next(iter(tomllib.loads(f"{word} = 0")))
        except tomllib.TOMLDecodeError:
            return None
    return word


def _assignment(lines: list[str], start: int, end: int, name: str) -> tuple[int, int] | None:
    """[first, last) lines of ``name = value`` within the section (a value may span lines)."""
    for i in range(start, end):
        if _key_of(lines[i]) != name:
            continue
        for j in range(i + 1, end + 1):
            try:
                tomllib.loads("".join(lines[i:j]))
                return i, j
            except tomllib.TOMLDecodeError:
                continue
    return None


def _line(name: str, value: str) -> str:
    import tomli_w

    return tomli_w.dumps({name: value})


def _trailing_comment(line: str) -> str:
    """A ``# comment`` after the value on a one-line assignment, with the spaces before it."""
    for at in range(len(line) - 1, -1, -1):
        if line[at] == "#":
            try:
                before = tomllib.loads(line[:at] + "\n")
                if before == tomllib.loads(line):
                    kept = line[:at]
                    return line[len(kept.rstrip()) :].rstrip("\n")
            except tomllib.TOMLDecodeError:
                continue
    return ""


def _spliced(text: str, key: Key, value: str | None) -> str:
    """``text`` with the one assignment replaced, added, or (value None) removed."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    section = _section(lines, key.table)
    found = _assignment(lines, *section, key.name) if section else None
    new = [] if value is None else [_line(key.name, value)]
    if found:
        first, last = found
        if new and last - first == 1:
            comment = _trailing_comment(lines[first])
            new = [new[0].rstrip("\n") + comment + "\n"]
        return "".join(lines[:first] + new + lines[last:])
    if value is None:
        return text
    if section is None:  # no [aftercare] table yet: a new one at the end
        body = "".join(lines) or NEW_FILE
        gap = "" if body.endswith("\n\n") else "\n"
        return f"{body}{gap}[{key.table}]\n{new[0]}"
    start, end = section
    at = end
    while at > start and not lines[at - 1].strip():
        at -= 1  # after the section's last line, before the blank lines that end it
    if not lines:
        lines = [NEW_FILE]
        at = 1
    return "".join(lines[:at] + new + lines[at:])
