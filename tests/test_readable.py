"""Reading at any width, in a real pseudo-terminal: nothing the practitioner needs is cut.

Every command runs as its own process on a pty whose window is 60, 80 or 120 columns wide;
the screen is what it wrote there. Every id, date, lot and substance name of the data must
appear whole on one line, no line may pass the window, and nothing ends in "…".
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import mesolog_process

sys.path.insert(0, str(Path(__file__).parent.parent / "examples"))
import make_clinic

WIDTHS = (60, 80, 120)
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def screen(width: int, *args: str, colour: bool = False) -> str:
    """What ``mesolog ARGS`` shows in a terminal ``width`` columns wide (escape codes removed
    unless ``colour``)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, width, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    env["TERM"] = "xterm-256color"
    if not colour:
        env["NO_COLOR"] = "1"
    process = subprocess.Popen(
        [sys.executable, "-m", "mesolog", *args], stdin=slave, stdout=slave, stderr=slave, env=env
    )
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the pty is closed once the process has ended
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    assert process.wait(timeout=60) == 0, out.decode(errors="replace")
    text = out.decode().replace("\r\n", "\n")
    return text if colour else ANSI.sub("", text)


def assert_readable(text: str, width: int, whole: set[str]) -> None:
    lines = text.splitlines()
    for line in lines:
        assert len(line) <= width, f"{len(line)} > {width}: {line!r}"
    assert "…" not in text, text
    missing = [w for w in sorted(whole) if not any(w in line for line in lines)]
    assert not missing, f"not whole at {width} columns: {missing}\n{text}"


# --- the data: the demo clinic, and a chart with long lots and names -------------------------

LONG_ID = "P-2026-LONG-ID-0001"
LONG = [
    ("polydeoxyribonucleotide 2%", "2.5ml", "PDRN-2026-11-A7734-0042", "2027-12-31"),
    ("hyaluronic acid", "1ml", "HA-LOT-000000123456789", "2027-06-30"),
]


@pytest.fixture
def clinic(run, data_dir: Path) -> Path:
    make_clinic.build(data_dir)
    run(
        "patient",
        "new",
        LONG_ID,
        "--name",
        "Maria-Magdalena Fernández de la Torre",
        "--course",
        "skin",
        "--indication",
        "rejuvenation",
        "--sessions",
        "4",
        "--interval",
        "14",
        "--start",
        "2026-10-01",
    )
    for day in ("2026-10-01", "2026-10-15"):
        run(
            "add",
            LONG_ID,
            "--date",
            day,
            "--area",
            "face",
            "--area",
            "neck",
            "--area",
            "decollete",
            *[
                a
                for name, amount, lot, exp in LONG
                for a in ("-s", f"{name}:{amount}:LOT {lot}:EXP {exp}")
            ],
            "--depth",
            "1",
            "--technique",
            "hand",
            "--method",
            "point-by-point",
            "--anaesthetic",
            "topical",
            "--complication",
            "bruising:mild:onset=2026-10-16:resolved=2026-10-20:outcome=resolved",
            "--note",
            "a long note that has to wrap at narrow widths rather than run off the screen",
        )
    return data_dir


def chart_words(run, patient_id: str) -> set[str]:
    """Every id, date, lot and substance name of one chart, from its JSON report."""
    import json

    data = json.loads(run("report", patient_id, "--format", "json").stdout)
    words = {data["patient"]["id"]}
    for s in data["sessions"]:
        words.add(s["date"])
        for x in s["substances"]:
            words.add(x["name"])
            words |= {x[k] for k in ("lot", "expiry") if x.get(k)}
        for c in s["complications"]:
            words |= {c[k] for k in ("onset", "resolved") if c.get(k)}
    return words


@pytest.mark.parametrize("width", WIDTHS)
def test_one_patient_report_keeps_every_value_whole(
    run, clinic: Path, width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "COLUMNS", str(width)
    )  # drawn in this process, piped at that width (as above)
    for patient_id in ("P-0042", "P-0107", "P-0213", LONG_ID):
        text = run("report", patient_id).stdout
        assert_readable(text, width, chart_words(run, patient_id))
        assert "onset 2026-10-16" in text or patient_id != LONG_ID
    assert_readable(
        run("patient", "show", LONG_ID).stdout, width, {LONG_ID, "skin", "2026-10-01", "2026-10-29"}
    )


def test_an_amount_reads_one_way_in_every_view(run, clinic: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Number, space, unit ("1 ml", the SI way): the report's table and its blocks, the lot and
    find tables, Markdown and the printed page all go through values.amount_text."""
    run("summary", "P-0042", "-o", str(tmp_path / "s.html"))
    views = {
        "table": screen(120, "report", "P-0042"),
        "blocks": screen(80, "report", "P-0042"),
        "lot": screen(120, "lot", "D2411"),
        "find": screen(120, "find", "--substance", "dutasteride"),
        "markdown": run("report", "P-0042", "--format", "markdown").stdout,
        "page": (tmp_path / "s.html").read_text(),
    }
    for name, view in views.items():
        assert re.search(r"\b1 ml\b", view), name
        assert not re.search(r"\d(ml|mg|mcg|IU|U)\b", view), (
            name,
            re.findall(r".{20}\dml.{5}", view),
        )


def test_below_the_table_width_the_report_is_a_block_per_session(run, clinic: Path) -> None:
    wide, narrow = screen(120, "report", "P-0042"), screen(80, "report", "P-0042")
    assert "┃ Substances (lot)" in wide and "Substances (lot)" not in narrow
    assert "#2  2026-10-12  14 days after the previous" in narrow
    assert "gun, nappage, 1.5 mm; anaesthetic none" in narrow
    assert re.search(r"dutasteride 0\.01% +1 ml +lot D2411 +exp 2027-03-31", narrow)
    long = screen(60, "report", LONG_ID)
    assert "complication: bruising (mild), onset 2026-10-16" in long
    assert "lot PDRN-2026-11-A7734-0042" in long


@pytest.mark.parametrize("width", WIDTHS)
def test_clinic_questions_keep_ids_dates_and_lots_whole(
    run, clinic: Path, width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    # Drawn in this process, piped at COLUMNS=width: a pipe follows the same rules as a terminal
    # of that width (test_widths_and_answers.py compares the two through a real terminal).
    monkeypatch.setenv("COLUMNS", str(width))

    def shown(*args: str) -> str:
        return str(run(*args).stdout)

    overview = json.loads(run("report", "--format", "json").stdout)
    ids = {r["patient"] for r in overview}
    due_dates = {r["next_due"] for r in overview if r["next_due"]}
    assert_readable(shown("report"), width, ids | due_dates)
    due = json.loads(run("due", "--all", "--format", "json").stdout)
    assert_readable(shown("due", "--all"), width, {r["patient"] for r in due} | due_dates)
    for _, _, lot, _ in LONG:
        assert_readable(shown("lot", lot), width, {LONG_ID, lot, "2026-10-01", "2026-10-15"})
    assert_readable(shown("lot", "D2411"), width, {"P-0042", "D2411", "2026-09-28", "2026-11-09"})
    found = json.loads(run("find", "--format", "json").stdout)
    assert_readable(
        shown("find"),
        width,
        {r["patient"] for r in found}
        | {r["date"] for r in found}
        | {lot for r in found for lot in r["lots"].split("; ") if lot},
    )
    groups = json.loads(run("stats", "--by", "substance", "--format", "json").stdout)
    assert_readable(shown("stats", "--by", "substance"), width, {g["group"] for g in groups})


def test_a_dropped_column_is_named(clinic: Path) -> None:
    text = screen(60, "report")
    assert "Indication" not in text.split("Not shown")[0]
    assert re.search(r"Not shown at this width: [^(]*Indication", " ".join(text.split()))


# --- small things -----------------------------------------------------------------------------


def test_due_today_reads_due_today_and_is_marked_like_overdue(run, patient: Path) -> None:
    run(
        "patient",
        "new",
        "P-LATE",
        "--course",
        "c",
        "--sessions",
        "6",
        "--interval",
        "14",
        "--start",
        "2026-01-01",
    )
    for pid, days in (("P-0042", 14), ("P-LATE", 20)):
        run(
            "add",
            pid,
            "--date",
            (date.today() - timedelta(days=days)).isoformat(),
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
    assert "Next session due today" in run("report", "P-0042").stdout
    assert "in 0 days" not in run("report", "P-0042").stdout
    coloured = screen(120, "report", colour=True)
    today_line = next(line for line in coloured.splitlines() if "P-0042" in line)
    late_line = next(line for line in coloured.splitlines() if "P-LATE" in line)
    assert "\x1b[1;31m" in today_line and "\x1b[1;31m" in late_line  # bold red, both
    assert "due today" in ANSI.sub("", coloured)
    assert "today" in run("due").stdout


def test_amended_footnote_only_under_a_marked_row(run, patient: Path) -> None:
    run(
        "add",
        "P-0042",
        "--date",
        "2026-11-02",
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
    run("amend", "P-0042", "1", "--depth", "2", "--reason", "typo")
    assert "1 amended*" in run("report", "P-0042").stdout
    assert "* amended after it was recorded" in run("report", "P-0042").stdout
    run("void", "P-0042", "1", "--reason", "wrong patient")
    out = run("report", "P-0042").stdout
    assert "1 voided" in out and "amended*" not in out and "* amended after" not in out


def test_ids_are_echoed_as_stored(run, patient: Path) -> None:
    run(
        "add",
        "p-0042",
        "--date",
        "2026-11-02",
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
    out = run("void", "p-0042", "1", "--reason", "wrong patient").stdout
    assert "P-0042" in out and "p-0042" not in out
    assert run("report", "p-0042").stdout.startswith("P-0042 · Ana Ruiz")


def test_complication_dates_and_outcome_show_in_the_report(run, patient: Path) -> None:
    run(
        "add",
        "P-0042",
        "--date",
        "2026-11-02",
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
        "--complication",
        "bruising:mild:onset=2026-11-03:resolved=2026-11-09:outcome=resolved",
    )
    out = " ".join(run("report", "P-0042").stdout.split())
    assert "bruising (mild), onset 2026-11-03, resolved 2026-11-09, outcome resolved" in out


def test_limited_evidence_reads_as_a_plain_fact(run, patient: Path) -> None:
    run(
        "add",
        "P-0042",
        "--date",
        "2026-11-02",
        "--area",
        "scalp",
        "-s",
        "biotin:1ml",
        "--depth",
        "1",
        "--technique",
        "gun",
        "--anaesthetic",
        "none",
        "--indication",
        "hair loss",
    )
    out = " ".join(run("report", "P-0042").stdout.split())
    assert (
        "Limited evidence: only finasteride and minoxidil have shown evidence for hair loss, "
        "and this course uses neither."
    ) in out


@pytest.mark.parametrize(
    "args",
    [
        ["report"],
        ["report", "--format", "json"],
        ["report", "P-0042"],
        ["due", "--all"],
        ["find"],
        ["stats"],
    ],
    ids=" ".join,
)
def test_a_reader_closing_the_pipe_ends_mesolog_quietly(
    run, patient: Path, args: list[str]
) -> None:
    run(
        "add",
        "P-0042",
        "--date",
        "2026-11-02",
        "--area",
        "scalp",
        "-s",
        "minoxidil:1ml:LOT M1",
        "--depth",
        "1",
        "--technique",
        "gun",
        "--anaesthetic",
        "none",
    )
    # The reader is gone before mesolog writes a byte: every write meets a closed pipe
    # (what `| head -1` does to a long report, without depending on who is faster).
    reader, writer = os.pipe()
    os.close(reader)
    done = subprocess.run(
        [sys.executable, "-m", "mesolog", *args],
        stdout=writer,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
    )
    os.close(writer)
    assert (done.returncode, done.stderr) == (0, "")
    # And through a shell pipe, as typed.
    shell = subprocess.run(
        [
            "bash",
            "-c",
            f"{sys.executable} -m mesolog {' '.join(args)} | head -1; "
            'echo "status=${PIPESTATUS[0]}" >&2',
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shell.stderr.strip() == "status=0" and len(shell.stdout.splitlines()) == 1


# The rest of a session `add` records without asking.
_COMPLETE = ["--depth", "1", "--technique", "gun", "--anaesthetic", "none", "--no-input"]


@pytest.mark.parametrize(
    "args",
    [
        ["report", "P-0042", "--format", "csv"],
        ["--version"],
        ["add", "P-0042", "--area", "scalp", "--substance", "biotin:1ml:LOT B1", *_COMPLETE],
    ],
    ids=["report", "version", "add"],
)
def test_started_with_its_output_closed_it_says_so_and_does_nothing(
    run, patient: Path, data_dir: Path, args: list[str]
) -> None:  # type: ignore[no-untyped-def]
    from conftest import snapshot

    before = snapshot(data_dir)
    # `mesolog ... >&-`: the shell closes standard output before mesolog starts.
    # Without a preloaded library (CI's faketime): one opened at start-up takes the free
    # descriptor 1, and Python then sees an output that is open.
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    done = subprocess.run(
        ["sh", "-c", 'exec "$@" >&-', "sh", sys.executable, "-m", "mesolog", *args],
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 1
    assert done.stderr == "mesolog: standard output is closed; nothing was done.\n"
    assert snapshot(data_dir) == before


# --- --output: every report form writes the file its extension names, or refuses -----------------

REPORT_FORMS = {
    "one patient": ["report", "P-0042"],
    "overview": ["report"],
    "due": ["due", "--all"],
    "lot": ["lot", "D2411"],
    "find": ["find"],
    "stats": ["stats"],
}
# A value each form holds.
HOLDS = {
    "one patient": "D2411",
    "overview": "P-0042",
    "due": "P-0042",
    "lot": "D2411",
    "find": "D2411",
    "stats": "gun",
}


@pytest.fixture
def demo(data_dir: Path) -> Path:
    make_clinic.build(data_dir)
    return data_dir


@pytest.mark.parametrize("form", REPORT_FORMS, ids=str)
def test_output_writes_the_form_its_extension_names(
    run, demo: Path, tmp_path: Path, form: str
) -> None:
    import csv
    import io
    import json

    args, held = REPORT_FORMS[form], HOLDS[form]
    for ext in ("html", "svg", "txt", "md", "csv", "json"):
        path = tmp_path / f"out.{ext}"
        result = run(*args, "--output", str(path))
        assert result.stdout == "" and f"Saved to {path}" in result.stderr
        assert path.stat().st_mode & 0o777 == 0o600
        text = path.read_text()
        if ext == "html":
            assert text.startswith("<!DOCTYPE html>") and "<title>" in text and held in text
        elif ext == "svg":
            assert text.lstrip().startswith("<svg") and held in text.replace("&#160;", " ")
        elif ext == "txt":
            assert "\x1b" not in text and held in text and "…" not in text
        elif ext == "md":
            assert "| " in text and held in text
        elif ext == "csv":
            assert list(csv.reader(io.StringIO(text)))[1:] and held in text
        else:
            assert json.loads(text)
        # The table forms draw exactly what the terminal shows, piped.
        if ext == "txt":
            assert text == run(*args).stdout
        if ext in ("csv", "json", "md"):
            assert text == run(*args, "--format", {"md": "markdown"}.get(ext, ext)).stdout


@pytest.mark.parametrize("form", REPORT_FORMS, ids=str)
def test_output_refuses_what_it_cannot_write_and_writes_nothing(
    run, demo: Path, tmp_path: Path, form: str
) -> None:
    from conftest import snapshot

    before = snapshot(tmp_path)
    args = REPORT_FORMS[form]
    unknown = run(*args, "--output", str(tmp_path / "report.pdf"), expect=2)
    assert "must end in .html, .svg, .txt, .md, .csv, .json" in unknown.stderr
    clash = run(*args, "--format", "csv", "--output", str(tmp_path / "y.svg"), expect=2)
    assert "--format is csv" in clash.stderr and len(clash.stderr.strip().splitlines()) == 1
    assert snapshot(tmp_path) == before
    run(*args, "--format", "json", "--output", str(tmp_path / "same.json"))  # agreeing is fine


def test_the_overview_honours_the_window_or_refuses(run, demo: Path) -> None:
    import json

    def ids(*args: str) -> list[str]:
        return sorted(
            r["patient"] for r in json.loads(run("report", "--format", "json", *args).stdout)
        )

    assert ids() == ["P-0042", "P-0107", "P-0213"]
    assert ids("--since", "2026-10-01") == ["P-0042", "P-0213"]
    assert ids("--until", "2026-09-30") == ["P-0042", "P-0107"]
    assert ids("--since", "2026-08-10", "--until", "2026-08-20") == ["P-0107"]
    assert "sessions 2026-10-01 to" in run("report", "--since", "2026-10-01").stdout
    refused = run("report", "--last", "2", expect=2)
    assert "--last" in refused.stderr and "patient id" in refused.stderr


def test_markdown_carries_the_whole_report(run, demo: Path) -> None:
    md = run("report", "P-0213", "--format", "markdown").stdout
    for heading in (
        "# P-0213 · Sofia Berg",
        "## Sessions",
        "## Progress",
        "## Measurements",
        "## Complications",
        "## Products and lots",
    ):
        assert heading in md
    assert "| 2 | 2026-10-16 | bruising | mild | 2026-10-17 | 2026-10-23 | resolved |" in md
    assert "| hyaluronic acid | HA5521 | 2027-09-30 | 1, 2, 3 |" in md
    assert "wrinkle_severity_wsrs" in md and "overdue" in md
    assert "## Audit trail" in run("report", "P-0213", "--format", "markdown", "--audit").stdout
    hair = run("report", "P-0042", "--format", "markdown").stdout
    assert "Limited evidence" not in hair  # minoxidil was used


def test_markdown_escapes_what_the_practitioner_typed(run, patient: Path) -> None:
    run("patient", "new", "P-9", "--name", "# *Bold* <b>x</b> [link](http://x)")
    md = run("report", "P-9", "--format", "markdown").stdout
    first = md.splitlines()[0]
    assert "<b>" not in first and "\\*Bold\\*" in first and "\\[link\\]" in first


def bash_completes(line: str) -> list[str]:
    """What the real program answers to bash's Tab at the end of ``line``."""
    words = line.split(" ")
    env = {
        "_MESOLOG_COMPLETE": "complete_bash",
        "COMP_WORDS": "\n".join(words),
        "COMP_CWORD": str(len(words) - 1),
    }
    done = mesolog_process(env=env)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return done.stdout.split()


def test_each_parameter_completes_from_its_own_source_and_quotes_for_bash(patient: Path) -> None:
    from mesolog.cli import completion

    assert bash_completes("mesolog course close P-0042 hair-2026 --status c") == ["completed"]
    assert bash_completes("mesolog stats --by tech") == ["technique"]
    assert (
        bash_completes("mesolog amend P-0042 1 --by D") == []
    )  # a person's name: nothing to offer
    assert bash_completes("mesolog report p-00") == ["P-0042"]  # what was typed, in any case
    assert completion.bash_word("hyaluronic acid") == "hyaluronic\\ acid"
    assert completion.bash_word("hyaluronic acid", '"') == '"hyaluronic acid"'
    assert completion.bash_word("it's", "'") == "it\\'s"


def test_output_never_replaces_a_file_without_force(run, demo: Path, tmp_path: Path) -> None:
    path = tmp_path / "due.csv"
    path.write_text("kept\n")
    refused = run("due", "--all", "--output", str(path), expect=1)
    assert "already exists" in refused.stderr and "--force" in refused.stderr
    assert path.read_text() == "kept\n"
    run("due", "--all", "--output", str(path), "--force")
    assert path.read_text().startswith("patient,name,")
