"""Corrections through the real CLI keep every byte typed by hand: only the changed fields' lines
and the new trail entry differ (DESIGN "File format"); what cannot be done that way is refused,
and so is a session number that two sessions carry."""

from __future__ import annotations

import difflib
import re
import tomllib
from pathlib import Path

import pytest
from conftest import FULL_ADD, snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mesolog.store.layout import scan


def diff(before: str, after: str) -> tuple[list[str], list[str]]:
    """(lines gone, lines new) between two texts, blank lines left out."""
    gone, new = [], []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        if line.startswith("- ") and line[2:].strip():
            gone.append(line[2:])
        elif line.startswith("+ ") and line[2:].strip():
            new.append(line[2:])
    return gone, new


def trail_lines(new: list[str], reason: str, changes: list[str]) -> list[str]:
    """The lines of one appended ``[[sessions.amendments]]`` entry, checked and returned."""
    start = new.index("[[sessions.amendments]]")
    entry = new[start:]
    assert re.fullmatch(r"at = \d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d\d:\d\d", entry[1])
    assert entry[2].startswith("by = ")
    assert entry[3:] == [
        f'reason = "{reason}"',
        "changes = [",
        *(f'    "{c}",' for c in changes),
        "]",
    ]
    return entry


@pytest.fixture
def chart(run, patient: Path) -> Path:
    run("add", "P-0042", *FULL_ADD)
    run("add", "P-0042", "--like-last", "--date", "2026-11-16")
    return patient


def first_session(text: str) -> tuple[str, str, str]:
    """(before session 1, session 1's block, from session 2 on)."""
    one = text.index("[[sessions]]")
    two = text.index("[[sessions]]\nid = 2")
    return text[:one], text[one:two], text[two:]


HAND_EDITS = {
    "a comment inside the amended block": lambda s1: s1.replace(
        'technique = "gun"\n', 'technique = "gun"\n# she moved during the injection\n'
    ),
    "an unknown key inside the amended block": lambda s1: s1.replace(
        'status = "active"\n', 'status = "active"\nroom = "B"\n'
    ),
    "an unknown key in its substance": lambda s1: s1.replace(
        'lot = "D2411"\n', 'lot = "D2411"\nsupplier = "Pharma SA"\n'
    ),
    "a comment on the id line": lambda s1: s1.replace("id = 1\n", "id = 1  # first visit\n"),
    "a note holding [[sessions]]": lambda s1: s1.replace(
        'notes = "first session"\n',
        'notes = """first session\n[[sessions]]\nid = 9\nnot a header\n"""\n',
    ),
}


@pytest.mark.parametrize("edit", list(HAND_EDITS), ids=list(HAND_EDITS))
def test_amend_changes_only_the_changed_field_and_appends_the_trail(
    run, chart: Path, edit: str
) -> None:
    head, s1, rest = first_session(chart.read_text())
    # Comments elsewhere too: above the patient, between the sessions, at the end.
    hand = (
        head.replace("[patient]", "# ask before calling: works nights\n[patient]")
        + HAND_EDITS[edit](s1)
        + "# -- second visit --\n"
        + rest
        + "\n# reviewed by Dr. M on 2026-11-20\n"
    )
    chart.write_text(hand)
    run("amend", "P-0042", "1", "--depth", "2", "--reason", "typo")
    after = chart.read_text()
    gone, new = diff(hand, after)
    assert gone == ["depth_mm = 1.5"]
    assert new[0] == "depth_mm = 2.0"
    assert new[1:] == trail_lines(new, "typo", ["depth_mm: 1.5 -> 2"])
    data = tomllib.loads(after)
    assert data["sessions"][0]["depth_mm"] == 2.0 and data["sessions"][1]["depth_mm"] == 1.5
    assert "amendments" not in data["sessions"][1]
    assert after.endswith(
        rest + "\n# reviewed by Dr. M on 2026-11-20\n"
    )  # session 2, byte for byte


def test_amend_with_a_complication_and_a_measurement_keeps_the_block(run, chart: Path) -> None:
    head, s1, rest = first_session(chart.read_text())
    hand = head + s1.replace("id = 1\n", "id = 1  # first visit\n") + rest
    chart.write_text(hand)
    run(
        "amend",
        "P-0042",
        "1",
        "--add-complication",
        "bruising:mild:onset=2026-11-03",
        "--measure",
        "satisfaction_0_10=8",
        "--reason",
        "reported at follow-up",
    )
    after = chart.read_text()
    gone, new = diff(hand, after)
    assert gone == ["satisfaction_0_10 = 7.0"]
    assert "satisfaction_0_10 = 8.0" in new and "[[sessions.complications]]" in new
    assert "id = 1  # first visit" in after
    assert tomllib.loads(after)["sessions"][0]["complications"][0]["name"] == "bruising"


def test_void_keeps_hand_edits_and_changes_the_status_line(run, chart: Path) -> None:
    head, s1, rest = first_session(chart.read_text())
    hand = head + s1.replace("id = 1\n", 'id = 1  # first visit\nroom = "B"\n') + rest
    chart.write_text(hand)
    run("void", "P-0042", "1", "--reason", "entered twice")
    gone, new = diff(hand, chart.read_text())
    assert gone == ['status = "active"'] and new[0] == 'status = "voided"'
    assert new[1:] == trail_lines(new, "entered twice", ["status: active -> voided"])


def test_course_add_keeps_every_comment_of_the_chart(run, chart: Path) -> None:
    hand = "# ask before calling\n" + chart.read_text().replace("id = 1\n", "id = 1  # first\n")
    chart.write_text(hand)
    run(
        "course",
        "add",
        "P-0042",
        "--sessions",
        "4",
        "--interval",
        "21",
        "--name",
        "face-2026",
        "--indication",
        "skin rejuvenation",
        "--start",
        "2026-11-20",
    )
    after = chart.read_text()
    gone, new = diff(hand, after)
    assert gone == []
    # (Both courses end with `status = "active"`: the diff may pair the old course's line with
    # the new block's, so the new lines are checked as a set, the text as a whole below.)
    assert "[[courses]]" in new and 'name = "face-2026"' in new
    assert after.index('name = "face-2026"') < after.index("[[sessions]]")
    assert [c["name"] for c in tomllib.loads(after)["courses"]] == ["hair-2026", "face-2026"]


def test_a_change_that_would_lose_a_comment_is_refused_and_nothing_changes(
    run, chart: Path, data_dir: Path
) -> None:
    chart.write_text(
        chart.read_text().replace('    "scalp",\n]', '    "scalp", # the crown only\n]', 1)
    )
    before = snapshot(data_dir)
    result = run("amend", "P-0042", "1", "--area", "face", "--reason", "typo", expect=1)
    line = chart.read_text().splitlines().index("areas = [") + 1  # where the value starts
    assert f"line {line}: the value of sessions[1].areas has comments inside it" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert snapshot(data_dir) == before


# --- a number two sessions carry --------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["void", "P-0042", "1", "--reason", "dup"],
        ["amend", "P-0042", "1", "--depth", "2", "--reason", "x"],
    ],
    ids=["void", "amend"],
)
def test_a_session_number_used_twice_is_refused_naming_both_lines(
    run, chart: Path, data_dir: Path, command: list[str]
) -> None:
    text = chart.read_text().replace("[[sessions]]\nid = 2\n", "[[sessions]]\nid = 1\n")
    chart.write_text(text)
    numbers = [n for n, line in enumerate(text.splitlines(), 1) if line == "id = 1"]
    before = snapshot(data_dir)
    result = run(*command, expect=1)
    assert f"has 2 sessions numbered 1 (lines {numbers[0]} and {numbers[1]})" in result.stderr
    assert snapshot(data_dir) == before
    # `check` names the same two lines, where the renumbering is typed.
    said = run("check", expect=1).stdout + run("check", expect=1).stderr
    assert (
        f"P-0042.toml:{numbers[1]}: error: session number 1 is also used at line {numbers[0]}"
        in said
    )


# --- property: whatever is typed by hand survives an amendment --------------------------------

_PRISTINE: dict[Path, str] = {}
_WORDS = st.text(
    alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"]), max_size=24
)
_EDITS = st.lists(
    st.tuples(st.integers(min_value=0), st.sampled_from(["comment", "key", "trailing"]), _WORDS),
    max_size=8,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    edits=_EDITS,
    depth=st.sampled_from(["1", "2", "2.5", "3.75"]),
    note=st.one_of(st.none(), _WORDS),
)
def test_every_hand_typed_line_survives_an_amendment(run, chart: Path, edits, depth, note) -> None:  # type: ignore[no-untyped-def]
    import tomli_w

    base = _PRISTINE.setdefault(chart, chart.read_text())  # examples share the chart's file
    if not base.endswith("\n"):
        base += "\n"
    layout = scan(base)
    # Lines after which a line may go: a header or the last line of a value (not inside one);
    # an unknown key not inside [sessions.measurements] (every key there is a measurement).
    headed = sorted((t.header, t.place) for t in layout.tables.values() if t.header is not None)
    ends = sorted({h for h, _ in headed} | {k.last for k in layout.keys.values()})

    def takes_keys(index: int) -> bool:
        owner = [place for header, place in headed if header <= index]
        return not owner or "measurements" not in owner[-1]

    lines = base.splitlines(keepends=True)
    typed: list[str] = []
    for number, (at, kind, words) in enumerate(edits):
        index = ends[at % len(ends)]
        if kind == "trailing":
            lines[index] = lines[index].rstrip("\n") + f"  # {words}\n"
            typed.append(f"  # {words}")
        elif kind == "comment" or not takes_keys(index):
            lines[index] += f"# {words}\n"
            typed.append(f"# {words}")
        else:
            line = f"hand_{number} = {tomli_w.dumps({'v': words})[4:-1]}"
            lines[index] += line + "\n"
            typed.append(line)
    hand = "".join(lines)
    chart.write_text(hand)
    args = ["amend", "P-0042", "2", "--depth", depth, "--reason", "property"]
    if note is not None:
        args += ["--note", note]
    run(*args)  # the depth always differs from 1.5: always a change
    after = chart.read_text()
    for piece in typed:
        assert any(piece in line for line in after.splitlines()), piece
    gone, _ = diff(hand, after)
    assert all(g.startswith(("depth_mm = ", "notes = ")) for g in gone), gone
    session = tomllib.loads(after)["sessions"][1]
    assert session["depth_mm"] == float(depth)
    if note is not None:
        assert session["notes"] == note
