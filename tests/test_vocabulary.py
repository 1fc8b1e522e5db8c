"""The vocabulary a clinician can audit: every alias and depth range has a cited source in
docs/vocabulary.md; distinct entities stay apart; products in their catalogue spelling; the
clinic's own areas and products are known words; an unknown product is said once."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import snapshot

from mesolog.model import vocabulary as vocab
from mesolog.model.values import DERMAL_DEPTH_MM

DOC = Path(__file__).resolve().parent.parent / "docs" / "vocabulary.md"


def _section(title: str) -> list[list[str]]:
    """The rows (cells) of the table under the heading ``title`` in docs/vocabulary.md."""
    text = DOC.read_text(encoding="utf-8")
    body = text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in body.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[1:]]


def _source_keys() -> set[str]:
    return {row[0] for row in _section("Sources")}


def _aliases_in_code() -> set[tuple[str, str, str]]:
    found = set()
    for kind, table in (
        ("area", vocab.AREAS),
        ("indication", vocab.INDICATIONS),
        ("complication", vocab.COMPLICATIONS),
    ):
        found |= {(kind, alias, name) for name, aliases in table.items() for alias in aliases}
    for kind, pairs in (
        ("substance", vocab.SUBSTANCE_ALIASES),
        ("anaesthetic", vocab.ANAESTHETIC_ALIASES),
        ("unit", vocab.UNIT_ALIASES),
        ("technique", vocab.TECHNIQUE_ALIASES),
    ):
        found |= {(kind, alias, name) for alias, name in pairs.items()}
    return found


def test_every_alias_in_the_code_has_a_row_with_a_source() -> None:
    keys = _source_keys()
    rows = {(r[0], r[1], r[2]): r[3] for r in _section("Aliases")}
    missing = _aliases_in_code() - set(rows)
    assert not missing, f"aliases without a row in docs/vocabulary.md: {sorted(missing)}"
    stale = set(rows) - _aliases_in_code()
    assert not stale, f"rows for aliases the code no longer has: {sorted(stale)}"
    for alias, source in rows.items():
        cited = {key.strip() for key in source.split(",")}
        assert cited and cited <= keys, f"{alias}: source {source!r} is not in the Sources table"


def test_every_depth_range_in_the_code_has_a_row_with_its_source() -> None:
    keys = _source_keys()
    rows = _section("Needle depth by method and indication")
    documented = set()
    for method, indication, depth, source, _ in rows:
        low, high = (float(x) for x in depth.split("-"))
        methods = (
            None
            if method == "any"
            else tuple("" if m.strip() == "(none named)" else m.strip() for m in method.split(","))
        )
        indications = (
            None if indication == "any" else tuple(i.strip() for i in indication.split(","))
        )
        assert source in keys, f"depth row {method}/{indication}: source {source!r} unknown"
        documented.add((low, high, source, methods, indications))
    for r in vocab.DEPTH_RANGES:
        assert (r.low, r.high, r.source, r.methods, r.indications) in documented, r
    assert any(
        row[0].startswith("dermis") and row[2] == "{:g}-{:g}".format(*DERMAL_DEPTH_MM)
        for row in rows
    )
    assert len(documented) == len(vocab.DEPTH_RANGES) + 1  # no row for a range the code lacks


def test_distinct_clinical_entities_are_never_aliases_of_each_other() -> None:
    entities = ["nodule", "papule", "granuloma", "abscess", "necrosis", "wound"]
    meanings = {vocab.meaning("complication", word) for word in entities}
    assert len(meanings) == len(entities)


ADD = [
    "--area",
    "abdomen",
    "--depth",
    "8",
    "--technique",
    "hand",
    "--anaesthetic",
    "none",
    "--indication",
    "localized fat",
    "--method",
    "point-by-point",
    "--no-input",
]


def test_a_nodule_is_counted_as_a_nodule_and_products_read_in_catalogue_spelling(
    run, data_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    run("patient", "new", "P-7")
    run(
        "add",
        "P-7",
        "--date",
        "2026-11-01",
        "-s",
        "l-carnitine:2ml:LOT LC1",
        "-s",
        "vitamin c:1ml:LOT V1",
        "--complication",
        "nodule:moderate",
        *ADD,
    )
    run(
        "add",
        "P-7",
        "--date",
        "2026-11-20",
        "-s",
        "L-CARNITINE:2ml:LOT LC1",
        "--complication",
        "papule:mild",
        *ADD,
    )
    stats = run("stats", "--by", "substance").stdout
    assert "L-carnitine" in stats and "vitamin C" in stats
    assert "l-carnitine" not in stats and "vitamin c " not in stats
    technique = run("stats", "--by", "technique", "--format", "json").stdout
    assert '"most_frequent": "nodules 1; papules 1"' in technique


def test_the_clinics_own_area_is_a_known_word_once_set(
    run, data_dir: Path, config_file: Path
) -> None:  # type: ignore[no-untyped-def]
    run("patient", "new", "P-8")
    added = run(
        "add",
        "P-8",
        "--area",
        "crown",
        "-s",
        "biotin:1ml:LOT B1",
        "--depth",
        "1.5",
        "--technique",
        "gun",
        "--anaesthetic",
        "none",
        "--indication",
        "hair loss",
        "--no-input",
    )
    assert "area 'crown' is not in the list" in added.stderr
    assert "area 'crown' is not in the list" in run("check").stdout
    said = run("config", "set", "areas", "crown").stdout
    assert "crown" in said and "known word" in said
    assert "crown" in config_file.read_text()
    assert "not in the list" not in run("check").stdout
    again = run(
        "add",
        "P-8",
        "--area",
        "crown",
        "-s",
        "biotin:1ml:LOT B1",
        "--depth",
        "1.5",
        "--technique",
        "gun",
        "--anaesthetic",
        "none",
        "--indication",
        "hair loss",
        "--no-input",
    )
    assert "not in the list" not in again.stderr
    assert "nothing changed" in run("config", "set", "areas", "Crown").stdout  # never twice
    before = snapshot(config_file.parent)
    run("config", "set", "areas", "crown\u2028x", expect=2)
    assert snapshot(config_file.parent) == before


def test_an_unknown_product_is_said_once_with_how_to_add_it(
    run, data_dir: Path, config_file: Path
) -> None:  # type: ignore[no-untyped-def]
    run("patient", "new", "P-9")
    first = run(
        "add", "P-9", "--date", "2026-11-01", "-s", "NCTF 135HA:2ml:LOT N1", *ADD[:-1], "--no-input"
    )
    assert "product 'NCTF 135HA' is not in the catalogue" in first.stderr
    assert "mesolog config set products 'NCTF 135HA'" in first.stderr
    second = run("add", "P-9", "--date", "2026-11-20", "-s", "NCTF 135HA:2ml:LOT N1", *ADD)
    assert "not in the catalogue" not in second.stderr  # once
    run("config", "set", "products", "CytoCare 532")
    run("config", "set", "products.cytocare 532", "hyaluronic acid")
    assert '"CytoCare 532" = "hyaluronic acid"' in config_file.read_text()
    third = run("add", "P-9", "--date", "2026-11-21", "-s", "CytoCare 532:2ml:LOT C1", *ADD)
    assert "not in the catalogue" not in third.stderr
    assert (
        "hyaluronic acid"
        in Path(data_dir / "patients" / "P-9.toml").read_text().split("CytoCare 532")[1]
    )
    assert re.search(r"CytoCare 532 \(hyaluronic acid\)", run("config", "show").stdout)
