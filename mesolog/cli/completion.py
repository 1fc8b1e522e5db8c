"""Shell completion from the data and the vocabulary: patient ids, areas, substances, lots,
methods, course names, the session numbers of the patient on the line...

Each public function here is a click ``shell_complete`` function, given to the parameter that
completes from it where the parameter is declared (``typer.Option(shell_complete=...)``).
Typer's own ``autocompletion=`` would keep only the answers that start with the typed word as
typed (case and all), which loses ``p-01`` -> ``P-0107`` and the quoted answers below.
Completion must never print an error into the shell: every completer answers ``[]`` rather
than fail.

Values with spaces (``hyaluronic acid``) must arrive as one word. Typer's zsh script quotes
each value and fish escapes what it inserts, but Typer's bash script puts our answer into
COMPREPLY as it is, so for bash the answer is quoted here the way the word being completed
was started: ``hyaluronic\\ acid``, or inside the quote the practitioner opened.

This module reads the data through the store directly (not through ``application``), so the
declarations of the parameters can name these functions without an import cycle.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from typing import Any

# The completion instruction Typer's scripts put in the environment (``complete_bash``...).
COMPLETE_VAR = "_MESOLOG_COMPLETE"


def clinic_of(ctx: Any) -> Any:
    from mesolog.store import Clinic, data_location

    # The root callback does not run while completing; read --data-dir from the parsed params.
    return Clinic(data_location(ctx.find_root().params.get("data_dir")).path)


def _vocabulary() -> Any:
    from mesolog.store import config, config_location

    return config.load(config_location().path).vocabulary()


def _index(ctx: Any) -> Any:
    from mesolog.store import cache, cache_location

    return cache.opened(clinic_of(ctx), cache_location().path)


def _chart_on_the_line(ctx: Any) -> Any:
    """The chart of the patient id already typed on the command line, or None."""
    patient_id = ctx.params.get("patient_id") or _first_word_after(ctx.info_name)
    return clinic_of(ctx).load(patient_id) if patient_id else None


def _first_word_after(command: str | None) -> str | None:
    """The first word after the command word that is not an option: the patient id as people
    type it. Click stops parsing at an option still waiting for its value (``--course <Tab>``),
    so the id is read from the line the shell handed over."""
    import shlex

    line = os.environ.get("COMP_WORDS", "").replace("\n", " ") or os.environ.get(
        "_TYPER_COMPLETE_ARGS", ""
    )
    try:
        words = shlex.split(line)
    except ValueError:
        words = line.split()
    if command not in words:
        return None
    after = words[words.index(command) + 1 : -1 if not line.endswith(" ") else None]
    return next((w for w in after if not w.startswith("-")), None)


Completer = Callable[[Any, Any, str], list[str]]


def _completer(source: Callable[[Any], Iterable[str]]) -> Completer:
    """``source`` (the words a kind of value completes from) as a click ``shell_complete``
    function: the words that begin with what was typed (ignoring case), each once, in order,
    quoted for the shell; ``[]`` rather than an error."""

    def complete(ctx: Any, param: Any, incomplete: str) -> list[str]:
        typed = incomplete.lower()
        try:
            words = dict.fromkeys(w for w in source(ctx) if w.lower().startswith(typed))
            return for_the_shell(list(words))
        except Exception:  # completion must never print an error into the shell
            return []

    complete.__name__ = complete.__qualname__ = source.__name__
    complete.__doc__ = source.__doc__
    return complete


# --- what each kind of value completes from -----------------------------------------------------


@_completer
def patients(ctx: Any) -> list[str]:
    return list(clinic_of(ctx).ids())


def _words(kind: str, built_in: bool = False) -> Completer:
    """Completes from the clinic's words of one kind (``areas``...): the built-in ones and the
    config's own; or, ``built_in``, from one of the fixed lists of ``model.vocabulary``
    (``techniques`` reads ``TECHNIQUES``)."""

    def source(ctx: Any) -> Iterable[str]:
        if built_in:
            from mesolog.model import vocabulary

            return tuple(getattr(vocabulary, kind.upper()))
        return sorted(getattr(_vocabulary(), kind))

    source.__name__ = kind
    return _completer(source)


areas = _words("areas")
complications = _words("complications")
indications = _words("indications")
techniques = _words("techniques", built_in=True)
methods = _words("methods", built_in=True)
anaesthetics = _words("anaesthetics", built_in=True)
sexes = _words("sexes", built_in=True)


@_completer
def substances(ctx: Any) -> list[str]:
    with _index(ctx) as index:
        used = index.substance_names()
    return sorted(set(used) | set(_vocabulary().substances))


@_completer
def lots(ctx: Any) -> list[str]:
    """Each lot once, as first typed: ``lot`` ignores case and spaces, so ``d2411`` and
    ``D 2411`` are one answer."""
    from mesolog.model.values import lot_key

    with _index(ctx) as index:
        known = index.lots()
    first = {lot_key(lot): lot for lot in reversed(known)}
    return [lot for lot in known if first[lot_key(lot)] == lot]


@_completer
def stats_groups(ctx: Any) -> tuple[str, ...]:
    from mesolog.model import questions

    return questions.STATS_BY


@_completer
def course_statuses(ctx: Any) -> tuple[str, ...]:
    """The states a course is closed with (`course close --status`)."""
    return ("completed", "stopped")


# The --format values of the commands whose forms differ from the report's.
FORMATS_OF = {"export": ("json", "csv", "fhir", "fhir-ndjson"), "check": ("text", "json")}
REPORT_FORMATS = ("table", "json", "csv", "markdown")


@_completer
def formats(ctx: Any) -> tuple[str, ...]:
    return FORMATS_OF.get(ctx.info_name, REPORT_FORMATS)


@_completer
def courses(ctx: Any) -> list[str]:
    chart = _chart_on_the_line(ctx)
    return [c.name for c in chart.courses] if chart else []


@_completer
def sessions(ctx: Any) -> list[str]:
    chart = _chart_on_the_line(ctx)
    return [str(s.id) for s in chart.sessions] if chart else []


# --- quoting for the shell ------------------------------------------------------------------------

_SAFE_IN_BASH = re.compile(r"[^\w@%+=:,./-]")


def for_the_shell(values: list[str]) -> list[str]:
    """Values as the shell must receive them to keep each one a single word (see the top)."""
    if os.environ.get(COMPLETE_VAR) != "complete_bash":
        return values
    started = _word_being_completed()[:1]
    return [bash_word(v, started) for v in values]


def bash_word(value: str, started: str = "") -> str:
    """``value`` as bash must read it, continuing a word that began with ``started``."""
    if started == '"':
        return '"' + re.sub(r'(["\\$`])', r"\\\1", value) + '"'
    if started == "'" and "'" not in value:
        return f"'{value}'"
    return _SAFE_IN_BASH.sub(lambda m: "\\" + m.group(0), value)


def _word_being_completed() -> str:
    # Typer's bash script joins COMP_WORDS with its IFS, a newline.
    words = os.environ.get("COMP_WORDS", "").split("\n")
    try:
        return words[int(os.environ.get("COMP_CWORD", ""))]
    except (ValueError, IndexError):
        return ""
