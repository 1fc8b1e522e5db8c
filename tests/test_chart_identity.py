"""A chart is one file with one name: `check` reads every chart whatever one of them holds, and
a write goes only to a chart whose file name is its id."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import FULL_ADD, snapshot

from mesolog.store.codec import as_written

SESSION = [
    "--date",
    "2026-11-20",
    "--area",
    "scalp",
    "-s",
    "minoxidil:1ml:LOT M1",
    "--depth",
    "1.5",
    "--technique",
    "gun",
    "--anaesthetic",
    "none",
    "--no-input",
]
SCHEMA1_SESSION = '\n[[sessions]]\nid = 1\n{recorded}date = 2026-11-01\nareas = ["scalp"]\ntechnique = "gun"\ndepth_mm = 1.5\nanaesthetic = "none"\n'


# --- check reads every chart whatever one holds, messages as written --


@pytest.mark.parametrize(
    ("recorded", "found"),
    [
        ("", "found nothing"),
        ("recorded = 2026-11-01\n", "found 2026-11-01"),
        ("recorded = 10:00:00\n", "found 10:00:00"),
    ],
    ids=["missing", "date-only", "time-only"],
)
def test_check_names_a_session_without_a_recorded_moment_and_checks_every_other_chart(
    run, data_dir: Path, recorded: str, found: str
) -> None:
    run("init")
    run("add", "P-1", "--new-patient", *SESSION)
    run("add", "P-3", "--new-patient", *SESSION)
    run("patient", "new", "P-2")
    bad = data_dir / "patients" / "P-2.toml"
    bad.write_text(bad.read_text() + SCHEMA1_SESSION.format(recorded=recorded))
    good = data_dir / "patients" / "P-3.toml"
    good.write_text(
        good.read_text().replace("depth_mm = 1.5", "depth_mm = 20.0")
    )  # a problem after it
    before = snapshot(data_dir)
    result = run("check", expect=1)
    # The line of the field, or of its session's header when it is missing.
    field = "recorded" if recorded else "[[sessions]]"
    line = next(
        n for n, text in enumerate(bad.read_text().splitlines(), 1) if text.startswith(field)
    )
    assert (
        f"{bad}:{line}: error: session 1: recorded must be a date and time, {found}"
        in result.stdout
    )
    assert f"{good}:" in result.stdout and "depth 20.0 is not allowed" in result.stdout
    # Every problem of the session, not only the first: it has no product either.
    assert (
        "session 1: substance '' is not allowed: at least one substance is required"
        in result.stdout
    )
    assert "3 files checked: 3 errors" in result.stderr and "internal error" not in result.stderr
    listed = json.loads(run("check", "--format", "json", expect=1).stdout)
    assert {Path(p["path"]).name for p in listed} == {"P-2.toml", "P-3.toml"}
    # The other commands name it the same way, the value as written in TOML.
    assert f"recorded must be a date and time, {found}" in run("report", "P-2", expect=1).stderr
    assert snapshot(data_dir) == before


def test_values_in_messages_are_written_as_in_toml() -> None:
    from datetime import date, datetime, time, timedelta, timezone

    assert as_written(None) == "nothing"
    assert as_written(date(2026, 11, 1)) == "2026-11-01"
    assert as_written(time(10, 0)) == "10:00:00"
    moment = datetime(2026, 11, 1, 10, 0, tzinfo=timezone(timedelta(hours=1)))
    assert as_written(moment) == "2026-11-01T10:00:00+01:00"
    assert as_written([date(2026, 1, 2), "a"]) == "[2026-01-02, 'a']"
    assert (
        as_written(True) == "true"
        and as_written(4.5) == "4.5"
        and as_written({"a": 1}) == "a table"
    )
    assert as_written("x\x1b[31m") == "'x\\x1b[31m'"  # text quoted, escapes visible
    assert len(as_written("y" * 500)) == 40


def test_no_message_of_a_wrongly_typed_chart_shows_a_python_repr(run, patient: Path) -> None:
    run("add", "P-0042", *FULL_ADD)
    text = patient.read_text()
    text = text.replace("depth_mm = 1.5", "depth_mm = 2026-11-01").replace(
        "points = 40", "points = 10:00:00"
    )
    text = text.replace('technique = "gun"', "technique = [2026-11-01]").replace(
        "schema = 2", 'schema = "two"'
    )
    patient.write_text(text)
    out = run("check", expect=1).stdout
    assert "datetime." not in out and "None" not in out
    assert "depth_mm must be a number, found 2026-11-01" in out
    assert "points must be a whole number, found 10:00:00" in out
    assert "technique must be text, found [2026-11-01]" in out
    assert "(found 'two')" in out


# --- one chart, one name ---------------------------------------------------------

WRITES = [
    ["add", "{id}", "--like-last", "--no-input"],
    ["amend", "{id}", "1", "--depth", "2", "--reason", "typo"],
    ["void", "{id}", "1", "--reason", "wrong patient"],
    ["patient", "edit", "{id}", "--name", "Someone Else"],
    ["course", "add", "{id}", "--sessions", "6", "--interval", "14"],
    ["course", "edit", "{id}", "hair", "--sessions", "8"],
    ["restore", "{id}", "1", "--reason", "not a duplicate"],
]


@pytest.fixture
def one_chart(run, data_dir: Path) -> Path:
    run("init")
    run("add", "P-1", "--new-patient", *SESSION)
    return data_dir / "patients" / "P-1.toml"


@pytest.mark.parametrize(
    "write", WRITES, ids=lambda w: w[0] + (w[1] if w[0] in ("patient", "course") else "")
)
def test_a_write_to_a_chart_whose_id_is_not_its_file_name_is_refused(
    run, one_chart: Path, data_dir: Path, write: list[str]
) -> None:
    renamed = one_chart.with_name("P-X.toml")
    text = one_chart.read_text().replace('id = "P-1"', 'id = "P-WRONG"')
    renamed.write_text(text)
    renamed.chmod(0o600)
    before = snapshot(data_dir)
    result = run(*[w.format(id="P-X") for w in write], expect=1)
    line = text.splitlines().index('id = "P-WRONG"') + 1
    assert result.stderr == (
        f"mesolog: {renamed}:{line}: [patient] id 'P-WRONG' does not match the file name; correct "
        "the id or the file name, then run `mesolog check`; nothing changed.\n"
    )
    assert snapshot(data_dir) == before
    # Reads keep working, and check says the same sentence.
    assert "P-WRONG" in run("report", "P-X").stdout
    assert (
        f"{renamed}:{line}: error: [patient] id 'P-WRONG' does not match the file name"
        in run("check", expect=1).stdout
    )


@pytest.mark.parametrize(
    "write", WRITES, ids=lambda w: w[0] + (w[1] if w[0] in ("patient", "course") else "")
)
def test_a_link_to_another_chart_is_a_second_name_never_written_through(
    run, one_chart: Path, data_dir: Path, write: list[str]
) -> None:
    link = one_chart.with_name("P-2.toml")
    link.symlink_to(one_chart)
    before = snapshot(data_dir)
    result = run(*[w.format(id="P-2") for w in write], expect=1)
    assert result.stderr.startswith(
        f"mesolog: {link} is a link to {one_chart}, a second name for a chart"
    )
    assert result.stderr.count("\n") == 1 and result.stderr.endswith("nothing changed.\n")
    assert link.is_symlink() and os.readlink(link) == str(one_chart)
    assert snapshot(data_dir) == before


def test_clinic_wide_answers_list_a_linked_chart_once_and_name_the_link(
    run, one_chart: Path, data_dir: Path
) -> None:
    link = one_chart.with_name("P-2.toml")
    link.symlink_to(one_chart)
    warning = (
        f"warning: {link} is a link to P-1.toml: a second name for one chart, listed once, as P-1"
    )
    for args in (
        ["patient", "list", "--format", "json"],
        ["report", "--format", "json"],
        ["lot", "M1", "--format", "json"],
        ["find", "--area", "scalp", "--format", "json"],
        ["due", "--all", "--format", "json"],
        ["export"],
    ):
        result = run(*args)  # exit 0: nothing is left out
        assert warning in result.stderr, args
        rows = json.loads(result.stdout)
        rows = rows["charts"] if args == ["export"] else rows
        assert len(rows) == 1, (args, rows)
    stats = run("stats", "--by", "area", "--format", "json")
    assert json.loads(stats.stdout)[0]["sessions"] == 1
    checked = run("check")
    assert f"{link}:1: warning: a link to P-1.toml: a second name for one chart" in checked.stdout
    assert "1 file checked: 0 errors, 1 warning." in checked.stderr
    assert "P-1" in run("report", "P-2").stdout  # read through its second name, as before


def test_check_flags_ids_that_differ_only_in_case(run, one_chart: Path, data_dir: Path) -> None:
    twin = one_chart.with_name("p-1.toml")
    twin.write_text(one_chart.read_text().replace('id = "P-1"', 'id = "p-1"'))
    twin.chmod(0o600)
    before = snapshot(data_dir)
    result = run("check", expect=1)
    assert (
        f"{twin}:1: error: patient id 'p-1' differs only in case from 'P-1' (P-1.toml): ids are "
        "unique ignoring case"
    ) in result.stdout
    assert "2 files checked: 1 error, 0 warnings." in result.stderr
    assert snapshot(data_dir) == before


def test_an_import_into_a_chart_whose_id_is_not_its_file_name_is_refused(
    run, one_chart: Path, data_dir: Path, tmp_path: Path
) -> None:
    renamed = one_chart.with_name("P-X.toml")
    renamed.write_text(one_chart.read_text().replace('id = "P-1"', 'id = "P-WRONG"'))
    renamed.chmod(0o600)
    visits = tmp_path / "visits.csv"
    visits.write_text(
        "patient,date,areas,substance,amount,lot,depth_mm,technique,anaesthetic\n"
        "P-X,2026-11-21,scalp,biotin,1ml,B1,1.5,gun,none\n"
    )
    before = snapshot(data_dir)
    result = run("import", str(visits), "--apply", expect=1)
    # The chart's rows are rejected naming it (the other patients' would import: docs/import.md).
    assert "the chart of P-X cannot be read" in result.stdout
    assert "[patient] id 'P-WRONG' does not match the file name" in result.stdout
    assert "nothing was written" in result.stderr
    assert snapshot(data_dir) == before


@pytest.mark.parametrize("number", ["2.0", "true", '"2"'])
def test_an_upgrade_derives_no_uid_for_a_session_number_the_decoder_refuses(number: str) -> None:
    """with_uid goes through schema1_uid like every derivation: a number that is not a whole
    number gets no uid (check names it), where int() used to make 2.0 or true into one."""
    from mesolog.store.chartblocks import with_uid

    block = (
        f"[[sessions]]\nid = {number}\ndate = 2026-01-05\nrecorded = 2026-01-05T10:00:00+01:00\n"
    )
    assert with_uid(block, "P-1") == block
    assert "uid = " in with_uid(block.replace(f"id = {number}", "id = 2"), "P-1")
