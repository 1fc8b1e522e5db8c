"""Reading commands say a chart's problems beside what they show (docs/reading.md): the merge
conflicts a sync left open in the patient's details and courses, and the hand edits that make
writing commands refuse a chart. Real CLI, real charts, real git (a bare remote and two clones)
where a conflict has to be made by a merge; reading never changes a byte on disk."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Run, snapshot
from test_settle_named import conflicted
from test_sharing import Machine, clinic_of, private_git

SESSION = ["--area", "scalp", "--substance", "biotin:1ml:LOT B553", "--depth", "1.5"]
SESSION += ["--technique", "gun", "--anaesthetic", "none"]
COURSE = ["--course", "hair", "--indication", "hair loss", "--sessions", "6", "--interval", "14"]
COURSE += ["--start", "2026-11-01"]


def stderr_lines(result) -> list[str]:  # type: ignore[no-untyped-def]
    return result.stderr.splitlines()


def said_once(result, text: str) -> str:  # type: ignore[no-untyped-def]
    """The one stderr line that holds ``text`` (never said twice)."""
    found = [line for line in stderr_lines(result) if text in line]
    assert len(found) == 1, (text, result.stderr)
    return found[0]


# --- conflicts in the patient's details and courses, made by a real merge ----------------------


@pytest.fixture
def details_in_conflict(run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Machine:
    """Laptop B after a sync that merged P-1's phone, its course's planned sessions and its
    course's status changed two ways on two laptops (P-2 has no conflict)."""
    private_git(tmp_path, monkeypatch)
    a, b = clinic_of(run, tmp_path, 2)
    a("patient", "new", "P-1", "--name", "Ana", "--phone", "+34 600 000 001")
    a("course", "add", "P-1", "--name", "hair", "--sessions", "6", "--interval", "14")
    a("patient", "new", "P-2", "--name", "Bea")
    a("sync")
    b("sync")
    for machine, phone, planned, status in ((a, "2", "8", "completed"), (b, "3", "10", "stopped")):
        machine("patient", "edit", "P-1", "--phone", f"+34 600 000 00{phone}")
        machine("course", "edit", "P-1", "hair", "--sessions", planned)
        machine("course", "close", "P-1", "hair", "--status", status, "--reason", "plan")
    a("sync")
    b("sync", expect=1)
    return b


def test_report_and_patient_show_name_each_conflict_of_the_details_and_what_settles_it(
    details_in_conflict: Machine,
) -> None:
    b = details_in_conflict
    before = snapshot(b.folder)
    for args in (["report", "P-1"], ["patient", "show", "P-1"]):
        shown = b(*args)
        phone = said_once(shown, "merge conflict on patient.phone")
        assert phone.startswith("warning: the chart still has a merge conflict on patient.phone (")
        assert phone.endswith("`mesolog patient edit P-1 --phone VALUE` settles it")
        planned = said_once(shown, "merge conflict on courses.hair.planned_sessions")
        assert planned.endswith("`mesolog course edit P-1 hair --sessions VALUE` settles it")
        # No command sets a course's status two ways at once: the line says what to do.
        status = said_once(shown, "merge conflict on courses.hair.status")
        assert "no mesolog command settles it: correct courses.hair.status in " in status
        assert "delete its [[conflicts]] entry" in status
        assert "merge conflict" not in shown.stdout
    data = json.loads(b("report", "P-1", "--format", "json").stdout)  # stdout stays whole
    assert data["patient"]["id"] == "P-1"
    assert snapshot(b.folder) == before  # reading changed nothing, .git included

    # Settled by the command the line named: that line goes, the others stay.
    b("patient", "edit", "P-1", "--phone", "+34 600 000 009", "--reason", "asked her")
    shown = b("report", "P-1")
    assert "patient.phone" not in shown.stderr
    said_once(shown, "merge conflict on courses.hair.planned_sessions")


def test_the_overview_and_due_say_once_which_charts_hold_open_conflicts(
    details_in_conflict: Machine,
) -> None:
    b = details_in_conflict
    before = snapshot(b.folder)
    expected = (
        "warning: 1 chart holds merge conflicts still open (P-1): `mesolog check` lists them, "
        "with the command that settles each"
    )
    for args in (["report"], ["due", "--all"], ["patient", "list"]):
        shown = b(*args)
        assert said_once(shown, "merge conflicts still open") == expected, args
    overview = json.loads(b("report", "--format", "json").stdout)
    assert [row["patient"] for row in overview] == ["P-1", "P-2"]
    assert snapshot(b.folder) == before


def test_a_session_conflict_counts_in_the_overview(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    private_git(tmp_path, monkeypatch)
    a, _ = conflicted(run, tmp_path)
    shown = a("report")
    assert "1 chart holds merge conflicts still open (P-0042)" in said_once(shown, "still open")
    a("amend", "P-0042", "1", "--depth", "2", "--substance", "biotin:1ml", "--reason", "seen")
    assert "still open" not in a("report").stderr  # both settled: nothing more to say


# --- a chart edited by hand that `check` rejects -----------------------------------------------


@pytest.fixture
def two_patients(run: Run, data_dir: Path) -> Path:
    """P-1 (Ana, a course and two sessions) and P-2 (Bea); returns P-1's file."""
    run("patient", "new", "P-1", "--name", "Ana", *COURSE)
    run("add", "P-1", *SESSION, "--date", "2026-11-02")
    run("add", "P-1", *SESSION, "--date", "2026-11-03")
    run("patient", "new", "P-2", "--name", "Bea")
    run("report")  # the summary cache knows both, as they were before the hand edit
    return data_dir / "patients" / "P-1.toml"


def hand_edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


def test_a_chart_whose_id_inside_is_another_patients_is_listed_under_its_file(
    run: Run, two_patients: Path, data_dir: Path
) -> None:
    hand_edit(two_patients, 'id = "P-1"', 'id = "P-2"')
    before = snapshot(data_dir)
    sentence = (
        f"warning: {two_patients}: [patient] id 'P-2' does not match the file name, so every "
        "change to it is refused (`mesolog check` lists them, with how to put each right)"
    )
    overview = run("report")
    assert [line.split()[1] for line in overview.stdout.splitlines() if "│ P-" in line] == [
        "P-1",
        "P-2",
    ]
    rows = json.loads(run("report", "--format", "json").stdout)
    assert [(r["patient"], r["name"]) for r in rows] == [("P-1", "Ana"), ("P-2", "Bea")]
    found = json.loads(run("lot", "B553", "--format", "json").stdout)
    assert {row["patient"] for row in found} == {"P-1"}
    for args in (["report"], ["patient", "list"], ["due", "--all"], ["lot", "B553"]):
        assert said_once(run(*args), "does not match the file name") == sentence, args
    # One chart still reads whole: the practitioner sees it as written, and is told.
    for args in (["report", "P-1"], ["patient", "show", "P-1"]):
        shown = run(*args)
        assert "Ana" in shown.stdout
        assert said_once(shown, "does not match the file name") == sentence
    assert "2026-11-03" in run("report", "P-1").stdout
    json.loads(run("report", "P-1", "--format", "json").stdout)
    assert snapshot(data_dir) == before
    run("amend", "P-1", "1", "--depth", "2", "--reason", "x", expect=1)  # still refused

    hand_edit(two_patients, 'id = "P-2"', 'id = "P-1"')  # put right: nothing more to say
    assert "match the file name" not in run("report").stderr + run("report", "P-1").stderr


def test_two_sessions_with_one_number_are_said_and_both_still_shown(
    run: Run, two_patients: Path, data_dir: Path
) -> None:
    hand_edit(two_patients, "id = 2\n", "id = 1\n")
    before = snapshot(data_dir)
    expected = "2 sessions are numbered 1, so amend and void refuse that number"
    for args in (["report"], ["due", "--all"], ["report", "P-1"], ["patient", "show", "P-1"]):
        line = said_once(run(*args), expected)
        assert line.startswith(f"warning: {two_patients}: ") and "`mesolog check`" in line
    shown = run("report", "P-1").stdout
    assert "2026-11-02" in shown and "2026-11-03" in shown
    assert snapshot(data_dir) == before


def test_a_second_name_of_a_chart_is_said_when_read_by_it(
    run: Run, two_patients: Path, data_dir: Path
) -> None:
    link = data_dir / "patients" / "P-3.toml"
    link.symlink_to("P-2.toml")
    before = snapshot(data_dir)
    for args in (["report", "P-3"], ["patient", "show", "P-3"]):
        shown = run(*args)
        assert "Bea" in shown.stdout
        line = said_once(shown, "a link to P-2.toml")
        assert line == f"warning: {link} is a link to P-2.toml: a second name for one chart, " + (
            "listed once, as P-2; mesolog never writes through it"
        )
        assert "does not match" not in shown.stderr  # P-2's own file is in order
    assert snapshot(data_dir) == before


# --- every line fits an 80-column terminal ------------------------------------------------------


@pytest.fixture
def short_folder(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A data folder with a short path: the terminal test measures the sentences, and a test's
    own temporary path alone is longer than some lines."""
    folder = Path(tempfile.mkdtemp(prefix="ml", dir="/tmp"))
    monkeypatch.setenv("MESOLOG_DATA_DIR", str(folder))
    yield folder
    shutil.rmtree(folder)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux not installed")
def test_the_lines_fit_an_80_column_terminal(run: Run, short_folder: Path, tmux) -> None:  # type: ignore[no-untyped-def]
    run("patient", "new", "P-1", "--name", "Ana", *COURSE)
    run("add", "P-1", *SESSION, "--date", "2026-11-02")
    run("add", "P-1", *SESSION, "--date", "2026-11-03")
    path = short_folder / "patients" / "P-1.toml"
    hand_edit(path, 'id = "P-1"', 'id = "P-2"')
    hand_edit(path, "id = 2\n", "id = 1\n")
    for args in (["report", "P-1"], ["report"]):
        piped = said_once(run(*args), "does not match")
        assert len(piped) > 80
        said = on_a_terminal(tmux, short_folder, args, piped)
        assert len(said) > 1 and all(len(line) <= 80 for line in said)
        words, sentence = " ".join(said).split(), piped.split()
        starts = [i for i, word in enumerate(words) if word == sentence[0]]
        # The sentence, every word whole and in order (none cut in two by the terminal).
        assert any(words[i : i + len(sentence)] == sentence for i in starts)


def on_a_terminal(tmux, folder: Path, args: list[str], piped: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The lines stderr shows on an 80-column terminal for ``args`` (stdout thrown away), once
    the end of ``piped`` (the same sentence, piped) is on the screen."""
    done = folder.parent / f"{folder.name}-done"
    env = " ".join(
        f"{name}={shlex.quote(os.environ[name])}"
        for name in ("MESOLOG_DATA_DIR", "MESOLOG_CONFIG", "MESOLOG_CACHE_DIR")
    )
    command = (
        f"{env} {shlex.quote(sys.executable)} -m mesolog {shlex.join(args)} >/dev/null; "
        f"echo EXIT=$? > {shlex.quote(str(done))}; exec sleep 3600"
    )
    window = tmux(command, width=80)
    end = piped[-12:]  # the sentence's end, however the terminal broke its lines
    screen = window.wait(lambda s: end in " ".join(x.strip() for x in s.splitlines()), "the end")
    done.unlink(missing_ok=True)
    return [line.rstrip() for line in screen.splitlines() if line.strip()]
