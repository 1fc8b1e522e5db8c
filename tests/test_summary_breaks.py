"""The printed summary holds no lone line of a section at a page break: a long chart (many
sessions, long notes, complications, measurements) printed by a real headless Chromium, each
page read back with pdftotext."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.test_summary import BROWSER_TIMEOUT_S, _headless, _pdftotext

NOTE = (
    "Tolerated the session well; mild erythema settled within the hour. Advised to avoid hats, "
    "sun and hair products for a day and to wash with a mild shampoo the next morning. "
)
HEADINGS = ("Patient", "Treatment course", "Sessions", "Complications", "Measurements")


def _long_chart(run, every_complication: int = 5) -> None:  # type: ignore[no-untyped-def]
    """26 weekly sessions with notes of one to four paragraphs; a complication every
    ``every_complication`` sessions."""
    run(
        "patient",
        "new",
        "P-0042",
        "--name",
        "Ana Ruiz",
        "--birth-year",
        "1986",
        "--course",
        "hair-2025",
        "--indication",
        "hair loss",
        "--sessions",
        "30",
        "--interval",
        "7",
        "--start",
        "2025-01-06",
    )
    for week in range(26):
        day = f"2025-{1 + week // 4:02d}-{1 + (week % 4) * 7:02d}"
        # Each note says where it begins and ends: a session broken across pages is seen.
        extra = [
            "--note",
            f"Visit {week:02d} begins. " + NOTE * (1 + week % 4) + f"Visit {week:02d} ends.",
        ]
        if week % every_complication == 2 % every_complication:
            for kind in ("bruising", "erythema", "oedema")[: 1 if every_complication > 1 else 3]:
                extra += ["--complication", f"{kind}:mild:onset={day}:outcome=resolved"]
        run(
            "add",
            "P-0042",
            "--date",
            day,
            "--area",
            "scalp",
            "--indication",
            "hair loss",
            "--depth",
            "1.5",
            "--technique",
            "gun",
            "--anaesthetic",
            "none",
            "-s",
            "minoxidil 0.5%:2ml:LOT MX2409",
            "-s",
            "biotin:1ml:LOT B553",
            "--measure",
            f"hair_density_per_cm2={130 + week}",
            *extra,
        )


def _pages(pdf: Path) -> list[list[str]]:
    """Each page's non-blank lines, the bottom margin's line (title and page number) left out."""
    info = subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True, timeout=BROWSER_TIMEOUT_S, check=True
    ).stdout
    count = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]
    pages = []
    for n in range(1, count + 1):
        text = subprocess.run(
            [_pdftotext(), "-f", str(n), "-l", str(n), "-layout", str(pdf), "-"],
            capture_output=True,
            text=True,
            timeout=BROWSER_TIMEOUT_S,
            check=True,
        ).stdout
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        pages.append([line for line in lines if not re.search(r"Page \d+ of \d+$", line)])
    return pages


def lone_lines(pages: list[list[str]]) -> list[str]:
    """Where a page begins or ends with a heading alone or one line of a section whose rest is
    on the other side of the break."""
    found = []
    for n, page in enumerate(pages[:-1]):
        after = pages[n + 1]
        if not page or not after:
            continue
        if page[-1] in HEADINGS:
            found.append(f"page {n + 1} ends with the heading {page[-1]!r}")
        elif len(page) >= 2 and page[-2] in HEADINGS and after[0] not in HEADINGS:
            found.append(f"page {n + 1} ends with {page[-2]!r} and one line of it")
        if len(after) >= 2 and after[0] not in HEADINGS and after[1] in HEADINGS:
            found.append(f"page {n + 2} begins with one line of a section: {after[0]!r}")
        if len(after) == 1 and after[0] not in HEADINGS:
            found.append(f"page {n + 2} holds one line: {after[0]!r}")
    return found


def _printed(run, tmp_path: Path) -> list[list[str]]:  # type: ignore[no-untyped-def]
    page = tmp_path / "s.html"
    run("summary", "P-0042", "-o", str(page))
    pdf = tmp_path / "s.pdf"
    _headless(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    return _pages(pdf)


def test_a_long_complication_list_breaks_with_no_item_alone(
    run, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _long_chart(run, every_complication=1)
    pages = _printed(run, tmp_path)
    on = [
        n for n, p in enumerate(pages) for line in p if line.startswith("oedema after the session")
    ]
    assert len(on) == 26 and len(set(on)) >= 2  # the list of 78 items breaks across pages
    assert lone_lines(pages) == [], "\n\n".join("\n".join([*p[:3], "...", *p[-3:]]) for p in pages)


def test_no_page_holds_a_lone_line_of_a_section(run, data_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _long_chart(run)
    pages = _printed(run, tmp_path)
    assert len(pages) >= 3  # long enough to break inside sections
    assert "Sessions" in [line for p in pages for line in p]
    assert lone_lines(pages) == [], "\n\n".join("\n".join([*p[:3], "...", *p[-3:]]) for p in pages)
    assert broken_sessions(pages) == []


def broken_sessions(pages: list[list[str]]) -> list[str]:
    """The sessions (a row and its note, printed as one block) whose lines are on two pages."""
    where: dict[str, set[int]] = {}
    for n, page in enumerate(pages):
        for visit in re.findall(r"Visit (\d\d) (?:begins|ends)", " ".join(page)):
            where.setdefault(visit, set()).add(n)
    assert len(where) == 26
    return [f"visit {v} on pages {sorted(p)}" for v, p in where.items() if len(p) > 1]


def test_the_check_sees_a_lone_heading_and_a_lone_line() -> None:
    assert lone_lines([["a", "b", "Sessions"], ["row", "row"]])
    assert lone_lines([["a", "b"], ["one line", "Complications", "x"]])
    assert lone_lines([["a", "b"], ["one line"]])
    assert not lone_lines([["Patient", "a", "b"], ["c", "d", "Sessions", "e", "f"]])
