"""Which command this run registers: set by ``main`` before it imports the command's module."""


class _Running:
    """The command word of this run, when ``main`` knows it before importing the command's
    module: the module then registers only that command on the application, since Typer builds
    a parser for every command registered (``add`` would build ``amend``'s forty options too).
    None (tests, ``--help``, completion, an unknown word): every command is registered."""

    word: str | None = None

    def registers(self, word: str) -> bool:
        """Whether the command named ``word`` is registered on the application in this run."""
        return self.word is None or word == self.word


RUNNING = _Running()
