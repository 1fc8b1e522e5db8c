"""The injection map as data: `--zone AREA/ZONE[:POINTS][:AMOUNT]` on add, amend and the
prompts, stored per session, matched by meaning, shown in the report, found by `find --zone`,
exported (CSV, JSON, FHIR), drawn on the summary page. The real CLI on a real data folder."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
from conftest import snapshot

BASE = [
    "--date",
    "2026-11-02",
    "--substance",
    "dutasteride 0.01%:1ml:LOT D2411",
    "--depth",
    "1.5",
    "--technique",
    "gun",
    "--anaesthetic",
    "none",
]


def sessions(path: Path) -> list[dict]:  # type: ignore[type-arg]
    return tomllib.loads(path.read_text())["sessions"]


@pytest.fixture
def mapped(run, patient: Path) -> Path:  # type: ignore[no-untyped-def]
    run(
        "add",
        "P-0042",
        "--area",
        "hair",
        *BASE,
        "--zone",
        "scalp/crown:40:1.5ml",
        "--zone",
        "scalp/frontal:20",
        "--zone",
        "hair/Left-Temporal:10:0.5",
    )
    return patient


def test_zones_are_stored_as_typed(mapped: Path) -> None:
    assert sessions(mapped)[0]["zones"] == [
        {"area": "scalp", "zone": "crown", "points": 40, "amount": 1.5},
        {"area": "scalp", "zone": "frontal", "points": 20},
        {"area": "hair", "zone": "Left-Temporal", "points": 10, "amount": 0.5},
    ]
    assert "[[sessions.zones]]" in mapped.read_text()


def test_the_report_has_one_line_per_session_at_80_columns(
    run, mapped: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    run(
        "add",
        "P-0042",
        "--area",
        "scalp",
        *BASE[:0],
        "--date",
        "2026-11-16",
        *BASE[2:],
        "--zone",
        "scalp/vertex:35",
    )
    monkeypatch.setenv("COLUMNS", "80")
    out = run("report", "P-0042").stdout
    lines = [line.rstrip() for line in out.splitlines()]
    first = lines.index("Injection map (points/ml per zone)") + 1
    assert lines[first] == "#1  scalp: crown 40/1.5, frontal 20; hair: Left-Temporal 10/0.5"
    assert lines[first + 1] == "#2  scalp: vertex 35"
    assert all(len(line) <= 80 for line in lines)
    data = json.loads(run("report", "P-0042", "--format", "json").stdout)
    assert data["sessions"][0]["zones"][0] == {
        "area": "scalp",
        "zone": "crown",
        "points": 40,
        "amount": 1.5,
    }


def test_find_zone_matches_by_meaning(run, mapped: Path) -> None:  # type: ignore[no-untyped-def]
    run("patient", "new", "P-0043")
    run("add", "P-0043", "--area", "scalp", *BASE, "--zone", "scalp/occipital:12")
    for query in ("scalp/vertex", "hair/crown", "vertex", "Crown"):
        found = run("find", "--zone", query, "--format", "csv").stdout
        assert "P-0042" in found and "P-0043" not in found, query
    assert "P-0043" in run("find", "--zone", "occiput", "--format", "csv").stdout
    assert "P-0042" in run("find", "--zone", "temporal left", "--format", "csv").stdout
    assert "P-0042" not in run("find", "--zone", "face/forehead", "--format", "csv").stdout


def test_amend_replaces_the_zones_with_a_trail(run, mapped: Path) -> None:  # type: ignore[no-untyped-def]
    run("amend", "P-0042", "1", "--zone", "scalp/vertex:45:2", "--reason", "counted again")
    session = sessions(mapped)[0]
    assert session["zones"] == [{"area": "scalp", "zone": "vertex", "points": 45, "amount": 2.0}]
    change = session["amendments"][-1]["changes"][0]
    assert change.startswith("zones: scalp/crown 40 pts 1.5 ml, scalp/frontal 20 pts")
    assert change.endswith("-> scalp/vertex 45 pts 2 ml")


def test_like_last_copies_the_zones_of_the_areas_kept(run, mapped: Path) -> None:  # type: ignore[no-untyped-def]
    run("add", "P-0042", "--like-last", "--date", "2026-11-16")
    assert sessions(mapped)[1]["zones"] == sessions(mapped)[0]["zones"]
    run("add", "P-0042", "--like-last", "--date", "2026-11-30", "--area", "face")
    assert "zones" not in sessions(mapped)[2]


@pytest.mark.parametrize(
    ("zone", "words"),
    [
        (
            "scalp/vrtex:40",
            "did you mean vertex? the zones of scalp are frontal, mid-scalp, vertex, temporal left, temporal right, occipital",
        ),
        ("scalp/temporal:10", "did you mean temporal left or temporal right?"),
        ("knees/inner:4", "the catalogue has zones for scalp, face"),
        ("face/forehead:10", "the session's areas are scalp; add --area face or correct the zone"),
        ("scalp/vertex:0", "the points are a whole number from 1 to 10000"),
        ("scalp/vertex:10001", "the points are a whole number from 1 to 10000"),
        ("scalp/vertex:many", "the points are a whole number from 1 to 10000"),
        ("scalp/vertex:40:0", "the amount is in ml, more than 0 and at most 20"),
        ("scalp/vertex:40:25ml", "the amount is in ml, more than 0 and at most 20"),
        ("scalp/vertex:40:2mg", "the amount is in ml"),
        ("vertex:40", "give AREA/ZONE[:POINTS][:AMOUNT]"),
        ("scalp/vertex:1:2:3", "give AREA/ZONE[:POINTS][:AMOUNT]"),
    ],
)
def test_a_bad_zone_is_one_sentence_and_nothing_is_written(
    run, patient: Path, data_dir: Path, zone: str, words: str
) -> None:  # type: ignore[no-untyped-def]
    before = snapshot(data_dir)
    said = run("add", "P-0042", "--area", "scalp", *BASE, "--zone", zone, "--no-input", expect=2)
    message = " ".join(said.stderr.split())
    assert words in message, message
    assert message.count("\n") <= 1 and "Traceback" not in said.stderr
    assert snapshot(data_dir) == before


def test_a_zone_given_twice_is_refused(run, patient: Path, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    before = snapshot(data_dir)
    said = run(
        "add",
        "P-0042",
        "--area",
        "scalp",
        *BASE,
        "--zone",
        "scalp/vertex:10",
        "--zone",
        "scalp/crown:20",
        expect=2,
    )
    assert "scalp/vertex:10 names the same zone; give each zone once" in said.stderr
    assert snapshot(data_dir) == before


def test_a_bad_zone_on_amend_changes_nothing(run, mapped: Path, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    before = snapshot(data_dir)
    said = run("amend", "P-0042", "1", "--zone", "face/chin:3", "--reason", "x", expect=2)
    assert "the session's areas are hair" in said.stderr
    assert snapshot(data_dir) == before


def test_a_clinic_adds_its_own_zones(run, patient: Path, config_file: Path) -> None:  # type: ignore[no-untyped-def]
    run("add", "P-0042", "--area", "scalp", *BASE, "--zone", "scalp/parietal left:8", expect=2)
    config_file.write_text('zones = ["scalp/parietal left"]\n')
    run("add", "P-0042", "--area", "scalp", *BASE, "--zone", "scalp/Left Parietal:8")
    assert sessions(patient)[0]["zones"][0]["zone"] == "Left Parietal"


def test_csv_export_imports_back_with_the_zones(run, mapped: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = run("export", "--format", "csv").stdout
    header, row = text.splitlines()[:2]
    cell = row.split(",")[header.split(",").index("zones")]
    assert cell == "scalp/crown:40:1.5; scalp/frontal:20; hair/Left-Temporal:10:0.5"
    exported = tmp_path / "out.csv"
    exported.write_text(text)
    other = tmp_path / "other"
    other.mkdir(mode=0o700)
    run("--data-dir", str(other), "import", str(exported), "--apply")
    assert sessions(other / "patients" / "P-0042.toml")[0]["zones"] == sessions(mapped)[0]["zones"]


def test_a_json_visit_naming_two_zones_imports_both(run, data_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A JSON list of visits gives its zones as a list; every zone of it is kept."""
    visit = {
        "patient": "Z-1",
        "date": "2026-11-03",
        "areas": ["scalp"],
        "technique": "gun",
        "depth_mm": 1.5,
        "anaesthetic": "none",
        "zones": ["scalp/frontal:40", "scalp/crown:20:1.5"],
        "products": [{"substance": "biotin", "amount": 1, "unit": "ml", "lot": "B1"}],
    }
    visits = tmp_path / "visits.json"
    visits.write_text(json.dumps([visit]))
    run("import", str(visits), "--apply")
    assert sessions(data_dir / "patients" / "Z-1.toml")[0]["zones"] == [
        {"area": "scalp", "zone": "frontal", "points": 40},
        {"area": "scalp", "zone": "crown", "points": 20, "amount": 1.5},
    ]


def test_fhir_has_a_body_site_per_zone(run, patient: Path) -> None:  # type: ignore[no-untyped-def]
    run(
        "add",
        "P-0042",
        "--area",
        "face, neck",
        *BASE,
        "--zone",
        "face/forehead:12:0.4",
        "--zone",
        "face/cheek left:6",
        "--zone",
        "face/chin:4",
    )
    bundle = json.loads(run("export", "--format", "fhir").stdout)
    procedure = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Procedure"
    )
    sites = procedure["bodySite"]
    assert sites[0] == {
        "coding": [
            {
                "system": "http://snomed.info/sct",
                "code": "52795006",
                "display": "Forehead structure",
            }
        ],
        "text": "face forehead",
    }
    assert sites[1]["coding"][0]["code"] == "60819002" and sites[1]["text"] == "face cheek left"
    assert sites[2] == {
        "coding": [
            {"system": "http://snomed.info/sct", "code": "89545001", "display": "Face structure"}
        ],
        "text": "face chin",
    }
    assert sites[3]["text"] == "neck"  # an area without zones keeps its own site
    assert len(sites) == 4
    from fhir.resources.R4B.bundle import Bundle

    Bundle.model_validate(bundle)


def test_the_prompt_offers_the_last_sessions_zones(mapped: Path, data_dir: Path, tmux) -> None:  # type: ignore[no-untyped-def]
    import os
    import shlex
    import sys

    env = " ".join(
        f"{k}={shlex.quote(v)}"
        for k, v in os.environ.items()
        if k.startswith("MESOLOG_") or k == "HOME"
    )
    terminal = tmux(
        f"env {env} {shlex.quote(sys.executable)} -m mesolog add P-0042 --date 2026-11-16; sleep 30"
    )
    answered = 0
    while True:
        screen = terminal.wait(
            lambda s: s.rstrip().endswith(":") or "recorded" in s or "Session 2" in s, "a question"
        )
        if (
            "Zones as AREA/ZONE" in screen.splitlines()[-1]
            or "Zones as AREA/ZONE" in screen.rstrip().splitlines()[-1]
        ):
            assert "scalp/crown:40:1.5; scalp/frontal:20; hair/Left-Temporal:10:0.5" in screen
            terminal.keys("Enter")
            break
        answered += 1
        assert answered < 30, screen
        terminal.keys("Enter")
        terminal.wait(lambda s, before=screen: s != before, "the next question")
    terminal.wait(lambda s: "Complications" in s, "the complications question")
    terminal.keys("Enter")
    terminal.wait(lambda s: "Note (blank for none)" in s, "the last question: a note")
    terminal.keys("Enter")
    terminal.wait(lambda _: len(sessions(mapped)) == 2, "the session written")
    assert sessions(mapped)[1]["zones"] == sessions(mapped)[0]["zones"]


def test_the_map_shows_in_chromium_and_prints_whole(run, patient: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from test_summary import BROWSER_TIMEOUT_S, _headless, _pdftotext

    run(
        "add",
        "P-0042",
        "--area",
        "scalp",
        *BASE,
        "--zone",
        "scalp/vertex:40:1.5",
        "--zone",
        "scalp/frontal:20",
    )
    run(
        "add",
        "P-0042",
        "--area",
        "face, abdomen",
        "--date",
        "2026-11-16",
        *BASE[2:],
        "--zone",
        "face/forehead:12:0.4",
        "--zone",
        "face/chin",
        "--zone",
        "abdomen/periumbilical:30:4",
    )
    page = tmp_path / "summary.html"
    run("summary", "P-0042", "--output", str(page))
    html = page.read_text()
    assert html.count("<svg") >= 3 and "Injection map" in html and "1–8 points" in html
    pdf = tmp_path / "summary.pdf"
    _headless(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    # -raw: the words in the order they were drawn, a zone's label and numbers together.
    text = subprocess.run(
        [_pdftotext(), "-raw", str(pdf), "-"],
        capture_output=True,
        text=True,
        timeout=BROWSER_TIMEOUT_S,
        check=True,
    ).stdout
    flat = re.sub(r"\s+", "", text)
    for words in (
        "vertex40pts1.5ml",
        "frontal20pts",
        "forehead12pts0.4ml",
        "periumbilical30pts4ml",
        "Scalp:session1,2026-11-02",
        "Face:session2,2026-11-16",
        "pointsnotrecorded",
    ):
        assert words in flat, words
    boxes = subprocess.run(
        [_pdftotext(), "-bbox", str(pdf), "-"],
        capture_output=True,
        text=True,
        timeout=BROWSER_TIMEOUT_S,
        check=True,
    ).stdout
    width = float(re.search(r'<page width="([\d.]+)"', boxes).group(1))  # type: ignore[union-attr]
    assert max(float(x) for x in re.findall(r'xMax="([\d.]+)"', boxes)) <= width - 20
    words = re.findall(
        r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">40</word>', boxes
    )
    assert words and all(float(b) - float(a) >= 7 for a, b in words)  # a number 7 pt tall or more


def test_check_names_a_zone_edited_by_hand(run, mapped: Path) -> None:  # type: ignore[no-untyped-def]
    text = mapped.read_text()
    mapped.write_text(
        text.replace('zone = "frontal"', 'zone = "frontl"').replace("points = 20", "points = 0")
    )
    said = run("check", expect=1)
    lines = mapped.read_text().splitlines()
    zone_line = 1 + lines.index('zone = "frontl"')
    points_line = 1 + lines.index("points = 0")
    assert (
        f"{mapped}:{zone_line}: warning: session 1: zone scalp/frontl is not in the catalogue"
        in said.stdout
    )
    assert f"{mapped}:{points_line}: error: session 1: zone points 0 is not allowed" in said.stdout
