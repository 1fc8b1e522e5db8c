"""``mesolog check``: every chart of the data folder validated, each problem as ``path:line``.

Part of the store layer (it reads the files); the rules themselves are the model's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from mesolog import model
from mesolog.errors import CorruptFile, MesologError
from mesolog.model import vocabulary as vocab
from mesolog.store import Clinic, read_chart_file
from mesolog.store.codec import session_lines


@dataclass(frozen=True)
class Problem:
    """One finding of `check`: where, how serious, and what."""

    path: Path
    line: int | None
    severity: str  # error | warning
    message: str

    def line_text(self) -> str:
        return f"{self.path}:{self.line or 1}: {self.severity}: {self.message}"


def check_file(path: Path, today: date, words: vocab.Vocabulary = vocab.DEFAULT) -> list[Problem]:
    try:
        chart, text = read_chart_file(path, bulk=True)
    except CorruptFile as error:
        return [Problem(path, error.line, "error", error.reason)]
    except MesologError as error:
        return [Problem(path, 1, "error", error.message)]
    lines = session_lines(text)
    problems: list[Problem] = []

    def at(index: int) -> int | None:
        return lines[index] if index < len(lines) else None

    if chart.patient.id != path.stem:
        problems.append(
            Problem(
                path,
                None,
                "error",
                f"[patient] id {chart.patient.id!r} does not match the file name",
            )
        )
    for course in chart.courses:
        problems += [Problem(path, None, "warning", w) for w in model.course_warnings(course)]
    seen: set[int] = set()
    previous: date | None = None
    for index, session in enumerate(chart.sessions):
        line = at(index)
        if session.id in seen:
            problems.append(
                Problem(path, line, "error", f"session number {session.id} is used twice")
            )
        if session.id < 1:
            problems.append(
                Problem(path, line, "error", f"session number {session.id} must be 1 or more")
            )
        seen.add(session.id)
        for conflict in session.conflicts:
            sentence = conflict_sentence(chart.patient.id, session.id, conflict)
            problems.append(Problem(path, line, "error", sentence))
        if session.status not in vocab.STATUSES:
            problems.append(
                Problem(
                    path,
                    line,
                    "error",
                    f"session {session.id}: status {session.status!r} must be active or voided",
                )
            )
        try:
            model.validate_session(session, today)
        except MesologError as error:
            problems.append(Problem(path, line, "error", f"session {session.id}: {error.message}"))
        if previous and session.date < previous:
            problems.append(
                Problem(
                    path,
                    line,
                    "warning",
                    f"session {session.id} ({session.date.isoformat()}) is dated before the session above it",
                )
            )
        previous = session.date
        if session.course and chart.course(session.course) is None:
            problems.append(
                Problem(
                    path,
                    line,
                    "warning",
                    f"session {session.id}: no course named {session.course!r}",
                )
            )
        for area in session.areas:
            if not words.area(area).known:
                problems.append(
                    Problem(
                        path,
                        line,
                        "warning",
                        f"session {session.id}: area {area!r} is not in the list",
                    )
                )
        for item in session.complications:
            if not words.complication(item.name).known:
                problems.append(
                    Problem(
                        path,
                        line,
                        "warning",
                        f"session {session.id}: complication {item.name!r} is not in the list",
                    )
                )
    if "[[conflicts]]" in text:
        problems += _chart_conflicts(path, text)
    return problems


def conflict_sentence(patient_id: str, number: int, conflict: model.Conflict) -> str:
    return (
        f"session {number}: merge conflict: {conflict.field} was changed two ways on two "
        f"machines ({conflict.kept} kept, {conflict.other} also recorded); settle it with "
        f"`mesolog amend {patient_id} {number} --reason ...` giving the right value"
    )


def _chart_conflicts(path: Path, text: str) -> list[Problem]:
    """Conflicts a merge left in the patient's details or a course (no command edits those
    yet): the practitioner corrects the value by hand and deletes the entry."""
    import tomllib

    entries = tomllib.loads(text).get("conflicts", [])
    line = text.count("\n", 0, text.index("[[conflicts]]")) + 1
    return [
        Problem(
            path,
            line,
            "error",
            f"merge conflict: {e.get('field')} was changed two ways on two machines "
            f"({e.get('kept')} kept, {e.get('other')} also recorded); correct the value in the "
            "file if needed and delete this [[conflicts]] entry",
        )
        for e in entries
        if isinstance(e, dict)
    ]


def check_clinic(
    clinic: Clinic, today: date, words: vocab.Vocabulary = vocab.DEFAULT
) -> tuple[list[Problem], int]:
    """All problems of all charts, and how many files were checked."""
    problems: list[Problem] = []
    ids = clinic.ids()
    for patient_id in ids:
        path = clinic.patients_dir / f"{patient_id}.toml"
        try:
            clinic.safe_path(path)
        except MesologError as error:
            problems.append(Problem(path, None, "error", error.message))
            continue
        problems += check_file(path, today, words)
    from mesolog.store.sharing import driver_problem

    problem = driver_problem(clinic.data_dir)
    if problem:
        problems.append(Problem(clinic.data_dir / ".git", None, "warning", problem))
    if clinic.patients_dir.is_dir():
        for leftover in sorted(clinic.patients_dir.glob(".*.tmp")):
            problems.append(
                Problem(
                    leftover,
                    None,
                    "warning",
                    "temporary file left by an interrupted write; safe to delete",
                )
            )
    return problems, len(ids)
