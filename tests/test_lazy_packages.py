"""The packages ``mesolog.model`` and ``mesolog.store`` import a name's module on first use:
``--version``, ``--help`` and completion load the records behind the options, not the rest of
the model or the Clinic; every name the packages list still imports from them."""

import subprocess
import sys

import pytest

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
