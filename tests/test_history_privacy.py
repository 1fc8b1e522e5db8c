"""Git history of every change, and no patient data in any error output."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import FULL_ADD, mesolog_process

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")


def git_log(data_dir: Path) -> list[str]:
    out = subprocess.run(
        ["git", "-C", str(data_dir), "log", "--format=%an|%s"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.splitlines()


@needs_git
def test_every_change_is_committed_with_a_message_saying_what_happened(run, data_dir: Path) -> None:
    assert "history is on" in run("init", "--git").stdout
    run("patient", "new", "P-0042", "--sessions", "6", "--interval", "14")
    run("add", "P-0042", *FULL_ADD)
    run("add", "P-0042", "--like-last", "--date", "2026-11-16")
    run(
        "amend",
        "P-0042",
        "2",
        "--add-complication",
        "bruising:mild",
        "--reason",
        "follow-up",
        "--by",
        "Dr. B",
    )
    run("void", "P-0042", "1", "--reason", "duplicate", "--by", "Dr. B")
    log = git_log(data_dir)
    assert log[:5] == [
        "Dr. B|P-0042: session 1 voided: status",
        "Dr. B|P-0042: session 2 amended: complications",
        "Dr. L. Moreau|P-0042: session 2 added",
        "Dr. L. Moreau|P-0042: session 1 added",
        "mesolog|P-0042: patient created",
    ]
    status = subprocess.run(
        ["git", "-C", str(data_dir), "status", "--porcelain"], capture_output=True, text=True
    )
    assert status.stdout == ""  # locks and temp files are ignored, the charts committed
    result = mesolog_process("git", "log", "--oneline", env={"MESOLOG_DATA_DIR": str(data_dir)})
    assert result.returncode == 0 and "session 2 amended" in result.stdout


def test_without_git_repository_the_tool_works_and_git_command_says_so(run, data_dir: Path) -> None:
    run("patient", "new", "P-1")
    assert "not a git repository" in run("git", "log", expect=1).stderr
    assert "off" in run("paths").stdout


def test_when_git_is_not_installed_history_is_off(
    run, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    result = run("init", "--git", expect=1)
    assert "git is not installed" in result.stderr
    run("patient", "new", "P-1")
    run("add", "P-1", *FULL_ADD)
    assert "git not installed" in run("paths").stdout


MARKER = "ZEBRA-7731-SECRET"


def test_a_marker_in_a_record_never_appears_in_error_output(run, data_dir: Path) -> None:
    run("patient", "new", "P-1", "--name", MARKER, "--note", MARKER)
    run("add", "P-1", *FULL_ADD, "--note", MARKER, "-s", f"{MARKER}:1ml:LOT {MARKER}")
    path = data_dir / "patients" / "P-1.toml"
    good = path.read_text()
    outputs = []
    # A type error deep in the file, a syntax error next to the marker, an unexpected crash.
    path.write_text(good.replace("depth_mm = 1.5", f'depth_mm = "{MARKER[:3]}"'))
    outputs.append(mesolog_process("report", "P-1", env={"MESOLOG_DATA_DIR": str(data_dir)}))
    path.write_text(good.replace(f'notes = "{MARKER}"', f'notes = "{MARKER}'))
    outputs.append(mesolog_process("report", "P-1", env={"MESOLOG_DATA_DIR": str(data_dir)}))
    path.write_text(good.replace("schema = 2", "schema = 2\n[courses]\n"))
    outputs.append(
        mesolog_process("add", "P-1", *FULL_ADD, env={"MESOLOG_DATA_DIR": str(data_dir)})
    )
    for result in outputs:
        assert result.returncode != 0
        assert MARKER not in result.stdout and MARKER not in result.stderr
        assert "Traceback" not in result.stderr


def test_unexpected_crash_reaches_the_catch_all_and_prints_no_data(
    run, data_dir: Path, tmp_path: Path
) -> None:
    """A genuinely unexpected exception, raised by a library with the patient's data in its
    message: a summary cache damaged by something other than mesolog (same version, same file
    signatures, so it is trusted) holds, where a chart's summary belongs, a pickle that asks
    for ``int(MARKER)``, and ``int`` raises ValueError quoting it. Only the catch-all in
    cli/application.py stands between that message and the screen."""
    import pickle
    import sqlite3

    class Damaged:
        def __reduce__(self) -> tuple[object, ...]:
            return (int, (MARKER,))

    run("patient", "new", "P-1", "--name", MARKER)
    run("add", "P-1", *FULL_ADD)
    run("report")  # builds the cache
    (cache,) = (tmp_path / "cache").glob("summary-*.sqlite3")
    with sqlite3.connect(cache) as db:
        assert db.execute("UPDATE charts SET summary = ?", (pickle.dumps(Damaged()),)).rowcount == 1
    env = {"MESOLOG_DATA_DIR": str(data_dir)}
    result = mesolog_process("report", env=env)
    assert result.returncode == 1
    assert "unexpected internal error (ValueError)" in result.stderr  # the catch-all, by its words
    assert MARKER not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    debug = mesolog_process("--debug", "report", env=env)
    assert "Traceback" in debug.stderr and "ValueError" in debug.stderr


def test_a_chart_of_the_wrong_shape_is_reported_without_its_content(
    data_dir: Path, tmp_path: Path
) -> None:
    # A sessions array that is not a list of tables gets past TOML but not our reader: the
    # refusal names the place, never the content.
    (data_dir / "patients").mkdir()
    bad = data_dir / "patients" / "P-9.toml"
    bad.write_text(
        f'schema = 1\n[patient]\nid = "P-9"\ncreated = 2026-01-01T00:00:00Z\nname = "{MARKER}"\n'
        f"[[sessions]]\nid = 1\ndate = 2026-01-01\nrecorded = 2026-01-01T00:00:00Z\n"
        f'technique = "gun"\ndepth_mm = 1.0\nanaesthetic = "none"\nareas = ["face"]\n'
        f'substances = ["{MARKER}"]\n'
    )
    result = mesolog_process("report", "P-9", env={"MESOLOG_DATA_DIR": str(data_dir)})
    assert result.returncode == 1
    assert MARKER not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def mesolog_files_named(text: str) -> list[str]:
    """The file names of mesolog's own modules that ``text`` mentions (a traceback's lines)."""
    import mesolog

    names = {path.name for path in Path(mesolog.__file__).parent.rglob("*.py")} - {
        "__init__.py",
        "__main__.py",
    }
    return sorted(name for name in names if name in text)


def test_debug_shows_the_traceback(data_dir: Path) -> None:
    result = mesolog_process("--debug", "report", "P-404", env={"MESOLOG_DATA_DIR": str(data_dir)})
    assert result.returncode == 1
    assert "UnknownPatient" in result.stderr and "clinic.py" in mesolog_files_named(result.stderr)
    quiet = mesolog_process("report", "P-404", env={"MESOLOG_DATA_DIR": str(data_dir)})
    assert (
        quiet.returncode == 1
        and quiet.stderr.count("\n") == 1
        and quiet.stderr.startswith("mesolog: ")
    )
    assert "Traceback" not in quiet.stderr and mesolog_files_named(quiet.stderr) == []
