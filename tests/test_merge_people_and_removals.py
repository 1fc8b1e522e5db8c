"""Two merges that must never be silent (docs/chart-merge.md): two different patients opened
under one id on two laptops, and an item one laptop removed while the other changed it.

Real git (a bare remote and two clones, the real CLI and the real merge driver), both orders
of the merge, and a refused sync that changed nothing on disk.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from conftest import Run
from test_merge_items import only_session, settle_both, two_laptops
from test_sharing import Machine, clinic_of, git, private_git

from mesolog.store.merge import merge_chart_texts


@pytest.fixture(autouse=True)
def git_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    private_git(tmp_path, monkeypatch)


def _session(area: str, product: str) -> list[str]:
    return [
        "--date",
        "2026-11-10",
        "--area",
        area,
        "--substance",
        product,
        "--depth",
        "1",
        "--technique",
        "hand",
        "--anaesthetic",
        "none",
        "--no-input",
    ]


def _on_disk(machine: Machine) -> dict[str, bytes]:
    """Every file of the data folder and git's HEAD and branch: what a refusal must not change."""
    files = {
        str(p.relative_to(machine.folder)): p.read_bytes()
        for p in sorted(machine.folder.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(machine.folder).parts
    }
    return files | {"HEAD": git(machine.folder, "rev-parse", "HEAD").encode()}


def _two_people(run: Run, tmp_path: Path, second_name: str, year: str) -> tuple[Machine, Machine]:
    a, b = clinic_of(run, tmp_path, 2)
    a("patient", "new", "P-2", "--name", "Carla Gómez", "--phone", "111")
    a("add", "P-2", *_session("face", "HA:1ml:LOT H1"))
    b("patient", "new", "P-2", "--name", second_name, "--phone", "222", *year.split())
    b("add", "P-2", *_session("abdomen", "DCA:1ml:LOT D1"))
    return a, b


@pytest.mark.parametrize("first", [0, 1])
def test_two_different_patients_under_one_id_are_never_merged(
    run: Run, tmp_path: Path, first: int
) -> None:
    machines = _two_people(run, tmp_path, "Bernd Krause", "--birth-year 1970")
    early, late = machines[first], machines[1 - first]
    # Both orders of the merge refuse, whichever side is ours.
    ours, theirs = early.chart("P-2").decode(), late.chart("P-2").decode()
    for one, other in ((ours, theirs), (theirs, ours)):
        with pytest.raises(Exception, match="two different patients"):
            merge_chart_texts("", one, other, "patients/P-2.toml")
    early("sync")
    before = _on_disk(late)
    refused = late("sync", expect=1)
    said = " ".join(refused.stderr.split())
    assert "P-2 was opened on two laptops for two different patients" in said
    assert '"Carla Gómez"' in said and '"Bernd Krause" (born 1970)' in said
    assert "not merged" in said and "nothing was changed here" in said
    assert "(`mesolog patient rename P-2 NEW-ID`), then sync again" in said
    assert _on_disk(late) == before
    # The way out the sentence gives: this laptop's chart moved to a free id, then sync.
    late("patient", "rename", "P-2", "P-3", "--reason", "two patients opened under P-2")
    assert git(late.folder, "log", "-1", "--format=%s").strip() == "P-2: renamed to P-3"
    late("sync")
    early("sync")
    for machine in machines:
        machine("check")
        assert set(machine.charts()) == {"P-2.toml", "P-3.toml"}
    names = {
        tomllib.loads(machines[0].chart(i).decode())["patient"]["name"]: i for i in ("P-2", "P-3")
    }
    carla = "P-2" if first == 0 else "P-3"
    assert names["Carla Gómez"] == carla
    for machine in machines:  # a recall gives each patient's own contacts
        found = machine("lot", "H1").stdout
        assert "Carla Gómez" in found and "Bernd" not in found and "111" in found
        found = machine("lot", "D1").stdout
        assert "Bernd Krause" in found and "Carla" not in found and "222" in found
        assert "222" not in machine("lot", "H1").stdout
    moved = tomllib.loads(machines[0].chart("P-3").decode())  # the trail says it, everywhere
    assert moved["amendments"][-1]["changes"] == ["patient.id: P-2 -> P-3"]
    assert moved["amendments"][-1]["reason"] == "two patients opened under P-2"


@pytest.mark.parametrize("name", ["CARLA GOMEZ", "Carla  Gómez"])
def test_the_same_patient_opened_on_both_laptops_still_merges(
    run: Run, tmp_path: Path, name: str
) -> None:
    a, b = _two_people(run, tmp_path, name, "")
    a("sync")
    merged = b("sync", expect=1)  # merged as before: the phones differ, both kept in conflicts
    assert "two different patients" not in merged.stderr
    assert "phone was changed two ways" in merged.stderr
    a("sync")
    assert a.chart("P-2") == b.chart("P-2")
    assert len(a.sessions("P-2")) == 2


def _with_bruising(run: Run, tmp_path: Path) -> tuple[Machine, Machine]:
    a, b = two_laptops(run, tmp_path)
    a(
        "amend",
        "P-0042",
        "1",
        "--add-complication",
        "bruising:moderate:onset=2026-01-06",
        "--reason",
        "call",
    )
    a("sync")
    b("sync")
    return a, b


def _both_orders(a: Machine, b: Machine) -> tuple[str, str]:
    base = git(a.folder, "show", "origin/main:patients/P-0042.toml")
    ours, theirs = a.chart("P-0042").decode(), b.chart("P-0042").decode()
    one = merge_chart_texts(base, ours, theirs, "patients/P-0042.toml").text
    other = merge_chart_texts(base, theirs, ours, "patients/P-0042.toml").text
    return one, other


def _names(session: dict[str, Any]) -> list[str]:
    return [c["name"] for c in session.get("complications", [])]


@pytest.mark.parametrize("remover", [0, 1])
@pytest.mark.parametrize("keep", [True, False])
def test_a_complication_removed_on_one_laptop_and_resolved_on_the_other_is_a_conflict(
    run: Run, tmp_path: Path, remover: int, keep: bool
) -> None:
    machines = _with_bruising(run, tmp_path)
    removes, resolves = machines[remover], machines[1 - remover]
    removes("amend", "P-0042", "1", "--remove-complication", "bruising", "--reason", "wrong one")
    resolves(
        "amend", "P-0042", "1", "--resolve-complication", "bruising", "--resolved", "2026-01-20",
        "--reason", "follow-up",
    )  # fmt: skip
    one, other = _both_orders(*machines)
    assert one == other
    machines[0]("sync")
    conflicted = machines[1]("sync", expect=1)
    said = " ".join(conflicted.stderr.split())
    assert "session 1: complications was changed two ways" in said
    assert "removed in the other version" in said
    machines[0]("sync")
    assert machines[0].chart("P-0042") == machines[1].chart("P-0042")
    session = only_session(machines[0])
    (conflict,) = session["conflicts"]
    assert conflict["field"] == "complications"
    assert _names(session) == ["bruising"]  # the changed one in force, the removal recorded
    assert session["complications"][0]["resolved"].isoformat() == "2026-01-20"
    reasons = [x["reason"] for x in session["amendments"]]
    assert "wrong one" in reasons
    found = machines[0]("check", expect=1)
    assert "merge conflict: complications was changed two ways" in found.stdout
    # Each command in backticks can be copied and run as it reads: no aside inside it.
    line = " ".join(found.stdout.split())
    assert "`mesolog amend P-0042 1 --remove-complication NAME --reason ...` (or" in line
    assert "`--resolve-complication NAME ...` to keep it)" in line
    assert "giving the right value" not in line
    shown = machines[1]("report", "P-0042")
    said = " ".join(shown.stderr.split())
    assert "still has a merge conflict on complications" in said
    assert "--remove-complication NAME --reason ...` settles it (or `--resolve" in said
    # Settled by an amend: the removal again, or the complication as it should stay.
    if keep:
        machines[1](
            "amend", "P-0042", "1", "--resolve-complication", "bruising", "--resolved",
            "2026-01-20", "--reason", "it was this patient's",
        )  # fmt: skip
    else:
        machines[1]("amend", "P-0042", "1", "--remove-complication", "bruising", "--reason", "ok")
    settle_both(*machines)
    session = only_session(machines[0])
    assert "conflicts" not in session
    assert _names(session) == (["bruising"] if keep else [])
    assert "merge conflict on complications settled" in session["amendments"][-1]["changes"][-1]
    machines[0]("check")


def test_a_removal_the_other_laptop_did_not_touch_stays_a_clean_removal(
    run: Run, tmp_path: Path
) -> None:
    a, b = _with_bruising(run, tmp_path)
    a("amend", "P-0042", "1", "--remove-complication", "bruising", "--reason", "wrong one")
    b("amend", "P-0042", "1", "--depth", "2", "--reason", "depth")
    one, other = _both_orders(a, b)
    assert one == other
    a("sync")
    synced = b("sync")
    assert "changed two ways" not in synced.stdout + synced.stderr
    settle_both(a, b)
    session = only_session(a)
    assert "conflicts" not in session and _names(session) == [] and session["depth_mm"] == 2.0


def test_a_course_start_changed_two_ways_is_settled_by_the_command_sync_names(
    run: Run, tmp_path: Path
) -> None:
    a, b = clinic_of(run, tmp_path, 2)
    a("patient", "new", "P-1")
    a("sync")
    b("sync")
    plan = ["--sessions", "6", "--interval", "14", "--name", "hair", "--indication", "hair loss"]
    a("course", "add", "P-1", *plan, "--start", "2026-11-02")
    b("course", "add", "P-1", *plan, "--start", "2026-11-05")
    a("sync")
    said = " ".join(b("sync", expect=1).stderr.split())
    assert "course hair: start was changed two ways" in said
    assert "mesolog course edit ID COURSE" in said
    found = b("check", expect=1).stdout
    assert "`mesolog course edit P-1 hair --start VALUE`" in " ".join(found.split())
    b("course", "edit", "P-1", "hair", "--start", "2026-11-05", "--reason", "agreed")
    b("check")
    a("sync", expect=None)
    b("sync")
    a("sync")
    assert a.chart("P-1") == b.chart("P-1")
    chart = tomllib.loads(a.chart("P-1").decode())
    assert "conflicts" not in chart
    assert chart["courses"][0]["start"].isoformat() == "2026-11-05"


@pytest.mark.parametrize("first", [0, 1])
def test_one_patients_chart_imported_on_the_other_laptop_and_renamed_still_merges(
    run: Run, tmp_path: Path, first: int
) -> None:
    """A JSON export of P-7 imported on laptop b, its name corrected there: the two charts share
    their sessions (and the patient's uid), so they are one patient's, whatever the names say,
    and merge as before, the name an ordinary conflict. Both orders of the merge."""
    a, b = clinic_of(run, tmp_path, 2)
    a("patient", "new", "P-7", "--name", "Dana Ortiz", "--birth-year", "1980")
    a("add", "P-7", *_session("face", "HA:1ml:LOT H7"))
    export = tmp_path / "p7.json"
    export.write_text(a("export", "P-7", "--format", "json").stdout)
    b("import", str(export), "--apply")
    b("patient", "edit", "P-7", "--name", "Dana Ortiz-Vidal")
    machines = (a, b)
    early, late = machines[first], machines[1 - first]
    early("sync")
    merged = late("sync", expect=1)  # merged: the name is an ordinary conflict, both kept
    said = " ".join(merged.stderr.split())
    assert "two different patients" not in said and "a session of the chart" not in said, said
    assert "synced" in said and "name was changed two ways" in said, said
    early("sync")
    assert a.chart("P-7") == b.chart("P-7")
    assert len(a.sessions("P-7")) == 1 and set(a.charts()) == {"P-7.toml"}
    # Settled the way the sentence says, on either laptop; the other takes it.
    early("patient", "edit", "P-7", "--name", "Dana Ortiz-Vidal")
    early("sync")
    late("sync")
    assert tomllib.loads(late.chart("P-7").decode())["patient"]["name"] == "Dana Ortiz-Vidal"
    late("check")


def test_two_charts_that_share_the_patients_uid_are_one_patients_in_both_orders(
    run: Run, tmp_path: Path
) -> None:
    """No session on either side, the names apart: the patient's uid (kept in a chart restored
    from a JSON export) says they are one patient; without it they are two."""
    (a,) = clinic_of(run, tmp_path, 1)
    a("patient", "new", "P-9", "--name", "Eva Lind")
    one = a.chart("P-9").decode()
    other = one.replace('name = "Eva Lind"', 'name = "Eva Lindqvist"', 1)
    for ours, theirs in ((one, other), (other, one)):
        with pytest.raises(Exception, match="two different patients"):
            merge_chart_texts("", ours, theirs, "patients/P-9.toml")
    uid = 'uid = "2f0c6a53-1b7e-4c1d-8f55-0e7a9d3b6c21"\n'
    one, other = (t.replace('id = "P-9"\n', 'id = "P-9"\n' + uid, 1) for t in (one, other))
    for ours, theirs in ((one, other), (other, one)):
        merged = merge_chart_texts("", ours, theirs, "patients/P-9.toml")
        assert [c for c in merged.clashes if "name was changed two ways" in c], merged.clashes
        assert tomllib.loads(merged.text)["patient"]["uid"] in uid
