"""Settling what a merge left open in a chart's own details: a ``[[conflicts]]`` entry of the
patient's details or of a course (``patient.name``, ``courses.hair-2026.planned_sessions``)
is closed by the command that sets that field (``patient edit``, ``course edit``), as
``amend`` closes a session's: the entry leaves the file in the same change, every other byte
kept, and the chart-level trail says which conflict was settled.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from typing import Any

from mesolog.errors import WouldLoseHandEdits
from mesolog.model.details import settle_command
from mesolog.model.merging import settled


def chart_conflicts(text: str) -> list[dict[str, Any]]:
    """The conflicts a merge left in the chart's own details (``[[conflicts]]``), as written."""
    if "[[conflicts]]" not in text:  # nearly every chart: no second parse
        return []
    try:  # the text read as a chart already; a compiled parser may be laxer than tomllib
        entries = tomllib.loads(text).get("conflicts", [])
    except tomllib.TOMLDecodeError:
        return []
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def settle_chart_conflicts(text: str, fields: Iterable[str]) -> tuple[str, list[str]]:
    """``text`` without the chart-level conflicts on ``fields``, and one trail line for each."""
    if "[[conflicts]]" not in text:
        return text, []
    from mesolog.store.editing import remove_value
    from mesolog.store.layout import LayoutError

    wanted = set(fields)
    entries = tomllib.loads(text).get("conflicts", [])
    lines: list[str] = []
    for index in reversed(range(len(entries) if isinstance(entries, list) else 0)):
        entry = entries[index]
        if not isinstance(entry, dict) or entry.get("field") not in wanted:
            continue
        try:
            text = remove_value(text, ("conflicts", index), entry)
        except LayoutError as error:
            raise WouldLoseHandEdits(
                f"the merge conflict on {entry['field']} could not be removed line by line "
                f"({error}); nothing changed (delete its [[conflicts]] entry by hand)."
            ) from None
        lines.insert(0, settled(str(entry["field"]), entry.get("kept"), entry.get("other")))
    return text, lines


def settle_advice(patient_id: str, field: str) -> str:
    """What ``check`` advises for a chart-level conflict on ``field``."""
    command = settle_command(patient_id, field)
    if command:
        return f"settle it with `{command}` giving the right value"
    return "correct the value in the file if needed and delete this [[conflicts]] entry"
