"""Shell completion from the data and the vocabulary: patient ids, areas, substances, lots,
methods, course names, the session numbers of the patient on the line...

``COMPLETERS`` says which parameter completes from what; ``mesolog.cli.words`` attaches them to
every command Typer builds, so a new option called ``--technique`` completes without a word
here. Completion must never print an error into the shell: every completer answers ``[]``
rather than fail.

Values with spaces (``hyaluronic acid``) must arrive as one word. Typer's zsh script quotes
each value and fish escapes what it inserts, but Typer's bash script puts our answer into
COMPREPLY as it is, so for bash the answer is quoted here the way the word being completed
was started: ``hyaluronic\\ acid``, or inside the quote the practitioner opened.

This module reads the data through the store directly (not through ``application``), so the
application can attach completers without an import cycle.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from typing import Any

# The completion instruction Typer's scripts put in the environment (``complete_bash``...).
COMPLETE_VAR = "_MESOLOG_COMPLETE"


def _data_dir(ctx: Any) -> str | None:
    # The root callback does not run while completing; read --data-dir from the parsed params.
    value = ctx.find_root().params.get("data_dir")
    return str(value) if value else None


def clinic_of(ctx: Any) -> Any:
    from mesolog.store import Clinic, data_location

    return Clinic(data_location(_data_dir(ctx)).path)


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


def _starting(words: Iterable[str], incomplete: str) -> list[str]:
    """The words that begin with what was typed (ignoring case), each once, in order."""
    typed = incomplete.lower()
    return list(dict.fromkeys(w for w in words if w.lower().startswith(typed)))


# --- what each kind of value completes from -----------------------------------------------------


def patients(ctx: Any, incomplete: str) -> list[str]:
    return _starting(clinic_of(ctx).ids(), incomplete)


def areas(ctx: Any, incomplete: str) -> list[str]:
    return _starting(sorted(_vocabulary().areas), incomplete)


def substances(ctx: Any, incomplete: str) -> list[str]:
    with _index(ctx) as index:
        used = index.substance_names()
    return _starting(sorted(set(used) | set(_vocabulary().substances)), incomplete)


def lots(ctx: Any, incomplete: str) -> list[str]:
    """Each lot once, as first typed: ``lot`` ignores case and spaces, so ``d2411`` and
    ``D 2411`` are one answer."""
    from mesolog.model.values import lot_key

    with _index(ctx) as index:
        known = index.lots()
    first = {lot_key(lot): lot for lot in reversed(known)}
    return _starting([lot for lot in known if first[lot_key(lot)] == lot], incomplete)


def complications(ctx: Any, incomplete: str) -> list[str]:
    return _starting(sorted(_vocabulary().complications), incomplete)


def indications(ctx: Any, incomplete: str) -> list[str]:
    return _starting(sorted(_vocabulary().indications), incomplete)


def techniques(ctx: Any, incomplete: str) -> list[str]:
    from mesolog.model import vocabulary

    return _starting(vocabulary.TECHNIQUES, incomplete)


def methods(ctx: Any, incomplete: str) -> list[str]:
    from mesolog.model import vocabulary

    return _starting(vocabulary.METHODS, incomplete)


def anaesthetics(ctx: Any, incomplete: str) -> list[str]:
    from mesolog.model import vocabulary

    return _starting(vocabulary.ANAESTHETICS, incomplete)


def stats_groups(ctx: Any, incomplete: str) -> list[str]:
    from mesolog.model import questions

    return _starting(questions.STATS_BY, incomplete)


# `course close --status`: the states a course is closed with.
COURSE_CLOSINGS = ("completed", "stopped")


def course_statuses(ctx: Any, incomplete: str) -> list[str]:
    return _starting(COURSE_CLOSINGS, incomplete)


def sexes(ctx: Any, incomplete: str) -> list[str]:
    from mesolog.model import vocabulary

    return _starting(vocabulary.SEXES, incomplete)


# The --format values of the commands whose forms differ from the report's.
FORMATS_OF = {"export": ("json", "csv", "fhir"), "check": ("text", "json")}
REPORT_FORMATS = ("table", "json", "csv", "markdown")


def formats(ctx: Any, incomplete: str) -> list[str]:
    return _starting(FORMATS_OF.get(ctx.info_name, REPORT_FORMATS), incomplete)


def courses(ctx: Any, incomplete: str) -> list[str]:
    chart = _chart_on_the_line(ctx)
    return _starting([c.name for c in chart.courses] if chart else [], incomplete)


def sessions(ctx: Any, incomplete: str) -> list[str]:
    chart = _chart_on_the_line(ctx)
    return _starting([str(s.id) for s in chart.sessions] if chart else [], incomplete)


# Parameter name (as Typer names it: the Python argument) -> what it completes from. A name
# given as "command:name" applies to that command only (`amend --by` is a person, `stats --by`
# a grouping).
COMPLETERS: dict[str, Callable[[Any, str], list[str]]] = {
    "patient_id": patients,
    "area": areas,
    "substance": substances,
    "lot_number": lots,
    "complication": complications,
    "add_complication": complications,
    "remove_complication": complications,
    "indication": indications,
    "technique": techniques,
    "method": methods,
    "anaesthetic": anaesthetics,
    "fmt": formats,
    "course": courses,
    "course_name": courses,
    "session_number": sessions,
    "sex": sexes,
    "status": course_statuses,
    "stats:by": stats_groups,
}


def completer_for(command: str, name: str) -> Callable[[Any, Any, str], list[str]] | None:
    """The click ``shell_complete`` function of a parameter, or None if it completes nothing."""
    source = COMPLETERS.get(f"{command}:{name}") or COMPLETERS.get(name)
    if source is None:
        return None

    def complete(ctx: Any, param: Any, incomplete: str) -> list[str]:
        try:
            return for_the_shell(source(ctx, incomplete))
        except Exception:  # completion must never print an error into the shell
            return []

    return complete


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
