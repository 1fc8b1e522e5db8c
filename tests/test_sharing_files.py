"""What a remote may bring besides the charts' sessions (docs/sharing.md): the patients folder
holds only charts, no .gitattributes line but mesolog's own, no .gitignore that hides a chart or
a photo, no chart writing commands would refuse (a value `check` calls wrong is taken), no
session in two charts, no second id that differs only in case, the clinic's identity unchanged
(a secret added to it is taken); and a chart nested thousands of levels deep is one rejected
chart, never a crash.

Real git: a bare remote, two mesolog laptops, and a plain `git clone` as a hostile machine.
Every refusal leaves HEAD, the branch, the work tree's bytes and modes as they were.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Run, mesolog_process
from test_sharing import ADD, Machine, git
from test_sharing import git_identity as git_identity  # autouse: a private git config per test
from test_sharing_hostile import laptops as laptops
from test_sharing_hostile import outsider, push, refused, state
from test_sharing_hostile import shared_clinic as shared_clinic

DEEP = 10_000


def deep_chart(patient_id: str, tables: bool = False) -> str:
    """A chart whose ``x`` nests DEEP arrays (or inline tables) inside each other."""
    nested = "{a=" * DEEP + "1" + "}" * DEEP if tables else "[" * DEEP + "]" * DEEP
    return (
        f'schema = 2\n[patient]\nid = "{patient_id}"\ncreated = 2026-11-01T10:00:00Z\n'
        f"x = {nested}\n"
    )


# --- a chart nested too deep ---------------------------------------------------------------------


@pytest.mark.parametrize("tables", [False, True], ids=["arrays", "inline-tables"])
def test_a_deeply_nested_chart_is_one_rejected_chart_and_every_other_is_read(
    run: Run, data_dir: Path, tables: bool
) -> None:
    """In its own process: the compiled parser used to die on it (a segfault, exit 139)."""
    run("patient", "new", "P-1", "--name", "Ana Ruiz")
    run("add", "P-1", *ADD)
    (data_dir / "patients" / "P-2.toml").write_text(deep_chart("P-2", tables))
    before = {p.name: p.read_bytes() for p in (data_dir / "patients").iterdir()}
    for command in (["check"], ["due"], ["lot", "D2411"], ["export", "--format", "csv"]):
        done = mesolog_process("--data-dir", str(data_dir), *command)
        said = done.stdout + done.stderr
        assert done.returncode == 1, (command, done.returncode, said[-500:])
        assert "P-2.toml:5" in said and "nested too deep" in said, said[-500:]
        assert "Traceback" not in said
        if command[0] in ("lot", "export"):
            assert "P-1" in done.stdout, (command, done.stdout)
    listed = mesolog_process("--data-dir", str(data_dir), "patient", "list", "--format", "csv")
    assert listed.returncode == 1 and "Ana Ruiz" in listed.stdout, listed.stderr
    one = mesolog_process("--data-dir", str(data_dir), "report", "P-2")
    assert one.returncode == 1 and "nested too deep" in one.stderr
    assert {p.name: p.read_bytes() for p in (data_dir / "patients").iterdir()} == before


def test_a_deeply_nested_chart_from_the_remote_is_refused_in_one_sentence(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, _ = laptops
    evil = outsider(tmp_path)
    (evil / "patients" / "P-3.toml").write_text(deep_chart("P-3"))
    push(evil, "deep")
    said = refused(a, "patients/P-3.toml", "nested too deep")
    assert "internal error" not in said


# --- .gitattributes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "line"),
    [
        (".gitattributes", "patients/*.toml working-tree-encoding=UTF-16"),
        (".gitattributes", "* text eol=crlf"),
        (".gitattributes", "patients/*.toml ident"),
        (".gitattributes", "photos/** filter=evil"),
        ("photos/.gitattributes", "*.jpg -text"),
        ("patients/.gitattributes", "*.toml filter=clean"),
    ],
)
def test_an_attribute_that_changes_how_charts_are_written_is_refused(
    laptops: tuple[Machine, Machine], tmp_path: Path, where: str, line: str
) -> None:
    a, _ = laptops
    evil = outsider(tmp_path)
    target = evil / where
    target.parent.mkdir(exist_ok=True)
    old = target.read_text() if target.exists() else ""
    target.write_text(old + line + "\n")
    git(evil, "add", where)
    git(evil, "commit", "-q", "-m", "attributes")
    git(evil, "push", "-q", "origin", "HEAD:main")
    said = refused(a, where, line)
    assert "only the lines mesolog writes itself" in said


def test_the_attribute_lines_mesolog_writes_itself_are_taken(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, _ = laptops
    evil = outsider(tmp_path)
    attributes = evil / ".gitattributes"
    own = "patients/*.toml merge=mesolog\nphotos/** filter=lfs diff=lfs merge=lfs -text\n"
    attributes.write_text(attributes.read_text() + "# ours\n\n" + own)
    push(evil, "attributes again")
    a("sync")


# --- .gitignore --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "line", "named"),
    [
        (".gitignore", "patients/", "a new chart"),
        (".gitignore", "photos/", "a new photo"),
        ("patients/.gitignore", "*.toml", "a new chart"),
        ("photos/.gitignore", "*.jpg", "a new photo"),
    ],
)
def test_an_ignore_rule_that_hides_charts_or_photos_is_refused(
    laptops: tuple[Machine, Machine], tmp_path: Path, where: str, line: str, named: str
) -> None:
    a, _ = laptops
    evil = outsider(tmp_path)
    target = evil / where
    target.parent.mkdir(exist_ok=True)
    target.write_text((target.read_text() if target.exists() else "") + line + "\n")
    push(evil, "ignore")
    said = refused(a, ".gitignore", named)
    assert "never ignored" in said


def test_an_ignore_rule_for_other_files_is_taken(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, _ = laptops
    evil = outsider(tmp_path)
    (evil / ".gitignore").write_text((evil / ".gitignore").read_text() + ".DS_Store\n")
    push(evil, "ignore")
    a("sync")


def test_a_new_chart_is_shared_even_when_a_gitignore_here_names_it(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, b = laptops
    exclude = a.folder / ".git" / "info" / "exclude"  # this clone's own ignore rules
    exclude.write_text(exclude.read_text() + "patients/\n")
    a("patient", "new", "P-3", "--name", "Cy Lee")
    a("add", "P-3", *ADD)
    a("sync")
    shared = git(tmp_path / "shared.git", "ls-tree", "-r", "--name-only", "main")
    assert "patients/P-3.toml" in shared.split()
    b("sync")
    assert len(b.sessions("P-3")) == 1


def test_check_names_a_chart_that_an_ignore_rule_keeps_out_of_history(
    laptops: tuple[Machine, Machine],
) -> None:
    a, _ = laptops
    exclude = a.folder / ".git" / "info" / "exclude"
    exclude.write_text(exclude.read_text() + "patients/\n")  # the whole folder, as in a .gitignore
    a("patient", "new", "P-9", "--name", "Ida Moll")  # committed all the same
    (a.folder / "patients" / "P-7.toml").write_bytes(a.chart("P-9").replace(b"P-9", b"P-7"))
    said = a("check", expect=1).stdout
    assert "P-7.toml" in said and "not in the history" in said, said
    assert "P-9.toml" not in said and "P-1.toml" not in said
    # The commands the sentence gives.
    a("git", "add", "-f", "--", "patients/P-7.toml")
    a("git", "commit", "-q", "-m", "P-7 kept", "--", "patients/P-7.toml")
    assert "not in the history" not in a("check", expect=None).stdout


# --- the patients folder, and the charts in it -----------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["P-5.toml/readme", "sub/x.toml", "..x.toml", "P-1.TOML", "notes.txt"],
)
def test_only_charts_with_a_valid_id_are_taken_in_the_patients_folder(
    laptops: tuple[Machine, Machine], tmp_path: Path, name: str
) -> None:
    a, _ = laptops
    evil = outsider(tmp_path)
    target = evil / "patients" / name
    target.parent.mkdir(exist_ok=True)
    stem = Path(name).name.split(".toml")[0]
    target.write_text((evil / "patients" / "P-1.toml").read_text().replace("P-1", stem))
    push(evil, "junk")
    said = refused(a, f"patients/{name}", "holds only charts")
    assert "nothing was pushed" in said


def test_a_copy_of_a_chart_under_another_id_is_refused(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, _ = laptops
    evil = outsider(tmp_path)
    text = (evil / "patients" / "P-1.toml").read_text()
    (evil / "patients" / "P-8.toml").write_text(text.replace('id = "P-1"', 'id = "P-8"', 1))
    push(evil, "copy")
    said = refused(a, "P-8", "P-1")
    assert "a session of the chart" in said
    assert "P-8" not in a("lot", "D2411").stdout


def test_a_chart_with_two_sessions_numbered_alike_is_refused(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    from mesolog.model.identity import new_uid

    a, _ = laptops
    evil = outsider(tmp_path)
    chart = evil / "patients" / "P-1.toml"
    text = chart.read_text()
    session = text[text.index("[[sessions]]") :]
    uid = session.split('uid = "')[1].split('"')[0]
    chart.write_text(text + "\n" + session.replace(uid, new_uid()))
    push(evil, "twice")
    said = refused(a, "patients/P-1.toml", "2 sessions are numbered 1")
    assert "every writing command would refuse" in said


def test_a_value_check_calls_wrong_is_taken_and_named_by_check_here(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    """Only what misplaces a chart or makes it unusable is refused: a value `check` calls wrong
    (a line break in a name) is taken, and this laptop's `check` names it as for its own
    chart; the chart still takes new sessions from both laptops."""
    a, b = laptops
    evil = outsider(tmp_path)
    chart = evil / "patients" / "P-2.toml"
    chart.write_text(chart.read_text().replace('name = "Bea Soto"', 'name = "Bea\\nSoto"', 1))
    push(evil, "name")
    a("sync")
    assert "line break" in a("check", expect=1).stdout
    b("sync")
    b("add", "P-2", *ADD, "--note", "from B")
    b("sync")
    a("sync")
    assert [s["notes"] for s in a.sessions("P-2")][-1] == "from B"


def test_a_field_by_field_merge_mesolog_made_syncs_on_every_laptop(
    laptops: tuple[Machine, Machine],
) -> None:
    """One laptop changes session 1's areas, the other adds a zone of the old area: the merge
    keeps both (its zone's area no longer among its areas, which `check` names) and every
    laptop takes it, the one that did not merge included."""
    a, b = laptops
    a("amend", "P-1", "1", "--area", "face", "--reason", "face, not scalp")
    b("amend", "P-1", "1", "--zone", "scalp/vertex", "--reason", "vertex")
    a("sync")
    b("sync")
    a("sync")
    b("sync")
    assert a.chart("P-1") == b.chart("P-1")
    (session,) = a.sessions("P-1")
    assert session["areas"] == ["face"] and "vertex" in str(session["zones"])
    for machine in (a, b):
        machine("lot", "D2411")


def test_a_session_made_on_a_laptop_whose_clock_runs_ahead_syncs_everywhere(
    laptops: tuple[Machine, Machine],
) -> None:
    """A session dated today on a laptop three days ahead is "in the future" here: taken, as
    for a chart made here (`check` names it), never a sync blocked until the date comes."""
    if shutil.which("faketime") is None:
        pytest.skip("faketime is not installed")
    a, b = laptops
    args = [*ADD, "--note", "ahead"]
    args[args.index("--date") + 1] = "today"
    for command in (["add", "P-1", *args], ["sync"]):
        done = subprocess.run(
            [
                "faketime",
                "-f",
                "+3d",
                sys.executable,
                "-m",
                "mesolog",
                "--data-dir",
                str(b.folder),
                *command,
            ],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
    a("sync")
    assert [s["notes"] for s in a.sessions("P-1")][-1] == "ahead"
    a("add", "P-1", *ADD, "--note", "here")
    a("sync")
    b("sync")
    assert a.chart("P-1") == b.chart("P-1")


# --- ids that differ only in case ----------------------------------------------------------------


def test_two_ids_that_differ_only_in_case_are_refused_with_a_way_out_that_works(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, b = laptops
    a("patient", "new", "P-3", "--name", "Xu Li")
    b("patient", "new", "p-3", "--name", "Xu Wei")
    b("add", "p-3", *ADD, "--note", "Wei's")
    a("sync")
    said = refused(b, "P-3", "p-3", "(`mesolog patient rename p-3 NEW-ID`), then `mesolog sync`.")
    assert "nothing was pushed" in said
    assert "patients/p-3.toml" not in git(tmp_path / "shared.git", "ls-tree", "-r", "main")
    # The way out the sentence gives.
    b("patient", "rename", "p-3", "P-30")
    b("sync")
    a("sync")
    for machine in (a, b):
        assert sorted(machine.charts()) == ["P-1.toml", "P-2.toml", "P-3.toml", "P-30.toml"]
        assert [s["notes"] for s in machine.sessions("P-30")] == ["Wei's"]
        assert machine.sessions("P-3") == []
        assert "Xu Wei" in machine("patient", "show", "P-30").stdout
        machine("check")


def test_a_remote_that_brings_a_case_twin_of_a_chart_here_is_refused(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, _ = laptops
    evil = outsider(tmp_path)
    text = (evil / "patients" / "P-1.toml").read_text()
    (evil / "patients" / "p-1.toml").write_text(text.replace('id = "P-1"', 'id = "p-1"', 1))
    push(evil, "twin")
    refused(a, "p-1", "P-1", "case")


# --- the clinic's identity ----------------------------------------------------------------------------


def _identity(machine: Machine) -> str:
    return (machine.folder / "clinic.toml").read_text()


@pytest.mark.parametrize("change", ["id", "secret", "removed", "secret removed"])
def test_a_remote_change_to_the_clinic_identity_is_refused(
    laptops: tuple[Machine, Machine], tmp_path: Path, change: str
) -> None:
    a, _ = laptops
    a("export", "--format", "fhir")
    a("sync")
    evil = outsider(tmp_path)
    identity = evil / "clinic.toml"
    if change == "removed":
        git(evil, "rm", "-q", "clinic.toml")
    elif change == "secret removed":
        lines = identity.read_text().splitlines()
        identity.write_text("\n".join(x for x in lines if not x.startswith("secret =")) + "\n")
    else:
        lines = identity.read_text().splitlines()
        new = '"00000000-0000-4000-8000-000000000000"' if change == "id" else '"' + "0" * 64 + '"'
        identity.write_text(
            "\n".join(f"{change} = {new}" if x.startswith(f"{change} =") else x for x in lines)
        )
    push(evil, "identity")
    said = refused(a, "clinic.toml", "identity")
    assert ("removed" if change == "removed" else "changed") in said


def _identity_without_secret(machine: Machine, tmp_path: Path) -> None:
    """A clinic.toml with only an id (a folder made before secrets, or restored from a JSON
    export), shared by every laptop."""
    evil = outsider(tmp_path)
    (evil / "clinic.toml").write_text('id = "5b0d6f0e-3c2a-4b1e-9a57-2f4de1c0a9b3"\n')
    push(evil, "identity without a secret")
    machine("sync")


def test_the_secret_mesolog_adds_to_the_clinic_identity_syncs_to_every_laptop(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, b = laptops
    _identity_without_secret(a, tmp_path)
    b("sync")
    a("export", "--format", "fhir")  # adds the secret, commits it
    assert "secret =" in _identity(a)
    a("sync")
    b("sync")
    assert _identity(b) == _identity(a)
    b("add", "P-1", *ADD, "--note", "after the secret")
    b("sync")
    a("sync")
    assert _identity(a) == _identity(b)


def test_two_secrets_added_apart_are_refused_with_a_way_out_that_works(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, b = laptops
    _identity_without_secret(a, tmp_path)
    b("sync")
    a("export", "--format", "fhir")
    b("export", "--format", "fhir")
    a("sync")
    before = state(b)
    said = b("sync", expect=1).stderr
    assert state(b) == before
    assert "each added a secret" in said and "mesolog git checkout origin/main" in said, said
    b("git", "checkout", "origin/main", "--", "clinic.toml")
    b("git", "commit", "-q", "-m", "clinic identity of origin kept", "--", "clinic.toml")
    b("sync")
    assert _identity(b) == _identity(a)
    a("sync")
    assert _identity(a) == _identity(b)


def test_a_comment_changed_in_the_clinic_identity_is_taken(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, _ = laptops
    a("export", "--format", "fhir")
    a("sync")
    evil = outsider(tmp_path)
    identity = evil / "clinic.toml"
    identity.write_text("# kept safe\n" + identity.read_text())
    push(evil, "comment")
    a("sync")


def test_two_identities_made_apart_are_refused_with_a_way_out_that_works(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, b = laptops
    a("export", "--format", "fhir")
    b("export", "--format", "fhir")
    a("sync")
    before = state(b)
    said = b("sync", expect=1).stderr
    assert state(b) == before
    assert "mesolog git rm -q clinic.toml" in said and "each made a clinic identity" in said
    assert "cannot merge" not in said
    b("git", "rm", "-q", "clinic.toml")
    b("git", "commit", "-q", "-m", "clinic identity of origin kept")
    b("sync")
    assert _identity(b) == _identity(a)
    a("sync")
    assert _identity(a) == _identity(b)
