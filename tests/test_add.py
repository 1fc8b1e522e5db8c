"""Recording sessions through the real CLI, checked against the TOML on disk."""

from __future__ import annotations

import tomllib
from datetime import date, timedelta
from pathlib import Path

from conftest import FULL_ADD, is_uid, snapshot


def read(path: Path) -> dict:  # type: ignore[type-arg]
    return tomllib.loads(path.read_text(encoding="utf-8"))


def test_add_with_every_field_stores_schema_2(run, patient: Path) -> None:
    result = run("add", "P-0042", *FULL_ADD, "--complication", "bruising:mild")
    assert "P-0042: session 1 recorded" in result.stdout
    assert str(patient) in result.stdout
    data = read(patient)
    assert data["schema"] == 2
    s = data["sessions"][0]
    assert s["id"] == 1
    assert is_uid(s["uid"])
    assert s["date"] == date(2026, 11, 2)
    assert s["areas"] == ["scalp"]
    assert s["indication"] == "hair loss"
    assert s["technique"] == "gun" and s["method"] == "nappage"
    assert s["depth_mm"] == 1.5 and s["angle_deg"] == 45
    assert s["needle_gauge"] == 30 and s["needle_length_mm"] == 4.0 and s["points"] == 40
    assert s["anaesthetic"] == "none" and s["duration_min"] == 25
    assert s["practitioner"] == "Dr. L. Moreau"
    assert s["course"] == "hair-2026"
    assert s["consent"] == "form 2026-11-02"
    assert s["photos"] == ["photos/P-0042/2026-11-02-before.jpg"]
    assert s["status"] == "active"
    sub = s["substances"][0]
    assert sub == {
        "name": "dutasteride 0.01%",
        "amount": 1.0,
        "unit": "ml",
        "category": "hair-loss drug",
        "concentration": "0.01%",
        "lot": "D2411",
        "expiry": date(2027, 3, 31),
    }
    assert s["complications"][0]["name"] == "bruising"
    assert s["complications"][0]["severity"] == "mild"
    assert s["measurements"] == {"hair_density_per_cm2": 142.0, "satisfaction_0_10": 7.0}
    assert patient.read_text().startswith("# mesolog patient chart")


def test_session_numbers_increase_and_patient_id_matches_ignoring_case(run, patient: Path) -> None:
    run("add", "P-0042", *FULL_ADD)
    run("add", "p-0042", *FULL_ADD)
    assert [s["id"] for s in read(patient)["sessions"]] == [1, 2]
    assert not (patient.parent / "p-0042.toml").exists()


def test_like_last_copies_the_protocol_and_options_override(run, patient: Path) -> None:
    run("add", "P-0042", *FULL_ADD)
    run("add", "P-0042", "--like-last", "--date", "2026-11-16", "--depth", "2")
    first, second = read(patient)["sessions"]
    for key in (
        "areas",
        "substances",
        "technique",
        "method",
        "anaesthetic",
        "course",
        "indication",
        "angle_deg",
        "needle_gauge",
        "practitioner",
    ):
        assert second[key] == first[key], key
    assert second["depth_mm"] == 2.0
    assert second["date"] == date(2026, 11, 16)
    assert "measurements" not in second and second["notes"] == ""


def test_dates_today_yesterday_and_days_ago(run, patient: Path) -> None:
    base = [
        "--area",
        "scalp",
        "-s",
        "minoxidil:1ml:LOT M1",
        "--depth",
        "1",
        "--technique",
        "hand",
        "--anaesthetic",
        "none",
    ]
    run("add", "P-0042", *base)
    run("add", "P-0042", *base, "--date", "yesterday")
    run("add", "P-0042", *base, "--date", "-3d")
    dates = [s["date"] for s in read(patient)["sessions"]]
    today = date.today()
    assert dates == [today, today - timedelta(days=1), today - timedelta(days=3)]


def test_missing_fields_without_a_terminal_are_all_named(run, patient: Path) -> None:
    before = snapshot(patient.parent.parent)
    result = run("add", "P-0042", "--area", "scalp", expect=2)
    assert "substance, depth, technique, anaesthetic" in result.stderr
    assert "Traceback" not in result.output
    assert snapshot(patient.parent.parent) == before


def test_no_input_fails_even_with_piped_answers(run, patient: Path) -> None:
    result = run("add", "P-0042", "--no-input", "--interactive", input="scalp\n", expect=2)
    assert "area, substance, depth, technique, anaesthetic" in result.stderr


def test_prompts_ask_for_missing_fields_with_last_values_and_lot_as_defaults(
    run, patient: Path
) -> None:
    run("add", "P-0042", *FULL_ADD)
    # Second session: accept every default, except a new substance without a lot: the lot of
    # the same substance last time is offered.
    # Then the rest of the last protocol (method, angle, gauge, needle length, points, duration:
    # accepted), the measurements of last time (blank skips) and complications (blank: none).
    answers = (
        "\n" + "dutasteride 0.01%:1ml\n" + "\n" + "\n" + "\n" + "\n" + "\n" * 6 + "\n\n\n" + "\n"
    )  # + the note
    result = run("add", "P-0042", "--interactive", "--date", "2026-11-16", input=answers)
    assert "Lot of dutasteride 0.01%" in result.stdout
    assert "[D2411]" in result.stdout
    second = read(patient)["sessions"][1]
    assert second["areas"] == ["scalp"]
    assert second["substances"][0]["lot"] == "D2411"
    assert second["substances"][0]["expiry"] == date(2027, 3, 31)  # a known lot keeps its expiry
    assert "measurements" not in second and "complications" not in second
    assert (
        second["depth_mm"] == 1.5
        and second["technique"] == "gun"
        and second["anaesthetic"] == "none"
    )
    assert "Method (nappage, papule, point-by-point...) ('-' for none) [nappage]:" in result.stdout
    assert (second["method"], second["angle_deg"], second["needle_gauge"]) == ("nappage", 45, 30)
    assert (second["needle_length_mm"], second["points"], second["duration_min"]) == (4.0, 40, 25)


def test_prompt_repeats_the_question_after_a_bad_answer(run, patient: Path) -> None:
    answers = "thighs\nhyaluronic acid:2ml:LOT A17\nabc\n20\n2\npistol\n\nnone\n\n\n\n\n"
    result = run("add", "P-0042", "--interactive", input=answers)
    assert "depth" in result.stdout and "must be a number" in result.stdout
    assert "at most 13" in result.stdout
    s = read(patient)["sessions"][0]
    assert s["depth_mm"] == 2.0 and s["technique"] == "gun" and s["areas"] == ["thighs"]


def test_unknown_patient_gets_did_you_mean_and_no_chart(run, patient: Path) -> None:
    before = snapshot(patient.parent.parent)
    result = run("add", "P-0024", *FULL_ADD, expect=1)
    assert "did you mean P-0042?" in result.stderr and "--new-patient" in result.stderr
    assert snapshot(patient.parent.parent) == before


def test_new_patient_flag_creates_the_chart(run, data_dir: Path) -> None:
    run("add", "P-0100", *FULL_ADD, "--new-patient")
    data = read(data_dir / "patients" / "P-0100.toml")
    assert data["patient"]["id"] == "P-0100"
    assert len(data["sessions"]) == 1
    assert "course" not in data["sessions"][0]


def test_unknown_vocabulary_is_kept_with_a_suggestion(run, patient: Path) -> None:
    result = run(
        "add",
        "P-0042",
        *FULL_ADD,
        "--area",
        "thigs",
        "-s",
        "hyaluronc acid:1ml:LOT H1",
        "--complication",
        "bruse",
    )
    assert "did you mean 'thighs'" in result.stderr
    assert "did you mean 'hyaluronic acid'" in result.stderr
    assert "did you mean 'bruising'" in result.stderr
    s = read(patient)["sessions"][0]
    assert "thigs" in s["areas"]
    assert s["substances"][1]["category"] == "uncatalogued"


def test_the_record_keeps_the_word_typed(run, patient: Path) -> None:
    """DESIGN: what was typed is stored and shown; the questions compare by meaning."""
    run("add", "P-0042", *FULL_ADD, "--area", "abdomen", "--complication", "oedema:moderate")
    s = read(patient)["sessions"][0]
    assert s["areas"] == ["scalp", "abdomen"]
    assert s["complications"][0] == {"name": "oedema", "severity": "moderate"}
    found = run(
        "find", "--area", "stomach", "--complication", "swelling", "--format", "json"
    ).stdout
    assert '"session": 1' in found.replace(" ", "").replace('"session":1', '"session": 1')


def test_warnings_expired_lot_and_depth_outside_dermal_range(run, patient: Path) -> None:
    result = run(
        "add",
        "P-0042",
        "--area",
        "thighs",
        "-s",
        "phosphatidylcholine:5ml:LOT PC1:EXP 2026-01-01",
        "--depth",
        "6",
        "--technique",
        "hand",
        "--anaesthetic",
        "local",
        "--date",
        "2026-11-02",
        "--method",
        "papule",
    )
    assert "expired on 2026-01-01" in result.stderr
    assert "outside what the sources describe" in result.stderr
    assert "for papule" in result.stderr
    s = read(patient)["sessions"][0]
    assert s["depth_mm"] == 6.0 and s["anaesthetic"] == "local injection"


def test_config_supplies_practitioner_and_defaults(run, patient: Path, config_file: Path) -> None:
    config_file.write_text(
        'practitioner = "Dr. Config"\ntechnique = "hand"\nanaesthetic = "topical"\n'
        'areas = ["inner knees"]\n[substances]\n"meso-hair cocktail" = "multivitamin"\n'
    )
    result = run(
        "add",
        "P-0042",
        "--area",
        "inner knees",
        "-s",
        "meso-hair cocktail:2ml:LOT C1",
        "--depth",
        "1",
    )
    assert "not in the" not in result.stderr
    s = read(patient)["sessions"][0]
    assert s["practitioner"] == "Dr. Config"
    assert s["technique"] == "hand" and s["anaesthetic"] == "topical cream"
    assert s["substances"][0]["category"] == "multivitamin"
