"""The render layer: the only code that knows Rich. Takes model objects, prints or returns output;
never reads data files.

``console`` the plumbing (console, JSON/CSV/Markdown, warnings); ``sessions`` one session;
``report`` one patient; ``clinic`` the overview and the questions across patients;
``exchange`` and ``fhir`` records for other programs.
"""

from mesolog.render.clinic import due, found, lot_uses, overview, paths, stats
from mesolog.render.console import FORMATS, console, warnings, write
from mesolog.render.exchange import export, import_report, map_written
from mesolog.render.output import FILE_FORMATS, captured, file_format
from mesolog.render.report import patient_card, report, report_data
from mesolog.render.sessions import session_rows, session_stored

__all__ = [
    "FILE_FORMATS",
    "FORMATS",
    "captured",
    "console",
    "due",
    "export",
    "file_format",
    "found",
    "import_report",
    "lot_uses",
    "map_written",
    "overview",
    "paths",
    "patient_card",
    "report",
    "report_data",
    "session_rows",
    "session_stored",
    "stats",
    "warnings",
    "write",
]
