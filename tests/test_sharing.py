"""Sharing a clinic through git: real bare repositories, real clones, the real CLI and the real
merge driver (git runs ``python -m mesolog merge-chart`` itself).

Each test configures git in a temporary global config (``GIT_CONFIG_GLOBAL``); the real
~/.gitconfig is never read or written.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Run, is_uid, snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mesolog.model import merging
from mesolog.store import Clinic, read_chart_file
from mesolog.store.merge import merge_chart_texts, merge_lines

DATA = Path(__file__).parent / "data" / "schema1-clinic"
ADD = [
    "--date",
    "2026-01-05",
    "--area",
    "scalp",
    "--substance",
    "dutasteride 0.01%:1ml:LOT D2411",
    "--depth",
    "1.5",
    "--technique",
    "gun",
    "--anaesthetic",
    "none",
    "--practitioner",
    "Dr. L. Moreau",
    "--no-input",
]


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def private_git(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A git configuration of its own under ``root``: who commits, and the branch's name."""
    config = root / "gitconfig"
    config.write_text(
        "[user]\n\tname = Test\n\temail = test@example.org\n[init]\n\tdefaultBranch = main\n"
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


@pytest.fixture(autouse=True)
def git_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    private_git(tmp_path, monkeypatch)


class Machine:
    """One laptop: its own clone and data folder, commands through the real CLI."""

    def __init__(self, run: Run, folder: Path) -> None:
        self.run, self.folder = run, folder

    def __call__(self, *args: str, expect: int | None = 0):  # type: ignore[no-untyped-def]
        return self.run("--data-dir", str(self.folder), *args, expect=expect)

    def chart(self, patient_id: str) -> bytes:
        return (self.folder / "patients" / f"{patient_id}.toml").read_bytes()

    def charts(self) -> dict[str, bytes]:
        folder = self.folder / "patients"
        return (
            {p.name: p.read_bytes() for p in sorted(folder.glob("*.toml"))}
            if folder.exists()
            else {}
        )

    def sessions(self, patient_id: str) -> list[dict]:  # type: ignore[type-arg]
        return tomllib.loads(self.chart(patient_id).decode()).get("sessions", [])


def clinic_of(run: Run, root: Path, machines: int, seed: Path | None = None) -> list[Machine]:
    """A bare shared repository and ``machines`` clones of it, each set up with `init --git`."""
    bare = root / "shared.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    first = Machine(run, root / "m0")
    if seed is not None:
        shutil.copytree(seed, first.folder)
    first("init", "--git")
    first("git", "remote", "add", "origin", str(bare))
    first("sync")
    out = [first]
    for n in range(1, machines):
        folder = root / f"m{n}"
        subprocess.run(["git", "clone", "-q", str(bare), str(folder)], check=True)
        machine = Machine(run, folder)
        machine("init", "--git")
        out.append(machine)
    return out


def sync_until_quiet(machines: list[Machine]) -> None:
    """Rounds of syncs (one may still fail while the others' changes arrive) until every machine
    holds the shared repository's last commit with nothing left uncommitted, at most three; then
    one more round in which every sync must succeed. (A round after that point would only repeat
    no-op syncs.)"""
    bare = machines[0].folder.parent / "shared.git"
    for _ in range(3):
        for machine in machines:
            machine("sync", expect=None)
        heads = {
            git(folder, "rev-parse", "HEAD") for folder in (bare, *(m.folder for m in machines))
        }
        if len(heads) == 1 and not any(git(m.folder, "status", "--porcelain") for m in machines):
            break
    for machine in machines:
        machine("sync")


# --- (a) both add to the same patient offline ---------------------------------------------------


def test_a_both_add_offline_both_keep_every_session(run: Run, tmp_path: Path) -> None:
    a, b = clinic_of(run, tmp_path, 2)
    a("patient", "new", "P-1", "--name", "Ana Ruiz")
    a("sync")
    b("sync")
    a("add", "P-1", *ADD, "--note", "from A")
    b("add", "P-1", *ADD, "--note", "from B")
    assert a("sync").exit_code == 0
    assert b("sync").exit_code == 0
    a("sync")
    assert a.chart("P-1") == b.chart("P-1")
    sessions = a.sessions("P-1")
    assert sorted(s["notes"] for s in sessions) == ["from A", "from B"]
    assert sorted(s["id"] for s in sessions) == [1, 2]
    renumbered = next(s for s in sessions if s["id"] == 2)
    assert renumbered["amendments"][-1]["reason"] == "renumbered 1 -> 2 when merging"
    a("check")
    b("check")
    assert "from B" in a("report", "P-1").stdout


# --- (b) both amend the same session ------------------------------------------------------------


def test_b_amends_of_different_fields_join_and_of_one_field_are_a_named_conflict(
    run: Run, tmp_path: Path
) -> None:
    a, b = clinic_of(run, tmp_path, 2)
    a("patient", "new", "P-1")
    a("add", "P-1", *ADD)
    a("sync")
    b("sync")
    a("amend", "P-1", "1", "--depth", "2", "--reason", "typo in depth")
    b("amend", "P-1", "1", "--note", "mild redness", "--reason", "reported by phone")
    a("sync")
    b("sync")
    a("sync")
    assert a.chart("P-1") == b.chart("P-1")
    (session,) = a.sessions("P-1")
    assert session["depth_mm"] == 2.0 and session["notes"] == "mild redness"
    assert [x["reason"] for x in session["amendments"]] == ["typo in depth", "reported by phone"]
    a("check")

    # The same field two ways: both values kept as valid TOML, the driver stops, check names it.
    a("amend", "P-1", "1", "--depth", "2.5", "--reason", "measured again")
    b("amend", "P-1", "1", "--depth", "3", "--reason", "other needle")
    a("sync")
    conflicted = b("sync", expect=1)
    assert "depth_mm was changed two ways" in conflicted.stderr
    assert "<<<<<<<" not in b.chart("P-1").decode()
    a("sync")
    assert a.chart("P-1") == b.chart("P-1")
    (session,) = b.sessions("P-1")
    assert {c["field"] for c in session["conflicts"]} == {"depth_mm"}
    found = b("check", expect=1)
    assert "merge conflict: depth_mm was changed two ways" in found.stdout
    assert "mesolog amend P-1 1" in found.stdout
    # amend settles it: the value given is the answer, the trail says which conflict it closed.
    b("amend", "P-1", "1", "--depth", "2.5", "--reason", "agreed with A")
    b("check")
    b("sync")
    a("sync")
    assert a.chart("P-1") == b.chart("P-1")
    (session,) = a.sessions("P-1")
    assert "conflicts" not in session and session["depth_mm"] == 2.5
    assert "merge conflict on depth_mm settled" in session["amendments"][-1]["changes"][-1]
    a("check")


# --- (c) one voids while the other amends -------------------------------------------------------


def test_c_a_void_and_an_amend_both_stay(run: Run, tmp_path: Path) -> None:
    a, b = clinic_of(run, tmp_path, 2)
    a("patient", "new", "P-1")
    a("add", "P-1", *ADD)
    a("sync")
    b("sync")
    a("void", "P-1", "1", "--reason", "entered for the wrong patient")
    b("amend", "P-1", "1", "--note", "bruise on day 2", "--reason", "follow-up call")
    b("sync")
    a("sync")
    b("sync")
    assert a.chart("P-1") == b.chart("P-1")
    (session,) = a.sessions("P-1")
    assert session["status"] == "voided" and session["notes"] == "bruise on day 2"
    assert len(session["amendments"]) == 2
    a("check")


# --- (d) a schema-1 chart cloned twice ----------------------------------------------------------


def test_d_schema_1_demo_cloned_twice_keeps_every_old_session_once(
    run: Run, tmp_path: Path
) -> None:
    a, b = clinic_of(run, tmp_path, 2, seed=DATA)
    assert b"schema = 1" in b.chart("P-0042")
    old = {s["id"] for s in a.sessions("P-0042")}
    a("add", "P-0042", "--like-last", "--date", "2026-11-20", "--no-input")
    b("add", "P-0042", "--like-last", "--date", "2026-11-21", "--no-input")
    a("sync")
    b("sync")
    a("sync")
    assert a.charts() == b.charts()
    text = a.chart("P-0042").decode()
    assert "schema = 2" in text
    sessions = a.sessions("P-0042")
    uids = [s["uid"] for s in sessions]
    assert len(uids) == len(set(uids)) == len(old) + 2
    assert sorted(s["id"] for s in sessions) == sorted(old | {max(old) + 1, max(old) + 2})
    # The upgrade changed only the schema line, the managed comment and added uid lines.
    before = (DATA / "patients" / "P-0042.toml").read_text().splitlines()
    after = [line for line in text.splitlines() if not line.startswith("uid = ")]
    assert after[4 : len(before)] == before[4:]
    a("check")


# --- setup, check and the ways sync stops ---------------------------------------------------------


def test_init_in_a_clone_registers_the_driver_tightens_and_leaves_history(
    run: Run, tmp_path: Path
) -> None:
    (a,) = clinic_of(run, tmp_path, 1)
    a("patient", "new", "P-1")
    a("sync")
    # The second line (photos through Git LFS) where git-lfs is installed: tests/test_photos_sharing.py
    assert (a.folder / ".gitattributes").read_text().splitlines()[
        0
    ] == "patients/*.toml merge=mesolog"
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(tmp_path / "shared.git"), str(clone)], check=True)
    os.chmod(clone / "patients" / "P-1.toml", 0o644)
    b = Machine(run, clone)
    warned = b("check")
    assert "merge driver is not registered" in warned.stdout
    log = git(clone, "log", "--oneline")
    b("init", "--git")
    assert git(clone, "log", "--oneline") == log
    assert "merge-chart %O %A %B %P" in git(clone, "config", "merge.mesolog.driver")
    assert stat.S_IMODE((clone / "patients" / "P-1.toml").stat().st_mode) == 0o600
    assert stat.S_IMODE(clone.stat().st_mode) == 0o700
    assert "merge driver" not in b("check").stdout


def test_conflict_markers_are_named_and_other_charts_keep_working(run: Run, tmp_path: Path) -> None:
    (a,) = clinic_of(run, tmp_path, 1)
    a("patient", "new", "P-1")
    a("patient", "new", "P-2")
    a("add", "P-2", *ADD)
    path = a.folder / "patients" / "P-1.toml"
    path.write_text(path.read_text() + "<<<<<<< HEAD\nnote = 1\n=======\nnote = 2\n>>>>>>> other\n")
    before = snapshot(a.folder)
    line = path.read_text().splitlines().index("<<<<<<< HEAD") + 1
    refused = a("report", "P-1", expect=1)
    assert f"unresolved merge conflict at line {line}" in refused.stderr
    found = a("check", expect=1)
    assert f"P-1.toml:{line}: error: unresolved merge conflict at line {line}" in found.stdout
    assert "P-2" in a("report", "P-2").stdout
    assert snapshot(a.folder) == before


def test_sync_says_in_one_sentence_why_it_stopped_and_loses_nothing(
    run: Run, tmp_path: Path
) -> None:
    lonely = Machine(run, tmp_path / "lonely")
    lonely("init", "--git")
    assert "no remote to sync with" in lonely("sync", expect=1).stderr

    a, b = clinic_of(run, tmp_path, 2)
    a("patient", "new", "P-1")
    a("add", "P-1", *ADD)
    # A hand edit is reported, never swept into a commit.
    path = a.folder / "patients" / "P-1.toml"
    path.write_text(path.read_text() + "# checked by hand\n")
    log = git(a.folder, "log", "--oneline")
    stopped = a("sync", expect=1)
    assert "patients/P-1.toml changed outside mesolog" in stopped.stderr
    assert git(a.folder, "log", "--oneline") == log and path.read_text().endswith(
        "# checked by hand\n"
    )
    git(a.folder, "commit", "-qam", "hand note")
    a("sync")
    # Offline: the remote is gone.
    (tmp_path / "shared.git").rename(tmp_path / "away.git")
    b("patient", "new", "P-2")
    offline = b("sync", expect=1)
    assert "could not reach origin (offline" in offline.stderr
    assert offline.stderr.count("\n") == 1
    (tmp_path / "away.git").rename(tmp_path / "shared.git")
    # A push the remote refuses.
    hook = tmp_path / "shared.git" / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\nexit 1\n")
    hook.chmod(0o755)
    refused = b("sync", expect=1)
    assert "origin refused the push" in refused.stderr
    hook.unlink()
    b("sync")
    a("sync")
    assert a.charts() == b.charts() and set(a.charts()) == {"P-1.toml", "P-2.toml"}


def test_merge_chart_as_a_command_writes_ours_and_exits_1_on_a_conflict(
    run: Run, tmp_path: Path
) -> None:
    m = Machine(run, tmp_path / "d")
    m("init")  # a named data folder is never created by `patient new`
    m("patient", "new", "P-1")
    m("add", "P-1", *ADD)
    base = m.chart("P-1")
    m("amend", "P-1", "1", "--depth", "2", "--reason", "x")
    ours = m.chart("P-1")
    (m.folder / "patients" / "P-1.toml").write_bytes(base)
    m("amend", "P-1", "1", "--depth", "3", "--reason", "y")
    theirs = m.chart("P-1")
    files = []
    for name, content in (("O", base), ("A", ours), ("B", theirs)):
        (tmp_path / name).write_bytes(content)
        files.append(str(tmp_path / name))
    result = run("merge-chart", *files, "patients/P-1.toml", expect=1)
    assert "depth_mm was changed two ways" in result.stderr
    merged = tomllib.loads((tmp_path / "A").read_text())
    assert merged["sessions"][0]["conflicts"][0]["field"] == "depth_mm"
    (tmp_path / "bad").write_text("not toml [")
    before = snapshot(tmp_path / "d")
    refused = run("merge-chart", files[0], files[1], str(tmp_path / "bad"), "P-1.toml", expect=1)
    assert "was not merged" in refused.stderr and "Traceback" not in refused.stderr
    assert snapshot(tmp_path / "d") == before


# --- the pure merge ---------------------------------------------------------------------------


def test_line_merge_takes_separate_changes_and_refuses_overlapping_ones() -> None:
    base = "a\nb\nc\n"
    assert merge_lines(base, "A\nb\nc\n", "a\nb\nC\n") == "A\nb\nC\n"
    assert merge_lines(base, "a\nx\nc\n", "a\ny\nc\n") is None
    assert merge_lines(base, "a\nx\nc\n", "a\ny\nc\n", union=True) == "a\nx\ny\nc\n"


def test_union_and_three_way_rules() -> None:
    assert merging.three_way(1, 1, 2) == (2, False)
    assert merging.three_way(1, 3, 2) == (3, True)
    assert merging.union(["a", "b"], ["a", "b", "c"], ["b", "d"]) == ["b", "c", "d"]
    assert merging.renumbering([("u1", 3, "2026-01-02"), ("u2", 3, "2026-01-01")]) == {"u1": (3, 4)}


# --- (e) the property: random histories on three machines -----------------------------------------

ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["new", "add", "add", "amend", "amend", "void", "restore", "sync"]),
        st.integers(0, 2),  # machine
        st.integers(0, 1),  # patient
        st.sampled_from([1, 1, 2, 3]),  # session number: 1 always exists
        st.sampled_from(["2", "2.5", "3"]),  # a depth to amend to (never the recorded 1.5)
    ),
    min_size=1,
    max_size=12,
)


class Simulated:
    """Three machines as three data folders, git's pull-and-push replaced by the pure merge:
    a machine's last synced text is the merge base (it is an ancestor of both sides)."""

    def __init__(self, root: Path) -> None:
        self.clinics = [Clinic(root / f"m{n}") for n in range(3)]
        self.remote: dict[str, str] = {}
        self.synced: list[dict[str, str]] = [{}, {}, {}]

    def sync(self, n: int, swap: bool) -> None:
        clinic = self.clinics[n]
        clinic.ensure_folders()
        mine = {p.name: p.read_text() for p in clinic.patients_dir.glob("*.toml")}
        for name in sorted(set(mine) | set(self.remote)):
            base = self.synced[n].get(name, "")
            ours, theirs = mine.get(name, ""), self.remote.get(name, "")
            one = merge_chart_texts(base, ours, theirs, name)
            other = merge_chart_texts(base, theirs, ours, name)
            assert one.text == other.text, "the merge must not depend on which side is ours"
            merged = other if swap else one
            _only_added(base, theirs, name)  # what a sync pulls passes its check of the remote
            _only_added(ours, merged.text, name)
            (clinic.patients_dir / name).write_text(merged.text)
            self.remote[name] = self.synced[n][name] = merged.text


def _only_added(old: str, new: str, name: str) -> None:
    """A later version of a chart, made by mesolog's own commands and merges, only adds to
    the earlier one (docs/sharing.md, "What a remote may bring into a chart")."""
    from mesolog.model.additions import untrailed
    from mesolog.store.codec import parse_chart_text

    if old and new:
        earlier, later = (parse_chart_text(Path(name), text) for text in (old, new))
        assert untrailed(earlier, later) == []


def _act(
    clinic: Clinic, action: str, patient: str, number: int, depth: str, added: set[str]
) -> None:
    from datetime import date

    from mesolog.errors import MesologError
    from mesolog.model import Patient, Session, Substance, now

    try:
        if action == "new":
            clinic.new_patient(Patient(id=patient, created=now().replace(second=0)))
        elif action == "add":
            draft = Session(
                id=0,
                date=date(2026, 1, 5),
                recorded=now(),
                areas=("scalp",),
                technique="gun",
                depth_mm=1.5,
                anaesthetic="none",
                substances=(Substance("biotin", 1.0, "ml"),),
            )
            session, _, _ = clinic.add_session(patient, draft)
            added.add(session.uid)
        elif action == "amend":
            clinic.amend(patient, number, lambda s: _with_depth(s, float(depth)), "Dr", "why")
        elif action == "void":
            clinic.void(patient, number, "Dr", "wrong patient")
        elif action == "restore":
            clinic.restore(patient, number, "Dr", "voided by mistake")
    except MesologError:
        pass  # unknown patient or session, nothing to change: refused, as the CLI would


def _with_depth(session, depth: float):  # type: ignore[no-untyped-def]
    from dataclasses import replace

    return replace(session, depth_mm=depth)


def _check_converged(texts: list[dict[str, bytes]], added: set[str]) -> None:
    assert texts[0] == texts[1] == texts[2]
    found: list[str] = []
    for content in texts[0].values():
        found += [s["uid"] for s in tomllib.loads(content.decode()).get("sessions", [])]
    assert sorted(found) == sorted(set(found)), "a session is on a machine twice"
    assert added <= set(found), "a recorded session was lost"


@settings(max_examples=110, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions=ACTIONS, swaps=st.lists(st.booleans(), min_size=8, max_size=8))
def test_e_random_histories_through_the_pure_merge(actions, swaps) -> None:  # type: ignore[no-untyped-def]
    """Most histories (110) drive the merge function directly; the real-git property below runs
    12 more through clones, `sync` and the driver as git calls it."""
    with tempfile.TemporaryDirectory() as root:
        world = Simulated(Path(root))
        added: set[str] = set()
        # Every machine starts with P-0 and one session of it, so that histories mostly work
        # on shared charts (P-1 is created by whichever machine draws "new" first).
        _act(world.clinics[0], "new", "P-0", 1, "1.5", added)
        _act(world.clinics[0], "add", "P-0", 1, "1.5", added)
        for n in range(3):
            world.sync(n, False)
        for k, (action, n, p, number, depth) in enumerate(actions):
            if action == "sync":
                world.sync(n, swaps[k % len(swaps)])
            else:
                _act(world.clinics[n], action, f"P-{p}", number, depth, added)
        for _ in range(2):
            for n in range(3):
                world.sync(n, swaps[n])
        texts = [
            {p.name: p.read_bytes() for p in c.patients_dir.glob("*.toml")} for c in world.clinics
        ]
        _check_converged(texts, added)
        for clinic in world.clinics:
            for path in clinic.patients_dir.glob("*.toml"):
                read_chart_file(path)


@pytest.fixture
def three_synced_clones(run: Run, tmp_path: Path) -> tuple[Path, set[str]]:
    """A bare repository and three clones that all hold P-0 with one session; and that session's
    uid. Made once for all the examples of a property: each copies it (the same start, without
    paying for clones, inits and syncs again every time)."""
    root = tmp_path / "start"
    machines = clinic_of(run, root, 3)
    machines[0]("patient", "new", "P-0")
    machines[0]("add", "P-0", *ADD)
    for m in machines:
        m("sync")
    return root, {s["uid"] for s in _sessions(machines[0], "P-0")}


def copy_of_clinic(start: Path, root: Path, run: Run, machines: int) -> list[Machine]:
    """The shared repository and clones under ``start`` copied to ``root``, each clone's origin
    pointed at the copy of the shared repository."""
    shutil.copytree(start, root, symlinks=True, dirs_exist_ok=True)
    out = [Machine(run, root / f"m{n}") for n in range(machines)]
    for machine in out:
        git(machine.folder, "remote", "set-url", "origin", str(root / "shared.git"))
    return out


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(actions=ACTIONS)
def test_e_random_histories_through_real_git(
    run: Run, three_synced_clones: tuple[Path, set[str]], actions
) -> None:  # type: ignore[no-untyped-def]
    """3 clones of one bare repository; new patient / add / amend / void / restore / sync through
    the CLI; then syncing until quiet: every session whose add exited 0 is on every machine
    once, and the bytes agree."""
    start, first = three_synced_clones
    with tempfile.TemporaryDirectory() as root:
        machines = copy_of_clinic(start, Path(root), run, 3)
        added = set(first)
        for action, n, p, number, depth in actions:
            m, patient = machines[n], f"P-{p}"
            if action == "new":
                m("patient", "new", patient, expect=None)
            elif action == "add":
                before = {s["uid"] for s in _sessions(m, patient)}
                if m("add", patient, *ADD, expect=None).exit_code == 0:
                    added |= {s["uid"] for s in _sessions(m, patient)} - before
            elif action == "amend":
                m("amend", patient, str(number), "--depth", depth, "--reason", "why", expect=None)
            elif action == "void":
                m("void", patient, str(number), "--reason", "why", expect=None)
            elif action == "restore":
                m("restore", patient, str(number), "--reason", "why", expect=None)
            else:
                m("sync", expect=None)
        sync_until_quiet(machines)
        _check_converged([m.charts() for m in machines], added)


def _sessions(machine: Machine, patient: str) -> Iterator[dict]:  # type: ignore[type-arg]
    path = machine.folder / "patients" / f"{patient}.toml"
    if path.exists():
        yield from machine.sessions(patient)


# --- identity -----------------------------------------------------------------------------------


def test_a_session_copied_from_the_last_gets_its_own_uid(tmp_path: Path) -> None:
    from dataclasses import replace

    clinic = Clinic(tmp_path / "d")
    shutil.copytree(DATA, clinic.data_dir)
    last = clinic.load("P-0107").sessions[-1]
    stored, _, _ = clinic.add_session("P-0107", replace(last, id=0))
    uids = [s.uid for s in clinic.load("P-0107").sessions]
    assert stored.uid != last.uid and len(set(uids)) == len(uids)


def test_schema_1_uids_are_derived_the_same_everywhere_and_kept_by_the_upgrade(
    run: Run, tmp_path: Path
) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    shutil.copytree(DATA, one)
    shutil.copytree(DATA, two)
    path = one / "patients" / "P-0213.toml"
    path.write_text(path.read_text().replace("[[sessions]]", "# typed by hand\n[[sessions]]", 1))
    derived = [s.uid for s in read_chart_file(path)[0].sessions]
    assert derived == [s.uid for s in read_chart_file(two / "patients" / "P-0213.toml")[0].sessions]
    run("--data-dir", str(one), "amend", "P-0213", "1", "--note", "checked", "--reason", "audit")
    text = path.read_text()
    assert "schema = 2" in text and "# typed by hand\n[[sessions]]" in text
    assert [s.uid for s in read_chart_file(path)[0].sessions] == derived
    assert tomllib.loads(text)["sessions"][1]["uid"] == derived[1]


def test_ulids_have_the_standard_shape_and_sort_by_time() -> None:
    from datetime import UTC, datetime

    from mesolog.model.identity import derived_uid, new_uid, ulid

    assert ulid(1469918176385, bytes(10)) == "01ARYZ6S41" + "0" * 16  # the spec's example time
    made = [new_uid() for _ in range(200)]
    assert len(set(made)) == 200 and all(is_uid(u) for u in made)
    early = derived_uid("P-1", 1, datetime(2026, 1, 1, tzinfo=UTC))
    late = derived_uid("P-1", 1, datetime(2026, 1, 2, tzinfo=UTC))
    assert early < late and early == derived_uid("P-1", 1, datetime(2026, 1, 1, tzinfo=UTC))


def test_comments_unknown_keys_courses_and_patient_details_of_both_sides_survive(
    run: Run, tmp_path: Path
) -> None:
    m = Machine(run, tmp_path / "d")
    m("init")  # a named data folder is never created by `patient new`
    m("patient", "new", "P-1", "--name", "Ana")
    m("add", "P-1", *ADD)
    m("add", "P-1", *ADD)
    base = m.chart("P-1").decode()
    m("course", "add", "P-1", "--name", "hair", "--sessions", "6", "--interval", "14")
    m("amend", "P-1", "2", "--depth", "2", "--reason", "typo")
    ours = m.chart("P-1").decode().replace('name = "Ana"', 'name = "Ana Ruiz"')
    ours = ours.replace("[[sessions]]\nid = 1\n", "[[sessions]]\nid = 1\n# seen again on day 3\n")
    theirs = base.replace("[patient]\n", '[patient]\nphone = "+34 600"\n')
    theirs = theirs.replace("[[sessions]]\nid = 1\n", '[[sessions]]\nid = 1\nroom = "2"\n')
    theirs = theirs.replace('status = "active"', 'status = "active"\n# second block, by hand', 1)
    merged = merge_chart_texts(base, ours, theirs, "patients/P-1.toml")
    assert merged.clashes == []
    assert merged.text == merge_chart_texts(base, theirs, ours, "patients/P-1.toml").text
    data = tomllib.loads(merged.text)
    assert data["patient"]["name"] == "Ana Ruiz" and data["patient"]["phone"] == "+34 600"
    assert [c["name"] for c in data["courses"]] == ["hair"]
    first, second = data["sessions"]
    assert first["room"] == "2" and second["depth_mm"] == 2.0
    assert "# seen again on day 3" in merged.text and "# second block, by hand" in merged.text
    (m.folder / "patients" / "P-1.toml").write_text(merged.text)
    m("check")


def test_a_patient_detail_changed_two_ways_is_kept_as_a_chart_conflict_that_check_names(
    run: Run, tmp_path: Path
) -> None:
    m = Machine(run, tmp_path / "d")
    m("init")  # a named data folder is never created by `patient new`
    m("patient", "new", "P-1", "--name", "Ana")
    base = m.chart("P-1").decode()
    ours = base.replace('name = "Ana"', 'name = "Ana Ruiz"')
    theirs = base.replace('name = "Ana"', 'name = "Ana Vidal"')
    merged = merge_chart_texts(base, ours, theirs, "patients/P-1.toml")
    assert merged.text == merge_chart_texts(base, theirs, ours, "patients/P-1.toml").text
    assert [c.split(":")[0] for c in merged.clashes] == ["[patient]"]
    (entry,) = tomllib.loads(merged.text)["conflicts"]
    assert entry["field"] == "patient.name" and {entry["kept"], entry["other"]} == {
        '"Ana Ruiz"',
        '"Ana Vidal"',
    }
    (m.folder / "patients" / "P-1.toml").write_text(merged.text)
    found = m("check", expect=1)
    assert "merge conflict: patient.name was changed two ways" in found.stdout
