"""The questions a clinic asks across patients: due, lot, find, stats, export."""

from __future__ import annotations

import csv
import io
import json
import tomllib
from datetime import date, timedelta
from pathlib import Path

import pytest

TODAY = date.today()


def ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


@pytest.fixture
def clinic(run, data_dir: Path) -> Path:
    """Five patients built through the CLI: guns bruise more than hands here."""
    start = ago(100)
    run(
        "patient",
        "new",
        "H-1",
        "--name",
        "Hand One",
        "--sessions",
        "6",
        "--interval",
        "14",
        "--indication",
        "cellulite",
        "--start",
        start,
    )
    run(
        "patient",
        "new",
        "G-1",
        "--name",
        "Gun One",
        "--sessions",
        "4",
        "--interval",
        "14",
        "--indication",
        "hair loss",
        "--start",
        start,
    )
    run(
        "patient",
        "new",
        "G-2",
        "--name",
        "Gun Two",
        "--sessions",
        "3",
        "--interval",
        "7",
        "--indication",
        "hair loss",
        "--start",
        start,
    )
    run("patient", "new", "DONE", "--sessions", "3", "--interval", "7", "--start", start)
    run("patient", "new", "FREE", "--name", "No Course")
    common = ["--depth", "1.5", "--anaesthetic", "none", "--practitioner", "Dr. L. Moreau"]
    for n in range(6):  # hand, 6 sessions, one bruise
        run(
            "add",
            "H-1",
            "--date",
            ago(90 - 7 * n),
            "--area",
            "thighs",
            "-s",
            "caffeine:2ml:LOT CF1",
            "--technique",
            "hand",
            *common,
            *(["--complication", "bruising:mild"] if n == 0 else []),
        )
    for n in range(3):  # gun, last session 20 days ago: overdue by 6 days
        run(
            "add",
            "G-1",
            "--date",
            ago(48 - 14 * n),
            "--area",
            "scalp",
            "-s",
            "minoxidil 0.5%:2ml:LOT d2411",
            "--technique",
            "gun",
            *common,
            "--complication",
            "bruising:moderate",
        )
    run(
        "add",
        "G-2",
        "--date",
        ago(3),
        "--area",
        "scalp",
        "-s",
        "dutasteride:1ml:LOT D 2411",
        "--technique",
        "gun",
        "--depth",
        "2",
        "--anaesthetic",
        "topical",
        "--practitioner",
        "Dr. B",
        "--complication",
        "redness",
    )
    for n in range(3):
        run(
            "add",
            "DONE",
            "--date",
            ago(30 - 7 * n),
            "--area",
            "face",
            "-s",
            "hyaluronic acid:1ml:LOT HA1",
            "--technique",
            "hand",
            *common,
        )
    run(
        "add",
        "FREE",
        "--date",
        ago(10),
        "--area",
        "face",
        "-s",
        "hyaluronic acid:1ml:LOT HA1",
        "--technique",
        "hand",
        *common,
    )
    return data_dir


def test_due_lists_overdue_first_and_skips_complete_courses(run, clinic: Path) -> None:
    rows = json.loads(run("due", "--within", "7", "--format", "json").stdout)
    assert [r["patient"] for r in rows] == ["G-1", "G-2"]
    assert rows[0]["days_late"] == 6 and rows[0]["done"] == 3 and rows[0]["planned"] == 4
    assert rows[1]["next_due"] == ago(-4)
    assert [
        r["patient"] for r in json.loads(run("due", "--overdue", "--format", "json").stdout)
    ] == ["G-1"]
    assert [
        r["patient"] for r in json.loads(run("due", "--within", "0", "--format", "json").stdout)
    ] == ["G-1"]
    everyone = [r["patient"] for r in json.loads(run("due", "--all", "--format", "json").stdout)]
    assert everyone == ["G-1", "G-2", "FREE"]  # H-1 and DONE are complete
    table = run("due").stdout
    assert "overdue 6 d" in table and "3/4" in table and "DONE" not in table


def _two_course_patient(run) -> None:  # type: ignore[no-untyped-def]
    """P-1 in three open courses, each overdue: sessions with no --course go to the newest."""
    hair = ["--course", "hair", "--sessions", "3", "--interval", "14", "--start", ago(65)]
    run("patient", "new", "P-1", *hair)
    face = ["--name", "face", "--sessions", "4", "--interval", "21", "--start", ago(64)]
    run("course", "add", "P-1", *face)
    run("course", "add", "P-1", "--name", "neck", "--sessions", "4", "--interval", "21")
    usual = ["--area", "scalp", "-s", "biotin:1ml:LOT B1", "--depth", "1.5"]
    usual += ["--technique", "gun", "--anaesthetic", "none", "--no-input"]
    run("add", "P-1", "--date", ago(61), *usual)
    run("add", "P-1", "--date", ago(60), "--course", "face", *usual)
    run("add", "P-1", "--date", ago(46), *usual)


def test_due_lists_every_open_course_that_is_due(run, clinic: Path) -> None:
    _two_course_patient(run)
    for _ in range(2):  # built from the charts, then answered from the summary cache
        rows = json.loads(run("due", "--overdue", "--format", "json").stdout)
        # G-1's one course is listed as before (its name holds the year: not compared).
        assert [(r["patient"], r["next_due"], r["done"]) for r in rows] == [
            ("P-1", ago(65), 0),
            ("P-1", ago(39), 1),
            ("P-1", ago(25), 2),
            ("G-1", ago(6), 3),
        ]
        assert [r["course"] for r in rows[:3]] == ["hair", "face", "neck"]
    # `patient show` gives each course the same next date.
    shown = run("patient", "show", "P-1").stdout
    assert ago(65) in shown and ago(39) in shown and ago(25) in shown
    table = run("due", "--within", "7").stdout
    assert "Due (3 patients, 5 courses," in table
    listed = list(csv.DictReader(io.StringIO(run("due", "--format", "csv").stdout)))
    assert [r["patient"] for r in listed] == ["P-1", "P-1", "P-1", "G-1", "G-2"]
    assert [r["course"] for r in listed[:3]] == ["hair", "face", "neck"]


def test_a_closed_course_leaves_due_and_the_others_stay(run, clinic: Path) -> None:
    _two_course_patient(run)
    run("course", "close", "P-1", "face", "--status", "stopped", "--reason", "moved away")
    rows = json.loads(run("due", "--overdue", "--format", "json").stdout)
    assert [(r["patient"], r["course"]) for r in rows][:2] == [("P-1", "hair"), ("P-1", "neck")]
    assert [r["patient"] for r in rows] == ["P-1", "P-1", "G-1"]
    for course in ("hair", "neck"):
        run("course", "close", "P-1", course, "--status", "completed", "--reason", "done")
    rows = json.loads(run("due", "--all", "--format", "json").stdout)
    assert "P-1" not in [r["patient"] for r in rows]


def test_lot_recall_matches_ignoring_case_and_spaces(run, clinic: Path) -> None:
    rows = json.loads(run("lot", "D2411", "--format", "json").stdout)
    assert [(r["patient"], r["session"]) for r in rows] == [
        ("G-1", 1),
        ("G-1", 2),
        ("G-1", 3),
        ("G-2", 1),
    ]
    assert (
        rows[-1]["lot"] == "D 2411"
        and rows[-1]["substance"] == "dutasteride"
        and rows[-1]["amount"] == 1.0
    )
    assert rows[0]["areas"] == "scalp" and rows[0]["date"] == ago(48)
    table = run("lot", "d 24 11").stdout
    assert "4 administrations in 4 sessions of 2 patients" in table
    assert json.loads(run("lot", "NOPE", "--format", "json").stdout) == []


def test_lot_includes_voided_sessions_marked(run, clinic: Path) -> None:
    run("void", "G-2", "1", "--reason", "entered for the wrong patient")
    rows = json.loads(run("lot", "d2411", "--format", "json").stdout)
    assert rows[-1]["status"] == "voided"
    assert "1 voided" in run("lot", "d2411").stdout


def test_find_combines_filters(run, clinic: Path) -> None:
    def found(*args: str) -> list[tuple[str, int]]:
        return [
            (r["patient"], r["session"])
            for r in json.loads(run("find", *args, "--format", "json").stdout)
        ]

    assert found("--area", "scalp", "--complication", "bruising") == [
        ("G-1", 1),
        ("G-1", 2),
        ("G-1", 3),
    ]
    assert found("--substance", "minoxidil") == [("G-1", 1), ("G-1", 2), ("G-1", 3)]
    assert found("--technique", "gun", "--practitioner", "dr. b") == [("G-2", 1)]
    assert found("--indication", "hair loss", "--since", ago(20)) == [("G-1", 3), ("G-2", 1)]
    assert found("--area", "face", "--until", ago(20)) == [("DONE", 1), ("DONE", 2)]
    assert found("--complication", "haematoma") == found("--complication", "bruising")
    rows = list(
        csv.DictReader(io.StringIO(run("find", "--area", "face", "--format", "csv").stdout))
    )
    assert len(rows) == 4 and rows[0]["lots"] == "HA1"


def test_stats_answers_gun_versus_hand_bruising(run, clinic: Path) -> None:
    rows = {
        r["group"]: r
        for r in json.loads(run("stats", "--by", "technique", "--format", "json").stdout)
    }
    assert (
        rows["gun"]["sessions"] == 4
        and rows["gun"]["with_complications"] == 4
        and rows["gun"]["rate"] == 1.0
    )
    assert (
        rows["hand"]["sessions"] == 10
        and rows["hand"]["with_complications"] == 1
        and rows["hand"]["rate"] == 0.1
    )
    assert rows["gun"]["too_small"] is True and rows["hand"]["too_small"] is False
    assert rows["gun"]["most_frequent"] == "bruising 3; redness 1"
    table = run("stats", "--by", "technique").stdout
    assert "too few to compare" in table and "██" in table
    # Markdown is read by a person: the yes/no column says its word for yes, never True/False.
    md = run("stats", "--by", "technique", "--format", "markdown").stdout
    lines = md.splitlines()
    column = lines[0].split(" | ").index("too_small")
    cells = {line.split(" | ")[0]: line.split(" | ")[column] for line in lines[2:]}
    assert cells["| gun"] == "too small" and cells["| hand"] == ""
    assert "True" not in md and "False" not in md
    by_sub = {
        r["group"]: r
        for r in json.loads(run("stats", "--by", "substance", "--format", "json").stdout)
    }
    assert set(by_sub) == {"caffeine", "minoxidil", "dutasteride", "hyaluronic acid"}
    depth = json.loads(run("stats", "--by", "depth", "--format", "json").stdout)
    assert {r["group"] for r in depth} == {"1-2 mm", "2-4 mm"}
    for by in ("anaesthetic", "area", "practitioner", "method"):
        assert json.loads(run("stats", "--by", by, "--format", "json").stdout)
    assert "use one of substance" in run("stats", "--by", "colour", expect=2).stderr


def test_export_json_is_the_records_as_stored(run, clinic: Path) -> None:
    exported = json.loads(run("export", "G-2").stdout)["charts"]
    stored = tomllib.loads((clinic / "patients" / "G-2.toml").read_text())
    assert len(exported) == 1
    s_out, s_in = exported[0]["sessions"][0], stored["sessions"][0]
    for key in ("id", "areas", "technique", "depth_mm", "anaesthetic", "practitioner"):
        assert s_out[key] == s_in[key]
    assert s_out["date"] == s_in["date"].isoformat()
    assert len(json.loads(run("export").stdout)["charts"]) == 5


def test_export_csv_one_row_per_substance_given(run, clinic: Path) -> None:
    run(
        "add",
        "FREE",
        "--like-last",
        "-s",
        "vitamin c:1ml:LOT VC1",
        "-s",
        "hyaluronic acid:1ml:LOT HA2",
    )
    rows = list(
        csv.DictReader(
            io.StringIO(run("export", "FREE", "--format", "csv", "--per", "substance").stdout)
        )
    )
    assert [(r["session"], r["substance"], r["lot"]) for r in rows] == [
        ("1", "hyaluronic acid", "HA1"),
        ("2", "vitamin c", "VC1"),
        ("2", "hyaluronic acid", "HA2"),
    ]
    assert rows[1]["areas"] == rows[2]["areas"] == "face"


def test_export_fhir_bundle_structure(run, clinic: Path) -> None:
    run("void", "G-1", "2", "--reason", "duplicate")
    bundle = json.loads(run("export", "--format", "fhir").stdout)
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "transaction"
    urls = [e["fullUrl"] for e in bundle["entry"] if "resource" in e]
    assert len(urls) == len(set(urls)) and all(u.startswith("urn:uuid:") for u in urls)
    by_url = {e["fullUrl"]: e["resource"] for e in bundle["entry"] if "resource" in e}
    kinds = [r["resourceType"] for r in by_url.values()]
    assert (
        kinds.count("Patient") == 5
        and kinds.count("Procedure") == 14
        and kinds.count("MedicationAdministration") == 14
    )

    def resolves(reference: str, kind: str) -> None:
        assert reference in by_url and by_url[reference]["resourceType"] == kind, reference

    for resource in by_url.values():
        kind = resource["resourceType"]
        assert resource["id"]
        if kind == "Procedure":
            assert resource["status"] in ("completed", "entered-in-error")
            resolves(resource["subject"]["reference"], "Patient")
            assert resource["performedDateTime"] and resource["bodySite"]
        if kind == "MedicationAdministration":
            assert resource["status"] in ("completed", "entered-in-error")
            resolves(resource["subject"]["reference"], "Patient")
            resolves(resource["partOf"][0]["reference"], "Procedure")
            assert resource["effectiveDateTime"]
            contained = {f"#{c['id']}": c for c in resource["contained"]}
            medication = contained[resource["medicationReference"]["reference"]]
            assert medication["resourceType"] == "Medication" and medication["batch"]["lotNumber"]
            dosage = resource["dosage"]
            assert dosage["route"]["coding"][0]["code"] == "372464004"
            assert dosage["dose"]["value"] > 0 and dosage["dose"]["unit"] in (
                "mL",
                "mg",
                "ug",
                "[IU]",
                "U",
            )
    voided = [
        r
        for r in by_url.values()
        if r["resourceType"] == "Procedure" and r["status"] == "entered-in-error"
    ]
    assert [v["identifier"][0]["value"] for v in voided] == ["G-1/2"]
    assert voided[0]["statusReason"]["text"] == "duplicate"


def test_clinic_commands_leave_out_a_broken_chart_with_a_warning(run, clinic: Path) -> None:
    (clinic / "patients" / "BROKEN.toml").write_text("schema = [\n")
    # An answer that left a chart out says so in its exit code, stats too: rates
    # without a chart are not the clinic's rates.
    for args in (["due"], ["lot", "HA1"], ["find", "--area", "face"], ["stats"]):
        result = run(*args, expect=1)
        assert "BROKEN left out" in result.stderr
    assert "BROKEN left out" in run("export", expect=1).stderr


def test_config_path_and_show(run, config_file: Path) -> None:
    assert run("config", "path").stdout.strip() == str(config_file)
    assert "(none; defaults in force)" in run("config", "show").stdout
    config_file.write_text('practitioner = "Dr. L. Moreau"\n')
    assert "practitioner: Dr. L. Moreau" in run("config", "show").stdout


def complete(data_dir: Path, words: str) -> list[str]:
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "_MESOLOG_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
        "MESOLOG_DATA_DIR": str(data_dir),
    }
    out = subprocess.run([sys.executable, "-m", "mesolog"], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    return [w for w in out.stdout.split("\n") if w]


def test_shell_completion_of_ids_areas_substances_and_lots(clinic: Path) -> None:
    assert complete(clinic, "mesolog report G-") == ["G-1", "G-2"]
    assert complete(clinic, "mesolog add G-1 --like-last --area sc") == ["scalp"]
    # One lot however it was typed (case and spaces ignored), quoted for bash as one word.
    assert complete(clinic, "mesolog lot D") == ["D\\ 2411"]
    assert "minoxidil\\ 0.5%" in complete(clinic, "mesolog add G-1 --substance mino")
    assert complete(clinic, "mesolog add G-1 --area thi") == ["thighs"]
    assert complete(clinic, "mesolog rep") == ["report"]
