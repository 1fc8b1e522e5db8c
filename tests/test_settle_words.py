"""How a conflict a merge left in the chart's own details is settled: the command that sets the
field, worded once (model.details), as `check` advises it."""

from mesolog.model.details import settle_command
from mesolog.store.settling import settle_advice


def test_the_command_that_settles_a_patient_or_course_field() -> None:
    assert (
        settle_command("P-1", "patient.birth_year") == "mesolog patient edit P-1 --birth-year VALUE"
    )
    assert settle_command("P-1", "courses.hair-2026.interval_days") == (
        "mesolog course edit P-1 hair-2026 --interval VALUE"
    )


def test_a_field_no_command_sets_is_settled_by_hand() -> None:
    for field in ("courses.hair.name", "patient.created", "schema", "sessions.1.depth_mm"):
        assert settle_command("P-1", field) is None
        assert settle_advice("P-1", field).startswith("correct the value in the file")
    assert settle_advice("P-1", "patient.name") == (
        "settle it with `mesolog patient edit P-1 --name VALUE` giving the right value"
    )
