"""Hostile files, hostile text and faults, each through the real CLI.

Every refused command also checks that nothing on disk changed (``snapshot``).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import FULL_ADD, mesolog_process, snapshot

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
ADD = [
    "--area",
    "scalp",
    "--substance",
    "minoxidil 0.5%:1ml:LOT M1",
    "--depth",
    "1.5",
    "--technique",
    "gun",
    "--anaesthetic",
    "none",
    "--no-input",
]


def chart(data_dir: Path, patient_id: str) -> Path:
    return data_dir / "patients" / f"{patient_id}.toml"


# --- 1. nothing outside the data folder is ever written ---------------------------------------


def test_a_planted_lock_link_is_refused_and_its_target_untouched(
    run, patient: Path, data_dir: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    locks = data_dir / ".locks"
    locks.mkdir(exist_ok=True)
    (locks / "p-0042.lock").unlink(missing_ok=True)
    (locks / "p-0042.lock").symlink_to(victim)
    before = snapshot(data_dir)
    result = run("add", "P-0042", *ADD, expect=1)
    assert "symbolic link" in result.stderr and "Traceback" not in result.stderr
    assert victim.read_text() == "precious\n"
    assert snapshot(data_dir) == before
    # A lock name that is a folder (not a regular file) is refused the same way.
    (locks / "p-0042.lock").unlink()
    (locks / "p-0042.lock").mkdir()
    assert "not a regular file" in run("add", "P-0042", *ADD, expect=1).stderr
    assert snapshot(data_dir) == before


def test_output_never_follows_a_link_never_overwrites_and_is_private(
    run, patient: Path, tmp_path: Path, data_dir: Path
) -> None:
    run("add", "P-0042", *FULL_ADD)
    victim = tmp_path / "victim.html"
    victim.write_text("precious\n")
    link = tmp_path / "report.html"
    link.symlink_to(victim)
    before = snapshot(tmp_path)
    assert "--force" in run("report", "P-0042", "--output", str(link), expect=1).stderr
    existing = tmp_path / "existing.html"
    existing.write_text("mine\n")
    before = snapshot(tmp_path)
    assert "already exists" in run("report", "P-0042", "--output", str(existing), expect=1).stderr
    assert snapshot(tmp_path) == before and victim.read_text() == "precious\n"
    # --force replaces the link itself (never writes through it) and the file is 0600.
    run("report", "P-0042", "--output", str(link), "--force")
    assert victim.read_text() == "precious\n" and not link.is_symlink()
    assert stat.S_IMODE(link.stat().st_mode) == 0o600 and "<html" in link.read_text().lower()
    fresh = tmp_path / "fresh.svg"
    run("report", "P-0042", "--output", str(fresh))
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
    # --output with a machine format is refused, never ignored.
    run("report", "P-0042", "--format", "json", "--output", str(tmp_path / "x.html"), expect=2)
    assert not (tmp_path / "x.html").exists()


# --- 2. nothing hangs; one chart never breaks the clinic --------------------------------------


def test_a_fifo_a_folder_and_a_link_out_in_patients_are_skipped_never_opened(
    patient: Path, data_dir: Path, tmp_path: Path
) -> None:
    patients = data_dir / "patients"
    os.mkfifo(patients / "FIFO.toml")
    (patients / "DIR.toml").mkdir()
    outside = tmp_path / "outside.toml"
    outside.write_text(patient.read_text())
    (patients / "OUT.toml").symlink_to(outside)
    before = snapshot(data_dir)
    env = {"MESOLOG_DATA_DIR": str(data_dir)}
    for args in (
        ["due", "--all"],
        ["report"],
        ["check"],
        ["export"],
        ["lot", "M1"],
        ["find"],
        ["stats"],
        ["report", "FIFO"],
        ["patient", "list"],
    ):
        # A FIFO opened for reading blocks forever: the timeout is the test's failure.
        result = mesolog_process(*args, env=env, timeout=120)
        assert "unexpected internal error" not in result.stderr, (args, result.stderr)
        if args[0] in ("due", "export", "patient") or args == ["report"]:
            assert "P-0042" in result.stdout, args
        if args[0] in ("due", "export", "lot", "find", "check"):
            assert result.returncode == 1, (args, result.stderr)
            assert (
                "FIFO" in result.stderr + result.stdout and "DIR" in result.stderr + result.stdout
            )
    assert "not a regular file" in mesolog_process("check", env=env, timeout=120).stdout
    assert snapshot(data_dir) == before


@pytest.mark.parametrize(
    "edit",
    [
        ("id = 1\n", "id = 99999999999999999999\n"),
        ("date = 2026-11-02\n", "date = 9999-12-25\n"),
        ("birth_year = 1986\n", "birth_year = -99999999999999999999\n"),
        ("depth_mm = 1.5\n", "depth_mm = inf\n"),
    ],
)
def test_a_huge_number_or_a_far_date_is_one_charts_problem(
    run, patient: Path, data_dir: Path, edit
) -> None:
    run("add", "P-0042", *FULL_ADD)
    run(
        "patient",
        "new",
        "P-0043",
        "--name",
        "Bea",
        "--course",
        "c",
        "--indication",
        "acne",
        "--sessions",
        "4",
        "--interval",
        "14",
        "--start",
        "2026-11-02",
    )
    run("add", "P-0043", *FULL_ADD)
    text = patient.read_text()
    assert edit[0] in text
    patient.write_text(text.replace(edit[0], edit[1], 1))
    before = snapshot(data_dir)
    for args in (["due", "--all"], ["lot", "D2411"], ["find"], ["export"]):
        result = run(*args, expect=None)
        assert "P-0043" in result.stdout and "unexpected internal error" not in result.stderr, args
        # Left out, said and exit 1; or (export of a far date: no maths needed) answered whole.
        assert (result.exit_code == 1 and "P-0042 left out" in result.stderr) or (
            result.exit_code == 0 and "P-0042" in result.stdout and args == ["export"]
        ), args
    for args in (["report"], ["stats"], ["patient", "list"]):
        result = run(*args, expect=1)  # answered, the chart named, and said in the exit code
        assert (
            "unexpected internal error" not in result.stderr
            and "P-0042" in result.stdout + result.stderr
        )
    assert "P-0043" in run("report", expect=1).stdout
    result = run("report", "P-0042", expect=None)
    assert result.exit_code in (0, 1) and "unexpected internal error" not in result.stderr
    assert "P-0042.toml" in run("check", expect=1).stdout
    assert snapshot(data_dir) == before


# --- 3. a wrong folder is not an empty clinic --------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["report"],
        ["due"],
        ["lot", "D2411"],
        ["find"],
        ["stats"],
        ["export"],
        ["check"],
        ["patient", "list"],
        ["report", "P-0042"],
        ["patient", "show", "P-0042"],
        ["summary", "P-0042"],
    ],
)
def test_reading_a_data_folder_that_does_not_exist_says_so(run, tmp_path: Path, args) -> None:
    missing = tmp_path / "no-such-clinic"
    result = run("--data-dir", str(missing), *args, expect=1)
    assert result.stdout == ""
    assert f"no data folder at {missing}" in result.stderr and result.stderr.count("\n") == 1
    assert not missing.exists() and snapshot(tmp_path / "cache") == snapshot(tmp_path / "cache")


# --- 4. answers that left something out say so in the exit code -------------------------------


def test_lot_export_due_find_print_what_they_could_and_exit_1(
    run, patient: Path, data_dir: Path
) -> None:
    run("add", "P-0042", *FULL_ADD)
    (data_dir / "patients" / "BAD-1.toml").write_text("schema = [\n")
    (data_dir / "patients" / "BAD-2.toml").write_bytes(b"\xff\xfe")
    before = snapshot(data_dir)
    for args in (
        ["lot", "D2411"],
        ["export"],
        ["export", "--format", "csv"],
        ["due", "--all"],
        ["find", "--area", "scalp"],
    ):
        result = run(*args, expect=1)
        assert "P-0042" in result.stdout, args
        assert "BAD-1 left out" in result.stderr and "BAD-2 left out" in result.stderr, args
    assert snapshot(data_dir) == before


# --- 5. what reaches a screen or a spreadsheet is inert ---------------------------------------

HOSTILE = "\x1b[2J\x1b]0;pwned\x07\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\\x07\rHIDE\x08[red]x[/red]\u202e"
RAW = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u202e]")


# A one-line field refuses a line break (tests/test_one_line_fields.py): the rest of it there.
ONE_LINE = HOSTILE.replace("\r", "")


def test_hostile_text_in_every_field_is_shown_inert_in_every_human_view(
    run, data_dir: Path
) -> None:
    h, o = HOSTILE, ONE_LINE
    run(
        "patient",
        "new",
        "P-0042",
        "--name",
        f"Ana{o}",
        "--note",
        f"note{h}",
        "--course",
        "c1",
        "--indication",
        f"hair loss{o}",
        "--sessions",
        "6",
        "--interval",
        "14",
        "--start",
        "2026-11-02",
    )
    added = run(
        "add",
        "P-0042",
        "--date",
        "2026-11-02",
        "--area",
        f"scalp{o}",
        "--indication",
        f"hair loss{o}",
        "--substance",
        f"dutas{o.replace(':', '')}:1ml:LOT D2411",
        "--depth",
        "1.5",
        "--technique",
        "gun",
        "--anaesthetic",
        f"none{o}",
        "--note",
        f"first{h}",
        "--practitioner",
        f"Dr{o}",
        "--consent",
        f"form{o}",
        "--photo",
        f"p{o}.jpg",
        "--course",
        "c1",
        "--measure",
        "hair_density_per_cm2=142",
        "--no-input",
    )
    amended = run(
        "amend",
        "P-0042",
        "1",
        "--note",
        f"second{h}",
        "--reason",
        f"why{o}",
        "--add-complication",
        f"bruise{o.replace(':', '')}:mild",
    )
    outputs = {"add": added, "amend": amended}
    views = {
        "report": ["report", "P-0042"],
        "audit": ["report", "P-0042", "--audit"],
        "show": ["patient", "show", "P-0042"],
        "overview": ["report"],
        "list": ["patient", "list"],
        "due": ["due", "--all"],
        "lot": ["lot", "D2411"],
        "find": ["find"],
        "stats": ["stats", "--by", "practitioner"],
        "stats-area": ["stats", "--by", "area"],
        "check": ["check"],
        "markdown": ["report", "P-0042", "--format", "markdown"],
        "csv": ["report", "P-0042", "--format", "csv"],
        "export-csv": ["export", "--format", "csv"],
    }
    for name, args in views.items():
        outputs[name] = run(*args, expect=None)
    for name, result in outputs.items():
        both = result.stdout + result.stderr
        assert not RAW.search(both), (name, [m for m in RAW.findall(both)][:5])
        assert "unexpected internal error" not in both, name
    for name in ("report", "audit", "show", "overview", "due", "find", "add", "amend"):
        assert "\\x1b[2J" in outputs[name].stdout, name  # shown, as the four characters \x1b
        assert "[red]x[/red]" in outputs[name].stdout, name  # markup printed as typed
    assert "\\x07" in outputs["show"].stdout and "\\r" not in outputs["show"].stdout
    assert "\\x0dHIDE" in outputs["report"].stdout  # the carriage return is visible


def test_hostile_text_is_inert_in_a_real_terminal_too(tmp_path: Path, data_dir: Path, run) -> None:
    """Through a pseudo-terminal (Rich draws its boxes and colours): no raw ESC from the chart."""
    import pty

    run("patient", "new", "P-0042", "--name", f"Ana{ONE_LINE}", "--note", f"note{HOSTILE}")
    env = {
        **os.environ,
        "MESOLOG_DATA_DIR": str(data_dir),
        "COLUMNS": "100",
        "TERM": "xterm-256color",
    }
    for args in (["patient", "show", "P-0042"], ["report"]):
        pid, fd = pty.fork()
        if pid == 0:  # pragma: no cover - the child
            os.execve(sys.executable, [sys.executable, "-m", "mesolog", *args], env)
        chunks = []
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        os.waitpid(pid, 0)
        out = b"".join(chunks).decode("utf-8", "replace")
        assert "\\x1b[2J" in out and "\x1b[2J" not in out and "\x1b]" not in out, args
        assert "\x07" not in out, args  # no raw BEL (Rich ends its own links with ESC \\)


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(
    run, patient: Path, data_dir: Path
) -> None:
    formula = "=1+2+cmd|' /C calc'!A0"
    run(
        "add",
        "P-0042",
        *FULL_ADD[:-12],
        "--practitioner",
        formula,
        "--note",
        "+SUM(A1)",
        "--consent",
        "@x",
        "--measure",
        "weight_kg=80",
    )
    run(
        "add",
        "P-0042",
        *FULL_ADD[:-12],
        "--date",
        "2026-11-20",
        "--practitioner",
        "-2+3",
        "--note",
        "\tx",
        "--measure",
        "weight_kg=77.5",
    )
    import csv
    import io

    for args in (
        ["report", "P-0042", "--format", "csv"],
        ["export", "--format", "csv"],
        ["find", "--format", "csv"],
        ["stats", "--by", "practitioner", "--format", "csv"],
    ):
        cells = [c for row in csv.reader(io.StringIO(run(*args).stdout)) for c in row]
        assert any("calc" in c for c in cells), args
        for cell in cells:
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), (args, cell)
            assert not cell.startswith("-") or re.fullmatch(r"-[\d.]+", cell), (args, cell)
        assert (
            "'" + formula in cells
            or "'" + formula.split(";")[0] in cells
            or args[0] in ("find", "stats")
        ), args


def test_markdown_escapes_links_pipes_and_backticks(run, patient: Path) -> None:
    run("add", "P-0042", *FULL_ADD[:-14], "--note", "[x](javascript:alert(1)) a|b `code` <b>hi</b>")
    out = run("report", "P-0042", "--format", "markdown").stdout
    assert "[x](javascript" not in out and "\\[x\\](javascript" in out
    assert "a\\|b" in out and "\\`code\\`" in out and "<b>" not in out


# --- 6. private stays private -----------------------------------------------------------------


def test_a_write_tightens_a_cloned_folder_and_check_names_the_fix(
    run, patient: Path, data_dir: Path
) -> None:
    other = chart(data_dir, "P-0043")
    run("patient", "new", "P-0043")
    for path, mode in (
        (data_dir, 0o755),
        (data_dir / "patients", 0o755),
        (patient, 0o644),
        (other, 0o644),
    ):
        path.chmod(mode)
    result = run("check")
    assert f"chmod 700 {data_dir}" in result.stdout and f"chmod 600 {patient}" in result.stdout
    assert (
        f"chmod 700 {data_dir / 'patients'}" in result.stdout
        and f"chmod 600 {other}" in result.stdout
    )
    run("add", "P-0042", *ADD)
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((data_dir / "patients").stat().st_mode) == 0o700
    assert stat.S_IMODE(patient.stat().st_mode) == 0o600
    assert stat.S_IMODE(other.stat().st_mode) == 0o644  # untouched: check still names it
    result = run("check")
    assert f"chmod 600 {other}" in result.stdout and str(patient) + ":" not in result.stdout


def test_a_bad_field_is_quoted_shortened_never_whole(run, patient: Path, data_dir: Path) -> None:
    before = snapshot(data_dir)
    result = run("add", "P-0042", *ADD[:-1], "--technique", "y" * 500, expect=2)
    assert "yyyy" in result.stderr and "y" * 100 not in result.stderr
    assert snapshot(data_dir) == before
    secret = "confidential-" + "x" * 2000
    text = patient.read_text().replace("birth_year = 1986", f'birth_year = "{secret}"', 1)
    patient.write_text(text)
    before = snapshot(data_dir)
    for args in (["check"], ["report", "P-0042"], ["due"]):
        result = run(*args, expect=1)
        both = result.stdout + result.stderr
        assert "confidential" in both and "x" * 100 not in both, args
    assert snapshot(data_dir) == before


# --- 7. history never goes quiet --------------------------------------------------------------


def git(data_dir: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(data_dir), *args], capture_output=True, text=True, check=True
    ).stdout


@needs_git
def test_a_stale_index_lock_is_named_by_every_change_and_by_check(run, data_dir: Path) -> None:
    run("init", "--git")
    run(
        "patient",
        "new",
        "P-0042",
        "--course",
        "c",
        "--indication",
        "acne",
        "--sessions",
        "4",
        "--interval",
        "14",
    )
    run("add", "P-0042", *ADD)
    lock = data_dir / ".git" / "index.lock"
    lock.write_text("")
    for args in (
        ["patient", "new", "P-0043"],
        ["course", "add", "P-0042", "--name", "d", "--sessions", "4", "--interval", "14"],
        ["add", "P-0042", *ADD],
        ["amend", "P-0042", "1", "--note", "n", "--reason", "r"],
        ["void", "P-0042", "2", "--reason", "dup"],
    ):
        result = run(*args)
        assert str(lock) in result.stderr and "warning:" in result.stderr, args
    assert str(lock) in run("check").stderr


@needs_git
def test_init_git_does_not_claim_history_while_commits_fail(run, data_dir: Path) -> None:
    (data_dir / ".git").mkdir(parents=True)
    subprocess.run(["git", "init", "--quiet", str(data_dir)], check=True)
    (data_dir / ".git" / "index.lock").write_text("")
    result = run("init", "--git", expect=1)
    assert (
        "history is on" not in result.stdout
        and str(data_dir / ".git" / "index.lock") in result.stderr
    )


@needs_git
def test_each_commit_holds_only_the_files_its_change_touched(run, data_dir: Path) -> None:
    run("init", "--git")
    run("patient", "new", "P-0042")
    run("patient", "new", "P-0043")
    # Someone staged an unrelated edit by hand; mesolog's commit must not sweep it in.
    chart(data_dir, "P-0043").write_text(chart(data_dir, "P-0043").read_text() + "# hand note\n")
    (data_dir / "notes.txt").write_text("staged by hand\n")
    git(data_dir, "add", "notes.txt", "patients/P-0043.toml")
    run("add", "P-0042", *ADD)
    files = git(data_dir, "show", "--name-only", "--format=", "HEAD").split()
    assert files == ["patients/P-0042.toml"]
    assert "notes.txt" in git(data_dir, "diff", "--cached", "--name-only")


# --- 8. faults are one sentence ----------------------------------------------------------------


def _limit_file_size() -> None:  # pragma: no cover - runs in the child
    import resource

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))


def test_a_full_or_unwritable_cache_falls_back_to_the_files(
    run, patient: Path, data_dir: Path, tmp_path: Path
) -> None:
    for n in range(30):
        run("patient", "new", f"Q-{n}", "--name", "x" * 200, "--note", "y" * 300)
    before = snapshot(data_dir)
    env = {"MESOLOG_DATA_DIR": str(data_dir), "MESOLOG_CACHE_DIR": str(tmp_path / "fullcache")}
    # A full disk, made real by a file-size limit on the process: SQLite cannot grow its file.
    result = subprocess.run(
        [sys.executable, "-m", "mesolog", "patient", "list"],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        preexec_fn=_limit_file_size,
    )
    assert result.returncode == 0, result.stderr
    assert "Q-29" in result.stdout and "P-0042" in result.stdout
    # A cache folder that cannot exist: its parent is a regular file.
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    result = mesolog_process(
        "due", "--all", env={**env, "MESOLOG_CACHE_DIR": str(blocker / "cache")}
    )
    assert result.returncode == 0 and "Q-29" in result.stdout, result.stderr
    assert snapshot(data_dir) == before


def test_undecodable_argument_bad_lock_timeout_and_bom(run, patient: Path, data_dir: Path) -> None:
    before = snapshot(data_dir)
    env = {**os.environ, "MESOLOG_DATA_DIR": str(data_dir)}
    for argv in (
        [b"find", b"--area", b"sc\xffalp"],
        [b"patient", b"new", b"P-9", b"--name", b"A\xff"],
        [b"add", b"P-0042", b"--note", b"\xff", *[a.encode() for a in ADD]],
    ):
        result = subprocess.run(
            [sys.executable.encode(), b"-m", b"mesolog", *argv], capture_output=True, env=env
        )
        assert result.returncode == 2, result.stderr
        assert b"not UTF-8" in result.stderr and result.stderr.count(b"\n") == 1
    assert snapshot(data_dir) == before
    result = mesolog_process(
        "add",
        "P-0042",
        *ADD,
        env={"MESOLOG_DATA_DIR": str(data_dir), "MESOLOG_LOCK_TIMEOUT": "abc"},
    )
    assert (
        result.returncode == 2
        and "MESOLOG_LOCK_TIMEOUT" in result.stderr
        and result.stderr.count("\n") == 1
    )
    assert snapshot(data_dir) == before
    # A byte-order mark, as Windows editors write: accepted, and gone after the next write.
    patient.write_bytes(b"\xef\xbb\xbf" + patient.read_bytes())
    assert "Ana Ruiz" in run("report", "P-0042").stdout
    run("check")
    run("add", "P-0042", *ADD)
    assert not patient.read_bytes().startswith(b"\xef\xbb\xbf")
    assert "1 of 6 sessions" in run("report", "P-0042").stdout


WORKER_SCRIPT = """
import multiprocessing, os, signal, sys
from pathlib import Path
from mesolog.store import Clinic
from mesolog.store.cache import _read_many, _signatures
clinic = Clinic(Path(sys.argv[1]))
signatures = _signatures(clinic)
rows = _read_many(clinic, sorted(signatures), signatures, workers=2)
next(rows)  # the pool is running: its workers exist
print(" ".join(str(p.pid) for p in multiprocessing.active_children()), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="parallel rebuilds are Linux-only")
def test_rebuild_workers_end_when_their_parent_is_killed(
    run, data_dir: Path, tmp_path: Path
) -> None:
    from mesolog.store.cache import PARALLEL_FROM

    for n in range(PARALLEL_FROM + 16):
        run("patient", "new", f"W-{n}")
    script = tmp_path / "rebuild.py"
    script.write_text(WORKER_SCRIPT)
    # Output to a file, not a pipe: orphaned workers would hold a pipe open (and the run with it).
    out = tmp_path / "rebuild.out"
    with out.open("w") as handle:
        code = subprocess.run(
            [sys.executable, str(script), str(data_dir)],
            stdout=handle,
            stderr=subprocess.STDOUT,
            timeout=300,
        ).returncode
    assert code == -signal.SIGKILL, out.read_text()
    workers = [int(p) for p in out.read_text().split()]
    assert workers, "the rebuild started no workers"

    def alive(pid: int) -> bool:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                return handle.read().split(")")[-1].split()[0] != "Z"
        except FileNotFoundError:
            return False

    deadline = time.monotonic() + 60  # generous: they end at once; the old ones slept for minutes
    while any(alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [p for p in workers if alive(p)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, "workers outlived their killed parent"
