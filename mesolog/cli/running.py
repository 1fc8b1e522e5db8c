"""Which command this run registers: set by ``main`` before it imports the command's module.

Typer builds a parser for every command registered (``add`` would build ``amend``'s forty
options too), so when ``main`` knows the command word of this run before importing the
command's module, the module registers only that command on the application. None (tests,
``--help``, completion, an unknown word): every command is registered.
"""

word: str | None = None


def registers(command: str) -> bool:
    """Whether the command named ``command`` is registered on the application in this run."""
    return word is None or command == word
