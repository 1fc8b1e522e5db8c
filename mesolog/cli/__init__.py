"""The cli layer: the only code that knows Typer. One module per command group; ``application`` holds
the Typer application and the error mapping, ``main`` the entry point.

``from mesolog.cli import app`` gives the application with every command registered (tests and
documentation use it); the ``mesolog`` script imports only the module of the command it runs.
"""

from typing import Any

from mesolog.cli.main import main

__all__ = ["app", "main"]


def __getattr__(name: str) -> Any:
    if name == "app":
        from mesolog.cli.main import every_command

        return every_command()
    raise AttributeError(f"module 'mesolog.cli' has no attribute {name!r}")
