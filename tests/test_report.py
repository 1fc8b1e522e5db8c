"""Reports of one patient and of the clinic, in every format."""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import FULL_ADD


def add_course_sessions(run, dates: list[str], waist: list[float], **extra: str) -> None:  # type: ignore[no-untyped-def]
    for day, value in zip(dates, waist, strict=True):
        run(
            "add",
            "P-0042",
            "--date",
            day,
            "--area",
            "thighs",
            "-s",
            "phosphatidylcholine:5ml:LOT PC1",
            "--depth",
            "4",
            "--technique",
            "gun",
            "--anaesthetic",
            "none",
            "--measure",
            f"waist_cm={value}",
        )


def test_report_table_shows_sessions_progress_measurements_complications_and_lots(
    run, patient: Path
) -> None:
    run("add", "P-0042", *FULL_ADD)
    run(
        "add",
        "P-0042",
        "--like-last",
        "--date",
        "2026-11-16",
        "--measure",
        "hair_density_per_cm2=150",
        "--complication",
        "bruising:mild",
    )
    out = run("report", "P-0042").stdout
    assert "P-0042 · Ana Ruiz · born 1986" in out
    assert "2026-11-02" in out and "2026-11-16" in out
    assert "+14 d" in out  # days since the previous session, under its date
    assert "dutasteride 0.01% 1 ml (D2411)" in out
    assert "2 of 6 sessions done, 4 remaining" in out
    assert "hair_density_per_cm2" in out and "+8" in out and "+5.6%" in out
    assert "bruising" in out
    assert "D2411" in out and "2027-03-31" in out
    # Dutasteride alone for hair loss: the limited-evidence fact is shown.
    assert "Limited evidence" in out


def test_limited_evidence_not_shown_when_minoxidil_is_used(run, patient: Path) -> None:
    run("add", "P-0042", *FULL_ADD, "-s", "minoxidil 0.5%:1ml:LOT M1")
    assert "Limited evidence" not in run("report", "P-0042").stdout
    data = json.loads(run("report", "P-0042", "--format", "json").stdout)
    assert data["limited_evidence"] is False


def test_next_due_and_overdue(run, patient: Path) -> None:
    old = (date.today() - timedelta(days=30)).isoformat()
    run("add", "P-0042", *FULL_ADD, "--date", old)
    data = json.loads(run("report", "P-0042", "--format", "json").stdout)
    due = date.today() - timedelta(days=16)
    assert data["progress"]["next_due"] == due.isoformat()
    assert data["progress"]["overdue"] is True and data["progress"]["days_late"] == 16
    assert "overdue by 16 days" in run("report", "P-0042").stdout


def test_json_is_alone_on_stdout_and_complete(run, patient: Path) -> None:
    run("add", "P-0042", *FULL_ADD)
    result = run("report", "P-0042", "--format", "json")
    data = json.loads(result.stdout)
    session = data["sessions"][0]
    assert session["substances"][0]["lot"] == "D2411"
    assert session["measurements"] == {"hair_density_per_cm2": 142.0, "satisfaction_0_10": 7.0}
    assert data["progress"]["done"] == 1 and data["progress"]["remaining"] == 5
    assert data["lots"][0]["lot"] == "D2411"


def test_csv_and_markdown(run, patient: Path) -> None:
    run("add", "P-0042", *FULL_ADD, "--note", 'said "ouch", twice\nthen fine')
    rows = list(csv.DictReader(io.StringIO(run("report", "P-0042", "--format", "csv").stdout)))
    assert rows[0]["substances"] == "dutasteride 0.01% 1 ml" and rows[0]["lots"] == "D2411"
    assert rows[0]["notes"] == 'said "ouch", twice\nthen fine'
    md = run("report", "P-0042", "--format", "markdown").stdout
    assert md.startswith("# P-0042 · Ana Ruiz") and "\n| session | date | status |" in md
    assert "then fine" in md and "<br>" in md


def test_since_until_last(run, patient: Path) -> None:
    add_course_sessions(
        run, ["2026-09-01", "2026-09-08", "2026-09-15", "2026-09-22"], [90, 89, 88, 87]
    )

    def ids(*args: str) -> list[int]:
        return [
            s["id"]
            for s in json.loads(run("report", "P-0042", "--format", "json", *args).stdout)[
                "sessions"
            ]
        ]

    assert ids("--since", "2026-09-08") == [2, 3, 4]
    assert ids("--until", "2026-09-08") == [1, 2]
    assert ids("--last", "2") == [3, 4]
    assert ids("--since", "2026-09-08", "--until", "2026-09-15") == [2, 3]


def test_measurements_shrinking_show_negative_change_and_sparkline(run, patient: Path) -> None:
    add_course_sessions(run, ["2026-09-01", "2026-09-08", "2026-09-15"], [90, 88, 85.5])
    out = run("report", "P-0042").stdout
    assert "-4.5" in out and "-5.0%" in out and "█▅▁" in out


def test_text_prints_exactly_as_typed_not_as_markup(run, patient: Path) -> None:
    run(
        "add",
        "P-0042",
        *FULL_ADD,
        "--note",
        "[2x] bruise [/b] [red]x[/red]",
        "-s",
        "[bold]HA:1ml:LOT [x]",
    )
    out = run("report", "P-0042").stdout
    assert "[2x] bruise [/b] [red]x[/red]" in out
    assert "[bold]HA" in out and "([x])" in out
    added = run("add", "P-0042", "--like-last", "--note", "[/]").stdout
    assert "[/]" in added


def test_piped_output_is_never_cut_and_fits_its_width(
    run, patient: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    long_note = "a very long note " * 20
    run("add", "P-0042", *FULL_ADD, "--note", long_note.strip())
    out = run("report", "P-0042").stdout
    assert long_note.strip() in out  # COLUMNS=1000 (conftest): on one line
    assert "\x1b[" not in out  # no colour codes when piped
    monkeypatch.delenv("COLUMNS")  # piped with no COLUMNS: 80 columns, every word kept
    out = run("report", "P-0042").stdout
    assert max(len(line) for line in out.splitlines()) <= 80
    assert " ".join(out.split()).count("a very long note") == 20


def test_voided_session_is_struck_out_of_progress(run, patient: Path) -> None:
    run("add", "P-0042", *FULL_ADD)
    run("add", "P-0042", "--like-last", "--date", "2026-11-16")
    run("void", "P-0042", "2", "--reason", "entered twice")
    data = json.loads(run("report", "P-0042", "--format", "json").stdout)
    assert [s["status"] for s in data["sessions"]] == ["active", "voided"]
    assert data["progress"]["done"] == 1
    assert "2 voided" in run("report", "P-0042").stdout


def test_clinic_overview_overdue_first_and_broken_file_is_one_row(run, data_dir: Path) -> None:
    today = date.today()
    for pid, days_ago in (("P-1", 5), ("P-2", 40), ("P-3", 20)):
        run(
            "patient",
            "new",
            pid,
            "--sessions",
            "6",
            "--interval",
            "14",
            "--indication",
            "cellulite",
            "--start",
            (today - timedelta(days=60)).isoformat(),
        )
        run(
            "add",
            pid,
            "--date",
            (today - timedelta(days=days_ago)).isoformat(),
            "--area",
            "thighs",
            "-s",
            "caffeine:2ml:LOT C1",
            "--depth",
            "4",
            "--technique",
            "hand",
            "--anaesthetic",
            "none",
        )
    (data_dir / "patients" / "P-BROKEN.toml").write_text("schema = 1\n[patient\n")
    result = run("report", expect=1)  # listed as a row, and said in the exit code
    lines = result.stdout.splitlines()
    order = [
        next(i for i, text in enumerate(lines) if f"│ {pid} " in text)
        for pid in ("P-2", "P-3", "P-1")
    ]
    assert order == sorted(order)
    assert "overdue 26 d" in result.stdout
    assert "P-BROKEN" in result.stdout and "cannot read this chart" in result.stdout
    rows = json.loads(run("report", "--format", "json", expect=1).stdout)
    assert [r["patient"] for r in rows] == ["P-2", "P-3", "P-1", "P-BROKEN"]
    assert rows[0]["days_late"] == 26 and rows[0]["done"] == 1 and rows[0]["planned"] == 6
    assert rows[-1]["problem"]


def test_patient_list_and_show(run, patient: Path) -> None:
    run("add", "P-0042", *FULL_ADD)
    out = run("patient", "list").stdout
    assert "P-0042" in out and "Ana Ruiz" in out and "1/6" in out
    rows = list(csv.DictReader(io.StringIO(run("patient", "list", "--format", "csv").stdout)))
    assert rows[0]["patient"] == "P-0042" and rows[0]["next_due"] == "2026-11-16"
    shown = run("patient", "show", "P-0042").stdout
    assert "hair-2026" in shown and "1986" in shown and str(patient) in shown


def test_course_add_later(run, data_dir: Path) -> None:
    run("patient", "new", "P-7")
    out = run(
        "course", "add", "P-7", "--sessions", "20", "--interval", "5", "--indication", "cellulite"
    )
    assert "Course cellulite-" in out.stdout
    assert "outside the usual 3-15" in out.stderr and "outside the usual 7-30" in out.stderr
    assert (
        "already has a course"
        in run(
            "course",
            "add",
            "P-7",
            "--sessions",
            "6",
            "--interval",
            "7",
            "--name",
            out.stdout.split()[1],
            expect=1,
        ).stderr
    )


def test_empty_clinic_report(run, data_dir: Path) -> None:
    run("init")  # a folder that does not exist is refused, not an empty clinic
    assert "0 patients" in run("report").stdout


def test_html_and_svg_output(run, patient: Path, tmp_path: Path) -> None:
    run("add", "P-0042", *FULL_ADD, "--note", "<script>x</script>")
    run("report", "P-0042", "--output", str(tmp_path / "r.html"))
    html = (tmp_path / "r.html").read_text()
    assert "D2411" in html and "<script>x</script>" not in html
    run("report", "P-0042", "--output", str(tmp_path / "r.svg"))
    assert (tmp_path / "r.svg").read_text().startswith("<svg")


@pytest.mark.skipif(os.name != "posix", reason="paths command prints posix paths")
def test_paths_names_each_folder_and_its_setting(run, data_dir: Path) -> None:
    out = run("paths").stdout
    assert str(data_dir) in out and "MESOLOG_DATA_DIR" in out and "MESOLOG_CONFIG" in out
    out = run("--data-dir", "/tmp/elsewhere", "paths").stdout
    assert "/tmp/elsewhere" in out and "--data-dir" in out


def test_version(run) -> None:
    assert run("--version").stdout.strip() == "mesolog 1.0.0"


def test_colour_only_in_a_terminal_and_never_with_no_color(
    run, patient: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = (date.today() - timedelta(days=40)).isoformat()
    run("add", "P-0042", *FULL_ADD, "--date", old)
    assert "\x1b[" not in run("report").stdout  # piped
    monkeypatch.setenv("FORCE_COLOR", "1")  # as a terminal would
    assert "\x1b[" in run("report").stdout
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in run("report").stdout
    assert "\x1b[" not in run("report", "P-0042").stdout
