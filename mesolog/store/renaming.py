"""A chart moved to a new id (``mesolog patient rename``), safe against a kill at any point
(docs/rename.md).

The rename is written down first, as a note in the locks folder (``.locks/rename-<old>.json``:
this machine's own, never shared, never committed), then carried out in steps, each of which
can be done again:

1. the chart's file renamed, ``patients/OLD.toml`` to ``patients/NEW.toml``: one atomic rename,
   so at every moment exactly one file holds the patient's sessions, never two, never none;
2. the file's ``[patient] id``, its photo paths and the trail entry written in place, atomically;
3. the photos folder renamed, ``photos/OLD`` to ``photos/NEW``;
4. one git commit of both names (when the data folder is a git repository);
5. the note removed.

A kill anywhere leaves the note (or, before it, nothing at all); the next command finds it and
carries out what is left (:func:`finish_interrupted`).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from mesolog.errors import ChartBusy, CorruptFile, MesologError
from mesolog.store.files import chart_lock, fsync_folder, write_atomically

if TYPE_CHECKING:
    from mesolog.model.records import Chart

NOTE_START = "rename-"  # matched by Clinic.finish_interrupted_renames too


@dataclass(frozen=True)
class Rename:
    """A rename decided: from which id to which, who, why, and when (the trail's time, the same
    however many times the step that writes it is carried out)."""

    old: str
    new: str
    by: str
    reason: str
    at: str

    @property
    def message(self) -> str:
        return f"{self.old}: renamed to {self.new}"


def note_path(lock_dir: Path, old: str) -> Path:
    return lock_dir / f"{NOTE_START}{old.lower()}.json"


def renamed_chart(path: Path, text: str, rename: Rename) -> tuple[Chart, str]:
    """The chart of ``text`` under its new id (photos and trail included), and its text: the
    file's own, changed only where the id, the photo paths and the trail are. Refused when that
    cannot be done without losing what was typed by hand."""
    from mesolog.model import details
    from mesolog.store.chartblocks import upgraded
    from mesolog.store.codec import parse_chart_text
    from mesolog.store.editing import revise_chart

    chart = parse_chart_text(path, text)
    moved, lines = details.renamed(chart, rename.new)
    at = datetime.fromisoformat(rename.at)
    after = details.with_trail(moved, lines, at, rename.by, rename.reason or None)
    # A schema-1 chart's sessions get the uids they were read with (derived from the old id).
    candidate = upgraded(revise_chart(text, chart, after), rename.old)
    try:
        if parse_chart_text(path, candidate) == after:
            return after, candidate
    except CorruptFile:
        pass
    raise CorruptFile(path, "internal check failed: the renamed text does not read back")


def shared_as(data_dir: Path, relative: str) -> str | None:
    """The remote branch whose history this laptop shares the chart with (its path is in the
    common ancestor of HEAD and that branch), or None: a chart never pushed (the two refusals of
    ``sync`` that name this command) is this laptop's alone."""
    from mesolog.store import history

    if not history.enabled(data_dir) or history.git_binary() is None:
        return None
    refs = history.output(data_dir, "for-each-ref", "--format=%(refname:short)", "refs/remotes")
    for ref in (refs or "").splitlines():
        if ref.endswith("/HEAD"):  # another name of a remote branch listed on its own
            continue
        base = history.output(data_dir, "merge-base", "HEAD", ref)
        if base and history.git(data_dir, "cat-file", "-e", f"{base}:{relative}").returncode == 0:
            return ref
    return None


def carry_out(data_dir: Path, lock_dir: Path, rename: Rename) -> str | None:
    """The rename, written down then done step by step (the charts' locks are held); a warning
    when git did not record it (it is committed by a later command)."""
    note = note_path(lock_dir, rename.old)
    write_atomically(note, json.dumps(asdict(rename)) + "\n")
    return _finish(data_dir, lock_dir, rename, note)


def _finish(data_dir: Path, lock_dir: Path, rename: Rename, note: Path) -> str | None:
    """Steps 1 to 5 (the module's docstring), each skipped when it is done already."""
    patients = data_dir / "patients"
    old, new = patients / f"{rename.old}.toml", patients / f"{rename.new}.toml"
    if os.path.lexists(old) and not os.path.lexists(new):
        os.rename(old, new)
        fsync_folder(patients)
    if new.is_file() and not new.is_symlink():
        _write_new_id(new, rename)
    photos = data_dir / "photos"
    before, after = photos / rename.old, photos / rename.new
    if before.is_dir() and not before.is_symlink() and not os.path.lexists(after):
        os.rename(before, after)
        fsync_folder(photos)
    warning = _commit(data_dir, lock_dir, rename)
    if warning is None:
        note.unlink(missing_ok=True)
    return warning


def _write_new_id(path: Path, rename: Rename) -> None:
    """Step 2, unless the file holds the new id already."""
    from mesolog.store.codec import read_chart_file

    chart, text = read_chart_file(path)
    if chart.patient.id == rename.old:
        write_atomically(path, renamed_chart(path, text, rename)[1])


def _commit(data_dir: Path, lock_dir: Path, rename: Rename) -> str | None:
    """One commit of the chart's two names and its photos' two folders (the git history lock
    held); None when it is made (or was made already), else why not."""
    from mesolog.store import history, pending

    if not history.enabled(data_dir) or history.git_binary() is None:
        return None
    names = [f"patients/{rename.old}.toml", f"patients/{rename.new}.toml"]
    names += [f"photos/{rename.old}", f"photos/{rename.new}"]
    with chart_lock(lock_dir, ".git-history", timeout=30.0):
        # A name neither on disk nor known to git would make git refuse the whole command.
        known = [n for n in names if os.path.lexists(data_dir / n) or _tracked(data_dir, n)]
        status = history.git(data_dir, "status", "--porcelain", "--", *known)
        if status.returncode == 0 and not status.stdout.strip():
            return None  # committed already (killed after its commit)
        failed = history.commit_files(data_dir, known, rename.message, rename.by)
        if failed is None:
            pending.forget(data_dir, *names[:2])
    if failed is None:
        return None
    reason = history.index_lock_warning(data_dir) or failed
    return (
        f"{rename.old} is renamed {rename.new}, but git did not record it yet (mesolog commits "
        f"it at the next command): {reason}"
    )


def _tracked(data_dir: Path, name: str) -> bool:
    """Whether git knows the path: in the last commit, or in the index (added, not committed)."""
    from mesolog.store import history

    in_head = history.output(data_dir, "ls-tree", "-r", "--name-only", "HEAD", "--", name)
    return bool(in_head or history.output(data_dir, "ls-files", "--", name))


def finish_interrupted(data_dir: Path, lock_dir: Path) -> list[str]:
    """Every rename a killed command left unfinished, carried out now (unless the command is
    still at work: its charts' locks are taken); what the practitioner should hear."""
    notices = []
    for note in sorted(lock_dir.glob(f"{NOTE_START}*.json")):
        try:
            body = json.loads(note.read_text(encoding="utf-8"))
            rename = Rename(**{key: str(body[key]) for key in Rename.__dataclass_fields__})
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not a note this mesolog wrote; `check` does not read it either
        try:
            with (
                chart_lock(lock_dir, rename.old, timeout=0),
                chart_lock(lock_dir, rename.new, timeout=0),
            ):
                warning = _finish(data_dir, lock_dir, rename, note)
        except ChartBusy:
            continue  # the rename is being made right now
        except MesologError as error:
            warning = f"the rename of {rename.old} to {rename.new} is not finished: {error}"
        except OSError as error:
            warning = f"the rename of {rename.old} to {rename.new} is not finished: {error}"
        notices += [warning] if warning else []
    return notices
