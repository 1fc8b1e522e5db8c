"""What a remote brings is checked before the data folder takes it (see docs/sharing.md).

Two questions, each answered from git's trees alone (nothing is checked out to answer them):

- what the remote did, from the merge base to its commit: no chart deleted, renamed or swapped,
  no patient replaced by another, no session removed, nothing that is a symbolic link or a
  link to another repository, every chart it changed read as itself;
- what the merge would leave here, from HEAD to the merged tree: every chart read, the same
  patient in every file, every session of this laptop still there, and the merge attribute
  git would use for every chart is mesolog's own.

Each returns None or the one sentence that names what the remote did. Names and ids come from
another machine: they are quoted inert.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from mesolog.store import history

# git's modes of a link, a symbolic one or one to another repository: never shared.
LINKS = {"120000": "a symbolic link", "160000": "a link to another repository"}
# A file name no chart has yet: the attribute a future chart would get is checked too.
PROBE = "patients/NEW-PATIENT.toml"


@dataclass(frozen=True)
class Entry:
    mode: str
    oid: str


@dataclass(frozen=True)
class Version:
    """One chart as a tree holds it: whose it is, its sessions' uids (and numbers), or why
    it does not read."""

    patient_id: str | None = None
    created: datetime | None = None
    sessions: tuple[tuple[str, int], ...] = ()
    problem: str | None = None

    @property
    def uids(self) -> set[str]:
        return {uid for uid, _ in self.sessions}


def named(text: str) -> str:
    """A name from another machine, quoted so that no control character reaches a screen."""
    return text if text.isprintable() else repr(text)


def listing(data_dir: Path, treeish: str | None) -> dict[str, Entry]:
    """Every file of a tree (recursively) with its mode and object id."""
    if not treeish:
        return {}
    done = history.git(data_dir, "ls-tree", "-r", "-z", "--full-tree", treeish)
    out: dict[str, Entry] = {}
    for item in done.stdout.split("\0"):
        meta, _, path = item.partition("\t")
        parts = meta.split()
        if len(parts) == 3:
            out[path] = Entry(parts[0], parts[2])
    return out


def is_chart(path: str) -> bool:
    folder, _, name = path.partition("/")
    return folder == "patients" and "/" not in name and name.endswith(".toml")


def charts(files: dict[str, Entry]) -> set[str]:
    return {path for path in files if is_chart(path)}


def stem(path: str) -> str:
    return named(Path(path).stem)


# Read once per process: an object id names its bytes forever, so nothing here goes stale
# (both checks of one sync read most charts twice: at the base or HEAD, and as they arrive).
_READ: dict[tuple[str, str], Version] = {}


def versions(data_dir: Path, wanted: dict[str, str]) -> dict[str, Version]:
    """Each chart (path -> object id) read as mesolog reads a chart."""
    missing = {oid for path, oid in wanted.items() if (path, oid) not in _READ}
    raw = history.blobs(data_dir, sorted(missing))
    for path, oid in wanted.items():
        if (path, oid) not in _READ:
            _READ[(path, oid)] = _version(path, raw.get(oid))
    return {path: _READ[(path, oid)] for path, oid in wanted.items()}


def _version(path: str, raw: bytes | None) -> Version:
    from mesolog.errors import MesologError
    from mesolog.store.codec import parse_chart_text

    if raw is None:
        return Version(problem="is not a file git can read")
    try:
        chart = parse_chart_text(Path(path), raw.decode("utf-8").removeprefix("\ufeff"))
    except UnicodeDecodeError:
        return Version(problem="is not UTF-8 text")
    except MesologError as error:
        return Version(problem=named(error.message))
    sessions = tuple((s.uid, s.id) for s in chart.sessions)
    return Version(chart.patient.id, chart.patient.created, sessions)


# --- what the remote did --------------------------------------------------------------------------


def odd_entry(files: dict[str, Entry]) -> str | None:
    """A symbolic link, a link to another repository, or a file in mesolog's lock folder."""
    for path, entry in sorted(files.items()):
        if entry.mode in LINKS:
            return f"made {named(path)} {LINKS[entry.mode]} (only plain files are shared)"
        if path.split("/", 1)[0] == ".locks":
            return f"put {named(path)} in mesolog's lock folder"
    return None


def remote_refusal(data_dir: Path, base: str | None, incoming: str) -> str | None:
    """What the remote did from ``base`` to ``incoming`` that is refused, or None."""
    before, after = listing(data_dir, base), listing(data_dir, incoming)
    odd = odd_entry(after) or _case_twins(charts(after))
    if odd:
        return odd
    gone = sorted(charts(before) - charts(after))
    old, new = _read_changes(data_dir, before, after, gone)
    return _moved(old, new, gone) or _deleted(gone) or _changed_refusal(old, new)


def _read_changes(
    data_dir: Path, before: dict[str, Entry], after: dict[str, Entry], gone: list[str]
) -> tuple[dict[str, Version], dict[str, Version]]:
    """The charts that changed (and those ``gone``) as they were before, and as they are after."""
    changed = sorted(p for p in charts(after) if before.get(p) != after[p])
    old = versions(data_dir, {p: before[p].oid for p in gone + changed if p in before})
    return old, versions(data_dir, {p: after[p].oid for p in changed})


def _changed_refusal(old: dict[str, Version], new: dict[str, Version]) -> str | None:
    return _unreadable(new) or _replaced(old, new) or _sessions_removed(old, new)


def same_patient(old: Version, new: Version) -> bool:
    """Whether two versions are one patient's chart: they share a session (uids are never
    reused), or, with no session on either side, the same opening and id. A version that
    does not read is nobody's."""
    if old.problem or new.problem:
        return False
    if old.uids or new.uids:
        return bool(old.uids & new.uids)
    return old.created == new.created and old.patient_id == new.patient_id


def _moved(old: dict[str, Version], new: dict[str, Version], gone: list[str]) -> str | None:
    """A chart whose patient was in another file at the base, now in a file that was deleted
    or whose own patient left it: moved, or swapped both ways."""
    moves = _moves(old, new, gone)
    if not moves:
        return None
    source, target = min(moves.items())
    if moves.get(target) == source:
        return f"swapped the charts of {stem(source)} and {stem(target)}"
    return f"moved the chart of {stem(source)} to {named(target)}"


def _moves(old: dict[str, Version], new: dict[str, Version], gone: list[str]) -> dict[str, str]:
    """Source file -> file its patient's chart is in now (candidates found by session uid, or
    by opening and id for a chart without sessions, rather than comparing every pair)."""
    by_session = {uid: path for path, version in old.items() for uid in version.uids}
    by_opening = {(v.created, v.patient_id): p for p, v in old.items() if not v.sessions}
    moves: dict[str, str] = {}
    for target, version in sorted(new.items()):
        was = old.get(target)
        if was is not None and same_patient(was, version):
            continue  # its own patient is still there
        sources = {by_session[uid] for uid in version.uids if uid in by_session}
        sources.add(by_opening.get((version.created, version.patient_id), target))
        for source in sorted(sources - {target}):
            if same_patient(old[source], version) and (source in gone or was is not None):
                moves[source] = target
    return moves


def _case_twins(paths: set[str]) -> str | None:
    """Two charts whose ids differ only by case (ids are unique ignoring case; on a laptop
    whose file system ignores case they would be one file)."""
    seen: dict[str, str] = {}
    for path in sorted(paths):
        twin = seen.setdefault(path.lower(), path)
        if twin != path:
            return f"added {named(path)} beside {named(twin)} (ids are unique ignoring case)"
    return None


def _deleted(gone: list[str]) -> str | None:
    if not gone:
        return None
    names = ", ".join(stem(p) for p in gone[:5]) + (" ..." if len(gone) > 5 else "")
    return f"deleted the chart of {names} (charts are never deleted)"


def _unreadable(new: dict[str, Version]) -> str | None:
    for path, version in sorted(new.items()):
        if version.problem:
            return f"changed {named(path)} into a file mesolog cannot read ({version.problem})"
        if version.patient_id != Path(path).stem:
            return (
                f"wrote the chart of {named(str(version.patient_id))} into {named(path)} "
                "(its [patient] id is not its file name)"
            )
    return None


def _replaced(old: dict[str, Version], new: dict[str, Version]) -> str | None:
    """A chart opened later than the one it replaces: another patient's. (A chart both laptops
    opened on their own merges to the earlier opening, so an earlier one is a merge's.)"""
    for path, version in sorted(new.items()):
        was = old.get(path)
        if was and was.created and version.created and version.created > was.created:
            return f"put another patient's chart in {named(path)} (opened {version.created})"
    return None


def _sessions_removed(old: dict[str, Version], new: dict[str, Version]) -> str | None:
    for path, version in sorted(new.items()):
        was = old.get(path)
        missing = sorted(n for uid, n in (was.sessions if was else ()) if uid not in version.uids)
        if missing:
            numbers = ", ".join(str(n) for n in missing)
            return (
                f"removed session {numbers} from the chart of {stem(path)} "
                "(sessions are voided, never removed)"
            )
    return None


# --- what the merge would leave here ---------------------------------------------------------------


def result_refusal(data_dir: Path, head: str, tree: str, scratch: Path) -> str | None:
    """What is wrong with ``tree`` as the data folder's next state, or None."""
    here, there = listing(data_dir, head), listing(data_dir, tree)
    return (
        odd_entry(there)
        or _deleted(sorted(charts(here) - charts(there)))
        or _changed_refusal(*_read_changes(data_dir, here, there, []))
        or merge_attribute_refusal(data_dir, tree, scratch, here, there)
    )


def merge_attribute_refusal(
    data_dir: Path, tree: str, scratch: Path, here: dict[str, Entry], there: dict[str, Entry]
) -> str | None:
    """The merge attribute git would use for each chart of ``tree`` (its .gitattributes files,
    with this clone's own .git/info/attributes and core.attributesFile), evaluated by
    ``git check-attr`` on a scratch index of that tree: anything but ``mesolog`` is refused."""
    env = {"GIT_INDEX_FILE": str(scratch / "attributes-index")}
    history.git(data_dir, "read-tree", tree, extra_env=env)
    how = foreign_merge(data_dir, sorted(charts(there)), env)
    if how is None:
        return None
    files = sorted(
        p
        for p in set(here) | set(there)
        if Path(p).name == ".gitattributes" and here.get(p) != there.get(p)
    )
    what = " and ".join(named(p) for p in files) or "the attributes"
    return (
        f"changed {what} so that git would merge {how}, not mesolog's merge (a later line, or "
        "a .gitattributes deeper down, overrides `patients/*.toml merge=mesolog`)"
    )


def foreign_merge(
    data_dir: Path, paths: list[str], index: dict[str, str] | None = None
) -> str | None:
    """How git would merge the first chart of ``paths`` (or a chart to come) that it would not
    merge with mesolog's merge ("the chart of P-1 with merge=union"), None when there is none;
    from the work tree's .gitattributes, or, with ``index`` (a GIT_INDEX_FILE), that index's."""
    cached = ["--cached"] if index else []
    given = "\0".join([*paths, PROBE]) + "\0"
    done = history.git(
        data_dir, "check-attr", *cached, "-z", "--stdin", "merge", extra_env=index, given=given
    )
    fields = done.stdout.split("\0")  # path, "merge", value; path, ...
    for path, value in zip(fields[0::3], fields[2::3], strict=False):
        if value != "mesolog":
            how = {"unset": "-merge", "set": "merge", "unspecified": "no merge attribute"}.get(
                value, f"merge={named(value)}"
            )
            who = "a new chart" if path == PROBE else f"the chart of {stem(path)}"
            return f"{who} with {how}"
    return None
