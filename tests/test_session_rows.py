"""The rows of one session (the confirmation after `add` and `amend`): the plain fields take
their word and their unit from the field table (docs/fields.md), not from a list of their own."""

from __future__ import annotations

from datetime import date, datetime

from mesolog.model import Session, Substance
from mesolog.model.records import PLAIN, TABLE
from mesolog.render.sessions import session_rows


def _session(**more: object) -> Session:
    return Session(  # type: ignore[arg-type]
        id=1,
        date=date(2026, 11, 2),
        recorded=datetime(2026, 11, 2, 10, 0),
        areas=("scalp",),
        technique="gun",
        depth_mm=1.5,
        anaesthetic="none",
        substances=(Substance("minoxidil 0.5%", 2.0, "ml", "other", lot="M1"),),
        **more,
    )


def test_the_plain_fields_are_shown_with_the_tables_word_and_unit() -> None:
    rows = dict(
        session_rows(
            _session(
                method="nappage",
                angle_deg=45,
                needle_gauge=30,
                needle_length_mm=4.0,
                points=40,
                consent="form 2",
                duration_min=25,
            )
        )
    )
    assert rows["Technique"] == "gun (nappage)"  # the method goes with the technique
    assert rows["Angle"] == "45°" and rows["Gauge"] == "30"
    assert rows["Needle length"] == "4 mm" and rows["Duration"] == "25 min"
    assert rows["Points"] == "40" and rows["Consent"] == "form 2"
    assert "Method" not in rows


def test_a_plain_field_not_recorded_has_no_row() -> None:
    words = [word for word, _ in session_rows(_session())]
    assert words == [
        "Date",
        "Areas",
        "Indication",
        "Substances",
        "Depth",
        "Technique",
        "Anaesthetic",
    ]
    assert not {"Angle", "Gauge", "Needle length", "Points", "Consent", "Duration"} & set(words)


def test_every_fields_word_is_its_options_and_its_unit_follows_the_value() -> None:
    by_name = {entry.name: entry for entry in TABLE}
    assert by_name["needle_length_mm"].label == "Needle length"
    assert by_name["depth_mm"].value_text(1.5) == "1.5 mm"
    assert by_name["angle_deg"].value_text(30) == "30°"
    assert by_name["depth_mm"].fhir_note(2.0) == "depth: 2 mm"  # the FHIR note says it alike
    assert all(entry.label for entry in PLAIN)
