"""FHIR item ids stay with the administration they name (docs/exports.md, "Item keys").

Through the real CLI on real data folders: export, amend, export again, and compare the
Bundles. And the ids of charts nobody corrected are the ones earlier versions exported: their
fingerprints (the sorted request lines of the whole Bundle) were recorded with the code before
item keys were kept in the chart, for the demo clinic and for a generated one.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import random
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from mesolog.model.identity import derived_uid
from mesolog.model.itemkeys import substance_keys
from mesolog.model.records import Amendment, Session, Substance
from mesolog.store import encode_chart, write_atomically

ROOT = Path(__file__).resolve().parent.parent
# A fixed identity and secret, so the ids are the same on every machine and every day.
CLINIC_TOML = 'id = "6f1c1f5e-3d1a-4c57-9a57-2b0e8f6a2c11"\nsecret = "' + "5a" * 32 + '"\n'
# Fingerprints of the Bundles exported before item keys were kept (recorded with that code).
DEMO_FINGERPRINT = "281f444b9fa798f1c9d37469d04b7766f1fc731fd03ba18032ed67af1c53c818"
GENERATED_FINGERPRINT = "32b219b97301f48e0e29cb70acaaedff686f3be3fd3ea9868cde7c8fae6eba7d"


def requests(bundle: dict[str, Any]) -> list[str]:
    return sorted(f"{e['request']['method']} {e['request']['url']}" for e in bundle["entry"])


def fingerprint(bundle: dict[str, Any]) -> str:
    return hashlib.sha256("\n".join(requests(bundle)).encode()).hexdigest()


def export(run: Any) -> dict[str, Any]:
    return json.loads(run("export", "--format", "fhir").stdout)


def generated_clinic(folder: Path) -> None:
    """Twelve charts of the benchmark's generator, with fixed dates, some sessions given two
    vials of one product (the keys ``name#2``)."""
    spec = importlib.util.spec_from_file_location(
        "synthetic_clinic", ROOT / "benchmarks" / "synthetic_clinic.py"
    )
    assert spec and spec.loader
    synthetic = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(synthetic)
    rng = random.Random(11)
    (folder / "patients").mkdir(exist_ok=True)
    for n in range(12):
        chart = synthetic.chart(n, 6, rng, date(2026, 6, 1))
        sessions = tuple(
            replace(s, substances=(*s.substances, s.substances[0])) if i % 3 == 0 else s
            for i, s in enumerate(chart.sessions)
        )
        chart = replace(chart, sessions=sessions)
        write_atomically(folder / "patients" / f"{chart.patient.id}.toml", encode_chart(chart))


def test_ids_of_the_demo_clinic_are_those_exported_before(run: Any, data_dir: Path) -> None:
    shutil.copytree(ROOT / "examples" / "clinic", data_dir, dirs_exist_ok=True)
    (data_dir / "clinic.toml").write_text(CLINIC_TOML)
    assert fingerprint(export(run)) == DEMO_FINGERPRINT


def test_ids_of_a_generated_clinic_are_those_exported_before(run: Any, data_dir: Path) -> None:
    generated_clinic(data_dir)
    (data_dir / "clinic.toml").write_text(CLINIC_TOML)
    assert fingerprint(export(run)) == GENERATED_FINGERPRINT


# --- through the CLI: export, correct, export again ------------------------------------------


def administrations(bundle: dict[str, Any]) -> dict[str, tuple[str, str | None, float]]:
    """Each MedicationAdministration PUT: id -> (product, lot, amount)."""
    found = {}
    for entry in bundle["entry"]:
        resource = entry.get("resource") or {}
        if resource.get("resourceType") != "MedicationAdministration":
            continue
        medication = resource["contained"][0]
        lot = medication.get("batch", {}).get("lotNumber")
        amount = resource["dosage"]["dose"]["value"]
        found[resource["id"]] = (medication["code"]["text"], lot, amount)
    return found


def deleted(bundle: dict[str, Any]) -> set[str]:
    return {
        e["request"]["url"].split("/")[1]
        for e in bundle["entry"]
        if e["request"]["method"] == "DELETE"
        and e["request"]["url"].startswith("MedicationAdministration/")
    }


def id_of(bundle: dict[str, Any], lot: str) -> str:
    (found,) = [rid for rid, (_, held, _) in administrations(bundle).items() if held == lot]
    return found


def two_caffeine_vials(run: Any) -> dict[str, Any]:
    run("patient", "new", "P-1")
    run(
        "add", "P-1", "--area", "abdomen", "--substance", "caffeine:2ml:LOT CF-1",
        "--substance", "caffeine:1ml:LOT CF-2", "--substance", "DCA:1ml:LOT D1",
        "--depth", "6", "--technique", "gun", "--anaesthetic", "none",
        "--date", "2026-11-02", "--no-input",
    )  # fmt: skip
    return export(run)


def amend(run: Any, *args: str) -> None:
    run("amend", "P-1", "1", *args, "--reason", "corrected")


def test_taking_off_the_first_vial_moves_no_other_id(run: Any, data_dir: Path) -> None:
    before = two_caffeine_vials(run)
    first, second, dca = (id_of(before, lot) for lot in ("CF-1", "CF-2", "D1"))
    amend(run, "--remove-substance", "#1")
    after = export(run)
    held = administrations(after)
    assert held[second][1] == "CF-2" and held[dca][1] == "D1"
    assert first not in held and first in deleted(after)
    assert second not in deleted(after) and dca not in deleted(after)
    # And again: nothing moves with a second export of the same chart.
    assert administrations(export(run)) == held


def test_a_name_corrected_to_the_same_meaning_keeps_its_id(run: Any, data_dir: Path) -> None:
    before = two_caffeine_vials(run)
    dca = id_of(before, "D1")
    amend(run, "--remove-substance", "#1")
    amend(run, "--substance", "deoxycholate:1ml")
    after = export(run)
    assert administrations(after)[dca] == ("deoxycholate", "D1", 1.0)
    assert dca not in deleted(after)


def test_an_amount_or_lot_corrected_keeps_its_id(run: Any, data_dir: Path) -> None:
    before = two_caffeine_vials(run)
    second = id_of(before, "CF-2")
    amend(run, "--substance", "#2=caffeine:1.5ml:LOT CF-9")
    after = export(run)
    assert administrations(after)[second] == ("caffeine", "CF-9", 1.5)
    assert set(administrations(after)) == set(administrations(before))
    assert not deleted(after) & set(administrations(after))


def test_another_product_in_place_is_another_id(run: Any, data_dir: Path) -> None:
    before = two_caffeine_vials(run)
    first = id_of(before, "CF-1")
    amend(run, "--substance", "#1=biotin:1ml:LOT B1")
    after = export(run)
    assert first in deleted(after) and first not in administrations(after)
    assert id_of(after, "B1") not in administrations(before)


def test_a_vial_added_after_one_taken_off_never_takes_an_old_id(run: Any, data_dir: Path) -> None:
    """Every id a receiver ever held names one administration: a new vial of the same product
    gets an id no export gave before, and the ids taken off stay deleted."""
    seen = administrations(two_caffeine_vials(run))
    for step in (
        ["--remove-substance", "#2"],
        ["--substance", "#3=caffeine:3ml:LOT CF-3"],
        ["--remove-substance", "#1"],
        ["--substance", "#3=caffeine:1ml:LOT CF-4"],
    ):
        amend(run, *step)
        bundle = export(run)
        now = administrations(bundle)
        for rid, content in now.items():
            old = seen.get(rid)
            assert old is None or old[1] == content[1], (rid, old, content)
        gone = set(seen) - set(now)
        assert gone <= deleted(bundle)
        seen.update(now)
    assert sorted(lot for _, lot, _ in now.values()) == ["CF-3", "CF-4", "D1"]


def test_the_keys_are_kept_in_the_chart_and_by_a_json_copy(
    run: Any, data_dir: Path, tmp_path: Path, monkeypatch: Any
) -> None:
    two_caffeine_vials(run)
    amend(run, "--remove-substance", "#1")
    chart = (data_dir / "patients" / "P-1.toml").read_text()
    assert 'key = "caffeine#2"' in chart and 'key = "dca#1"' in chart
    ids = set(administrations(export(run)))
    copy = tmp_path / "clinic.json"
    copy.write_text(run("export", "--format", "json").stdout)
    restored = tmp_path / "restored"
    restored.mkdir(mode=0o700)
    monkeypatch.setenv("MESOLOG_DATA_DIR", str(restored))
    run("import", str(copy), "--apply")
    assert set(administrations(export(run))) == ids
