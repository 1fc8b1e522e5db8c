"""Other clinics' files import with little work: headers and words in six languages, dates and
units guessed from the cells and headers, area cells split, one map for many files, a group row
above the header, date cells with a time, the practitioner from the file or the command line,
numbered ids that are not typos, and a JSON list of visits. Files written as other software
writes them (German Excel: semicolons, decimal commas, cp1252; openpyxl for XLSX)."""

from __future__ import annotations

import json
import tomllib
from datetime import datetime
from pathlib import Path

import pytest
from conftest import snapshot

GERMAN = (
    "Patientennummer;Name;Datum;Bereich;Technik;Tiefe (mm);Betäubung;Produkt;Menge (ml);Charge;Arzt\r\n"
    "P-1;Anna Müller;03.11.2025 14:30;Bauch, Flanken;Pistole;6;keine;Phosphatidylcholin;2,5;PC-11;Dr. K. Vogel\r\n"
    "P-1;Anna Müller;03.11.2025 14:30;Bauch, Flanken;Pistole;6;keine;Deoxycholat;1,5;DC-7;Dr. K. Vogel\r\n"
    "P-2;Jörg Weiß;14.11.2025;Oberschenkel;Hand;4;Creme;Koffein;2;KF-2;\r\n"
)


def chart(data_dir: Path, pid: str) -> dict:  # type: ignore[type-arg]
    return tomllib.loads((data_dir / "patients" / f"{pid}.toml").read_text())


def german(folder: Path, name: str = "oktober.csv", text: str = GERMAN) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text.encode("cp1252"))  # German Excel's "CSV (Trennzeichen-getrennt)"
    return path


def test_a_german_semicolon_csv_imports_with_the_map_it_guessed(
    run, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    path = german(tmp_path / "de")
    first = run("import", str(path), "--encoding", "cp1252", expect=1)
    assert "Columns not mapped" not in first.stdout
    guessed = tomllib.loads(path.with_name("oktober.csv.map.toml").read_text())
    assert guessed["columns"] == {
        "Patientennummer": "patient",
        "Name": "name",
        "Datum": "date",
        "Bereich": "areas",
        "Technik": "technique",
        "Tiefe (mm)": "depth_mm",
        "Betäubung": "anaesthetic",
        "Produkt": "substance",
        "Menge (ml)": "amount",
        "Charge": "lot",
        "Arzt": "practitioner",
    }
    assert guessed["date_format"] == "%d.%m.%Y" and guessed["encoding"] == "cp1252"
    assert guessed["units"] == {"amount": "ml"} and guessed["split"] == {"areas": ","}
    assert guessed["values"] == {
        "areas": {"Bauch": "abdomen", "Flanken": "flanks", "Oberschenkel": "thighs"},
        "technique": {"Hand": "hand", "Pistole": "gun"},
        "anaesthetic": {"Creme": "topical cream", "keine": "none"},
    }
    dry = run("import", str(path))  # the map remembers the encoding
    assert "3 rows read, 3 accepted, 0 rejected." in dry.stdout
    run("import", str(path), "--apply")
    anna = chart(data_dir, "P-1")
    assert anna["patient"]["name"] == "Anna Müller"
    [session] = anna["sessions"]
    assert session["date"].isoformat() == "2025-11-03" and session["areas"] == ["abdomen", "flanks"]
    assert (session["technique"], session["anaesthetic"], session["depth_mm"]) == ("gun", "none", 6)
    assert [(s["name"], s["amount"], s["unit"], s["lot"]) for s in session["substances"]] == [
        ("Phosphatidylcholin", 2.5, "ml", "PC-11"),
        ("Deoxycholat", 1.5, "ml", "DC-7"),
    ]
    assert session["practitioner"] == "Dr. K. Vogel" and session["source"] == "oktober.csv#row=2"


def test_one_map_reads_many_files(run, data_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = german(tmp_path / "de")
    run("import", str(path), "--encoding", "cp1252", expect=1)
    clinic_map = tmp_path / "praxis.map.toml"
    path.with_name("oktober.csv.map.toml").rename(clinic_map)
    november = german(tmp_path / "nov", "november.csv", GERMAN.replace(".11.2025", ".10.2025"))
    result = run("import", str(november), "--map", str(clinic_map), "--apply")
    assert "Imported 2 sessions into 2 charts" in result.stdout
    assert sorted(p.name for p in november.parent.iterdir()) == [
        "november.csv"
    ]  # no map written beside it


def test_a_unit_given_only_by_the_map(run, data_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "visits.csv"
    path.write_text(
        "Paciente;Fecha;Zona;Técnica;Profundidad;Anestesia;Producto;Dosis;Lote\n"
        "P-7;03/11/2025;cuero cabelludo;pistola;1,5;ninguna;biotina;2,5;B-1\n"
    )
    run("import", str(path), expect=1)
    map_file = path.with_name("visits.csv.map.toml")
    text = map_file.read_text()
    assert 'Dosis = "amount"' in text and '"cuero cabelludo" = "scalp"' in text
    map_file.write_text(text + '\n[units]\namount = "mg"\n')
    run("import", str(path), "--apply")
    [session] = chart(data_dir, "P-7")["sessions"]
    assert [(s["amount"], s["unit"]) for s in session["substances"]] == [(2.5, "mg")]
    assert session["date"].isoformat() == "2025-11-03" and session["areas"] == ["scalp"]


def test_dates_that_read_both_ways_are_said_and_a_telling_date_settles_it(
    run, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    rows = "Patient;Date;Zone;Technique;Profondeur;Anesthésie;Produit;Quantité (ml);Lot\n"
    path = tmp_path / "a" / "visites.csv"
    path.parent.mkdir()
    path.write_text(
        rows + "P-8;03/11/2025;visage;main;1;aucune;acide hyaluronique;1;H-1\n"
        "P-8;04/10/2025;visage;main;1;aucune;acide hyaluronique;1;H-1\n"
    )
    first = run("import", str(path), expect=1).stdout
    said = (
        "Dates: every date reads both day first and month first (e.g. 03/11/2025); read as "
        "'%d/%m/%Y': if the file writes the month first, set date_format = '%m/%d/%Y' in the map."
    )
    assert said in first
    assert said in run("import", str(path)).stdout
    settled = tmp_path / "b" / "visites.csv"
    settled.parent.mkdir()
    settled.write_text(
        rows + "P-8;03/11/2025;visage;main;1;aucune;acide hyaluronique;1;H-1\n"
        "P-8;25/10/2025;visage;main;1;aucune;acide hyaluronique;1;H-1\n"
    )
    run("import", str(settled), expect=1)
    assert "Dates:" not in run("import", str(settled)).stdout
    assert 'date_format = "%d/%m/%Y"' in settled.with_name("visites.csv.map.toml").read_text()


def test_a_date_alike_both_ways_does_not_settle_the_order_for_the_rows_after_it(
    run, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    # 03/03 is 3 March read either way: it says nothing about 04/10 (4 October or 10 April).
    rows = "Patient;Date;Zone;Technique;Profondeur;Anesthésie;Produit;Quantité (ml);Lot\n"
    path = tmp_path / "visites.csv"
    path.write_text(
        rows + "P-8;03/03/2025;visage;main;1;aucune;acide hyaluronique;1;H-1\n"
        "P-8;04/10/2025;visage;main;1;aucune;acide hyaluronique;1;H-1\n"
    )
    said = "every date reads both day first and month first (e.g. 04/10/2025)"
    assert said in run("import", str(path), expect=1).stdout  # the map is drafted
    assert said in path.with_name("visites.csv.map.toml").read_text()
    assert said in run("import", str(path)).stdout  # read with the map
    # Dates that are each the same day both ways leave nothing to settle: nothing is said.
    alike = tmp_path / "b" / "visites.csv"
    alike.parent.mkdir()
    alike.write_text(
        rows + "P-9;03/03/2025;visage;main;1;aucune;acide hyaluronique;1;H-1\n"
        "P-9;05/05/2025;visage;main;1;aucune;acide hyaluronique;1;H-1\n"
    )
    run("import", str(alike), expect=1)
    assert "Dates:" not in run("import", str(alike)).stdout


def test_a_workbook_with_a_group_row_above_the_header_and_dates_with_times(
    run, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Paziente", None, "Trattamento", None, None, None, None, None, None])
    sheet.merge_cells("A1:B1")
    sheet.merge_cells("C1:I1")
    sheet.append(
        [
            "ID paziente",
            "Nome",
            "Data",
            "Zona",
            "Tecnica",
            "Profondità",
            "Anestesia",
            "Prodotto",
            "Quantità (ml)",
        ]
    )
    sheet.append(
        [
            "P-9",
            "Giulia Bruni",
            datetime(2025, 10, 6, 9, 30),
            "cosce",
            "pistola",
            6,
            "nessuna",
            "caffeina",
            2.5,
        ]
    )
    sheet.append(
        [
            "P-9",
            "Giulia Bruni",
            datetime(2025, 10, 20, 16, 0),
            "cosce",
            "pistola",
            6,
            "nessuna",
            "caffeina",
            2,
        ]
    )
    path = tmp_path / "visite.xlsx"
    book.save(path)
    guessed_from_the_group_row = run("import", str(path), expect=1).stdout
    assert (
        "Row 1 does not look like the row that names the columns: if they are on a later row, "
        "run again with --header-row N."
    ) in guessed_from_the_group_row
    path.with_name("visite.xlsx.map.toml").unlink()
    first = run("import", str(path), "--header-row", "2", expect=1)
    assert "Columns not mapped" not in first.stdout
    written = tomllib.loads(path.with_name("visite.xlsx.map.toml").read_text())
    assert written["header_row"] == 2 and written["columns"]["Data"] == "date"
    result = run("import", str(path), "--apply")  # the map remembers the header row
    assert "2 rows read, 2 accepted, 0 rejected." in result.stdout
    sessions = chart(data_dir, "P-9")["sessions"]
    assert [s["date"].isoformat() for s in sessions] == ["2025-10-06", "2025-10-20"]
    assert [s["areas"] for s in sessions] == [["thighs"], ["thighs"]]


def test_the_practitioner_comes_from_the_file_else_the_command_line(
    run, data_dir: Path, tmp_path: Path, config_file: Path
) -> None:  # type: ignore[no-untyped-def]
    config_file.write_text('practitioner = "Dr. This Laptop"\n')
    path = tmp_path / "visits.csv"
    path.write_text(
        "patient,date,areas,technique,depth_mm,anaesthetic,substance,amount,unit,practitioner\n"
        "P-1,2025-10-06,scalp,gun,1.5,none,biotin,1,ml,Dr. A. Keller\n"
        "P-1,2025-10-20,scalp,gun,1.5,none,biotin,1,ml,\n"
    )
    run("import", str(path), "--practitioner", "Dr. S. Okafor", "--apply")
    signed = [s["practitioner"] for s in chart(data_dir, "P-1")["sessions"]]
    assert signed == ["Dr. A. Keller", "Dr. S. Okafor"]


def test_ids_that_only_share_a_numbering_pattern_are_not_close(
    run, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    run("patient", "new", "P-0010")
    path = tmp_path / "visits.csv"
    path.write_text(
        "patient,date,areas,technique,depth_mm,anaesthetic,substance,amount,unit\n"
        "K-2001,2025-10-06,scalp,gun,1.5,none,biotin,1,ml\n"
        "P-0O10,2025-10-06,scalp,gun,1.5,none,biotin,1,ml\n"
    )
    dry = run("import", str(path), expect=1).stdout
    assert "K-2001" not in dry.split("Rejected rows:")[1]
    assert "row 3, patient: no patient 'P-0O10' in the clinic; did you mean P-0010?" in dry
    assert "New patients with close ids" not in dry


def test_a_json_list_of_visits_with_nested_products_imports(
    run, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    visits = [
        {
            "patient": "P-3",
            "name": "Zoë Ndiaye",
            "date": "2025-10-06",
            "areas": ["abdomen", "flanks"],
            "technique": "gun",
            "depth_mm": 6,
            "anaesthetic": "none",
            "practitioner": "Dr. A. Keller",
            "products": [
                {"substance": "phosphatidylcholine", "amount": 2.5, "unit": "ml", "lot": "PC-1"},
                {"substance": "deoxycholate", "amount": 1, "unit": "ml", "lot": "DC-1"},
            ],
        },
        {
            "patient": "P-3",
            "date": "2025-10-20",
            "areas": "abdomen",
            "technique": "gun",
            "depth_mm": 6,
            "anaesthetic": "none",
            "products": [{"substance": "deoxycholate", "amount": 1, "unit": "ml"}],
        },
    ]
    path = tmp_path / "visits.json"
    path.write_text(json.dumps(visits))
    result = run("import", str(path), "--apply")
    assert "visits.json: 2 visits read, 2 accepted, 0 rejected." in result.stdout
    sessions = chart(data_dir, "P-3")["sessions"]
    assert [s["areas"] for s in sessions] == [["abdomen", "flanks"], ["abdomen"]]
    assert [[x["name"] for x in s["substances"]] for s in sessions] == [
        ["phosphatidylcholine", "deoxycholate"],
        ["deoxycholate"],
    ]
    assert (
        run("import", str(path), "--apply").stdout.count(
            "Already in the charts (left out): 2 sessions."
        )
        == 1
    )


def test_a_json_list_of_another_shape_is_refused_showing_the_shape(
    run, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "in" / "visits.json"
    path.parent.mkdir()
    path.write_text(
        json.dumps([{"patient": "P-3", "date": "2025-10-06", "items": [{"name": "biotin"}]}])
    )
    before = snapshot(data_dir), snapshot(path.parent)
    result = run("import", str(path), expect=1)
    said = result.stderr.strip()
    assert said.count("\n") == 0 and "visit 1 key 'items' is no field" in said
    assert '"products": [{"substance": "biotin", "amount": 1, "unit": "ml", "lot": "B1"}]' in said
    assert (snapshot(data_dir), snapshot(path.parent)) == before


def test_every_guessed_header_and_word_names_a_field_of_the_table() -> None:
    """The six languages' words stay apart from the field table, but may only name its fields."""
    from mesolog.model import import_map

    assert [f for f in import_map.HEADER_WORDS if not import_map.known_field(f)] == []
    assert [f for f in import_map.VALUE_WORDS if not import_map.known_field(f)] == []
    assert import_map.guess_field("needle_length_mm") == "needle_length_mm"  # the table's own names


@pytest.mark.parametrize("micro", ["\u00b5", "\u03bc"])  # the micro sign, and Greek mu
def test_a_header_in_micrograms_gives_the_unit_whichever_mu_was_typed(
    run, data_dir: Path, tmp_path: Path, micro: str
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "visits.csv"
    path.write_text(
        f"Patient;Datum;Bereich;Technik;Tiefe (mm);Betäubung;Produkt;Dosis ({micro}g);Charge\n"
        "P-7;03.11.2025;Kopfhaut;Pistole;1,5;keine;Biotin;500;B-1\n"
    )
    run("import", str(path), expect=1)
    assert f'"Dosis ({micro}g)" = "amount"' in path.with_name("visits.csv.map.toml").read_text()
    run("import", str(path), "--apply")
    [session] = chart(data_dir, "P-7")["sessions"]
    assert [(s["amount"], s["unit"]) for s in session["substances"]] == [(500, "mcg")]
