"""Exchange: FHIR that validates and means what the chart says, CSV a spreadsheet can trust,
and `import` of mesolog's own exports and of practitioners' spreadsheets."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
import tomllib
from datetime import UTC, date, timedelta
from pathlib import Path

import pytest
from conftest import exported_bundle, mesolog_process, snapshot

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "clinic"
VISITS = ROOT / "examples" / "import" / "visits.csv"
TODAY = date.today()


@pytest.fixture
def demo(data_dir: Path) -> Path:
    """The demo clinic, copied: three patients, courses, complications, measurements."""
    shutil.copytree(DEMO, data_dir, dirs_exist_ok=True)
    return data_dir


def fhir_bundle(run, *args: str) -> dict:  # type: ignore[no-untyped-def]
    return json.loads(run("export", *args, "--format", "fhir").stdout)


# fhir.resources checks structure, cardinality and types but not the codes of required value-set
# bindings (it accepts gender "f"); these are R4's, checked here.
REQUIRED_CODES = {
    ("Patient", "gender"): {"male", "female", "other", "unknown"},
    ("Procedure", "status"): {
        "preparation",
        "in-progress",
        "not-done",
        "on-hold",
        "stopped",
        "completed",
        "entered-in-error",
        "unknown",
    },
    ("MedicationAdministration", "status"): {
        "in-progress",
        "not-done",
        "on-hold",
        "completed",
        "entered-in-error",
        "stopped",
        "unknown",
    },
    ("Observation", "status"): {
        "registered",
        "preliminary",
        "final",
        "amended",
        "corrected",
        "cancelled",
        "entered-in-error",
        "unknown",
    },
    ("CarePlan", "status"): {
        "draft",
        "active",
        "on-hold",
        "revoked",
        "completed",
        "entered-in-error",
        "unknown",
    },
    ("CarePlan", "intent"): {"proposal", "plan", "order", "option"},
    ("AdverseEvent", "actuality"): {"actual", "potential"},
}
CODED = {
    ("AdverseEvent", "severity"): {"mild", "moderate", "severe"},
    # The code system is case-sensitive: "serious" is not one of its codes.
    ("AdverseEvent", "seriousness"): {"Serious", "Non-serious"},
    ("AdverseEvent", "outcome"): {
        "resolved",
        "recovering",
        "ongoing",
        "resolvedWithSequelae",
        "fatal",
        "unknown",
    },
}


def validate(bundle: dict) -> object:  # type: ignore[type-arg]
    from fhir.resources.R4B.bundle import Bundle

    assert bundle["type"] == "transaction"
    for entry in bundle["entry"]:
        if entry["request"]["method"] == "DELETE":
            assert "resource" not in entry
            continue
        resource = entry["resource"]
        kind = resource["resourceType"]
        assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"
        assert entry["request"] == {"method": "PUT", "url": f"{kind}/{resource['id']}"}
        for (rtype, name), allowed in REQUIRED_CODES.items():
            if rtype == kind and name in resource:
                assert resource[name] in allowed, (kind, name, resource[name])
        for (rtype, name), allowed in CODED.items():
            if rtype == kind and name in resource:
                assert resource[name]["coding"][0]["code"] in allowed, (kind, name, resource[name])
        if kind == "CarePlan":
            for activity in resource["activity"]:
                assert activity["detail"]["status"] in {
                    "not-started",
                    "scheduled",
                    "in-progress",
                    "on-hold",
                    "completed",
                    "cancelled",
                    "stopped",
                    "unknown",
                    "entered-in-error",
                }
    # Every reference inside the Bundle names one of its entries.
    urls = {e["fullUrl"] for e in bundle["entry"] if "fullUrl" in e}
    references = re.findall(r'"reference": "(urn:uuid:[^"]+)"', json.dumps(bundle))
    assert set(references) <= urls, set(references) - urls
    return Bundle.model_validate(bundle)


def resources(bundle: dict, kind: str) -> list[dict]:  # type: ignore[type-arg]
    return [
        e["resource"]
        for e in bundle["entry"]
        if "resource" in e and e["resource"]["resourceType"] == kind
    ]


# --- FHIR ---------------------------------------------------------------------------------------


def test_fhir_of_the_demo_clinic_validates_against_r4b_and_carries_the_chart(
    run, demo: Path
) -> None:
    bundle = fhir_bundle(run)
    validated = validate(bundle)
    assert len(validated.entry) == len(bundle["entry"])  # type: ignore[attr-defined]
    counts = {
        k: len(resources(bundle, k))
        for k in (
            "Patient",
            "Practitioner",
            "CarePlan",
            "Procedure",
            "MedicationAdministration",
            "AdverseEvent",
            "Observation",
        )
    }
    assert counts == {
        "Patient": 3,
        "Practitioner": 2,
        "CarePlan": 3,
        "Procedure": 13,
        "MedicationAdministration": 36,
        "AdverseEvent": 2,
        "Observation": 32,
    }
    given = resources(bundle, "MedicationAdministration")
    routes = {g["dosage"]["route"]["coding"][0]["code"] for g in given}
    assert routes == {"372464004", "34206005"}  # hair at 1.5 mm intradermal, cellulite at 6 mm not
    deep = [g for g in given if g["dosage"]["route"]["coding"][0]["code"] == "34206005"]
    assert deep and all(
        g["contained"][0]["code"]["text"]
        in ("phosphatidylcholine", "caffeine", "l-carnitine", "deoxycholate")
        or g["dosage"]["dose"]["unit"]
        for g in deep
    )
    for g in given:
        dose = g["dosage"]["dose"]
        assert dose["system"] == "http://unitsofmeasure.org" and dose["code"] in (
            "mL",
            "mg",
            "ug",
            "[IU]",
            "U",
        )
    sites = [p["bodySite"] for p in resources(bundle, "Procedure")]
    assert [{"text": "thighs", "code": "68367000"}, {"text": "buttocks", "code": "46862004"}] in [
        [{"text": s["text"], "code": s["coding"][0]["code"]} for s in site] for site in sites
    ]
    by_url = {e["fullUrl"]: e["resource"] for e in bundle["entry"] if "resource" in e}
    for event in resources(bundle, "AdverseEvent"):
        assert event["suspectEntity"] and all(
            by_url[s["instance"]["reference"]]["resourceType"] == "MedicationAdministration"
            for s in event["suspectEntity"]
        )
        assert event["severity"]["coding"][0]["code"] in ("mild", "moderate", "severe")
    units = {
        o["code"]["text"]: o["valueQuantity"].get("code") for o in resources(bundle, "Observation")
    }
    assert units["hair_density_per_cm2"] == "/cm2" and units["satisfaction_0_10"] == "{score}"
    assert units["waist_cm"] == "cm"
    plan = next(p for p in resources(bundle, "CarePlan") if p["title"] == "hair-2026")
    assert plan["activity"][0]["detail"]["scheduledTiming"]["repeat"] == {
        "count": 6,
        "period": 14,
        "periodUnit": "d",
    }
    assert len(plan["activity"][0]["outcomeReference"]) == 4
    assert all(
        p["performer"][0]["actor"]["reference"] in by_url for p in resources(bundle, "Procedure")
    )


def test_fhir_void_reason_and_entered_in_error(run, demo: Path) -> None:
    run("void", "P-0042", "2", "--reason", "recorded on the wrong patient")
    bundle = fhir_bundle(run, "P-0042")
    validate(bundle)
    voided = [p for p in resources(bundle, "Procedure") if p["status"] == "entered-in-error"]
    assert [v["statusReason"]["text"] for v in voided] == ["recorded on the wrong patient"]
    given = [
        g
        for g in resources(bundle, "MedicationAdministration")
        if g["status"] == "entered-in-error"
    ]
    assert (
        len(given) == 3 and given[0]["statusReason"][0]["text"] == "recorded on the wrong patient"
    )


def test_fhir_ids_come_from_the_clinic_identity_and_never_collide(
    run, data_dir: Path, tmp_path: Path
) -> None:
    common = [
        "--area",
        "scalp",
        "-s",
        "biotin:1ml:LOT B1",
        "--depth",
        "2",
        "--technique",
        "gun",
        "--anaesthetic",
        "none",
        "--date",
        "2026-01-05",
    ]
    for pid in ("P_1", "P-1"):
        run("add", pid, "--new-patient", *common)
    first = fhir_bundle(run)
    kept = tomllib.loads((data_dir / "clinic.toml").read_text())
    again = fhir_bundle(run)
    assert again["entry"] == first["entry"]  # made once, the same ids every export
    # ...in a Bundle of its own: a fresh identifier and timestamp, naming no key of the clinic.
    assert again["identifier"] != first["identifier"] and "timestamp" in again
    assert tomllib.loads((data_dir / "clinic.toml").read_text()) == kept
    for fmt in ("fhir", "json", "csv"):
        text = run("export", "--format", fmt).stdout
        assert kept["secret"] not in text
        assert fmt == "json" or kept["id"] not in text
    # Without the secret, the ids are not the clinic namespace's uuid of the patient number.
    import uuid

    guesses = {
        str(uuid.uuid5(uuid.UUID(kept["id"]), f"{kind}/{pid}"))
        for kind in ("patient",)
        for pid in ("P_1", "P-1")
    }
    assert not guesses & {p["id"] for p in resources(first, "Patient")}
    patients = resources(first, "Patient")
    assert len({p["id"] for p in patients}) == 2
    assert {p["identifier"][0]["value"] for p in patients} == {"P_1", "P-1"}
    # The same patient id in another clinic gets other uuids and another identifier system.
    other = tmp_path / "other"
    run("--data-dir", str(other), "init")
    run("--data-dir", str(other), "add", "P-1", "--new-patient", *common)
    second = json.loads(run("--data-dir", str(other), "export", "--format", "fhir").stdout)
    urls = {e["fullUrl"] for e in first["entry"]}
    assert not urls & {e["fullUrl"] for e in second["entry"]}
    assert (
        patients[0]["identifier"][0]["system"]
        != resources(second, "Patient")[0]["identifier"][0]["system"]
    )


def test_fhir_of_generated_charts_validates() -> None:
    from datetime import datetime

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from mesolog.model import Chart, Complication, Course, Patient, Session, Substance
    from mesolog.model import vocabulary as vocab
    from mesolog.model.itemkeys import ExportKeys

    moment = datetime(2026, 1, 1, 9, tzinfo=UTC)
    days = st.dates(date(2020, 1, 1), date(2026, 1, 1))
    text = st.text(
        st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12
    ).filter(str.strip)
    substance = st.builds(
        Substance,
        name=text,
        amount=st.floats(0.01, 50),
        unit=st.sampled_from(vocab.UNITS),
        lot=st.none() | text,
        expiry=st.none() | days,
    )
    problem = st.builds(
        Complication,
        name=text,
        severity=st.none() | st.sampled_from(vocab.SEVERITIES),
        onset=st.none() | days,
        outcome=st.none() | st.sampled_from(vocab.OUTCOMES),
        reported_by=st.none() | st.sampled_from(vocab.REPORTERS),
    )
    session = st.builds(
        Session,
        id=st.integers(1, 99),
        date=days,
        recorded=st.just(moment),
        areas=st.lists(
            st.sampled_from([*vocab.AREAS, "left ear"]), min_size=1, max_size=3, unique=True
        ).map(tuple),
        technique=st.sampled_from(vocab.TECHNIQUES),
        depth_mm=st.floats(0.1, 13),
        anaesthetic=st.just("none"),
        substances=st.lists(substance, min_size=1, max_size=3).map(tuple),
        practitioner=st.sampled_from(["", "Dr. A", "Dr. B"]),
        method=st.none() | st.sampled_from(vocab.METHODS),
        status=st.sampled_from(vocab.STATUSES),
        complications=st.lists(problem, max_size=2).map(tuple),
        measurements=st.dictionaries(
            st.sampled_from(["waist_cm", "hair_density_per_cm2", "pain_0_10", "odd"]),
            st.floats(0, 500),
            max_size=3,
        ),
        course=st.sampled_from([None, "plan"]),
    )
    chart = st.builds(
        Chart,
        patient=st.builds(
            Patient,
            id=st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,10}", fullmatch=True),
            created=st.just(moment),
            name=st.none() | text,
        ),
        courses=st.just((Course("plan", 6, 14, date(2020, 1, 1), "hair loss"),)),
        sessions=st.lists(session, max_size=3, unique_by=lambda s: s.id).map(tuple),
    )

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(chart, min_size=1, max_size=3, unique_by=lambda c: c.patient.id.lower()))
    def check(charts: list[Chart]) -> None:
        keys = ExportKeys("6f1b7c1e-5d0a-4c39-9a52-6d3f0c1e4a77", "ab" * 32)
        bundle = exported_bundle(charts, keys)
        validate(bundle)
        urls = [e["fullUrl"] for e in bundle["entry"] if "fullUrl" in e]
        assert len(urls) == len(set(urls))

    check()


# --- CSV ----------------------------------------------------------------------------------------


def test_csv_per_session_numbers_substances_and_gives_each_measure_a_column(
    run, demo: Path
) -> None:
    rows = list(csv.DictReader(io.StringIO(run("export", "P-0042", "--format", "csv").stdout)))
    assert len(rows) == 4
    first = rows[0]
    assert (
        first["substance_1"],
        first["amount_1"],
        first["unit_1"],
        first["lot_1"],
        first["expiry_1"],
    ) == ("minoxidil 0.5%", "2", "ml", "MX2409", "2027-06-30")
    assert first["substance_3"] == "biotin" and first["measure_hair_density_per_cm2"] == "138"
    long = list(
        csv.DictReader(
            io.StringIO(run("export", "P-0042", "--format", "csv", "--per", "substance").stdout)
        )
    )
    assert len(long) == 12 and {r["substance"] for r in long} == {
        "minoxidil 0.5%",
        "dutasteride 0.01%",
        "biotin",
    }
    assert all(r["measure_satisfaction_0_10"] for r in long)
    assert (
        "use one of session, substance"
        in run("export", "--format", "csv", "--per", "lot", expect=2).stderr
    )


def test_csv_cells_a_spreadsheet_would_run_are_inert_and_import_back_as_typed(
    run, data_dir: Path
) -> None:
    note = '=HYPERLINK("http://x","y")'
    run(
        "add",
        "P-1",
        "--new-patient",
        "--area",
        "scalp",
        "-s",
        "@SUM(A1):1ml:LOT +1",
        "--depth",
        "2",
        "--technique",
        "gun",
        "--anaesthetic",
        "none",
        "--note",
        note,
        "--date",
        "2026-01-05",
    )
    text = run("export", "--format", "csv").stdout
    row = next(csv.DictReader(io.StringIO(text)))
    assert (
        row["notes"] == "'" + note and row["substance_1"] == "'@SUM(A1)" and row["lot_1"] == "'+1"
    )
    for line in text.splitlines():
        assert not any(
            cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in next(csv.reader([line]))
        )
    exported = data_dir.parent / "out.csv"
    exported.write_text(text)
    shutil.rmtree(data_dir)
    run("init")  # a named data folder must exist before anything is written into it
    run("import", str(exported), "--apply")
    chart = json.loads(run("export").stdout)["charts"][0]
    assert chart["sessions"][0]["notes"] == note
    assert chart["sessions"][0]["substances"][0]["name"] == "@SUM(A1)"


# --- import: mesolog's own exports --------------------------------------------------------------


def test_json_export_imported_into_an_empty_clinic_exports_the_same(
    run, demo: Path, tmp_path: Path
) -> None:
    run("void", "P-0042", "2", "--reason", "duplicate")
    exported = tmp_path / "clinic.json"
    exported.write_text(run("export").stdout)
    empty = tmp_path / "empty"
    dry = run("--data-dir", str(empty), "import", str(exported))
    assert (
        "Would import 13 sessions into 3 charts; new patients: P-0042, P-0107, P-0213."
        in dry.stdout
    )
    assert not empty.exists()
    run("--data-dir", str(empty), "init")  # --apply writes only into a folder that exists
    run("--data-dir", str(empty), "import", str(exported), "--apply")
    assert run("--data-dir", str(empty), "export").stdout == exported.read_text()
    again = run("--data-dir", str(empty), "import", str(exported), "--apply")
    assert "Imported 0 sessions" in again.stdout and "left out): 13 sessions" in again.stdout
    assert run("--data-dir", str(empty), "export").stdout == exported.read_text()


def _exported_two_patients(run, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    """A JSON export of a clinic with Ana Ruiz (P-0042) and Bo Lind (P-0107), a session each."""
    source = ["--data-dir", str(tmp_path / "source")]
    run(*source, "init")
    given = ["--area", "scalp", "--substance", "biotin:1ml:LOT B1", "--depth", "1.5"]
    given += ["--technique", "gun", "--anaesthetic", "none", "--no-input"]
    for patient, name in (("P-0042", "Ana Ruiz"), ("P-0107", "Bo Lind")):
        run(*source, "patient", "new", patient, "--name", name, "--birth-year", "1986")
        run(*source, "add", patient, "--date", "2026-11-02", *given)
    exported = tmp_path / "e.json"
    exported.write_text(run(*source, "export", "--format", "json").stdout)
    return exported


def test_a_json_export_never_gives_its_sessions_to_another_patient_of_the_same_id(
    run, tmp_path: Path
) -> None:
    exported = _exported_two_patients(run, tmp_path)
    clinic = tmp_path / "receiving"
    here = ["--data-dir", str(clinic)]
    run(*here, "init")
    run(*here, "patient", "new", "P-0042", "--name", "Other Person")
    before = snapshot(clinic)
    said = "patient P-0042 is 'Other Person' in the chart but 'Ana Ruiz' in the file"
    dry = run(*here, "import", str(exported), expect=1)
    assert "2 sessions read, 1 accepted, 1 rejected" in dry.stdout and said in dry.stdout
    applied = run(*here, "import", str(exported), "--apply", expect=1)
    assert said in applied.stdout
    assert snapshot(clinic) == before
    # The rest of the file imports; Other Person's chart stays as it was.
    chart = clinic / "patients" / "P-0042.toml"
    held = chart.read_bytes()
    rest = run(*here, "import", str(exported), "--apply", "--skip-rejected")
    assert said in rest.stdout and "Imported 1 session into 1 chart" in rest.stdout
    assert chart.read_bytes() == held
    assert len(tomllib.loads((clinic / "patients" / "P-0107.toml").read_text())["sessions"]) == 1


@pytest.mark.parametrize("name", [["--name", "ana  RUIZ"], []])
def test_a_json_export_adds_to_a_chart_of_the_same_name_or_of_no_name(
    run, tmp_path: Path, name: list[str]
) -> None:
    exported = _exported_two_patients(run, tmp_path)
    here = ["--data-dir", str(tmp_path / "receiving")]
    run(*here, "init")
    run(*here, "patient", "new", "P-0042", *name)
    result = run(*here, "import", str(exported), "--apply")
    assert "Imported 2 sessions into 2 charts" in result.stdout
    chart = tomllib.loads((tmp_path / "receiving" / "patients" / "P-0042.toml").read_text())
    assert len(chart["sessions"]) == 1


@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
def test_a_note_of_several_lines_stays_in_its_cell_in_every_csv(
    run, patient: Path, line_end: str
) -> None:
    note = f"first line{line_end}second line"
    given = ["--area", "scalp", "--substance", "biotin:1ml:LOT B-1", "--depth", "1.5"]
    given += ["--technique", "gun", "--anaesthetic", "none", "--no-input"]
    run("add", "P-0042", "--date", "2026-11-02", *given, "--note", note)
    run("add", "P-0042", "--date", "2026-11-16", *given, "--note", "one line")
    for args in (
        ["export", "P-0042", "--format", "csv"],
        ["export", "P-0042", "--format", "csv", "--per", "substance"],
        ["report", "P-0042", "--format", "csv"],
    ):
        text = run(*args).stdout
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        assert len(rows) == 2, (args, text)
        # A carriage return is a control character: it reaches a spreadsheet shown, as \x0d.
        shown = note.replace("\r", "\\x0d")
        assert [r["notes"] for r in rows] == [shown, "one line"], (args, text)


@pytest.mark.parametrize("per", ["session", "substance"])
def test_csv_export_imports_with_no_map_and_only_once(
    run, demo: Path, tmp_path: Path, per: str
) -> None:
    exported = tmp_path / f"clinic-{per}.csv"
    exported.write_text(run("export", "--format", "csv", "--per", per).stdout)
    empty = tmp_path / "empty"
    run("--data-dir", str(empty), "init")
    result = run("--data-dir", str(empty), "import", str(exported), "--apply")
    assert "Imported 13 sessions into 3 charts" in result.stdout
    assert not Path(str(exported) + ".map.toml").exists()
    again = run("--data-dir", str(empty), "export", "--format", "csv", "--per", per).stdout

    def clinical(text: str) -> list[dict[str, str]]:
        # Courses are plans a spreadsheet does not hold; the source is the import's own.
        return [
            {k: v for k, v in r.items() if k not in ("course", "source")}
            for r in csv.DictReader(io.StringIO(text))
        ]

    assert clinical(again) == clinical(exported.read_text())
    sources = [r["source"] for r in csv.DictReader(io.StringIO(again))]
    assert sources[0] == f"{exported.name}#row=2"
    second = run("--data-dir", str(empty), "import", str(exported), "--apply")
    assert "Imported 0 sessions" in second.stdout


# --- import: a practitioner's spreadsheet -------------------------------------------------------


@pytest.fixture
def visits(tmp_path: Path) -> Path:
    folder = tmp_path / "sheets"
    folder.mkdir()
    shutil.copy(VISITS, folder / "visits.csv")
    return folder / "visits.csv"


def mapped(visits: Path) -> Path:
    """The example's map, as a practitioner leaves it after checking the guesses."""
    shutil.copy(VISITS.with_name("visits.csv.map.toml"), visits.with_name("visits.csv.map.toml"))
    return visits


def test_first_run_writes_a_map_with_guesses_and_stops(
    run, missing_data_dir: Path, visits: Path
) -> None:
    data_dir = missing_data_dir  # never initialised: a dry run creates nothing
    result = run("import", str(visits), expect=1)
    assert "'Waist (cm)'" in result.stdout and "Columns not mapped" in result.stdout
    written = tomllib.loads(visits.with_name("visits.csv.map.toml").read_text())
    assert written["date_format"] == "%d/%m/%Y"
    assert written["columns"]["Client ID"] == "patient" and written["columns"]["Batch"] == "lot"
    assert written["columns"]["Waist (cm)"] == ""
    assert written["values"]["technique"] == {"By hand": "hand", "Pistol": "gun"}
    assert not data_dir.exists()


def test_dry_run_reports_and_apply_writes_each_session_with_its_source(
    run, missing_data_dir: Path, visits: Path
) -> None:
    data_dir = missing_data_dir  # never initialised: a dry run creates nothing
    mapped(visits)
    dry = run("import", str(visits))
    assert dry.stdout.splitlines()[:2] == [
        "visits.csv: 7 rows read, 7 accepted, 0 rejected.",
        "Would import 5 sessions into 3 charts; new patients: C-101, C-102, C-103.",
    ]
    assert "row 4: area 'abdomn' is not in the list; did you mean 'abdomen'?" in dry.stdout
    assert "nothing was written" in dry.stdout and not data_dir.exists()
    run("init", "--git")
    commits = subprocess.run(
        ["git", "-C", str(data_dir), "rev-list", "--count", "HEAD"], capture_output=True, text=True
    ).stdout
    run("import", str(visits), "--apply")
    after = subprocess.run(
        ["git", "-C", str(data_dir), "rev-list", "--count", "HEAD"], capture_output=True, text=True
    ).stdout
    assert int(after) == int(commits) + 1  # one commit for the whole import
    chart = tomllib.loads((data_dir / "patients" / "C-101.toml").read_text())
    first, second = chart["sessions"]
    assert first["source"] == "visits.csv#row=2" and second["source"] == "visits.csv#row=4"
    assert [s["name"] for s in first["substances"]] == ["Phosphatidylcholine", "DCA"]
    assert first["technique"] == "gun" and first["measurements"] == {"waist_cm": 91.0}
    assert first["substances"][0]["expiry"] == date(2027, 6, 30)
    assert chart["patient"]["name"] == "Lucía Gómez"
    before = snapshot(data_dir)
    again = run("import", str(visits), "--apply")
    assert "Imported 0 sessions" in again.stdout and snapshot(data_dir) == before


def test_likely_duplicates_of_sessions_in_the_chart_are_reported(
    run, data_dir: Path, visits: Path
) -> None:
    mapped(visits)
    run("patient", "new", "C-103", "--name", "Tom Berg")
    # The same day and product, another amount: not the row's session, but likely the same visit.
    run(
        "add",
        "C-103",
        "--date",
        "2026-10-21",
        "--area",
        "scalp",
        "-s",
        "minoxidil 0.5%:3ml:LOT MX2409",
        "--depth",
        "1.5",
        "--technique",
        "gun",
        "--anaesthetic",
        "none",
    )
    # C-101 and C-102 are close to C-103: the practitioner says they are new patients.
    dry = run("import", str(visits), "--new-patient", "C-101,C-102")
    assert "row 8: C-103 already has session 1 on 2026-10-21 with the same substances" in dry.stdout


def test_xlsx_imports_like_csv(run, data_dir: Path, tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(
        [
            "patient",
            "date",
            "areas",
            "substance",
            "amount",
            "lot",
            "depth_mm",
            "technique",
            "anaesthetic",
        ]
    )
    sheet.append(
        ["X-1", date(2026, 3, 2), "face", "hyaluronic acid", "1ml", "HA1", 1.5, "hand", "none"]
    )
    path = tmp_path / "sheet.xlsx"
    book.save(path)
    result = run("import", str(path), "--apply")
    assert "Imported 1 session into 1 chart; new patients: X-1." in result.stdout
    session = tomllib.loads((data_dir / "patients" / "X-1.toml").read_text())["sessions"][0]
    assert session["date"] == date(2026, 3, 2) and session["source"] == "sheet.xlsx#row=2"


def test_xlsx_without_openpyxl_says_how_to_install_it(tmp_path: Path) -> None:
    path = tmp_path / "sheet.xlsx"
    path.write_bytes(b"PK\x03\x04 not really")
    program = (
        "import sys; sys.modules['openpyxl'] = None; from mesolog.cli.main import main; main()"
    )
    result = subprocess.run(
        [sys.executable, "-c", program, "import", str(path)], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert 'pip install "mesolog[xlsx]"' in result.stderr and "Traceback" not in result.stderr


# --- import: bad input, nothing written ---------------------------------------------------------


def _refused(run, data_dir: Path, path: Path, code: int, *words: str, apply: bool = True) -> str:  # type: ignore[no-untyped-def]
    run("patient", "new", "C-101", "--name", "Lucía Gómez")
    before = snapshot(data_dir), snapshot(path.parent)
    # C-102 to C-104 are close to C-101: new patients, as the practitioner says.
    new = ["--new-patient", "C-102", "--new-patient", "C-103,C-104"]
    result = run("import", str(path), *(["--apply"] if apply else []), *new, expect=code)
    for word in words:
        assert word in result.stderr + result.stdout, (word, result.stderr, result.stdout)
    assert "Traceback" not in result.stderr
    assert (snapshot(data_dir), snapshot(path.parent)) == before
    return str(result.stderr + result.stdout)


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("notes.pdf", b"%PDF-1.4", ["is not a CSV, XLSX or JSON file"]),
        ("empty.csv", b"", ["is empty"]),
        ("header.csv", b"patient,date,substance\n", ["has a header but no rows"]),
        ("binary.csv", b"\x00\x01\x02patient", ["is not a CSV file"]),
        ("other.json", b'{"a": 1}', ["is not a mesolog export"]),
        ("broken.xlsx", b"not a zip", ["is not a readable .xlsx workbook"]),
    ],
)
def test_files_that_are_not_records_are_refused(
    run, data_dir: Path, tmp_path: Path, name: str, content: bytes, words: list[str]
) -> None:
    path = tmp_path / "in" / name
    path.parent.mkdir()
    path.write_bytes(content)
    _refused(run, data_dir, path, 1, *words)


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        (
            'Batch = "lot"',
            'Batch = "batch_no"',
            ["column 'Batch'", "'batch_no'", "use one of patient"],
        ),
        ("[values.technique]", "[values.gun]", ["[values.gun]", "name a mesolog field"]),
        ('Exp = "expiry"', 'Exp = "lot"', ["column 'Exp'", "column 'Batch' maps to it already"]),
        ('"Client ID" = "patient"', '"Client ID" = ""', ["a column must map to 'patient'"]),
    ],
)
def test_a_map_naming_an_unknown_field_is_refused(
    run, data_dir: Path, visits: Path, old: str, new: str, words: list[str]
) -> None:
    mapped(visits)
    where = visits.with_name("visits.csv.map.toml")
    assert old in where.read_text()
    where.write_text(where.read_text().replace(old, new))
    _refused(run, data_dir, visits, 2, *words)


def _with_row(visits: Path, *rows: str) -> Path:
    mapped(visits)
    with visits.open("a") as handle:
        handle.write("".join(r + "\n" for r in rows))
    return visits


def test_a_date_not_matching_date_format_is_rejected(run, data_dir: Path, visits: Path) -> None:
    _with_row(visits, "C-104,Eva,2026.12.01,face,biotin,1ml,B1,,1.5,Pistol,none,,")
    said = _refused(
        run,
        data_dir,
        visits,
        1,
        "row 9, date",
        "does not match date_format '%d/%m/%Y'",
        "1 row was rejected",
    )
    assert "Would import" not in said or "nothing was written" in said


def test_a_day_that_does_not_exist_is_rejected_as_such(run, data_dir: Path, visits: Path) -> None:
    _with_row(visits, "C-104,Eva,30/02/2026,face,biotin,1ml,B1,,1.5,Pistol,none,,")
    said = _refused(run, data_dir, visits, 1, "row 9, date", "there is no such day")
    assert "does not match" not in said


def test_a_future_date_is_rejected(run, data_dir: Path, visits: Path) -> None:
    later = (TODAY + timedelta(days=3)).strftime("%d/%m/%Y")
    _with_row(visits, f"C-104,Eva,{later},face,biotin,1ml,B1,,1.5,Pistol,none,,")
    _refused(run, data_dir, visits, 1, "row 9, date", "it is in the future")


def test_an_existing_patient_with_another_name_is_rejected(
    run, data_dir: Path, visits: Path
) -> None:
    mapped(visits)
    text = visits.read_text().replace("C-103,Tom Berg", "C-101,Tom Berg")
    visits.write_text(text)
    _refused(
        run,
        data_dir,
        visits,
        1,
        "row 8, name",
        "patient C-101 is 'Lucía Gómez' in the chart but 'Tom Berg' in the file",
    )


def test_duplicate_rows_inside_the_file_are_rejected(run, data_dir: Path, visits: Path) -> None:
    _with_row(
        visits,
        "C-103,Tom Berg,21/10/2026,scalp,Minoxidil 0.5%,2ml,MX2409,30/06/2027,1.5,Pistol,none,,",
    )
    _refused(run, data_dir, visits, 1, "row 9: the same as row 8 (a duplicate)")


def test_dry_run_with_rejections_exits_1_and_skip_rejected_imports_the_rest(
    run, missing_data_dir: Path, visits: Path
) -> None:
    data_dir = missing_data_dir  # never initialised: a dry run creates nothing
    _with_row(visits, "C-104,Eva,31/02/2026,face,biotin,1ml,B1,,1.5,Pistol,none,,")
    dry = run("import", str(visits), expect=1)
    assert "7 accepted, 1 rejected" in dry.stdout and not data_dir.exists()
    run("init")
    applied = run("import", str(visits), "--apply", "--skip-rejected")
    assert "Imported 5 sessions into 3 charts" in applied.stdout
    assert sorted(p.stem for p in (data_dir / "patients").iterdir()) == ["C-101", "C-102", "C-103"]


def test_import_in_a_real_process(tmp_path: Path, visits: Path) -> None:
    mapped(visits)
    refused = mesolog_process("--data-dir", str(tmp_path / "d"), "import", str(visits), "--apply")
    assert refused.returncode == 1 and "create one with `mesolog init`" in refused.stderr
    assert not (tmp_path / "d").exists()  # a mistyped folder never becomes a second clinic
    assert mesolog_process("--data-dir", str(tmp_path / "d"), "init").returncode == 0
    result = mesolog_process("--data-dir", str(tmp_path / "d"), "import", str(visits), "--apply")
    assert result.returncode == 0, result.stderr
    assert "Imported 5 sessions" in result.stdout


# --- pure parts ---------------------------------------------------------------------------------


def test_header_guesses_and_date_formats() -> None:
    from mesolog.model.import_map import DateGuess, guess_field

    def date_format(*samples: str) -> str:
        """What a first map writes: the first format that reads every date of the column."""
        guess = DateGuess()
        for sample in samples:
            guess.feed(sample)
        return guess.format

    assert guess_field("Visit date") == "date"
    assert guess_field("Lot No.") == "lot"
    assert guess_field("measure_waist_cm") == "measure_waist_cm"
    assert guess_field("Favourite colour") is None
    assert date_format("31/12/2025", "01/02/2026") == "%d/%m/%Y"
    assert date_format("12/31/2025") == "%m/%d/%Y"
    assert date_format("2025-12-31") == "%Y-%m-%d"


def test_every_session_field_is_exported_or_deliberately_left_out() -> None:
    """SESSION_COLUMNS is the documented column order; a new Session field must become a column
    (and be read back by import) or be named in NOT_EXPORTED with the reason."""
    from dataclasses import fields

    from mesolog.model.exchange import (
        EXPORTED_APART,
        FIELD_OF_COLUMN,
        NOT_EXPORTED,
        SESSION_COLUMNS,
    )
    from mesolog.model.records import Session

    columns = {FIELD_OF_COLUMN.get(c, c) for c in SESSION_COLUMNS}
    names = [f.name for f in fields(Session)]
    for name in names:
        placed = [name in columns, name in EXPORTED_APART, name in NOT_EXPORTED]
        assert placed.count(True) == 1, f"Session.{name}: a CSV column, or NOT_EXPORTED and why?"
    assert columns <= set(names) and len(columns) == len(SESSION_COLUMNS)


def test_complication_cells_read_back_as_the_same_complication() -> None:
    from mesolog.model import complication
    from mesolog.model.exchange import complication_spec
    from mesolog.model.records import Complication

    item = Complication(
        "bruising", "moderate", date(2026, 1, 2), date(2026, 1, 9), "resolved", "patient"
    )
    assert complication(complication_spec(item))[0] == item


def test_route_follows_depth_and_method() -> None:
    from datetime import datetime

    from mesolog.model import Session
    from mesolog.render.fhir import route

    def at(depth: float, method: str | None = None) -> str:
        session = Session(
            1,
            date(2026, 1, 1),
            datetime(2026, 1, 1),
            ("face",),
            "gun",
            depth,
            "none",
            (),
            method=method,
        )
        return str(route(session)["coding"][0]["code"])

    assert at(1.5) == at(4.0) == "372464004"
    assert at(6.0) == at(2.0, "depot") == "34206005"


def test_blank_rows_keep_the_row_numbers_a_spreadsheet_shows(
    run, data_dir: Path, visits: Path
) -> None:
    mapped(visits)
    lines = visits.read_text().splitlines()
    visits.write_text("\n".join([*lines[:3], ",,,,,,,,,,,,", *lines[3:]]) + "\n")
    run("import", str(visits), "--apply")
    chart = tomllib.loads((data_dir / "patients" / "C-101.toml").read_text())
    assert [s["source"] for s in chart["sessions"]] == ["visits.csv#row=2", "visits.csv#row=5"]


def test_spreadsheet_rows_of_any_chart_import_back_to_the_same_sessions(
    run, tmp_path: Path
) -> None:
    """The round trip through the program: charts on disk -> ``export --format csv`` (either
    form, inert cells) -> ``import --apply`` into an empty folder -> the same sessions."""
    import tempfile
    from datetime import datetime

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from mesolog.model import Chart, Complication, Patient, Session, Substance
    from mesolog.model import vocabulary as vocab
    from mesolog.store.clinic import Clinic
    from mesolog.store.codec import encode_chart

    moment = datetime(2026, 1, 1, 9)
    days = st.dates(date(2015, 1, 1), TODAY)
    text = st.text(
        st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=15
    ).filter(lambda s: s == s.strip() and ";" not in s and ":" not in s)
    name = st.sampled_from(sorted(vocab.SUBSTANCES))
    substance = st.builds(
        lambda n, amount, unit, lot, expiry: Substance(
            n, amount, unit, vocab.SUBSTANCES[n], vocab.concentration_of(n), lot, expiry
        ),
        name,
        st.floats(0.01, 50),
        st.sampled_from(vocab.UNITS),
        st.none() | text.filter(lambda s: "," not in s),
        st.none() | days,
    )  # add refuses "," in a lot
    session = st.builds(
        Session,
        id=st.integers(1, 50),
        date=days,
        recorded=st.just(moment),
        areas=st.lists(
            st.sampled_from(sorted(vocab.AREAS)), min_size=1, max_size=3, unique=True
        ).map(tuple),
        technique=st.sampled_from(vocab.TECHNIQUES),
        depth_mm=st.floats(0.1, 13),
        anaesthetic=st.sampled_from(["none", "topical cream", "local injection"]),
        # The same product may be given twice in one session (two vials): rows stay apart.
        substances=st.tuples(st.lists(substance, min_size=1, max_size=2), st.booleans()).map(
            lambda given: tuple(given[0] + given[0][:1] if given[1] else given[0])
        ),
        practitioner=st.sampled_from(["", "Dr. A"]),
        notes=st.just("") | text,
        complications=st.lists(
            st.builds(
                Complication,
                name=st.sampled_from(sorted(vocab.COMPLICATIONS)),
                severity=st.none() | st.sampled_from(vocab.SEVERITIES),
            ),
            max_size=2,
        ).map(tuple),
        measurements=st.dictionaries(
            st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True), st.floats(-1e6, 1e6), max_size=2
        ),
    )
    chart = st.builds(
        Chart,
        patient=st.builds(
            Patient,
            id=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,8}", fullmatch=True),
            created=st.just(moment),
            name=st.none() | text,
        ),
        sessions=st.lists(session, min_size=1, max_size=3, unique_by=lambda s: s.id).map(tuple),
    )
    keep = (
        "date",
        "areas",
        "technique",
        "depth_mm",
        "anaesthetic",
        "substances",
        "practitioner",
        "notes",
        "complications",
        "measurements",
    )

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.lists(chart, min_size=1, max_size=2, unique_by=lambda c: c.patient.id.lower()),
        st.booleans(),
    )
    def check(charts: list[Chart], long: bool) -> None:
        source, target = (Path(tempfile.mkdtemp(dir=tmp_path)) for _ in range(2))
        (source / "patients").mkdir()
        for chart in charts:
            (source / "patients" / f"{chart.patient.id}.toml").write_text(encode_chart(chart))
        per = ["--per", "substance"] if long else []
        exported = run("--data-dir", str(source), "export", "--format", "csv", *per).stdout
        sheet = tmp_path / "f.csv"
        sheet.write_text(exported, encoding="utf-8", newline="")
        run("--data-dir", str(target), "import", str(sheet), "--apply")
        assert not sheet.with_name("f.csv.map.toml").exists()  # read as mesolog's own columns
        for original in charts:
            imported = Clinic(target).load(original.patient.id)
            assert imported.patient.name == original.patient.name
            assert [{k: getattr(s, k) for k in keep} for s in imported.sessions] == [
                {k: getattr(s, k) for k in keep} for s in original.sessions
            ]

    check()


def test_import_into_a_schema_1_chart_upgrades_it_and_keeps_hand_edits(
    run, data_dir: Path, visits: Path
) -> None:
    mapped(visits)
    (data_dir / "patients").mkdir(parents=True)
    chart = data_dir / "patients" / "C-103.toml"
    chart.write_text(
        '# typed by hand: keep me\nschema = 1\n\n[patient]\nid = "C-103"\n'
        'created = 2026-01-01T09:00:00+01:00\nname = "Tom Berg"\n'
    )
    run("import", str(visits), "--apply", "--new-patient", "C-101,C-102")
    text = chart.read_text()
    assert "# typed by hand: keep me" in text and "schema = 2" in text
    session = tomllib.loads(text)["sessions"][0]
    assert session["uid"] and session["source"] == "visits.csv#row=8"
    run("check")


def test_a_course_the_chart_has_is_kept_and_another_is_said(
    run, patient: Path, tmp_path: Path
) -> None:
    sheet = tmp_path / "own.csv"
    sheet.write_text(
        "patient,date,areas,substance,amount,lot,depth_mm,technique,anaesthetic,course\n"
        "P-0042,2026-11-02,scalp,minoxidil,2ml,M1,1.5,gun,none,HAIR-2026\n"
        "P-0042,2026-11-16,scalp,minoxidil,2ml,M1,1.5,gun,none,face-2025\n"
    )
    result = run("import", str(sheet), "--apply")
    assert (
        "row 3: course 'face-2025' is not in P-0042's chart: recorded in the current course "
        "'hair-2026'"
    ) in result.stdout
    sessions = tomllib.loads(patient.read_text())["sessions"]
    assert [s["course"] for s in sessions] == ["hair-2026", "hair-2026"]


def test_fhir_codes_an_area_by_meaning_so_an_older_catalogue_name_keeps_its_code(
    run, patient: Path
) -> None:
    """Charts recorded when the catalogue called the abdomen "stomach" keep the SNOMED code."""
    run(
        "add",
        "P-0042",
        "--date",
        "2026-11-02",
        "--area",
        "stomach",
        "--substance",
        "HA:1ml:LOT A1",
        "--depth",
        "1.5",
        "--technique",
        "gun",
        "--anaesthetic",
        "none",
        "--no-input",
    )
    bundle = json.loads(run("export", "P-0042", "--format", "fhir").stdout)
    sites = [s for p in resources(bundle, "Procedure") for s in p["bodySite"]]
    assert sites == [
        {
            "coding": [
                {
                    "system": "http://snomed.info/sct",
                    "code": "113345001",
                    "display": "Abdominal structure",
                }
            ],
            "text": "stomach",
        }
    ]
