"""Import, row by row: a mistyped patient id never starts a second chart, every rejected row
says its own reason, the last line says what happened, and the long CSV form keeps a session
that holds one product twice. Real CSV files, a real data folder, nothing written on refusal."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

import pytest
from conftest import mesolog_process, snapshot

HEADER = "patient,date,areas,technique,depth_mm,anaesthetic,substance,amount,unit,lot\n"


def sheet(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    folder = tmp_path / "sheets"
    folder.mkdir(exist_ok=True)
    path = folder / "visits.csv"
    path.write_text(header + "".join(r + "\n" for r in rows))
    return path


def charts(data_dir: Path) -> list[str]:
    return sorted(p.stem for p in (data_dir / "patients").glob("*.toml"))


def refused(run, data_dir: Path, path: Path, *args: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A dry run and an --apply: both exit 1 and leave the data folder and the sheet as they were."""
    before = snapshot(data_dir), snapshot(path.parent)
    dry = run("import", str(path), *args, expect=1)
    applied = run("import", str(path), "--apply", *args, expect=1)
    assert (snapshot(data_dir), snapshot(path.parent)) == before
    assert "Traceback" not in dry.stderr + applied.stderr
    return dry.stdout, applied.stdout


# --- a typo must never start a second chart ---------------------------------------------


def test_an_unknown_id_close_to_an_existing_one_is_rejected_with_did_you_mean(
    run, patient: Path, tmp_path: Path
) -> None:
    path = sheet(tmp_path, "P-0O42,2026-11-02,scalp,gun,1.5,none,minoxidil,1,ml,M1")
    dry, applied = refused(run, patient.parents[1], path)
    said = (
        "row 2, patient: no patient 'P-0O42' in the clinic; did you mean P-0042? "
        "If P-0O42 is a new patient, add --new-patient P-0O42."
    )
    assert said in dry and said in applied
    assert "1 rejected" in dry and "no new patient" in dry
    assert charts(patient.parents[1]) == ["P-0042"]


def test_a_typo_in_a_real_process_writes_nothing_and_says_why(
    patient: Path, tmp_path: Path
) -> None:
    path = sheet(tmp_path, "P-0O42,2026-11-02,scalp,gun,1.5,none,minoxidil,1,ml,M1")
    before = snapshot(patient.parents[1])
    result = mesolog_process("import", str(path), "--apply")
    assert result.returncode == 1
    assert result.stderr.startswith("mesolog: nothing was written: 1 row was rejected; correct it")
    assert "did you mean P-0042?" in result.stdout and snapshot(patient.parents[1]) == before


def test_new_patient_starts_the_chart_the_practitioner_names(
    run, patient: Path, tmp_path: Path
) -> None:
    path = sheet(
        tmp_path,
        "P-0O42,2026-11-02,scalp,gun,1.5,none,minoxidil,1,ml,M1",
        "P-0043,2026-11-02,scalp,gun,1.5,none,minoxidil,1,ml,M1",
    )
    dry, _ = refused(run, patient.parents[1], path)
    assert (
        'If every id above with a "did you mean" is a new patient, add --new-patient P-0O42,P-0043'
        in dry
    )
    result = run(
        "import", str(path), "--apply", "--new-patient", "p-0o42", "--new-patient", "P-0043"
    )
    assert "Imported 2 sessions into 2 charts; new patients: P-0O42, P-0043." in result.stdout
    assert charts(patient.parents[1]) == ["P-0042", "P-0043", "P-0O42"]


@pytest.mark.parametrize(
    ("name", "imported"), [("Luis Gomez", True), ("Ana Ruiz", False), ("", False)]
)
def test_a_close_id_the_file_names_as_someone_else_is_a_new_patient(  # type: ignore[no-untyped-def]
    run, patient: Path, tmp_path: Path, name: str, imported: bool
) -> None:
    """Numbered ids all look close: P-0043 beside P-0042 is a new patient when the file names
    someone other than the clinic's P-0042, and a typo (refused) when it names the same person
    or nobody."""
    path = sheet(
        tmp_path,
        f"P-0043,2026-11-02,scalp,gun,1.5,none,minoxidil,1,ml,M1,{name}",
        header=HEADER.replace("lot\n", "lot,name\n"),
    )
    if not imported:
        dry, _ = refused(run, patient.parents[1], path)
        assert "did you mean P-0042?" in dry
        return
    result = run("import", str(path), "--apply")
    assert "new patients: P-0043." in result.stdout
    assert "P-0043 (row 2) and the clinic's P-0042: named differently" in result.stdout
    assert charts(patient.parents[1]) == ["P-0042", "P-0043"]


def test_an_unknown_id_like_no_other_is_a_new_patient_as_before(
    run, patient: Path, tmp_path: Path
) -> None:
    path = sheet(
        tmp_path,
        "ZX-7781,2026-11-02,scalp,gun,1.5,none,minoxidil,1,ml,M1",
        "P-0042,2026-11-03,scalp,gun,1.5,none,minoxidil,1,ml,M1",
    )
    result = run("import", str(path), "--apply")
    assert "Imported 2 sessions into 2 charts; new patients: ZX-7781." in result.stdout
    assert charts(patient.parents[1]) == ["P-0042", "ZX-7781"]


def test_two_new_ids_of_one_file_close_to_each_other_are_flagged(
    run, missing_data_dir: Path, tmp_path: Path
) -> None:
    data_dir = missing_data_dir  # never initialised: a dry run creates nothing
    header = "patient,name,date,areas,technique,depth_mm,anaesthetic,substance,amount,unit,lot\n"
    path = sheet(
        tmp_path,
        "P-0O42,,2026-11-02,scalp,gun,1.5,none,minoxidil,1,ml,M1",
        "P-0042,,2026-11-03,scalp,gun,1.5,none,minoxidil,1,ml,M1",
        "C-101,Eva Lind,2026-11-03,scalp,gun,1.5,none,minoxidil,1,ml,M1",
        "C-102,Tom Berg,2026-11-03,scalp,gun,1.5,none,minoxidil,1,ml,M1",
        header=header,
    )
    dry = run("import", str(path)).stdout
    section = dry.split("New patients with close ids (check each is a different person):\n")[1]
    flagged = [line.strip() for line in section.splitlines() if line.startswith("  ")]
    # C-101 and C-102 are named differently in the file: two people, not a typo.
    assert flagged == ["P-0O42 (row 2) and P-0042 (row 3): one may be a typo of the other"]
    assert not data_dir.exists()


def test_the_close_id_check_reads_the_clinic_once_and_only_for_unknown_ids() -> None:
    from mesolog.model import Chart, Patient, importing
    from mesolog.model.drafting import ClinicDefaults
    from mesolog.model.import_rows import Drafting

    moment = datetime(2026, 11, 1, 9)
    known = {"p-0042": Chart(Patient("P-0042", moment))}
    asked: list[int] = []

    def people() -> list[tuple[str, str | None]]:
        asked.append(1)
        return [("P-0042", None)]

    def rows(*ids: str) -> list[importing.Row]:
        cells = {
            "date": "2026-11-02",
            "areas": "scalp",
            "technique": "gun",
            "depth_mm": "1.5",
            "anaesthetic": "none",
            "substance": "minoxidil",
            "amount": "1",
            "unit": "ml",
        }
        return [
            importing.Row(n, {"patient": pid, **cells, "lot": f"L{n}"})
            for n, pid in enumerate(ids, 2)
        ]

    def plan(*ids: str) -> importing.ImportPlan:
        given = rows(*ids)
        source = importing.Source("f.csv", lambda: given, "%Y-%m-%d")
        how = Drafting(ClinicDefaults(), "%Y-%m-%d", date(2026, 11, 27), moment)
        return importing.plan_rows(source, lambda pid: known.get(pid.lower()), how, people)

    assert plan("P-0042", "p-0042").rejected == [] and asked == []
    typo = plan("P-0O42", "P-0O42", "P-0043")
    assert asked == [1] and [r.row for r in typo.rejected] == [2, 3, 4]
    assert typo.close_to_existing == ["P-0O42", "P-0043"]


def test_new_ids_are_compared_one_line_each_and_numbering_alone_is_not_close() -> None:
    from mesolog.model.import_ids import NewPatient, close_new_ids

    def new(*ids: str, name: str | None = None) -> list[NewPatient]:
        return [NewPatient(pid, n, name) for n, pid in enumerate(ids, 2)]

    assert close_new_ids(new("P-0042", "P-0O42", "P-042", "P-0024")) == [
        "P-0042 (row 2) and P-0O42 (row 3): one may be a typo of the other",
        "P-0042 (row 2) and P-042 (row 4): one may be a typo of the other",
    ]  # P-0024 is the file's own numbering, as P-0043 would be
    assert (
        close_new_ids(new("P-0042", "P-0O42", name="Ana Ruiz")) != []
    )  # same name: maybe one person
    assert close_new_ids(new("ANA-RUIZ", "ZX-7781")) == []
    # Ids that only share a numbering pattern are not one keystroke apart; a file's own numbers
    # one digit apart are its numbering.
    assert close_new_ids(new("K-2001", "P-0010", "K-3017", "P-1001", "K-2002", "K-2010")) == []


# --- each row its own reason ------------------------------------------------------------


def test_an_invalid_patient_id_is_one_rejected_row_not_an_abort(
    run, patient: Path, tmp_path: Path
) -> None:
    path = sheet(
        tmp_path,
        "../x,2026-11-01,scalp,gun,1.5,none,minoxidil,1,ml,M1",
        "P-0042,2026-11-02,scalp,gun,1.5,none,minoxidil,1,ml,M1",
    )
    dry, _ = refused(run, patient.parents[1], path)
    assert "2 rows read, 1 accepted, 1 rejected." in dry
    assert "row 2, patient: patient id '../x' is not allowed: use 1 to 64 letters" in dry
    assert "Would import 1 session into 1 chart; no new patient." in dry
    run("import", str(path), "--apply", "--skip-rejected")
    assert charts(patient.parents[1]) == ["P-0042"]
    assert "visits.csv#row=3" in patient.read_text()


def test_each_row_of_a_refused_session_says_its_own_reason(
    run, patient: Path, tmp_path: Path
) -> None:
    path = sheet(
        tmp_path,
        "P-0042,2026-11-03,scalp,gun,abc,none,minoxidil,1,ml,M1",
        "P-0042,2026-11-03,scalp,laser,1.5,none,biotin,1,ml,B1",
        "P-0042,2026-11-05,scalp,gun,1.5,none,minoxidil,1,ml,M1",
        "P-0042,2026-11-05,scalp,gun,1.5,none,biotin,-1,ml,B1",
        "P-0042,2026-11-05,scalp,gun,1.5,none,mesoglycan,1,ml,G1",
    )
    dry, _ = refused(run, patient.parents[1], path)
    listed = dry.split("Rejected rows:\n")[1].splitlines()[:5]
    assert listed == [
        "  row 2, depth: depth 'abc' is not allowed: it must be a number.",
        "  row 3, technique: technique 'laser' is not allowed: use 'gun' (injection gun) or 'hand'.",
        "  row 4: rejected with row 5, same session",
        listed[3],
        "  row 6: rejected with row 5, same session",
    ]
    assert listed[3].startswith("  row 5, amount: amount '-1ml' is not allowed")


def test_rows_of_one_session_that_give_a_field_two_values_are_rejected_not_dropped(
    run, patient: Path, tmp_path: Path
) -> None:
    """The first row's depth would be kept and the second's dropped without a word."""
    path = sheet(
        tmp_path,
        "P-0042,2026-11-03,scalp,gun,1.5,none,minoxidil,1,ml,M1",
        "P-0042,2026-11-03,Scalp,gun,2,none,biotin,1,ml,B1",
        "P-0042,2026-11-03,scalp,gun,,none,mesoglycan,1,ml,G1",
        "P-0042,2026-11-04,scalp,gun,abc,none,minoxidil,1,ml,M1",
        "P-0042,2026-11-04,scalp,gun,3,none,biotin,1,ml,B1",
    )
    dry, _ = refused(run, patient.parents[1], path)
    listed = [line.strip() for line in dry.split("Rejected rows:\n")[1].splitlines()[:5]]
    assert listed == [
        "row 2: rejected with row 3, same session",
        "row 3, depth_mm: '2' here but '1.5' in row 2, the same session (same patient and date): "
        "a session has one depth_mm; make the rows agree",
        "row 4: rejected with row 3, same session",  # an empty cell takes the session's value
        "row 5, depth: depth 'abc' is not allowed: it must be a number.",
        "row 6, depth_mm: '3' here but 'abc' in row 5, the same session (same patient and date): "
        "a session has one depth_mm; make the rows agree",
    ]


def test_a_cell_missing_from_every_row_of_a_session_is_said_on_every_row(
    run, patient: Path, tmp_path: Path
) -> None:
    path = sheet(
        tmp_path,
        "P-0042,2026-11-03,scalp,gun,,none,minoxidil,1,ml,M1",
        "P-0042,2026-11-03,scalp,gun,,none,biotin,1,ml,B1",
    )
    dry, _ = refused(run, patient.parents[1], path)
    listed = dry.split("Rejected rows:\n")[1].splitlines()[:2]
    assert [line.split(":")[0] for line in listed] == ["  row 2, depth", "  row 3, depth"]
    assert all("missing required field: depth" in line for line in listed)


def test_a_patient_cell_wrong_in_one_row_of_a_session_is_said_on_that_row(
    run, patient: Path, tmp_path: Path
) -> None:
    header = "patient,name,birth_year,date,areas,technique,depth_mm,anaesthetic,substance,amount,unit,lot\n"
    path = sheet(
        tmp_path,
        "P-0042,Ana Ruiz,,2026-11-03,scalp,gun,1.5,none,minoxidil,1,ml,M1",
        "P-0042,Tom Berg,,2026-11-03,scalp,gun,1.5,none,biotin,1,ml,B1",
        "ZX-7781,,1890,2026-11-03,scalp,gun,1.5,none,minoxidil,1,ml,M1",
        "ZX-7781,,,2026-11-03,scalp,gun,1.5,none,biotin,1,ml,B1",
        header=header,
    )
    dry, _ = refused(run, patient.parents[1], path)
    listed = [line.strip() for line in dry.split("Rejected rows:\n")[1].splitlines()[:4]]
    assert listed[0] == "row 2: rejected with row 3, same session"
    assert (
        listed[1]
        == "row 3, name: patient P-0042 is 'Ana Ruiz' in the chart but 'Tom Berg' in the file"
    )
    assert listed[2].startswith("row 4, birth_year: birth_year '1890' is not allowed")
    assert listed[3] == "row 5: rejected with row 4, same session"


def test_apply_with_rejected_rows_ends_with_what_happened(
    run, patient: Path, tmp_path: Path
) -> None:
    path = sheet(
        tmp_path,
        "P-0042,2026-11-03,scalp,gun,abc,none,minoxidil,1,ml,M1",
        "P-0042,2026-11-03,scalp,laser,1.5,none,biotin,1,ml,B1",
        "P-0042,2026-11-04,scalp,gun,1.5,none,biotin,1,ml,B1",
    )
    before = snapshot(patient.parents[1])
    result = run("import", str(path), "--apply", expect=1)
    assert "Dry run" not in result.stdout and "Add --apply" not in result.stdout
    assert result.stdout.splitlines()[-1] == (
        "Nothing was written: 2 rows were rejected; correct them (or the map), "
        "or add --skip-rejected to import the accepted rows."
    )
    assert result.stderr == (
        "mesolog: nothing was written: 2 rows were rejected; correct them (or the map), "
        "or add --skip-rejected to import the accepted rows.\n"
    )
    assert snapshot(patient.parents[1]) == before
    dry = run("import", str(path), expect=1)
    assert dry.stdout.splitlines()[-1] == "Dry run: nothing was written. Add --apply to import."
    applied = run("import", str(path), "--apply", "--skip-rejected")
    assert applied.stdout.splitlines()[1] == "Imported 1 session into 1 chart; no new patient."
    assert "Dry run" not in applied.stdout and "Nothing was written" not in applied.stdout


# --- the long CSV form round-trips a session holding one product twice ----------------


def _twice(run, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    run("init")
    run("patient", "new", "P-1", "--phone", "+34 600 000 000")
    run(
        "add",
        "P-1",
        "--date",
        "2026-11-20",
        "--area",
        "scalp",
        "-s",
        "minoxidil:1ml",
        "-s",
        "biotin:2ml:LOT B1",
        "-s",
        "minoxidil:1ml",
        "--depth",
        "1.5",
        "--technique",
        "gun",
        "--anaesthetic",
        "none",
        "--no-input",
    )
    run(
        "add",
        "P-1",
        "--date",
        "2026-11-21",
        "--area",
        "scalp",
        "-s",
        "minoxidil:1ml:LOT M1",
        "-s",
        "minoxidil:1ml:LOT M1",
        "--depth",
        "1.5",
        "--technique",
        "gun",
        "--anaesthetic",
        "none",
        "--no-input",
    )


def _without_source(text: str) -> list[dict[str, str]]:
    return [
        {k: v for k, v in r.items() if k != "source"} for r in csv.DictReader(io.StringIO(text))
    ]


def test_per_substance_export_of_one_product_twice_imports_back_byte_for_byte(
    run, data_dir: Path, tmp_path: Path
) -> None:
    _twice(run, data_dir)
    first = run("export", "--format", "csv", "--per", "substance").stdout
    rows = list(csv.DictReader(io.StringIO(first)))
    assert [(r["session"], r["substance_no"], r["substance"]) for r in rows] == [
        ("1", "1", "minoxidil"),
        ("1", "2", "biotin"),
        ("1", "3", "minoxidil"),
        ("2", "1", "minoxidil"),
        ("2", "2", "minoxidil"),
    ]
    outputs = []
    for generation in ("a", "b"):
        exported = tmp_path / generation / "clinic.csv"
        exported.parent.mkdir()
        exported.write_text(outputs[-1] if outputs else first)
        target = tmp_path / f"clinic-{generation}"
        run("--data-dir", str(target), "init")
        result = run("--data-dir", str(target), "import", str(exported), "--apply")
        assert "5 rows read, 5 accepted, 0 rejected." in result.stdout
        outputs.append(
            run("--data-dir", str(target), "export", "--format", "csv", "--per", "substance").stdout
        )
    assert _without_source(outputs[0]) == _without_source(first)  # the source is the import's own
    assert outputs[1] == outputs[0]  # and from then on, byte for byte


def test_the_rows_of_a_session_come_back_in_substance_order_whatever_the_file_order(
    run, data_dir: Path, tmp_path: Path
) -> None:
    _twice(run, data_dir)
    lines = run("export", "--format", "csv", "--per", "substance").stdout.splitlines()
    shuffled = tmp_path / "shuffled.csv"
    shuffled.write_text(
        "\n".join([lines[0], lines[3], lines[1], lines[5], lines[2], lines[4]]) + "\n"
    )
    target = tmp_path / "other"
    run("--data-dir", str(target), "init")
    run("--data-dir", str(target), "import", str(shuffled), "--apply")
    again = run("--data-dir", str(target), "export", "--format", "csv", "--per", "substance").stdout
    assert [r["substance"] + r["lot"] for r in csv.DictReader(io.StringIO(again))] == [
        "minoxidil",
        "biotinB1",
        "minoxidil",
        "minoxidilM1",
        "minoxidilM1",
    ]
    sources = {r["session"]: r["source"] for r in csv.DictReader(io.StringIO(again))}
    assert sources == {
        "1": "shuffled.csv#row=2",
        "2": "shuffled.csv#row=4",
    }  # each session's first row


@pytest.mark.parametrize("bad", ["0", "two", "1.5"])
def test_a_substance_number_that_is_not_a_place_is_rejected(
    run, data_dir: Path, tmp_path: Path, bad: str
) -> None:
    path = sheet(
        tmp_path,
        f"P-1,2026-11-02,scalp,gun,1.5,none,{bad},minoxidil,1,ml,M1",
        header=HEADER.replace("anaesthetic,", "anaesthetic,substance_no,"),
    )
    dry, _ = refused(run, data_dir, path)
    assert f"row 2, substance_no: substance_no '{bad}' is not allowed" in dry


def test_csv_export_says_what_it_leaves_out_and_json_keeps_it(run, data_dir: Path) -> None:
    _twice(run, data_dir)
    run("amend", "P-1", "1", "--depth", "2", "--reason", "typo")
    note = "CSV keeps sessions, not the correction trail or contact details; use --format json for a full copy\n"
    for per in ("session", "substance"):
        result = run("export", "--format", "csv", "--per", per)
        assert result.stderr == note and "+34 600" not in result.stdout
    exported = run("export")
    assert (
        exported.stderr == ""
        and "+34 600 000 000" in exported.stdout
        and '"reason": "typo"' in exported.stdout
    )


def test_a_json_export_edited_by_hand_is_held_to_the_rules_of_every_other_way_in(
    run, patient: Path, tmp_path: Path
) -> None:
    """Restoring mesolog's own JSON export checks each session as add does: a session the rules
    refuse is a rejected row; nothing is written unless --skip-rejected, and then only the rest."""
    import json

    for day in ("2026-11-02", "2026-11-16"):
        run(
            "add",
            "P-0042",
            "--date",
            day,
            "--area",
            "scalp",
            "-s",
            "minoxidil:2ml:LOT M1",
            "--depth",
            "1.5",
            "--technique",
            "gun",
            "--anaesthetic",
            "none",
            "--no-input",
        )
    charts_ = json.loads(run("export").stdout)["charts"]
    bad = charts_[0]["sessions"][1]
    bad["depth_mm"], bad["date"], bad["practitioner"] = 99, "2031-01-01", "Dr A\nDr B"
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(charts_))
    target = tmp_path / "restored"
    run("--data-dir", str(target), "init")
    before = snapshot(target)
    dry, applied = (
        run("--data-dir", str(target), "import", str(edited), *extra, expect=1)
        for extra in ((), ("--apply",))
    )
    for said in (dry.stdout, applied.stdout):
        assert (
            "row 2, date: P-0042 session 2: date '2031-01-01' is not allowed: it is in the future"
            in said
        )
        assert (
            "row 2, practitioner: P-0042 session 2: practitioner 'Dr A\\nDr B'" in said
            or "practitioner" in said
        )
        assert "depth" in said
    assert snapshot(target) == before
    kept = run("--data-dir", str(target), "import", str(edited), "--apply", "--skip-rejected")
    assert "Imported 1 session" in kept.stdout
    assert run("--data-dir", str(target), "check").exit_code == 0


def test_check_names_a_line_break_written_into_a_one_line_field_by_hand(run, patient: Path) -> None:
    run(
        "add",
        "P-0042",
        "--date",
        "2026-11-02",
        "--area",
        "scalp",
        "-s",
        "minoxidil:2ml:LOT M1",
        "--depth",
        "1.5",
        "--technique",
        "gun",
        "--anaesthetic",
        "none",
        "--practitioner",
        "Dr A",
        "--no-input",
    )
    patient.write_text(
        patient.read_text().replace('practitioner = "Dr A"', 'practitioner = "Dr A\\nDr B"')
    )
    result = run("check", expect=1)
    assert "practitioner" in result.stdout and "it must be one line" in result.stdout
