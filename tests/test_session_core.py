"""Through the real CLI: every path drafts a session the same way,
refused input changes nothing, names are matched by meaning."""

from __future__ import annotations

import json
import tomllib
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import FULL_ADD, mesolog_process, snapshot

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
    "2026-11-02",
]


def sessions(path: Path) -> list[dict]:  # type: ignore[type-arg]
    return tomllib.loads(path.read_text(encoding="utf-8")).get("sessions", [])


# --- one parser for add and amend --------------------------------------------------------------


def test_amend_splits_areas_on_commas_as_add_does(run, patient: Path) -> None:
    run("add", "P-0042", *BASE)
    run("amend", "P-0042", "1", "--area", "face, neck", "--reason", "wrong areas")
    assert sessions(patient)[0]["areas"] == ["face", "neck"]
    run("add", "P-0042", *BASE, "--area", "face, neck")
    assert sessions(patient)[1]["areas"] == ["scalp", "face", "neck"]


def test_amend_warns_as_add_does(run, patient: Path) -> None:
    run("add", "P-0042", *BASE)
    result = run(
        "amend",
        "P-0042",
        "1",
        "--area",
        "decolete",
        "--depth",
        "9",
        "-s",
        "biotin:1ml:LOT B1:EXP 2026-01-01",
        "--reason",
        "corrected",
    )
    assert "did you mean 'décolleté'" in result.stderr
    assert "outside what the sources describe" in result.stderr
    assert "expired on 2026-01-01" in result.stderr


def test_amend_keeps_the_expiry_of_a_known_lot(run, patient: Path) -> None:
    run("add", "P-0042", *FULL_ADD)  # dutasteride lot D2411, expiry 2027-03-31
    run("add", "P-0042", *BASE)
    run(
        "amend",
        "P-0042",
        "2",
        "-s",
        "#1=dutasteride 0.01%:1ml:LOT D2411",
        "--reason",
        "wrong product",
    )
    assert sessions(patient)[1]["substances"][0]["expiry"] == date(2027, 3, 31)


# --- a refused command creates no file and changes none ---------------------------------------


def test_new_patient_with_a_refused_session_leaves_no_chart(run, data_dir: Path) -> None:
    run("init")
    before = snapshot(data_dir)
    result = run("add", "P-9", "--new-patient", *BASE, "--course", "nope", expect=1)
    assert "no course 'nope'" in result.stderr
    assert snapshot(data_dir) == before
    assert not (data_dir / "patients" / "P-9.toml").exists()


def test_new_patient_with_missing_fields_leaves_no_chart(run, data_dir: Path) -> None:
    run("init")
    before = snapshot(data_dir)
    run("add", "P-9", "--new-patient", "--area", "scalp", "--no-input", expect=2)
    assert snapshot(data_dir) == before


IN_TWO_DAYS = (date.today() + timedelta(days=2)).isoformat()


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("bruising:mild:onset=2026-11-01", "before the session date 2026-11-02"),
        ("bruising:mild:resolved=2026-10-30", "before the session date 2026-11-02"),
        ("bruising:mild:onset=2026-11-05:resolved=2026-11-03", "before the onset 2026-11-05"),
        (
            f"bruising:mild:onset={IN_TWO_DAYS}",
            f"bruising onset '{IN_TWO_DAYS}' is not allowed: it is in the future (today is ",
        ),
        (
            f"Haematoma:onset=2026-11-03:resolved={IN_TWO_DAYS}",
            f"Haematoma resolved '{IN_TWO_DAYS}' is not allowed: it is in the future (today is ",
        ),
    ],
)
def test_complication_dates_are_checked_against_the_session_on_every_path(
    run, patient: Path, spec: str, words: str
) -> None:
    before = snapshot(patient.parent.parent)
    assert words in run("add", "P-0042", *BASE, "--complication", spec, expect=2).stderr
    assert snapshot(patient.parent.parent) == before
    run("add", "P-0042", *BASE)
    before = snapshot(patient.parent.parent)
    result = run("amend", "P-0042", "1", "--add-complication", spec, "--reason", "later", expect=2)
    assert words in result.stderr
    assert snapshot(patient.parent.parent) == before


def test_amending_the_date_after_a_complication_is_refused(run, patient: Path) -> None:
    run("add", "P-0042", *BASE, "--complication", "bruising:mild:onset=2026-11-03")
    before = snapshot(patient.parent.parent)
    result = run("amend", "P-0042", "1", "--date", "2026-11-04", "--reason", "typo", expect=2)
    assert "before the session date 2026-11-04" in result.stderr
    assert snapshot(patient.parent.parent) == before


def test_a_patient_id_with_a_trailing_newline_is_refused(run, data_dir: Path) -> None:
    run("patient", "new", "P-1")
    before = snapshot(data_dir)
    result = run("patient", "new", "P-1\n", expect=2)
    assert "is not allowed" in result.stderr
    assert snapshot(data_dir) == before
    assert [p.name for p in (data_dir / "patients").iterdir()] == ["P-1.toml"]
    run("add", "P-1\n", "--new-patient", *BASE, expect=2)
    assert snapshot(data_dir) == before


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("biotin:1ml:LOT AB:12", "2 lots (AB, 12)"),
        ("biotin:1ml:LOT A1:LOT B2", "2 lots (A1, B2)"),
        ("biotin:1ml:A1:B2", "2 lots (A1, B2)"),
        ("biotin:1ml:LOT A1:EXP 2027-01-01:EXP 2027-02-01", "two expiry dates"),
        ("biotin:1ml:2027-01-01", "write LOT 2027-01-01 or EXP 2027-01-01"),
    ],
)
def test_a_substance_spec_that_would_lose_a_part_is_refused(
    run, patient: Path, spec: str, words: str
) -> None:
    before = snapshot(patient.parent.parent)
    result = run("add", "P-0042", *BASE, "-s", spec, expect=2)
    assert words in result.stderr and "Traceback" not in result.stderr
    assert snapshot(patient.parent.parent) == before


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("--depth", "1e-320", "at least 0.1"),
        ("--depth", "0.05", "at least 0.1"),
        ("--substance", "biotin:99999999999999999999ml", "from 0.001 to 1000"),
        ("--substance", "biotin:0.0001ml", "from 0.001 to 1000"),
        ("--substance", "biotin:5001mg", "from 0.001 to 5000 mg"),
        ("--substance", "biotin:1001ml", "from 0.001 to 1000 ml"),
        ("--substance", "biotin:10001ug", "from 0.001 to 10000 mcg"),
        ("--substance", "hyaluronidase:100001IU", "from 0.001 to 100000 IU"),
        ("--substance", "hyaluronidase:100001U", "from 0.001 to 100000 U"),
        ("--substance", "hyaluronidase:0IU", "from 0.001 to 100000 IU"),
        ("--substance", "hyaluronidase:-5IU", "positive number"),
        # A comma before three digits is thousands to some, decimals to others: never guessed.
        ("--substance", "mesoglycan:1,000mg:LOT M1", "write 1000 for 1000, or 1.000 / 1,0 for 1"),
        ("--depth", "1,500", "write 1500 for 1500, or 1.500 / 1,5 for 1.5"),
    ],
)
def test_implausible_amounts_and_depths_are_refused(
    run, patient: Path, option: str, value: str, words: str
) -> None:
    before = snapshot(patient.parent.parent)
    args = [a for a in BASE]
    args[args.index(option if option != "--substance" else "-s") + 1] = value
    assert words in run("add", "P-0042", *args, expect=2).stderr
    assert snapshot(patient.parent.parent) == before
    run("add", "P-0042", *BASE)
    before = snapshot(patient.parent.parent)
    assert words in run("amend", "P-0042", "1", option, value, "--reason", "x", expect=2).stderr
    assert snapshot(patient.parent.parent) == before


# --- names matched by meaning -----------------------------------------------------------------


@pytest.fixture
def by_meaning(run, data_dir: Path) -> Path:
    for pid, substance, area, complication in (
        ("P-1", "DCA:2ml:LOT D1", "abdomen", "haematoma"),
        ("P-2", "deoxycholate 1%:1ml:LOT D2", "stomach", "bruising"),
        ("P-3", "sodium deoxycholate:1ml:LOT D3", "belly", "Bruise:moderate"),
        ("P-4", "caffeine:1ml:LOT C1", "thighs", "redness"),
    ):
        run(
            "add",
            pid,
            "--new-patient",
            "--area",
            area,
            "-s",
            substance,
            "--depth",
            "2",
            "--technique",
            "hand",
            "--anaesthetic",
            "none",
            "--complication",
            complication,
            "--date",
            "2026-11-02",
        )
    return data_dir


def test_the_record_keeps_what_was_typed(run, by_meaning: Path) -> None:
    s = sessions(by_meaning / "patients" / "P-1.toml")[0]
    assert s["substances"][0]["name"] == "DCA"
    assert s["areas"] == ["abdomen"] and s["complications"][0]["name"] == "haematoma"


def test_find_compares_by_meaning(run, by_meaning: Path) -> None:
    def found(*args: str) -> list[str]:
        return sorted(
            {r["patient"] for r in json.loads(run("find", *args, "--format", "json").stdout)}
        )

    assert found("--substance", "deoxycholate") == ["P-1", "P-2", "P-3"]
    assert found("--substance", "DCA") == ["P-1", "P-2", "P-3"]
    assert found("--area", "stomach") == ["P-1", "P-2", "P-3"]
    assert found("--area", "abdomen") == ["P-1", "P-2", "P-3"]
    assert found("--complication", "bruising") == ["P-1", "P-2", "P-3"]
    assert found("--complication", "hematoma") == ["P-1", "P-2", "P-3"]
    assert found("--substance", "caffeine") == ["P-4"]


def test_stats_groups_by_meaning_named_by_the_catalogue(run, by_meaning: Path) -> None:
    # The area's catalogue name is the domain's "abdomen" (the stomach is an organ): P-2 typed
    # "stomach", P-3 "belly", all three are counted under "abdomen".
    for by, group in (("substance", "deoxycholate"), ("area", "abdomen")):
        groups = {
            g["group"]: g for g in json.loads(run("stats", "--by", by, "--format", "json").stdout)
        }
        assert groups[group]["sessions"] == 3, by
        assert not {"dca", "DCA", "stomach", "belly", "sodium deoxycholate"} & set(groups), by
        assert "bruising" in str(groups[group]["most_frequent"]), by  # haematoma, Bruise: one kind


def test_report_tallies_group_by_meaning(run, data_dir: Path) -> None:
    run("add", "P-1", "--new-patient", *BASE, "-s", "DCA:1ml:LOT D1", "--complication", "haematoma")
    run(
        "add",
        "P-1",
        *BASE,
        "-s",
        "deoxycholate:1ml:LOT d 1",
        "--complication",
        "bruise",
        "--date",
        "2026-11-16",
    )
    report = json.loads(run("report", "P-1", "--format", "json").stdout)
    assert report["complications"] == {"bruising": 2}
    lots = [(use["substance"], use["lot"], use["sessions"]) for use in report["lots"]]
    assert ("DCA", "D1", [1, 2]) in lots


def test_the_cache_and_the_files_answer_alike(run, by_meaning: Path, tmp_path: Path) -> None:
    """A second run answers from the summary cache; a run in another process rebuilt it."""
    first = run("stats", "--by", "substance", "--format", "json").stdout
    again = mesolog_process(
        "stats",
        "--by",
        "substance",
        "--format",
        "json",
        env={"MESOLOG_CACHE_DIR": str(tmp_path / "other-cache")},
    )
    assert json.loads(again.stdout) == json.loads(first)


def test_find_by_indication_compares_by_meaning(run, data_dir: Path) -> None:
    run("add", "P-1", "--new-patient", *BASE, "--indication", "alopecia")
    run("add", "P-2", "--new-patient", *BASE, "--indication", "hair loss")
    run("add", "P-3", "--new-patient", *BASE, "--indication", "cellulite")
    assert sessions(data_dir / "patients" / "P-1.toml")[0]["indication"] == "alopecia"
    rows = json.loads(run("find", "--indication", "Hair Loss", "--format", "json").stdout)
    assert sorted(r["patient"] for r in rows) == ["P-1", "P-2"]


def test_amend_takes_every_session_option_of_add_by_the_same_name(run, patient: Path) -> None:
    """One declaration of a session's fields for add and amend: every option add has for a
    session's fields, amend has too, and a correction through it is recorded."""
    from typer.main import get_command

    from mesolog.cli import app

    commands = get_command(app).commands  # type: ignore[attr-defined]
    options = {
        name: {o for p in commands[name].params for o in p.opts} for name in ("add", "amend")
    }
    only_add = {"--complication", "--like-last", "--no-input", "--interactive", "--new-patient"}
    assert options["add"] - only_add <= options["amend"]
    run("add", "P-0042", *FULL_ADD)
    run(
        "amend",
        "P-0042",
        "1",
        "--method",
        "papule",
        "--points",
        "30",
        "--gauge",
        "32",
        "--consent",
        "form B",
        "--reason",
        "mistyped the protocol",
    )
    session = tomllib.loads(patient.read_text())["sessions"][0]
    assert (session["method"], session["points"], session["needle_gauge"], session["consent"]) == (
        "papule",
        30,
        32,
        "form B",
    )
    assert "method: nappage -> papule" in session["amendments"][-1]["changes"]
