"""Recording gaps through the real CLI: numbers with a comma, a complication
with no severity, photo paths, per-unit amounts, the catalogue's names and suggestions, session
dates, the substance line of the panel."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
from conftest import snapshot
from test_exchange import resources, validate

from mesolog.errors import InvalidValue
from mesolog.model import vocabulary as vocab
from mesolog.model.values import complication, number, photo

BASE = [
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
    "--date",
    "2026-11-10",
]


def sessions(path: Path) -> list[dict]:  # type: ignore[type-arg]
    return tomllib.loads(path.read_text(encoding="utf-8")).get("sessions", [])


# --- a comma is a decimal mark unless it could be a thousands separator -------------


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("1,5", 1.5),
        ("0,75", 0.75),
        ("2,5", 2.5),
        ("0,750", 0.75),
        ("1234,567", 1234.567),
        ("1.000", 1.0),
        ("1000", 1000.0),
    ],
)
def test_a_decimal_comma_is_read(typed: str, value: float) -> None:
    assert number(typed, "amount") == value


@pytest.mark.parametrize(
    ("typed", "how"),
    [
        ("1,000", "write 1000 for 1000, or 1.000 / 1,0 for 1"),
        ("2,500", "write 2500 for 2500, or 2.500 / 2,5 for 2.5"),
        ("12,345", "write 12345 for 12345, or 12.345 for 12.345"),  # "12,345" again would not help
        ("-1,000", "write -1000 for -1000"),
    ],
)
def test_a_comma_before_three_digits_is_refused_with_how_to_write_it(typed: str, how: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        number(typed, "measure waist_cm")
    assert how in str(refused.value) and str(refused.value).startswith(
        f"measure waist_cm '{typed}'"
    )


def test_decimal_commas_are_read_in_every_number_of_a_session(run, patient: Path) -> None:
    run(
        "add",
        "P-0042",
        *BASE,
        "-s",
        "biotin:2,5ml:LOT B1",
        "--depth",
        "1,5",
        "--needle-length",
        "4,5",
        "--measure",
        "waist_cm=82,5",
    )
    s = sessions(patient)[0]
    assert s["substances"][1]["amount"] == 2.5 and s["depth_mm"] == 1.5
    assert s["needle_length_mm"] == 4.5 and s["measurements"] == {"waist_cm": 82.5}


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("-s", "mesoglycan:1,000mg:LOT M1"),
        ("--depth", "1,500"),
        ("--needle-length", "4,000"),
        ("--measure", "waist_cm=1,000"),
    ],
)
def test_a_thousands_or_decimal_comma_is_refused_on_add_and_amend(
    run, patient: Path, option: str, value: str
) -> None:
    before = snapshot(patient.parent.parent)
    said = run("add", "P-0042", *BASE, option, value, expect=2).stderr
    assert "a comma before three digits reads as thousands or as decimals" in said
    assert "Traceback" not in said and len(said.strip().splitlines()) == 1
    assert snapshot(patient.parent.parent) == before
    run("add", "P-0042", *BASE)
    before = snapshot(patient.parent.parent)
    said = run("amend", "P-0042", "1", option, value, "--reason", "x", expect=2).stderr
    assert "reads as thousands or as decimals" in said
    assert snapshot(patient.parent.parent) == before


def test_an_import_cell_with_a_thousands_or_decimal_comma_is_rejected(
    run, data_dir: Path, tmp_path: Path
) -> None:
    run("init")
    sheet = tmp_path / "visits.csv"
    sheet.write_text(
        "patient,date,areas,substance,amount,unit,lot,depth_mm,technique,anaesthetic\n"
        'P-1,2026-11-02,scalp,biotin,"1,000",mg,B1,1.5,gun,none\n'
    )
    before = snapshot(data_dir)
    said = run("import", str(sheet), "--apply", expect=1)
    assert (
        "row 2, amount: amount '1,000' is not allowed: a comma before three digits" in said.stdout
    )
    assert snapshot(data_dir) == before
    sheet.write_text(
        "patient,date,areas,substance,amount,unit,lot,depth_mm,technique,anaesthetic\n"
        'P-1,2026-11-02,scalp,biotin,"2,5",ml,B1,"1,5",gun,none\n'
    )
    run("import", str(sheet), "--apply")
    s = sessions(data_dir / "patients" / "P-1.toml")[0]
    assert s["substances"][0]["amount"] == 2.5 and s["depth_mm"] == 1.5


# --- amounts plausible per unit --------------------------------------------------------


def test_a_hyaluronidase_vial_of_1500_iu_is_recorded(run, patient: Path) -> None:
    run("add", "P-0042", *BASE, "-s", "hyaluronidase:1500IU:LOT H1")
    assert sessions(patient)[0]["substances"][1] | {"category": ""} == {
        "name": "hyaluronidase",
        "amount": 1500.0,
        "unit": "IU",
        "lot": "H1",
        "category": "",
    }


# --- a complication given without a severity has none ---------------------------------


def test_a_complication_without_a_severity_stores_none_on_add_and_amend(
    run, patient: Path, tmp_path: Path
) -> None:
    added = run(
        "add", "P-0042", *BASE, "--complication", "swelling", "--complication", "bruising:mild"
    )
    assert "swelling severity not recorded" in added.stdout and "bruising mild" in added.stdout
    amended = run("amend", "P-0042", "1", "--add-complication", "pain", "--reason", "called")
    assert "pain severity not recorded" in amended.stdout
    swelling, bruising, pain = sessions(patient)[0]["complications"]
    assert swelling == {"name": "swelling"} and pain == {"name": "pain"}
    assert bruising == {"name": "bruising", "severity": "mild"}  # a severity given is kept
    assert '[[sessions.complications]]\nname = "swelling"\n\n' in patient.read_text()
    report = run("report", "P-0042", "--format", "markdown").stdout
    assert "| swelling | severity not recorded |" in report and "| bruising | mild |" in report
    trail = run("report", "P-0042", "--audit", "--format", "json").stdout
    assert "complications: added pain (severity not recorded)" in trail
    page = tmp_path / "page.html"
    run("summary", "P-0042", "--output", str(page))
    shown = re.sub(r"<[^>]+>", "", page.read_text())  # a date is a span of its own (kept whole)
    assert "swelling after the session of 2026-11-10: severity not recorded" in shown
    assert run("check").exit_code == 0


def test_fhir_leaves_out_a_severity_not_recorded_and_still_validates(run, patient: Path) -> None:
    run("add", "P-0042", *BASE, "--complication", "swelling", "--complication", "bruising:severe")
    bundle = json.loads(run("export", "--format", "fhir").stdout)
    validate(bundle)
    events = {e["event"]["text"]: e for e in resources(bundle, "AdverseEvent")}
    assert "severity" not in events["swelling"] and "seriousness" not in events["swelling"]
    assert events["bruising"]["severity"]["coding"][0]["code"] == "severe"
    # Severe is the grade; seriousness follows from an outcome, and none is recorded.
    assert "seriousness" not in events["bruising"]


def test_an_imported_complication_without_a_severity_has_none(
    run, data_dir: Path, tmp_path: Path
) -> None:
    run("init")
    sheet = tmp_path / "visits.csv"
    sheet.write_text(
        "patient,date,areas,substance,amount,unit,lot,depth_mm,technique,anaesthetic,complications\n"
        "P-1,2026-11-02,scalp,biotin,1,ml,B1,1.5,gun,none,swelling; pain:moderate\n"
    )
    run("import", str(sheet), "--apply")
    assert sessions(data_dir / "patients" / "P-1.toml")[0]["complications"] == [
        {"name": "swelling"},
        {"name": "pain", "severity": "moderate"},
    ]
    # ... and exported and imported again, it still has none
    again = tmp_path / "again.csv"
    again.write_text(run("export", "--format", "csv").stdout)
    assert "swelling; pain:moderate" in again.read_text()


def test_the_parser_gives_no_severity_unless_one_is_typed() -> None:
    assert complication("swelling")[0].severity is None
    assert complication("swelling:onset=2026-11-03")[0].severity is None
    assert complication("swelling:Moderate")[0].severity == "moderate"


# --- photo paths ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("", "it is empty"),
        ("   ", "it is empty"),
        ("/etc/passwd", "not inside the data folder"),
        ("~/before.jpg", "not inside the data folder"),
        ("C:\\photos\\before.jpg", "not inside the data folder"),
        ("../../etc/passwd", "'..' leads out of the data folder"),
        ("photos/../../x.jpg", "'..' leads out"),
        ("photos\\..\\..\\x.jpg", "'..' leads out"),
    ],
)
def test_a_photo_path_outside_the_data_folder_is_refused(
    run, patient: Path, path: str, words: str
) -> None:
    before = snapshot(patient.parent.parent)
    said = run("add", "P-0042", *BASE, "--photo", path, expect=2).stderr
    assert (
        words in said
        and "relative to the data folder" in said
        and len(said.strip().splitlines()) == 1
    )
    assert snapshot(patient.parent.parent) == before
    run("add", "P-0042", *BASE)
    before = snapshot(patient.parent.parent)
    assert words in run("amend", "P-0042", "1", "--photo", path, "--reason", "x", expect=2).stderr
    assert snapshot(patient.parent.parent) == before


def test_a_photo_not_there_yet_is_recorded_with_a_warning(
    run, patient: Path, data_dir: Path
) -> None:
    said = run("add", "P-0042", *BASE, "--photo", "photos/P-0042/before.jpg").stderr
    assert "photo photos/P-0042/before.jpg is not in the data folder yet" in said
    assert sessions(patient)[0]["photos"] == ["photos/P-0042/before.jpg"]
    (data_dir / "photos" / "P-0042").mkdir(parents=True)
    (data_dir / "photos" / "P-0042" / "after.jpg").write_bytes(b"\xff\xd8")
    said = run(
        "amend", "P-0042", "1", "--photo", "photos/P-0042/after.jpg", "--reason", "the right one"
    ).stderr
    assert "not in the data folder" not in said
    assert sessions(patient)[0]["photos"] == ["photos/P-0042/after.jpg"]


def test_the_photo_rule_is_the_shape_only() -> None:
    assert photo("photos/P-1/a..b.jpg") == "photos/P-1/a..b.jpg"
    assert photo("before.jpg") == "before.jpg"


# --- the catalogue's names; a close known name for every list ----------


def test_stats_group_the_abdomen_as_abdomen(run, data_dir: Path) -> None:
    for pid, area in (("P-1", "abdomen"), ("P-2", "stomach"), ("P-3", "Belly")):
        run("add", pid, "--new-patient", *BASE, "--area", area)
    groups = {
        g["group"]: g["sessions"]
        for g in json.loads(run("stats", "--by", "area", "--format", "json").stdout)
    }
    assert groups["abdomen"] == 3 and "stomach" not in groups
    assert sessions(data_dir / "patients" / "P-2.toml")[0]["areas"] == [
        "scalp",
        "stomach",
    ]  # as typed


def test_the_catalogue_names_are_the_domain_anchors() -> None:
    assert {"abdomen", "décolleté"} <= set(vocab.AREAS) and "stomach" not in vocab.AREAS
    assert vocab.meaning("area", "decollete") == "décolleté"
    assert {"laxity", "pigmentation"} <= set(vocab.INDICATIONS)
    assert vocab.meaning("indication", "lift and tightening") == "laxity"  # old names still mean it
    assert (
        vocab.meaning("complication", "bumps")
        == "papules"
        != vocab.meaning("complication", "nodule")
    )


@pytest.mark.parametrize(
    ("kind", "typed", "suggested"),
    [
        ("area", "inner thighs", "thighs"),
        ("area", "abdomn", "abdomen"),
        ("area", "upper belly", "abdomen"),
        ("complication", "mild pain", "pain"),
        ("indication", "hair thinning", "hair loss"),
    ],
)
def test_an_unknown_word_gets_a_close_known_name(kind: str, typed: str, suggested: str) -> None:
    match = getattr(vocab.DEFAULT, kind)(typed)
    assert not match.known and match.suggestion == suggested
    assert (
        vocab.DEFAULT.substance("topical minoxidil")[1].suggestion == "minoxidil"
    )  # the same rule


def test_an_uncatalogued_area_is_recorded_with_a_suggestion(run, patient: Path) -> None:
    said = run("add", "P-0042", *BASE, "--area", "inner thighs").stderr
    assert "area 'inner thighs' is not in the list; did you mean 'thighs'?" in said
    assert sessions(patient)[0]["areas"] == ["scalp", "inner thighs"]


# --- session dates --------------------------------------------------------------


@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31"])
def test_a_session_date_before_1900_is_refused(run, patient: Path, day: str) -> None:
    before = snapshot(patient.parent.parent)
    assert "it is before 1900" in run("add", "P-0042", *BASE, "--date", day, expect=2).stderr
    assert snapshot(patient.parent.parent) == before
    run("add", "P-0042", *BASE)
    before = snapshot(patient.parent.parent)
    assert (
        "before 1900"
        in run("amend", "P-0042", "1", "--date", day, "--reason", "x", expect=2).stderr
    )
    assert snapshot(patient.parent.parent) == before


def test_a_session_before_the_birth_year_or_the_course_start_is_recorded_with_a_warning(
    run, patient: Path
) -> None:
    said = run("add", "P-0042", *BASE, "--date", "1950-01-01").stderr
    assert "the session date 1950-01-01 is before the patient's birth year 1986" in said
    assert "is before course hair-2026 started (2026-11-02)" in said
    assert sessions(patient)[0]["date"].isoformat() == "1950-01-01"
    said = run("add", "P-0042", *BASE, "--date", "2026-11-01").stderr
    assert "before course hair-2026 started" in said and "birth year" not in said
    # amend: said when the correction makes it so, not for what the session already was
    run("add", "P-0042", *BASE, "--date", "2026-11-20")
    said = run(
        "amend", "P-0042", "3", "--date", "1980-05-05", "--reason", "typed the old chart"
    ).stderr
    assert "1980-05-05 is before the patient's birth year 1986" in said
    said = run("amend", "P-0042", "3", "--depth", "2", "--reason", "depth").stderr
    assert "birth year" not in said


def test_check_names_a_hand_typed_session_date_before_1900(run, patient: Path) -> None:
    run("add", "P-0042", *BASE)
    patient.write_text(patient.read_text().replace("date = 2026-11-10", "date = 1850-11-10"))
    said = run("check", expect=1).stdout
    assert "date '1850-11-10' is not allowed: it is before 1900" in said


# --- the panel's substance line -------------------------------------------------


def test_the_confirmation_shows_each_substance_with_its_lot_and_expiry(run, patient: Path) -> None:
    added = run("add", "P-0042", *BASE, "-s", "PC 5%:2.5ml:LOT PC-1:EXP 2027-01-31").stdout
    assert "PC 5% 2.5 ml lot PC-1 exp 2027-01-31" in added
    assert "minoxidil 0.5% 2 ml lot M1\n" in added
    amended = run("amend", "P-0042", "1", "-s", "biotin:1ml", "--reason", "wrong product").stdout
    assert "biotin 1 ml no lot" in amended


def test_check_names_a_hand_typed_photo_outside_the_data_folder(run, patient: Path) -> None:
    run("add", "P-0042", *BASE, "--photo", "photos/P-0042/before.jpg")
    text = patient.read_text()
    patient.write_text(text.replace('"photos/P-0042/before.jpg"', '"/etc/passwd"'))
    line = 1 + next(
        n for n, text in enumerate(patient.read_text().splitlines()) if text.startswith("photos")
    )
    said = run("check", expect=1).stdout
    assert f"P-0042.toml:{line}: error: session 1: photo '/etc/passwd' is not allowed" in said
