"""One column spec per view: the table and the machine forms (JSON, CSV, Markdown) agree.

For every view, the keys below are the manual's table of machine keys (docs/manual.md). ``None`` as the header
marks a key the table does not draw (it folds the value into another column, or leaves it to
the machine forms). Each test reads the real CLI's CSV, JSON, Markdown and piped table over the
demo clinic, and the view's spec in the render layer: all must say the same.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "examples"))
import make_clinic

Spec = list[tuple["str | None", str]]

OVERVIEW: Spec = [
    ("Patient", "patient"),
    ("Name", "name"),
    ("Indication", "indication"),
    ("Sessions", "sessions"),
    (None, "done"),
    (None, "planned"),
    (None, "course"),
    (None, "course_status"),
    ("Last session", "last_session"),
    ("Next due", "next_due"),
    (None, "days_late"),
    ("Latest complications", "latest_complications"),
    (None, "problem"),
]
DUE: Spec = [
    ("Patient", "patient"),
    ("Name", "name"),
    (None, "indication"),
    ("Course", "course"),
    ("Progress", "sessions"),
    (None, "done"),
    (None, "planned"),
    ("Last session", "last_session"),
    ("Next due", "next_due"),
    ("When", "days_late"),
    (None, "latest_complications"),
]
FOUND: Spec = [
    ("Patient", "patient"),
    ("#", "session"),
    ("Date", "date"),
    (None, "status"),
    ("Areas", "areas"),
    ("Substances (lot)", "substances"),
    (None, "lots"),
    ("Technique", "technique"),
    ("Depth", "depth_mm"),
    (None, "anaesthetic"),
    ("Complications", "complications"),
    ("Practitioner", "practitioner"),
    (None, "indication"),
]
LOT: Spec = [
    ("Patient", "patient"),
    (None, "name"),
    (None, "phone"),
    (None, "email"),
    ("#", "session"),
    ("Date", "date"),
    (None, "status"),
    ("Substance", "substance"),
    ("Amount", "amount"),
    (None, "unit"),
    ("Lot", "lot"),
    ("Areas", "areas"),
    (None, "corrected"),  # drawn only when a lot was corrected away from a session
]
# `lot --format csv` is the recall list: one row per patient with the contacts, for a mail merge,
# so its CSV has a spec of its own; JSON and Markdown follow the table's.
RECALL = [
    "patient",
    "name",
    "phone",
    "email",
    "sessions",
    "dates",
    "substances",
    "lots",
    "areas",
    "voided",
    "corrected",
]
STATS: Spec = [
    ("Group", "group"),
    ("Sessions", "sessions"),
    ("Patients", "patients"),
    ("With complications", "with_complications"),
    ("Rate", "rate"),
    ("", "too_small"),
    ("Most frequent", "most_frequent"),
]
SESSIONS: Spec = [
    ("#", "session"),
    ("Date", "date"),
    (None, "status"),
    (None, "amended"),
    (None, "days_since_previous"),
    ("Areas", "areas"),
    (None, "indication"),
    ("Substances (lot)", "substances"),
    (None, "lots"),
    (None, "expiries"),
    (None, "depth_mm"),
    ("Technique", "technique"),
    (None, "method"),
    ("Anaesthetic", "anaesthetic"),
    ("Complications", "complications"),
    (None, "measurements"),
    (None, "practitioner"),
    ("Notes", "notes"),
]


def _spec(view: str) -> list[Any]:
    from mesolog.render import clinic
    from mesolog.render.report import SESSIONS as sessions

    today = date.today()
    return {
        "overview": lambda: clinic.overview_columns(today),
        "due": lambda: clinic.due_columns(today),
        "find": clinic.found_columns,
        "lot": clinic.lot_columns,
        "stats": clinic.stats_columns,
        "report": lambda: list(sessions),
    }[view]()


VIEWS = {
    "overview": (["report"], OVERVIEW),
    "due": (["due", "--all"], DUE),
    "find": (["find"], FOUND),
    "lot": (["lot", "D2411"], LOT),
    "stats": (["stats", "--by", "technique"], STATS),
    "report": (["report", "P-0213"], SESSIONS),
}


@pytest.fixture
def demo(data_dir: Path) -> Path:
    make_clinic.build(data_dir)
    return data_dir


def _table_headers(text: str) -> list[str]:
    """The header cells of the first table in piped output (a header may wrap over lines)."""
    lines = text.splitlines()
    first = next(n for n, line in enumerate(lines) if line.startswith("┃"))
    rows = []
    for line in lines[first:]:
        if not line.startswith("┃"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("┃").split("┃")])
    return [" ".join(part for part in column if part) for column in zip(*rows, strict=True)]


@pytest.mark.parametrize("view", VIEWS)
def test_the_csv_header_is_the_tables_keys_plus_the_documented_hidden_ones(
    run, demo: Path, view: str
) -> None:
    args, documented = VIEWS[view]
    keys = [k for _, k in documented]
    drawn = [h for h, _ in documented if h is not None]

    # What the CLI prints, in every form.
    header = next(csv.reader(io.StringIO(run(*args, "--format", "csv").stdout)))
    assert header == (RECALL if view == "lot" else keys)
    records = json.loads(run(*args, "--format", "json").stdout)
    if view == "report":
        records = None  # the one-patient JSON is the structured chart, not a flat table
    assert records is None or (records and all(list(r) == keys for r in records))
    markdown = run(*args, "--format", "markdown").stdout
    assert "| " + " | ".join(keys) + " |" in markdown.splitlines()
    assert _table_headers(run(*args).stdout) == drawn

    # The spec itself: the table draws these headers, the machine forms write these keys.
    spec = _spec(view)
    assert [c.key for c in spec] == keys
    assert [c.header for c in spec if c.table] == drawn


MANUAL_ROWS = {
    "overview": "| overview",
    "due": "| `due` |",
    "find": "| `find` |",
    "lot": "| `lot` |",
    "recall": "| `lot --format csv` |",
    "stats": "| `stats` |",
    "report": "| `report ID` sessions",
}


@pytest.mark.parametrize("view", VIEWS)
def test_the_readme_lists_each_views_keys_in_order_and_marks_the_hidden_ones(view: str) -> None:
    import re

    readme = (Path(__file__).parent.parent / "docs" / "manual.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith(MANUAL_ROWS[view]))
    listed = re.findall(r"(\*?)`([a-z_]+)`", row.split(" | ", 1)[1])
    assert [(key, star == "*") for star, key in listed] == [
        (key, header is None) for header, key in VIEWS[view][1]
    ]


def test_the_report_markdown_says_amended_in_its_column(run, demo: Path) -> None:
    md = run("report", "P-0213", "--format", "markdown").stdout
    rows = [line for line in md.splitlines() if line.startswith("| 2 | 2026-10-16 |")]
    assert rows and rows[0].split(" | ")[3] == "amended"  # session 2 was amended
    assert "A session marked `amended` was changed after it was recorded" in md
    assert "amended*" not in md


def test_the_readme_lists_the_recall_lists_keys() -> None:
    import re

    from mesolog.render.clinic import recall_columns

    readme = (Path(__file__).parent.parent / "docs" / "manual.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith(MANUAL_ROWS["recall"]))
    assert (
        re.findall(r"`([a-z_]+)`", row.split(" | ", 1)[1])
        == RECALL
        == [c.key for c in recall_columns()]
    )
