"""``mesolog check``: every chart of the data folder validated, every problem as ``path:line``,
the line being that of the faulty field.

Part of the store layer (it reads the files); the rules themselves are the model's. The lines
come from ``store.layout``'s scanner, the same one that edits charts in place.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from mesolog import model
from mesolog.errors import CorruptFile, MesologError, shortened
from mesolog.model import progress
from mesolog.model import vocabulary as vocab
from mesolog.store import Clinic, read_chart_file
from mesolog.store.clinic import id_mismatch, second_name_sentence
from mesolog.store.codec import Lines, decode_every_problem, read_regular_file
from mesolog.store.layout import Place


@dataclass(frozen=True)
class Problem:
    """One finding of `check`: where, how serious, and what."""

    path: Path
    line: int | None
    severity: str  # error | warning
    message: str

    def line_text(self) -> str:
        return f"{self.path}:{self.line or 1}: {self.severity}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "path": str(self.path)}  # the fields' order; the path as text


def check_file(
    path: Path, today: date, words: vocab.Vocabulary = vocab.DEFAULT, photos: bool = True
) -> list[Problem]:
    """Every problem of one chart, each naming the line of its field (``photos``: its pictures
    too; sync checks a chart before its pictures are written)."""
    try:  # a refusal of the file as a whole (a newer schema), from either read: one problem
        try:
            chart, text = read_chart_file(path, bulk=True)
        except CorruptFile as error:
            document = _toml_document(path)
            if document is None:  # not TOML at all: its first syntax error is all there is to say
                return [Problem(path, error.line, "error", error.reason)]
            text, data = document  # of the wrong shape: every problem, not only the first
            chart, shape, broken = decode_every_problem(path, data, text)
        else:
            shape, broken = [], set()
    except MesologError as error:
        return [Problem(path, 1, "error", error.message)]
    problems = [Problem(path, p.line, "error", p.reason) for p in shape]
    lines = Lines(text)
    found = [*_chart_problems(path, lines, chart, broken, today, words)]
    found += _photo_problems(path, chart) if photos else []
    # The lines of every finding's place, found in one reading of the text.
    places = lines.lines([place for place, _, _ in found])
    for line, (_, severity, message) in zip(places, found, strict=True):
        problems.append(Problem(path, line, severity, message))
    if "[[conflicts]]" in text:
        problems += _chart_conflicts(path, text)
    return sorted(problems, key=lambda problem: problem.line or 0)  # in the order of the file


def _toml_document(path: Path) -> tuple[str, dict[str, Any]] | None:
    """The file's text and what it parses to, when it is TOML (its problems are then of
    shape: each can be named)."""
    try:
        text = read_regular_file(path).decode("utf-8")  # a FIFO is never opened
        data = tomllib.loads(text)
    except (CorruptFile, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return None
    return (text, data) if text.strip() and "\x00" not in text else None


# One finding about a field of the chart: its place, how serious, what. Its line is found with
# every other one of the chart's.
Finding = tuple[Place, str, str]


def _chart_problems(
    path: Path,
    lines: Lines,
    chart: model.Chart,
    broken: set[int],
    today: date,
    words: vocab.Vocabulary,
) -> Iterator[Finding]:
    # A course whose name could not be read is reported already; lookups by name skip it.
    named = tuple(c for c in chart.courses if isinstance(c.name, str))
    chart = replace(chart, courses=named)
    mismatch = id_mismatch(path, chart)
    if mismatch:
        yield ("patient", "id"), "error", mismatch
    # A session whose fields could not be read (a date written as text) is reported already:
    # the course's maths leave it out rather than compare a date with nothing.
    readable = replace(
        chart, sessions=tuple(s for i, s in enumerate(chart.sessions) if i not in broken)
    )
    for index, course in enumerate(chart.courses):
        if course.planned_sessions is None or course.interval_days is None:
            continue  # reported already, as of the wrong shape
        for warning in model.course_warnings(course):
            key = "interval_days" if "interval" in warning else "planned_sessions"
            yield ("courses", index, key), "warning", warning
        try:  # dates that put the next session past the year 9999
            progress.course_progress(readable, course)
        except MesologError as error:
            yield ("courses", index), "error", error.message
    yield from _number_problems(lines, chart)
    yield from _patient_text_problems(chart)
    previous: date | None = None
    for index, session in enumerate(chart.sessions):
        if index in broken:
            # A field of the wrong shape reads as absent and is reported already; the session's
            # other fields are checked all the same: every problem, not only the first.
            yield from _rules_of_what_was_read(index, session, today)
            continue
        yield from _session_problems(chart, index, session, previous, today, words)
        previous = session.date
    yield from _recorded_twice(path, chart, broken)


def _recorded_twice(path: Path, chart: model.Chart, broken: set[int]) -> Iterator[Finding]:
    """Two active sessions that look like one recorded twice: a warning on the second, never
    a change (two real sessions can look alike; docs/sharing.md). A session with a field of
    the wrong shape is left out: what it records could not all be read."""
    from mesolog.model.twice import recorded_twice

    where = {id(session): index for index, session in enumerate(chart.sessions)}
    read = tuple(s for index, s in enumerate(chart.sessions) if index not in broken)
    for pair in recorded_twice(replace(chart, sessions=read)):
        # The file's own id: the id written inside may be another patient's.
        yield ("sessions", where[id(pair.second)], "id"), "warning", pair.sentence(path.stem)


def _rules_of_what_was_read(index: int, session: model.Session, today: date) -> list[Finding]:
    """The value rules of a session some of whose fields could not be read: a rule about a
    field that reads as absent (reported already as of the wrong shape) is left out."""
    here: Place = ("sessions", index)
    name = f"session {session.id}" if isinstance(session.id, int) else "the session"
    if session.date is None:
        return []  # the rules compare dates with the session's: nothing to compare with
    try:
        found = model.session_problems(session, today)
    except (TypeError, AttributeError, ValueError):
        return []  # a rule that needs a field that did not read
    return [
        ((*here, *problem.field), "error", f"{name}: {problem.message}")
        for problem in found
        if getattr(session, str(problem.field[0]), None) is not None
    ]


# A line break other than "\n" (and "\r\n"): the line and paragraph separators, NEL,
# vertical tab and form feed, and the file, group and record separators. One-line fields refuse
# them; a note may hold them, but many programs show them as a new line or not at all.
_ODD_BREAKS = "\v\f\x1c\x1d\x1e\x85\u2028\u2029"
_PATIENT_ONE_LINE = ("id", "name", "sex", "phone", "email")


def _patient_text_problems(chart: model.Chart) -> Iterator[Finding]:
    """A line break in a patient detail that is one line (refused when typed: a hand edit or
    an older mesolog put it there); one in the patient's note is a warning."""
    for key in _PATIENT_ONE_LINE:
        value = getattr(chart.patient, key, None)
        if isinstance(value, str) and _breaks(value, "\n\r" + _ODD_BREAKS):
            message = (
                f"patient {key} {shortened(value)} holds a line break; correct it with "
                f"`mesolog patient edit {chart.patient.id} --{key} ...`"
            )
            yield ("patient", key), "error", message
    note = chart.patient.note
    if isinstance(note, str) and _breaks(note, _ODD_BREAKS):
        message = f"the patient's note holds {_breaks(note, _ODD_BREAKS)}, shown as a new line by some programs"
        yield ("patient", "note"), "warning", message


def _breaks(text: str, which: str) -> str:
    """The odd line breaks ``text`` holds, named ("U+2028, U+000B"), or ""."""
    found = sorted({c for c in text if c in which})
    return ", ".join(f"U+{ord(c):04X}" for c in found)


def _photo_problems(path: Path, chart: model.Chart) -> list[Finding]:
    """Pictures the chart names that are missing or changed (the data folder is the chart's
    folder's parent)."""
    if not any(s.photos for s in chart.sessions):
        return []
    from mesolog.store.photos import photo_findings

    return [(place, "error", why) for place, why in photo_findings(path.parent.parent, chart)]


def _number_problems(lines: Lines, chart: model.Chart) -> Iterator[Finding]:
    """A number two sessions carry (amend and void refuse it), and numbers below 1."""
    first: dict[int, int] = {}
    for index, session in enumerate(chart.sessions):
        number, place = session.id, ("sessions", index, "id")
        if not isinstance(number, int):
            continue  # reported already, as of the wrong shape
        if number < 1:
            yield place, "error", f"session number {number} must be 1 or more"
        if number in first:
            other = lines.line(("sessions", first[number], "id"))
            message = (
                f"session number {number} is also used at line {other}; amend and void refuse "
                "it until one is renumbered"
            )
            yield place, "error", message
        first.setdefault(number, index)


def _session_problems(
    chart: model.Chart,
    index: int,
    session: model.Session,
    previous: date | None,
    today: date,
    words: vocab.Vocabulary,
) -> Iterator[Finding]:
    here: Place = ("sessions", index)
    name = f"session {session.id}"
    for number, conflict in enumerate(session.conflicts):
        message = conflict_sentence(str(chart.patient.id), session.id, conflict)
        yield (*here, "conflicts", number, "field"), "error", message
    if session.status not in vocab.STATUSES:
        message = f"{name}: status {session.status!r} must be active or voided"
        yield (*here, "status"), "error", message
    for problem in model.session_problems(session, today):
        yield (*here, *problem.field), "error", f"{name}: {problem.message}"
    if previous and session.date < previous:
        message = f"{name} ({session.date.isoformat()}) is dated before the session above it"
        yield (*here, "date"), "warning", message
    if session.course and chart.course(session.course) is None:
        yield (*here, "course"), "warning", f"{name}: no course named {session.course!r}"
    odd = _breaks(session.notes, _ODD_BREAKS) if isinstance(session.notes, str) else ""
    if odd:
        message = (
            f"{name}: the notes hold {odd}, a line break some programs show as a new line and "
            f"others hide; rewrite them with `mesolog amend {chart.patient.id} {session.id} "
            '--note "..." --reason ...`'
        )
        yield (*here, "notes"), "warning", message
    for area in session.areas:
        if not words.area(area).known:
            yield (*here, "areas"), "warning", f"{name}: area {area!r} is not in the list"
    for number, zone in enumerate(session.zones):
        if _unknown_zone(zone):
            message = f"{name}: zone {zone.area}/{zone.zone} is not in the catalogue"
            yield (*here, "zones", number, "zone"), "warning", message
    for number, item in enumerate(session.complications):
        if not words.complication(item.name).known:
            message = f"{name}: complication {item.name!r} is not in the list"
            yield (*here, "complications", number, "name"), "warning", message


def _unknown_zone(place: model.Zone) -> bool:
    from mesolog.model.zones import DEFAULT

    return isinstance(place.zone, str) and DEFAULT.zone(place.area, place.zone) is None


def conflict_sentence(patient_id: str, number: int, conflict: model.Conflict) -> str:
    from mesolog.model.merging import SETTLING_OPTIONS, keeping, two_values

    option = SETTLING_OPTIONS.get(conflict.field.partition(".")[0], "")
    return (
        f"session {number}: merge conflict: {conflict.field} was changed two ways on two "
        f"machines ({two_values(conflict.field, conflict.kept, conflict.other)}); settle it with "
        f"`mesolog amend {patient_id} {number} {option + ' ' if option else ''}--reason ...`"
        f"{keeping(conflict.field) or ' giving the right value'}"
    )


def _chart_conflicts(path: Path, text: str) -> list[Problem]:
    """Conflicts a merge left in the patient's details or a course: settled by the command
    that sets the field (``patient edit``, ``course edit``), or by hand for the others."""
    from mesolog.store.settling import settle_advice

    entries = tomllib.loads(text).get("conflicts", [])
    line = text.count("\n", 0, text.index("[[conflicts]]")) + 1
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        return [Problem(path, line, "error", "conflicts must be a list of [[conflicts]] tables")]
    return [
        Problem(
            path,
            line,
            "error",
            f"merge conflict: {e.get('field')} was changed two ways on two machines "
            f"({e.get('kept')} kept, {e.get('other')} also recorded); "
            + settle_advice(path.stem, str(e.get("field"))),
        )
        for e in entries
    ]


def check_clinic(
    clinic: Clinic, today: date, words: vocab.Vocabulary = vocab.DEFAULT
) -> tuple[list[Problem], int, str | None]:
    """All problems of all charts, how many files were checked, and how photos travel in the
    clinic's history (None without history, or when that is a problem)."""
    problems: list[Problem] = []
    ids = []
    for patient_id in clinic.ids():
        path = clinic.patients_dir / f"{patient_id}.toml"
        target = clinic.second_name(patient_id)
        if target is not None:  # the chart itself is checked under its own name
            problems.append(Problem(path, None, "warning", second_name_sentence(target)))
            continue
        ids.append(patient_id)
        try:
            clinic.safe_path(path)
        except MesologError as error:
            problems.append(Problem(path, None, "error", error.message))
            continue
        problems += check_file(path, today, words)
    problems += _about("error", _case_twins(clinic, ids))
    problems += _about("warning", _permission_problems(clinic, ids))
    from mesolog.store.sharing import driver_problem

    problem = driver_problem(clinic.data_dir)
    if problem:
        problems.append(Problem(clinic.data_dir / ".git", None, "warning", problem))
    warning, note = _photo_sharing(clinic)
    problems += warning
    leftover = "temporary file left by an interrupted write; safe to delete"
    for path in sorted(clinic.patients_dir.glob(".*.tmp")):  # none when there is no folder
        problems.append(Problem(path, None, "warning", leftover))
    problems += _about("warning", _uncommitted(clinic))
    problems += _about("error", _ignored(clinic))
    from mesolog.store.files import unsafe_locks

    # A `.locks` every writing command refuses (a symbolic link, a file), or a lock in it that
    # the writes of its chart refuse (a link): an error with their sentence, so that `check`
    # names what stops the writes.
    problems += _about("error", unsafe_locks(clinic.lock_dir))
    return problems, len(ids), note


def _about(severity: str, found: Iterable[tuple[Path, str]]) -> list[Problem]:
    """Problems of files as a whole (no line of their own): each file and what is wrong."""
    return [Problem(path, None, severity, message) for path, message in found]


def _photo_sharing(clinic: Clinic) -> tuple[list[Problem], str | None]:
    """With history on: a clone whose set-up would not carry the photos as the clinic does
    (a warning), else how photos travel (a note)."""
    from mesolog.store import history

    if not history.enabled(clinic.data_dir) or history.git_binary() is None:
        return [], None
    from mesolog.store.photos import sharing_finding

    kind, sentence = sharing_finding(clinic.data_dir)
    if kind == "note":
        return [], sentence
    return [Problem(clinic.data_dir / ".gitattributes", None, "warning", sentence)], None


def _case_twins(clinic: Clinic, ids: list[str]) -> Iterator[tuple[Path, str]]:
    """Charts whose ids differ only in case (``P-1`` and ``p-1``): ids are unique ignoring case,
    and commands given either spelling would find one of them only."""
    first: dict[str, str] = {}
    for patient_id in ids:  # sorted ignoring case: twins are neighbours
        twin = first.setdefault(patient_id.lower(), patient_id)
        if twin != patient_id:
            message = (
                f"patient id {patient_id!r} differs only in case from {twin!r} ({twin}.toml): "
                "ids are unique ignoring case; merge the two charts into one, or give one "
                "another id"
            )
            yield clinic.patients_dir / f"{patient_id}.toml", message


def _permission_problems(clinic: Clinic, ids: list[str]) -> Iterator[tuple[Path, str]]:
    """Anything of the data folder that others could read (a clone or an unzip makes 0755 and
    0644): a warning naming the ``chmod`` that fixes it. The next write tightens what it
    touches; this names the rest."""
    import os
    import stat

    found = [(clinic.data_dir, 0o700), (clinic.patients_dir, 0o700)]
    found += [(clinic.patients_dir / f"{patient_id}.toml", 0o600) for patient_id in ids]
    for path, private in found:
        try:
            status = os.lstat(path)
        except OSError:
            continue
        mode = stat.S_IMODE(status.st_mode)
        if not stat.S_ISLNK(status.st_mode) and mode & ~private:
            fix = f"chmod {private:o} {path}"
            yield path, f"permissions {mode:04o} let others read it; make it private: {fix}"


def _uncommitted(clinic: Clinic) -> Iterator[tuple[Path, str]]:
    """With history on: each chart not yet committed (changed by hand, or mesolog's own change
    that git could not record: ``history.why_uncommitted`` tells them apart)."""
    from mesolog.store import history

    for relative in history.uncommitted(clinic.data_dir):
        yield clinic.data_dir / relative, history.why_uncommitted(clinic.data_dir, relative)


def _ignored(clinic: Clinic) -> Iterator[tuple[Path, str]]:
    """With history on: each chart or photo a .gitignore rule keeps out of history (never
    shared), with the commands that commit it all the same."""
    from mesolog.store import history

    for relative in history.ignored(clinic.data_dir):
        message = (
            "is not in the history: a .gitignore rule makes git ignore it, so it is never "
            f"shared; remove that rule, then `mesolog git add -f -- {relative}` and "
            f'`mesolog git commit -m "why" -- {relative}`'
        )
        yield clinic.data_dir / relative, message
