"""What the reading commands say of a chart's problems beside what they show (docs/reading.md).

A chart is read and shown as it is written, whatever is wrong with it: a practitioner must
always be able to read it. Two kinds of problem are said on stderr, one sentence each:

- the merge conflicts a sync left open, each with the command that settles it: a session's
  (``model.amendments.unsettled``) and those of the chart's own details, the patient's and the
  courses' (``[[conflicts]]`` at the chart's level, read from the text: ``store.settling``);
- the hand edits that make every writing command refuse the chart, which ``mesolog check``
  names too: a ``[patient] id`` that is not the file's name, two sessions with one number, a
  file that is a second name (a link) of another chart.

The clinic-wide answers say them once for the whole clinic, from the summary cache, which keeps
each chart's count of open conflicts and its flaws (``store.cache.chart_row``).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mesolog.errors import SHOWN_VALUE_CHARS

if TYPE_CHECKING:
    from mesolog.model.records import Chart, Conflict
    from mesolog.store.clinic import Clinic

CHECK_LISTS = "`mesolog check` lists them"


def details_in_conflict(text: str) -> list[Conflict]:
    """The chart's own details still in conflict, as a page shows them: the field, the value
    the chart holds meanwhile and the one also recorded (each cut as messages quote it)."""
    from mesolog.model.records import Conflict
    from mesolog.store.settling import chart_conflicts

    return [
        Conflict(str(e.get("field")), _cut(str(e.get("kept", ""))), _cut(str(e.get("other", ""))))
        for e in chart_conflicts(text)
    ]


def open_conflicts(chart: Chart, text: str) -> int:
    """How many merge conflicts the chart holds open, in its sessions and its own details."""
    from mesolog.store.settling import chart_conflicts

    return sum(len(s.conflicts) for s in chart.sessions) + len(chart_conflicts(text))


def flaws(path: Path, chart: Chart) -> list[str]:
    """The hand edits that make writing commands refuse this chart (``check`` names each).
    The summary cache keeps these words: changing them means bumping its VERSION."""
    from mesolog.store.clinic import id_mismatch

    mismatch = id_mismatch(path, chart)
    found = [f"{mismatch}, so every change to it is refused"] if mismatch else []
    numbers = Counter(s.id for s in chart.sessions)
    found += [
        f"{count} sessions are numbered {n}, so amend and void refuse that number"
        for n, count in numbers.items()
        if count > 1
    ]
    return found


def under_file_id(path: Path, chart: Chart) -> Chart:
    """The chart as the clinic-wide answers list it: under its file's id."""
    if chart.patient.id == path.stem:
        return chart
    from dataclasses import replace

    return replace(chart, patient=replace(chart.patient, id=path.stem))


def flaws_sentence(path: Path, found: list[str]) -> str:
    """One sentence for one file: which problems it has, what they stop, where they are listed."""
    return f"{path}: {'; '.join(found)} ({CHECK_LISTS}, with how to put each right)"


def chart_conflict_line(patient_id: str, path: Path, entry: dict[str, Any]) -> str:
    """A conflict of the chart's own details, with the command that settles it (the one that
    sets its field), or what to do where no command sets it."""
    from mesolog.model.details import settle_command

    field = str(entry.get("field"))
    command = settle_command(patient_id, field)
    how = (
        f"`{command}` settles it"
        if command
        else f"no mesolog command settles it: correct {field} in {path} if needed, then "
        "delete its [[conflicts]] entry"
    )
    kept, other = (_cut(str(entry.get(k, ""))) for k in ("kept", "other"))
    return (
        f"the chart still has a merge conflict on {field} ({kept} kept, {other} also "
        f"recorded): {how}"
    )


def _cut(value: str) -> str:
    """A value as the merge wrote it, cut to the length messages quote (a note can be long)."""
    return value if len(value) <= SHOWN_VALUE_CHARS else value[: SHOWN_VALUE_CHARS - 1] + "…"


def chart_notes(clinic: Clinic, path: Path, chart: Chart, text: str) -> list[str]:
    """Everything a reading command says of one chart's problems, one line each: the file's
    flaws, then the open conflicts of its details, then its sessions' (each naming the file's
    own id: the id written inside may be another patient's; a link, its chart's)."""
    from mesolog.model.amendments import unsettled
    from mesolog.model.twice import recorded_twice
    from mesolog.store.clinic import second_name_sentence

    notes: list[str] = []
    target = clinic.second_name(path.stem)
    if target is not None:  # the rest is said of the chart's own file, which commands change
        notes.append(f"{path} is {second_name_sentence(target)}")
        path = clinic.patients_dir / f"{target}.toml"
    found = flaws(path, chart)
    if found:
        notes.append(flaws_sentence(path, found))
    notes += _details_lines(path, text)
    notes += [line for s in chart.sessions for line in unsettled(path.stem, s)]
    notes += [pair.sentence(path.stem) for pair in recorded_twice(chart)]
    return notes


def details_lines(clinic: Clinic, path: Path, text: str) -> list[str]:
    """The open conflicts of the chart's own details, one line each with the command that
    settles it (said of the chart's own file when ``path`` is a second name of it)."""
    target = clinic.second_name(path.stem)
    return _details_lines(clinic.patients_dir / f"{target}.toml" if target else path, text)


def _details_lines(path: Path, text: str) -> list[str]:
    from mesolog.store.settling import chart_conflicts

    return [chart_conflict_line(path.stem, path, e) for e in chart_conflicts(text)]


def clinic_notes(
    patients_dir: Path, conflicted: list[str], flawed: list[tuple[str, str]]
) -> list[str]:
    """What a clinic-wide answer says once: which charts hold open conflicts, and each flawed
    file's sentence (``flawed``: id, its flaws joined by "; ", as the cache keeps them)."""
    notes = [flaws_sentence(patients_dir / f"{name}.toml", [found]) for name, found in flawed]
    if conflicted:
        charts = "1 chart holds" if len(conflicted) == 1 else f"{len(conflicted)} charts hold"
        notes.append(
            f"{charts} merge conflicts still open ({', '.join(conflicted)}): "
            f"{CHECK_LISTS}, with the command that settles each"
        )
    return notes
