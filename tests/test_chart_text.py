"""Text that cannot break a chart: every line-breaking character is refused in one-line fields,
a note holding one is stored so that every later edit reads back, `check` finds a chart that
holds one and `amend --note` repairs it; and every message quoting stored text is inert."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from conftest import snapshot

BREAKS = ["\u2028", "\u2029", "\u0085", "\v", "\f"]
SESSION = [
    "--area",
    "scalp",
    "-s",
    "biotin:1ml:LOT B1",
    "--depth",
    "1.5",
    "--technique",
    "gun",
    "--anaesthetic",
    "none",
    "--no-input",
]
OSC52 = "\x1b]52;c;SGVsbG8=\x07"  # an escape sequence that writes the terminal's clipboard


def _chart(run, data_dir: Path) -> Path:  # type: ignore[no-untyped-def]
    run(
        "patient",
        "new",
        "P-1",
        "--name",
        "Ana",
        "--course",
        "hair",
        "--indication",
        "hair loss",
        "--sessions",
        "6",
        "--interval",
        "14",
        "--start",
        "2026-10-01",
    )
    return data_dir / "patients" / "P-1.toml"


@pytest.mark.parametrize("brk", BREAKS)
def test_a_note_holding_a_line_break_never_stops_a_later_edit(
    run, data_dir: Path, brk: str
) -> None:  # type: ignore[no-untyped-def]
    chart = _chart(run, data_dir)
    note = f"line one{brk}line two"
    run("add", "P-1", "--date", "2026-11-01", *SESSION, "--note", note)
    run("add", "P-1", "--date", "2026-11-20", *SESSION)
    run("amend", "P-1", "2", "--depth", "2", "--reason", "measured again")
    run("amend", "P-1", "1", "--depth", "2", "--reason", "measured again")
    run("patient", "edit", "P-1", "--name", "Ana Ruiz", "--reason", "full name")
    run("course", "edit", "P-1", "hair", "--sessions", "5", "--reason", "shorter")
    run("void", "P-1", "2", "--reason", "duplicate")
    data = tomllib.loads(chart.read_text(encoding="utf-8"))
    assert data["sessions"][0]["notes"] == note  # read back exactly as typed
    assert data["sessions"][1]["status"] == "voided" and data["patient"]["name"] == "Ana Ruiz"


@pytest.mark.parametrize("brk", BREAKS)
@pytest.mark.parametrize(
    "args",
    [
        ("add", "P-1", *SESSION, "--practitioner", "Dr.{}X"),
        ("add", "P-1", *SESSION, "--area", "neck{}face"),
        ("patient", "edit", "P-1", "--name", "A{}B", "--reason", "x"),
        ("patient", "edit", "P-1", "--phone", "1", "--reason", "x{}y"),
        ("course", "add", "P-1", "--name", "c{}d", "--sessions", "3", "--interval", "14"),
        ("config", "set", "clinic_name", "A{}B"),
    ],
)
def test_a_line_break_in_a_one_line_field_is_refused(
    run, data_dir: Path, config_file: Path, brk: str, args: tuple[str, ...]
) -> None:  # type: ignore[no-untyped-def]
    _chart(run, data_dir)
    before = snapshot(data_dir), snapshot(config_file.parent)
    result = run(*(a.replace("{}", brk) for a in args), expect=2)
    assert result.stderr.count("\n") == 1 and brk not in result.stderr
    assert (snapshot(data_dir), snapshot(config_file.parent)) == before


def test_check_finds_a_chart_holding_one_and_amend_note_repairs_it(run, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    chart = _chart(run, data_dir)
    run("add", "P-1", "--date", "2026-11-01", *SESSION, "--note", "ok")
    # As an older mesolog or a hand edit left it: raw separators in the note and in the name.
    text = chart.read_text(encoding="utf-8")
    chart.write_text(
        text.replace('notes = "ok"', 'notes = "a\u2028b\u0085c"').replace(
            'name = "Ana"', 'name = "An\u2029a"'
        ),
        encoding="utf-8",
    )
    found = run("check", expect=1).stdout
    assert "session 1: the notes hold U+0085, U+2028" in found and "amend P-1 1 --note" in found
    assert "patient name 'An\\u2029a' holds a line break" in found
    run("amend", "P-1", "1", "--note", "a b c", "--reason", "line separators out of the note")
    run("patient", "edit", "P-1", "--name", "Ana", "--reason", "stray separator")
    assert "0 errors, 0 warnings" in run("check").stderr


def test_check_lists_every_problem_of_a_session(run, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    chart = _chart(run, data_dir)
    run("add", "P-1", "--date", "2026-11-01", *SESSION)
    text = chart.read_text(encoding="utf-8")
    chart.write_text(
        text.replace("depth_mm = 1.5", 'depth_mm = "deep"').replace(
            'technique = "gun"', 'technique = "laser"'
        ),
        encoding="utf-8",
    )
    found = run("check", expect=1).stdout
    assert "depth_mm must be a number, found 'deep'" in found
    assert "technique 'laser' is not allowed" in found  # hidden behind the first problem before


def _plant(chart: Path, old: str, new: str) -> None:
    chart.write_text(chart.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def _inert(result) -> str:  # type: ignore[no-untyped-def]
    said = result.stdout + result.stderr
    assert "\x1b" not in said and "\x07" not in said, said
    return said


def test_every_message_quoting_stored_text_is_inert(run, data_dir: Path, config_file: Path) -> None:  # type: ignore[no-untyped-def]
    chart = _chart(run, data_dir)
    run("add", "P-1", "--date", "2026-11-01", *SESSION, "--complication", "bruising:mild")
    # A chart named, a course and a complication written, with an escape sequence (a hand edit,
    # a merge from another machine, an import from another program).
    _plant(chart, 'name = "Ana"', 'name = "Ana \\u001b]52;c;SGVsbG8=\\u0007Ruiz"')
    _plant(chart, 'name = "bruising"', 'name = "bruising\\u001b[2J"')
    _plant(chart, 'name = "hair"', 'name = "hair\\u001b]0;owned\\u0007"')
    _plant(chart, 'course = "hair"', 'course = "hair\\u001b]0;owned\\u0007"')
    before = snapshot(data_dir)
    said = _inert(run("report", "ruiz", expect=1))  # a mistyped id: "did you mean" by name
    assert "\\x1b]52;c;SGVsbG8=\\x07" in said
    _inert(run("add", "P-1", *SESSION, "--course", "nope", expect=1))  # the course list
    _inert(run("amend", "P-1", "1", "--remove-complication", "swelling", "--reason", "x", expect=2))
    assert snapshot(data_dir) == before
    said = _inert(run("patient", "edit", "P-1", "--name", "Ana Ruiz", "--reason", "clean"))
    assert "\\x1b]52" in said  # the old name, shown visibly
    config_file.write_text(
        f'practitioner = "Dr{OSC52}"\n[aftercare]\n"hair{OSC52}" = "x"\n'.replace(
            "\x1b", "\\u001b"
        ).replace("\x07", "\\u0007")
    )
    assert "\\x1b]52" in _inert(run("config", "show"))
    _inert(run("config", "set", "clinic_name", "Clinique"))
    _inert(run("config", "set", f"aftercare.hair{OSC52}", "no wash"))


def test_any_note_reads_back_after_every_later_edit(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Whatever a note holds (line separators, NEL, form feeds, any Unicode), the chart keeps
    reading back: the note as typed, and an amendment of another field still writes."""
    import os

    from hypothesis import example, given, settings
    from hypothesis import strategies as st
    from typer.testing import CliRunner

    from mesolog.cli import app

    runner = CliRunner()

    @settings(max_examples=25)
    @example(note="a\u2028b")
    @example(note="a\u2029b\x85c")
    @example(note="x\ry\n\vz\f")
    @given(
        note=st.text(
            alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
            min_size=1,
            max_size=40,
        ).filter(lambda t: t.strip())
    )
    def round_trip(note: str) -> None:
        folder = tmp_path_factory.mktemp("notes")
        os.environ["MESOLOG_DATA_DIR"] = str(folder)
        assert runner.invoke(app, ["patient", "new", "P-1"]).exit_code == 0
        added = runner.invoke(app, ["add", "P-1", "--date", "2026-11-01", *SESSION, "--note", note])
        assert added.exit_code == 0, added.stderr
        amended = runner.invoke(app, ["amend", "P-1", "1", "--depth", "2", "--reason", "again"])
        assert amended.exit_code == 0, amended.stderr
        session = tomllib.loads((folder / "patients" / "P-1.toml").read_text(encoding="utf-8"))[
            "sessions"
        ][0]
        assert session["notes"] == note and session["depth_mm"] == 2.0

    round_trip()
