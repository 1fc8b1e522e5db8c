"""Every kind of refusal mesolog can give, and the exit code of each.

Each error carries one clear sentence for the practitioner. The CLI prints that sentence on
stderr and exits with ``exit_code``; nothing else decides exit codes.
"""

from __future__ import annotations

from functools import cache

# Exit codes (docs/design.md): 0 done; 1 a refused action or bad data; 2 bad usage or an invalid value.
EXIT_REFUSED = 1
EXIT_USAGE = 2


SHOWN_VALUE_CHARS = 40


# --- what reaches a screen is inert ----------------------------------------------------------
#
# A chart is text anyone could have typed, merged or edited by hand: an escape sequence in it
# would clear the screen, retitle the window, write the clipboard (OSC 52), hide text or plant a
# link. The rule is one function, ``inert``: every control character (C0 but newline and tab,
# DEL, C1), every invisible direction mark and the line and paragraph separators are shown as
# their escapes (ESC as the four characters \x1b). Every refusal's sentence passes through it
# (``MesologError``), and so does every text the views print (``mesolog.render.console``).

_KEPT = "\n\t"
_INVISIBLE = (
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    "\u2028\u2029"
)


@cache
def inert_table() -> dict[int, str]:
    """What ``inert`` writes for each character it shows visibly (code point -> escape)."""
    codes = [*range(0x00, 0x20), *range(0x7F, 0xA0)]
    table = {c: f"\\x{c:02x}" for c in codes if chr(c) not in _KEPT}
    return table | {ord(c): f"\\u{ord(c):04x}" for c in _INVISIBLE}


def inert(text: str) -> str:
    """``text`` with every control character, invisible mark and line separator shown visibly."""
    # Lines of plain text (an export writes thousands) are printable but for their newlines.
    if text.replace("\n", "").isprintable():
        return text
    return text.translate(inert_table())


def shortened(value: object, limit: int = SHOWN_VALUE_CHARS) -> str:
    """A value as quoted in a message: its repr (so control characters show as escapes),
    cut to ``limit`` characters; a chart's free text is never echoed whole."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class MesologError(Exception):
    """Base of every refusal; the message is what the practitioner reads."""

    exit_code = EXIT_REFUSED

    def __init__(self, message: str) -> None:
        # Inert once, here: a refusal quoting a chart (a name, a list of complications, a "did
        # you mean") never sends its escape sequences to the terminal, wherever it is printed.
        message = inert(message)
        super().__init__(message)
        self.message = message


class BadUsage(MesologError):
    """Base of the refusals of what was typed (bad usage or an invalid value): exit 2."""

    exit_code = EXIT_USAGE


class InvalidValue(BadUsage):
    """A value typed by the practitioner is not allowed (field, value and what is allowed)."""

    def __init__(self, field: str, value: object, allowed: str) -> None:
        super().__init__(f"{field} {shortened(value)} is not allowed: {allowed}.")
        self.field = field


class MissingFields(BadUsage):
    """Required fields were neither given nor could be asked for."""

    def __init__(self, fields: list[str]) -> None:
        names = ", ".join(fields)
        super().__init__(
            f"missing required field{'s' if len(fields) > 1 else ''}: {names} "
            "(give them as options, or run in a terminal to be asked)."
        )
        self.fields = fields


class InvalidPatientId(BadUsage):
    """An id that could not safely become a file name; refused before any path is built."""


class UnknownPatient(MesologError):
    """No chart has that id."""


class PatientExists(MesologError):
    """A chart with that id (ignoring case) already exists."""


class UnknownSession(MesologError):
    """The patient has no session with that number."""


class UnknownCourse(MesologError):
    """The patient has no course with that name."""


class CorruptFile(MesologError):
    """A patient file that cannot be read as a chart; it is never overwritten."""

    def __init__(self, path: object, reason: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if line else f"{path}"
        super().__init__(f"{where}: {reason}")
        self.reason = reason
        self.line = line


class NewerSchema(MesologError):
    """A file written by a newer mesolog; refused, never rewritten."""


class UnsafeFile(MesologError):
    """A patient file that is a link out of the data folder, or otherwise not ours to touch."""


class NoDataFolder(MesologError):
    """A reading command pointed at a data folder that does not exist."""


class LeftOut(MesologError):
    """An answer was printed, but some charts could not be read and are not in it."""


class ImpossibleDate(MesologError):
    """A chart's dates cannot be computed with (the next session would fall after 9999)."""


class ChartBusy(MesologError):
    """Another mesolog holds the lock on this chart."""


class ConfigError(MesologError):
    """The config file cannot be read."""


class HistoryError(MesologError):
    """git is missing or refused a command given through ``mesolog git``."""


class WouldLoseHandEdits(MesologError):
    """A change that cannot be written without losing something typed by hand in the chart."""


class RemovedByHand(MesologError):
    """A chart edited outside mesolog lost what it recorded (a session, an amendment, a
    complication, a photo record): it is not committed until that is put back."""


class DuplicateSession(MesologError):
    """Two sessions of a chart carry the same number; changing "the" session would be a guess."""


class OutputExists(MesologError):
    """An output file is already there; it is replaced only with ``--force``."""


class MissingValue(BadUsage):
    """An option given empty where it needs a value (``--output ""``): bad usage."""


class NothingToChange(BadUsage):
    """A correction that names nothing to change (no option given): bad usage."""


class UnknownSetting(BadUsage):
    """``config set/unset`` was given a key mesolog does not know (or cannot set)."""


class NoSuchFolder(MesologError):
    """An output file was asked for in a folder that is not there."""


class AlreadyRecorded(MesologError):
    """A correction that would leave the chart as it is (the values given are the chart's
    already, a void of a voided session): a refused action (exit 1), not an invalid value."""


class CannotMerge(MesologError):
    """Two versions of a chart that the merge cannot read; the chart is left as it was."""


class SyncFailed(MesologError):
    """``mesolog sync`` stopped (offline, no remote, push refused, hand edits); nothing lost."""


class RemoteRefused(MesologError):
    """``mesolog sync`` refused what the remote holds (a chart deleted, moved or unreadable, a
    link, a merge attribute that is not mesolog's); nothing here was changed or pushed."""


class MergeConflict(MesologError):
    """A merge kept both values of a field changed two ways; ``amend`` (a session),
    ``patient edit`` or ``course edit`` (the chart's own details) settles it."""


class UnreadableImport(MesologError):
    """A file given to ``import`` that cannot be read as records (wrong kind, empty, no rows)."""


class ImportRejected(MesologError):
    """``import --apply`` refused: some rows were rejected and --skip-rejected was not given."""


class ImportInterrupted(MesologError):
    """``import --apply`` stopped by a fault while writing (a full disk): the charts written so
    far were put back, or the message names those that could not be."""


class WhichOne(BadUsage):
    """A correction names an item two or more items of the session answer to (two products of
    one name, two bruises): the command asks which, by its number, instead of guessing."""


class UnusablePhoto(MesologError):
    """A file given to ``photo add`` that cannot be kept as a picture: not an image, cut short,
    too large, a link or not a regular file. Nothing is written."""


class ChartHasErrors(MesologError):
    """A chart `mesolog check` calls wrong, refused by a change that moves it whole (``patient
    rename``): the errors are put right first, where they are."""


class AlreadyShared(MesologError):
    """A chart that the shared repository holds already, refused by ``patient rename``: on
    the other laptops a new id would arrive as a chart deleted, which ``sync`` refuses."""
