"""A foreign file is hostile input (docs/import.md): it never starts a second chart for a
patient the clinic holds, never puts one patient's sessions in another's chart, and never drops
what it holds without a word. Each refusal leaves every file of the data folder as it was."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from conftest import snapshot

HEADER = (
    "patient,name,birth_year,date,areas,substance,amount,unit,lot,depth_mm,technique,anaesthetic"
)


def csv_file(folder: Path, text: str, name: str = "visits.csv") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def chart(data_dir: Path, pid: str) -> dict:  # type: ignore[type-arg]
    return tomllib.loads((data_dir / "patients" / f"{pid}.toml").read_text())


# --- cells past the header ----------------------------------------------------------------------


def test_a_semicolon_in_an_unquoted_note_rejects_the_row(
    run, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    run("patient", "new", "P-1")
    path = csv_file(
        tmp_path,
        "patient;date;areas;substance;amount;unit;lot;depth_mm;technique;anaesthetic;notes\n"
        "P-1;2026-11-05;scalp;biotin;1;ml;B8;1,5;gun;none;reacted to lidocaine; avoid next time\n"
        "P-1;2026-11-19;scalp;biotin;1;ml;B8;1,5;gun;none;fine\n",
    )
    before = snapshot(data_dir)
    refused = run("import", str(path), "--apply", expect=1)
    assert "1 rejected" in refused.stdout
    said = " ".join(refused.stdout.split())
    assert "row 2: it has 12 cells but the header names 11 columns" in said
    assert "'avoid next time'" in said and "holds ';'" in said and "needs quotes" in said
    assert snapshot(data_dir) == before
    # The other row imports with --skip-rejected; the cut note is never stored.
    run("import", str(path), "--apply", "--skip-rejected")
    [session] = chart(data_dir, "P-1")["sessions"]
    assert session["notes"] == "fine"


def test_a_trailing_extra_cell_rejects_the_row_but_an_empty_one_does_not(
    run, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    run("patient", "new", "P-1")
    path = csv_file(
        tmp_path,
        f"{HEADER}\n"
        "P-1,,,2026-11-05,scalp,biotin,1,ml,B8,1.5,gun,none,call back\n"
        "P-1,,,2026-11-19,scalp,biotin,1,ml,B8,1.5,gun,none,\n",
    )
    before = snapshot(data_dir)
    refused = run("import", str(path), "--apply", expect=1)
    said = " ".join(refused.stdout.split())
    assert (
        "row 2: it has 13 cells but the header names 12 columns" in said and "'call back'" in said
    )
    assert "row 3" not in said
    assert snapshot(data_dir) == before


def test_a_workbook_cell_under_no_header_rejects_its_row(
    run, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import Workbook

    run("patient", "new", "P-1")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER.split(","))
    sheet.append(
        [
            "P-1",
            None,
            None,
            "2026-11-05",
            "scalp",
            "biotin",
            1,
            "ml",
            "B8",
            1.5,
            "gun",
            "none",
            "call back",
        ]
    )
    sheet.append(
        ["P-1", None, None, "2026-11-19", "scalp", "biotin", 1, "ml", "B8", 1.5, "gun", "none"]
    )
    path = tmp_path / "visits.xlsx"
    book.save(path)
    before = snapshot(data_dir)
    refused = run("import", str(path), "--apply", expect=1)
    said = " ".join(refused.stdout.split())
    assert (
        "row 2: it has 13 cells but the header names 12 columns (past the last: 'call back')"
        in said
    )
    assert "name the column in the header row, or clear the cell" in said and "row 3" not in said
    assert snapshot(data_dir) == before


# --- a second chart for a patient the clinic holds ---------------------------------------------


def _ana(run) -> None:  # type: ignore[no-untyped-def]
    run("config", "set", "anaesthetic", "none")
    run("patient", "new", "P-42", "--name", "Ana Ruiz", "--birth-year", "1986")


def test_a_zero_padded_id_of_an_existing_patient_is_refused_with_did_you_mean(
    run, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _ana(run)
    # The file names nobody: only the id tells, and P-0042 is P-42 written with zeros.
    path = csv_file(tmp_path, f"{HEADER}\nP-0042,,,2026-11-20,scalp,biotin,1,ml,B,1.5,gun,none\n")
    before = snapshot(data_dir)
    refused = run("import", str(path), "--apply", expect=1)
    said = " ".join(refused.stdout.split())
    assert "did you mean P-42?" in said and "--new-patient P-0042" in said
    assert snapshot(data_dir) == before
    assert not (data_dir / "patients" / "P-0042.toml").exists()
    # The practitioner says it is another patient: the chart starts.
    run("import", str(path), "--apply", "--new-patient", "P-0042")
    assert chart(data_dir, "P-0042")["sessions"]


def test_an_other_id_with_the_same_name_and_birth_year_is_refused(
    run, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _ana(run)
    path = csv_file(
        tmp_path,
        f"{HEADER}\n"
        "ANA-RUIZ,ANA RUÍZ,1986,2026-11-20,scalp,biotin,1,ml,B,1.5,gun,none\n"
        "P-0042,Ana Ruiz,1986,2026-11-21,scalp,biotin,1,ml,B,1.5,gun,none\n"
        "P-7,Ana Ruiz,1990,2026-11-22,scalp,biotin,1,ml,B,1.5,gun,none\n",
    )
    before = snapshot(data_dir)
    refused = run("import", str(path), "--apply", expect=1)
    said = " ".join(refused.stdout.split())
    assert "row 2, patient: no patient 'ANA-RUIZ' in the clinic, but P-42 has the same name" in said
    assert "row 3, patient: no patient 'P-0042'" in said and said.count("did you mean P-42?") == 2
    assert "row 4" not in said  # born 1990: another Ana Ruiz
    assert "--new-patient ANA-RUIZ,P-0042" in said
    assert snapshot(data_dir) == before
    run("import", str(path), "--apply", "--skip-rejected")
    assert sorted(p.stem for p in (data_dir / "patients").glob("*.toml")) == ["P-42", "P-7"]


# --- a restored export into charts the clinic holds ------------------------------------------


def _two_copies(run, data_dir: Path, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    """P-1 in this clinic with one session, copied to a second folder; the second folder's
    export after it changed the copy (returned: its path)."""
    run("config", "set", "practitioner", "Dr A")
    run("patient", "new", "P-1", "--name", "Ana Ruiz", "--phone", "111")
    run(
        "add", "P-1", "--area", "scalp", "--substance", "minoxidil 0.5%:2ml:LOT M1", "--depth",
        "1.5", "--technique", "gun", "--anaesthetic", "none", "--date", "2026-11-02", "--no-input",
    )  # fmt: skip
    one = tmp_path / "one.json"
    one.write_text(run("export", "--format", "json").stdout)
    two = tmp_path / "two"
    two.mkdir()
    on_two = ("--data-dir", str(two))
    run(*on_two, "import", str(one), "--apply")
    run(*on_two, "amend", "P-1", "1", "--depth", "3", "--add-complication",
        "bruising:mild:onset=2026-11-03", "--reason", "told by phone")  # fmt: skip
    run(*on_two, "patient", "edit", "P-1", "--phone", "222", "--reason", "new phone")
    run(*on_two, "course", "add", "P-1", "--sessions", "6", "--interval", "14", "--name", "c2",
        "--start", "2026-11-02")  # fmt: skip
    run(
        *on_two, "add", "P-1", "--like-last", "--date", "2026-11-20", "--course", "c2", "--no-input"
    )
    copy = tmp_path / "two.json"
    copy.write_text(run(*on_two, "export", "--format", "json").stdout)
    return copy


def test_what_a_copy_holds_otherwise_is_said_never_dropped_without_a_word(
    run, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    copy = _two_copies(run, data_dir, tmp_path)
    before = snapshot(data_dir)
    report = run("import", str(copy), expect=1)  # a session rejected (below)
    said = " ".join(report.stdout.split())
    assert "Left out, the file differing from the chart:" in said
    assert "P-1 session 1 differs from the chart in depth_mm, complications, amendments" in said
    assert "mesolog amend P-1 1" in said
    assert "P-1's details differ from the chart in phone" in said
    assert "P-1's course 'c2' is not in the chart" in said and "mesolog course add P-1" in said
    # A new session of that course is rejected: the chart would name a course it lacks.
    assert "P-1 session 2 belongs to course 'c2', which the chart does not have" in said
    run("import", str(copy), "--apply", expect=1)
    assert snapshot(data_dir) == before
    run("import", str(copy), "--apply", "--skip-rejected")
    # Nothing merged in: the chart is as it was (the report said what to do).
    assert snapshot(data_dir) == before
    [session] = chart(data_dir, "P-1")["sessions"]
    assert session["depth_mm"] == 1.5 and "complications" not in session


def test_a_copy_of_a_chart_imported_back_says_nothing_differs(
    run, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _two_copies(run, data_dir, tmp_path)
    run("export", "--format", "fhir")  # the clinic's keys: the export carries the patient's uid
    copy = tmp_path / "copy.json"
    copy.write_text(run("export", "--format", "json").stdout)
    report = run("import", str(copy)).stdout
    assert "Already in the charts (left out): 1 session." in report and "differ" not in report


@pytest.mark.parametrize("keys", [False, True], ids=["session uids", "patient uid"])
def test_a_copy_of_one_patient_under_another_id_is_rejected_naming_the_chart(
    run, data_dir: Path, tmp_path: Path, keys: bool
) -> None:  # type: ignore[no-untyped-def]
    _two_copies(run, data_dir, tmp_path)
    if keys:  # the JSON export then carries the patient's uid, made with the clinic's secret
        run("export", "--format", "fhir")
    exported = json.loads(run("export", "--format", "json").stdout)
    exported["charts"][0]["patient"]["id"] = "P-9"
    renamed = tmp_path / "p9.json"
    renamed.write_text(json.dumps(exported))
    before = snapshot(data_dir)
    refused = run("import", str(renamed), "--apply", "--skip-rejected")
    said = " ".join(refused.stdout.split())
    assert "1 rejected" in said and "did you mean P-1?" in said  # one keystroke, the same name
    assert snapshot(data_dir) == before
    # Said to be a new patient, the copy's sessions are still P-1's: rejected, naming P-1.
    refused = run("import", str(renamed), "--apply", "--skip-rejected", "--new-patient", "P-9")
    said = " ".join(refused.stdout.split())
    assert "1 rejected" in said
    if keys:
        assert "patient P-9 of the file has the uid of P-1's chart in this clinic" in said
    else:
        assert "P-9 session 1 is P-1's session 1 in this clinic" in said
    assert snapshot(data_dir) == before
    assert not (data_dir / "patients" / "P-9.toml").exists()


# --- one chart that cannot be read ---------------------------------------------------------------


def test_a_corrupt_chart_rejects_its_own_rows_and_the_others_import(
    run, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    run("patient", "new", "P-1", "--name", "Ana Ruiz")
    run("patient", "new", "P-3", "--name", "Lena Berg")
    broken = data_dir / "patients" / "P-3.toml"
    broken.write_text(broken.read_text() + "\n[[sessions]\nid = \n")
    path = csv_file(
        tmp_path,
        f"{HEADER}\n"
        "P-1,Ana Ruiz,,2026-11-20,scalp,biotin,1,ml,B,1.5,gun,none\n"
        "P-3,Lena Berg,,2026-11-20,scalp,biotin,1,ml,B,1.5,gun,none\n",
    )
    before = snapshot(data_dir)
    refused = run("import", str(path), "--apply", expect=1)
    said = " ".join(refused.stdout.split())
    assert "row 3, patient: the chart of P-3 cannot be read" in said and "row 2" not in said
    assert snapshot(data_dir) == before
    done = run("import", str(path), "--apply", "--skip-rejected")
    assert "Imported 1 session into 1 chart" in " ".join(done.stdout.split())
    assert len(chart(data_dir, "P-1")["sessions"]) == 1
    assert before["patients/P-3.toml"] == snapshot(data_dir)["patients/P-3.toml"]


# --- two imports of one file at once -----------------------------------------------------------


def test_two_imports_of_one_file_at_once_say_what_each_wrote(
    run, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    import fcntl
    import os
    import subprocess
    import sys
    import time

    from conftest import WAIT_S

    run("init", "--git")  # each import announces the charts it is about to write
    run("patient", "new", "P-1", "--name", "Ana Ruiz")
    rows = [
        f"P-1,Ana Ruiz,,2026-10-{day:02d},scalp,biotin,1,ml,B,1.5,gun,none" for day in range(1, 5)
    ]
    path = csv_file(tmp_path, "\n".join([HEADER, *rows]) + "\n")
    # P-1's lock is held here while both imports plan, so that both planned before either wrote.
    (data_dir / ".locks").mkdir(exist_ok=True)
    held = os.open(data_dir / ".locks" / "p-1.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(held, fcntl.LOCK_EX)
    env = {**os.environ, "MESOLOG_LOCK_TIMEOUT": str(WAIT_S)}
    imports = [
        subprocess.Popen(
            [sys.executable, "-m", "mesolog", "import", str(path), "--apply"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    # Each import announces P-1 (a line in its file of the git folder) just before its lock.
    writing = data_dir / ".git" / "mesolog-writing"
    deadline = time.monotonic() + WAIT_S
    while sum("P-1.toml" in f.read_text() for f in writing.glob("*.json")) < 2:
        assert time.monotonic() < deadline, "the imports never came to write"
        time.sleep(0.05)  # how often to look, not how long to wait
    os.close(held)
    said = [" ".join(p.communicate(timeout=WAIT_S)[0].split()) for p in imports]
    assert [p.returncode for p in imports] == [0, 0], said
    assert sorted("Imported 4 sessions into 1 chart" in s for s in said) == [False, True], said
    [second] = [s for s in said if "Imported 4" not in s]
    assert "Imported 0 sessions into 0 charts" in second
    assert "Already in the charts (left out): 4 sessions" in second
    assert len(chart(data_dir, "P-1")["sessions"]) == 4


# --- the report at 80 columns ---------------------------------------------------------------------


def test_the_report_wraps_between_words_on_a_terminal_and_is_one_line_each_piped(
    run, data_dir: Path, tmp_path: Path, tmux
) -> None:  # type: ignore[no-untyped-def]
    import shlex
    import sys

    run("patient", "new", "P-0042", "--name", "Ana Ruiz")
    run("patient", "new", "P-0051", "--name", "Lena Berg")
    path = csv_file(
        tmp_path,
        f"{HEADER}\n"
        "P-0043,,,2026-11-20,scalp,biotin,1,ml,B,1.5,gun,none\n"
        "P-0052,,,2026-11-20,scalp,biotin,1,ml,B,1.5,gun,none\n",
    )
    piped = run("import", str(path), expect=1).stdout.splitlines()
    assert "--new-patient P-0043,P-0052" in piped[-2] and any(len(line) > 80 for line in piped)
    done = tmp_path / "done"
    window = tmux(
        f"{shlex.quote(sys.executable)} -m mesolog import {shlex.quote(str(path))}; "
        f"touch {shlex.quote(str(done))}; exec sleep 3600",
        width=80,
    )
    last = piped[-1].split()[-1]
    screen = window.wait(lambda s: done.exists() and last in s, "the report's last line")
    shown = [line.rstrip() for line in screen.splitlines() if line.strip()]
    assert len(shown) > len(piped) and all(len(line) <= 80 for line in shown)
    # Every word whole and in order: no id, flag or word cut in two by the terminal.
    assert " ".join(shown).split() == " ".join(piped).split()
