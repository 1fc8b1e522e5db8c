"""The packages ``mesolog.model`` and ``mesolog.store`` import a name's module on first use:
``--version``, ``--help`` and completion load the records behind the options, not the rest of
the model or the Clinic; every name the packages list still imports from them."""

import subprocess
import sys

import pytest
from conftest import Run

import mesolog.model
import mesolog.store


@pytest.mark.parametrize("package", [mesolog.model, mesolog.store])
def test_every_listed_name_imports_from_the_package(package: object) -> None:
    for name in package.__all__:  # type: ignore[attr-defined]
        value = getattr(package, name)
        home = getattr(value, "__module__", None)
        if isinstance(home, str) and home.startswith("mesolog"):  # a class or function
            assert getattr(sys.modules[home], name) is value
    with pytest.raises(AttributeError, match="no attribute 'nothing_of_the_kind'"):
        _ = package.nothing_of_the_kind  # type: ignore[attr-defined]


def test_submodules_still_import_by_name() -> None:
    from mesolog.model import progress, vocabulary
    from mesolog.store import cache

    assert progress.__name__ == "mesolog.model.progress"
    assert vocabulary.__name__ == "mesolog.model.vocabulary"
    assert cache.__name__ == "mesolog.store.cache"


@pytest.mark.parametrize("args", [["--version"], ["--help"]])
def test_start_up_loads_neither_the_whole_model_nor_the_clinic(args: list[str]) -> None:
    program = (
        "import sys, contextlib, io\n"
        f"sys.argv = ['mesolog', *{args!r}]\n"
        "from mesolog.cli import main\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    main()\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('mesolog'))))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    ).stdout.split()
    assert "mesolog.model.records" in loaded  # the options of add and amend come from it
    for heavy in (
        "mesolog.model.amendments",
        "mesolog.model.values",
        "mesolog.model.validation",
        "mesolog.store.clinic",
    ):
        assert heavy not in loaded


def _loaded_by(*args: str) -> tuple[set[str], list[str]]:
    """The mesolog modules a real run of ``mesolog ARGS`` imported, and the commands it
    registered on the application (in a process of its own, as the ``mesolog`` script runs)."""
    program = (
        "import sys, contextlib, io\n"
        f"sys.argv = ['mesolog', *{list(args)!r}]\n"
        "from mesolog.cli import main\n"
        "try:\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        main()\n"
        "except SystemExit as end:\n"
        "    assert end.code == 0, end.code\n"
        "from mesolog.cli.application import app\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('mesolog'))))\n"
        "print(' '.join(c.callback.__name__ for c in app.registered_commands if c.callback))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    )
    modules, commands = done.stdout.splitlines()[-2:]
    return set(modules.split()), commands.split()


def test_each_command_loads_only_what_it_uses(patient: object) -> None:
    # Start-up is budgeted (docs/public-api.md): a command that changes no session skips the
    # validation and drafting rules; a run builds the parser of its own command alone.
    base = ["add", "P-0042", "--area", "scalp", "--substance", "biotin:1ml", "--depth", "1.5"]
    loaded, commands = _loaded_by(*base, "--technique", "gun", "--anaesthetic", "none")
    assert "mesolog.model.drafting" in loaded and commands == ["add"]
    assert "mesolog.store.layout" not in loaded  # a schema-2 chart is appended to, not cut
    loaded, commands = _loaded_by("void", "P-0042", "1", "--reason", "entered twice")
    assert commands == ["void"]
    assert not loaded & {"mesolog.model.drafting", "mesolog.model.validation"}
    loaded, commands = _loaded_by("report", "P-0042")
    assert not loaded & {"mesolog.model.drafting", "mesolog.model.validation"}
    loaded, commands = _loaded_by("paths")
    assert commands == ["paths"] and "mesolog.model.records" not in loaded


def test_questions_the_cache_answers_read_no_chart(run: Run, patient: object) -> None:
    # With the summary cache up to date the clinic-wide questions answer from it: they load
    # neither the records nor the codec that reads a chart (docs/public-api.md).
    session = ["--area", "scalp", "--substance", "biotin:1ml:LOT B553", "--depth", "1.5"]
    run("add", "P-0042", *session, "--technique", "gun", "--anaesthetic", "none")
    run("due")  # brings the cache up to date
    for args in (
        ["due"],
        ["patient", "list", "--search", "Ana"],
        ["lot", "B553"],
        ["find", "--area", "scalp"],
        ["stats"],
    ):
        loaded, _ = _loaded_by(*args)
        assert not loaded & {"mesolog.model.records", "mesolog.store.codec"}, args
