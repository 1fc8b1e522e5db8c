"""The text-editing module: changes written into a chart's own text keep every other byte.

Fast tests of ``store.layout`` (where things are) and ``store.editing`` (changes in place) on
real chart text read by the real codec; the end-to-end ones through the CLI are in
test_corrections.py.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mesolog.errors import WouldLoseHandEdits
from mesolog.model import Amendment, Complication, Course
from mesolog.store.codec import parse_chart_text
from mesolog.store.editing import (
    append_table,
    remove_value,
    revise,
    revise_chart,
    set_value,
)
from mesolog.store.layout import scan

PATH = Path("P-1.toml")

CHART = '''\
# mesolog patient chart (schema 1). Managed by mesolog.
schema = 1

# Ana asked us not to call before 10.
[patient]
id = "P-1"  # pseudonymous
created = 2026-11-02T10:14:00+01:00
favourite_colour = "green"

[[sessions]]
id = 1  # first visit
date = 2026-11-02
recorded = 2026-11-02T18:03:11+01:00
practitioner = "Dr. L. Moreau"
areas = [
    "scalp", # the crown only
]
technique = "gun"
depth_mm = 1.5    # measured twice
anaesthetic = "none"
notes = """went well
[[sessions]]
id = 7
"""
room = "B"

[[sessions.substances]]
name = "dutasteride"  # from the new supplier
amount = 1.0
unit = "ml"
category = "hair"
lot = "D2411"

[sessions.measurements]
hair_density_per_cm2 = 142.0

# -- second visit --
[[sessions]]
id = 2
date = 2026-11-16
recorded = 2026-11-16T18:00:00+01:00
areas = ["scalp"]
technique = "gun"
depth_mm = 1.5
anaesthetic = "none"

[[sessions.substances]]
name = "dutasteride"
amount = 1.0
unit = "ml"
lot = "D2411"
# end of chart
'''

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """(lines gone, lines new) between two texts."""
    gone, new = [], []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        if line.startswith("- "):
            gone.append(line[2:])
        elif line.startswith("+ "):
            new.append(line[2:])
    return gone, new


# --- layout -----------------------------------------------------------------------------------


def test_layout_finds_every_table_and_key_line_and_ignores_headers_inside_strings() -> None:
    layout = scan(CHART)
    sessions = layout.elements(("sessions",))
    assert [t.header for t in sessions] == [9, 37]  # 0-based; "[[sessions]]" in the note is text
    assert layout.line(("sessions", 0, "depth_mm")) == 19
    assert layout.line(("sessions", 1, "substances", 0, "lot")) == 51
    assert layout.line(("sessions", 0, "measurements", "hair_density_per_cm2")) == 35
    assert layout.line(("sessions", 1, "measurements")) == 38  # absent: its session's header
    assert layout.keys[("sessions", 0, "areas")].inner_comment
    assert layout.keys[("sessions", 0, "notes")].last == 23
    assert len(tomllib.loads(CHART)["sessions"]) == len(sessions)


# --- changes ----------------------------------------------------------------------------------


def test_a_changed_field_changes_its_value_only_keeping_its_comment() -> None:
    after = set_value(CHART, ("sessions", 0, "depth_mm"), 2.0)
    assert changed_lines(CHART, after) == (
        ["depth_mm = 1.5    # measured twice"],
        ["depth_mm = 2.0    # measured twice"],
    )


def test_an_absent_key_is_added_after_the_key_it_follows() -> None:
    after = set_value(CHART, ("sessions", 1, "course"), "hair-2026", ["recorded"])
    lines = after.splitlines()
    assert lines[lines.index("recorded = 2026-11-16T18:00:00+01:00") + 1] == 'course = "hair-2026"'
    assert changed_lines(CHART, after) == ([], ['course = "hair-2026"'])


def test_a_trail_entry_goes_after_its_own_session_not_into_the_next() -> None:
    entry = {"at": AT, "by": "Dr. M", "reason": "typo", "changes": ["depth_mm: 1.5 -> 2"]}
    after = append_table(
        CHART, ("sessions", 0, "amendments"), entry, ["substances", "measurements"]
    )
    data = tomllib.loads(after)
    assert data["sessions"][0]["amendments"] == [entry]
    assert "amendments" not in data["sessions"][1]
    gone, new = changed_lines(CHART, after)
    assert gone == []
    assert new[0] == "[[sessions.amendments]]" and "# -- second visit --" not in new
    # The comment that introduces session 2 still sits right above it.
    assert "# -- second visit --\n[[sessions]]\nid = 2" in after


def test_a_first_course_goes_after_the_patient_table() -> None:
    course = {"name": "hair-2026", "planned_sessions": 6, "interval_days": 14}
    after = append_table(CHART, ("courses",), course, ["schema", "patient"])
    assert tomllib.loads(after)["courses"] == [course]
    assert after.index("[[courses]]") < after.index("[[sessions]]")
    assert changed_lines(CHART, after)[0] == []


def test_a_chart_level_trail_entry_goes_after_the_last_session() -> None:
    entry = {"at": AT, "by": "Dr. M", "reason": "married name", "changes": ["patient.name"]}
    after = append_table(CHART, ("amendments",), entry, ["schema", "patient", "sessions"])
    data = tomllib.loads(after)
    assert data["amendments"] == [entry] and len(data["sessions"]) == 2
    assert after.rstrip().endswith("# end of chart")


def test_removing_a_value_keeps_the_comment_on_its_line() -> None:
    after = remove_value(CHART, ("patient", "id"), "P-1")
    assert changed_lines(CHART, after) == (['id = "P-1"  # pseudonymous'], ["# pseudonymous"])


def test_removing_a_block_that_holds_a_comment_or_an_unknown_key_is_refused() -> None:
    known = tomllib.loads(CHART)["sessions"][0]["substances"][0]
    with pytest.raises(WouldLoseHandEdits, match="line 28: a comment"):
        remove_value(CHART, ("sessions", 0, "substances", 0), known)
    plain = tomllib.loads(CHART)["sessions"][1]["substances"][0]
    trimmed = {k: v for k, v in plain.items() if k != "lot"}
    with pytest.raises(WouldLoseHandEdits, match="lot was typed by hand"):
        remove_value(CHART, ("sessions", 1, "substances", 0), trimmed)
    after = remove_value(CHART, ("sessions", 1, "substances", 0), plain)
    assert "substances" not in tomllib.loads(after)["sessions"][1]


def test_a_value_with_comments_inside_is_refused_not_rewritten() -> None:
    with pytest.raises(WouldLoseHandEdits, match=r"line 15: the value of sessions\[1\]\.areas"):
        set_value(CHART, ("sessions", 0, "areas"), ["face"])


def test_an_inline_list_of_tables_is_edited_as_one_value_or_refused_when_appended_to() -> None:
    text = 'schema = 1\n\n[patient]\nid = "P-1"\nlist = [{ a = 1 }]  # inline\n'
    assert revise(text, {"patient": {"list": [{"a": 1}]}}, {"patient": {"list": [{"a": 2}]}}) == (
        text.replace("{ a = 1 }", "{ a = 2 }")
    )
    with pytest.raises(WouldLoseHandEdits, match="written inline"):
        append_table(text, ("patient", "list"), {"a": 3})


# --- whole charts -----------------------------------------------------------------------------


def test_revise_chart_changes_only_the_changed_fields_and_appends_the_trail() -> None:
    before = parse_chart_text(PATH, CHART)
    old = before.sessions[0]
    note = Amendment(AT, "Dr. M", "typo", ("depth_mm: 1.5 -> 2", "technique: gun -> hand"))
    new = replace(old, depth_mm=2.0, technique="hand", amendments=(note,))
    after_chart = replace(before, sessions=(new, before.sessions[1]))
    after = revise_chart(CHART, before, after_chart)
    assert parse_chart_text(PATH, after) == after_chart
    gone, added = changed_lines(CHART, after)
    assert gone == ['technique = "gun"', "depth_mm = 1.5    # measured twice"]
    assert added[:2] == ['technique = "hand"', "depth_mm = 2.0    # measured twice"]
    assert [line for line in added[2:] if line] == [
        "[[sessions.amendments]]",
        "at = 2026-11-20 09:00:00+00:00",
        'by = "Dr. M"',
        'reason = "typo"',
        "changes = [",
        '    "depth_mm: 1.5 -> 2",',
        '    "technique: gun -> hand",',
        "]",
    ]


def test_revise_chart_adds_a_complication_a_measurement_and_a_course() -> None:
    before = parse_chart_text(PATH, CHART)
    second = before.sessions[1]
    bruise = Complication("bruising", "mild", date(2026, 11, 17))
    new = replace(second, complications=(bruise,), measurements={"satisfaction_0_10": 8.0})
    course = Course("hair-2026", 6, 14, date(2026, 11, 2), "hair loss")
    intended = replace(before, courses=(course,), sessions=(before.sessions[0], new))
    after = revise_chart(CHART, before, intended)
    assert parse_chart_text(PATH, after) == intended
    gone, _ = changed_lines(CHART, after)
    assert gone == []


def test_revise_chart_replaces_a_substance_field_by_field() -> None:
    before = parse_chart_text(PATH, CHART)
    first = before.sessions[0]
    swapped = replace(first.substances[0], lot="D2412")
    intended = replace(before, sessions=(replace(first, substances=(swapped,)), before.sessions[1]))
    after = revise_chart(CHART, before, intended)
    assert parse_chart_text(PATH, after) == intended
    assert changed_lines(CHART, after) == (['lot = "D2411"'], ['lot = "D2412"'])


# --- the scanner against tomllib --------------------------------------------------------------

_PIECES = [
    "a",
    "b ",
    "[[sessions]]",
    "[x]",
    '"',
    "'",
    '"""',
    "'''",
    "#",
    "=",
    "\\",
    "\n",
    "\t",
    "{}",
    ",.",
    "é",
]
_TEXT = st.lists(st.sampled_from(_PIECES), max_size=8).map("".join)
_SCALAR = st.one_of(
    _TEXT,
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.dates(),
    st.datetimes(timezones=st.just(UTC)),
)
_KEY = st.text(alphabet=st.sampled_from(list("ab_-.é \"'#[]")), min_size=1, max_size=6)
_VALUE = st.recursive(
    st.one_of(_SCALAR, st.lists(_SCALAR, max_size=3)),
    lambda inner: st.one_of(
        st.dictionaries(_KEY, inner, max_size=3),
        st.lists(st.dictionaries(_KEY, inner, min_size=1, max_size=3), min_size=1, max_size=3),
    ),
    max_leaves=12,
)


def _at(data: object, place: tuple[str | int, ...]) -> object:
    for part in place:
        data = data[part]  # type: ignore[index]
    return data


@settings(max_examples=150, deadline=None)
@given(document=st.dictionaries(_KEY, _VALUE, max_size=5), multiline=st.booleans())
def test_every_key_line_the_scanner_finds_holds_the_value_tomllib_reads(
    document, multiline
) -> None:  # type: ignore[no-untyped-def]
    import tomli_w

    text = tomli_w.dumps(document, multiline_strings=multiline)
    data = tomllib.loads(text)
    layout = scan(text)
    for place, entry in layout.keys.items():
        value = tomllib.loads("v = " + text[entry.start : entry.end])["v"]
        assert value == _at(data, place), place
    # Every table tomllib sees written as a header is found, at its place.
    for place, table in layout.tables.items():
        assert isinstance(_at(data, place), dict)
        if table.header is not None:
            assert text.splitlines()[table.header].lstrip().startswith("[")
    # Every scalar of the top table is a key line.
    for key, value in data.items():
        if not isinstance(value, (dict, list)):
            assert (key,) in layout.keys


def test_the_scanner_follows_every_kind_of_string_and_quoted_key() -> None:
    text = (
        'a = """ends with quotes""""\n'
        "b = '''literal\n[[sessions]]\n'''  # c\n"
        "c = 'x # not a comment'\n"
        '"quoted key".inner = "v\\"#"\n'
        "d = [\n  '''\n]\n''', # one\n  2,\n]\n"
        "e = 1979-05-27 07:32:00Z\n"
        "[[sessions]]\n"
        "id = 1\n"
    )
    data = tomllib.loads(text)
    layout = scan(text)
    for place, entry in layout.keys.items():
        assert tomllib.loads("v = " + text[entry.start : entry.end])["v"] == _at(data, place)
    assert set(layout.keys) == {
        ("a",),
        ("b",),
        ("c",),
        ("quoted key", "inner"),
        ("d",),
        ("e",),
        ("sessions", 0, "id"),
    }
    assert layout.keys[("b",)].comment is not None and layout.keys[("d",)].inner_comment
    assert not layout.keys[("c",)].comment
    assert [t.header for t in layout.elements(("sessions",))] == [13]


@settings(max_examples=150, deadline=None)
@given(
    document=st.dictionaries(_KEY, _VALUE, max_size=5),
    multiline=st.booleans(),
    picks=st.lists(st.integers(min_value=0, max_value=10_000), max_size=4),
    absent=st.booleans(),
)
def test_a_scan_that_stops_early_gives_every_asked_place_the_line_a_whole_scan_gives(  # type: ignore[no-untyped-def]
    document, multiline, picks, absent
) -> None:
    """``check`` reads a chart's text only as far as the last place it must name a line for."""
    import tomli_w

    from mesolog.store.layout import scan_until

    text = tomli_w.dumps(document, multiline_strings=multiline)
    whole = scan(text)
    known = [*whole.keys, *whole.tables]
    asked = [known[i % len(known)] for i in picks] if known else []
    if absent:  # a place written nowhere: its nearest enclosing table answers
        asked.append((*(asked[0] if asked else ()), "not-written"))
    early = scan_until(text, asked)
    assert [early.line(p) for p in asked] == [whole.line(p) for p in asked]


def test_a_scan_that_stops_early_stops_at_the_last_place_asked() -> None:
    from mesolog.store.layout import scan_until

    early = scan_until(CHART, [("patient", "id")])
    assert early.line(("patient", "id")) == 6
    assert ("sessions", 0) not in early.tables  # it read no further
    assert (
        scan_until(CHART, [("patient", "id"), ("sessions", 1, "depth_mm")]).line(
            ("sessions", 1, "depth_mm")
        )
        == 44
    )
