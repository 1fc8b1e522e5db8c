"""One session: its fields as rows, and the confirmation after it is stored."""

from __future__ import annotations

import sys
from pathlib import Path

from mesolog.model import Photo, Session, Substance, complication_text
from mesolog.model.records import PLAIN
from mesolog.model.values import amount_text, number_text
from mesolog.render.console import console, shown, write

# --- one session ------------------------------------------------------------------------------


def substance_parts(item: Substance) -> tuple[str, str, str, str]:
    """A substance as screens show it, in four parts: ``minoxidil 0.5%``, ``2 ml``, ``lot M77``
    (or ``no lot``) and ``exp 2027-01-31`` (or nothing): the confirmation panel joins them, the
    report's session blocks align them (the trail keeps model.substance_text's own wording)."""
    return (
        item.name,
        amount_text(item.amount, item.unit),
        f"lot {item.lot}" if item.lot else "no lot",
        f"exp {item.expiry.isoformat()}" if item.expiry else "",
    )


def _substance_line(item: Substance) -> str:
    """``minoxidil 0.5% 2 ml lot M77 exp 2027-01-31``."""
    return " ".join(part for part in substance_parts(item) if part)


def session_rows(session: Session) -> list[tuple[str, str]]:
    rows = [
        ("Date", session.date.isoformat()),
        ("Areas", ", ".join(session.areas)),
        ("Indication", session.indication or ""),
        ("Substances", "\n".join(_substance_line(s) for s in session.substances)),
        ("Depth", f"{number_text(session.depth_mm)} mm"),
        ("Technique", session.technique + (f" ({session.method})" if session.method else "")),
        ("Anaesthetic", session.anaesthetic),
    ]
    # The plain fields (angle, gauge, needle length, points, consent, duration), as the
    # table words them; the method is shown with the technique.
    plain = [
        (e.label, e.value_text(getattr(session, e.name)))
        for e in PLAIN
        if e.name != "method" and getattr(session, e.name) not in (None, "")
    ]
    optional = [
        ("Course", session.course or ""),
        ("Practitioner", session.practitioner),
        ("Complications", "\n".join(complication_text(c) for c in session.complications)),
        (
            "Measurements",
            ", ".join(f"{k} {number_text(v)}" for k, v in session.measurements.items()),
        ),
        ("Zones", "\n".join(str(z) for z in session.zones)),
        ("Photos", "\n".join(photo_line(p) for p in session.photos)),
        ("Notes", session.notes),
    ]
    return rows + plain + [(k, v) for k, v in optional if v]


def photo_line(item: Photo) -> str:
    """A photo as the session panel lists it: its file, then what it shows."""
    shows = " ".join(w for w in (item.view, item.stage) if w)
    return f"{item.file} ({shows})" if shows else item.file


def session_stored(patient_id: str, session: Session, path: Path, verb: str = "recorded") -> None:
    """The short panel shown after ``add``/``amend``: what was stored, and where.

    Piped, it is plain ``key: value`` lines (for grep and logs; no box drawing, and Rich is
    not loaded, which keeps ``add`` in scripts within its start-up budget).
    """
    title = f"{patient_id}: session {session.id} {verb}"
    if not sys.stdout.isatty():
        lines = [title]
        for key, value in session_rows(session):
            for n, part in enumerate(value.split("\n")):
                lines.append(f"  {key + ':' if n == 0 else '':<14} {part}".rstrip())
        lines.append(f"saved to {path}")
        write("\n".join(lines))
        return
    from rich.panel import Panel
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")  # a long lot or path wraps, never "…"
    for key, value in session_rows(session):
        grid.add_row(key, shown(value))
    out = console()
    out.print(Panel(grid, title=shown(title), title_align="left", expand=False))
    out.print(shown(f"saved to {path}", style="dim"))
