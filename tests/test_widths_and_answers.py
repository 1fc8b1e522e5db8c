"""Reading: unbreakable words at any width, piped width and COLUMNS, answers that left out or
listed an unreadable chart, ``--last N``, Markdown escaping and the README's samples."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, date
from pathlib import Path

import pytest
from conftest import snapshot
from hypothesis import given, settings
from hypothesis import strategies as st
from test_readable import assert_readable, make_clinic, screen

README = Path(__file__).parent.parent / "README.md"

# The QA's long lot and substance.
LONG_SUBSTANCE = "phosphatidylcholine with sodium deoxycholate 5%"
LOT_BEFORE = "PCDC-2026-000123456789-ABCDEFGH"
LOT_AFTER = "PCDC-2026-000123456789-ABCDEFGI"


def piped(*args: str, columns: str | None = None) -> subprocess.CompletedProcess[str]:
    """``mesolog ARGS | cat``: stdout is a pipe; COLUMNS only when given."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    if columns is not None:
        env["COLUMNS"] = columns
    return subprocess.run(
        [sys.executable, "-m", "mesolog", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def widest(text: str) -> int:
    return max((len(line) for line in text.splitlines()), default=0)


# --- an unbreakable word is never folded ---------------------------------------------


@pytest.fixture
def long_lot(run, data_dir: Path) -> Path:
    run("patient", "new", "P-LONG")
    run(
        "add",
        "P-LONG",
        "--date",
        "2026-11-01",
        "--area",
        "abdomen",
        "-s",
        f"{LONG_SUBSTANCE}:10ml:LOT {LOT_BEFORE}",
        "--depth",
        "6",
        "--technique",
        "hand",
        "--anaesthetic",
        "none",
        "--no-input",
    )
    run(
        "amend",
        "P-LONG",
        "1",
        "-s",
        f"{LONG_SUBSTANCE}:10ml:LOT {LOT_AFTER}",
        "--reason",
        "lot typo corrected after checking the vial label",
    )
    return data_dir


@pytest.mark.parametrize("width", (60, 80, 120))
def test_the_audit_trail_never_folds_a_lot_or_a_substance_name(long_lot: Path, width: int) -> None:
    text = screen(width, "report", "P-LONG", "--audit")
    assert_readable(text, width, {LOT_BEFORE, LOT_AFTER, "phosphatidylcholine", "deoxycholate"})
    if width == 80:
        # With who under when (a column less), the trail fits 80 columns as a table, each lot
        # whole on its line (assert_readable); a narrower screen stacks it.
        assert "Audit trail" in text and "┃ Changes" in text


def test_a_free_column_is_as_wide_as_its_longest_word_or_the_rows_are_blocks() -> None:
    from mesolog.render import fit

    columns = [
        fit.Column("Id"),
        fit.Column("Note", whole=False),
        fit.Column("Extra", whole=False, drop=1),
    ]
    word = "PCDC-2026-000123456789-ABCDEFGH"  # 31 characters
    rows: list[list[object]] = [["P-1", f"lot {word} recalled", "x"]]
    wide = fit.fitted(60, columns, rows)
    assert wide.table is not None and wide.hidden == []
    # 3 + 31 + 5 and the rules: 49 columns; 41 without Extra; below that, no table.
    assert fit.fitted(49, columns, rows).hidden == []
    narrow = fit.fitted(48, columns, rows)
    assert narrow.table is not None and narrow.hidden == ["Extra"]
    assert fit.fitted(41, columns, rows).table is not None
    assert fit.fitted(40, columns, rows).table is None


# --- piped output is 80 columns, or COLUMNS -----------------------------------------


@pytest.fixture
def demo(data_dir: Path) -> Path:
    make_clinic.build(data_dir)
    return data_dir


def test_piped_output_fits_80_columns_unless_columns_says_otherwise(
    run, demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    def drawn(*args: str, columns: str | None = None) -> str:
        """What ``mesolog ARGS`` writes into a pipe, run in this process (the runner's stdout
        is no terminal either); COLUMNS only when given."""
        if columns is None:
            monkeypatch.delenv("COLUMNS", raising=False)
        else:
            monkeypatch.setenv("COLUMNS", columns)
        return str(run(*args).stdout)

    note = json.loads(run("report", "P-0107", "--format", "json").stdout)["sessions"][0]["notes"]
    for args in (
        ["report", "P-0107"],
        ["report"],
        ["due", "--all"],
        ["find"],
        ["lot", "D2411"],
        ["stats"],
    ):
        plain = drawn(*args)
        assert widest(plain) <= 80, (args, plain)
        assert "\x1b" not in plain and "…" not in plain
        narrow = drawn(*args, columns="60")
        assert widest(narrow) <= 60, (args, narrow)
        assert drawn(*args, columns="200") == screen_like(args, 200)
    # Nothing is lost: the long note is all there, word for word, at 80 and at 60.
    for columns in (None, "60"):
        assert note.split() == [
            w for w in note.split() if w in drawn("report", "P-0107", columns=columns).split()
        ]
    # A COLUMNS that is not a width is ignored.
    assert drawn("report", columns="wide") == drawn("report")
    # And a real process writing into a real pipe draws the same.
    assert piped("report", "P-0107").stdout == drawn("report", "P-0107")


def screen_like(args: list[str], width: int) -> str:
    """What a terminal ``width`` columns wide shows, as piped text (no colour, and no spaces
    at the ends of lines: a pipe gets none)."""
    return re.sub(r" +\n", "\n", screen(width, *args).replace("\r", ""))


def test_at_60_columns_due_keeps_the_name_and_leaves_out_course_and_progress(demo: Path) -> None:
    text = screen(60, "due", "--all")
    table, note = text.split("Not shown")
    assert "Name" in table and "Sofia" in table and "Ana Ruiz" in table
    assert "Progress" not in table and "Course" not in table
    assert "Progress" in note and "Course" in note


# --- an unreadable chart makes every clinic answer exit 1 -----------------------------


@pytest.fixture
def one_unreadable(run, demo: Path) -> Path:
    (demo / "patients" / "P-BAD.toml").write_text(
        'schema = 2\n[patient]\nid = "P-BAD"\nname = "x\n'
    )
    return demo


@pytest.mark.parametrize(
    "args", [["stats"], ["stats", "--format", "json"], ["stats", "--by", "area"]], ids=" ".join
)
def test_stats_that_left_out_a_chart_exits_1(run, one_unreadable: Path, args: list[str]) -> None:
    before = snapshot(one_unreadable)
    result = run(*args, expect=1)
    assert "P-BAD left out" in result.stderr
    assert "the answer above leaves out 1 chart(s)" in result.stderr
    assert result.stdout.strip()  # the rates of the readable charts are printed all the same
    assert snapshot(one_unreadable) == before


@pytest.mark.parametrize(
    "args",
    [
        ["report"],
        ["patient", "list"],
        ["patient", "list", "--search", "a"],
        ["report", "--format", "csv"],
    ],
    ids=" ".join,
)
def test_the_overview_lists_an_unreadable_chart_and_exits_1(
    run, one_unreadable: Path, args: list[str]
) -> None:
    before = snapshot(one_unreadable)
    result = run(*args, expect=1)
    assert "P-BAD" in result.stdout
    assert "1 chart(s) could not be read" in result.stderr and "mesolog check" in result.stderr
    if "--format" not in args:
        assert "cannot read this chart" in result.stdout
        assert re.search(r"\(\d patients, 1 unreadable, \d{4}-\d\d-\d\d\)", result.stdout), (
            result.stdout
        )
    assert snapshot(one_unreadable) == before


def test_the_overview_title_counts_every_chart_listed(run, one_unreadable: Path) -> None:
    assert "Clinic overview (4 patients, 1 unreadable," in run("report", expect=1).stdout
    (one_unreadable / "patients" / "P-BAD.toml").unlink()
    assert f"Clinic overview (3 patients, {date.today().isoformat()})" in run("report").stdout


# --- --last counts active sessions ---------------------------------------------------


def test_last_counts_active_sessions_and_shows_voided_ones_between(run, patient: Path) -> None:
    import csv
    import io

    for day in ("2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"):
        run(
            "add",
            "P-0042",
            "--date",
            day,
            "--area",
            "scalp",
            "-s",
            "minoxidil:1ml",
            "--depth",
            "1",
            "--technique",
            "gun",
            "--anaesthetic",
            "none",
        )
    run("void", "P-0042", "4", "--reason", "entered twice")
    run("void", "P-0042", "2", "--reason", "wrong patient")

    def rows(n: str) -> list[tuple[str, str]]:
        out = run("report", "P-0042", "--last", n, "--format", "csv").stdout
        return [(r["session"], r["status"]) for r in csv.DictReader(io.StringIO(out))]

    assert rows("1") == [("3", "active")]  # what was done last time, not the voided 4
    assert rows("2") == [("1", "active"), ("2", "voided"), ("3", "active")]
    assert rows("9") == [
        ("1", "active"),
        ("2", "voided"),
        ("3", "active"),
    ]  # 4 came after the last one done


def test_last_is_the_same_rule_in_the_model() -> None:
    from datetime import date, datetime

    from mesolog.model import progress
    from mesolog.model.records import Session

    def session(n: int, status: str) -> Session:
        return Session(
            id=n,
            date=date(2026, 11, n),
            recorded=datetime(2026, 11, n, tzinfo=UTC),
            practitioner="x",
            areas=("scalp",),
            technique="gun",
            depth_mm=1.0,
            anaesthetic="none",
            substances=(),
            status=status,
        )

    chart = (session(1, "active"), session(2, "voided"), session(3, "active"), session(4, "voided"))
    assert [s.id for s in progress.in_window(chart, last=1)] == [3]
    assert [s.id for s in progress.in_window(chart, last=2)] == [1, 2, 3]
    assert [s.id for s in progress.in_window(chart, until=date(2026, 11, 2), last=1)] == [1]
    assert progress.in_window(chart[1::2], last=1) == ()  # nothing active: nothing done


# --- Markdown escaping, checked by a CommonMark renderer -----------------------------


def _text_content(html: str) -> str:
    from html.parser import HTMLParser

    class Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []

        def handle_data(self, data: str) -> None:
            self.parts.append(data)

    parser = Text()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


# What a practitioner can type on one line (control characters are shown as escapes before
# Markdown sees them), with Markdown's special characters made frequent.
one_line = st.lists(
    st.one_of(
        st.sampled_from(
            [*list("\\`*_[]<>|&~#!-+=.)(:1234 \t"), "  ", "***", "```", "~~~", "1.", "- ", "&amp;"]
        ),
        st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")),
    ),
    max_size=20,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(one_line)
def test_escaped_text_renders_as_the_text_itself(text: str) -> None:
    from markdown_it import MarkdownIt

    from mesolog.render.console import markdown_text

    escaped = markdown_text(text)
    block = MarkdownIt("commonmark").render(escaped)
    assert _text_content(block).removesuffix("\n") == text, (escaped, block)
    assert _text_content(MarkdownIt("commonmark").renderInline(escaped)) == text


@settings(max_examples=300, deadline=None)
@given(one_line, one_line)
def test_a_markdown_table_cell_renders_as_the_text_itself(first: str, second: str) -> None:
    from markdown_it import MarkdownIt

    from mesolog.render.console import to_markdown

    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    html = md.render(to_markdown(["a", "b"], [[first, second]]))
    cells = re.findall(r"<td>(.*?)</td>", html, flags=re.DOTALL)
    assert [_text_content(c) for c in cells] == [first, second], html


def test_markdown_escapes_the_qa_name_and_keeps_dates_and_keys_readable(run, demo: Path) -> None:
    name = "a|b *c* <script>x</script> `d` _e_ ~~f~~ [g](h)"
    run("patient", "new", "P-0048", "--name", name)
    md = run("report", "--format", "markdown").stdout
    assert "\\*c\\*" in md and "\\_e\\_" in md and "\\~\\~f\\~\\~" in md and "\\`d\\`" in md
    full = run("report", "P-0213", "--format", "markdown", "--audit").stdout
    assert "2026-10-16" in md + full and "P-0213" in full and "\\-" not in md + full
    from mesolog.render.console import markdown_text

    assert markdown_text("wrinkle_severity_wsrs") == "wrinkle_severity_wsrs"  # no emphasis possible
    assert markdown_text("# not a heading") == "\\# not a heading"
    assert markdown_text("1. not a list") == "1\\. not a list"


# --- the README's samples are what a new user sees ----------------------------------


def _normalised(text: str) -> list[list[str]]:
    """A sample without what changes from day to day: today's date and the days overdue, and
    the widths they give the columns. The table is read back as rows of cells, a cell wrapped
    over two lines joined again (``overdue 1322 d`` in 2030 makes "Next due" wider and wraps
    "Sofia Berg"), so the rows, their order and every value are still compared."""
    text = re.sub(r"(patients?), \d{4}-\d\d-\d\d\)", r"\1, TODAY)", text)
    text = re.sub(r"(overdue|in) \d+ (d|days)\b", r"\1 N \2", text)
    rows: list[list[str]] = []
    for line in text.splitlines():
        cells = [cell.strip() for cell in re.split("[│┃]", line)[1:-1]]
        if not cells:
            if line.strip(" ┏━┳┓┡╇┩└─┴┘"):
                rows.append([line.strip()])  # the title
        elif rows and cells[0] == "" and len(cells) == len(rows[-1]):
            rows[-1] = [
                f"{above} {below}".strip() for above, below in zip(rows[-1], cells, strict=True)
            ]
        else:
            rows.append(cells)
    return rows


def test_the_readme_quick_start_sample_is_the_real_output() -> None:
    readme = README.read_text()
    command = "mesolog --data-dir examples/clinic report"
    assert f"pip install . && {command}\n" in readme
    sample = readme.split("(the clinic overview;")[1].split("```\n")[1]
    clinic = str(README.parent / "examples" / "clinic")
    real = piped("--data-dir", clinic, "report", columns="80")
    assert real.returncode == 0
    assert widest(sample) <= 80
    assert _normalised(sample) == _normalised(real.stdout)
