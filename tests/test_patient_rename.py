"""`mesolog patient rename OLD NEW` (docs/rename.md): the chart, its photos folder and the photo
paths in it moved to a new id, every other byte kept; recorded in the chart's trail and in one
git commit; refused in one sentence with nothing changed; and a real process killed at every
step it takes leaves the next command a clinic with exactly one chart of the patient.

Real CLI, real data folders and git repositories, real pictures, real kills (SIGKILL).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import Run
from test_photos import phone_jpeg
from test_sharing import Machine, clinic_of, git, private_git

SESSION = [
    "--date", "2026-11-10", "--area", "face", "--substance", "HA:1ml:LOT H1", "--depth", "1",
    "--technique", "hand", "--anaesthetic", "none", "--no-input",
]  # fmt: skip


RENAME = ["patient", "rename", "P-2", "P-3"]


@pytest.fixture(autouse=True)
def git_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    private_git(tmp_path, monkeypatch)


def chart(folder: Path, patient_id: str) -> Path:
    return folder / "patients" / f"{patient_id}.toml"


def files(folder: Path) -> dict[str, str]:
    """Every file of the data folder but git's own and the locks, with a hash of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not {".git", ".locks"} & set(p.relative_to(folder).parts)
    }


def on_disk(folder: Path) -> tuple[dict[str, str], str, str]:
    """What a refusal must leave as it was: the files, git's HEAD and what git has not recorded."""
    if not (folder / ".git").exists():
        return files(folder), "", ""
    head = git(folder, "rev-parse", "HEAD")
    return files(folder), head, git(folder, "status", "--porcelain", "--untracked-files=all")


def clinic(run: Run, folder: Path, tmp_path: Path, history: bool = True) -> Machine:
    """P-2 with a session, two photos kept by `photo add` and a bare path, hand-typed comments
    and an unknown key; P-7 beside it."""
    machine = Machine(run, folder)
    folder.mkdir(parents=True, exist_ok=True)
    if history:
        machine("init", "--git")
    machine("patient", "new", "P-2", "--name", "Bernd Krause", "--phone", "222")
    machine("add", "P-2", *SESSION, "--photo", "photos/P-2/old-scan.jpg")
    for view, colour in (("front", "tan"), ("left", "navy")):
        picture = phone_jpeg(tmp_path / f"{view}.jpg", colour=colour)
        machine("photo", "add", "P-2", "1", str(picture), "--view", view, "--stage", "before")
    machine("patient", "new", "P-7", "--name", "Ana Ruiz")
    path = chart(folder, "P-2")
    text = path.read_text().replace("[patient]\n", "[patient]\n# met at the fair\nward = 3\n", 1)
    path.write_text(text + "\n# the end, typed by hand\n")
    if history:
        machine("git", "commit", "-q", "-m", "hand", "--", "patients/P-2.toml")
    return machine


def test_a_rename_moves_the_chart_and_its_photos_and_keeps_every_other_byte(
    run: Run, tmp_path: Path
) -> None:
    a = clinic(run, tmp_path / "a", tmp_path)
    before = chart(a.folder, "P-2").read_text()
    pictures = sorted(p.name for p in (a.folder / "photos" / "P-2").iterdir())
    done = a("patient", "rename", "P-2", "P-3", "--reason", "two patients", "--by", "Dr. Moreau")
    assert "Patient P-2 renamed to P-3" in done.stdout
    assert "patient.id: P-2 -> P-3" in done.stdout
    assert "photos: photos/P-2 -> photos/P-3 (3 photos)" in done.stdout  # and the bare path
    assert not chart(a.folder, "P-2").exists() and not (a.folder / "photos" / "P-2").exists()
    assert sorted(p.name for p in (a.folder / "photos" / "P-3").iterdir()) == pictures
    after = chart(a.folder, "P-3").read_text()
    # Every byte but the id and the photo paths, and the trail entry added.
    expected = before.replace('id = "P-2"', 'id = "P-3"', 1).replace("photos/P-2/", "photos/P-3/")
    trail_at = after.index("[[amendments]]")
    trail_end = after.index("# the end")
    assert after[:trail_at] + after[trail_end:] == expected
    read = tomllib.loads(after)
    assert read["patient"]["id"] == "P-3"
    (session,) = read["sessions"]
    kept = [p["file"] if isinstance(p, dict) else p for p in session["photos"]]
    assert kept and all(f.startswith("photos/P-3/") for f in kept)
    trail = read["amendments"][-1]
    assert trail["changes"] == [
        "patient.id: P-2 -> P-3",
        "photos: photos/P-2 -> photos/P-3 (3 photos)",
    ]
    assert trail["by"] == "Dr. Moreau" and trail["reason"] == "two patients"
    # One commit of both names and both folders; nothing left unrecorded.
    assert git(a.folder, "log", "-1", "--format=%s %an").strip() == "P-2: renamed to P-3 Dr. Moreau"
    changed = git(a.folder, "show", "--no-renames", "--name-status", "--format=", "HEAD").split(
        "\n"
    )
    assert any(line.startswith("D\tpatients/P-2.toml") for line in changed), changed
    assert any(line.startswith("A\tpatients/P-3.toml") for line in changed), changed
    assert sum(line.startswith("A\tphotos/P-3/") for line in changed) == 2
    assert git(a.folder, "status", "--porcelain", "--untracked-files=all") == ""
    a("check")
    assert "front" in a("photo", "list", "P-3").stdout
    assert "Bernd Krause" in a("lot", "H1").stdout and "P-3" in a("lot", "H1").stdout
    assert not list((a.folder / ".locks").glob("rename-*"))


def test_a_rename_without_history_works_the_same(run: Run, tmp_path: Path) -> None:
    a = clinic(run, tmp_path / "a", tmp_path, history=False)
    a("patient", "rename", "P-2", "Q_2.b")
    assert sorted(a.charts()) == ["P-7.toml", "Q_2.b.toml"]
    assert len(list((a.folder / "photos" / "Q_2.b").iterdir())) == 2
    a("check")


# --- refused, nothing changed --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "said", "code"),
    [
        (["P-22", "P-3"], "no patient 'P-22'", 1),
        (["P-2", "../x"], "patient id '../x' is not allowed", 2),
        (["P-2", "P 3"], "is not allowed", 2),
        (["P-2", ".x"], "is not allowed", 2),
        (["P-2", "P-3\n"], "is not allowed", 2),
        (["P-2", "x" * 65], "is not allowed", 2),
        (["P-2", "P-7"], "patient P-7 already exists", 1),
        (["P-2", "p-7"], "which differs from p-7 only in case", 1),
        (["P-2", "p-2"], "differs from P-2 only in case", 1),
        (["P-2", "P-2"], "is the chart's id already", 2),
    ],
)
def test_a_bad_id_is_refused_in_one_sentence_and_nothing_changes(
    run: Run, tmp_path: Path, args: list[str], said: str, code: int
) -> None:
    a = clinic(run, tmp_path / "a", tmp_path)
    before = on_disk(a.folder)
    refused = a("patient", "rename", *args, expect=code)
    assert said in refused.stderr and "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert on_disk(a.folder) == before


def test_an_unknown_id_gets_did_you_mean(run: Run, tmp_path: Path) -> None:
    a = clinic(run, tmp_path / "a", tmp_path)
    refused = a("patient", "rename", "Bernd", "P-3", expect=1)
    assert "did you mean P-2 (Bernd Krause)?" in refused.stderr


def test_a_photos_folder_there_already_is_refused(run: Run, tmp_path: Path) -> None:
    a = clinic(run, tmp_path / "a", tmp_path)
    (a.folder / "photos" / "P-3").mkdir()
    (a.folder / "photos" / "P-3" / "x.jpg").write_bytes(b"someone's")
    before = on_disk(a.folder)
    refused = a("patient", "rename", "P-2", "P-3", expect=1)
    assert "photos/P-3 is there already" in refused.stderr
    assert on_disk(a.folder) == before


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ("depth_mm = 1.0", "depth_mm = 99.0", "depth"),
        ('id = "P-2"', 'id = "P-9"', "does not match the file name"),
        ('status = "active"', 'status = "active"\n<<<<<<< HEAD', "merge conflict"),
    ],
)
def test_a_chart_check_calls_wrong_is_refused(
    run: Run, tmp_path: Path, old: str, new: str, said: str
) -> None:
    a = clinic(run, tmp_path / "a", tmp_path)
    path = chart(a.folder, "P-2")
    path.write_text(path.read_text().replace(old, new, 1))  # by hand, not committed
    before = on_disk(a.folder)  # git's HEAD and status too: the hand edit is not committed
    refused = a("patient", "rename", "P-2", "P-3", expect=1)
    assert said in refused.stderr and "Traceback" not in refused.stderr, refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert on_disk(a.folder) == before


def test_a_missing_picture_is_refused_as_check_refuses_it(run: Run, tmp_path: Path) -> None:
    a = clinic(run, tmp_path / "a", tmp_path)
    next((a.folder / "photos" / "P-2").glob("*front*")).unlink()
    a("git", "commit", "-q", "-am", "lost")
    before = on_disk(a.folder)
    refused = a("patient", "rename", "P-2", "P-3", expect=1)
    assert "`mesolog check` calls this chart wrong" in refused.stderr
    assert on_disk(a.folder) == before


def test_a_git_merge_under_way_is_refused(run: Run, tmp_path: Path) -> None:
    a = clinic(run, tmp_path / "a", tmp_path)
    notes = a.folder / "notes.txt"
    notes.write_text("one\n")
    git(a.folder, "add", "notes.txt")
    git(a.folder, "commit", "-q", "-m", "notes")
    git(a.folder, "checkout", "-q", "-b", "other")
    notes.write_text("two\n")
    git(a.folder, "commit", "-q", "-am", "two")
    git(a.folder, "checkout", "-q", "main")
    notes.write_text("three\n")
    git(a.folder, "commit", "-q", "-am", "three")
    subprocess.run(["git", "-C", str(a.folder), "merge", "-q", "other"], capture_output=True)
    assert (a.folder / ".git" / "MERGE_HEAD").exists()
    before = on_disk(a.folder)
    refused = a("patient", "rename", "P-2", "P-3", expect=1)
    assert "a git merge is under way" in refused.stderr
    assert on_disk(a.folder) == before


def test_a_chart_shared_already_is_refused(run: Run, tmp_path: Path) -> None:
    a, b = clinic_of(run, tmp_path, 2)
    a("patient", "new", "P-2", "--name", "Bernd Krause")
    a("sync")
    b("sync")
    for machine in (a, b):
        before = on_disk(machine.folder)
        refused = machine("patient", "rename", "P-2", "P-3", expect=1)
        assert "P-2 is shared already (origin/main holds it)" in refused.stderr
        assert on_disk(machine.folder) == before


def test_a_chart_being_written_is_waited_for(run: Run, tmp_path: Path) -> None:
    a = clinic(run, tmp_path / "a", tmp_path)
    before = on_disk(a.folder)
    # Another process holds P-3's lock (the one `patient new P-3` would take).
    holder = subprocess.Popen(
        [
            sys.executable, "-c",
            "import sys; from pathlib import Path; from mesolog.store import chart_lock\n"
            f"with chart_lock(Path({str(a.folder / '.locks')!r}), 'P-3'):\n"
            "    print('held', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        env = {**os.environ, "MESOLOG_LOCK_TIMEOUT": "0.2"}
        busy = subprocess.run(
            [sys.executable, "-m", "mesolog", "--data-dir", str(a.folder), *RENAME],
            capture_output=True, text=True, env=env,
        )  # fmt: skip
    finally:
        holder.communicate("")
    assert busy.returncode == 1 and "P-3 is being written by another mesolog" in busy.stderr
    assert on_disk(a.folder) == before


# --- a kill at every step ----------------------------------------------------------------------------

# Runs mesolog and kills it (SIGKILL, as a power cut would) just before its Nth change to the
# file system or git: a rename, a removal, or a program started (Python's audit events).
KILLED_AT = """
import os, signal, sys
wanted, seen = int(os.environ["KILL_AT"]), 0
def hook(event, args):
    global seen
    if event in ("os.rename", "os.remove", "subprocess.Popen"):
        seen += 1
        if seen == wanted:
            os.kill(os.getpid(), signal.SIGKILL)
sys.addaudithook(hook)
from mesolog.cli.main import main
main()
"""


def the_patients_charts(folder: Path) -> list[str]:
    """The charts holding the patient's session (by its uid): always exactly one."""
    found = []
    for path in sorted((folder / "patients").glob("*.toml")):
        if "Bernd Krause" in path.read_text():
            found.append(path.stem)
    return found


@pytest.mark.parametrize("history", [True, False], ids=["git", "no-git"])
def test_a_rename_killed_at_any_step_is_finished_or_never_begun(
    run: Run, tmp_path: Path, history: bool
) -> None:
    template = clinic(run, tmp_path / "template", tmp_path, history)
    uid = tomllib.loads(chart(template.folder, "P-2").read_text())["sessions"][0]["uid"]
    outcomes = []
    for n in range(1, 60):
        folder = tmp_path / f"kill-{n}"
        shutil.copytree(template.folder, folder, symlinks=True)
        killed = subprocess.run(
            [sys.executable, "-c", KILLED_AT, "--data-dir", str(folder), *RENAME],
            capture_output=True, text=True, env={**os.environ, "KILL_AT": str(n)},
        )  # fmt: skip
        # Right after the kill: one chart holds the patient's sessions, never two, never none.
        assert len(the_patients_charts(folder)) == 1, (n, the_patients_charts(folder))
        machine = Machine(run, folder)
        machine("patient", "list")  # the next command, whatever it is, finishes the rename
        (left,) = the_patients_charts(folder)
        outcomes.append(left)
        read = tomllib.loads(chart(folder, left).read_text())
        assert read["patient"]["id"] == left and read["sessions"][0]["uid"] == uid
        photos = [p for p in read["sessions"][0]["photos"] if isinstance(p, dict)]
        assert photos and all(p["file"].startswith(f"photos/{left}/") for p in photos)
        assert sorted(os.listdir(folder / "photos")) == [left], n
        machine("check")
        assert not list((folder / ".locks").glob("rename-*"))
        if history:
            assert git(folder, "status", "--porcelain", "--untracked-files=all") == "", n
            subject = git(folder, "log", "-1", "--format=%s").strip()
            assert subject == ("P-2: renamed to P-3" if left == "P-3" else "hand"), (n, subject)
        if killed.returncode == 0:
            break
        assert killed.returncode == -signal.SIGKILL, (n, killed.stderr)
    else:
        pytest.fail("the rename never ran to its end")
    assert outcomes[-1] == "P-3" and "P-2" in outcomes  # killed before and after it was decided
    print(
        f"kill points: {len(outcomes) - 1}, finished by the next command: {outcomes.count('P-3') - 1}"
    )


def test_a_locked_git_index_is_refused_before_anything_moves(run: Run, tmp_path: Path) -> None:
    a = clinic(run, tmp_path / "a", tmp_path)
    (a.folder / ".git" / "index.lock").write_text("")
    before = on_disk(a.folder)
    refused = a("patient", "rename", "P-2", "P-3", expect=1)
    assert "git's index is locked" in refused.stderr and "nothing changed" in refused.stderr
    assert on_disk(a.folder) == before


def test_other_commands_ask_for_an_unfinished_rename_without_loading_it(
    run: Run, patient: Path
) -> None:
    from test_lazy_packages import _loaded_by

    loaded, _ = _loaded_by("patient", "list")
    assert "mesolog.store.renaming" not in loaded  # a listing of .locks, nothing imported
    loaded, _ = _loaded_by("patient", "show", "P-0042")
    assert "mesolog.store.renaming" not in loaded


@pytest.mark.parametrize("what", ["link", "file"])
def test_a_photos_folder_that_is_a_link_or_a_file_is_refused(
    run: Run, tmp_path: Path, what: str
) -> None:
    a = clinic(run, tmp_path / "a", tmp_path, history=False)
    pictures = a.folder / "photos" / "P-2"
    shutil.move(pictures, tmp_path / "elsewhere")
    if what == "link":
        pictures.symlink_to(tmp_path / "elsewhere")
    else:
        pictures.write_bytes(b"not a folder")
    before = on_disk(a.folder), os.readlink(pictures) if what == "link" else ""
    refused = a("patient", "rename", "P-2", "P-3", expect=1)
    assert "not the patient's photos folder" in refused.stderr or "check" in refused.stderr
    assert (on_disk(a.folder), os.readlink(pictures) if what == "link" else "") == before
    assert chart(a.folder, "P-2").exists() and not chart(a.folder, "P-3").exists()


def test_a_rename_killed_at_its_commit_is_finished_by_sync_and_shared(
    run: Run, tmp_path: Path
) -> None:
    from test_sharing_hostile import killing_git

    a, b = clinic_of(run, tmp_path, 2)
    a("patient", "new", "P-2", "--name", "Carla Gómez", "--phone", "111")
    a("add", "P-2", *SESSION)
    b("patient", "new", "P-2", "--name", "Bernd Krause", "--phone", "222")
    b("add", "P-2", *SESSION[:4], "--substance", "DCA:1ml:LOT D1", *SESSION[6:])
    a("sync")
    assert "mesolog patient rename P-2 NEW-ID" in b("sync", expect=1).stderr
    killed = subprocess.run(
        [sys.executable, "-m", "mesolog", "--data-dir", str(b.folder), *RENAME],
        capture_output=True, text=True, env={**os.environ, **killing_git(tmp_path, "commit")},
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert sorted(b.charts()) == ["P-3.toml"]
    b("sync")  # finishes the rename (its commit), then syncs
    a("sync")
    for machine in (a, b):
        assert sorted(machine.charts()) == ["P-2.toml", "P-3.toml"]
        assert "P-2: renamed to P-3" in git(machine.folder, "log", "--format=%s")
        recall = machine("lot", "D1").stdout
        assert "Bernd Krause" in recall and "222" in recall and "Carla" not in recall
        machine("check")
