"""A fresh user's last findings: a second lot typed with a space instead of ':' never hides in
the first, and the printable page carries no escape sequence from a chart."""

from __future__ import annotations

from pathlib import Path

from conftest import snapshot

SESSION = ["--area", "scalp", "--depth", "1.5", "--technique", "gun", "--anaesthetic", "none"]


def test_a_second_lot_after_a_space_is_refused_not_stored_as_one_lot(
    run, patient: Path, data_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    before = snapshot(data_dir)
    result = run("add", "P-0042", "-s", "biotin:1ml:LOT B553 LOT B554", *SESSION, expect=2)
    assert "names a second lot" in result.stderr and "Traceback" not in result.stderr
    assert snapshot(data_dir) == before
    run("add", "P-0042", "-s", "biotin:1ml:LOT B553", "-s", "biotin:1ml:LOT B554", *SESSION)
    assert "P-0042" in run("lot", "B554").stdout


def test_the_summary_page_shows_an_escape_sequence_visibly(
    run, patient: Path, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    chart = data_dir / "patients" / "P-0042.toml"
    chart.write_text(chart.read_text().replace('name = "Ana Ruiz"', 'name = "Ana \\u001b[31mRuiz"'))
    run("add", "P-0042", "-s", "biotin:1ml:LOT B553", "--note", "fine", *SESSION)
    page = tmp_path / "summary.html"
    run("summary", "P-0042", "--output", str(page))
    html = page.read_text()
    assert "\x1b" not in html and "\\x1b[31m" in html


def test_an_import_row_missing_a_field_says_what_a_file_can_do_about_it(
    run, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    run("init")
    visits = tmp_path / "visits.csv"
    visits.write_text(
        "patient,date,areas,technique,depth_mm,substance,amount,lot\n"
        "P-0001,2026-11-02,scalp,gun,1.5,biotin,1ml,B553\n"
    )
    run("import", str(visits), expect=None)  # the first run writes the map
    before = snapshot(data_dir)
    result = run("import", str(visits), "--apply", expect=None)
    said = result.stdout + result.stderr
    assert "anaesthetic" in said and "map a column" in said
    assert "config set anaesthetic" in said and "give them as options" not in said
    assert snapshot(data_dir) == before


def test_export_says_which_formats_write_a_folder(
    run, patient: Path, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    before = snapshot(data_dir)
    bare = run("export", "--format", "fhir-ndjson", expect=2)
    assert "--output DIR" in bare.stderr and "''" not in bare.stderr
    wrong = run("export", "--format", "csv", "--output", str(tmp_path / "new.csv"), expect=2)
    assert "redirect it" in wrong.stderr and "fhir-ndjson only" in wrong.stderr
    existing = tmp_path / "x.html"
    existing.write_text("kept")
    named = run("export", "--format", "csv", "--output", str(existing), expect=2)
    assert "it is a file" in named.stderr and existing.read_text() == "kept"
    assert snapshot(data_dir) == before
