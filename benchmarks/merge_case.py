"""The three versions of a 20-session chart that the merge benchmark merges: each machine added
a session (both numbered 21) and amended a different session since the common ancestor."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from synthetic_clinic import chart

from mesolog.model import Chart, amended
from mesolog.store import encode_chart

TZ = timezone(timedelta(hours=1))


def write(folder: Path) -> tuple[Path, Path, Path]:
    """base.toml, ours.toml, theirs.toml in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    base = chart(1, 20, random.Random(11), date(2026, 11, 1))
    at = datetime(2026, 11, 2, 10, tzinfo=TZ)

    def side(amend: int, new_note: str, minutes: int) -> Chart:
        old = base.sessions[amend - 1]
        fixed = amended(
            old, replace(old, notes=new_note), at + timedelta(minutes=minutes), "Dr. B", "follow-up"
        )
        added = replace(
            base.sessions[-1],
            id=21,
            recorded=at + timedelta(minutes=minutes + 1),
            uid=f"01M8D2{minutes:020d}",
            notes=new_note,
        )
        sessions = tuple(fixed if s.id == amend else s for s in base.sessions)
        return replace(base, sessions=(*sessions, added))

    paths = []
    for name, version in (
        ("base", base),
        ("ours", side(5, "ours", 1)),
        ("theirs", side(7, "theirs", 2)),
    ):
        path = folder / f"{name}.toml"
        path.write_text(encode_chart(version), encoding="utf-8")
        paths.append(path)
    return paths[0], paths[1], paths[2]
