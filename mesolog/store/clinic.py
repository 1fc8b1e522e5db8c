"""The Clinic: the Python API behind every command. Reads, decisions and writes of one change
happen under one lock."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from mesolog.errors import (
    CorruptFile,
    DuplicateSession,
    HistoryError,
    InvalidValue,
    MesologError,
    NothingToChange,
    PatientExists,
    UnknownPatient,
    UnknownSession,
    UnsafeFile,
)

# From their own modules, not through ``mesolog.model``: its lookup would import validation (and
# the photo and zone rules behind it), which only a command that changes a session needs. The
# records, the codec and git are imported by the methods that read or write a chart: a question
# the summary cache answers needs the Clinic's folders, not them (start-up).
from mesolog.model.values import check_patient_id, now

if TYPE_CHECKING:
    from mesolog.model.drafting import ClinicDefaults, Draft, Given
    from mesolog.model.importing import ChartPlan
    from mesolog.model.itemkeys import ExportKeys
    from mesolog.model.records import Chart, Course, Patient, Photo, Session
    from mesolog.store.photos import Picture

from mesolog.store.files import LOCK_TIMEOUT_S, chart_lock, write_atomically
from mesolog.store.paths import make_private_dir


def _checked_text(
    path: Path, candidate: str | None, intended: Chart, sessions_before: int, bulk: bool = False
) -> str:
    """The text to write: ``candidate`` (the file's own text, changed in place; a schema-1 chart
    becomes schema 2 on this write) if it reads back as ``intended``; a new chart (``candidate``
    None) is encoded whole. A change is never written by encoding the whole file: that would
    drop every comment and unknown key typed by hand. Never fewer sessions than were read.
    ``bulk`` (an import writing many charts) reads back with the fast parser where it is
    installed."""
    from mesolog.store.codec import encode_chart, parse_chart_text

    if len(intended.sessions) < sessions_before:
        raise CorruptFile(path, "refusing to write fewer sessions than the file holds")
    if candidate is None:
        text = encode_chart(intended)
    else:
        from mesolog.store.chartblocks import upgraded

        text = upgraded(candidate, intended.patient.id)
    try:
        if parse_chart_text(path, text, bulk) == intended:
            return text
    except CorruptFile:
        pass
    # Only a bug could get here; writing would risk the chart.
    raise CorruptFile(
        path, "internal check failed: the new text does not read back; nothing written"
    )


def _appended(text: str, blocks: str) -> str:
    """The file's text with session blocks appended, one blank line before them."""
    joiner = "" if text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
    return text + joiner + blocks


def _one_session(chart: Chart, text: str, number: int) -> Session | None:
    """Session ``number``, refused when two sessions carry it: changing "the" session would
    be a guess, and writing it back would merge them."""
    twins = [index for index, s in enumerate(chart.sessions) if s.id == number]
    if len(twins) > 1:
        from mesolog.store.codec import Lines

        # The lines of their numbers, as `check` names them: where the renumbering is typed.
        lines = " and ".join(map(str, Lines(text).lines([("sessions", i, "id") for i in twins])))
        raise DuplicateSession(
            f"patient {chart.patient.id} has {len(twins)} sessions numbered {number} "
            f"(lines {lines}); renumber one by hand, then run `mesolog check`; nothing changed."
        )
    return chart.session(number)


def _photo_session(chart: Chart, text: str, number: int | None) -> Session:
    """Session ``number`` (the latest when None) for new photos: refused when it does not
    exist or is voided."""
    old = _one_session(chart, text, number) if number is not None else chart.last_session
    if old is None or old.voided:
        which = f"no session {number}" if number is not None else "no session yet"
        if old is not None:
            which = f"session {number} voided (restore it first)"
        raise UnknownSession(f"patient {chart.patient.id} has {which}; nothing was written.")
    return old


def _lock_timeout_setting() -> float:
    """``MESOLOG_LOCK_TIMEOUT`` in seconds, else the default; anything else is one sentence."""
    text = os.environ.get("MESOLOG_LOCK_TIMEOUT", "").strip()
    if not text:
        return LOCK_TIMEOUT_S
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0  # refused below
    if not 0 < seconds <= 3600:  # nan fails too
        raise InvalidValue(
            "MESOLOG_LOCK_TIMEOUT", text, "give the seconds to wait for a busy chart, e.g. 5"
        )
    return seconds


# --- the clinic -------------------------------------------------------------------------------


class Stored(NamedTuple):
    """What a change stored, where, and the warnings to show (recorded all the same)."""

    session: Session
    path: Path
    warnings: list[str]


@dataclass(frozen=True)
class ChartEntry:
    """One file of the clinic: its chart, or why it could not be read."""

    patient_id: str
    path: Path
    chart: Chart | None
    error: Exception | None = None
    # The chart's own details (the patient's, its courses') hold a merge conflict still open:
    # seen in the text read anyway, which the chart itself does not carry (docs/reading.md).
    details_in_conflict: bool = False


class Clinic:
    """A data folder of patient charts: the core API behind every command.

    >>> clinic = Clinic(Path("/tmp/clinic"))           # doctest: +SKIP
    >>> stored = clinic.record("P-0042", Given(areas=("scalp",), depth="1.5", ...))  # doctest: +SKIP
    >>> stored.session.id, stored.warnings             # doctest: +SKIP
    """

    def __init__(self, data_dir: Path, lock_timeout: float | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.patients_dir = self.data_dir / "patients"
        self.lock_dir = self.data_dir / ".locks"
        self.lock_timeout = lock_timeout or _lock_timeout_setting()
        self.notices: list[str] = []  # things the practitioner should hear about (git refused...)

    # -- finding charts --

    def ensure_folders(self) -> None:
        """The data and patients folders, created or tightened to 0700 (a clone makes 0755)."""
        make_private_dir(self.data_dir)
        make_private_dir(self.patients_dir)

    def require_folder(self, chosen_by: str = "") -> None:
        """Reading commands: a data folder that does not exist is said, never read as an
        empty clinic (a typo in --data-dir would otherwise answer "0 patients due")."""
        from mesolog.errors import NoDataFolder

        if not self.data_dir.is_dir():
            how = f" (chosen by {chosen_by})" if chosen_by else ""
            raise NoDataFolder(
                f"there is no data folder at {self.data_dir}{how}; check the path, "
                "or create one with `mesolog init`."
            )

    def ids(self) -> list[str]:
        """Every patient id with a file, sorted ignoring case (second names included: see
        :meth:`second_name`)."""
        try:
            names = os.listdir(self.patients_dir)
        except FileNotFoundError:
            return []
        found = [n[:-5] for n in names if n.endswith(".toml") and not n.startswith(".")]
        return sorted(found, key=str.lower)

    def find(self, patient_id: str) -> Path | None:
        """The file of this patient (matched ignoring case), or None. Validates the id first."""
        check_patient_id(patient_id)
        exact = self.patients_dir / f"{patient_id}.toml"
        if exact.is_file() and not exact.is_symlink():
            return exact
        for known in self.ids():
            if known.lower() == patient_id.lower():
                return self.safe_path(self.patients_dir / f"{known}.toml")
        return None

    def second_name(self, patient_id: str) -> str | None:
        """The id of the chart that ``patient_id``'s file is a link to, when it links to another
        chart of the patients folder: one chart under two names. Clinic-wide answers list it
        once (under its own name) and no write goes through the link."""
        path = self.patients_dir / f"{patient_id}.toml"
        if not path.is_symlink():
            return None
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):  # dangling, or a loop
            return None
        inside = target.parent == self.patients_dir.resolve()
        if inside and target.suffix == ".toml" and target.stem != patient_id and target.is_file():
            return target.stem
        return None

    def skipped_second_name(self, patient_id: str) -> bool:
        """True (and the practitioner told, once) when the file is a second name of a chart."""
        target = self.second_name(patient_id)
        if target is None:
            return False
        notice = f"{self.patients_dir / f'{patient_id}.toml'} is {second_name_sentence(target)}"
        if notice not in self.notices:
            self.notices.append(notice)
        return True

    def safe_path(self, path: Path) -> Path:
        """``path``, unless it is a link to a file outside the data folder (then refused)."""
        if path.is_symlink():
            target = path.resolve()
            if not target.is_relative_to(self.patients_dir.resolve()):
                raise UnsafeFile(
                    f"{path} is a link to a file outside the data folder; refused for safety."
                )
        return path

    def path(self, patient_id: str, offer_new: bool = False) -> Path:
        """The file of an existing patient; unknown ids get a "did you mean" sentence, and with
        ``offer_new`` (``add``) the way to start a new chart: a typo must never start one."""
        found = self.find(patient_id)  # a link named as the id is found too, when it is safe
        if found is None:
            from mesolog.model.finding import did_you_mean

            # Close ids and patients whose name matches: "did you mean P-0003 (Lena Berg)?"
            hint = did_you_mean(patient_id, self.people()) or "."
            message = f"no patient {patient_id!r} in {self.patients_dir}{hint}"
            if offer_new:
                message += " To start a new chart with this id, add --new-patient."
            raise UnknownPatient(message)
        return found

    def missing_photos(self, photos: tuple[Photo, ...]) -> list[str]:
        """A warning for each photo given whose file is not in the data folder (yet: it may be
        copied there later); the path itself was checked by the model (values.photo)."""
        return [
            f"photo {photo} is not in the data folder yet ({self.data_dir / photo.file}); "
            "recorded all the same: copy the file there."
            for photo in photos
            if not (self.data_dir / photo.file).exists()
        ]

    def people(self) -> list[tuple[str, str | None]]:
        """(id, name) of every chart; only each file's [patient] table is read. Anything that
        is not a regular file, or a link out of the folder, is left out unopened."""
        from mesolog.store.codec import read_patient

        out: list[tuple[str, str | None]] = []
        for patient_id in self.ids():
            path = self.patients_dir / f"{patient_id}.toml"
            try:
                self.safe_path(path)
            except UnsafeFile:
                continue
            patient = read_patient(path) if path.is_file() else None
            out.append((patient_id, patient.name if patient else None))
        return out

    def load(self, patient_id: str) -> Chart:
        """One patient's chart; reads no other patient's file."""
        from mesolog.store.codec import read_chart_file

        chart, _ = read_chart_file(self.path(patient_id))
        return chart

    def read_with_text(self, patient_id: str) -> tuple[Chart, str]:
        """One patient's chart and its file's text, read once (what the chart does not carry,
        its details' open conflicts, is read from the text: ``store.reading``)."""
        from mesolog.store.codec import read_chart_file

        return read_chart_file(self.path(patient_id))

    def load_writable(self, patient_id: str) -> Chart:
        """One patient's chart, to plan a change of it (``import``): refused, like the change
        itself, when the file is a link or holds another id than its name."""
        from mesolog.store.codec import read_chart_file

        path = self.path(patient_id)
        chart, text = read_chart_file(path)
        _writable(path, chart, text)
        return chart

    def entries(self) -> Iterator[ChartEntry]:
        """Every chart of the clinic; a broken one is reported, the others still come."""
        from mesolog.store.codec import read_chart_file
        from mesolog.store.settling import chart_conflicts

        for patient_id in self.ids():
            if self.skipped_second_name(patient_id):
                continue
            path = self.patients_dir / f"{patient_id}.toml"
            try:
                self.safe_path(path)
                chart, text = read_chart_file(path, bulk=True)
                yield ChartEntry(patient_id, path, chart, None, bool(chart_conflicts(text)))
            except MesologError as error:
                yield ChartEntry(patient_id, path, None, error)

    def export_keys(self, adopt: str | None = None) -> ExportKeys:
        """The clinic's identity and secret, which export ids derive from; ``adopt``: the
        identity a restored JSON export carries, taken when this folder has none yet."""
        from mesolog.model.itemkeys import ExportKeys
        from mesolog.store.identity import clinic_keys

        return ExportKeys(*clinic_keys(self.data_dir, self.lock_dir, adopt))

    def existing_export_keys(self) -> ExportKeys | None:
        """The keys of a folder with an identity (its secret added if it was made before secrets
        were); a folder without one (never exported to FHIR) is left without: a JSON copy of it
        has no ids to keep (docs/exports.md)."""
        from mesolog.store.identity import FILE_NAME

        return self.export_keys() if (self.data_dir / FILE_NAME).is_file() else None

    # -- changing charts --

    def _read_to_change(self, path: Path) -> tuple[Chart, str]:
        """The chart and text of ``path``, to change (the lock is held): refused when the file is
        not the chart's own (:func:`_writable`). With history on, what was changed in it by hand
        is committed on its own first, so that the change's commit holds only the change."""
        from mesolog.store import history
        from mesolog.store.codec import read_chart_file

        chart, text = read_chart_file(path)
        _writable(path, chart, text)
        warning = history.keep_hand_edits(self.data_dir, path, self.lock_dir)
        self.notices += [warning] if warning else []
        if history.enabled(self.data_dir):
            chart, text = read_chart_file(path)  # a hand edit's amendment may have been added
        return chart, text

    def _save(
        self, path: Path, text: str, message: str, author: str, also: list[Path] | None = None
    ) -> None:
        """Write one chart and commit it, with the new files ``also`` written beside it
        (pictures); a kill before the commit is committed by the next command under
        ``message``, never taken for a hand edit (see docs/sharing.md)."""
        from mesolog.store import history

        with history.writing(self.data_dir, {path: text}, message, author, new=also or []):
            write_atomically(path, text)
            if also:
                warning = history.record_many(
                    self.data_dir, [path, *also], message, author, self.lock_dir
                )
            else:
                warning = history.record(self.data_dir, path, message, author, self.lock_dir)
            self.notices += [warning] if warning else []

    def new_patient(self, patient: Patient, courses: tuple[Course, ...] = ()) -> Path:
        """Create a chart; refuses an id that exists already, ignoring case."""
        from mesolog.model.details import validate_patient
        from mesolog.model.records import Chart

        check_patient_id(patient.id)
        validate_patient(patient, date.today())
        self.ensure_folders()
        with chart_lock(self.lock_dir, patient.id, self.lock_timeout):
            existing = self.find(patient.id)
            if existing is not None:
                raise PatientExists(
                    f"patient {existing.stem} already exists ({existing}); nothing changed."
                )
            path = self.patients_dir / f"{patient.id}.toml"
            text = _checked_text(path, None, Chart(patient, courses), 0)
            self._save(path, text, f"{patient.id}: patient created", "")
        return path

    def _change(
        self,
        patient_id: str,
        change: Callable[[Chart, str], Changed],
        author: str,
        also: list[Path] | None = None,
    ) -> tuple[Chart, Path]:
        """Read-modify-write under the lock. ``change`` gives the new chart, new text that keeps
        the file's hand edits, and the commit message. Files ``change`` wrote beside the chart
        (pictures), listed in ``also``, go into the chart's commit."""
        path = self.path(patient_id)
        self.ensure_folders()
        with chart_lock(self.lock_dir, path.stem, self.lock_timeout):
            before, text = self._read_to_change(path)
            after, candidate, message = change(before, text)
            text = _checked_text(path, candidate, after, len(before.sessions))
            self._save(path, text, message, author, also or [])
        return after, path

    def record(
        self,
        patient_id: str,
        given: Given,
        practice: ClinicDefaults | None = None,
        *,
        like_last: bool = False,
        new_patient: bool = False,
        today: date | None = None,
    ) -> Stored:
        """Record a session from what was given (see :mod:`mesolog.model.drafting`): read,
        draft and write under one lock. With ``new_patient`` an unknown id gets a chart, but
        only once the session is decided: a refused session creates no file."""
        # Only add needs drafting: imported here for start-up.
        from mesolog.model.drafting import ClinicDefaults, draft_session

        practice = practice or ClinicDefaults()
        day = today or date.today()
        return self._record(
            patient_id,
            lambda chart: draft_session(given, chart, practice, day, like_last=like_last),
            new_patient,
        )

    def add_session(self, patient_id: str, session: Session, today: date | None = None) -> Stored:
        """Record a session built already as a :class:`Session` (a script, a migration, a
        test): :meth:`record` for values that need no parsing. The same path: one lock, the
        same checks and warnings (its course must exist, a lot keeps its expiry), one commit.
        Its number is the chart's next, whatever ``id`` it carries."""
        from mesolog.model.drafting import draft_from_session

        day = today or date.today()
        return self._record(patient_id, lambda chart: draft_from_session(session, chart, day))

    def _record(
        self, patient_id: str, draft: Callable[[Chart], Draft], new_patient: bool = False
    ) -> Stored:
        """The one way a session is written: drafted against the chart read under its lock,
        refused before any file is made, appended, committed. A chart that does not exist
        (``new_patient``) is created holding the session."""
        from mesolog.model.identity import new_uid
        from mesolog.model.records import Chart, Patient
        from mesolog.store.codec import encode_session

        warnings: list[str] = []

        def decide(chart: Chart) -> Session:
            drafted = draft(chart)
            session = drafted.complete()
            warnings[:] = drafted.warnings + self.missing_photos(session.photos)
            return session

        if self.find(patient_id) is None:  # the id is checked first
            if not new_patient:
                self.path(patient_id, offer_new=True)  # raises: "did you mean", --new-patient
            decide(Chart(Patient(id=patient_id, created=now())))  # refuse before any file
        self.ensure_folders()  # a cloned 0755 folder becomes private on first write
        with chart_lock(self.lock_dir, patient_id, self.lock_timeout):
            path = self.find(patient_id)
            if path is None:
                if not new_patient:
                    self.path(patient_id, offer_new=True)
                path = self.patients_dir / f"{patient_id}.toml"
                chart, text = Chart(Patient(id=patient_id, created=now())), None
            else:
                chart, text = self._read_to_change(path)
            session = replace(decide(chart), id=chart.next_session_id())
            if any(s.uid == session.uid for s in chart.sessions):
                # A draft copied from a recorded session (--like-last) must not share its identity.
                session = replace(session, uid=new_uid())
            new = replace(chart, sessions=(*chart.sessions, session))
            if text is None:
                candidate = None
                message = f"{patient_id}: patient created, session {session.id} added"
            else:
                # The chart-level trail closes the file: the session goes after the last one.
                candidate = (
                    _revised(text, chart, new)
                    if chart.amendments
                    else _appended(text, encode_session(session))
                )
                message = f"{chart.patient.id}: session {session.id} added"
            text = _checked_text(path, candidate, new, len(chart.sessions))
            self._save(path, text, message, session.practitioner)
        return Stored(session, path, warnings)

    def add_course(self, patient_id: str, course: Course) -> Path:
        def change(chart: Chart, text: str) -> Changed:
            if chart.course(course.name):
                raise PatientExists(
                    f"patient {chart.patient.id} already has a course {course.name!r}."
                )
            new = replace(chart, courses=(*chart.courses, course))
            message = f"{chart.patient.id}: course {course.name} added"
            return new, _revised(text, chart, new), message

        _, path = self._change(patient_id, change, "")
        return path

    def amend(
        self,
        patient_id: str,
        number: int,
        change: Given | Callable[[Session], Session],
        by: str,
        reason: str,
        today: date | None = None,
        practice: ClinicDefaults | None = None,
    ) -> Stored:
        """Correct a session with an amendment (when, who, why, each old -> new) appended.

        ``change`` is what was typed (a :class:`Given`, drafted like a new session: same parser,
        same rules, same warnings) or, for changes that are not typed values (void), a function
        of the session. Read, decide and write happen under one lock.
        """
        from mesolog.model.amendments import amended, unsettled
        from mesolog.model.records import Photo

        day = today or date.today()
        warnings: list[str] = []
        left_open: list[str] = []
        stored: list[Session] = []

        def rewrite(chart: Chart, text: str) -> Changed:
            old = _one_session(chart, text, number)
            if old is None:
                raise UnknownSession(f"patient {chart.patient.id} has no session {number}.")
            named: frozenset[str] | None = None  # void, restore: the fields they change
            if callable(change):  # void, restore: no drafting to import (start-up)
                edited = change(old)
            else:
                from mesolog.model.drafting import ClinicDefaults, draft_amendment

                draft = draft_amendment(old, change, chart, practice or ClinicDefaults(), day)
                warnings[:] = draft.warnings + self.missing_photos(tuple(map(Photo, change.photos)))
                edited, named = draft.complete(), draft.named
            if edited.course and edited.course != old.course:
                from mesolog.model.details import find_course

                # Moved to another course (also from Python): it must exist; as the chart spells it.
                edited = replace(edited, course=find_course(chart, edited.course).name)
            new = amended(old, edited, now(), by, reason, named)
            # A conflict the correction did not name stays, and is said (docs/corrections.md).
            left_open[:] = unsettled(str(chart.patient.id), new)
            if new.status != "voided":  # what the chart held may be a day ahead (time zones)
                from mesolog.model.validation import validate_session
                from mesolog.model.values import latest_recorded

                validate_session(new, latest_recorded(day))
            stored.append(new)
            sessions = tuple(new if s.id == number else s for s in chart.sessions)
            changed = replace(chart, sessions=sessions)
            what = "voided" if new.status == "voided" else "amended"
            names = ", ".join(c.split(":")[0] for c in new.amendments[-1].changes)
            message = f"{chart.patient.id}: session {number} {what}: {names}"
            return changed, _revised(text, chart, changed), message

        _, path = self._change(patient_id, rewrite, by)
        return Stored(stored[0], path, warnings + left_open)

    # -- photos --

    def photo_session(self, patient_id: str, number: int | None) -> Session:
        """The session photos would go to (``number``, else the latest), or the refusal
        ``add_photos`` would give: said before any picture is read and decoded."""
        from mesolog.store.codec import read_chart_file

        chart, text = read_chart_file(self.path(patient_id))
        return _photo_session(chart, text, number)

    def add_photos(
        self,
        patient_id: str,
        number: int | None,
        pictures: list[Picture],
        view: str,
        stage: str,
        by: str,
    ) -> tuple[Session, tuple[Photo, ...], Path]:
        """Keep pictures (prepared by :func:`mesolog.store.photos.prepare`) with session
        ``number`` (the latest when None): each written into ``photos/<ID>/``, the session's
        photos extended, one commit of the chart and the pictures. A refusal writes nothing;
        pictures written for a change that then fails are removed."""
        from mesolog.model import photos as shots
        from mesolog.model.records import Photo
        from mesolog.store import photos as kept

        written: list[Path] = []  # removed again if the change fails
        committed: list[Path] = []  # with the chart, in its commit
        stored: list[Session] = []
        added: list[Photo] = []

        def change(chart: Chart, text: str) -> Changed:
            old = _photo_session(chart, text, number)
            where = shots.folder(chart.patient.id)
            recorded = {p.file for p in old.photos}
            for picture in pictures:
                digest = picture.sha256  # hashed once
                file = f"{where}/{shots.file_name(old, view, stage, digest)}"
                if file in recorded:  # the same picture, of the same view and stage: kept already
                    continue
                recorded.add(file)
                if not kept.same_file(self.data_dir, self.data_dir / file, digest):
                    kept.write_new(self.data_dir, self.data_dir / file, picture.data)
                    written.append(self.data_dir / file)
                committed.append(self.data_dir / file)
                added.append(
                    Photo(file, view, stage, picture.width, picture.height, picture.taken, digest)
                )
            if not added:
                from mesolog.errors import AlreadyRecorded

                raise AlreadyRecorded(
                    f"session {old.id} of {chart.patient.id} holds these pictures as {view} {stage} "
                    "already; nothing was written."
                )
            new = replace(old, photos=(*old.photos, *added))
            stored.append(new)
            if old.photos and all(p.bare for p in old.photos):
                # Bare paths are a list of text; with a kept photo they become tables.
                from mesolog.store.editing import remove_value

                index = chart.sessions.index(old)
                text = remove_value(
                    text, ("sessions", index, "photos"), [p.file for p in old.photos]
                )
                chart = replace(
                    chart,
                    sessions=tuple(
                        replace(s, photos=()) if s is old else s for s in chart.sessions
                    ),
                )
            changed = replace(
                chart,
                sessions=tuple(new if s.uid == old.uid else s for s in chart.sessions),
            )
            return changed, _revised(text, chart, changed), message(chart.patient.id)

        def message(patient: str) -> str:
            count = f"{len(added)} photo{'s' if len(added) > 1 else ''}"
            return f"{patient}: {count} added to session {stored[0].id} ({view}, {stage})"

        try:
            _, path = self._change(patient_id, change, by, also=committed)
        except BaseException:
            chart_path = self.path(patient_id)
            if kept.remove_unrecorded(self.data_dir, chart_path, written) and stored:
                also = [chart_path, *committed]
                kept.commit_later(self.data_dir, self.lock_dir, also, message(patient_id), by)
            raise
        return stored[0], tuple(added), path

    # -- the chart-level trail: patient details and courses --

    def edit_patient(
        self,
        patient_id: str,
        changes: Mapping[str, object],
        by: str,
        reason: str | None = None,
        today: date | None = None,
    ) -> tuple[Chart, Path]:
        """Change the patient's details (``name``, ``birth_year``, ``sex``, ``phone``, ``email``,
        ``note``; ``""`` clears one), each old -> new in a chart-level amendment."""
        from mesolog.model import details
        from mesolog.store.settling import settle_chart_conflicts

        if not changes:
            flags = ", ".join("--" + f.replace("_", "-") for f in details.PATIENT_FIELDS)
            raise NothingToChange(
                f"nothing to change for patient {patient_id}: give at least one of {flags}; "
                "nothing changed."
            )
        checked = details.patient_details(changes, today or date.today())

        def change(chart: Chart, text: str) -> Changed:
            patient, lines = details.changed_patient(chart.patient, checked)
            # A detail given now is the answer to a merge's conflict on it: settled.
            text, settled = settle_chart_conflicts(text, [f"patient.{key}" for key in checked])
            new = details.with_trail(
                replace(chart, patient=patient), lines + settled, now(), by, reason
            )
            message = f"{new.patient.id}: details changed: {_changed_names(new)}"
            return new, _revised(text, chart, new), message

        return self._change(patient_id, change, by)

    def rename_patient(
        self,
        patient_id: str,
        new_id: str,
        by: str,
        reason: str | None = None,
        errors_of: Callable[[Path], list[str]] | None = None,
    ) -> tuple[Chart, Path]:
        """Move a chart to ``new_id``: its file, its photos folder and the photo paths in it,
        with ``patient.id: OLD -> NEW`` in the chart-level trail and one git commit. Refused,
        nothing changed: an id taken (ignoring case), a chart ``errors_of`` finds errors in (what
        `check` calls wrong), or one the shared repository holds already. Safe against a kill:
        see :mod:`mesolog.store.renaming`."""
        from mesolog.store import renaming

        check_patient_id(new_id)
        old_id = self.path(patient_id).stem  # "did you mean" for an unknown id
        self._refuse_new_id(old_id, new_id)
        self.ensure_folders()
        first, second = sorted((old_id, new_id), key=str.lower)
        with (
            chart_lock(self.lock_dir, first, self.lock_timeout),
            chart_lock(self.lock_dir, second, self.lock_timeout),
        ):
            path = self.path(old_id)
            self._refuse_new_id(old_id, new_id)  # again, under the locks
            # Refused before hand edits are committed (the change a writing command makes first).
            _refuse_to_move(self.data_dir, path, errors_of(path) if errors_of else [])
            _, text = self._read_to_change(path)  # a git merge under way is refused here
            note = renaming.Rename(old_id, new_id, by, reason or "", now().isoformat())
            after, _ = renaming.renamed_chart(path, text, note)  # refused before any write
            warning = renaming.carry_out(self.data_dir, self.lock_dir, note)
            self.notices += [warning] if warning else []
        return after, self.patients_dir / f"{new_id}.toml"

    def _refuse_new_id(self, old_id: str, new_id: str) -> None:
        """A new id that is the chart's own, or another chart's (ignoring case), or whose photos
        folder is there already: refused, nothing changed."""
        if new_id == old_id:
            raise NothingToChange(f"{old_id} is the chart's id already; nothing changed.")
        if new_id.lower() == old_id.lower():
            raise PatientExists(
                f"{new_id} differs from {old_id} only in case, and ids are unique ignoring "
                "case: give another id; nothing changed."
            )
        taken = self.find(new_id)
        if taken is not None:
            same = "" if taken.stem == new_id else f", which differs from {new_id} only in case"
            raise PatientExists(
                f"patient {taken.stem} already exists ({taken}{same}): give another id; "
                "nothing changed."
            )
        from mesolog.model.photos import folder

        pictures = self.data_dir / folder(new_id)
        if os.path.lexists(pictures):
            raise PatientExists(
                f"{pictures} is there already, where {new_id}'s photos would go: move it away "
                "or give another id; nothing changed."
            )

    def finish_interrupted_renames(self) -> None:
        """A rename a killed command left unfinished is carried out (docs/rename.md): every
        command asks first, at the cost of one listing of the locks folder."""
        try:
            names = os.listdir(self.lock_dir)
        except OSError:
            return
        # The notes' names (renaming.NOTE_START), matched here: the module is imported only
        # when there is one (start-up).
        if any(n.startswith("rename-") and n.endswith(".json") for n in names):
            from mesolog.store import renaming

            self.notices += renaming.finish_interrupted(self.data_dir, self.lock_dir)

    def edit_course(
        self,
        patient_id: str,
        course: str,
        by: str,
        reason: str | None = None,
        planned_sessions: int | None = None,
        interval_days: int | None = None,
        indication: str | None = None,
        start: date | None = None,
    ) -> tuple[Chart, Path]:
        """Change a course's plan (sessions, interval, indication, start), in the chart-level
        trail; the start settles a merge's conflict on it, as the others do."""
        from mesolog.model import details

        given = {
            "planned_sessions": planned_sessions,
            "interval_days": interval_days,
            "indication": indication,
            "start": start,
        }
        fields = tuple(key for key, value in given.items() if value is not None)
        if not fields:
            raise NothingToChange(
                f"nothing to change in course {course!r}: give at least one of --sessions, "
                "--interval, --indication, --start; nothing changed."
            )

        def edit(chart: Chart, old: Course) -> tuple[Course, list[str]]:
            return details.replanned(chart, old, planned_sessions, interval_days, indication, start)

        return self._change_course(patient_id, course, edit, "changed", by, reason, fields)

    def close_course(
        self, patient_id: str, course: str, status: str, by: str, reason: str
    ) -> tuple[Chart, Path]:
        """Mark a course completed or stopped: it leaves `due` and is no longer the default
        course of `add`; its sessions stay as they are."""
        from mesolog.model import details

        if not reason.strip():
            raise InvalidValue("reason", reason, "say why the course is closed")

        def close(_: Chart, old: Course) -> tuple[Course, list[str]]:
            return details.closed_course(old, status)

        return self._change_course(patient_id, course, close, "closed", by, reason)

    def _change_course(
        self,
        patient_id: str,
        name: str,
        edit: Callable[[Chart, Course], tuple[Course, list[str]]],
        verb: str,
        by: str,
        reason: str | None,
        fields: tuple[str, ...] = (),
    ) -> tuple[Chart, Path]:
        """Change one course (found ignoring case) and append the trail entry; returns the new
        chart, whose last amendment lists the changes. The merge conflicts on ``fields`` (the
        ones given a value) are settled."""
        from mesolog.model import details
        from mesolog.store.settling import settle_chart_conflicts

        def change(chart: Chart, text: str) -> Changed:
            old = details.find_course(chart, name)
            course, lines = edit(chart, old)
            courses = tuple(course if c is old else c for c in chart.courses)
            # The merge names a course's conflicts by the course's name in lower case.
            conflicts = [f"courses.{old.name.lower()}.{f}" for f in fields]
            text, settled = settle_chart_conflicts(text, conflicts)
            new = details.with_trail(
                replace(chart, courses=courses), lines + settled, now(), by, reason
            )
            message = f"{new.patient.id}: course {course.name} {verb}: {_changed_names(new)}"
            return new, _revised(text, chart, new), message

        return self._change(patient_id, change, by)

    def restore(self, patient_id: str, number: int, by: str, reason: str) -> tuple[Session, Path]:
        """Un-void a session: back in the progress maths, the trail says who, when and why."""
        return self._set_status(patient_id, number, "active", by, reason)

    def void(self, patient_id: str, number: int, by: str, reason: str) -> tuple[Session, Path]:
        """Mark a session voided: it stays in the file, out of the progress maths."""
        return self._set_status(patient_id, number, "voided", by, reason)

    def _set_status(
        self, patient_id: str, number: int, status: str, by: str, reason: str
    ) -> tuple[Session, Path]:
        """The session made ``status`` (voided, or active again) by an amendment. One in that
        state already is refused (exit 1)."""
        from mesolog.model.amendments import reason_given

        voiding = status == "voided"
        reason_given(reason, "voided" if voiding else "restored")

        def edit(session: Session) -> Session:
            if session.voided == voiding:
                from mesolog.errors import AlreadyRecorded

                state = "voided already"
                if not voiding:
                    state = "active (not voided), so there is nothing to restore"
                raise AlreadyRecorded(
                    f"session {number} of {patient_id} is {state}; nothing changed."
                )
            return replace(session, status=status)

        stored = self.amend(patient_id, number, edit, by, reason)
        return stored.session, stored.path

    # -- import --

    def import_charts(
        self, plans: Iterable[ChartPlan], file_name: str, author: str, identity: str | None = None
    ) -> ImportWritten:
        """Write an import's plan: each chart atomically under its lock (a new chart whole, an
        existing one by appending) as ``plans`` hands it on (an import streams), then one git
        commit of every chart changed. A session the chart records already (the same content)
        is left out, so a second run adds nothing. A fault mid-way (a full disk, or the file
        changing while it streams) puts back every chart written so far: see
        :meth:`_put_back`. ``identity``: the clinic identity a restored JSON export carries,
        taken by a folder without one. What it wrote: the charts and how many sessions (fewer
        than planned when another import or command wrote some of them meanwhile)."""
        from mesolog.store import history
        from mesolog.store.files import make_lock_dir

        self.ensure_folders()
        make_lock_dir(self.lock_dir)
        if identity is not None and self.export_keys(adopt=identity).clinic_id != identity:
            self.notices.append(
                "this data folder has a clinic identity of its own: FHIR exports of the "
                "restored charts get other ids than the exporting clinic's (docs/exports.md)"
            )
        undo: list[tuple[Path, Before]] = []  # each chart written, in order
        at, sessions, warning = "", 0, None  # sessions: those really written
        failure: Exception | None = None
        # Each chart announced before it is written: a kill before the commit is committed
        # later under the import's name, never taken for a hand edit (docs/sharing.md).
        with history.writing(self.data_dir, {}, f"import {file_name}", author) as announce:
            try:
                for plan in plans:
                    at = plan.patient_id
                    announce(self.find(at) or self.patients_dir / f"{at}.toml")
                    sessions += self._import_chart(plan, undo)
            except (OSError, MesologError) as error:
                left = self._put_back(undo)
                failure = _interrupted(error, at, left)
                if left:  # a chart that could not be put back stays announced
                    raise failure from None
            except BaseException:
                self._put_back(undo)
                raise
            if failure is None:
                for _, before in undo:
                    if isinstance(before, Path):
                        before.unlink(missing_ok=True)
                paths = [path for path, _ in undo]
                warning = history.record_many(
                    self.data_dir,
                    paths,
                    f"import {file_name}: {sessions} sessions, {len(paths)} charts",
                    author,
                    self.lock_dir,
                )
        if failure is not None:  # every chart is as it was, and nothing is left announced
            raise failure from None
        if warning:
            self.notices.append(warning)
        return ImportWritten(paths, sessions)

    def _put_back(self, undo: list[tuple[Path, Before]]) -> list[str]:
        """Every chart of ``undo`` as it was before the import: the old file comes back from its
        hard link (which needs no space on a full disk), or from its text where the file system
        has no hard links; a new chart is removed. The ids of the charts that could not be put
        back."""
        left = []
        for path, before in reversed(undo):
            try:
                if before is None:
                    path.unlink(missing_ok=True)
                elif isinstance(before, Path):
                    os.replace(before, path)
                else:
                    write_atomically(path, before)
            except OSError:
                left.append(path.stem)
        return left

    def _import_chart(self, plan: ChartPlan, undo: list[tuple[Path, Before]]) -> int:
        from mesolog.model.content import content_key, keys_of
        from mesolog.model.importing import session_identity
        from mesolog.model.records import Chart
        from mesolog.store.codec import encode_session

        with chart_lock(self.lock_dir, plan.patient_id, self.lock_timeout):
            path = self.find(plan.patient_id)
            if path is None:
                if plan.new_patient is None:
                    raise UnknownPatient(f"no patient {plan.patient_id!r}; nothing changed for it.")
                chart = Chart(plan.new_patient, plan.courses, (), amendments=plan.amendments)
                path, text, before = self.patients_dir / f"{plan.patient_id}.toml", None, 0
            else:
                chart, text = self._read_to_change(path)  # hand edits: a commit of their own
                before = len(chart.sessions)
            # A session is known by what it records (another file may have the same name).
            held = keys_of(chart.patient.id, chart.sessions)
            uids = {session_identity(s) for s in chart.sessions}
            fresh = [
                s
                for s in plan.sessions
                if content_key(chart.patient.id, s) not in held and session_identity(s) not in uids
            ]
            if not fresh and text is not None:
                return 0
            taken = {s.id for s in chart.sessions}
            added = []
            for session in fresh:
                number = (
                    session.id
                    if session.id and session.id not in taken
                    else (max(taken, default=0) + 1)
                )
                taken.add(number)
                added.append(replace(session, id=number))
            after = replace(chart, sessions=(*chart.sessions, *added))
            candidate = None
            if text is not None:
                candidate = _appended(text, "\n".join(encode_session(s) for s in added))
            checked = _checked_text(path, candidate, after, before, bulk=True)
            undo.append((path, self._kept_before_import(path, text) if text is not None else None))
            write_atomically(path, checked)
        return len(added)

    def _kept_before_import(self, path: Path, text: str) -> Before:
        """A second name for the chart as it is, to put it back if the import stops (its text,
        where the file system has no hard links)."""
        backup = self.lock_dir / f"{path.name}.before-import"
        try:
            backup.unlink(missing_ok=True)
            os.link(path, backup)
        except OSError:
            return text
        return backup


class ImportWritten(NamedTuple):
    """What an import wrote: the charts, and the sessions it added to them."""

    paths: list[Path]
    sessions: int


# What a change of a chart gives: the new chart, its text (None: encoded whole), the commit
# message.
Changed = tuple["Chart", str | None, str]

# A chart as it was before an import: a second name for its file, its text, or None (new).
Before = Path | str | None


def _interrupted(error: BaseException, at: str, left: list[str]) -> Exception:
    from mesolog.errors import ImportInterrupted

    why = getattr(error, "strerror", None) or str(error)
    charts = "every chart is as it was before the import"
    if left:
        charts = (
            f"these charts hold some of its sessions and could not be put back: {', '.join(left)}"
        )
    return ImportInterrupted(f"the import stopped at {at} ({why}); {charts}.")


def id_mismatch(path: Path, chart: Chart) -> str | None:
    """``check``'s sentence when the chart's ``[patient] id`` is not its file name, else None."""
    patient_id = chart.patient.id
    if patient_id is None or patient_id == path.stem:
        return None
    return f"[patient] id {patient_id!r} does not match the file name"


def second_name_sentence(target: str) -> str:
    """What a link to another chart of the folder is (after its path)."""
    return (
        f"a link to {target}.toml: a second name for one chart, listed once, as {target}; "
        "mesolog never writes through it"
    )


def _writable(path: Path, chart: Chart, text: str) -> None:
    """Refuse a write to a file that is not the chart's own: a link (written, it would become a
    second copy of the chart), or a chart whose id is not its file name (the change would go to
    another patient's record than the one named). Reads keep working; ``check`` names both."""
    if path.is_symlink():
        target = os.readlink(path)
        raise UnsafeFile(
            f"{path} is a link to {target}, a second name for a chart; mesolog writes only to "
            "a chart's own file: give that patient's id (or replace the link with the chart); "
            "nothing changed."
        )
    mismatch = id_mismatch(path, chart)
    if mismatch:
        from mesolog.store.codec import Lines  # the id's line, or none when it cannot be followed

        raise CorruptFile(
            path,
            f"{mismatch}; correct the id or the file name, then run `mesolog check`; "
            "nothing changed.",
            Lines(text).line(("patient", "id")),
        )


def _refuse_to_move(data_dir: Path, path: Path, errors: list[str]) -> None:
    """A chart with errors (put right where they are, first), or one this laptop shares with
    the others already (a new id would reach them as a chart deleted): not renamed."""
    from mesolog.errors import AlreadyShared, ChartHasErrors
    from mesolog.store.renaming import shared_as

    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ChartHasErrors(
            f"{errors[0]}{more}; `mesolog check` calls this chart wrong: put it right, then "
            "rename it; nothing changed."
        )
    pictures = data_dir / "photos" / path.stem
    if os.path.islink(pictures) or (os.path.lexists(pictures) and not pictures.is_dir()):
        raise UnsafeFile(
            f"{pictures} is a link or a file, not the patient's photos folder; mesolog moves "
            "only a folder of its own: put it right by hand, then rename; nothing changed."
        )
    from mesolog.store.history import index_lock_warning

    locked = index_lock_warning(data_dir) if (data_dir / ".git").exists() else None
    if locked:  # the rename's commit would fail: refused before anything moves
        raise HistoryError(f"{locked}; nothing changed.")
    relative = str(path.relative_to(data_dir))
    remote = shared_as(data_dir, relative)
    if remote is not None:
        raise AlreadyShared(
            f"{path.stem} is shared already ({remote} holds it): on the other laptops a new id "
            "would arrive as a chart deleted, which `mesolog sync` refuses; nothing changed."
        )


def _revised(text: str, before: Chart, after: Chart) -> str:
    """``text`` changed in place to read as ``after``, every hand-typed byte kept (the editing
    module is imported only by the commands that correct a chart: start-up)."""
    from mesolog.store.editing import revise_chart

    return revise_chart(text, before, after)


def _changed_names(chart: Chart) -> str:
    """The fields of the chart's last amendment, for the commit message: "name, phone"."""
    names = []
    for line in chart.amendments[-1].changes:
        if line.startswith(SETTLED_START):  # "merge conflict on patient.name settled (...)"
            names.append(line[len(SETTLED_START) :].split(" ", 1)[0].rsplit(".", 1)[-1])
            names[-1] += " (merge conflict settled)"
        else:
            names.append(line.split(":", 1)[0].rsplit(".", 1)[-1])
    return ", ".join(dict.fromkeys(names))


SETTLED_START = "merge conflict on "
