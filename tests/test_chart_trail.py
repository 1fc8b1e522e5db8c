"""Everything can be corrected with a trail: patient details, courses
(edit, close), restore; through the CLI and from Python; bad input changes nothing."""

from __future__ import annotations

import json
import tomllib
from datetime import date
from pathlib import Path

import pytest
from conftest import snapshot
from hypothesis import given, settings
from hypothesis import strategies as st
from test_properties import amendments, free_text, short

from mesolog.errors import AlreadyRecorded, InvalidValue, NothingToChange, UnknownCourse
from mesolog.model import Complication, Zone, details, now
from mesolog.model import vocabulary as vocab
from mesolog.model.progress import next_due, summarize
from mesolog.model.records import Chart, Course, Patient
from mesolog.store import Clinic, encode_chart, parse_chart_text, read_chart_file

SESSION = [
    "--area",
    "scalp",
    "-s",
    "minoxidil 0.5%:2ml:LOT M1",
    "--depth",
    "1.5",
    "--technique",
    "gun",
    "--anaesthetic",
    "none",
    "--no-input",
]


def chart_of(path: Path) -> Chart:
    return read_chart_file(path)[0]


# --- patient edit -------------------------------------------------------------------------------


def test_patient_edit_records_old_and_new_in_the_chart_trail(run, patient: Path) -> None:
    result = run(
        "patient",
        "edit",
        "P-0042",
        "--name",
        "Ana Ruiz Vidal",
        "--phone",
        "+34 600 111 222",
        "--email",
        "ana@example.org",
        "--reason",
        "married name",
        "--by",
        "Dr. L. Moreau",
    )
    assert "patient.name: Ana Ruiz -> Ana Ruiz Vidal" in result.stdout
    data = tomllib.loads(patient.read_text())
    assert (
        data["patient"]["name"] == "Ana Ruiz Vidal"
        and data["patient"]["phone"] == "+34 600 111 222"
    )
    [trail] = data["amendments"]
    assert trail["by"] == "Dr. L. Moreau" and trail["reason"] == "married name"
    assert trail["changes"] == [
        "patient.name: Ana Ruiz -> Ana Ruiz Vidal",
        "patient.phone: (none) -> +34 600 111 222",
        "patient.email: (none) -> ana@example.org",
    ]
    run("patient", "edit", "P-0042", "--phone", "")  # "" clears; the reason is optional
    assert "phone" not in tomllib.loads(patient.read_text())["patient"]
    shown = run("patient", "show", "P-0042").stdout
    assert "Ana Ruiz Vidal" in shown and "married name" in shown
    assert "married name" in run("report", "P-0042", "--audit").stdout
    report = json.loads(run("report", "P-0042", "--format", "json").stdout)
    assert report["amendments"][0]["reason"] == "married name"
    assert report["patient"]["phone"] is None
    assert "patient.phone: +34 600 111 222 -> (none)" in shown


def test_a_chart_made_by_add_new_patient_can_be_given_a_name(run, data_dir: Path) -> None:
    run("add", "P-0007", "--new-patient", *SESSION)
    run("patient", "edit", "P-0007", "--name", "Lena Berg", "--birth-year", "1990")
    assert "P-0007" in run("report", "lena", expect=1).stderr  # the name now finds the chart
    assert (
        json.loads(run("patient", "list", "--search", "berg", "--format", "json").stdout)[0][
            "patient"
        ]
        == "P-0007"
    )


@pytest.mark.parametrize(
    ("args", "says", "code"),
    [
        ([], "give at least one of --name", 2),
        (["--birth-year", str(date.today().year + 1)], "birth year", 2),
        (["--email", "ana-at-example.org"], "email", 2),
        (
            ["--name", "Ana Ruiz"],
            "already",
            1,
        ),  # the value it has: a refused action, as for sessions
        (["--sex", "robot"], "sex", 2),
    ],
)
def test_bad_patient_edits_change_nothing(
    run, patient: Path, args: list[str], says: str, code: int
) -> None:
    before = snapshot(patient.parent.parent)
    result = run("patient", "edit", "P-0042", *args, expect=code)
    assert says in result.stderr and "Traceback" not in result.stderr
    assert snapshot(patient.parent.parent) == before


# --- courses ------------------------------------------------------------------------------------


def test_course_edit_and_close_are_in_the_trail_and_a_closed_course_leaves_due(
    run, patient: Path
) -> None:
    run("add", "P-0042", "--date", "2026-11-02", *SESSION)
    run(
        "course",
        "edit",
        "P-0042",
        "HAIR-2026",
        "--sessions",
        "8",
        "--interval",
        "21",
        "--reason",
        "slow response",
    )
    course = chart_of(patient).courses[0]
    assert (course.planned_sessions, course.interval_days) == (8, 21)
    assert [
        r["patient"] for r in json.loads(run("due", "--within", "3650", "--format", "json").stdout)
    ] == ["P-0042"]
    run("course", "close", "P-0042", "hair-2026", "--status", "stopped", "--reason", "moved away")
    chart = chart_of(patient)
    assert chart.courses[0].status == "stopped" and next_due(chart) is None
    assert [a.changes for a in chart.amendments] == [
        ("course hair-2026.planned_sessions: 6 -> 8", "course hair-2026.interval_days: 14 -> 21"),
        ("course hair-2026.status: active -> stopped",),
    ]
    assert json.loads(run("due", "--within", "3650", "--all", "--format", "json").stdout) == []
    assert "closed: stopped" in run("patient", "show", "P-0042").stdout
    assert "course hair-2026 stopped after 1 of 8 sessions" in run("report", "P-0042").stdout
    overview = json.loads(run("report", "--format", "json").stdout)
    assert overview[0]["course_status"] == "stopped"
    # No longer the default course of add, nor copied by --like-last.
    run("add", "P-0042", *SESSION)
    run("add", "P-0042", "--like-last", "--no-input")
    assert [s.course for s in chart_of(patient).sessions] == ["hair-2026", None, None]


def test_a_new_course_after_a_closed_one_becomes_the_default(run, patient: Path) -> None:
    run(
        "course",
        "add",
        "P-0042",
        "--sessions",
        "4",
        "--interval",
        "14",
        "--name",
        "late",
        "--start",
        "2026-01-01",
    )  # started earlier than hair-2026
    run("course", "close", "P-0042", "hair-2026", "--status", "completed", "--reason", "done")
    run("add", "P-0042", *SESSION)
    assert chart_of(patient).sessions[0].course == "late"


@pytest.mark.parametrize(
    ("args", "says", "code"),
    [
        (["edit", "P-0042", "nope", "--sessions", "4"], "no course 'nope' (courses: hair-2026;", 1),
        (
            ["close", "P-0042", "nope", "--status", "completed", "--reason", "x"],
            "no course 'nope'",
            1,
        ),
        (["edit", "P-0042", "hair-2026"], "give at least one of --sessions", 2),
        (["edit", "P-0042", "hair-2026", "--sessions", "0"], "planned sessions", 2),
        (
            ["close", "P-0042", "hair-2026", "--status", "paused", "--reason", "x"],
            "completed, stopped",
            2,
        ),
        (["close", "P-0042", "hair-2026", "--status", "stopped", "--reason", " "], "reason", 2),
    ],
)
def test_bad_course_changes_change_nothing(
    run, patient: Path, args: list[str], says: str, code: int
) -> None:
    before = snapshot(patient.parent.parent)
    result = run("course", *args, expect=code)
    assert says in result.stderr and "Traceback" not in result.stderr
    assert snapshot(patient.parent.parent) == before


def test_closing_a_closed_course_is_refused_and_changes_nothing(run, patient: Path) -> None:
    run("course", "close", "P-0042", "hair-2026", "--status", "completed", "--reason", "done")
    before = snapshot(patient.parent.parent)
    result = run(
        "course", "close", "P-0042", "hair-2026", "--status", "stopped", "--reason", "x", expect=1
    )
    assert (
        result.stderr
        == "mesolog: course 'hair-2026' is closed already (completed); nothing changed.\n"
    )
    assert snapshot(patient.parent.parent) == before


# --- restore ------------------------------------------------------------------------------------


def test_restore_un_voids_with_a_trail(run, patient: Path) -> None:
    run("add", "P-0042", *SESSION)
    run("void", "P-0042", "1", "--reason", "thought it was a duplicate")
    run("restore", "P-0042", "1", "--reason", "it was not a duplicate", "--by", "Dr. B")
    session = chart_of(patient).sessions[0]
    assert session.status == "active"
    assert session.amendments[-1].changes == ("status: voided -> active",)
    assert session.amendments[-1].by == "Dr. B"
    audit = run("report", "P-0042", "--audit").stdout
    assert "it was not a duplicate" in audit and "thought it was a duplicate" in audit


def test_restoring_a_session_that_is_not_voided_changes_nothing(run, patient: Path) -> None:
    run("add", "P-0042", *SESSION)
    before = snapshot(patient.parent.parent)
    result = run("restore", "P-0042", "1", "--reason", "x", expect=1)  # like a void of a voided one
    assert result.stderr == (
        "mesolog: session 1 of P-0042 is active (not voided), so there is nothing to restore; "
        "nothing changed.\n"
    )
    assert run("restore", "P-0042", "9", "--reason", "x", expect=1).stderr.startswith("mesolog: ")
    assert snapshot(patient.parent.parent) == before


# --- from Python --------------------------------------------------------------------------------


def test_the_python_api(tmp_path: Path) -> None:
    clinic = Clinic(tmp_path / "api")
    course = Course("face", 4, 14, date(2026, 1, 5), "rejuvenation")
    clinic.new_patient(Patient(id="A-1", created=now(), name="Api"), (course,))
    chart, path = clinic.edit_patient(
        "A-1", {"email": "api@example.org", "birth_year": 1970}, "me", "intake form"
    )
    assert chart.patient.email == "api@example.org" and chart_of(path) == chart
    chart, _ = clinic.edit_course("A-1", "FACE", "me", planned_sessions=6)
    assert chart.courses[0].planned_sessions == 6 and chart.amendments[-1].reason == ""
    chart, _ = clinic.close_course("A-1", "face", "completed", "me", "finished")
    assert chart.courses[0].closed and summarize(chart).course_status == "completed"
    before = snapshot(tmp_path)
    with pytest.raises(AlreadyRecorded, match="closed already"):
        clinic.close_course("A-1", "face", "stopped", "me", "again")
    with pytest.raises(UnknownCourse):
        clinic.edit_course("A-1", "body", "me", interval_days=7)
    with pytest.raises(NothingToChange):
        clinic.edit_patient("A-1", {}, "me")
    with pytest.raises(InvalidValue, match="email"):
        clinic.edit_patient("A-1", {"email": "nope"}, "me")
    with pytest.raises(InvalidValue, match="birth year"):
        clinic.new_patient(Patient(id="A-2", created=now(), birth_year=date.today().year + 1))
    assert snapshot(tmp_path) == before
    assert [a.by for a in chart_of(path).amendments] == ["me", "me", "me"]


def test_changed_course_unit() -> None:
    course = Course("c", 6, 14, date(2026, 1, 1))
    new, changes = details.changed_course(course, planned_sessions=6, indication="cellulite")
    assert new.indication == "cellulite" and changes == ["course c.indication: (none) -> cellulite"]
    closed, changes = details.closed_course(course, "Completed")
    assert closed.status == "completed" and closed.closed
    with pytest.raises(AlreadyRecorded):
        details.closed_course(closed, "stopped")


# --- the file format: round trip ----------------------------------------------------------------

charts = st.builds(
    Chart,
    patient=st.builds(
        Patient,
        id=st.just("P-1"),
        created=st.just(now()),
        name=st.none() | free_text,
        phone=st.none() | short,
        email=st.none() | short,
        note=st.none() | free_text,
    ),
    courses=st.lists(
        st.builds(
            Course,
            name=short,
            planned_sessions=st.integers(1, 100),
            interval_days=st.integers(1, 365),
            start=st.dates(),
            indication=st.none() | short,
            status=st.sampled_from(vocab.COURSE_STATUSES),
        ),
        max_size=3,
    ).map(tuple),
    amendments=st.lists(amendments, max_size=3).map(tuple),
)


@settings(max_examples=40, deadline=None)
@given(chart=charts)
def test_details_courses_and_the_chart_trail_survive_the_file(chart: Chart) -> None:
    assert parse_chart_text(Path("P-1.toml"), encode_chart(chart)) == chart


# --- sessions: another course, a complication entered on the wrong session ----------------------


def test_amend_moves_a_session_to_another_course(run, patient: Path) -> None:
    run("course", "add", "P-0042", "--sessions", "4", "--interval", "14", "--name", "face-2026")
    run("add", "P-0042", "--course", "hair-2026", *SESSION)
    run("amend", "P-0042", "1", "--course", "FACE-2026", "--reason", "wrong course")
    session = chart_of(patient).sessions[0]
    assert session.course == "face-2026"
    assert session.amendments[-1].changes == ("course: hair-2026 -> face-2026",)


def test_amend_removes_a_complication_and_the_trail_keeps_it(run, patient: Path) -> None:
    run(
        "add",
        "P-0042",
        *SESSION,
        "--complication",
        "bruising:moderate",
        "--complication",
        "redness",
    )
    run(
        "amend",
        "P-0042",
        "1",
        "--remove-complication",
        "haematoma",
        "--reason",
        "belongs to session 2",
    )
    session = chart_of(patient).sessions[0]
    assert [c.name for c in session.complications] == ["redness"]
    assert session.amendments[-1].changes == ("complications: removed bruising moderate",)
    audit = run("report", "P-0042", "--audit").stdout
    assert "removed bruising moderate" in audit and "belongs to session 2" in audit


@pytest.mark.parametrize(
    ("args", "says", "code"),
    [
        (["--course", "nope"], "no course 'nope' (courses: hair-2026;", 1),
        (["--remove-complication", "pain"], "no such complication (it has: redness)", 2),
    ],
)
def test_bad_session_corrections_change_nothing(
    run, patient: Path, args: list[str], says: str, code: int
) -> None:
    run("add", "P-0042", *SESSION, "--complication", "redness")
    before = snapshot(patient.parent.parent)
    result = run("amend", "P-0042", "1", *args, "--reason", "x", expect=code)
    assert says in result.stderr and "Traceback" not in result.stderr
    assert snapshot(patient.parent.parent) == before


def test_restore_and_session_corrections_from_python(tmp_path: Path) -> None:
    from dataclasses import replace as changed

    from mesolog.model import Complication, Session, Substance, without_complications

    clinic = Clinic(tmp_path / "api")
    clinic.new_patient(Patient(id="A-1", created=now()))
    draft = Session(
        id=0,
        date=date(2026, 1, 5),
        recorded=now(),
        areas=("face",),
        technique="hand",
        depth_mm=1.0,
        anaesthetic="none",
        substances=(Substance("biotin", 1.0, "ml"),),
        complications=(Complication("redness"),),
    )
    clinic.add_session("A-1", draft)
    clinic.void("A-1", 1, "me", "duplicate")
    restored, path = clinic.restore("A-1", 1, "me", "not a duplicate")
    assert restored.status == "active" and chart_of(path).sessions[0] == restored
    before = snapshot(tmp_path)
    with pytest.raises(AlreadyRecorded, match="not voided"):
        clinic.restore("A-1", 1, "me", "again")
    with pytest.raises(InvalidValue, match="no such complication"):
        clinic.amend("A-1", 1, lambda s: without_complications(s, ["pain"]), "me", "x")
    with pytest.raises(UnknownCourse):
        clinic.amend("A-1", 1, lambda s: changed(s, course="nope"), "me", "x")
    assert snapshot(tmp_path) == before


# --- every byte typed by hand survives ----------------------------------------------------------


def test_chart_level_corrections_keep_every_hand_typed_byte(run, patient: Path) -> None:
    run("add", "P-0042", *SESSION)
    text = patient.read_text()
    text = text.replace('name = "Ana Ruiz"', 'name = "Ana Ruiz"   # as on her ID card')
    text = text.replace("[[courses]]", "# the plan agreed on the first visit\n[[courses]]")
    text = text.replace("interval_days = 14", "interval_days = 14\nroom = 3  # hand-typed key")
    text += "\n# end of chart: typed by hand\n"
    patient.write_text(text)
    run(
        "patient",
        "edit",
        "P-0042",
        "--name",
        "Ana Ruiz Vidal",
        "--phone",
        "+34 600 111 222",
        "--reason",
        "married name",
    )
    run("course", "edit", "P-0042", "hair-2026", "--sessions", "8")
    run("course", "close", "P-0042", "hair-2026", "--status", "completed", "--reason", "done")
    after = patient.read_text()
    assert 'name = "Ana Ruiz Vidal"   # as on her ID card' in after
    for kept in (
        "# the plan agreed on the first visit\n",
        "room = 3  # hand-typed key\n",
        "# end of chart: typed by hand\n",
    ):
        assert kept in after
    # Only the changed lines differ; the trail is appended.
    removed = [line for line in text.splitlines() if line not in after.splitlines()]
    assert removed == ['name = "Ana Ruiz"   # as on her ID card', "planned_sessions = 6"]
    chart = chart_of(patient)
    assert chart.patient.phone == "+34 600 111 222" and chart.courses[0].status == "completed"
    assert len(chart.amendments) == 3 and after.count("[[amendments]]") == 3


def test_check_names_the_line_of_a_bad_course_status(run, patient: Path) -> None:
    text = patient.read_text().replace('status = "active"', 'status = "paused"')
    patient.write_text(text)
    line = text.splitlines().index('status = "paused"') + 1
    result = run("check", expect=1)
    assert (
        f"P-0042.toml:{line}: error: course: status must be active, completed or stopped"
        in result.stdout
    )
    assert "status must be" in run("report", "P-0042", expect=1).stderr


def test_a_session_added_after_a_chart_level_change_goes_before_the_trail(
    run, patient: Path
) -> None:
    run("add", "P-0042", *SESSION)
    run("patient", "edit", "P-0042", "--phone", "+34 600 111 222")
    before = patient.read_text()
    run("add", "P-0042", *SESSION)
    after = patient.read_text()
    assert after.index("id = 2") < after.index("[[amendments]]")
    assert after.endswith(before[before.index("[[amendments]]") :])  # the trail's bytes unchanged
    assert [s.id for s in chart_of(patient).sessions] == [1, 2]


def test_session_corrections_through_the_core_amendment_path_from_python(tmp_path: Path) -> None:
    from mesolog.model.drafting import Given

    clinic = Clinic(tmp_path / "api")
    clinic.new_patient(
        Patient(id="A-1", created=now()),
        (Course("face", 4, 14, date(2026, 1, 5)), Course("body", 4, 14, date(2026, 1, 5))),
    )
    given = Given(
        date="2026-01-05",
        areas=("face",),
        substances=("biotin:1ml",),
        depth="1",
        technique="hand",
        anaesthetic="none",
        course="face",
        complications=("bruising:mild", "redness"),
    )
    clinic.record("A-1", given)
    stored = clinic.amend(
        "A-1", 1, Given(remove_complications=("Haematoma",), course="BODY"), "me", "fix"
    )
    assert [c.name for c in stored.session.complications] == ["redness"]
    assert stored.session.course == "body"
    assert stored.session.amendments[-1].changes == (
        "course: face -> body",
        "complications: removed bruising mild",
    )
    before = snapshot(tmp_path)
    with pytest.raises(InvalidValue, match="it has: redness"):
        clinic.amend("A-1", 1, Given(remove_complications=("bruising",)), "me", "again")
    with pytest.raises(UnknownCourse, match="courses: face, body"):
        clinic.amend("A-1", 1, Given(course="legs"), "me", "x")
    assert snapshot(tmp_path) == before


def test_complication_changes_unit() -> None:
    from mesolog.model import Complication, describe_changes, without_complications
    from mesolog.model.records import Session

    one, two = Complication("bruising", "moderate"), Complication("redness")
    session = Session(
        id=1,
        date=date(2026, 1, 5),
        recorded=now(),
        areas=("face",),
        technique="hand",
        depth_mm=1.0,
        anaesthetic="none",
        substances=(),
        complications=(one, two, one),
    )
    fewer = without_complications(session, ["BRUISING"])
    assert fewer.complications == (two, one)  # one name takes off one entry
    assert describe_changes(session, fewer) == ["complications: removed bruising moderate"]
    more = without_complications(session, ["haematoma", "bruising"])
    assert more.complications == (two,)
    with pytest.raises(InvalidValue, match="it has: none"):
        without_complications(without_complications(more, ["redness"]), ["redness"])


# Another value for every Session field an amendment describes: a new Session field must be
# added here (say how its change reads in the trail) or to amendments.NOT_DESCRIBED.
ANOTHER_VALUE: dict[str, object] = {
    "date": date(2026, 1, 6),
    "areas": ("neck",),
    "technique": "gun",
    "depth_mm": 2.5,
    "anaesthetic": "topical cream",
    "substances": (),
    "practitioner": "Dr. B",
    "course": "face",
    "indication": "wrinkles",
    "method": "papule",
    "angle_deg": 45,
    "needle_gauge": 30,
    "needle_length_mm": 4.0,
    "points": 40,
    "zones": (Zone("face", "chin", 4),),
    "consent": "form 1",
    "photos": ("a.jpg",),
    "duration_min": 20,
    "notes": "n",
    "status": "voided",
    "complications": (Complication("redness"),),
    "measurements": {"waist_cm": 80.0},
}


def test_every_session_field_is_described_by_an_amendment_or_deliberately_not() -> None:
    from dataclasses import fields, replace

    from mesolog.model import describe_changes
    from mesolog.model.amendments import NOT_DESCRIBED, PLAIN_FIELDS
    from mesolog.model.records import Session, Substance

    session = Session(
        id=1,
        date=date(2026, 1, 5),
        recorded=now(),
        areas=("face",),
        technique="hand",
        depth_mm=1.0,
        anaesthetic="none",
        substances=(Substance("HA", 1.0, "ml"),),
    )
    for field in fields(Session):
        if field.name in NOT_DESCRIBED:
            assert describe_changes(session, replace(session, **{field.name: None})) == []
            continue
        assert field.name in ANOTHER_VALUE, f"Session.{field.name}: how does amend describe it?"
        changes = describe_changes(
            session, replace(session, **{field.name: ANOTHER_VALUE[field.name]})
        )
        assert len(changes) == 1 and changes[0].startswith(field.name), (field.name, changes)
    # In the Session's own order: one declaration of the fields, not a second list.
    assert tuple(f.name for f in fields(Session) if f.name in PLAIN_FIELDS) == PLAIN_FIELDS
    everything = replace(session, **ANOTHER_VALUE)  # type: ignore[arg-type]
    assert [c.split(":")[0].split(".")[0] for c in describe_changes(session, everything)] == [
        *PLAIN_FIELDS,
        "substances",
        "complications",
        "measurements",
    ]


def test_a_schema_1_chart_with_a_trail_is_upgraded_when_a_session_is_added(
    run, data_dir: Path
) -> None:
    folder = data_dir / "patients"
    folder.mkdir(parents=True)
    (folder / "P-1.toml").write_text(
        'schema = 1\n\n[patient]\nid = "P-1"\ncreated = 2026-01-01T09:00:00+01:00\n'
        'phone = "1"  # old number\n\n'
        '[[amendments]]\nat = 2026-01-02T09:00:00+01:00\nby = "me"\nreason = ""\n'
        'changes = ["patient.phone: (none) -> 1"]\n'
    )
    run("add", "P-1", *SESSION)
    text = (folder / "P-1.toml").read_text()
    assert "schema = 2" in text and 'phone = "1"  # old number' in text
    assert text.index("[[sessions]]") < text.index("[[amendments]]")
    chart = chart_of(folder / "P-1.toml")
    assert chart.sessions[0].uid and chart.amendments[0].changes == ("patient.phone: (none) -> 1",)


def test_an_indication_cleared_from_a_course_is_not_called_unlisted(run, patient: Path) -> None:  # type: ignore[no-untyped-def]
    result = run("course", "edit", "P-0042", "hair-2026", "--indication", "", "--reason", "x")
    assert "indication: hair loss -> (none)" in result.stdout
    assert "not in the list" not in result.stderr, result.stderr
    assert 'indication = ""' in patient.read_text()
