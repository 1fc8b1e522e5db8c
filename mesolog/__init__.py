"""mesolog: a command-line logbook for mesotherapy practitioners.

The core API works without the CLI::

    from mesolog import Clinic
    clinic = Clinic(Path("~/clinic").expanduser())
    chart = clinic.load("P-0042")

Names are imported lazily so that ``mesolog --version`` stays fast.
"""

from __future__ import annotations

from typing import Any

__version__ = "1.0.0"

_LAZY = {
    "Clinic": "mesolog.store",
    "Chart": "mesolog.model",
    "Session": "mesolog.model",
    "Substance": "mesolog.model",
    "Complication": "mesolog.model",
    "Course": "mesolog.model",
    "Patient": "mesolog.model",
    "Amendment": "mesolog.model",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mesolog' has no attribute {name!r}")
