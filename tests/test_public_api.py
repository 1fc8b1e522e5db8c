"""mesolog uses only the public API of Typer, click and Rich: their private names (one leading
underscore) change between minor versions, and the range of versions pyproject.toml allows is
a promise about the public API only. The source is read with ``ast``, so the check sees every
way of reaching in: an attribute, an import, a method overriding a private hook, a name given
to getattr as a string, an object whose class is swapped."""

from __future__ import annotations

import ast
import importlib.util
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

LIBRARIES = ("typer", "click", "rich")
SOURCE = Path(__file__).parent.parent / "mesolog"


def private(name: str) -> bool:
    """``_x`` or ``__x``, not a dunder (``__init__``) nor a bare ``_``."""
    return re.match(r"_+[A-Za-z]", name) is not None and not (
        name.startswith("__") and name.endswith("__")
    )


def of_a_library(module: str | None) -> bool:
    return (module or "").split(".")[0] in LIBRARIES


@cache
def library_private_names() -> frozenset[str]:
    """Every private attribute or method name the installed libraries define or use."""
    names: set[str] = set()
    for library in LIBRARIES:
        spec = importlib.util.find_spec(library)
        for folder in (spec.submodule_search_locations or []) if spec else []:
            for path in Path(folder).rglob("*.py"):
                for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                    if isinstance(node, ast.Attribute) and private(node.attr):
                        names.add(node.attr)
                    elif isinstance(node, ast.ClassDef):
                        for item in node.body:
                            if isinstance(
                                item, (ast.FunctionDef, ast.AsyncFunctionDef)
                            ) and private(item.name):
                                names.add(item.name)
    return frozenset(names)


class Reaches(ast.NodeVisitor):
    """Collects every reach into a library's internals in one module."""

    def __init__(self) -> None:
        self.found: list[str] = []
        self.from_libraries: set[str] = set()  # local names bound to a library's objects
        self.from_elsewhere: set[str] = set()  # local names imported from anything else
        self.library_classes: list[bool] = []  # for each enclosing class: does it derive from one?

    def say(self, node: ast.AST, what: str) -> None:
        self.found.append(f"line {getattr(node, 'lineno', '?')}: {what}")

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            bound = alias.asname or alias.name.split(".")[0]
            if of_a_library(alias.name):
                self.from_libraries.add(bound)
                if any(private(part) for part in alias.name.split(".")):
                    self.say(node, f"import {alias.name}")
            else:
                self.from_elsewhere.add(bound)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            bound = alias.asname or alias.name
            if of_a_library(node.module):
                self.from_libraries.add(bound)
                if any(private(part) for part in (node.module or "").split(".")) or private(
                    alias.name
                ):
                    self.say(node, f"from {node.module} import {alias.name}")
            else:
                self.from_elsewhere.add(bound)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        derived = any(_root_name(base) in self.from_libraries for base in node.bases)
        if derived:
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and private(item.name):
                    self.say(
                        item,
                        f"{node.name}.{item.name} overrides a private method of its library base",
                    )
        self.library_classes.append(derived)
        self.generic_visit(node)
        self.library_classes.pop()

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if private(node.attr) and not self._ours(node.value):
            self.say(node, ast.unparse(node))
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            if isinstance(target, ast.Attribute) and target.attr == "__class__":
                self.say(node, f"{ast.unparse(target)} = ... swaps an object's class")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        # getattr(param, "_runtime_param"), or the name kept in a constant first
        if (
            isinstance(node.value, str)
            and private(node.value)
            and node.value in library_private_names()
        ):
            self.say(node, f"the string {node.value!r} names a private attribute of a library")

    def _ours(self, value: ast.expr) -> bool:
        """Whether ``value._x`` is mesolog's own or the standard library's private name."""
        root = _root(value)
        if isinstance(root, ast.Name) and root.id in ("self", "cls"):
            return not (self.library_classes and self.library_classes[-1])
        if isinstance(root, ast.Name):
            return root.id in self.from_elsewhere
        return False  # super()._x, a call's result, a local of unknown type


def _root(node: ast.expr) -> ast.expr:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node


def _root_name(node: ast.expr) -> str:
    root = _root(node)
    return root.id if isinstance(root, ast.Name) else ""


def reaches(source: str) -> list[str]:
    visitor = Reaches()
    visitor.visit(ast.parse(source))
    return visitor.found


def modules() -> Iterator[Path]:
    yield from sorted(SOURCE.rglob("*.py"))


@pytest.mark.parametrize("path", list(modules()), ids=lambda p: str(p.relative_to(SOURCE.parent)))
def test_no_module_reaches_into_typer_click_or_rich(path: Path) -> None:
    assert reaches(path.read_text(encoding="utf-8")) == []


# Each way the code once reached in (and a few more), and what stays allowed.
REACHING_IN = {
    "a private attribute set": "from typer.core import TyperOption\n"
    "def f(param):\n    param._custom_shell_complete = complete\n",
    "a private method of the base called": "from rich.console import Console\n"
    "class C(Console):\n    def render(self, b):\n        return super()._render_buffer(b)\n",
    "a private hook overridden": "from typer.core import TyperArgument\n"
    "class W(TyperArgument):\n    def _rich_display_name(self):\n        return 'ID'\n",
    "a class swapped": "from mesolog.cli import words\ndef f(param):\n    param.__class__ = words.W\n",
    "a private name kept in a string": '_SLOT = "_runtime_param"\ndef f(p):\n    return getattr(p, _SLOT)\n',
    "a private module imported": "from typer._coercion import build_runtime_param\n",
    "a vendored module imported": "import typer._click.core\n",
    "a private name imported": "from rich.console import _is_jupyter\n",
    "self in a library subclass": "from rich.console import Console\n"
    "class C(Console):\n    def f(self):\n        return self._buffer\n",
}
ALLOWED = {
    "the standard library's": "import os\ndef f():\n    os._exit(1)\n",
    "our own class's": "class Cache:\n    def f(self):\n        return self._rows\n",
    "our own module's": "from mesolog.store import cache\ndef f():\n    return cache._opened\n",
    "a public name of a library": "import typer\ndef f(p):\n    p.metavar = 'ID'\n    return typer.main.get_command\n",
}


@pytest.mark.parametrize("case", REACHING_IN)
def test_the_check_sees_each_way_of_reaching_in(case: str) -> None:
    assert reaches(REACHING_IN[case]) != [], case


@pytest.mark.parametrize("case", ALLOWED)
def test_the_check_leaves_our_own_and_public_names_alone(case: str) -> None:
    assert reaches(ALLOWED[case]) == [], case
