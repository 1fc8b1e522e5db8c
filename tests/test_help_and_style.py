"""Every command and option documents itself with an example; lint and types stay clean."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.main import get_command

from mesolog.cli import app

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
    assert {"add", "report", "amend", "void", "check", "init", "git", "paths", "patient new", "due", "lot",
            "find", "stats", "export",
            "patient list", "patient show", "course add", "config show", "config path"} <= names


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


def test_readme_documents_every_command() -> None:
    readme = (ROOT / "README.md").read_text()
    for path, _ in all_commands():
        assert f"mesolog {' '.join(path)}" in readme, f"README lacks mesolog {' '.join(path)}"


@pytest.mark.skipif(shutil.which("ruff") is None and not (Path(sys.executable).parent / "ruff").exists(), reason="ruff not installed")
def test_ruff() -> None:
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    result = subprocess.run([ruff, "check", "mesolog", "tests", "benchmarks", "examples"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy() -> None:
    pytest.importorskip("mypy")
    result = subprocess.run([sys.executable, "-m", "mypy", "mesolog"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_layers_go_one_way() -> None:
    """cli -> render/store -> model; only cli knows typer, only render knows rich."""
    sources = {p.stem: p.read_text() for p in (ROOT / "mesolog").glob("*.py")}
    for name, text in sources.items():
        if name != "cli":
            assert "import typer" not in text and "from typer" not in text, name
        if name != "render":
            assert "from rich" not in text and "import rich" not in text, name
        assert "import click" not in text and "from click" not in text, name
    for name in ("model", "progress", "questions", "vocabulary", "errors", "fhir"):
        text = sources[name]
        for upper in ("store", "render", "cli", "history", "checkup", "config", "summary"):
            assert f"from mesolog.{upper}" not in text and f"from mesolog import {upper}" not in text, (name, upper)
        assert "open(" not in text and "read_text" not in text and "write_text" not in text, name
