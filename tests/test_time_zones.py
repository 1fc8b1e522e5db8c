"""A chart may hold a date a day after this laptop's today: a laptop ahead in time (Sydney
against London) records its own "today" there. What is typed here is judged by this laptop's
today; what the chart already holds, a day later (docs/sharing.md).

The real CLI over a real data folder; the other laptop's "today" is written into the chart as
its `add` would write it, by hand, since one process cannot run on two clocks.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

from conftest import Run

ADD = ["--area", "scalp", "--substance", "biotin:1ml:LOT B1", "--depth", "1.5"]
ADD += ["--technique", "gun", "--anaesthetic", "none", "--no-input"]


def dated(chart: Path, day: date) -> None:
    text = chart.read_text()
    chart.write_text(re.sub(r"(?m)^date = \d{4}-\d{2}-\d{2}$", f"date = {day.isoformat()}", text))


def test_a_session_dated_tomorrow_by_a_laptop_ahead_can_be_corrected_and_checks_clean(
    run: Run, patient: Path
) -> None:
    run("add", "P-0042", *ADD)
    dated(patient, date.today() + timedelta(days=1))  # the other laptop's today
    assert "error" not in run("check").stdout
    run("amend", "P-0042", "1", "--note", "called back", "--reason", "call")
    assert "called back" in patient.read_text()
    # What is typed here is still judged by this laptop's today.
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    before = patient.read_bytes()
    refused = run("amend", "P-0042", "1", "--date", tomorrow, "--reason", "x", expect=None)
    assert refused.exit_code != 0 and "in the future" in refused.stderr
    refused = run("add", "P-0042", *ADD, "--date", tomorrow, expect=None)
    assert refused.exit_code != 0 and "in the future" in refused.stderr
    assert patient.read_bytes() == before


def test_two_days_ahead_is_still_in_the_future(run: Run, patient: Path) -> None:
    run("add", "P-0042", *ADD)
    dated(patient, date.today() + timedelta(days=2))
    found = run("check", expect=1)
    assert "in the future" in found.stdout
