"""The layers of docs/design.md as folders, imports in one direction only, and no cycles.

cli -> render and store -> model; errors.py is below everything. Only cli knows Typer, only
render knows Rich, nothing knows click, and the model touches no file. Imports inside
functions count too: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "mesolog"
# What each layer may import from mesolog (itself included).
ALLOWED = {
    "errors": {"errors"},
    "model": {"model", "errors"},
    "store": {"store", "model", "errors"},
    "render": {"render", "model", "errors"},
    "cli": {"cli", "render", "store", "model", "errors", "version"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(path: Path) -> set[str]:
    """Every mesolog module ``path`` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from mesolog.model import progress` imports the submodule progress.
            submodules = {f"{node.module}.{a.name}" for a in node.names} & set(MODULES)
            found |= submodules
            if len(submodules) < len(node.names):
                found.add(node.module)
    return {name for name in found if name == "mesolog" or name.startswith("mesolog.")}


def layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "version"  # the package itself: __version__ and the lazy Clinic
    return parts[1]


def test_every_module_lives_in_a_layer() -> None:
    for module in MODULES:
        if module in ("mesolog", "mesolog.__main__"):
            continue
        assert layer(module) in ALLOWED, f"{module} is outside the layer folders"


@pytest.mark.parametrize(
    "module", sorted(m for m in MODULES if m.count(".") >= 1 and m != "mesolog.__main__")
)
def test_no_import_runs_upward(module: str) -> None:
    own = layer(module)
    for target in imports_of(MODULES[module]):
        assert layer(target) in ALLOWED[own], f"{module} ({own}) imports {target} ({layer(target)})"


def test_there_are_no_import_cycles() -> None:
    graph = {m: imports_of(p) & set(MODULES) for m, p in MODULES.items()}

    def parents(module: str) -> set[str]:
        # Importing a.b.c runs a/__init__ and a/b/__init__ first.
        parts = module.split(".")
        return {".".join(parts[:i]) for i in range(1, len(parts))} & set(MODULES)

    edges = {
        m: {t for t in targets if t != m and not m.startswith(t + ".")}
        for m, targets in graph.items()
    }
    for m in edges:
        edges[m] = {t for t in edges[m] if t != "mesolog"} | (parents(m) - {"mesolog"} - {m})
        edges[m] -= {p for p in parents(m)}  # a package's own __init__ runs before its modules
    visiting: list[str] = []
    done: set[str] = set()

    def visit(m: str) -> None:
        if m in done:
            return
        assert m not in visiting, "import cycle: " + " -> ".join(
            [*visiting[visiting.index(m) :], m]
        )
        visiting.append(m)
        for t in sorted(edges[m]):
            visit(t)
        visiting.pop()
        done.add(m)

    for m in sorted(edges):
        visit(m)


def test_only_cli_knows_typer_only_render_knows_rich_and_the_model_touches_no_file() -> None:
    for module, path in MODULES.items():
        text = path.read_text()
        if layer(module) != "cli":
            assert "import typer" not in text and "from typer" not in text, module
        if layer(module) != "render":
            assert "from rich" not in text and "import rich" not in text, module
        assert "import click" not in text and "from click" not in text, module
        if layer(module) == "model":
            for word in (
                "open(",
                "read_text",
                "write_text",
                "read_bytes",
                "import os",
                "subprocess",
                "sqlite3",
            ):
                assert word not in text, (module, word)


def test_the_layer_check_catches_an_upward_import(tmp_path: Path) -> None:
    """The check itself can fail: a model module importing the store is seen."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from mesolog.store.clinic import Clinic\n")
    assert "mesolog.store.clinic" in imports_of(bad)
    assert layer("mesolog.store.clinic") not in ALLOWED["model"]


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_imports(path: Path) -> list[str]:
    """Every ``_private`` name ``path`` takes from another mesolog module: imported by name
    (``from mesolog.render.console import _number``), reached through an imported module
    (``values._MEASURE_NAME``), or a mesolog name imported under a private alias (``as _x``).
    A name another module uses is public, and is named as such."""
    found: list[str] = []
    modules: set[str] = set()  # local names bound to mesolog modules
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.level == 0
            and (node.module == "mesolog" or node.module.startswith("mesolog."))
        ):
            for alias in node.names:
                if _private(alias.name) or (alias.asname and _private(alias.asname)):
                    found.append(f"line {node.lineno}: from {node.module} import {alias.name}")
                if f"{node.module}.{alias.name}" in MODULES:
                    modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "mesolog" or alias.name.startswith("mesolog."):
                    modules.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in modules:
                found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_uses_another_modules_private_names(module: str) -> None:
    assert not private_imports(MODULES[module]), (
        f"{module} uses private names: {private_imports(MODULES[module])}"
    )


def test_the_private_name_check_catches_each_way_in(tmp_path: Path) -> None:
    """The check itself can fail: by name, through a module, under an alias, inside a function."""
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from mesolog.render.console import _number, write\n"
        "from mesolog.model import values as parse\n"
        "import mesolog.store.config\n"
        "from mesolog import __version__\n"
        "def f():\n"
        "    from mesolog.model.importing import session_identity as _identity\n"
        "    return parse._MEASURE_NAME, mesolog.store.config._decode, parse.__name__\n"
    )
    found = private_imports(bad)
    assert len(found) == 4, found
    assert [f for f in found if "_number" in f] and [f for f in found if "_identity" in f]
    assert [f for f in found if "parse._MEASURE_NAME" in f] and [
        f for f in found if "config._decode" in f
    ]


def test_the_installed_package_holds_every_module() -> None:
    """A wheel built from pyproject.toml must carry every layer folder (CI installs it that way;
    the tests themselves import the source tree, so nothing else would notice a missing one)."""
    import sysconfig

    installed_root = Path(sysconfig.get_paths()["purelib"]) / "mesolog"
    if not installed_root.is_dir():
        pytest.skip("no installed copy in site-packages (an editable install, or none)")
    installed = {str(p.relative_to(installed_root.parent)) for p in installed_root.rglob("*.py")}
    source = {str(p.relative_to(PACKAGE.parent)) for p in PACKAGE.rglob("*.py")}
    assert source <= installed, sorted(source - installed)
