"""Rich's own cost of drawing a 2,000-row table of seven columns, as the overview draws it."""

import sys

from rich.console import Console
from rich.table import Table
from rich.text import Text

rows = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
table = Table(title="floor")
for name in (
    "Patient",
    "Name",
    "Indication",
    "Sessions",
    "Last session",
    "Next due",
    "Latest complications",
):
    table.add_column(name)
for n in range(rows):
    table.add_row(
        Text(f"P-{n:05d}"),
        Text(f"Patient {n}"),
        Text("hair loss"),
        "20/24",
        "2026-11-20",
        Text("2026-12-04"),
        Text("bruising"),
    )
Console(file=sys.stdout, width=100_000, soft_wrap=True).print(table)
