"""QA findings on sharing, each through real git (a bare remote and clones, as in test_sharing):
schema-1 uids in any time zone (1), a change git could not commit (7), permissions after a
pull (8), settling a patient's or a course's conflict (16), and sync's sentences (19)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Run, mesolog_process, snapshot
from test_sharing import ADD, Machine, clinic_of, git
from test_sharing import git_identity as git_identity  # autouse: a private git config per test

# A schema-1 chart as the QA wrote it: session 1's `recorded` has no UTC offset.
OLD_CHART = """schema = 1

[patient]
id = "P-7"
created = 2026-09-01 10:00:00+01:00

[[sessions]]
id = 1
date = 2026-09-28
recorded = 2026-09-28 18:00:00
areas = ["scalp"]
technique = "gun"
depth_mm = 1.5
anaesthetic = "none"

[[sessions.substances]]
name = "minoxidil"
amount = 1.0
unit = "ml"
lot = "M1"

[[sessions]]
id = 2
date = 2026-10-12
recorded = 2026-10-12 18:00:00+01:00
areas = ["scalp"]
technique = "gun"
depth_mm = 1.5
anaesthetic = "none"

[[sessions.substances]]
name = "minoxidil"
amount = 1.0
unit = "ml"
lot = "M1"
"""


def in_zone(
    folder: Path, zone: str, *args: str, expect: int = 0
) -> subprocess.CompletedProcess[str]:
    """mesolog in its own process on a laptop set to time zone ``zone``."""
    done = mesolog_process("--data-dir", str(folder), *args, env={"TZ": zone})
    assert done.returncode == expect, done.stderr
    return done


# --- 1: a schema-1 session's uid is the same on every machine -------------------------------------


def test_a_naive_recorded_gives_the_same_uids_in_every_time_zone(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    (folder / "patients").mkdir(parents=True)
    (folder / "patients" / "P-7.toml").write_text(OLD_CHART)
    uids = {}
    for zone in ("UTC", "Asia/Tokyo", "America/Los_Angeles"):
        exported = json.loads(in_zone(folder, zone, "export", "P-7", "--format", "json").stdout)
        uids[zone] = [s["uid"] for s in exported["charts"][0]["sessions"]]
    assert uids["UTC"] == uids["Asia/Tokyo"] == uids["America/Los_Angeles"]
    # Read from the written form alone, the wall-clock time taken as UTC: 2026-09-28T18:00.
    assert uids["UTC"][0] == "01M3MJRX80BJYHQRBVB6ZTFTWV"


def test_derived_uids_of_charts_with_an_offset_are_the_ones_written_before() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    from mesolog.model.identity import derived_uid

    # Pinned before the fix: a chart upgraded then and one upgraded now agree.
    paris = timezone(timedelta(hours=1))
    assert (
        derived_uid("P-7", 2, datetime(2026, 10, 12, 18, 0, tzinfo=paris))
        == "01M4RGX3M058618TVT5WMH5JNF"
    )
    assert (
        derived_uid("P-0042", 1, datetime(2026, 11, 2, 18, 3, 11, tzinfo=UTC))
        == "01M6EPVWRR7ZP8E99ENSGA0K2W"
    )
    naive = datetime(2026, 9, 28, 18, 0)
    assert (
        derived_uid("P-7", 1, naive)[:10] == derived_uid("P-7", 1, naive.replace(tzinfo=UTC))[:10]
    )


def test_laptops_in_two_time_zones_amending_an_old_chart_keep_one_copy_of_each_session(
    run: Run, tmp_path: Path
) -> None:
    """The QA's repro_tz.sh: A (UTC) and B (Tokyo) amend session 2 of a schema-1 chart whose
    session 1 has a naive `recorded`; sync a, b, a. Before the fix session 1 came back as 3."""
    bare = tmp_path / "s.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    a, b = tmp_path / "a", tmp_path / "b"
    in_zone(a, "UTC", "init", "--git")
    in_zone(a, "UTC", "git", "remote", "add", "origin", str(bare))
    chart = a / "patients" / "P-7.toml"
    chart.write_text(OLD_CHART)
    chart.chmod(0o600)
    git(a, "add", "patients")
    git(a, "commit", "-qm", "old chart")
    in_zone(a, "UTC", "sync")
    subprocess.run(["git", "clone", "-q", str(bare), str(b)], check=True)
    in_zone(b, "Asia/Tokyo", "init", "--git")
    in_zone(a, "UTC", "amend", "P-7", "2", "--note", "A", "--reason", "a")
    in_zone(b, "Asia/Tokyo", "amend", "P-7", "2", "--points", "40", "--reason", "b")
    for folder, zone in ((a, "UTC"), (b, "Asia/Tokyo"), (a, "UTC")):
        in_zone(folder, zone, "sync")
    for folder in (a, b):
        sessions = tomllib.loads((folder / "patients" / "P-7.toml").read_text())["sessions"]
        assert [(s["id"], str(s["date"])) for s in sessions] == [
            (1, "2026-09-28"),
            (2, "2026-10-12"),
        ]
        assert sessions[1]["notes"] == "A" and sessions[1]["points"] == 40
    assert (a / "patients" / "P-7.toml").read_bytes() == (b / "patients" / "P-7.toml").read_bytes()


# --- 7: a change git could not commit is mesolog's, committed later with its message -------------


@pytest.fixture
def locked_out(run: Run, tmp_path: Path) -> Iterator[Machine]:
    """The QA's repro_lock.sh: a synced clinic whose git index lock is stale (a crashed git)."""
    (a,) = clinic_of(run, tmp_path, 1)
    a("patient", "new", "P-1")
    a("sync")
    (a.folder / ".git" / "index.lock").touch()
    yield a


def _subjects(machine: Machine) -> list[str]:
    return git(machine.folder, "log", "--format=%s").splitlines()


def test_a_session_saved_while_git_was_locked_is_committed_by_sync_with_its_own_message(
    locked_out: Machine, tmp_path: Path
) -> None:
    a = locked_out
    added = a("add", "P-1", *ADD)
    assert "git did not record the change" in added.stderr and "index.lock" in added.stderr
    assert (a.folder / ".git" / "mesolog-pending").is_file()
    stuck = a("sync", expect=1)  # the lock is still there: named, nothing else tried
    assert "index.lock" in stuck.stderr and "hand edit" not in stuck.stderr
    (a.folder / ".git" / "index.lock").unlink()  # the practitioner follows the warning

    checked = a("check")
    assert "mesolog's own change (P-1: session 1 added)" in checked.stdout
    assert "changed outside mesolog" not in checked.stdout and "checkout" not in checked.stdout
    synced = a("sync")
    assert "pushed" in synced.stdout
    assert _subjects(a)[0] == "P-1: session 1 added"
    assert not any("outside mesolog" in s for s in _subjects(a))
    assert not (a.folder / ".git" / "mesolog-pending").exists()
    assert git(a.folder, "status", "--porcelain") == ""
    remote = git(tmp_path / "shared.git", "show", "HEAD:patients/P-1.toml")
    assert tomllib.loads(remote)["sessions"][0]["id"] == 1
    assert "warning" not in a("check").stdout


def test_the_next_change_commits_a_waiting_one_first_and_two_waiting_become_one_commit(
    locked_out: Machine,
) -> None:
    a = locked_out
    a("add", "P-1", *ADD)
    a("add", "P-1", *ADD)  # still locked: both wait
    (a.folder / ".git" / "index.lock").unlink()
    a("amend", "P-1", "1", "--depth", "2", "--reason", "typo")
    subjects = _subjects(a)
    assert subjects[:2] == [
        "P-1: session 1 amended: depth_mm",
        "P-1: session 1 added (and 1 more change)",
    ]
    body = git(a.folder, "log", "-1", "--skip=1", "--format=%b")
    assert "P-1: session 1 added\nP-1: session 2 added" in body
    assert not any("outside mesolog" in s for s in subjects)
    assert git(a.folder, "status", "--porcelain") == ""


def test_a_waiting_change_with_a_hand_edit_on_top_is_never_offered_for_undoing(
    locked_out: Machine,
) -> None:
    a = locked_out
    a("add", "P-1", *ADD)
    (a.folder / ".git" / "index.lock").unlink()
    path = a.folder / "patients" / "P-1.toml"
    path.write_text(path.read_text() + "# seen again on day 3\n")
    before = snapshot(a.folder)
    stopped = a("sync", expect=1)
    assert "holds a change of mesolog's that git did not record" in stopped.stderr
    assert "checkout" not in stopped.stderr
    assert snapshot(a.folder) == before  # a hand edit is never swept into a commit by sync
    checked = a("check")
    assert "mesolog's own change (P-1: session 1 added), which git did not record" in checked.stdout
    assert "checkout" not in checked.stdout
    # The chart's next change commits both, saying so.
    a("amend", "P-1", "1", "--depth", "2", "--reason", "typo")
    assert _subjects(a)[1] == "P-1: session 1 added (with changes made outside mesolog since)"
    a("sync")


def test_a_hand_edit_between_two_waiting_changes_is_not_folded_into_mesologs_own(
    locked_out: Machine,
) -> None:
    """Two of mesolog's changes wait for git with a hand edit between them: the hand edit is
    still named by check and in the commit, never passed off as mesolog's."""
    a = locked_out
    a("add", "P-1", *ADD)
    path = a.folder / "patients" / "P-1.toml"
    path.write_text(path.read_text() + "# seen again on day 3\n")
    a("add", "P-1", *ADD)  # still locked: both wait
    (a.folder / ".git" / "index.lock").unlink()
    checked = a("check")
    assert (
        "was changed" in checked.stdout
        and "saved but git did not record it yet" not in checked.stdout
    )
    a("amend", "P-1", "1", "--depth", "2", "--reason", "typo")
    assert _subjects(a)[1].endswith("(with changes made outside mesolog since)"), _subjects(a)[:3]


# --- 8: what a pull writes is private again ---------------------------------------------------------


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)  # git writes the work tree with the umask: the usual one
    yield
    os.umask(old)


def _modes(machine: Machine) -> dict[str, int]:
    files = [*sorted((machine.folder / "patients").iterdir()), machine.folder / ".gitattributes"]
    return {p.name: stat.S_IMODE(p.stat().st_mode) for p in files}


def test_after_the_readme_walkthrough_every_chart_is_private_and_check_is_clean(
    run: Run, tmp_path: Path, umask_022: None
) -> None:
    a, b = clinic_of(run, tmp_path, 2)
    a("patient", "new", "P-0042", "--name", "Ana Ruiz")
    a("sync")
    b("sync")  # a fast-forward pull writes the new chart
    assert set(_modes(b).values()) == {0o600}
    a("add", "P-0042", *ADD)
    # Another session on B (the same one twice would be named by check: docs/sharing.md).
    b("add", "P-0042", *[word.replace("D2411", "D2412") for word in ADD])
    a("patient", "new", "P-0043")  # a chart B only gets by pulling
    for machine in (a, b, a):
        machine("sync")  # B merges through the driver; A's last pull is a fast-forward
    for machine in (a, b):
        assert set(_modes(machine).values()) == {0o600}, _modes(machine)
        checked = machine("check")
        assert "0 errors, 0 warnings" in checked.stdout + checked.stderr
    assert a.charts() == b.charts()


# --- 16: a patient's or a course's conflict is settled by the command that sets the field --------


def test_sync_says_how_to_settle_each_kind_and_patient_edit_settles_a_name_conflict(
    run: Run, tmp_path: Path
) -> None:
    a, b = clinic_of(run, tmp_path, 2)
    a("patient", "new", "P-1", "--name", "Ana")
    a("add", "P-1", *ADD)
    a("sync")
    b("sync")
    a("patient", "edit", "P-1", "--name", "Alpha")
    b("patient", "edit", "P-1", "--name", "Beta")
    a("amend", "P-1", "1", "--depth", "2", "--reason", "x")
    b("amend", "P-1", "1", "--depth", "3", "--reason", "y")
    a("sync")
    said = b("sync", expect=1).stderr
    assert "a session's with `mesolog amend" in said
    assert "the patient's details with `mesolog patient edit" in said
    assert "course edit" not in said  # no course conflict here
    a("sync")
    found = b("check", expect=1).stdout
    assert "settle it with `mesolog patient edit P-1 --name VALUE`" in found
    text = b.chart("P-1").decode()
    (entry,) = tomllib.loads(text)["conflicts"]
    kept = json.loads(entry["kept"])

    # The kept value given again is the practitioner's answer too: the entry goes, the trail says.
    b("patient", "edit", "P-1", "--name", kept, "--reason", "agreed")
    after = b.chart("P-1").decode()
    data = tomllib.loads(after)
    assert "conflicts" not in data and data["patient"]["name"] == kept
    assert data["amendments"][-1]["changes"] == [
        f"merge conflict on patient.name settled ({entry['kept']} / {entry['other']})"
    ]
    # Only the entry went and the trail entry came: every other line as it was.
    removed = text.split("[[conflicts]]")[1]
    assert text.replace("[[conflicts]]" + removed, "").rstrip() in after
    assert "patient.name" not in b("check", expect=1).stdout
    assert "name (merge conflict settled)" in _subjects(b)[0]
    b("amend", "P-1", "1", "--depth", "2", "--reason", "agreed")
    b("check")
    b("sync")
    a("sync")
    assert a.charts() == b.charts()


def test_course_edit_settles_a_course_conflict_and_keeps_the_others(
    run: Run, tmp_path: Path
) -> None:
    a, b = clinic_of(run, tmp_path, 2)
    a("patient", "new", "P-1")
    a("course", "add", "P-1", "--name", "hair", "--sessions", "6", "--interval", "14")
    a("sync")
    b("sync")
    a("course", "edit", "P-1", "hair", "--sessions", "8", "--interval", "10")
    b("course", "edit", "P-1", "hair", "--sessions", "10", "--interval", "21")
    a("sync")
    said = b("sync", expect=1).stderr
    assert "a course's with `mesolog course edit" in said and "mesolog amend" not in said
    found = b("check", expect=1).stdout
    assert "settle it with `mesolog course edit P-1 hair --sessions VALUE`" in found
    b("course", "edit", "P-1", "hair", "--sessions", "9")
    data = tomllib.loads(b.chart("P-1").decode())
    assert [c["field"] for c in data["conflicts"]] == ["courses.hair.interval_days"]
    assert data["courses"][0]["planned_sessions"] == 9
    assert data["amendments"][-1]["changes"][-1].startswith(
        "merge conflict on courses.hair.planned_sessions settled"
    )
    left = b("check", expect=1).stdout
    assert "planned_sessions" not in left and "interval_days was changed two ways" in left
    b("course", "edit", "P-1", "hair", "--interval", "14")
    b("check")


# --- 19: sync's sentences ----------------------------------------------------------------------------


def test_an_unreachable_remote_is_one_clean_sentence(run: Run, tmp_path: Path) -> None:
    _, b = clinic_of(run, tmp_path, 2)
    (tmp_path / "shared.git").rename(tmp_path / "away.git")
    b("patient", "new", "P-2")
    before, log = snapshot(b.folder / "patients"), git(b.folder, "log")
    said = b("sync", expect=1).stderr
    assert said.startswith("mesolog: could not reach origin (offline, or has it moved?")
    assert said.count("\n") == 1
    for fragment in ("repository exists", "fatal", "does not appear", "Please make sure"):
        assert fragment not in said
    assert snapshot(b.folder / "patients") == before and git(b.folder, "log") == log


def test_a_push_refused_by_a_hook_quotes_the_remote_and_does_not_guess(
    run: Run, tmp_path: Path
) -> None:
    _, b = clinic_of(run, tmp_path, 2)
    hook = tmp_path / "shared.git" / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\nprintf 'denied by policy: \\033[31mno\\n' >&2\nexit 1\n")
    hook.chmod(0o755)
    b("patient", "new", "P-2")
    said = b("sync", expect=1).stderr
    assert "origin refused the push, saying 'denied by policy: \\x1b[31mno'" in said
    assert "\x1b" not in said and "meanwhile" not in said and said.count("\n") == 1
    # A hook that says nothing: git's own reason for the refusal.
    hook.write_text("#!/bin/sh\nexit 1\n")
    said = b("sync", expect=1).stderr
    assert "origin refused the push, saying 'pre-receive hook declined'" in said
    hook.unlink()
    b("sync")


def test_only_a_push_git_rejects_as_behind_says_another_machine_pushed(tmp_path: Path) -> None:
    from mesolog.store.sharing import _refused_push

    bare = tmp_path / "s.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    clones = []
    for name in ("x", "y"):
        subprocess.run(["git", "clone", "-q", str(bare), str(tmp_path / name)], check=True)
        clones.append(tmp_path / name)
    for folder in clones:
        git(folder, "commit", "-q", "--allow-empty", "-m", folder.name)
    git(clones[0], "push", "-q", "origin", "HEAD:refs/heads/main")
    behind = subprocess.run(
        ["git", "-C", str(clones[1]), "push", "-q", "origin", "HEAD:refs/heads/main"],
        capture_output=True,
        text=True,
    )
    assert behind.returncode != 0
    assert "another machine pushed meanwhile" in _refused_push("origin", behind.stderr)


def test_a_work_tree_written_by_hand_through_mesolog_git_is_left_private(
    run: Run, tmp_path: Path, umask_022: None
) -> None:
    a, b = clinic_of(run, tmp_path, 2)
    a("patient", "new", "P-1")
    a("sync")
    b("git", "fetch", "-q", "origin")  # a pull by hand is refused (docs/sharing.md)
    b("git", "reset", "-q", "--hard", "origin/main")
    assert _modes(b) == {"P-1.toml": 0o600, ".gitattributes": 0o600}
    b("check")


def test_the_merge_driver_writes_its_result_private(
    run: Run, tmp_path: Path, umask_022: None
) -> None:
    m = Machine(run, tmp_path / "d")
    m("init")  # a named data folder is never created by `patient new`
    m("patient", "new", "P-1")
    m("add", "P-1", *ADD)
    base = m.chart("P-1")
    m("amend", "P-1", "1", "--depth", "2", "--reason", "x")
    ours = m.chart("P-1")
    (m.folder / "patients" / "P-1.toml").write_bytes(base)
    m("amend", "P-1", "1", "--note", "seen", "--reason", "y")
    files = []
    for name, content in (("O", base), ("A", ours), ("B", m.chart("P-1"))):
        (tmp_path / name).write_bytes(content)
        (tmp_path / name).chmod(0o644)  # git's temporary files follow the umask
        files.append(str(tmp_path / name))
    run("merge-chart", *files, "patients/P-1.toml")
    assert stat.S_IMODE((tmp_path / "A").stat().st_mode) == 0o600
    merged = tomllib.loads((tmp_path / "A").read_text())["sessions"][0]
    assert merged["depth_mm"] == 2.0 and merged["notes"] == "seen"
