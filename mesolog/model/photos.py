"""Photos of a chart as data: the views and stages, the file name a picture is kept under, and
the timeline per view (pure: the files themselves are the store's, see ``store.photos``).

See docs/photos.md for what a practitioner reads about them.
"""

from __future__ import annotations

import re
from datetime import date
from typing import NamedTuple

from mesolog.errors import InvalidValue
from mesolog.model.records import Chart, Photo, Session

# The standard views of aesthetic record keeping: front, the two sides, the back, the top of
# the head (scalp), and a close-up of one spot. Obliques are taken as left/right.
VIEWS = ("front", "left", "right", "back", "top", "detail")
STAGES = ("before", "after")
PHOTOS_FOLDER = "photos"
SHA256 = re.compile(r"[0-9a-f]{64}")


def view(text: str) -> str:
    """A view as typed (any case), or one sentence naming the views."""
    return _one_of(text, "view", VIEWS)


def stage(text: str) -> str:
    return _one_of(text, "stage", STAGES)


def _one_of(text: str, name: str, allowed: tuple[str, ...]) -> str:
    word = text.strip().lower()
    if word not in allowed:
        raise InvalidValue(name, text, "use one of " + ", ".join(allowed))
    return word


def file_name(session: Session, photo_view: str, photo_stage: str, sha256: str) -> str:
    """Where a new picture is kept, relative to the patient's folder: files that sort by date
    and say what they show, ending with the start of the picture's SHA-256
    (``2026-11-02-s3-front-before-1a2b3c4d.jpg``): two laptops that add different pictures of
    one view to one session offline make different files (git merges them without a
    conflict), and the same picture makes the same file."""
    return f"{session.date.isoformat()}-s{session.id}-{photo_view}-{photo_stage}-{sha256[:8]}.jpg"


def folder(patient_id: str) -> str:
    return f"{PHOTOS_FOLDER}/{patient_id}"


def photo_problems(item: Photo) -> list[tuple[str, str]]:
    """(field, why) for each value of a recorded photo that is not one mesolog would write."""
    problems = []
    for name, allowed in (("view", VIEWS), ("stage", STAGES)):
        if getattr(item, name) not in (None, *allowed):
            problems.append((name, "use one of " + ", ".join(allowed)))
    for name in ("width", "height"):
        size = getattr(item, name)
        if size is not None and size < 1:
            problems.append((name, "a size in pixels, 1 or more"))
    if item.sha256 is not None and not SHA256.fullmatch(item.sha256):
        problems.append(("sha256", "64 hexadecimal digits (lower case)"))
    return problems


class Shot(NamedTuple):
    """One picture in the timeline: the photo and the session it belongs to."""

    photo: Photo
    session: int
    day: date  # the session's date: the timeline is in the chart's own order


def timeline(chart: Chart) -> dict[str, list[Shot]]:
    """Per view (in the order of :data:`VIEWS`, then any other), the pictures of the chart's
    active sessions, oldest first; before comes before after within a session. Bare paths
    (no view recorded) are left out: nothing says what they show."""
    shots: dict[str, list[Shot]] = {}
    for session in sorted(chart.active_sessions, key=lambda s: (s.date, s.id)):
        ordered = sorted(
            session.photos, key=lambda p: STAGES.index(p.stage) if p.stage in STAGES else 2
        )
        for item in ordered:
            if item.view:
                shots.setdefault(item.view, []).append(Shot(item, session.id, session.date))
    rank = {name: n for n, name in enumerate(VIEWS)}
    return dict(sorted(shots.items(), key=lambda pair: (rank.get(pair[0], len(rank)), pair[0])))


def first_and_latest(shots: list[Shot]) -> tuple[Shot, Shot | None]:
    """The comparison a practitioner makes: the first picture of a view and the latest (None
    when there is only one)."""
    return shots[0], (shots[-1] if len(shots) > 1 else None)
