"""The files a remote may bring besides the charts' own content (docs/sharing.md, "What a remote
may bring"): what lives in the patients folder, the .gitattributes and .gitignore lines that
change how git writes or keeps charts and photos, the clinic's identity, and charts with a flaw
that makes writing commands refuse them or that hold another chart's sessions.

Each check takes git's listings of two trees (path -> mode and object id) and returns None or
the words that follow "not synced: origin ..."; nothing is checked out to answer. Two are of a
situation this laptop is part of (ids that differ only in case, two identities made apart):
they raise their whole sentence, with the way out here.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from mesolog.store import history
from mesolog.store.incoming import Entry, Version, charts, is_chart, named, versions

IDENTITY = "clinic.toml"
# What a photo or a chart still to come would be called: the ignore rules are asked about them.
PROBES = ("patients/NEW-PATIENT.toml", "photos/NEW-PATIENT/probe.jpg")


def changed(before: dict[str, Entry], after: dict[str, Entry]) -> list[str]:
    """The paths of ``after`` that are new or hold other bytes or mode than in ``before``."""
    return sorted(p for p, entry in after.items() if before.get(p) != entry)


def _lines(data_dir: Path, entry: Entry | None) -> list[str]:
    """A text file's lines (each with its spaces tidied), or none."""
    if entry is None:
        return []
    raw = history.blobs(data_dir, [entry.oid]).get(entry.oid, b"")
    text = raw.decode("utf-8", errors="replace")
    return [" ".join(line.split()) for line in text.splitlines()]


# --- the patients folder ----------------------------------------------------------------------------


def patients_folder_refusal(before: dict[str, Entry], after: dict[str, Entry]) -> str | None:
    """Anything new under ``patients/`` that is not a regular ``patients/<valid id>.toml``
    file: a folder named like a chart, a subfolder, another extension (``P-1.TOML``), an id
    mesolog refuses (``..x``). Its .gitattributes and .gitignore are checked on their own."""
    from mesolog.errors import InvalidPatientId
    from mesolog.model.values import check_patient_id

    for path in changed(before, after):
        if not path.startswith("patients/") or Path(path).name in (".gitattributes", ".gitignore"):
            continue
        if is_chart(path) and after[path].mode in ("100644", "100755"):
            try:
                check_patient_id(Path(path).name[: -len(".toml")])
                continue
            except InvalidPatientId:
                pass
        return (
            f"put {named(path)} in the patients folder, which holds only charts "
            "(patients/<id>.toml, the id made of letters, digits, '-', '_' or '.')"
        )
    return None


# --- attributes and ignore rules --------------------------------------------------------------------


def attributes_refusal(
    data_dir: Path, before: dict[str, Entry], after: dict[str, Entry], own_lines: tuple[str, ...]
) -> str | None:
    """A line a remote added to any .gitattributes file, other than the two mesolog writes
    itself (the merge driver for charts, LFS for photos): every other attribute can change the
    bytes git writes (working-tree-encoding, filter, eol, text, ident) or how it merges."""
    own = {" ".join(line.split()) for line in own_lines}
    for path in changed(before, after):
        if Path(path).name != ".gitattributes":
            continue
        known = set(_lines(data_dir, before.get(path)))
        for line in _lines(data_dir, after[path]):
            if line and not line.startswith("#") and line not in known and line not in own:
                return (
                    f"wrote `{named(line)}` in {named(path)} (an attribute that changes how git "
                    "writes or merges charts and photos; only the lines mesolog writes itself "
                    "are taken)"
                )
    return None


def ignore_refusal(
    data_dir: Path, before: dict[str, Entry], after: dict[str, Entry], scratch: Path
) -> str | None:
    """A .gitignore (any of them) changed so that git would ignore a chart or a photo: a new
    chart made here would then never be shared. Asked of ``git check-ignore`` over the
    remote's .gitignore files, written into a scratch repository of their own (neither this
    clone's exclusions nor the user's global ones count: the remote is judged alone)."""
    files = [p for p in after if Path(p).name == ".gitignore"]
    if not any(before.get(p) != after[p] for p in files):
        return None
    folder = scratch / "ignore-check"  # a repository of its own: no exclusions of this clone
    history.git(data_dir, "init", "-q", str(folder))
    found = history.blobs(data_dir, [after[p].oid for p in files])
    for path in files:
        if any(part in ("", ".", "..", ".git") for part in path.split("/")):
            continue  # never written outside the scratch folder (git refuses such names too)
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(found.get(after[path].oid, b""))
    probes = [*PROBES, *(p for p in after if is_chart(p) or p.startswith("photos/"))]
    done = history.git(
        folder,
        "-c",
        f"core.excludesFile={os.devnull}",
        "check-ignore",
        "--no-index",
        "-z",
        "--stdin",
        given="\0".join(probes) + "\0",
    )
    ignored = [p for p in done.stdout.split("\0") if p]
    if not ignored:
        return None
    what = {PROBES[0]: "a new chart", PROBES[1]: "a new photo"}.get(ignored[0], named(ignored[0]))
    return (
        f"changed a .gitignore so that git would ignore {what} (charts and photos are never "
        "ignored: a chart made here would never be shared)"
    )


# --- the clinic's identity --------------------------------------------------------------------------


def _identity(data_dir: Path, entry: Entry | None) -> tuple[object, object] | None:
    if entry is None:
        return None
    raw = history.blobs(data_dir, [entry.oid]).get(entry.oid, b"")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return ("unreadable", raw)
    return data.get("id"), data.get("secret")


def identity_refusal(
    data_dir: Path, remote: str, shown: str, base: str | None, head: str, incoming: str
) -> str | None:
    """The clinic's identity (``clinic.toml``: id and secret, from which every FHIR id is made)
    changed or removed by the remote: the words that refuse it. A secret added where there was
    none, the id kept, is no change: mesolog adds it itself at the first FHIR export. Made (or
    its secret added) there while this laptop made its own: refused here with the way out
    (RemoteRefused)."""
    from mesolog.errors import RemoteRefused
    from mesolog.store.incoming import listing

    was, here, there = (
        _identity(data_dir, listing(data_dir, tree).get(IDENTITY))
        for tree in (base, head, incoming)
    )
    if was is not None and there != was and not secret_added(was, there):
        what = "removed" if there is None else "changed"
        return f"{what} the clinic's identity in {IDENTITY} (every FHIR id would change)"
    if here is None or there is None or here == there:
        return None
    if was is None:
        raise RemoteRefused(own_identity_way_out(remote, shown))
    if secret_added(was, here) and secret_added(was, there):
        raise RemoteRefused(own_secret_way_out(remote, shown))
    return None


def secret_added(was: tuple[object, object], now: tuple[object, object] | None) -> bool:
    """Whether ``now`` is ``was`` with a secret where it had none (the same id)."""
    return (
        now is not None
        and was[0] != "unreadable"
        and was[1] is None
        and now[0] == was[0]
        and now[1] is not None
    )


def own_identity_way_out(remote: str, shown: str) -> str:
    """Two laptops that each made an identity while apart: this one keeps the remote's (its
    exports made so far carry this laptop's ids), in commands that work here."""
    return (
        f"not synced: this laptop and {remote} each made a clinic identity ({IDENTITY}) on their "
        f"own, and FHIR ids come from it; keep {remote}'s: `mesolog git rm -q {IDENTITY}`, then "
        f'`mesolog git commit -m "clinic identity of {remote} kept"`, then `mesolog sync` '
        f"(exports made here so far carry this laptop's ids); nothing was changed here and "
        f"nothing was pushed (`mesolog git show {shown}:{IDENTITY}` shows {remote}'s)."
    )


def own_secret_way_out(remote: str, shown: str) -> str:
    """Two laptops that each added a secret to the clinic's identity while apart (each its
    first FHIR export): this one keeps the remote's, in commands that work here."""
    return (
        f"not synced: this laptop and {remote} each added a secret to the clinic identity "
        f"({IDENTITY}) on their own, and FHIR ids come from it; keep {remote}'s: `mesolog git "
        f'checkout {shown} -- {IDENTITY}`, then `mesolog git commit -m "clinic identity of '
        f'{remote} kept" -- {IDENTITY}`, then `mesolog sync` (exports made here so far carry '
        f"this laptop's ids); nothing was changed here and nothing was pushed."
    )


# --- charts: sessions held twice, flaws that make a chart unusable, ids that differ only in case


def shared_session_refusal(
    data_dir: Path, tree: str, there: dict[str, Entry], arriving: dict[str, Version]
) -> str | None:
    """A session uid (never reused) held by two charts of the result: a chart copied under
    another id. The other charts that hold one of the arriving uids are found by ``git grep``
    over ``tree`` (fixed strings), then read to be sure."""
    owner: dict[str, str] = {}
    for path, version in sorted(arriving.items()):
        for uid in version.uids:
            twin = owner.setdefault(uid, path)
            if twin != path:
                return _twin_sentence(path, twin)
    if not owner:
        return None
    found = history.git(
        data_dir,
        "grep",
        "-l",
        "-z",
        "-F",
        "-f",
        "-",
        tree,
        "--",
        "patients/*.toml",
        given="".join(f"{uid}\n" for uid in sorted(owner)),
    )
    holders = {item.partition(":")[2] for item in found.stdout.split("\0") if item}
    suspects = {p: there[p].oid for p in sorted(holders) if p in there and p not in arriving}
    for path, version in sorted(versions(data_dir, suspects).items()):
        for uid in sorted(version.uids & set(owner)):
            return _twin_sentence(owner[uid], path)
    return None


def _twin_sentence(path: str, twin: str) -> str:
    return (
        f"wrote into {named(path)} a session of the chart {named(twin)} (a session belongs to "
        "one chart: a copy of a chart under another id?)"
    )


def flaws_refusal(data_dir: Path, before: dict[str, Entry], after: dict[str, Entry]) -> str | None:
    """A chart the remote added or changed with a flaw it did not have at the base: the hand
    edits that make writing commands refuse a chart (``store.reading.flaws``: its id inside not
    its file name, two sessions with one number), which misplace it or make it unusable.
    Value-level problems (a zone outside the session's areas, a date "in the future" on a
    laptop whose clock runs ahead, a rule a later mesolog tightens) are not refused: a merge
    mesolog made can bring them, and the laptop's own `check` names them, as for a chart made
    here (docs/sharing.md, "What a remote may bring"). A chart that does not read is refused
    before this (store.incoming)."""
    paths = [p for p in changed(before, after) if is_chart(p)]
    found = history.blobs(data_dir, [e.oid for p in paths for e in (before.get(p), after[p]) if e])
    for path in paths:
        was = _flaws(path, found.get(before[path].oid) if path in before else None)
        fresh = [f for f in _flaws(path, found.get(after[path].oid)) if f not in was]
        if fresh:
            return f"brought a chart that every writing command would refuse ({named(path)}: {named(fresh[0])})"
    return None


def _flaws(path: str, raw: bytes | None) -> list[str]:
    """The flaws of these bytes of chart ``path``; none when they do not read (refused, when
    arriving, by store.incoming)."""
    from mesolog.errors import MesologError
    from mesolog.store.codec import parse_chart_text
    from mesolog.store.reading import flaws

    if raw is None:
        return []
    try:
        chart = parse_chart_text(Path(path), raw.decode("utf-8").removeprefix("\ufeff"))
    except (UnicodeDecodeError, MesologError):
        return []
    return flaws(Path(path), chart)


def refuse_case_twins(data_dir: Path, remote: str, head: str, tree: str) -> None:
    """Two charts of the merged ``tree`` whose ids differ only in case (one of them this
    laptop's): refused with the way out (give this laptop's chart another id)."""
    from mesolog.errors import RemoteRefused
    from mesolog.store.incoming import listing

    said = case_twins_way_out(remote, listing(data_dir, head), listing(data_dir, tree))
    if said:
        raise RemoteRefused(said)


def case_twins_way_out(remote: str, here: dict[str, Entry], there: dict[str, Entry]) -> str | None:
    """The sentence for two charts of ``there`` whose ids differ only in case, one of them
    this laptop's (in ``here``), or None."""
    seen: dict[str, str] = {}
    for path in sorted(charts(there), key=lambda p: (p.lower(), p not in here)):
        twin = seen.setdefault(path.lower(), path)
        if twin == path or (twin in here and path in here):
            continue  # both here already: check names them
        mine, theirs = (twin, path) if twin in here else (path, twin)
        old = Path(mine).stem
        return (
            f"not synced: {remote} has the chart {named(Path(theirs).stem)} and this laptop "
            f"{named(old)}, ids that differ only in case (ids are unique ignoring case); "
            "nothing was changed here and nothing was pushed: give this laptop's chart another "
            f"id (`mesolog patient rename {named(old)} NEW-ID`), then `mesolog sync`."
        )
    return None


# --- all of it, for sync ----------------------------------------------------------------------------


def remote_refusal(
    data_dir: Path,
    base: str | None,
    incoming: str,
    scratch: Path,
    own_lines: tuple[str, ...],
) -> str | None:
    """What the remote did, from ``base`` to ``incoming``, to files other than the charts'
    sessions: the words after "not synced: origin", or None."""
    from mesolog.store.incoming import listing

    before, after = listing(data_dir, base), listing(data_dir, incoming)
    return (
        patients_folder_refusal(before, after)
        or attributes_refusal(data_dir, before, after, own_lines)
        or ignore_refusal(data_dir, before, after, scratch)
        or flaws_refusal(data_dir, before, after)
    )


def result_refusal(data_dir: Path, head: str, tree: str) -> str | None:
    """A session held by two charts of the merged ``tree`` (the charts that differ from
    ``head`` read to find them)."""
    from mesolog.store.incoming import listing

    here, there = listing(data_dir, head), listing(data_dir, tree)
    arriving = versions(data_dir, {p: there[p].oid for p in changed(here, there) if is_chart(p)})
    return shared_session_refusal(data_dir, tree, there, arriving)
