"""Sharing the data folder through git: the merge driver's setup and check, the driver itself
(file side), and ``mesolog sync``.

Git is the distributed engine; mesolog only teaches it to merge a chart (``merge-chart``, keyed by
session uid) and drives pull and push with one sentence per way it can fail. What a remote
brings is computed without touching the work tree (``store.pull``) and checked
(``store.incoming``) before the branch moves: see docs/sharing.md.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from pathlib import Path

from mesolog.errors import (
    CannotMerge,
    HistoryError,
    MergeConflict,
    RemoteRefused,
    SyncFailed,
    shortened,
)
from mesolog.store import arrivals, hand_edits, history, incoming, outgoing, pull, remote_files
from mesolog.store.files import chart_lock, write_atomically
from mesolog.store.merge import MergedChart, how_to_settle, merge_chart_texts
from mesolog.store.pending import announced_for
from mesolog.store.pending import read as read_waiting

ATTRIBUTES = ".gitattributes"
ATTRIBUTE_LINE = "patients/*.toml merge=mesolog"
DRIVER_NAME = "mesolog chart merge (sessions keyed by uid)"
KEPT_BY_SYNC = "changed outside mesolog, kept by `mesolog sync --keep-edits`"


# --- setup --------------------------------------------------------------------------------------


def attribute_problem(data_dir: Path) -> str | None:
    """Which chart git would merge with another attribute than mesolog's (``git check-attr``
    over the work tree's .gitattributes files: a later line or a deeper file overrides an
    earlier one, so the line being there is not enough); None when every chart is mesolog's."""
    from mesolog.store.incoming import foreign_merge

    folder = data_dir / "patients"
    names = sorted(f"patients/{p.name}" for p in folder.glob("*.toml")) if folder.is_dir() else []
    how = foreign_merge(data_dir, names)
    return f"git would merge {how}, not mesolog's merge" if how else None


def write_attributes(data_dir: Path) -> bool:
    """Add the attribute line to ``.gitattributes`` (kept otherwise) unless it is there and in
    force; True when it changed. Added again at the end when a later line overrides it."""
    if history.has_line(data_dir / ATTRIBUTES, ATTRIBUTE_LINE) and (
        not history.enabled(data_dir) or attribute_problem(data_dir) is None
    ):
        return False
    history.add_lines(data_dir / ATTRIBUTES, [ATTRIBUTE_LINE])
    return True


def exclude_own_files(data_dir: Path) -> None:
    """mesolog's locks and temporaries ignored in this clone's own ``.git/info/exclude`` too:
    a ``.gitignore`` changed on a remote can then never turn them into changes to commit."""
    exclude = history.git_dir(data_dir) / "info" / "exclude"
    try:
        old = exclude.read_text(encoding="utf-8")
    except OSError:
        old = ""
    missing = [line for line in history.GITIGNORE.splitlines() if line not in old.splitlines()]
    if missing:
        exclude.parent.mkdir(parents=True, exist_ok=True)
        history.add_lines(exclude, missing, old)


def register_driver(data_dir: Path) -> None:
    """The driver in the repository's own config (.git/config): every clone installs it. It
    names this Python running mesolog's merge: the clone works whatever PATH git sees."""
    command = f"{shlex.quote(sys.executable)} -m mesolog merge-chart %O %A %B %P"
    for key, value in (("merge.mesolog.name", DRIVER_NAME), ("merge.mesolog.driver", command)):
        done = history.git(data_dir, "config", key, value)
        if done.returncode != 0:
            raise HistoryError(f"git config {key} failed: {done.stderr.strip()}")


# The files of the data folder itself that mesolog writes (and git may check out).
OWN_FILES = (ATTRIBUTES, ".gitignore", "clinic.toml")


def tighten(data_dir: Path) -> None:
    """Folders 0700, and every file under patients/ and mesolog's own files 0600, as a clone,
    a pull or a merge (git writes the work tree with the umask: 0644) leaves them."""
    from mesolog.store.photos import keep_private, tighten_photos

    for folder in (data_dir, data_dir / "patients"):
        if folder.is_dir() and not folder.is_symlink():
            os.chmod(folder, 0o700)
    tighten_photos(data_dir)
    patients = data_dir / "patients"
    files = [data_dir / name for name in OWN_FILES]
    if patients.is_dir():
        files += sorted(patients.iterdir())
    for path in files:
        keep_private(path)


def driver_problem(data_dir: Path) -> str | None:
    """Why charts would not merge with mesolog's driver in this repository, or None."""
    if not history.enabled(data_dir) or history.git_binary() is None:
        return None
    configured = history.git(data_dir, "config", "--get", "merge.mesolog.driver")
    if configured.returncode != 0 or "merge-chart" not in configured.stdout:
        return (
            "the merge driver is not registered in this clone, so git would merge charts line "
            "by line: run `mesolog init --git` in it"
        )
    if not history.has_line(data_dir / ATTRIBUTES, ATTRIBUTE_LINE):
        return f"{ATTRIBUTES} lacks `{ATTRIBUTE_LINE}`: run `mesolog init --git`"
    problem = attribute_problem(data_dir)
    if problem:
        return f"{problem} (a later line of a .gitattributes file overrides `{ATTRIBUTE_LINE}`): run `mesolog init --git`"
    return None


def init(data_dir: Path) -> str:
    """``mesolog init --git``: the data folder as a git repository with the chart merge driver.

    In an existing repository (a clone) it installs what the clone needs, tightens permissions
    and commits nothing but its own new files: hand edits are never swept into a commit.
    """
    if history.git_binary() is None:
        raise HistoryError("git is not installed, so history is off; the data folder was created.")
    from mesolog.store.photos import share_photos

    fresh = not history.enabled(data_dir)
    attributes = write_attributes(data_dir)
    if fresh:
        made = history.git(data_dir, "init", "--quiet")  # LFS set up before the first commit
        if made.returncode != 0:
            raise HistoryError(f"git init failed: {made.stderr.strip()}")
    photos, changed = share_photos(data_dir)
    photos = photos[0].upper() + photos[1:]
    own = [ATTRIBUTES] if attributes or changed else []
    ignore = data_dir / ".gitignore"
    if not ignore.exists():
        ignore.write_text(history.GITIGNORE, encoding="utf-8")
        own.append(".gitignore")
    if fresh:  # the first commit: everything, .gitattributes included
        history.git(data_dir, "add", "--all")
        done = history.git(data_dir, "commit", "--quiet", "-m", "mesolog: history started")
        if done.returncode != 0 and not history.output(data_dir, "rev-parse", "--verify", "HEAD"):
            said = history.last_line(done.stderr)
            raise HistoryError(f"history is not on: git could not commit ({said}).")
    register_driver(data_dir)
    exclude_own_files(data_dir)
    tighten(data_dir)
    if fresh:
        return f"history is on: every change will be committed in the data folder's git repository. {photos}"
    stuck = history.index_lock_warning(data_dir)
    if stuck:  # every commit would fail: never claim history is on
        raise HistoryError(f"history is not on yet: {stuck}")
    if own:
        history.commit_files(data_dir, own, "mesolog: charts merge by session", "")
    overridden = attribute_problem(data_dir)
    if overridden:  # a .gitattributes deeper than the top one wins over the line written there
        raise HistoryError(
            f"history is on, but {overridden}: a .gitattributes file in a folder overrides "
            f"`{ATTRIBUTE_LINE}`; remove its line for charts, then run `mesolog init --git` again."
        )
    return (
        "history is on in this existing repository: the chart merge driver is registered "
        f"and permissions are tightened; the history was left as it was. {photos}"
    )


# --- the driver ------------------------------------------------------------------------------------


def merge_files(base: Path, ours: Path, theirs: Path, shown_as: str) -> MergedChart:
    """git's %O %A %B: the merged chart is written into ``ours``. A chart that cannot be merged
    is left as ours was (CannotMerge); git then stops on it."""
    texts = []
    for path in (base, ours, theirs):
        try:
            texts.append(path.read_bytes().decode("utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            raise CannotMerge(f"{shown_as}: a version cannot be read ({error})") from None
    try:
        merged = merge_chart_texts(texts[0], texts[1], texts[2], path=shown_as)
    except CannotMerge as error:
        raise CannotMerge(f"{shown_as} was not merged: {error.message}") from None
    if merged.text != texts[1]:
        write_atomically(ours, merged.text)
    return merged


# --- sync ------------------------------------------------------------------------------------------


def _where_to(data_dir: Path, branch: str) -> tuple[str, str, bool]:
    """(remote, branch there, whether an upstream is set)."""
    remote = history.output(data_dir, "config", "--get", f"branch.{branch}.remote")
    merge = history.output(data_dir, "config", "--get", f"branch.{branch}.merge")
    if remote and merge and remote != ".":
        return remote, merge.removeprefix("refs/heads/"), True
    remotes = (history.output(data_dir, "remote") or "").split()
    if "origin" not in remotes:
        raise SyncFailed(
            "this clinic has no remote to sync with: add one with "
            "`mesolog git remote add origin URL`; nothing was changed."
        )
    return "origin", branch, False


def sync(data_dir: Path, lock_dir: Path, keep_edits: bool = False) -> list[str]:
    """Pull (charts merged by the driver, the result checked before it is taken), then push.
    ``keep_edits`` commits changes made outside mesolog first. Returns what it did, a line
    each; raises one sentence per way it stops."""
    if history.git_binary() is None:
        raise SyncFailed("git is not installed, so there is nothing to sync with.")
    if not history.enabled(data_dir):
        raise SyncFailed(f"{data_dir} is not a git repository: run `mesolog init --git` first.")
    problem = driver_problem(data_dir)
    if problem:
        raise SyncFailed(f"not synced: {problem}.")
    with chart_lock(lock_dir, ".git-history", timeout=30.0):
        return _sync(data_dir, lock_dir, keep_edits)


def _sync(data_dir: Path, lock_dir: Path, keep_edits: bool) -> list[str]:
    _refuse_interrupted_git(data_dir)
    _recover(data_dir, lock_dir)
    odd = odd_files(data_dir)
    if odd:
        raise SyncFailed(f"not synced: {odd}; nothing was changed.")
    branch = history.output(data_dir, "symbolic-ref", "--short", "HEAD")
    if not branch:
        raise SyncFailed("the data folder is not on a branch (detached HEAD); nothing was synced.")
    remote, there, tracked = _where_to(data_dir, branch)
    _uncommitted(data_dir, keep_edits)
    # git's own words are read below (which refusal was it?): in English whatever the locale.
    fetched = history.git(data_dir, "fetch", "--quiet", remote, in_english=True)
    if fetched.returncode != 0:
        raise SyncFailed(
            f"{_unreachable(remote, fetched.stderr)}; nothing was changed, your charts are "
            "committed here and will sync next time."
        )
    report: list[str] = []
    _own_commits(data_dir, remote, there, report)
    clashes = _pull(data_dir, remote, there, report)
    pushed = history.git(
        data_dir,
        "push",
        "--quiet",
        *([] if tracked else ["-u"]),
        remote,
        f"HEAD:refs/heads/{there}",
        in_english=True,
    )
    if pushed.returncode != 0:
        raise SyncFailed(_refused_push(remote, pushed.stderr))
    report.append(f"pushed {branch} to {remote}/{there}")
    if clashes:
        raise MergeConflict(
            "synced, but a field was changed two ways on two machines and both values are kept: "
            + "; ".join(clashes)
            + f"; `mesolog check` lists them: {how_to_settle(clashes)}."
        )
    return report


def _own_commits(data_dir: Path, remote: str, there: str, report: list[str]) -> None:
    """Fetched already: this laptop's own commits (merge base -> HEAD) checked by the rule
    every other laptop's sync applies to them (store.outgoing), before anything is pulled or
    pushed: a removal is refused, a value changed without an amendment gets one, committed."""
    theirs = history.output(data_dir, "rev-parse", "--verify", f"refs/remotes/{remote}/{there}")
    mine = outgoing.own_changes(data_dir, theirs)
    if mine is None:
        return
    gone = outgoing.removal(data_dir, *mine)
    if gone:
        raise SyncFailed(
            f"not synced: this laptop's own commits {gone}; nothing was pulled or pushed."
        )
    for path in outgoing.record_untrailed(data_dir, *mine):
        report.append(f"{path} was changed outside mesolog: an amendment naming it is recorded")


def _refuse_interrupted_git(data_dir: Path) -> None:
    """A merge by hand under way, or git's index left locked: the practitioner's to finish."""
    if (history.git_dir(data_dir) / "MERGE_HEAD").exists():
        # Undoing the merge puts back the files as they were before it: offered only when
        # mesolog has no change of its own waiting in them (undoing would drop it).
        undo = "" if read_waiting(data_dir) else " or undo it (`mesolog git merge --abort`)"
        raise SyncFailed(
            f"a git merge is under way in the data folder: finish it (`mesolog git commit`){undo}, "
            "then sync again."
        )
    stuck = history.index_lock_warning(data_dir)
    if stuck:
        raise SyncFailed(f"not synced: {stuck}.")


def _recover(data_dir: Path, lock_dir: Path) -> None:
    """What a killed command left: a sync's scratch folder, git's merge temporaries in the data
    folder, and changes of mesolog's written but not committed (committed now, each with its
    own message)."""
    pull.clear(data_dir)
    exclude_own_files(data_dir)  # a clone set up before this clone-local exclusion existed
    for leftover in pull.leftover_temporaries(data_dir):
        leftover.unlink(missing_ok=True)
    history.commit_waiting(data_dir, lock_dir)


def odd_files(data_dir: Path) -> str | None:
    """A symbolic link, device, FIFO or socket in the data folder (outside .git), named; None
    when there is none. mesolog writes only plain files in plain folders: through a link it
    would write outside the data folder, and such files never reach history."""
    import stat

    kinds = {
        stat.S_IFLNK: "a symbolic link",
        stat.S_IFIFO: "a FIFO",
        stat.S_IFSOCK: "a socket",
        stat.S_IFBLK: "a device",
        stat.S_IFCHR: "a device",
    }
    for folder, dirs, files in os.walk(data_dir):
        if Path(folder) == data_dir:
            dirs[:] = [d for d in dirs if d != ".git"]
        for name in sorted([*dirs, *files]):
            path = Path(folder) / name
            kind = kinds.get(stat.S_IFMT(os.lstat(path).st_mode))
            if kind:
                return (
                    f"{path.relative_to(data_dir)} in the data folder is {kind}; mesolog keeps "
                    "only plain files and folders there: put the real folder or file in its place"
                )
    return None


def _uncommitted(data_dir: Path, keep_edits: bool) -> None:
    """Changes git has not recorded are never swept into a commit by surprise: committed as
    they are with ``--keep-edits``, else refused with the command that keeps them (and never
    one that would throw a session away)."""
    pending = history.changes(data_dir)
    if not pending:
        return
    paths = [path for _, path in pending]
    busy = [path for path in paths if announced_for(data_dir, path)]
    if busy:  # written by a command that is about to commit it (interrupted ones are taken)
        raise SyncFailed(
            f"not synced: {busy[0]} is being changed by another mesolog right now; sync again "
            "in a moment; nothing was changed."
        )
    listed = ", ".join(paths[:5]) + (" ..." if len(paths) > 5 else "")
    if keep_edits:
        _keep_edits(data_dir, pending, listed)
        return
    what = "changed outside mesolog (a hand edit?)"
    if any(path in read_waiting(data_dir) for path in paths):
        what = "holds a change of mesolog's that git did not record, and was changed outside mesolog since"
    raise SyncFailed(
        f"not synced: {listed} {what}: run `mesolog check`, then `mesolog sync --keep-edits` to "
        "commit them as they are; nothing was changed."
    )


def _keep_edits(data_dir: Path, pending: list[tuple[str, str]], listed: str) -> None:
    """``sync --keep-edits``: commit what was changed by hand, once every changed chart reads
    (a broken chart is never shared) and none was deleted (charts are never deleted)."""
    from mesolog.errors import MesologError
    from mesolog.store.codec import read_chart_file
    from mesolog.store.incoming import is_chart

    for letters, path in pending:
        if not is_chart(path):
            continue
        if "D" in letters:
            raise SyncFailed(
                f"not synced: {path} was deleted here, and charts are never deleted: put it "
                f"back (`mesolog git show HEAD:{path}` prints it); nothing was committed."
            )
        try:
            read_chart_file(data_dir / path)
        except MesologError as error:
            raise SyncFailed(
                f"not synced: {error.message}; correct it (`mesolog check`), then sync again; "
                "nothing was committed."
            ) from None
    charts = [path for letters, path in pending if is_chart(path) and "D" not in letters]
    committed = history.blobs(data_dir, [f"HEAD:{path}" for path in charts])
    for path in charts:
        refusal = hand_edits.refusal(data_dir, path, committed.get(f"HEAD:{path}"))
        if refusal:
            raise SyncFailed(f"not synced: {refusal}; nothing was changed or committed.")
    for path in charts:
        hand_edits.add_trail(data_dir, path, committed.get(f"HEAD:{path}"), KEPT_BY_SYNC)
    if not history.commit_edits(data_dir, [path for _, path in pending], listed):
        raise SyncFailed(f"not synced: git could not commit {listed}; nothing was pushed.")


def _pull(data_dir: Path, remote: str, there: str, report: list[str]) -> list[str]:
    """Fetched already: compute the pull without touching the work tree, check it, and only
    then move the branch and the work tree. Returns the fields kept two ways."""
    shown = f"{remote}/{there}"
    theirs = history.output(data_dir, "rev-parse", "--verify", f"refs/remotes/{shown}^{{commit}}")
    if not theirs:  # nothing on the remote yet
        return []
    folder = pull.scratch(data_dir)
    try:
        planned = pull.prepare(data_dir, theirs, shown, folder)
        if planned is None:
            report.append(f"pulled from {shown}: already up to date")
            return []
        _refuse(
            remote,
            shown,
            incoming.remote_refusal(data_dir, planned.base, planned.incoming)
            or arrivals.remote_refusal(data_dir, planned.base, planned.incoming),
        )
        _refuse(remote, shown, _files_refusal(data_dir, (remote, shown), planned, folder))
        pull.settle(data_dir, planned, shown, folder)
        _refuse(
            remote,
            shown,
            incoming.result_refusal(data_dir, planned.head, planned.tree, folder),
        )
        _refuse(remote, shown, remote_files.result_refusal(data_dir, planned.head, planned.tree))
        remote_files.refuse_case_twins(data_dir, remote, planned.head, planned.tree)
        target = pull.commit(data_dir, planned, shown)
    finally:
        pull.clear(data_dir)
    pull.move(data_dir, target, shown)
    tighten(data_dir)  # git wrote what it pulled with the umask (0644)
    odd = odd_files(data_dir)
    if odd:
        raise SyncFailed(f"pulled from {shown}, but {odd}; nothing was pushed.")
    changed = history.output(
        data_dir, "diff", "--name-status", "--no-renames", planned.head, target
    )
    report.append(f"pulled from {shown}: {pulled_charts(changed or '')}")
    files = [line.partition("\t")[2] for line in (changed or "").splitlines()]
    names = [Path(f).stem for f in files if f.startswith("patients/") and f.endswith(".toml")]
    twice = _recorded_twice_line(data_dir, planned.head, names)
    if twice:
        report.append(twice)
    return planned.clashes


def pulled_charts(name_status: str) -> str:
    """What a pull did to the charts, from ``git diff --name-status``: those this laptop never
    had are new, the others updated (``P-3 new; P-1, P-2 updated``). A pull never takes a chart
    away: the remote deleting one is refused before."""
    kinds: dict[str, list[str]] = {"new": [], "updated": []}
    for line in name_status.splitlines():
        status, _, name = line.partition("\t")
        if name.startswith("patients/") and name.endswith(".toml"):
            kinds["new" if status == "A" else "updated"].append(Path(name).stem)
    said = [f"{', '.join(ids)} {kind}" for kind, ids in kinds.items() if ids]
    return "; ".join(said) or "nothing new in the charts"


def _recorded_twice_line(data_dir: Path, head: str, names: list[str]) -> str | None:
    """One line when the pull made sessions that look like one recorded twice (the same CSV
    imported on two laptops, one session typed on two): only pairs this laptop's chart did not
    hold before, never old ones (docs/sharing.md, "One session recorded twice")."""
    from mesolog.errors import MesologError
    from mesolog.model.twice import made_since
    from mesolog.store.codec import parse_chart_text, read_chart_file

    wanted = {name: f"{head}:patients/{name}.toml" for name in names}
    before = history.blobs(data_dir, list(wanted.values()))
    made: list[str] = []
    for name, blob in wanted.items():
        path = data_dir / "patients" / f"{name}.toml"
        try:
            after, _ = read_chart_file(path, bulk=True)
            old = parse_chart_text(path, before[blob].decode("utf-8")) if blob in before else None
        except (MesologError, UnicodeDecodeError):
            continue  # `check` names a chart that does not read; nothing to compare here
        made += [pair.sentence(name) for pair in made_since(old, after)]
    if len(made) > 1:
        return (
            f"{len(made)} pairs of sessions look like one session recorded twice since this "
            "merge (the same file imported on two laptops?): `mesolog check` lists each, with "
            "the command that voids one"
        )
    return made[0] if made else None


def _files_refusal(
    data_dir: Path,
    names: tuple[str, str],
    planned: pull.Pull,
    folder: Path,
) -> str | None:
    """What the remote brought besides the charts' sessions (store.remote_files): ``names``
    is (the remote, its branch as shown)."""
    from mesolog.store.photos import LFS_LINE

    base, head, theirs = planned.base, planned.head, planned.incoming
    own = (ATTRIBUTE_LINE, LFS_LINE)
    return remote_files.identity_refusal(
        data_dir, *names, base, head, theirs
    ) or remote_files.remote_refusal(data_dir, base, theirs, folder, own)


def _refuse(remote: str, shown: str, what: str | None) -> None:
    if what:
        raise RemoteRefused(
            f"not synced: {remote} {what}; nothing was changed here and nothing was pushed "
            f"(`mesolog git log {shown}` shows the remote's commits: put it right on the "
            "machine that made them, then sync again)."
        )


# What git prints when a push lost the race with another machine's (and only then).
_OUTRUN = re.compile(r"^ ! \[rejected\] .*\((fetch first|non-fast-forward)\)$", re.MULTILINE)
# A remote's refusal: "[remote rejected] ... (reason)" and the lines its hooks printed.
_REMOTE_REJECTED = re.compile(r"\[remote rejected\][^(\n]*\(([^\n]*)\)")
_DENIED = ("permission denied", "authentication failed", "could not read username", "error: 403")
REASON_CHARS = 160


def _unreachable(remote: str, said: str) -> str:
    """One sentence for a remote git could not talk to: none of git's own lines, which are
    fragments of several sentences ("... and the repository exists.")."""
    if any(word in said.lower() for word in _DENIED):
        return (
            f"{remote} refused to let this machine in (permission denied): check the key or "
            "password this laptop uses for it"
        )
    return (
        f"could not reach {remote} (offline, or has it moved? `mesolog git remote -v` shows "
        "where it points)"
    )


def _refused_push(remote: str, said: str) -> str:
    """Why a push failed, in one sentence: the remote's own reason when it gave one (its
    ``remote:`` lines, inert and shortened), "pushed meanwhile" only when git says so."""
    kept = "your charts are committed here, nothing was lost"
    if _OUTRUN.search(said):
        return (
            f"{remote} refused the push (another machine pushed meanwhile): run `mesolog sync` "
            f"again; {kept}."
        )
    told = [
        line[len("remote:") :].strip() for line in said.splitlines() if line.startswith("remote:")
    ]
    reason = "; ".join(text for text in told if text)
    rejected = _REMOTE_REJECTED.search(said)
    reason = reason or (rejected.group(1) if rejected else "")
    if reason:
        return (
            f"{remote} refused the push, saying {shortened(reason, REASON_CHARS)}; {kept}: "
            f"ask whoever runs {remote} what it needs, then run `mesolog sync` again."
        )
    return f"{_unreachable(remote, said)}; your charts are committed here and will be pushed next time."
