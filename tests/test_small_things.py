"""The small things a practitioner meets in a fortnight of use, each through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import snapshot

SESSION = [
    "--area",
    "scalp",
    "-s",
    "dutasteride 0.01%:1ml:LOT D1",
    "--depth",
    "1.5",
    "--technique",
    "gun",
    "--anaesthetic",
    "none",
    "--no-input",
]


def _patient(run, name: str = "Ana Ruiz") -> None:  # type: ignore[no-untyped-def]
    run(
        "patient",
        "new",
        "P-0042",
        "--name",
        name,
        "--course",
        "hair-2026",
        "--indication",
        "hair loss",
        "--sessions",
        "6",
        "--interval",
        "14",
        "--start",
        "2026-10-01",
    )


def test_at_80_columns_the_overview_drops_free_text_before_the_last_session(
    run, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    _patient(run, "Ana Featherstonehaugh")
    run(
        "add",
        "P-0042",
        "--date",
        "2026-11-01",
        *SESSION,
        "--complication",
        "hyperpigmentation:mild",
    )
    monkeypatch.setenv("COLUMNS", "80")
    shown = run("report").stdout
    assert "Last session" in shown and "2026-11-01" in shown
    assert "Not shown at this width: Indication, Latest complications" in shown


def test_the_audit_trail_at_80_columns_is_compact(
    run, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    _patient(run)
    run("add", "P-0042", "--date", "2026-11-01", *SESSION, "--practitioner", "Dr. L. Moreau")
    run(
        "amend",
        "P-0042",
        "1",
        "--depth",
        "2",
        "--add-complication",
        "redness:mild:onset=2026-11-02",
        "--reason",
        "measured again at the follow-up visit",
        "--by",
        "Dr. L. Moreau",
    )
    monkeypatch.setenv("COLUMNS", "80")
    trail = run("report", "P-0042", "--audit").stdout.split("Audit trail", 1)[1]
    rows = [line for line in trail.splitlines() if line.startswith("│")]
    assert "+00:00" not in trail and "T" not in "".join(
        rows
    )  # 2026-11-01 10:00, not ...T10:00:00+00:00
    amendment = rows[[n for n, line in enumerate(rows) if line.startswith("│ 1 ")][1] :]
    assert len(amendment) <= 3, "\n".join(rows)  # not 7 lines for one amendment
    # The machine forms keep the moment whole.
    full = run("report", "P-0042", "--audit", "--format", "json").stdout
    assert ":" in full and "T" in json.dumps(json.loads(full))


def test_patient_show_suggests_no_option_it_lacks(
    run, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    _patient(run)
    run(
        "course",
        "add",
        "P-0042",
        "--name",
        "scalp-second-round-2027",
        "--indication",
        "hair loss and scalp rejuvenation",
        "--sessions",
        "4",
        "--interval",
        "21",
    )
    monkeypatch.setenv("COLUMNS", "60")
    shown = run("patient", "show", "P-0042").stdout
    assert "Not shown at this width" in shown
    assert "--format" not in shown and "a wider window shows them" in " ".join(shown.split())


def test_a_single_measurement_is_a_baseline_not_a_change_of_zero(run, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    _patient(run)
    run("add", "P-0042", "--date", "2026-11-01", *SESSION, "--measure", "hair_density_per_cm2=140")
    shown = run("report", "P-0042").stdout
    row = next(line for line in shown.splitlines() if "hair_density_per_cm2" in line)
    assert "+0" not in row and "—" in row
    trend = json.loads(run("report", "P-0042", "--format", "json").stdout)["measurements"][0]
    assert (trend["first"], trend["change"], trend["percent"]) == (140.0, None, None)
    run("add", "P-0042", "--date", "2026-11-20", *SESSION, "--measure", "hair_density_per_cm2=147")
    assert "+7" in run("report", "P-0042").stdout


def test_a_patient_with_no_session_is_told_so(run, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    _patient(run)
    shown = run("report", "P-0042").stdout
    assert "No sessions in this window." not in shown
    assert "No session recorded yet: `mesolog add P-0042` records one." in shown
    run("add", "P-0042", "--date", "2026-11-01", *SESSION)
    assert "No sessions in this window." in run("report", "P-0042", "--since", "2026-11-10").stdout


def test_due_with_nobody_due_prints_a_sentence_not_an_empty_box(run, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    run("patient", "new", "P-1")
    before = snapshot(data_dir)
    overdue = run("due", "--overdue").stdout
    assert overdue.startswith("Nobody is overdue (") and "┏" not in overdue and "│" not in overdue
    within = run("due", "--within", "7").stdout
    assert within.startswith("Nobody is due by ") and "┏" not in within
    assert (
        json.loads(run("due", "--overdue", "--format", "json").stdout) == []
    )  # the machine form as it was
    assert snapshot(data_dir) == before
