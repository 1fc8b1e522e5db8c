"""A foreign file is hostile input (docs/import.md): it never starts a second chart for a
patient the clinic holds, never puts one patient's sessions in another's chart, and never drops
what it holds without a word. Each refusal leaves every file of the data folder as it was."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from conftest import snapshot

HEADER = "patient,name,birth_year,date,areas,substance,amount,unit,lot,depth_mm,technique,anaesthetic"


def csv_file(folder: Path, text: str, name: str = "visits.csv") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def chart(data_dir: Path, pid: str) -> dict:  # type: ignore[type-arg]
    return tomllib.loads((data_dir / "patients" / f"{pid}.toml").read_text())


# --- cells past the header ----------------------------------------------------------------------


def test_a_semicolon_in_an_unquoted_note_rejects_the_row(run, data_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("patient", "new", "P-1")
    path = csv_file(
        tmp_path,
        "patient;date;areas;substance;amount;unit;lot;depth_mm;technique;anaesthetic;notes\n"
        "P-1;2026-11-05;scalp;biotin;1;ml;B8;1,5;gun;none;reacted to lidocaine; avoid next time\n"
        "P-1;2026-11-19;scalp;biotin;1;ml;B8;1,5;gun;none;fine\n",
    )
    before = snapshot(data_dir)
    refused = run("import", str(path), "--apply", expect=1)
    assert "1 rejected" in refused.stdout
    said = " ".join(refused.stdout.split())
    assert "row 2: it has 12 cells but the header names 11 columns" in said
    assert "'avoid next time'" in said and "holds ';'" in said and "needs quotes" in said
    assert snapshot(data_dir) == before
    # The other row imports with --skip-rejected; the cut note is never stored.
    run("import", str(path), "--apply", "--skip-rejected")
    [session] = chart(data_dir, "P-1")["sessions"]
    assert session["notes"] == "fine"


def test_a_trailing_extra_cell_rejects_the_row_but_an_empty_one_does_not(
    run, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    run("patient", "new", "P-1")
    path = csv_file(
        tmp_path,
        f"{HEADER}\n"
        "P-1,,,2026-11-05,scalp,biotin,1,ml,B8,1.5,gun,none,call back\n"
        "P-1,,,2026-11-19,scalp,biotin,1,ml,B8,1.5,gun,none,\n",
    )
    before = snapshot(data_dir)
    refused = run("import", str(path), "--apply", expect=1)
    said = " ".join(refused.stdout.split())
    assert "row 2: it has 13 cells but the header names 12 columns" in said and "'call back'" in said
    assert "row 3" not in said
    assert snapshot(data_dir) == before
