"""A line break in a one-line field (a name, a phone, a lot, an area, a reason...) is refused
with one sentence naming the field, before anything is written: printed, it would show as two
lines and could fake a line of output. Notes may hold several lines."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from conftest import snapshot

from mesolog.errors import InvalidValue
from mesolog.model import Chart, Patient, details, drafting, make_course, values
from mesolog.model import vocabulary as vocab
from mesolog.model.amendments import reason_given

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
BREAKS = ["\n", "\r", "\r\n", "\u2028", "\u2029", "\u0085", "\v", "\f"]


def test_one_line_unit() -> None:
    assert values.one_line("Ana Ruiz \t x", "name") == "Ana Ruiz \t x"
    for brk in BREAKS:
        with pytest.raises(InvalidValue, match=r"name .* is not allowed: it must be one line"):
            values.one_line(f"Ana{brk}FAKE", "name")


@pytest.fixture
def chart(run, data_dir: Path) -> Path:
    run(
        "patient",
        "new",
        "P-1",
        "--name",
        "Ana",
        "--sessions",
        "6",
        "--interval",
        "14",
        "--course",
        "hair",
    )
    run("add", "P-1", *SESSION)
    return data_dir


CASES = [
    (["patient", "new", "P-2", "--name", "Ana{b}FAKE LINE: P-0042 due"], "name"),
    (["patient", "new", "P-2", "--phone", "+34{b}600"], "phone"),
    (["patient", "new", "P-2", "--email", "a@b.org{b}"], "email"),
    (
        ["patient", "new", "P-2", "--course", "hair{b}2", "--sessions", "6", "--interval", "14"],
        "course name",
    ),
    (["patient", "edit", "P-1", "--name", "Ana{b}Ruiz"], "name"),
    (["patient", "edit", "P-1", "--phone", "600", "--reason", "new{b}number"], "reason"),
    (["add", "P-1", *SESSION, "-s", "biotin:1ml:LOT B{b}1"], "substance"),
    (["add", "P-1", *SESSION, "-s", "bio{b}tin:1ml:LOT B1"], "substance"),
    (["add", "P-1", *SESSION, "--area", "face{b}neck"], "area"),
    (["add", "P-1", *SESSION, "--indication", "hair{b}loss"], "indication"),
    (["add", "P-1", *SESSION, "--practitioner", "Dr{b}X"], "practitioner"),
    (["add", "P-2", "--new-patient", *SESSION, "--consent", "form{b}2"], "consent"),
    (["add", "P-1", *SESSION, "--complication", "bruising{b}:mild"], "complication"),
    (["amend", "P-1", "1", "-s", "biotin:1ml:LOT B{b}1", "--reason", "wrong lot"], "substance"),
    (["amend", "P-1", "1", "--depth", "2", "--reason", "typo{b}FAKE"], "reason"),
    (["void", "P-1", "1", "--reason", "wrong{b}patient"], "reason"),
    (
        ["course", "add", "P-1", "--sessions", "6", "--interval", "14", "--name", "body{b}2026"],
        "course name",
    ),
    (
        [
            "course",
            "add",
            "P-1",
            "--sessions",
            "6",
            "--interval",
            "14",
            "--indication",
            "hair{b}loss",
        ],
        "indication",
    ),
    (["course", "edit", "P-1", "hair", "--indication", "hair{b}loss"], "indication"),
    (
        ["course", "close", "P-1", "hair", "--status", "stopped", "--reason", "moved{b}away"],
        "reason",
    ),
]


# Every command and field end to end with one kind of break; every kind of break, for every
# field, on the model functions the commands call (below: fast, and more kinds).
@pytest.mark.parametrize(
    ("args", "field"),
    CASES,
    ids=[f"{a[0]}-{a[1] if a[0] in ('patient', 'course') else a[-2]}-{f}" for a, f in CASES],
)
def test_a_line_break_in_a_one_line_field_is_refused_naming_the_field(
    run, chart: Path, args: list[str], field: str
) -> None:
    before = snapshot(chart)
    result = run(*[a.format(b="\n") for a in args], expect=2)
    assert result.stderr.startswith(f"mesolog: {field} '") and result.stderr.count("\n") == 1
    assert "is not allowed: it must be one line; remove the line break" in result.stderr
    assert snapshot(chart) == before


def _session_given(**typed: object) -> None:
    drafting.parse_given(drafting.Given(**typed), vocab.DEFAULT, date(2026, 11, 20))  # type: ignore[arg-type]


# What each command of CASES calls with the typed text ({b}: the line break), and the field the
# refusal names.
MODEL_CASES = [
    (lambda t: details.patient_details({"name": t}, date(2026, 11, 20)), "Ana{b}FAKE", "name"),
    (lambda t: details.patient_details({"phone": t}, date(2026, 11, 20)), "+34{b}600", "phone"),
    (lambda t: details.patient_details({"email": t}, date(2026, 11, 20)), "a@b.org{b}", "email"),
    (lambda t: make_course(t, 6, 14, date(2026, 11, 2)), "hair{b}2", "course name"),
    (lambda t: values.indication(t), "hair{b}loss", "indication"),
    (
        lambda t: details.with_trail(CHART, ["x"], datetime(2026, 11, 20), "Dr X", t),
        "new{b}number",
        "reason",
    ),
    (lambda t: reason_given(t), "typo{b}FAKE", "reason"),
    (lambda t: _session_given(substances=(t,)), "biotin:1ml:LOT B{b}1", "substance"),
    (lambda t: _session_given(substances=(t,)), "bio{b}tin:1ml:LOT B1", "substance"),
    (lambda t: _session_given(areas=(t,)), "face{b}neck", "area"),
    (lambda t: _session_given(indication=t), "hair{b}loss", "indication"),
    (lambda t: _session_given(practitioner=t), "Dr{b}X", "practitioner"),
    (lambda t: _session_given(plain={"consent": t}), "form{b}2", "consent"),
    (lambda t: _session_given(complications=(t,)), "bruising{b}:mild", "complication"),
]
CHART = Chart(Patient(id="P-1", created=datetime(2026, 11, 2)))


@pytest.mark.parametrize("brk", BREAKS, ids=[repr(b) for b in BREAKS])
@pytest.mark.parametrize(
    ("call", "typed", "field"), MODEL_CASES, ids=[f"{n}-{c[2]}" for n, c in enumerate(MODEL_CASES)]
)
def test_every_line_break_in_every_one_line_field_is_refused_by_the_model(
    call, typed: str, field: str, brk: str
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(
        InvalidValue,
        match=f"^{field} '.*' is not allowed: it must be one line; remove the line break",
    ):
        call(typed.format(b=brk))


def test_notes_may_hold_several_lines_and_are_shown_inert(run, chart: Path) -> None:
    run("add", "P-1", *SESSION, "--note", "first line\nsecond line")
    run("patient", "edit", "P-1", "--note", "prefers mornings\nand tea")
    shown = run("report", "P-1", "--format", "json").stdout
    assert "first line\\nsecond line" in shown


def test_an_imported_session_with_a_line_break_is_rejected_with_its_row(
    run, chart: Path, tmp_path: Path
) -> None:
    visits = tmp_path / "visits.csv"
    visits.write_text(
        "patient,date,areas,substance,amount,lot,depth_mm,technique,anaesthetic\n"
        'P-1,2026-11-21,scalp,biotin,1ml,"B\n1",1.5,gun,none\n'
    )
    before = snapshot(chart)
    result = run("import", str(visits), "--apply", expect=1)
    assert (
        "row 2" in result.stdout + result.stderr
        and "it must be one line" in result.stdout + result.stderr
    )
    assert snapshot(chart) == before


def test_an_imported_new_patient_with_a_line_break_in_the_name_is_rejected(
    run, data_dir: Path, tmp_path: Path
) -> None:
    visits = tmp_path / "visits.csv"
    visits.write_text(
        "patient,name,date,areas,substance,amount,lot,depth_mm,technique,anaesthetic\n"
        'P-9,"Ana\nFAKE LINE",2026-11-21,scalp,biotin,1ml,B1,1.5,gun,none\n'
    )
    before = snapshot(data_dir)
    result = run("import", str(visits), "--apply", expect=1)
    assert (
        "row 2, name: name 'Ana\\nFAKE LINE' is not allowed: it must be one line"
        in result.stdout + result.stderr
    )
    assert snapshot(data_dir) == before
