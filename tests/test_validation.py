"""The rules for a whole session as values: every problem, each with the field it concerns."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from mesolog.errors import InvalidValue
from mesolog.model import Complication, Session, Substance, session_problems, validate_session

TODAY = date(2026, 11, 30)


def session(**change: object) -> Session:
    fields: dict[str, object] = {
        "id": 1,
        "date": date(2026, 11, 2),
        "recorded": datetime(2026, 11, 2, 18, 0),
        "areas": ("scalp",),
        "technique": "gun",
        "depth_mm": 1.5,
        "anaesthetic": "none",
        "substances": (Substance("minoxidil", 1.0, "ml", lot="A1"),),
    }
    return Session(**{**fields, **change})  # type: ignore[arg-type]


def test_a_good_session_has_no_problem() -> None:
    assert session_problems(session(), TODAY) == []
    validate_session(session(), TODAY)


def test_every_problem_is_found_each_with_its_field() -> None:
    bad = session(
        technique="laser",
        depth_mm=20.0,
        substances=(Substance("minoxidil", 5000.0, "ml"), Substance("dca", 1.0, "litre")),
        complications=(Complication("bruising", "mild", date(2026, 11, 5), date(2026, 11, 4)),),
        measurements={"Bad": 3.0, "waist_cm": 80.0},
    )
    found = session_problems(bad, TODAY)
    assert [p.field for p in found] == [
        ("technique",),
        ("depth_mm",),
        ("substances", 0, "amount"),
        ("substances", 1, "unit"),
        ("complications", 0, "resolved"),
        ("measurements", "Bad"),
    ]
    assert found[4].message == (
        "bruising resolved '2026-11-04' is not allowed: it is before the onset 2026-11-05."
    )
    with pytest.raises(InvalidValue) as refused:
        validate_session(bad, TODAY)
    assert refused.value.message == found[0].message  # the first problem is the one said


def test_a_date_both_before_the_session_and_before_the_onset_is_said_twice() -> None:
    late = Complication("bruising", "mild", date(2026, 11, 5), date(2026, 11, 1))
    found = session_problems(session(complications=(late,)), TODAY)
    assert [p.field for p in found] == [("complications", 0, "resolved")] * 2


# --- one rule, one sentence, through the real CLI ---------------------------------------------


def test_the_depth_refusal_is_one_clear_sentence(run, patient) -> None:  # type: ignore[no-untyped-def]
    result = run(
        "add",
        "P-0042",
        "--area",
        "scalp",
        "--substance",
        "biotin:1ml",
        "--technique",
        "gun",
        "--anaesthetic",
        "none",
        "--depth",
        "0.05",
        "--no-input",
        expect=2,
    )
    assert result.stderr == (
        "mesolog: depth '0.05' is not allowed: depth in mm must be at least 0.1 and at most 13.\n"
    )


def test_the_technique_rule_is_the_same_in_the_config_file_and_in_config_set(
    run, config_file
) -> None:  # type: ignore[no-untyped-def]
    sentence = "technique 'laser' is not allowed: use 'gun' (injection gun) or 'hand'."
    assert sentence in run("config", "set", "technique", "laser", expect=2).stderr
    config_file.write_text('technique = "laser"\n')
    assert sentence in run("config", "show", expect=1).stderr
    config_file.write_text("")
    run("config", "set", "technique", "by hand")  # the model's words: stored as "hand"
    assert config_file.read_text().endswith('technique = "hand"\n')
