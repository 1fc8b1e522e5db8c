"""Reports written to a file (``--output FILE``): the extension names the form.

Every view prints through :func:`console.console` and :func:`console.write`; :func:`captured`
points both at a page (:class:`FilePage`, as ``console.current_page``) for the time the view
runs and returns the page as text, so every report form (one patient, overview, due, lot,
find, stats) gets ``--output`` from one place.
Writing the text to disk is the store's job.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from mesolog.errors import InvalidValue
from mesolog.render.console import piped_width, trimmed

if TYPE_CHECKING:
    from rich.console import Console

# Extension -> the --format it is written in. .html, .svg and .txt hold the table form.
FILE_FORMATS = {
    ".html": "table",
    ".svg": "table",
    ".txt": "table",
    ".md": "markdown",
    ".csv": "csv",
    ".json": "json",
}
# The width of a table drawn into an HTML or SVG page (a wide terminal; nothing is cut).
PAGE_WIDTH = 120


def file_format(path: Path, given: str | None) -> str:
    """The --format a file named ``path`` is written in; ``given`` is --format when it was
    typed. Refused when the extension names no form, or another form than --format."""
    wanted = FILE_FORMATS.get(path.suffix.lower())
    if wanted is not None and given in (None, wanted):
        return wanted
    why = (
        "the file name must end in " + ", ".join(FILE_FORMATS)
        if wanted is None
        else f"{path.suffix} holds the {wanted} form but --format is {given}; "
        "leave out --format or name the file for it"
    )
    raise InvalidValue("--output", str(path), why)


class FilePage:
    def __init__(self, suffix: str) -> None:
        self.suffix = suffix
        self.drawn = suffix in (".html", ".svg")  # a picture of the table; else its text
        self.text = io.StringIO()
        self._console: Console | None = None

    def console(self) -> Console:
        from rich.console import Console

        if self._console is None:
            drawn = self.drawn
            self._console = Console(
                file=io.StringIO() if drawn else trimmed(self.text),
                record=drawn,
                # .txt holds what the terminal shows, piped (the same width rule).
                width=PAGE_WIDTH if drawn else piped_width(),
                color_system="truecolor" if drawn else None,
                highlight=False,
                force_terminal=drawn,
            )
        return self._console

    def write(self, text: str) -> None:
        self.text.write(text)

    def finished(self, title: str) -> str:
        if self._console is None or not self.drawn:
            return self.text.getvalue()
        if self.suffix == ".svg":
            return self._console.export_svg(title=title)
        import html

        # The title escaped for HTML, then for the template (Rich fills it with str.format).
        escaped = html.escape(title).replace("{", "{{").replace("}", "}}")
        return self._console.export_html(code_format=_HTML.replace("{title}", escaped))


# Rich's page, with a title and a <pre> that wraps rather than running off a printed page.
_HTML = """<!DOCTYPE html>
<html>
<head>
<meta charset="UTF-8">
<title>{title}</title>
<style>
{stylesheet}
body {{
    color: {foreground};
    background-color: {background};
}}
pre {{ white-space: pre-wrap; }}
</style>
</head>
<body>
    <pre style="font-family:Menlo,'DejaVu Sans Mono',consolas,'Courier New',monospace"><code style="font-family:inherit">{code}</code></pre>
</body>
</html>
"""


def captured(path: Path, draw: Callable[[], None], title: str) -> str:
    """What ``draw`` prints, as the text of a file named ``path`` (its extension says how)."""
    from mesolog.render import console

    page = FilePage(path.suffix.lower())
    before, console.current_page = console.current_page, page
    try:
        draw()
    finally:
        console.current_page = before
    return page.finished(title)
