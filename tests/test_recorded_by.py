"""Who recorded a session: the practitioner as recorded, never a name a correction put there
later; the audit trail (table, Markdown, JSON) and the model agree."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from test_properties import short

from mesolog.model import amended, now
from mesolog.model.amendments import recorded_by
from mesolog.model.records import Session

SESSION = [
    "--area",
    "scalp",
    "--substance",
    "biotin:1ml:LOT A",
    "--depth",
    "1",
    "--technique",
    "gun",
    "--anaesthetic",
    "none",
    "--no-input",
]


def _audit_markdown(run, patient_id: str) -> list[list[str]]:
    """The audit trail's rows as the Markdown report writes them: session, when, by, why,
    changes."""
    text = run("report", patient_id, "--audit", "--format", "markdown").stdout
    trail = text.split("## Audit trail", 1)[1]
    lines = [line for line in trail.splitlines() if line.startswith("| ")][1:]  # no header
    return [[cell.strip() for cell in line.strip("|").split(" | ")] for line in lines]


def test_a_practitioner_named_by_a_correction_is_not_shown_as_the_recorder(
    run, patient: Path
) -> None:
    run("add", "P-0042", *SESSION)  # nobody named: no --practitioner, none in the config
    run("amend", "P-0042", "1", "--practitioner", "Dr Y", "--reason", "who")
    before = patient.read_bytes()

    table = run("report", "P-0042", "--audit").stdout
    trail = table.split("Audit trail", 1)[1]
    # Dr Y only in the change itself: neither the recording nor the amendment is theirs.
    assert trail.count("Dr Y") == 1
    assert "practitioner: (none) -> Dr Y" in trail

    recording, amendment = _audit_markdown(run, "P-0042")
    assert recording[2:4] == ["", "recorded"]
    assert amendment[2:4] == ["", "who"]  # nobody said who corrected it

    session = json.loads(run("report", "P-0042", "--audit", "--format", "json").stdout)["sessions"][
        0
    ]
    assert session["recorded_by"] == ""
    assert session["practitioner"] == "Dr Y"  # who did it, as corrected
    assert [a["by"] for a in session["amendments"]] == [""]
    assert patient.read_bytes() == before  # a report writes nothing


def test_the_recorder_survives_two_corrections_of_the_practitioner(run, patient: Path) -> None:
    run("add", "P-0042", *SESSION, "--practitioner", "Dr X")
    run("amend", "P-0042", "1", "--practitioner", "Dr Y", "--by", "Dr Z", "--reason", "mixed up")
    run("amend", "P-0042", "1", "--practitioner", "Dr W -> V", "--by", "Dr Z", "--reason", "again")

    rows = _audit_markdown(run, "P-0042")
    assert [row[2] for row in rows] == ["Dr X", "Dr Z", "Dr Z"]
    session = json.loads(run("report", "P-0042", "--format", "json").stdout)["sessions"][0]
    assert (session["recorded_by"], session["practitioner"]) == ("Dr X", "Dr W -> V")
    lines = run("report", "P-0042", "--audit").stdout.split("Audit trail", 1)[1].splitlines()
    at = next(n for n, line in enumerate(lines) if "recorded" in line)
    assert "Dr X" in lines[at + 1]  # under the moment, in the "When, by" cell


def test_the_config_practitioner_records_and_amends_by_default(run, patient: Path) -> None:
    run("config", "set", "practitioner", "Dr C")
    run("add", "P-0042", *SESSION)
    run("amend", "P-0042", "1", "--practitioner", "Dr Y", "--reason", "Dr Y did it")

    rows = _audit_markdown(run, "P-0042")
    assert [(row[2], row[3]) for row in rows] == [("Dr C", "recorded"), ("Dr C", "Dr Y did it")]
    session = json.loads(run("report", "P-0042", "--format", "json").stdout)["sessions"][0]
    assert session["recorded_by"] == "Dr C"


# --- the rule, in the model ---------------------------------------------------------------------


def _session(practitioner: str) -> Session:
    return Session(
        id=1,
        date=date(2026, 1, 5),
        recorded=now(),
        areas=("scalp",),
        technique="gun",
        depth_mm=1.0,
        anaesthetic="none",
        substances=(),
        practitioner=practitioner,
    )


def test_recorded_by_reads_the_first_practitioner_back_from_the_trail() -> None:
    session = _session("Dr X")
    assert recorded_by(session) == "Dr X"  # never corrected: the value itself
    assert recorded_by(_session("")) == ""
    corrected = amended(session, replace(session, practitioner="Dr Y"), now(), "Dr Z", "who")
    assert recorded_by(corrected) == "Dr X"
    emptied = amended(corrected, replace(corrected, practitioner=""), now(), "", "unknown")
    assert recorded_by(emptied) == "Dr X"
    unnamed = _session("")
    named = amended(unnamed, replace(unnamed, practitioner="Dr Y"), now(), "", "who")
    assert recorded_by(named) == ""
    # Other fields corrected alone leave the recorder as it was.
    deeper = amended(named, replace(named, depth_mm=2.0), now(), "", "depth")
    assert recorded_by(deeper) == ""


# "(none)" is how the trail writes an empty value: a practitioner of that very name reads back
# as nobody (the one reading the trail cannot tell apart).
names = short.filter(lambda name: name != "(none)") | st.sampled_from(["", "a -> b", " -> ", "b"])


@given(chain=st.lists(names, min_size=1, max_size=5))
def test_recorded_by_is_the_first_name_through_any_chain_of_corrections(chain: list[str]) -> None:
    session = _session(chain[0])
    for name in chain[1:]:
        if name != session.practitioner:
            session = amended(session, replace(session, practitioner=name), now(), "", "who")
    assert recorded_by(session) == chain[0]
