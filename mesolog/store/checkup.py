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
    return problems


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
    problems += _uncommitted(clinic)
    return problems, len(ids)


def _uncommitted(clinic: Clinic) -> list[Problem]:
    """With history on: each chart changed outside mesolog and not yet committed."""
    from mesolog.store import history

    return [
        Problem(
            clinic.data_dir / relative,
            None,
            "warning",
            "changed outside mesolog and not committed to history; mesolog commits it on its "
            'own before the chart\'s next change, or now: mesolog git commit -m "why" -- '
            + relative,
        )
        for relative in history.uncommitted(clinic.data_dir)
    ]
