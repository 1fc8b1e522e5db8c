"""The floor of commands that print a table (``report ID``): a bare two-command Typer app that
prints a small Rich table."""

import typer

app = typer.Typer()


@app.command()
def show(name: str = "P-0042") -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{name} · Ana Ruiz")
    for column in ("#", "Date", "Areas", "Substances", "Depth"):
        table.add_column(column)
    for n in range(1, 6):
        table.add_row(str(n), f"2026-11-0{n}", "scalp", "dutasteride 0.01% 1ml (D2411)", "1.5 mm")
    Console().print(table)


@app.command()
def bye() -> None:
    typer.echo("bye")


if __name__ == "__main__":
    app()
