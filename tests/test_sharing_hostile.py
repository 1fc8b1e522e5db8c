"""What comes from outside through `sync` is checked, and nothing between two steps is taken for
a hand edit: a hostile remote (a bare repository pushed to by a plain git clone that renames,
swaps, deletes, links and re-attributes charts), and real kills (a `git` on PATH that kills
mesolog at its commit, a merge driver that kills the sync's whole process group).

Every refusal is checked to leave HEAD, the work tree's bytes and its file modes as they were.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Run, mesolog_process, private_folders
from test_sharing import ADD, Machine, clinic_of, git, private_git
from test_sharing import git_identity as git_identity  # autouse: a private git config per test

# --- fixtures --------------------------------------------------------------------------------------


def state(machine: Machine) -> tuple[str, str, dict[str, tuple[int, bytes | str]]]:
    """HEAD, the branch, and every entry of the work tree (outside .git and .locks) with its
    mode and bytes (a link: its target), never following a link."""
    entries: dict[str, tuple[int, bytes | str]] = {}
    for folder, dirs, files in os.walk(machine.folder):
        dirs[:] = [d for d in dirs if d not in (".git", ".locks")]
        for name in [*files, *dirs]:
            path = Path(folder) / name
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                entries[str(path.relative_to(machine.folder))] = (mode, os.readlink(path))
            elif stat.S_ISREG(mode):
                entries[str(path.relative_to(machine.folder))] = (mode, path.read_bytes())
            else:
                entries[str(path.relative_to(machine.folder))] = (mode, b"")
    head = git(machine.folder, "rev-parse", "HEAD")
    branch = git(machine.folder, "symbolic-ref", "HEAD")
    return head, branch, entries


def outsider(tmp_path: Path) -> Path:
    """A plain git clone of the shared repository, without mesolog: the hostile remote's hands."""
    folder = tmp_path / "outsider"
    if not folder.exists():
        subprocess.run(
            ["git", "clone", "-q", str(tmp_path / "shared.git"), str(folder)], check=True
        )
    else:
        git(folder, "pull", "-q", "--no-rebase")
    return folder


def push(folder: Path, message: str) -> None:
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", message)
    git(folder, "push", "-q", "origin", "HEAD:main")


@pytest.fixture(scope="module")
def shared_clinic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two laptops sharing P-1 and P-2 (one session each), both synced: built once for the
    module in folders and an environment of its own (the per-test ones do not exist yet), and
    copied for each test by ``laptops``."""
    root = tmp_path_factory.mktemp("shared-clinic")
    with pytest.MonkeyPatch.context() as env:
        private_folders(root, env)
        private_git(root, env)
        env.delenv("MESOLOG_DATA_DIR", raising=False)
        clinic = root / "clinic"
        clinic.mkdir()
        a, b = clinic_of(Run(), clinic, 2)
        a("patient", "new", "P-1", "--name", "Ana Ruiz")
        a("patient", "new", "P-2", "--name", "Bea Soto")
        a("add", "P-1", *ADD, "--note", "P-1 first")
        a("add", "P-2", *ADD, "--note", "P-2 first")
        a("sync")
        b("sync")
    return clinic


@pytest.fixture
def laptops(run: Run, tmp_path: Path, shared_clinic: Path) -> tuple[Machine, Machine]:
    """This test's copy of the shared clinic: the bare repository and both clones, their files
    with the same bytes and modes, each clone's remote pointed at this test's bare copy."""
    shutil.copytree(shared_clinic, tmp_path, symlinks=True, dirs_exist_ok=True)
    a, b = Machine(run, tmp_path / "m0"), Machine(run, tmp_path / "m1")
    for machine in (a, b):
        git(machine.folder, "remote", "set-url", "origin", str(tmp_path / "shared.git"))
    return a, b


def refused(machine: Machine, *names: str) -> str:
    """`sync` exits 1, names each of ``names`` and changes nothing here (HEAD, bytes, modes)."""
    before = state(machine)
    done = machine("sync", expect=1)
    assert state(machine) == before
    said = done.stderr
    for name in names:
        assert name in said, said
    assert "Traceback" not in said and "nothing was changed here" in said, said
    return said


# --- a remote is checked before it is accepted ------------------------------------------------


def test_a_chart_renamed_onto_another_on_the_remote_is_refused_naming_both(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, _ = laptops
    a("add", "P-2", *ADD, "--note", "kept here")
    evil = outsider(tmp_path)
    git(evil, "rm", "-q", "patients/P-2.toml")
    git(evil, "mv", "patients/P-1.toml", "patients/P-2.toml")
    push(evil, "tidy up")
    said = refused(a, "P-1", "P-2")
    assert "moved" in said or "swapped" in said
    assert [s["notes"] for s in a.sessions("P-2")] == ["P-2 first", "kept here"]


def test_two_charts_swapped_with_their_ids_rewritten_on_the_remote_are_refused(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, _ = laptops
    evil = outsider(tmp_path)
    one, two = evil / "patients" / "P-1.toml", evil / "patients" / "P-2.toml"
    first, second = one.read_text(), two.read_text()
    one.write_text(second.replace('id = "P-2"', 'id = "P-1"', 1))
    two.write_text(first.replace('id = "P-1"', 'id = "P-2"', 1))
    push(evil, "swap")
    said = refused(a, "P-1", "P-2")
    assert "swapped" in said


def test_a_later_gitattributes_line_that_overrides_the_driver_is_refused(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, b = laptops
    evil = outsider(tmp_path)
    attributes = evil / ".gitattributes"
    attributes.write_text(attributes.read_text() + "patients/P-*.toml merge=union\n")
    push(evil, "attributes")
    a("add", "P-1", *ADD, "--note", "from A")
    said = refused(a, ".gitattributes", "union")
    refused(b, "union")
    assert "patients/*.toml merge=mesolog" not in said or "overrides" in said
    a("check")


def test_an_attributes_file_in_the_patients_folder_is_evaluated_too(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, _ = laptops
    evil = outsider(tmp_path)
    (evil / "patients" / ".gitattributes").write_text("*.toml -merge\n")
    push(evil, "attributes")
    refused(a, "merge")


@pytest.mark.parametrize("link", ["patients", ".locks"])
def test_a_folder_replaced_by_a_symbolic_link_on_the_remote_is_refused(
    laptops: tuple[Machine, Machine], tmp_path: Path, link: str
) -> None:
    a, _ = laptops
    outside = tmp_path / "outside"
    outside.mkdir()
    evil = outsider(tmp_path)
    if link == "patients":
        for chart in (evil / "patients").iterdir():
            shutil.copy(chart, outside / chart.name)
        shutil.rmtree(evil / "patients")
    (evil / link).symlink_to(outside)
    push(evil, "link")
    there = {p.name: p.read_bytes() for p in outside.iterdir()}
    said = refused(a, link)
    assert "symbolic link" in said
    a("add", "P-1", *ADD, "--note", "after")
    assert {p.name: p.read_bytes() for p in outside.iterdir()} == there


def test_a_symbolic_link_inside_the_data_folder_here_stops_sync(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, _ = laptops
    (tmp_path / "elsewhere").mkdir()
    shutil.rmtree(a.folder / ".locks", ignore_errors=True)
    (a.folder / ".locks").symlink_to(tmp_path / "elsewhere")
    before = state(a)
    said = a("sync", expect=1).stderr
    assert ".locks" in said and "symbolic link" in said
    assert state(a) == before


def test_a_chart_deleted_on_the_remote_is_refused_and_kept(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, _ = laptops
    evil = outsider(tmp_path)
    git(evil, "rm", "-q", "patients/P-1.toml")
    push(evil, "remove P-1")
    said = refused(a, "P-1")
    assert "deleted" in said
    assert [s["notes"] for s in a.sessions("P-1")] == ["P-1 first"]


def test_a_chart_deleted_on_the_remote_while_changed_here_is_refused_and_stays_private(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, _ = laptops
    a("add", "P-1", *ADD, "--note", "here")
    evil = outsider(tmp_path)
    git(evil, "rm", "-q", "patients/P-1.toml")
    push(evil, "remove P-1")
    said = refused(a, "P-1")
    assert "deleted" in said and "schema" not in said
    assert stat.S_IMODE(os.stat(a.folder / "patients" / "P-1.toml").st_mode) == 0o600


def test_a_session_removed_from_a_chart_on_the_remote_is_refused(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, _ = laptops
    evil = outsider(tmp_path)
    chart = evil / "patients" / "P-1.toml"
    text = chart.read_text()
    chart.write_text(text[: text.index("[[sessions]]")])
    push(evil, "shorter")
    said = refused(a, "P-1", "session 1")
    assert "removed" in said


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda text: text.replace('id = "P-1"', 'id = "P-9"', 1), "P-9"),
        (lambda text: text + "[[sessions]\n", "broken TOML"),
    ],
    ids=["id-not-its-file-name", "does-not-parse"],
)
def test_a_chart_that_does_not_read_as_itself_is_refused(
    laptops: tuple[Machine, Machine],
    tmp_path: Path,
    change,
    words: str,  # type: ignore[no-untyped-def]
) -> None:
    a, _ = laptops
    evil = outsider(tmp_path)
    chart = evil / "patients" / "P-1.toml"
    chart.write_text(change(chart.read_text()))
    push(evil, "edit")
    refused(a, "P-1", words)


def test_a_new_chart_from_the_remote_whose_id_is_not_its_name_is_refused(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, _ = laptops
    evil = outsider(tmp_path)
    text = (evil / "patients" / "P-1.toml").read_text()
    (evil / "patients" / "P-3.toml").write_text(text)
    push(evil, "copy")
    refused(a, "P-3", "P-1")


def test_what_a_healthy_remote_brings_is_still_taken(laptops: tuple[Machine, Machine]) -> None:
    a, b = laptops
    b("patient", "new", "P-3")
    b("add", "P-1", *ADD, "--note", "from B")
    b("sync")
    a("add", "P-1", *ADD, "--note", "from A")
    assert "P-1" in a("sync").stdout
    assert sorted(s["notes"] for s in a.sessions("P-1")) == ["P-1 first", "from A", "from B"]
    assert (a.folder / "patients" / "P-3.toml").is_file()
    assert stat.S_IMODE(os.stat(a.folder / "patients" / "P-3.toml").st_mode) == 0o600
    b("sync")
    assert a.charts() == b.charts()
    assert not list((a.folder / ".git").glob("mesolog-merge*/*"))


# --- nothing between two steps is mistaken for a hand edit ---------------------------------------


def killing_git(tmp_path: Path, at: str) -> dict[str, str]:
    """PATH with a `git` that kills the process that ran it when asked to ``at`` (``commit``):
    mesolog dies between writing a chart and committing it, as a power cut or a kill -9 does."""
    folder = tmp_path / "killing-bin"
    folder.mkdir(exist_ok=True)
    real = shutil.which("git")
    script = folder / "git"
    script.write_text(
        "#!/bin/sh\n"
        f'for arg in "$@"; do if [ "$arg" = {at} ]; then kill -9 $PPID; exit 1; fi; done\n'
        f'exec {real} "$@"\n'
    )
    script.chmod(0o755)
    return {"PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}


def subjects(machine: Machine) -> list[str]:
    return git(machine.folder, "log", "--format=%s").splitlines()


def test_an_add_killed_before_its_commit_is_committed_by_sync_with_its_own_message(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, _ = laptops
    killed = mesolog_process(
        "--data-dir",
        str(a.folder),
        "add",
        "P-1",
        *ADD,
        "--note",
        "killed",
        env=killing_git(tmp_path, "commit"),
    )
    assert killed.returncode == -signal.SIGKILL
    assert "killed" in [s.get("notes") for s in a.sessions("P-1")]
    checked = a("check")
    assert "outside mesolog" not in checked.stdout and "checkout" not in checked.stdout
    assert (
        "mesolog's own change (P-1: session 2 added) is saved but its commit was interrupted"
        in checked.stdout
    )
    synced = a("sync")
    assert "pushed" in synced.stdout
    assert subjects(a)[0] == "P-1: session 2 added"
    assert not any("outside mesolog" in s for s in subjects(a))
    assert git(a.folder, "status", "--porcelain") == ""
    assert not list((a.folder / ".git" / "mesolog-writing").glob("*"))


def test_a_new_patient_killed_before_its_commit_is_committed_by_the_next_change(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, _ = laptops
    killed = mesolog_process(
        "--data-dir", str(a.folder), "patient", "new", "P-5", env=killing_git(tmp_path, "commit")
    )
    assert killed.returncode == -signal.SIGKILL
    a("add", "P-5", *ADD)
    assert subjects(a)[:2] == ["P-5: session 1 added", "P-5: patient created"]
    assert git(a.folder, "status", "--porcelain") == ""


def test_an_import_killed_before_its_commit_is_committed_as_the_import(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, _ = laptops
    sheet = tmp_path / "visits.csv"
    sheet.write_text(
        "patient,date,areas,technique,depth_mm,anaesthetic,substance,amount,unit,lot\n"
        "P-1,2026-02-02,scalp,gun,1.5,none,minoxidil,1,ml,M1\n"
        "P-2,2026-02-03,scalp,gun,1.5,none,minoxidil,1,ml,M1\n"
    )
    killed = mesolog_process(
        "--data-dir",
        str(a.folder),
        "import",
        str(sheet),
        "--apply",
        env=killing_git(tmp_path, "commit"),
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert len(a.sessions("P-1")) == 2 and len(a.sessions("P-2")) == 2
    a("sync")
    assert subjects(a)[0].startswith("import visits.csv")
    assert git(a.folder, "show", "--name-only", "--format=", "HEAD").split() == [
        "patients/P-1.toml",
        "patients/P-2.toml",
    ]
    assert not any("outside mesolog" in s for s in subjects(a))
    assert git(a.folder, "status", "--porcelain") == ""


def test_a_kill_before_the_chart_is_written_leaves_nothing_to_commit(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    """Killed at the first git command of a change (before its chart is written): the next
    sync finds the chart as it was and nothing to commit in its name."""
    a, _ = laptops
    before = subjects(a)
    killed = mesolog_process(
        "--data-dir", str(a.folder), "add", "P-1", *ADD, env=killing_git(tmp_path, "status")
    )
    assert killed.returncode == -signal.SIGKILL
    a("sync")
    assert subjects(a) == before
    assert len(a.sessions("P-1")) == 1


def test_a_sync_killed_during_the_merge_leaves_no_temporaries_and_the_next_sync_merges(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, b = laptops
    b("add", "P-1", *ADD, "--note", "from B")
    b("sync")
    a("add", "P-1", *ADD, "--note", "from A")
    before = state(a)
    # The merge driver kills the whole sync (mesolog, git and itself) in the middle of a merge.
    killer = tmp_path / "kill-merge-chart"
    killer.write_text("#!/bin/sh\nkill -9 -$(ps -o pgid= $$ | tr -d ' ')\n")
    killer.chmod(0o755)
    git(a.folder, "config", "merge.mesolog.driver", f"{killer} %O %A %B %P")
    killed = subprocess.run(
        [sys.executable, "-m", "mesolog", "--data-dir", str(a.folder), "sync"],
        capture_output=True,
        text=True,
        start_new_session=True,
    )
    assert killed.returncode == -signal.SIGKILL
    assert state(a) == before  # nothing of the merge reached the work tree
    a("init", "--git")  # the real driver again
    a("sync")
    assert sorted(s["notes"] for s in a.sessions("P-1")) == ["P-1 first", "from A", "from B"]
    assert not [p for p in a.folder.iterdir() if p.name.startswith(".merge_file_")]
    assert not list((a.folder / ".git").glob("mesolog-merge*/*"))


def test_merge_temporaries_left_in_the_data_folder_are_removed_not_called_hand_edits(
    laptops: tuple[Machine, Machine],
) -> None:
    a, _ = laptops
    chart = a.chart("P-1")
    for name in (".merge_file_a1B2c3", ".merge_file_Zz9Yy8"):
        (a.folder / name).write_bytes(chart)
    synced = a("sync")
    assert "hand edit" not in synced.stderr
    assert not [p for p in a.folder.iterdir() if p.name.startswith(".merge_file_")]


def test_no_advice_can_discard_a_session_and_sync_offers_its_own_command(
    laptops: tuple[Machine, Machine],
) -> None:
    a, b = laptops
    from mesolog.model.identity import new_uid

    copied = a.folder / "patients" / "P-8.toml"  # a chart made by hand from P-1's: new uids
    text = a.chart("P-1").decode().replace('id = "P-1"', 'id = "P-8"', 1)
    for uid in {line.split('"')[1] for line in text.splitlines() if line.startswith("uid = ")}:
        text = text.replace(uid, new_uid())
    copied.write_text(text)
    path = a.folder / "patients" / "P-2.toml"
    path.write_text(path.read_text() + "# seen on day 3\n")
    before = state(a)
    said = a("sync", expect=1).stderr
    assert state(a) == before
    for bad in ("checkout", "reset", "commit -a", "-am", "restore", "clean"):
        assert bad not in said, said
    assert "mesolog sync --keep-edits" in said
    checked = a("check", expect=None).stdout
    assert "checkout" not in checked and "-am" not in checked
    kept = a("sync", "--keep-edits")
    assert "pushed" in kept.stdout
    assert git(a.folder, "status", "--porcelain") == ""
    assert "changes made outside mesolog" in subjects(a)[0]
    b("sync")
    assert (b.folder / "patients" / "P-8.toml").is_file()
    assert b"# seen on day 3" in b.chart("P-2")


def test_an_overriding_attributes_line_here_is_named_by_check_and_sync_and_init_puts_it_right(
    laptops: tuple[Machine, Machine],
) -> None:
    a, _ = laptops
    attributes = a.folder / ".gitattributes"
    attributes.write_text(attributes.read_text() + "patients/*.toml merge=union\n")
    a("git", "commit", "-q", "-am", "attributes")
    checked = a("check", expect=None)
    assert "merge=union" in checked.stdout + checked.stderr
    before = state(a)
    said = a("sync", expect=1).stderr
    assert "merge=union" in said and "mesolog init --git" in said
    assert state(a) == before
    a("init", "--git")
    assert attributes.read_text().splitlines()[-1] == "patients/*.toml merge=mesolog"
    a("sync")
    assert (
        git(a.folder, "check-attr", "merge", "--", "patients/P-1.toml").strip().endswith("mesolog")
    )


def test_a_sync_killed_while_git_writes_the_pulled_charts_is_finished_by_the_next_command(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    """git is killed after writing one pulled chart of two into the work tree (its index and
    HEAD not yet moved): the next sync finishes the pull, nothing is called a hand edit."""
    a, b = laptops
    b("add", "P-1", *ADD, "--note", "from B")
    b("add", "P-2", *ADD, "--note", "from B")
    b("sync")
    folder = tmp_path / "half-bin"
    folder.mkdir()
    script = folder / "git"
    script.write_text(
        "#!/bin/sh\n"
        'case " $* " in *" merge --ff-only "*)\n'
        "  for target; do :; done\n"
        f'  {shutil.which("git")} -C "$2" show "$target:patients/P-1.toml" > "$2/patients/P-1.toml"\n'
        "  kill -9 $PPID; exit 1;;\n"
        "esac\n"
        f'exec {shutil.which("git")} "$@"\n'
    )
    script.chmod(0o755)
    killed = mesolog_process(
        "--data-dir",
        str(a.folder),
        "sync",
        env={"PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"},
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert b"from B" in a.chart("P-1") and b"from B" not in a.chart("P-2")
    a("sync")
    assert a.charts() == b.charts()
    assert not any("outside mesolog" in s for s in subjects(a))
    assert git(a.folder, "status", "--porcelain") == ""
    assert git(a.folder, "rev-parse", "HEAD") == git(tmp_path / "shared.git", "rev-parse", "HEAD")


def test_two_charts_whose_ids_differ_only_by_case_are_refused(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, _ = laptops
    evil = outsider(tmp_path)
    text = (evil / "patients" / "P-1.toml").read_text()
    (evil / "patients" / "p-1.toml").write_text(text.replace('id = "P-1"', 'id = "p-1"', 1))
    push(evil, "twin")
    refused(a, "p-1.toml", "P-1.toml")


def test_init_names_a_folder_attributes_file_it_cannot_override(
    laptops: tuple[Machine, Machine],
) -> None:
    a, _ = laptops
    (a.folder / "patients" / ".gitattributes").write_text("*.toml merge=union\n")
    said = a("init", "--git", expect=1).stderr
    assert "merge=union" in said and "overrides" in said


def test_a_session_block_copied_by_hand_into_another_chart_is_refused_not_taken_for_a_move(
    laptops: tuple[Machine, Machine],
) -> None:
    """The uid of a session copied by hand into another chart is in two files: a session
    belongs to one chart (docs/sharing.md), so the other laptop refuses it, naming both
    charts, and calls it neither a move nor a swap."""
    a, b = laptops
    one, two = a.chart("P-1").decode(), a.folder / "patients" / "P-2.toml"
    block = one[one.index("[[sessions]]") :]
    two.write_text(two.read_text() + "\n" + block.replace("id = 1", "id = 2", 1))
    a("sync", "--keep-edits")
    said = refused(b, "P-2", "P-1", "a session of the chart")
    assert "moved" not in said and "swapped" not in said


def test_once_the_remote_is_put_right_the_next_sync_takes_it(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    """The refusal's advice works: the deletion reverted where it was made, every laptop syncs."""
    a, b = laptops
    a("add", "P-1", *ADD, "--note", "here")
    evil = outsider(tmp_path)
    git(evil, "rm", "-q", "patients/P-1.toml")
    push(evil, "remove P-1")
    refused(a, "P-1")
    git(evil, "revert", "--no-edit", "HEAD")
    git(evil, "push", "-q", "origin", "HEAD:main")
    a("sync")
    b("sync")
    assert sorted(s["notes"] for s in b.sessions("P-1")) == ["P-1 first", "here"]


def test_a_merge_by_hand_is_never_offered_for_undoing_over_a_waiting_session(
    laptops: tuple[Machine, Machine],
) -> None:
    a, b = laptops
    b("amend", "P-1", "1", "--depth", "2", "--reason", "B")
    b("sync")
    a("amend", "P-1", "1", "--depth", "2.5", "--reason", "A")
    a("git", "fetch", "-q", "origin", expect=None)
    # git's own merge (mesolog refuses one by hand) stops: the field changed two ways.
    subprocess.run(["git", "-C", str(a.folder), "merge", "-q", "origin/main"], capture_output=True)
    assert (a.folder / ".git" / "MERGE_HEAD").exists()
    assert "merge --abort" in a("sync", expect=1).stderr
    # A change would be lost by undoing the merge: none is taken while it is under way, so
    # nothing ever waits to be recorded behind it and sync may offer the undo.
    chart = (a.folder / "patients" / "P-2.toml").read_bytes()
    refused = a("add", "P-2", *ADD, "--note", "during the merge", expect=1).stderr
    assert "a git merge is under way" in refused and "nothing was changed" in refused
    assert (a.folder / "patients" / "P-2.toml").read_bytes() == chart
    assert "merge --abort" in a("sync", expect=1).stderr


def test_a_remote_gitignore_cannot_turn_mesologs_locks_into_changes_to_commit(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, _ = laptops
    evil = outsider(tmp_path)
    (evil / ".gitignore").write_text("# nothing ignored\n")
    push(evil, "gitignore")
    a("sync")
    a("add", "P-1", *ADD, "--note", "after")
    assert any((a.folder / ".locks").iterdir())
    assert "pushed" in a("sync").stdout
    assert ".locks" not in git(a.folder, "ls-files")


def test_a_data_folder_that_is_a_git_worktree_records_and_recovers_its_changes(
    run: Run, tmp_path: Path
) -> None:
    """`.git` is a file there (it names the repository): announcements go to the repository."""
    (a,) = clinic_of(run, tmp_path, 1)
    worktree = tmp_path / "second-desk"
    git(a.folder, "worktree", "add", "-q", "-b", "desk", str(worktree))
    desk = Machine(run, worktree)
    desk("patient", "new", "P-7")
    killed = mesolog_process(
        "--data-dir", str(worktree), "add", "P-7", *ADD, env=killing_git(tmp_path, "commit")
    )
    assert killed.returncode == -signal.SIGKILL
    desk("add", "P-7", *ADD)
    assert git(worktree, "log", "--format=%s", "-3").splitlines() == [
        "P-7: session 2 added",
        "P-7: session 1 added",
        "P-7: patient created",
    ]
    assert git(worktree, "status", "--porcelain") == ""


@pytest.mark.parametrize("edit", ["broken", "deleted"])
def test_keep_edits_never_shares_a_broken_or_deleted_chart(
    laptops: tuple[Machine, Machine], edit: str
) -> None:
    a, _ = laptops
    path = a.folder / "patients" / "P-2.toml"
    if edit == "broken":
        path.write_text(path.read_text() + "[[sessions]\n")
    else:
        path.unlink()
    before = state(a)
    said = a("sync", "--keep-edits", expect=1).stderr
    assert state(a) == before
    assert "nothing was committed" in said and "P-2" in said


def test_a_patient_opened_on_two_laptops_keeps_the_earlier_opening_everywhere(
    laptops: tuple[Machine, Machine],
) -> None:
    """Both laptops open P-9 on their own, the earlier one syncs last: the merged chart keeps
    the earlier opening, and the laptop that pushed the later one takes it (not a replacement)."""
    from datetime import UTC, datetime

    from mesolog.model import Patient
    from mesolog.store import Clinic

    a, b = laptops
    Clinic(b.folder).new_patient(Patient(id="P-9", created=datetime(2026, 1, 1, 9, tzinfo=UTC)))
    a("patient", "new", "P-9")
    a("sync")
    b("sync")
    a("sync")
    assert a.chart("P-9") == b.chart("P-9")
    assert b"2026-01-01" in a.chart("P-9")
