"""Runs ``python -m MODULE ARGS`` and prints the self time of every module it imports, in
microseconds: ``python import_times.py MODULE ARGS...``, one ``name<TAB>us`` a line on stderr.

``python -X importtime`` times only the ``import`` statement: a module imported through
``importlib.import_module`` (mesolog's command modules, the names ``mesolog.model`` and
``mesolog.store`` import on first use) is left out, and its time is charged to the module that
asked for it. This wraps every module's loader instead, so each module is charged its own
time, however it was imported."""

import runpy
import sys
import time
from importlib.abc import Loader, MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType

times: dict[str, float] = {}
children: list[float] = []  # the time of the imports made by each module being executed


class Timed(Loader):
    def __init__(self, loader: Loader, name: str) -> None:
        self.loader, self.name = loader, name

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        start = time.perf_counter()
        children.append(0.0)
        try:
            self.loader.exec_module(module)
        finally:
            inner, total = children.pop(), time.perf_counter() - start
            times[self.name] = total - inner
            if children:
                children[-1] += total

    def __getattr__(self, name: str) -> object:  # get_resource_reader, is_package...
        return getattr(self.loader, name)


class Finder(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):  # type: ignore[no-untyped-def]
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = Timed(spec.loader, name)
                return spec
        return None


def report() -> None:
    for name, seconds in times.items():
        sys.stderr.write(f"{name}\t{seconds * 1e6:.0f}\n")


if __name__ == "__main__":
    import atexit

    atexit.register(report)
    sys.meta_path.insert(0, Finder())
    module, sys.argv = sys.argv[1], sys.argv[1:]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
