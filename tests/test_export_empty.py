"""No empty text leaves the clinic: a session with no note, an imported row with a blank notes
cell, exported in every format (docs/exports.md, "Nothing recorded")."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from tests.test_exchange import validate

HEADER = "patient,date,areas,technique,depth_mm,anaesthetic,substance,amount,unit,lot,notes\n"


def _imported(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Two patients from a sheet whose notes cells are blank (one row says nothing at all)."""
    sheet = tmp_path / "in" / "visits.csv"
    sheet.parent.mkdir()
    sheet.write_text(
        HEADER
        + "P-0100,2026-03-02,scalp,gun,1.5,none,biotin,1,ml,B553,\n"
        + "P-0101,2026-03-03,face,hand,1.0,none,hyaluronic acid,0.5,ml,A17,   \n"
    )
    run("import", str(sheet), "--new-patient", "P-0100,P-0101")
    run("import", str(sheet), "--apply", "--new-patient", "P-0100,P-0101")


def _empties(value: Any, at: str = "") -> list[str]:
    """Where ``value`` holds an empty string, list or object."""
    if isinstance(value, str):
        return [at] if value.strip() == "" else []
    if isinstance(value, list):
        here = [at] if not value else []
        return here + [p for n, v in enumerate(value) for p in _empties(v, f"{at}[{n}]")]
    if isinstance(value, dict):
        here = [at] if not value else []
        return here + [p for k, v in value.items() for p in _empties(v, f"{at}.{k}")]
    return []


def test_fhir_carries_no_empty_note_text_or_annotation(run, data_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _imported(run, tmp_path)
    run(
        "add",
        "P-0100",
        "--date",
        "2026-03-20",
        "--area",
        "scalp",
        "--depth",
        "1.5",
        "--technique",
        "gun",
        "--anaesthetic",
        "none",
        "--substance",
        "biotin:1ml",
        "--no-input",
    )
    bundle = json.loads(run("export", "--format", "fhir").stdout)
    procedures = [
        e["resource"]
        for e in bundle["entry"]
        if e.get("resource", {}).get("resourceType") == "Procedure"
    ]
    assert len(procedures) == 3
    assert _empties(bundle) == []
    validate(bundle)


def test_fhir_ndjson_carries_no_empty_text(run, data_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _imported(run, tmp_path)
    out = tmp_path / "bulk"
    run("export", "--format", "fhir-ndjson", "--output", str(out))
    lines = [
        json.loads(line)
        for f in sorted(out.glob("*.ndjson"))
        for line in f.read_text().splitlines()
    ]
    assert any(r["resourceType"] == "Procedure" for r in lines)
    assert [(r["resourceType"], p) for r in lines for p in _empties(r)] == []


def test_json_keeps_its_shape_a_text_with_nothing_recorded_is_an_empty_string(
    run, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _imported(run, tmp_path)
    copy = json.loads(run("export", "--format", "json").stdout)
    sessions = [s for c in copy["charts"] for s in c["sessions"]]
    assert len(sessions) == 2
    assert [s["notes"] for s in sessions] == ["", ""]


def test_csv_leaves_a_cell_of_nothing_recorded_empty(run, data_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _imported(run, tmp_path)
    rows = list(csv.DictReader(io.StringIO(run("export", "--format", "csv").stdout)))
    assert len(rows) == 2
    assert [r["notes"] for r in rows] == ["", ""]


def test_fhir_leaves_out_every_text_a_hand_edited_chart_holds_empty(run, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """A chart edited by hand to hold "" wherever a text may be empty: no empty element."""
    run("patient", "new", "P-0100", "--name", "Ana Ruiz")
    run(
        "add",
        "P-0100",
        "--date",
        "2026-03-20",
        "--area",
        "scalp",
        "--depth",
        "1.5",
        "--technique",
        "gun",
        "--anaesthetic",
        "none",
        "--substance",
        "biotin:1ml:LOT B1",
        "--no-input",
    )
    chart = data_dir / "patients" / "P-0100.toml"
    text = chart.read_text()
    assert 'notes = ""\n' in text and 'lot = "B1"' in text
    text = text.replace('notes = ""\n', 'notes = ""\nconsent = ""\nindication = ""\ncourse = ""\n')
    text = text.replace('lot = "B1"', 'lot = ""').replace(
        'name = "Ana Ruiz"', 'name = ""\nphone = ""\nemail = ""'
    )
    chart.write_text(text)
    bundle = json.loads(run("export", "--format", "fhir").stdout)
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds.count("Procedure") == kinds.count("MedicationAdministration") == 1
    assert _empties(bundle) == []
    validate(bundle)
