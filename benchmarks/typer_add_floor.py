"""Typer's own cost for a command shaped like ``mesolog add``: the same 26 parameters with the
same types, parsed and coerced, and a body that does nothing. The difference between this and
the two-command hello app is what Typer charges per option; the difference between
``mesolog add`` and this is ours."""

from typing import Annotated

import typer

app = typer.Typer()

Text = Annotated[str | None, typer.Option()]
Texts = Annotated[list[str] | None, typer.Option()]
Whole = Annotated[int | None, typer.Option()]
Flag = Annotated[bool, typer.Option()]


@app.command()
def add(
    ctx: typer.Context,
    patient_id: Annotated[str, typer.Argument()],
    date: Annotated[str, typer.Option()] = "today",
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
    pass


@app.command()
def bye() -> None:
    typer.echo("bye")


if __name__ == "__main__":
    app()
