"""Finding people and reaching them: patient details, search, "did you mean", recall with
contacts, and history that commits only what a change touched."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import tomllib
from datetime import date
from pathlib import Path

import pytest
from conftest import snapshot

from mesolog.model import details, finding, questions
from mesolog.model.questions import Contact, SessionRow

SESSION = [
    "--area",
    "scalp",
    "-s",
    "dutasteride 0.01%:1ml:LOT D2411",
    "--depth",
    "1.5",
    "--technique",
    "gun",
    "--anaesthetic",
    "none",
    "--no-input",
]


@pytest.fixture
def people(run, data_dir: Path) -> Path:
    run(
        "patient",
        "new",
        "P-0001",
        "--name",
        "Ana Ruiz",
        "--phone",
        "+34 600 000 000",
        "--email",
        "ana@example.org",
    )
    run("patient", "new", "P-0002", "--name", "Marta Lind", "--note", "referred by Dr. Österberg")
    run("patient", "new", "P-0003", "--name", "Léna Berg", "--phone", "06 12 34 56 78")
    return data_dir


# --- patient details ----------------------------------------------------------------------------


def test_phone_and_email_are_stored_and_shown(run, people: Path) -> None:
    data = tomllib.loads((people / "patients" / "P-0001.toml").read_text())
    assert data["patient"]["phone"] == "+34 600 000 000"
    assert data["patient"]["email"] == "ana@example.org"
    shown = run("patient", "show", "P-0001").stdout
    assert "+34 600 000 000" in shown and "ana@example.org" in shown


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--email", "ana.example.org"], "email"),
        (["--email", "ana @example.org"], "email"),
        (["--birth-year", str(date.today().year + 1)], "birth year"),
        (["--phone", "call me"], "phone"),
    ],
)
def test_bad_patient_details_are_refused_and_create_nothing(
    run, data_dir: Path, args: list[str], says: str
) -> None:
    run("patient", "new", "P-0001")
    before = snapshot(data_dir)
    result = run("patient", "new", "P-0009", *args, expect=2)
    assert says in result.stderr and "Traceback" not in result.stderr
    assert snapshot(data_dir) == before


def test_patient_details_unit() -> None:
    today = date(2026, 11, 26)
    assert details.email(" a@b.org ") == "a@b.org"
    assert details.phone("+34  600\t000") == "+34 600 000"
    checked = details.patient_details({"name": " Ana ", "sex": "Female", "phone": ""}, today)
    assert checked == {"name": "Ana", "sex": "female", "phone": None}
    for bad in ({"birth_year": 2027}, {"birth_year": 1899}, {"email": "@b"}, {"shoe": "42"}):
        with pytest.raises(Exception, match="not allowed"):
            details.patient_details(bad, today)


# --- search -------------------------------------------------------------------------------------


def listed(run, *args: str) -> list[str]:
    rows = json.loads(run("patient", "list", *args, "--format", "json").stdout)
    return [r["patient"] for r in rows]


def test_search_matches_id_name_phone_email_note_ignoring_case_and_accents(
    run, people: Path
) -> None:
    assert listed(run, "--search", "lena") == ["P-0003"]  # accent in the chart
    assert listed(run, "--search", "LÉNA BERG") == ["P-0003"]  # accent in the search
    assert listed(run, "--search", "osterberg") == ["P-0002"]  # the note
    assert listed(run, "--search", "EXAMPLE.ORG") == ["P-0001"]  # the email
    assert listed(run, "--search", "600000000") == ["P-0001"]  # the phone, spaced otherwise
    assert listed(run, "--search", "0612") == ["P-0003"]
    assert listed(run, "--search", "p-000") == ["P-0001", "P-0002", "P-0003"]
    assert listed(run, "--search", "nobody") == []
    assert sorted(listed(run)) == ["P-0001", "P-0002", "P-0003"]
    table = run("patient", "list", "--search", "[bold]x").stdout
    assert "Patients matching '[bold]x'" in table  # the search text is shown as typed


def test_fold_and_matches_unit() -> None:
    assert finding.fold("  Léna  BÉRG ") == "lena berg"
    assert finding.fold("Ｆｕｌｌ") == "full"  # NFKD also folds compatibility forms
    assert finding.matches("ruiz", ["P-1", None, "Ana Ruiz"])
    assert not finding.matches("ruiz", ["P-1", None, ""])
    assert finding.matches("+34600", ["+34 600 000"])


# --- did you mean -------------------------------------------------------------------------------


def test_an_unknown_id_suggests_close_ids_and_names(run, people: Path) -> None:
    result = run("report", "Lena", expect=1)
    assert "no patient 'Lena'" in result.stderr
    assert "did you mean P-0003 (Léna Berg)?" in result.stderr
    result = run("patient", "show", "P-0013", expect=1)
    assert "did you mean P-0003 or P-0001?" in result.stderr  # ids only, no names
    assert "Léna" not in result.stderr
    assert "did you mean" not in run("report", "zzz", expect=1).stderr


def test_add_with_an_unknown_id_offers_new_patient_and_starts_no_chart(run, people: Path) -> None:
    before = snapshot(people)
    result = run("add", "P-0004", *SESSION, expect=1)
    assert "did you mean" in result.stderr and "--new-patient" in result.stderr
    # The same before any question when the prompts would ask (a terminal, --interactive).
    result = run("add", "P-0004", "--interactive", input="scalp\n", expect=1)
    assert "did you mean" in result.stderr and "--new-patient" in result.stderr
    assert snapshot(people) == before


def test_suggestions_unit() -> None:
    people = [("P-0001", "Ana Ruiz"), ("P-0003", "Léna Berg"), ("X-9", None)]
    assert finding.suggestions("Lena", people) == ["P-0003 (Léna Berg)"]
    assert finding.suggestions("berg", people) == ["P-0003 (Léna Berg)"]
    assert finding.suggestions("Ana Ruis", people) == ["P-0001 (Ana Ruiz)"]
    assert finding.suggestions("x-8", people) == ["X-9"]
    assert sorted(finding.suggestions("P-0002", people)) == ["P-0001", "P-0003"]  # ids only
    assert finding.suggestions("qqqq", people) == []
    both = finding.did_you_mean("P-000", people)
    assert both.startswith("; did you mean P-000") and " or P-000" in both and both.endswith("?")
    assert finding.did_you_mean("qqqq", people) == ""


# --- recall -------------------------------------------------------------------------------------


def test_lot_shows_who_to_call(run, people: Path) -> None:
    run("add", "P-0001", *SESSION)
    run("add", "P-0001", *SESSION)
    run("add", "P-0003", *SESSION)
    table = run("lot", "d2411").stdout
    for text in ("Ana Ruiz", "+34 600 000 000", "ana@example.org", "Léna Berg", "06 12 34 56 78"):
        assert text in table
    assert "3 administrations in 3 sessions of 2 patients" in table
    rows = list(csv.DictReader(io.StringIO(run("lot", "D2411", "--format", "csv").stdout)))
    assert [r["patient"] for r in rows] == ["P-0001", "P-0003"]  # one row per patient
    assert rows[0]["name"] == "Ana Ruiz" and rows[0]["email"] == "ana@example.org"
    # A cell starting with + is neutralised for spreadsheets (DESIGN, OWASP): Excel shows it as typed.
    assert rows[0]["phone"] == "'+34 600 000 000" and rows[0]["sessions"] == "1; 2"
    records = json.loads(run("lot", "D2411", "--format", "json").stdout)
    assert len(records) == 3 and records[2]["name"] == "Léna Berg"


def test_a_lot_nobody_received_says_so_and_suggests_close_lots(run, people: Path) -> None:
    run("add", "P-0001", *SESSION)
    table = run("lot", "D241").stdout
    assert "No administration of lot 'D241' is recorded; lots close to it: D2411." in table
    result = run("lot", "D241", "--format", "json")
    assert json.loads(result.stdout) == [] and "D2411" in result.stderr
    assert "close to it" not in run("lot", "ZZZZZZ").stdout


def test_lot_patients_unit() -> None:
    def row(pid: str, n: int, lot: str) -> SessionRow:
        return SessionRow(
            pid,
            n,
            date(2026, 1, n),
            "active",
            "gun",
            1.5,
            "none",
            "",
            None,
            None,
            None,
            ("scalp",),
            (("biotin", 1.0, "ml", lot),),
            (),
        )

    rows = [row("B", 2, "L 1"), row("A", 1, "l1"), row("A", 3, "L2")]
    found = questions.lot_patients("L1", rows, {"A": Contact("Ana", "1", None)})
    assert [(p.patient_id, [r.session for r in p.sessions]) for p in found] == [
        ("A", [1]),
        ("B", [2]),
    ]
    assert found[0].contact.name == "Ana" and found[1].contact == Contact()
    known = ["D2411", "d 2412", "MX2409", "B553"]
    assert sorted(questions.close_lots("D241", known)) == ["D2411", "d 2412"]
    assert questions.close_lots("mx249", known) == ["MX2409"]
    assert questions.close_lots("Q", known) == []


# --- history ------------------------------------------------------------------------------------


def git(folder: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(folder), *args], capture_output=True, text=True, check=True
    ).stdout


def test_a_commit_holds_only_the_chart_its_change_touched(run, people: Path) -> None:
    run("init", "--git")
    other = people / "patients" / "P-0002.toml"
    other.write_text(other.read_text() + "# a hand edit, not mesolog's\n")
    same = people / "patients" / "P-0001.toml"
    same.write_text(same.read_text() + "# typed by hand before the session\n")
    warnings = run("check").stdout
    assert "P-0002.toml" in warnings and "not committed" in warnings
    run("add", "P-0001", *SESSION)
    latest = git(people, "show", "--stat", "--format=%s", "HEAD")
    assert latest.startswith("P-0001: session 1 added") and "P-0002" not in latest
    assert "+# typed by hand" not in git(people, "show", "HEAD")
    before = git(people, "show", "--stat", "--format=%s", "HEAD~1")
    assert before.startswith("P-0001: changes made outside mesolog") and "+# typed by hand" in git(
        people, "show", "HEAD~1"
    )
    assert git(people, "status", "--porcelain") == " M patients/P-0002.toml\n"
    warnings = run("check").stdout
    assert "P-0002.toml" in warnings and "P-0001.toml" not in warnings
