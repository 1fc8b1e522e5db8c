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
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from mesolog.errors import MesologError
from mesolog.model.amendments import describe_changes
from mesolog.model.corrections import corrected_substances
from mesolog.model.itemkeys import former_keys, fresh_keys, keyed, substance_keys
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
    assert 'export_key = "caffeine#2"' in chart and 'export_key = "dca#1"' in chart
    ids = set(administrations(export(run)))
    copy = tmp_path / "clinic.json"
    copy.write_text(run("export", "--format", "json").stdout)
    restored = tmp_path / "restored"
    restored.mkdir(mode=0o700)
    monkeypatch.setenv("MESOLOG_DATA_DIR", str(restored))
    run("import", str(copy), "--apply")
    assert set(administrations(export(run))) == ids


# --- the key functions, pure ----------------------------------------------------------------


def vials(*items: tuple[str, str | None]) -> Session:
    return Session(
        id=1,
        date=date(2026, 11, 2),
        recorded=datetime(2026, 11, 2, 9, tzinfo=UTC),
        areas=("abdomen",),
        technique="gun",
        depth_mm=6.0,
        anaesthetic="none",
        substances=tuple(Substance(name, 1.0, "ml", lot=lot) for name, lot in items),
        uid="00000000-0000-4000-8000-000000000001",
    )


def test_keys_not_written_are_places_by_name_as_every_export_made_them() -> None:
    session = vials(("caffeine", "A"), ("Caffeine", "B"), ("DCA", None), ("Caféine", None))
    assert substance_keys(session) == keyed(s.name for s in session.substances)
    assert substance_keys(session) == ["caffeine#1", "caffeine#2", "dca#1", "cafeine#1"]


def test_written_keys_stand_and_a_place_skips_them() -> None:
    written = vials(("caffeine", "B"), ("caffeine", "C"))
    items = (replace(written.substances[0], export_key="caffeine#2"), written.substances[1])
    assert substance_keys(replace(written, substances=items)) == ["caffeine#2", "caffeine#1"]
    twice = (replace(items[0], export_key="x#1"), replace(items[1], export_key="x#1"))
    assert substance_keys(replace(written, substances=twice)) == ["x#1", "caffeine#1"]


def test_a_product_added_gets_a_key_past_every_place_the_trail_names() -> None:
    session = vials(("caffeine", "A"), ("caffeine", "B"))
    added = Substance("caffeine", 1.0, "ml", lot="C")
    kept = fresh_keys(session, [*(replace(s, export_key=None) for s in session.substances), added])
    assert [s.export_key for s in kept] == ["caffeine#3", "caffeine#4", "caffeine#5"]


STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("remove"), st.integers(1, 4), st.just("")),
        st.tuples(
            st.just("replace"),
            st.integers(1, 5),
            st.sampled_from(["caffeine", "Caffeine", "DCA", "deoxycholate", "biotin"]),
        ),
    ),
    max_size=8,
)


@given(STEPS)
def test_corrections_never_move_a_key_nor_give_one_twice(steps: list[tuple[str, int, str]]) -> None:
    """Any run of corrections: a product no correction named keeps its key, no key is held by
    two products, a key taken off never comes back, and every key taken off is among those
    the trail reads back for a receiver to delete."""
    session = vials(("caffeine", "CF-1"), ("caffeine", "CF-2"), ("DCA", "D1"))
    ever = set(substance_keys(session))
    for n, (kind, number, name) in enumerate(steps):
        typed = [(number, Substance(name, 2.0, "ml", lot=f"L{n}"))] if kind == "replace" else []
        removed = [f"#{number}"] if kind == "remove" else []
        try:
            items, _ = corrected_substances(session, typed, removed)
        except MesologError:
            continue
        before = substance_keys(session)
        new = replace(session, substances=items)
        note = Amendment(datetime(2026, 11, 3, 9, n, tzinfo=UTC), "t", "r")
        new = replace(
            new,
            amendments=(
                *session.amendments,
                replace(note, changes=tuple(describe_changes(session, new))),
            ),
        )
        keys = substance_keys(new)
        assert len(set(keys)) == len(keys)
        untouched = [k for i, k in enumerate(before) if i != number - 1]
        assert set(untouched) <= set(keys)
        assert not (set(keys) - set(before)) & ever  # a new key is new for ever
        ever |= set(keys)
        assert ever - set(keys) <= former_keys(new)[0]
        session = new
