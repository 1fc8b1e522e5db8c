"""Sharing the data folder through git: the merge driver's setup and check, the driver itself
(file side), and ``mesolog sync``.

Git is the distributed engine; mesolog only teaches it to merge a chart (``merge-chart``, keyed by
session uid) and drives pull and push with one sentence per way it can fail.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

from mesolog.errors import CannotMerge, HistoryError, MergeConflict, SyncFailed, shortened
from mesolog.store import history
from mesolog.store.files import chart_lock, write_atomically
from mesolog.store.merge import MergedChart, how_to_settle, merge_chart_texts
from mesolog.store.pending import read as read_waiting

ATTRIBUTES = ".gitattributes"
ATTRIBUTE_LINE = "patients/*.toml merge=mesolog"
DRIVER_NAME = "mesolog chart merge (sessions keyed by uid)"


def driver_command() -> str:
    """This Python running mesolog's merge: the clone works whatever PATH git sees."""
    return f"{shlex.quote(sys.executable)} -m mesolog merge-chart %O %A %B %P"


# --- setup --------------------------------------------------------------------------------------


def _attributes_present(data_dir: Path) -> bool:
    try:
        text = (data_dir / ATTRIBUTES).read_text(encoding="utf-8")
    except OSError:
        return False
    return ATTRIBUTE_LINE in text.splitlines()


def write_attributes(data_dir: Path) -> bool:
    """Add the attribute line to ``.gitattributes`` (kept otherwise); True when it changed."""
    if _attributes_present(data_dir):
        return False
    path = data_dir / ATTRIBUTES
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    joiner = "" if not old or old.endswith("\n") else "\n"
    write_atomically(path, f"{old}{joiner}{ATTRIBUTE_LINE}\n")
    return True


def register_driver(data_dir: Path) -> None:
    """The driver in the repository's own config (.git/config): every clone installs it."""
    for key, value in (
        ("merge.mesolog.name", DRIVER_NAME),
        ("merge.mesolog.driver", driver_command()),
    ):
        done = history.git(data_dir, "config", key, value)
        if done.returncode != 0:
            raise HistoryError(f"git config {key} failed: {done.stderr.strip()}")


# The files of the data folder itself that mesolog writes (and git may check out).
OWN_FILES = (ATTRIBUTES, ".gitignore", "clinic.toml")


def tighten(data_dir: Path) -> None:
    """Folders 0700, and every file under patients/ and mesolog's own files 0600, as a clone,
    a pull or a merge (git writes the work tree with the umask: 0644) leaves them."""
    import stat

    for folder in (data_dir, data_dir / "patients"):
        if folder.is_dir() and not folder.is_symlink():
            os.chmod(folder, 0o700)
    from mesolog.store.photos import tighten_photos

    tighten_photos(data_dir)
    patients = data_dir / "patients"
    files = [data_dir / name for name in OWN_FILES]
    if patients.is_dir():
        files += sorted(patients.iterdir())
    for path in files:
        try:
            status = os.lstat(path)
        except OSError:
            continue
        # Never through a symbolic link (its target may be outside the folder); only what is wider.
        if stat.S_ISREG(status.st_mode) and stat.S_IMODE(status.st_mode) & 0o077:
            os.chmod(path, 0o600)


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
    if not _attributes_present(data_dir):
        return f"{ATTRIBUTES} lacks `{ATTRIBUTE_LINE}`: run `mesolog init --git`"
    return None


def init(data_dir: Path) -> str:
    """``mesolog init --git``: the data folder as a git repository with the chart merge driver.

    In an existing repository (a clone) it installs what the clone needs, tightens permissions
    and commits nothing but its own new files: hand edits are never swept into a commit.
    """
    if history.git_binary() is None:
        raise HistoryError("git is not installed, so history is off; the data folder was created.")
    from mesolog.store.photos import share_photos

    if not history.enabled(data_dir):
        write_attributes(data_dir)
        history.git(data_dir, "init", "--quiet")  # photos' LFS set up before the first commit
        photos, _ = share_photos(data_dir)
        message = history.init(data_dir)  # commits everything, .gitattributes included
        register_driver(data_dir)
        tighten(data_dir)
        return f"{message} {photos[0].upper()}{photos[1:]}"
    own = [ATTRIBUTES] if write_attributes(data_dir) else []
    photos, changed = share_photos(data_dir)
    if changed and ATTRIBUTES not in own:
        own.append(ATTRIBUTES)
    ignore = data_dir / ".gitignore"
    if not ignore.exists():
        ignore.write_text(history.GITIGNORE, encoding="utf-8")
        own.append(".gitignore")
    register_driver(data_dir)
    tighten(data_dir)
    stuck = history.index_lock_warning(data_dir)
    if stuck:  # every commit would fail: never claim history is on
        raise HistoryError(f"history is not on yet: {stuck}")
    if own:
        history.git(data_dir, "add", "--", *own)
        history.git(
            data_dir, "commit", "--quiet", "-m", "mesolog: charts merge by session", "--", *own
        )
    return (
        "history is on in this existing repository: the chart merge driver is registered "
        f"and permissions are tightened; the history was left as it was. {photos[0].upper()}{photos[1:]}"
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


@dataclass
class SyncReport:
    lines: list[str] = field(default_factory=list)


def _out(data_dir: Path, *args: str) -> str | None:
    done = history.git(data_dir, *args)
    return done.stdout.strip() if done.returncode == 0 else None


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no reason given"


def _pending(data_dir: Path) -> list[str]:
    status = history.git(data_dir, "status", "--porcelain", "--untracked-files=all").stdout
    return [line[3:] for line in status.splitlines() if line.strip()]


def _where_to(data_dir: Path, branch: str) -> tuple[str, str, bool]:
    """(remote, branch there, whether an upstream is set)."""
    remote = _out(data_dir, "config", "--get", f"branch.{branch}.remote")
    merge = _out(data_dir, "config", "--get", f"branch.{branch}.merge")
    if remote and merge and remote != ".":
        return remote, merge.removeprefix("refs/heads/"), True
    remotes = (_out(data_dir, "remote") or "").split()
    if "origin" not in remotes:
        raise SyncFailed(
            "this clinic has no remote to sync with: add one with "
            "`mesolog git remote add origin URL`; nothing was changed."
        )
    return "origin", branch, False


def sync(data_dir: Path, lock_dir: Path) -> SyncReport:
    """Pull (charts merged by the driver), then push. Raises one sentence per way it stops."""
    if history.git_binary() is None:
        raise SyncFailed("git is not installed, so there is nothing to sync with.")
    if not history.enabled(data_dir):
        raise SyncFailed(f"{data_dir} is not a git repository: run `mesolog init --git` first.")
    problem = driver_problem(data_dir)
    if problem:
        raise SyncFailed(f"not synced: {problem}.")
    with chart_lock(lock_dir, ".git-history", timeout=30.0):
        return _sync(data_dir, lock_dir)


def _sync(data_dir: Path, lock_dir: Path) -> SyncReport:
    report = SyncReport()
    if (data_dir / ".git" / "MERGE_HEAD").exists():
        raise SyncFailed(
            "a git merge is under way in the data folder: finish it (`mesolog git commit`) or "
            "undo it (`mesolog git merge --abort`), then sync again."
        )
    stuck = history.index_lock_warning(data_dir)
    if stuck:
        raise SyncFailed(f"not synced: {stuck}.")
    # mesolog's own changes that git could not record when they were made: committed now.
    history.commit_waiting(data_dir, lock_dir)
    pending = _pending(data_dir)
    waiting = [name for name in pending if name in read_waiting(data_dir)]
    if waiting:
        # mesolog's change with a hand edit on top: never offer to undo it (that loses both).
        raise SyncFailed(
            f"not synced: {', '.join(waiting[:5])}{' ...' if len(waiting) > 5 else ''} "
            "holds a change of mesolog's that git did not record, and was changed outside "
            "mesolog since: run `mesolog check`, then commit it with `mesolog git commit -am WHY`."
        )
    if pending:
        # Never swept into a commit: a hand edit is the practitioner's to keep or drop.
        raise SyncFailed(
            f"not synced: {', '.join(pending[:5])}{' ...' if len(pending) > 5 else ''} "
            "changed outside mesolog (a hand edit?): run `mesolog check`, then commit it with "
            "`mesolog git commit -am WHY` or undo it with `mesolog git checkout -- FILE`."
        )
    branch = _out(data_dir, "symbolic-ref", "--short", "HEAD")
    if not branch:
        raise SyncFailed("the data folder is not on a branch (detached HEAD); nothing was synced.")
    remote, there, tracked = _where_to(data_dir, branch)
    # git's own words are read below (which refusal was it?): in English whatever the locale.
    fetched = history.git(data_dir, "fetch", "--quiet", remote, in_english=True)
    if fetched.returncode != 0:
        raise SyncFailed(
            f"{_unreachable(remote, fetched.stderr)}; nothing was changed, your charts are "
            "committed here and will sync next time."
        )
    incoming = f"refs/remotes/{remote}/{there}"
    before = _out(data_dir, "rev-parse", "HEAD")
    clashes: list[str] = []
    if _out(data_dir, "rev-parse", "--verify", "--quiet", incoming):
        clashes = _merge(data_dir, incoming, f"{remote}/{there}")
        after = _out(data_dir, "rev-parse", "HEAD")
        if before and after and before != after:
            tighten(data_dir)  # git wrote what it pulled with the umask (0644)
            changed = _out(data_dir, "diff", "--name-only", before, after) or ""
            names = [Path(n).stem for n in changed.splitlines() if n.startswith("patients/")]
            report.lines.append(
                f"pulled from {remote}/{there}: "
                + (", ".join(names) + " updated" if names else "nothing new in the charts")
            )
        else:
            report.lines.append(f"pulled from {remote}/{there}: already up to date")
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
    report.lines.append(f"pushed {branch} to {remote}/{there}")
    if clashes:
        raise MergeConflict(
            "synced, but a field was changed two ways on two machines and both values are kept: "
            + "; ".join(clashes)
            + f"; `mesolog check` lists them: {how_to_settle(clashes)}."
        )
    return report


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
    told = [line[len("remote:") :].strip() for line in said.splitlines() if line.startswith("remote:")]
    reason = "; ".join(text for text in told if text)
    rejected = _REMOTE_REJECTED.search(said)
    reason = reason or (rejected.group(1) if rejected else "")
    if reason:
        return (
            f"{remote} refused the push, saying {shortened(reason, REASON_CHARS)}; {kept}: "
            f"ask whoever runs {remote} what it needs, then run `mesolog sync` again."
        )
    return f"{_unreachable(remote, said)}; your charts are committed here and will be pushed next time."


def _merge(data_dir: Path, incoming: str, shown: str) -> list[str]:
    """Merge ``incoming``; charts changed two ways are committed with both values (the driver
    wrote them as valid TOML). Anything else that stops the merge undoes it."""
    done = history.git(
        data_dir, "merge", "--no-edit", "--quiet", "-m", f"mesolog sync: merge {shown}", incoming
    )
    if done.returncode == 0:
        return []
    unmerged = (_out(data_dir, "diff", "--name-only", "--diff-filter=U") or "").splitlines()
    if not unmerged:
        history.git(data_dir, "merge", "--abort")
        raise SyncFailed(
            f"git could not merge {shown}: {_last_line(done.stderr or done.stdout)}; nothing was changed."
        )
    clashes: list[str] = []
    for name in unmerged:
        try:
            if not (name.startswith("patients/") and name.endswith(".toml")):
                raise CannotMerge(f"{name} is not a chart mesolog can merge")
            versions = [_out_raw(data_dir, f":{stage}:{name}") for stage in (1, 2, 3)]
            merged = merge_chart_texts(
                versions[0] or "", versions[1] or "", versions[2] or "", name
            )
        except CannotMerge as error:
            history.git(data_dir, "merge", "--abort")
            raise SyncFailed(
                f"{error.message}; the merge with {shown} was undone, nothing was changed here."
            ) from None
        write_atomically(data_dir / name, merged.text)
        history.git(data_dir, "add", "--", name)
        clashes += [f"{Path(name).stem} {sentence}" for sentence in merged.clashes]
    committed = history.git(data_dir, "commit", "--no-edit", "--quiet")
    if committed.returncode != 0:
        raise SyncFailed(
            f"the merge with {shown} could not be committed: {_last_line(committed.stderr)}."
        )
    return clashes


def _out_raw(data_dir: Path, revision: str) -> str | None:
    done = history.git(data_dir, "show", revision)
    return done.stdout if done.returncode == 0 else None
