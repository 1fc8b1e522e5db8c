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
CLINIC_TOML = (
    'id = "6f1c1f5e-3d1a-4c57-9a57-2b0e8f6a2c11"\n'
    'secret = "' + "5a" * 32 + '"\n'
)
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
