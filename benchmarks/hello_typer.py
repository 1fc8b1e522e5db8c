"""The floor of every start-up budget: a bare hello-world Typer app with two commands."""

import typer

app = typer.Typer()


@app.command()
def hello(name: str = "world") -> None:
    typer.echo(f"hello {name}")


@app.command()
def bye() -> None:
    typer.echo("bye")


if __name__ == "__main__":
    app()
