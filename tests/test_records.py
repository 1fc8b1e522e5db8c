"""Records that cannot be lost or silently changed: append keeps hand edits, amendments keep a
trail, voids keep the session, check finds problems, files are private."""

from __future__ import annotations

import json
import os
import stat
import tomllib
from pathlib import Path

import pytest
from conftest import FULL_ADD, snapshot


def test_hand_written_comment_and_layout_survive_add(run, patient: Path) -> None:
    run("add", "P-0042", *FULL_ADD)
    text = patient.read_text()
    patient.write_text(
        text.replace("[patient]", "# allergic to lidocaine: ask every time\n[patient]")
        + "\n# reviewed by Dr. M on 2026-11-10\n"
    )
    run("add", "P-0042", "--like-last", "--date", "2026-11-16")
    after = patient.read_text()
    assert "# allergic to lidocaine: ask every time" in after
    assert "# reviewed by Dr. M on 2026-11-10" in after
    assert after.startswith(text.split("[patient]")[0])
    assert len(tomllib.loads(after)["sessions"]) == 2


def test_amend_adds_a_complication_with_dates_and_a_trail(run, patient: Path) -> None:
    run("add", "P-0042", *FULL_ADD)
    run("add", "P-0042", "--like-last", "--date", "2026-11-16")
    text_before = patient.read_text()
    session_2_block = text_before[text_before.rindex("[[sessions]]") :]
    result = run(
        "amend",
        "P-0042",
        "1",
        "--add-complication",
        "bruising:mild:onset=2026-11-03:resolved=2026-11-09:by=patient",
        "--reason",
        "bruise reported at follow-up",
        "--by",
        "Dr. L. Moreau",
    )
    assert "session 1 amended" in result.stdout
    data = tomllib.loads(patient.read_text())
    s1 = data["sessions"][0]
    assert s1["complications"] == [
        {
            "name": "bruising",
            "severity": "mild",
            "onset": __import__("datetime").date(2026, 11, 3),
            "resolved": __import__("datetime").date(2026, 11, 9),
            "outcome": "resolved",
            "reported_by": "patient",
        }
    ]
    note = s1["amendments"][0]
    assert note["by"] == "Dr. L. Moreau" and note["reason"] == "bruise reported at follow-up"
    assert note["changes"] == ["complications: added bruising (mild)"]
    assert "at" in note
    # Only the amended block was rewritten: session 2 is byte for byte the same.
    assert patient.read_text().endswith(session_2_block)


def test_amend_records_each_old_and_new_value(run, patient: Path) -> None:
    run("add", "P-0042", *FULL_ADD)
    run("amend", "P-0042", "1", "--depth", "2", "--technique", "hand", "--reason", "typo")
    run("amend", "P-0042", "1", "--measure", "satisfaction_0_10=8", "--reason", "late answer")
    notes = tomllib.loads(patient.read_text())["sessions"][0]["amendments"]
    assert notes[0]["changes"] == ["technique: gun -> hand", "depth_mm: 1.5 -> 2"]
    assert notes[1]["changes"] == ["measurements.satisfaction_0_10: 7 -> 8"]
    audit = run("report", "P-0042", "--audit").stdout
    assert "Audit trail" in audit and "depth_mm: 1.5 -> 2" in audit and "late answer" in audit


def test_amend_refusals_change_nothing(run, patient: Path) -> None:
    run("add", "P-0042", *FULL_ADD)
    before = snapshot(patient.parent.parent)
    assert (
        "no session 9"
        in run("amend", "P-0042", "9", "--depth", "2", "--reason", "x", expect=1).stderr
    )
    assert (
        "nothing would change"
        in run("amend", "P-0042", "1", "--depth", "1.5", "--reason", "x", expect=1).stderr
    )
    assert (
        "say why" in run("amend", "P-0042", "1", "--depth", "2", "--reason", " ", expect=2).stderr
    )
    assert (
        "at least 0.1 and at most 13"
        in run("amend", "P-0042", "1", "--depth", "0", "--reason", "x", expect=2).stderr
    )
    assert (
        "Missing option '--reason'" in run("amend", "P-0042", "1", "--depth", "2", expect=2).stderr
    )
    assert snapshot(patient.parent.parent) == before


def test_void_keeps_the_session_and_cannot_be_repeated(run, patient: Path) -> None:
    run("add", "P-0042", *FULL_ADD)
    run("void", "P-0042", "1", "--reason", "wrong patient")
    data = tomllib.loads(patient.read_text())
    assert data["sessions"][0]["status"] == "voided"
    assert data["sessions"][0]["substances"][0]["lot"] == "D2411"
    assert data["sessions"][0]["amendments"][0]["changes"] == ["status: active -> voided"]
    assert "voided already" in run("void", "P-0042", "1", "--reason", "again", expect=1).stderr
    # Numbers are never reused.
    run("add", "P-0042", *FULL_ADD)
    assert [s["id"] for s in tomllib.loads(patient.read_text())["sessions"]] == [1, 2]


def test_check_reports_each_problem_with_path_and_line(run, patient: Path, data_dir: Path) -> None:
    run("add", "P-0042", *FULL_ADD)
    run("add", "P-0042", "--like-last", "--date", "2026-11-16")
    result = run("check")
    assert "1 file checked: 0 errors" in result.stderr
    text = patient.read_text()
    second = text.rindex("[[sessions]]")
    text = text[:second] + text[second:].replace("id = 2", "id = 1").replace(
        "depth_mm = 1.5", "depth_mm = 20.0"
    )
    text = text.replace('"scalp"', '"scallp"', 1)
    patient.write_text(text)
    (data_dir / "patients" / "P-BAD.toml").write_text(
        'schema = 1\n[patient]\nid = "P-BAD"\ncreated = 2026-01-01T00:00:00Z\nname = "x\n'
    )
    result = run("check", expect=1)
    lines = text.splitlines()
    line_1, line_2 = [n for n, line in enumerate(lines, 1) if line == "[[sessions]]"]
    out = result.stdout
    # Each problem names the line of its own field.
    assert (
        f"{patient}:{line_2 + 1}: error: session number 1 is also used at line {line_1 + 1}" in out
    )
    assert f"{patient}:{lines.index('depth_mm = 20.0') + 1}: error: session 1: depth" in out
    scallp = lines.index('    "scallp",')
    assert f"{patient}:{scallp}: warning: session 1: area 'scallp' is not in the list" in out
    assert f"{data_dir / 'patients' / 'P-BAD.toml'}:5: error:" in out
    assert "2 files checked: 3 errors" in result.stderr


def test_check_on_examples_is_clean(run) -> None:
    examples = Path(__file__).parent.parent / "examples" / "clinic"
    result = run("--data-dir", str(examples), "check")
    assert "3 files checked: 0 errors" in result.stderr
    # A git checkout makes 0755/0644: check names that (and the chmod), and nothing else.
    assert all("chmod" in line for line in result.stdout.splitlines())


@pytest.mark.skipif(os.name != "posix", reason="posix permissions")
def test_folders_are_0700_and_files_0600(run, patient: Path, data_dir: Path) -> None:
    run("add", "P-0042", *FULL_ADD)
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((data_dir / "patients").stat().st_mode) == 0o700
    assert stat.S_IMODE(patient.stat().st_mode) == 0o600


def test_symlink_out_of_the_data_folder_is_refused(run, data_dir: Path, tmp_path: Path) -> None:
    run("init")
    outside = tmp_path / "outside.toml"
    outside.write_text("secret = 1\n")
    (data_dir / "patients" / "P-LINK.toml").symlink_to(outside)
    before = snapshot(tmp_path)
    for args in (["report", "P-LINK"], ["add", "P-LINK", *FULL_ADD]):
        assert "outside the data folder" in run(*args, expect=1).stderr
    assert "outside the data folder" in run("check", expect=1).stdout
    assert snapshot(tmp_path) == before


def test_errors_never_print_another_patients_data(run, data_dir: Path) -> None:
    run("patient", "new", "P-1", "--name", "Secret Name")
    assert "Secret Name" not in run("report", "P-2", expect=1).stderr
    assert "Secret Name" not in run("add", "P-2", "--area", "x", expect=1).stderr


def test_core_api_without_the_cli(tmp_path: Path) -> None:
    from datetime import date

    from mesolog import Clinic, Patient, Session, Substance
    from mesolog.model import now
    from mesolog.model.progress import next_due

    clinic = Clinic(tmp_path / "api")
    clinic.new_patient(Patient(id="A-1", created=now(), name="Api"))
    draft = Session(
        id=0,
        date=date(2026, 1, 5),
        recorded=now(),
        areas=("face",),
        technique="hand",
        depth_mm=1.0,
        anaesthetic="none",
        substances=(Substance("hyaluronic acid", 2.0, "ml", "hyaluronic acid", lot="A17"),),
    )
    stored, path, _ = clinic.add_session("A-1", draft)
    assert stored.id == 1 and path.exists()
    chart = clinic.load("a-1")
    assert chart.sessions == (stored,)
    assert next_due(chart) is None
    assert json.loads(json.dumps([e.patient_id for e in clinic.entries()])) == ["A-1"]


def test_a_session_built_in_python_takes_the_path_of_a_typed_one(tmp_path: Path) -> None:
    """Clinic.add_session is Clinic.record for a Session built already: the same drafting
    rules (course by its chart name, a lot keeps its expiry), warnings and refusals."""
    from dataclasses import replace
    from datetime import date

    from mesolog import Clinic, Patient, Session
    from mesolog.errors import InvalidValue, UnknownCourse
    from mesolog.model import make_course, now, substance
    from mesolog.model.drafting import Given

    clinic = Clinic(tmp_path / "api")
    for pid in ("TYPED", "BUILT"):
        clinic.new_patient(
            Patient(id=pid, created=now()),
            (make_course("hair", 6, 14, date(2026, 1, 5), "hair loss"),),
        )
    lots = (
        "minoxidil:2ml:LOT D1:EXP 2026-01-08",
        "minoxidil:2ml:LOT D1",
    )  # the second leaves the expiry out
    results = []
    for day, spec in zip(("2026-01-05", "2026-01-09"), lots, strict=True):
        typed = clinic.record(
            "TYPED",
            Given(
                date=day,
                areas=("scalp",),
                substances=(spec,),
                depth="1.5",
                technique="gun",
                anaesthetic="none",
                course="HAIR",
            ),
        )
        built = clinic.add_session(
            "BUILT",
            Session(
                id=0,
                date=date.fromisoformat(day),
                recorded=typed.session.recorded,
                areas=("scalp",),
                technique="gun",
                depth_mm=1.5,
                anaesthetic="none",
                substances=(substance(spec)[0],),
                course="HAIR",
                indication="hair loss",
            ),
        )
        assert replace(built.session, uid=typed.session.uid) == typed.session
        assert built.warnings == typed.warnings
        results.append(built)
    assert results[1].session.course == "hair" and results[1].session.substances[0].expiry == date(
        2026, 1, 8
    )
    assert any("expired on 2026-01-08" in w for w in results[1].warnings)
    assert any("4 days after the previous one of course hair" in w for w in results[1].warnings)
    before = snapshot(tmp_path)
    last = results[1].session
    with pytest.raises(UnknownCourse, match="has no course 'nope' \\(courses: hair"):
        clinic.add_session("BUILT", replace(last, course="nope"))
    with pytest.raises(InvalidValue, match="depth"):
        clinic.add_session("BUILT", replace(last, depth_mm=20.0))
    assert snapshot(tmp_path) == before


def test_report_marks_amended_sessions_and_points_to_the_trail(run, patient: Path) -> None:
    run("add", "P-0042", *FULL_ADD)
    run("add", "P-0042", "--like-last", "--date", "2026-11-16")
    assert "amended*" not in run("report", "P-0042").stdout
    run("amend", "P-0042", "1", "--depth", "2", "--reason", "typo")
    out = run("report", "P-0042").stdout
    assert (
        "1 amended*" in out
        and "2 amended*" not in out
        and "--audit` shows who, when and why" in out
    )
