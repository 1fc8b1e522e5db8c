"""Every command and option documents itself with an example; lint and types stay clean."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import mesolog_process
from typer.main import get_command

from mesolog.cli import app
from mesolog.cli.main import COMMAND_MODULES, invoked_name

ROOT = Path(__file__).parent.parent


def all_commands():  # type: ignore[no-untyped-def]
    root = get_command(app)

    def walk(cmd, path):  # type: ignore[no-untyped-def]
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                yield from walk(sub, [*path, name])
        else:
            yield path, cmd

    return list(walk(root, []))


def test_there_are_commands() -> None:
    names = {" ".join(p) for p, _ in all_commands()}
    assert {
        "add",
        "report",
        "amend",
        "void",
        "check",
        "init",
        "git",
        "paths",
        "patient new",
        "due",
        "lot",
        "find",
        "stats",
        "export",
        "patient list",
        "patient show",
        "course add",
        "config show",
        "config path",
    } <= names


@pytest.mark.parametrize("path", [p for p, _ in all_commands()], ids=lambda p: " ".join(p))
def test_command_and_every_option_has_help_with_an_example(run, path: list[str]) -> None:
    cmd = dict((tuple(p), c) for p, c in all_commands())[tuple(path)]
    assert cmd.help and "Example" in cmd.help, path
    for param in cmd.params:
        if param.name in ("help",) or getattr(param, "hidden", False):
            continue
        text = getattr(param, "help", None) or ""
        assert text, f"{path} {param.name} has no help"
        if param.param_type_name == "option":
            assert "Example" in text, f"{path} {param.name}: no example"
    result = run(*path, "--help")
    assert "Usage:" in result.stdout


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["--data-dir", "x", "add", "P-1"], "add"),
        (["--data-dir=x", "--debug", "due"], "due"),
        (["patient", "new", "P-1"], "patient"),
        (["--data-dir", "report"], None),  # "report" is the folder here
        (["--version"], None),
        (["--", "add"], None),
        ([], None),
    ],
)
def test_the_command_word_is_found_past_the_global_options(
    args: list[str], name: str | None
) -> None:
    assert invoked_name(args) == name


def test_every_global_option_that_takes_a_value_is_known_to_the_command_word_finder() -> None:
    from mesolog.cli.main import _GLOBAL_OPTIONS_WITH_VALUE

    taking_a_value = {
        opt for p in get_command(app).params if not getattr(p, "is_flag", False) for opt in p.opts
    }
    assert taking_a_value == set(_GLOBAL_OPTIONS_WITH_VALUE)


def test_an_unknown_command_still_gets_suggestions_and_the_full_help(tmp_path: Path) -> None:
    wrong = mesolog_process("--data-dir", str(tmp_path), "adx")
    assert wrong.returncode == 2 and "Did you mean 'add'?" in wrong.stderr
    every = mesolog_process("--help")
    for word in ("add", "report", "due", "patient"):
        assert word in every.stdout
    one = mesolog_process("--data-dir", str(tmp_path), "add", "--help")
    assert one.returncode == 0 and "Usage: mesolog add" in one.stdout


def test_readme_documents_every_command() -> None:
    readme = (ROOT / "README.md").read_text()
    for path, _ in all_commands():
        assert f"mesolog {' '.join(path)}" in readme, f"README lacks mesolog {' '.join(path)}"


@pytest.mark.skipif(
    shutil.which("ruff") is None and not (Path(sys.executable).parent / "ruff").exists(),
    reason="ruff not installed",
)
def test_ruff() -> None:
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    result = subprocess.run(
        [ruff, "check", "mesolog", "tests", "benchmarks", "examples"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(
    shutil.which("ruff") is None and not (Path(sys.executable).parent / "ruff").exists(),
    reason="ruff not installed",
)
def test_ruff_format() -> None:
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    result = subprocess.run(
        [ruff, "format", "--check", "mesolog", "tests", "benchmarks", "examples"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_function_above_radon_grade_c() -> None:
    # Grade D starts at a cyclomatic complexity of 21: such a function is split by what it does.
    pytest.importorskip("radon")
    result = subprocess.run(
        [sys.executable, "-m", "radon", "cc", "-s", "-n", "D", "mesolog"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0 and result.stdout.strip() == "", result.stdout + result.stderr


def test_mypy() -> None:
    pytest.importorskip("mypy")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "mesolog"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_each_command_word_names_the_module_that_registers_it() -> None:
    # A fresh process per module, as a run imports it: importing one module must register
    # exactly its commands (a command group counts when it has commands).
    words = {p[0] for p, _ in all_commands()}
    assert set(COMMAND_MODULES) == words
    for module in sorted(set(COMMAND_MODULES.values())):
        script = (
            f"import mesolog.cli.{module}; from mesolog.cli.application import app; "
            "from typer.main import get_command; "
            "built = get_command(app).commands; "
            "print(' '.join(sorted(n for n, c in built.items() if getattr(c, 'commands', True))))"
        )
        out = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        )
        assert set(out.stdout.split()) == {w for w, m in COMMAND_MODULES.items() if m == module}, (
            module
        )
