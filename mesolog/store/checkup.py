"""``mesolog check``: every chart of the data folder validated, each problem as ``path:line``.

Part of the store layer (it reads the files); the rules themselves are the model's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from mesolog import model
from mesolog.errors import CorruptFile, MesologError, shortened
from mesolog.model import progress
from mesolog.model import vocabulary as vocab
from mesolog.store import Clinic, read_chart_file
from mesolog.store.codec import session_lines


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int | None
    severity: str  # error | warning
    message: str

    def line_text(self) -> str:
        return f"{self.path}:{self.line or 1}: {self.severity}: {self.message}"


def check_file(path: Path, today: date, words: vocab.Vocabulary = vocab.DEFAULT) -> list[Problem]:
    try:
        chart, text = read_chart_file(path)
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
                f"[patient] id {shortened(chart.patient.id)} does not match the file name",
            )
        )
    for course in chart.courses:
        problems += [Problem(path, None, "warning", w) for w in model.course_warnings(course)]
        try:
            progress.course_progress(chart, course)
        except MesologError as error:
            problems.append(Problem(path, None, "error", error.message))
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
                    f"session {session.id}: status {shortened(session.status)} must be active or voided",
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
    problems += _permission_problems(clinic, ids)
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


def _permission_problems(clinic: Clinic, ids: list[str]) -> list[Problem]:
    """Anything of the data folder that others could read (a clone or an unzip makes 0755 and
    0644): a warning naming the ``chmod`` that fixes it. The next write tightens what it
    touches; this names the rest."""
    import os
    import stat

    found = [(clinic.data_dir, 0o700), (clinic.patients_dir, 0o700)]
    found += [(clinic.patients_dir / f"{patient_id}.toml", 0o600) for patient_id in ids]
    problems = []
    for path, private in found:
        try:
            status = os.lstat(path)
        except OSError:
            continue
        mode = stat.S_IMODE(status.st_mode)
        if stat.S_ISLNK(status.st_mode) or not mode & ~private:
            continue
        problems.append(
            Problem(
                path,
                None,
                "warning",
                f"permissions {mode:04o} let others read it; make it private: "
                f"chmod {private:o} {path}",
            )
        )
    return problems
