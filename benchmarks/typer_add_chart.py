"""The least any ``add`` could cost: ``typer_add_floor.py`` (the same 26 parameters, parsed and
coerced by Typer) whose body does what every logbook's ``add`` must: read the patient's chart
with tomllib (to number the session), append the session as a TOML table encoded by tomli_w,
write the file back atomically (a temporary file beside it, fsync, ``os.replace``, fsync of the
folder) and print one line. No validation, no lock, no trail, no read-back: the difference
between ``mesolog add`` and this is what those cost, and mesolog's modules."""

import os
import tempfile
import tomllib
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import tomli_w
import typer

app = typer.Typer()

Text = Annotated[str | None, typer.Option()]
Texts = Annotated[list[str] | None, typer.Option()]
Whole = Annotated[int | None, typer.Option()]
Flag = Annotated[bool, typer.Option()]


@app.callback()
def main(ctx: typer.Context, data_dir: Annotated[Path, typer.Option()] = Path(".")) -> None:
    ctx.obj = data_dir


def write_atomically(path: Path, text: str) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


@app.command()
def add(
    ctx: typer.Context,
    patient_id: Annotated[str, typer.Argument()],
    date_: Annotated[str, typer.Option("--date")] = "today",
    area: Texts = None,
    indication: Text = None,
    substance: Texts = None,
    depth: Text = None,
    technique: Text = None,
    method: Text = None,
    angle: Whole = None,
    gauge: Whole = None,
    needle_length: Annotated[float | None, typer.Option()] = None,
    points: Whole = None,
    anaesthetic: Text = None,
    duration: Whole = None,
    complication: Texts = None,
    measure: Texts = None,
    note: Text = None,
    practitioner: Text = None,
    course: Text = None,
    consent: Text = None,
    photo: Texts = None,
    zone: Texts = None,
    like_last: Flag = False,
    no_input: Flag = False,
    interactive: Flag = False,
    new_patient: Flag = False,
) -> None:
    path = ctx.obj / "patients" / f"{patient_id}.toml"
    text = path.read_text(encoding="utf-8")
    chart = tomllib.loads(text)
    number = max((s["id"] for s in chart.get("sessions", [])), default=0) + 1
    given = {
        "id": number,
        "date": date.today() if date_ == "today" else date.fromisoformat(date_),
        "recorded": datetime.now().astimezone().replace(microsecond=0),
        "areas": area,
        "indication": indication,
        "technique": technique,
        "depth_mm": float(depth) if depth else None,
        "method": method,
        "angle_deg": angle,
        "needle_gauge": gauge,
        "needle_length_mm": needle_length,
        "points": points,
        "anaesthetic": anaesthetic,
        "duration_min": duration,
        "notes": note,
        "practitioner": practitioner,
        "course": course,
        "consent": consent,
        "substances": [{"spec": s} for s in substance or []],
        "complications": [{"name": c} for c in complication or []],
        "measurements": dict(m.split("=", 1) for m in measure or []),
    }
    session = {key: value for key, value in given.items() if value not in (None, [], {})}
    block = tomli_w.dumps({"sessions": [session]})
    write_atomically(path, text.rstrip("\n") + "\n\n" + block)
    typer.echo(f"{patient_id}: session {number} recorded")


@app.command()
def bye() -> None:
    typer.echo("bye")


if __name__ == "__main__":
    app()
