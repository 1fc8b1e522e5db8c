"""`mesolog summary`: the printable page, written safely, printed by a real headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import stat
import struct
import subprocess
from datetime import date
from pathlib import Path

import pytest
from conftest import FULL_ADD, mesolog_process, snapshot

from mesolog.model import Chart, Course, Patient, Session, Substance
from mesolog.model.aftercare import GENERAL, ClinicDetails, default_text
from mesolog.model.progress import MeasurementTrend
from mesolog.render.summary_page import change_caption, line_chart, summary_page

TODAY = date.today().isoformat()
LONG_URL = (
    "https://clinic.example.org/aftercare/" + "scalpmesotherapy" * 12 + ".html?ref=P-0042&x=1"
)
LONG_NOTE = (
    "Patient asked for the written protocol; sent the link " + LONG_URL + " and explained that "
    "some shedding in the first weeks is expected. " + "Tolerated the session well, no pain. " * 12
)
LOTS = ("D2411", "MX2409", "HA20260001234567", "B553")


def plain(page: str) -> str:
    """The page's text without its tags (a date or a lot is a span of its own)."""
    return re.sub(r"<[^>]+>", "", page)


def _add(run, day: str, *extra: str) -> None:  # type: ignore[no-untyped-def]
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
        *extra,
    )


@pytest.fixture
def full_chart(run, patient: Path) -> Path:  # type: ignore[no-untyped-def]
    """P-0042 with four sessions: lots, expiry, a complication, a long note with a long URL."""
    _add(
        run,
        "2026-09-28",
        "-s",
        "minoxidil 0.5%:2ml:LOT MX2409:EXP 2027-06-30",
        "-s",
        "dutasteride 0.01%:1ml:LOT D2411:EXP 2027-03-31",
        "--measure",
        "hair_density_per_cm2=138",
        "--measure",
        "satisfaction_0_10=6.5",
        "--note",
        LONG_NOTE,
    )
    _add(
        run,
        "2026-10-12",
        "-s",
        "hyaluronic acid:1ml:LOT HA20260001234567",
        "--measure",
        "hair_density_per_cm2=141.25",
        "--complication",
        "bruising:mild:onset=2026-10-13:resolved=2026-10-20:outcome=resolved",
    )
    _add(
        run,
        "2026-10-26",
        "-s",
        "biotin:1ml:LOT B553",
        "--measure",
        "hair_density_per_cm2=147",
        "--measure",
        "satisfaction_0_10=8",
    )
    _add(
        run,
        "2026-11-09",
        "-s",
        "minoxidil 0.5%:2ml:LOT MX2409",
        "--measure",
        "hair_density_per_cm2=152",
        "--note",
        "Next time: photos at the same angle.",
    )
    return patient


# --- the page as HTML ----------------------------------------------------------------------------


def test_summary_writes_the_default_file_private_and_never_overwrites(
    run, full_chart: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    result = run("summary", "P-0042")
    # Named for the day it was written (the suite may have started the day before).
    (page,) = tmp_path.glob("P-0042-summary-*.html")
    day = page.stem.removeprefix("P-0042-summary-")
    assert day in (TODAY, date.today().isoformat())
    assert f"saved to {page.name}" in result.stderr
    assert stat.S_IMODE(page.stat().st_mode) == 0o600
    text = page.read_text()
    assert "4 of 6 sessions, next due 2026-11-23" in plain(text)
    assert f"Generated on {day}" in text
    for lot in LOTS:
        assert lot in text
    page.write_text("the practitioner's own edits")
    before = snapshot(tmp_path)
    refused = run("summary", "P-0042", expect=1)
    assert refused.stderr.count("\n") == 1 and "already exists; add --force" in refused.stderr
    assert snapshot(tmp_path) == before
    run("summary", "P-0042", "--force")
    assert "4 of 6 sessions" in page.read_text()


def test_summary_refuses_a_name_that_is_not_a_web_page_and_unknown_patients(
    run, full_chart: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    assert "end the name in .html" in run("summary", "P-0042", "-o", "x.pdf", expect=2).stderr
    assert "P-0042" in run("summary", "P-0043", expect=1).stderr  # did you mean
    assert (
        "folder no/such does not exist"
        in run("summary", "P-0042", "-o", "no/such/x.html", expect=1).stderr
    )
    assert snapshot(tmp_path) == before


def test_summary_a_symlink_in_the_way_is_not_followed(
    run, full_chart: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "elsewhere.txt"
    target.write_text("not yours")
    link = tmp_path / "s.html"
    link.symlink_to(target)
    run("summary", "P-0042", "-o", str(link), expect=1)
    run("summary", "P-0042", "-o", str(tmp_path / "dangling.html"))
    (tmp_path / "d.html").symlink_to(tmp_path / "missing")
    run("summary", "P-0042", "-o", str(tmp_path / "d.html"), expect=1)
    assert target.read_text() == "not yours" and not (tmp_path / "missing").exists()


def test_summary_open_hands_the_file_to_the_browser(full_chart: Path, tmp_path: Path) -> None:
    seen = tmp_path / "browser-got.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" > {seen}\n')
    browser.chmod(0o700)
    out = tmp_path / "s.html"
    done = mesolog_process(
        "summary",
        "P-0042",
        "--output",
        str(out),
        "--open",
        env={"BROWSER": str(browser)},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert seen.read_text().strip() == out.resolve().as_uri()


def test_summary_prints_config_details_and_aftercare(
    run, full_chart: Path, config_file: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    config_file.write_text(
        'practitioner = "Dr. L. Moreau"\nclinic_name = "Clinique des Lilas"\n'
        'clinic_address = "12 rue des Lilas\\n75011 Paris"\n'
        '[aftercare]\n"alopecia" = "No hair wash until tomorrow evening."\n'
    )
    run("summary", "P-0042", "-o", str(tmp_path / "s.html"))
    text = (tmp_path / "s.html").read_text()
    assert "<h1>Clinique des Lilas</h1>" in text
    # The config's practitioner is the clinic's contact, never who treated (the sessions say).
    assert "12 rue des Lilas\n75011 Paris" in text and "Clinic contact: Dr. L. Moreau" in text
    assert "Practitioner:" not in plain(text)
    # "alopecia" names the same indication as "hair loss": configured text wins over the default
    assert "No hair wash until tomorrow evening." in text and GENERAL not in text


def test_an_indication_typed_by_an_alias_gets_the_configured_aftercare(
    run, patient: Path, config_file: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    config_file.write_text('[aftercare]\n"Hair Loss" = "Keep the scalp dry until tomorrow."\n')
    run("add", "P-0042", *[w if w != "hair loss" else "Hair  Regrowth" for w in FULL_ADD])
    run("summary", "P-0042", "-o", str(tmp_path / "s.html"))
    text = (tmp_path / "s.html").read_text()
    assert "Keep the scalp dry until tomorrow." in text and GENERAL not in text


def test_aftercare_matches_indications_by_the_vocabularys_meaning() -> None:
    """One rule: the aftercare table matches an indication exactly as find and stats do."""
    from mesolog.model import vocabulary as vocab
    from mesolog.model.aftercare import same_indication
    from mesolog.model.questions import same_meaning

    details = ClinicDetails(aftercare={"hair loss": "own words", "Lift": "lift words"})
    assert details.aftercare_for(" Alopecia ") == "own words"
    assert details.aftercare_for("skin tightening") == "lift words"  # alias on both sides
    assert details.aftercare_for("wrinkles") == default_text("wrinkles") == GENERAL
    assert details.aftercare_for(None) == GENERAL
    assert default_text("localised fat") == default_text("fat reduction") != GENERAL
    words = [w for name, aliases in vocab.INDICATIONS.items() for w in (name, *aliases)]
    words += ["Hair  Loss", "hair thinning", "acne"]
    for one in words:
        for other in words:
            assert same_indication(one, other) == same_meaning("indication", one, other)


def test_the_limited_evidence_note_and_the_default_aftercare(
    run, patient: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    run("add", "P-0042", *FULL_ADD)  # dutasteride only: neither finasteride nor minoxidil
    run("summary", "P-0042", "-o", str(tmp_path / "s.html"))
    text = (tmp_path / "s.html").read_text()
    assert "only finasteride and minoxidil have shown evidence for hair loss" in text
    assert default_text("hair loss") in text
    assert "1 of 6 sessions, next due 2026-11-16" in plain(text)


def test_voided_sessions_are_left_out_and_an_empty_chart_still_has_a_page(
    run, full_chart: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    run("void", "P-0042", "3", "--reason", "entered in the wrong chart")
    run("summary", "P-0042", "-o", str(tmp_path / "s.html"))
    text = (tmp_path / "s.html").read_text()
    assert "B553" not in text and "2026-10-26" not in text
    assert "3 of 6 sessions, next due 2026-11-23" in plain(text)
    run("patient", "new", "P-0001")
    run("summary", "P-0001", "-o", str(tmp_path / "empty.html"))
    empty = (tmp_path / "empty.html").read_text()
    assert "No session recorded yet." in empty and "No course planned." in empty
    assert "Complications" in empty and "<svg" not in empty


HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)"></style><a href="javascript:x">'


def _chart(name: str = HOSTILE, note: str = HOSTILE) -> Chart:
    session = Session(
        id=1,
        date=date(2026, 11, 2),
        recorded=date(2026, 11, 2),  # type: ignore[arg-type]
        areas=(HOSTILE,),
        technique="gun",
        depth_mm=1.5,
        anaesthetic=HOSTILE,
        substances=(Substance(HOSTILE, 1.0, "ml", lot=HOSTILE),),
        notes=note,
        course=HOSTILE,
        measurements={HOSTILE: 3.0},
    )
    return Chart(
        Patient("P-1", created=date(2026, 1, 1), name=name),  # type: ignore[arg-type]
        courses=(Course(HOSTILE, 6, 14, date(2026, 11, 2), HOSTILE),),
        sessions=(session,),
    )


def test_hostile_text_stays_inert_and_the_page_is_self_contained() -> None:
    practice = ClinicDetails(HOSTILE, HOSTILE, HOSTILE, {HOSTILE: HOSTILE})
    page = summary_page(_chart(), practice, date(2026, 11, 26), "1.0")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    tags = _tags(page)
    # only our own elements, and nothing fetched from anywhere: no src/href, no CSS url()/@import
    assert {name for name, _ in tags} <= OUR_TAGS
    assert not [attrs for _, attrs in tags if {"src", "href", "onerror", "onload"} & set(attrs)]
    assert "url(" not in page and "@import" not in page
    assert sum(1 for name, _ in tags if name == "svg") == 1


OUR_TAGS = {
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "header",
    "h1",
    "h2",
    "div",
    "p",
    "section",
    "dl",
    "dt",
    "dd",
    "table",
    "colgroup",
    "col",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "ul",
    "li",
    "figure",
    "figcaption",
    "strong",
    "br",
    "span",
    "footer",
    "svg",
    "rect",
    "line",
    "text",
    "polyline",
    "circle",
}


def _tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    from html.parser import HTMLParser

    found: list[tuple[str, dict[str, str | None]]] = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, dict(attrs)))

    Tags().feed(page)
    return found


def test_line_chart_marks_the_first_value_and_spaces_dates_by_days() -> None:
    trend = MeasurementTrend(
        "hair_density_per_cm2",
        ((date(2026, 1, 1), 100.0), (date(2026, 1, 2), 110.0), (date(2026, 1, 31), 90.0)),
    )
    svg = line_chart(trend)
    xs = [float(x) for x in re.findall(r'<circle cx="([\d.]+)" cy="[\d.]+" r="3"', svg)]
    assert len(xs) == 3 and xs[0] < xs[1] < xs[2]
    assert (xs[1] - xs[0]) * 10 < xs[2] - xs[1]  # 1 day vs 29 days
    assert "first: 100" in svg and 'r="7"' in svg  # the first value ringed and labelled
    assert "2026-01-01" in svg and "2026-01-31" in svg
    assert change_caption(trend).endswith("change -10.0 %")
    one = MeasurementTrend("pain_0_10", ((date(2026, 1, 1), 0.0),))
    assert "first: 0" in line_chart(one) and "one measurement so far" in change_caption(one)
    zero = MeasurementTrend("bumps", ((date(2026, 1, 1), 0.0), (date(2026, 1, 8), 2.0)))
    assert "no percentage" in change_caption(zero)


# --- printed by a real browser ------------------------------------------------------------------

BROWSER_TIMEOUT_S = 300  # the CI machine is loaded; Chromium's first start can be slow


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI") == "true":
        pytest.fail("Chromium is missing in CI: .ci/run should have installed it")
    pytest.skip("Chromium not installed (apt-get install chromium poppler-utils)")


def _pdftotext() -> str:
    found = shutil.which("pdftotext")
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("pdftotext is missing in CI: .ci/run should have installed poppler-utils")
    pytest.skip("pdftotext not installed (apt-get install poppler-utils)")


def _headless(tmp_path: Path, *args: str) -> None:
    command = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=BROWSER_TIMEOUT_S)
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.fixture
def printed(run, full_chart: Path, tmp_path: Path) -> tuple[Path, Path]:  # type: ignore[no-untyped-def]
    page = tmp_path / "summary.html"
    run("summary", "P-0042", "--output", str(page))
    pdf = tmp_path / "summary.pdf"
    _headless(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    return page, pdf


def test_the_page_renders_in_a_real_browser(run, full_chart: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = tmp_path / "summary.html"
    run("summary", "P-0042", "--output", str(page))
    shot = tmp_path / "summary.png"
    _headless(tmp_path, f"--screenshot={shot}", "--window-size=1000,1400", page.as_uri())
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1000, 1400)
    assert len(data) > 30_000  # text, tables and a chart, not a blank page


def test_the_printed_pdf_holds_every_note_lot_and_value_whole(
    printed: tuple[Path, Path], tmp_path: Path
) -> None:
    _, pdf = printed
    text = subprocess.run(
        [_pdftotext(), "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        timeout=BROWSER_TIMEOUT_S,
        check=True,
    ).stdout
    flat = re.sub(r"\s+", "", text)  # a wrapped line is still whole once the breaks are gone
    assert "…" not in text
    for note in (LONG_NOTE, LONG_URL, "Next time: photos at the same angle."):
        assert re.sub(r"\s+", "", note) in flat
    for lot in LOTS:  # a lot number is never broken over two lines
        assert re.search(rf"(?<![\w-]){lot}(?![\w-])", text), lot
    for value in (
        "2026-09-28:138",
        "2026-10-12:141.25",
        "2026-10-26:147",
        "2026-11-09:152",
        "2026-09-28:6.5",
        "2026-10-26:8",
        "change+10.1%",
        "change+23.1%",
    ):
        assert value in flat
    assert (
        "bruisingafterthesessionof2026-10-12:mild,began2026-10-13,resolved2026-10-20,outcome:resolved"
        in flat
    )
    assert "4of6sessions,nextdue2026-11-23" in flat
    pages = int(
        re.search(
            r"Pages:\s+(\d+)",
            subprocess.run(
                ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True
            ).stdout,
        ).group(1)
    )  # type: ignore[union-attr]
    assert pages >= 2
    for n in range(1, pages + 1):  # the page number in the bottom margin of every page
        assert f"Page {n} of {pages}" in text


def test_nothing_printed_runs_past_the_paper(printed: tuple[Path, Path]) -> None:
    _, pdf = printed
    boxes = subprocess.run(
        [_pdftotext(), "-bbox", str(pdf), "-"],
        capture_output=True,
        text=True,
        timeout=BROWSER_TIMEOUT_S,
        check=True,
    ).stdout
    page_width = float(re.search(r'<page width="([\d.]+)"', boxes).group(1))  # type: ignore[union-attr]
    right_edges = [float(x) for x in re.findall(r'xMax="([\d.]+)"', boxes)]
    assert right_edges and max(right_edges) <= page_width - 20  # inside the 14 mm margin
    assert abs(page_width - 595.3) < 1  # A4


def test_every_output_and_force_is_the_shared_declaration_and_summary_keeps_its_words(run) -> None:  # type: ignore[no-untyped-def]
    """--output and --force are declared once (cli/options.py): every --output is checked as it is
    parsed by one of its checks, and comes with --force. summary says them in its own words."""
    from test_help_and_style import all_commands

    from mesolog.cli import options

    checks = {options._output_checked, options._page_checked, options._folder_checked}
    writers = {
        " ".join(path): command
        for path, command in all_commands()
        if any("--output" in p.opts for p in command.params)
    }
    assert {"summary", "report", "due", "lot", "find", "stats"} <= set(writers)
    for name, command in writers.items():
        by_option = {o: p for p in command.params for o in p.opts}
        callback = by_option["--output"].callback
        assert getattr(callback, "__wrapped__", callback) in checks, name  # typer wraps it
        assert "--force" in by_option, name
    shown = " ".join(run("summary", "--help").stdout.split())
    assert (
        "-o, --output FILE.html Where to write the page (default: ID-summary-DATE.html here)"
        in shown
    )
    assert "--force Replace the file if it exists" in shown and "With --output" not in shown


# --- who treated, whole values, lines kept, the overdue and the scale -----------------------------

HYPHEN_LOTS = ("PC-881", "HA-2026-0417", "VC-12-B")


@pytest.fixture
def shared_chart(run, patient: Path, config_file: Path) -> Path:  # type: ignore[no-untyped-def]
    """P-0042 treated by two practitioners, neither the config's; hyphenated lots; a note of
    several lines; a weight that barely changes; a next session long overdue."""
    long_name = "Clinique" + "Esthétique" * 12  # one word wider than the page
    run("config", "set", "practitioner", "Dr. Config Only")
    run("config", "set", "clinic_name", long_name)
    run("config", "set", "clinic_address", r"12 rue des Lilas\n75011 Paris")
    _add(
        run,
        "2026-01-05",
        "-s",
        f"phosphatidylcholine:2.5ml:LOT {HYPHEN_LOTS[0]}:EXP 2027-03-31",
        "--practitioner",
        "Dr. A. Keller",
        "--measure",
        "weight_kg=80",
        "--note",
        "line one\nline two\nline three",
    )
    _add(
        run,
        "2026-01-19",
        "-s",
        f"hyaluronic acid:1ml:LOT {HYPHEN_LOTS[1]}",
        "-s",
        f"vitamin c:1ml:LOT {HYPHEN_LOTS[2]}",
        "--practitioner",
        "Dr. S. Okafor",
        "--measure",
        "weight_kg=79.5",
    )
    return patient


def test_the_page_names_who_treated_and_keeps_lines_and_marks_the_overdue(
    run, shared_chart: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    page = tmp_path / "s.html"
    run("summary", "P-0042", "-o", str(page))
    text = page.read_text()
    shown = plain(text)
    assert "Practitioners: Dr. A. Keller, Dr. S. Okafor" in shown
    assert "Clinic contact: Dr. Config Only" in shown and "Dr. Config Only</td>" not in text
    assert "Treated by" in shown and shown.count("Dr. S. Okafor") == 2  # the header and its session
    assert "12 rue des Lilas\n75011 Paris" in text  # a real line break, printed as one
    assert "line one\nline two\nline three" in text  # its lines, kept by the page's pre-line
    assert re.search(r"next due \d{4}-\d{2}-\d{2} \(overdue by \d+ days\)", shown)
    for lot in HYPHEN_LOTS:
        assert f'<span class="whole">{lot}</span>' in text


def test_the_y_axis_fits_the_values_with_round_steps() -> None:
    from mesolog.render.summary_page import axis_ticks

    ticks = axis_ticks(79.5, 80)
    assert ticks[0] <= 79.5 and ticks[-1] >= 80 and len(ticks) >= 3
    assert ticks[-1] - ticks[0] >= 8  # half a kilo of eighty is drawn small, not full height
    assert axis_ticks(138, 152) == [135, 140, 145, 150, 155]
    assert axis_ticks(0, 0) == [-0.5, 0.0, 0.5]


def test_printed_lots_and_dates_are_whole_and_nothing_is_cut(
    run, shared_chart: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    page = tmp_path / "s.html"
    run("summary", "P-0042", "-o", str(page))
    pdf = tmp_path / "s.pdf"
    _headless(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    text = subprocess.run(
        [_pdftotext(), "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        timeout=BROWSER_TIMEOUT_S,
        check=True,
    ).stdout
    for whole in (*HYPHEN_LOTS, "2026-01-05", "2026-01-19", "2027-03-31", "2.5 ml"):
        assert re.search(rf"(?<![\w-]){re.escape(whole)}(?![\w-])", text), whole
    assert "line one\n" in text.replace("  ", "") or re.search(r"line one\s*\n\s*line two", text)
    flat = re.sub(r"\s+", "", text)
    assert "Clinique" + "Esthétique" * 12 in flat  # wrapped anywhere, never cut
    boxes = subprocess.run(
        [_pdftotext(), "-bbox", str(pdf), "-"],
        capture_output=True,
        text=True,
        timeout=BROWSER_TIMEOUT_S,
        check=True,
    ).stdout
    page_width = float(re.search(r'<page width="([\d.]+)"', boxes).group(1))  # type: ignore[union-attr]
    assert all(float(x) <= page_width for x in re.findall(r'xMax="([\d.]+)"', boxes))
