"""Progress maths on charts built in memory (no files, no CLI): the hair-loss evidence fact and
what a chart remembers of a product's lots."""

from __future__ import annotations

from datetime import date, datetime

from mesolog.model import Chart, Course, Patient, Session, Substance, progress


def _session(number: int, day: date, *given: Substance, **more: object) -> Session:
    return Session(  # type: ignore[arg-type]
        id=number,
        date=day,
        recorded=datetime(2026, 1, 1),
        areas=("scalp",),
        technique="gun",
        depth_mm=1.5,
        anaesthetic="none",
        substances=given,
        **more,
    )


def _chart(*sessions: Session, courses: tuple[Course, ...] = ()) -> Chart:
    return Chart(Patient("P-1", datetime(2026, 1, 1)), courses=courses, sessions=sessions)


DUTA = Substance("dutasteride 0.01%", 1.0, "ml", "other", lot="D 24", expiry=date(2027, 3, 31))
MINOX = Substance("minoxidil 0.5%", 2.0, "ml", "other", lot="M1")
HAIR = Course("hair", 6, 14, date(2026, 1, 5), indication="hair loss")


def test_limited_evidence_by_the_sessions_or_the_courses_indication() -> None:
    by_session = _session(1, date(2026, 1, 5), DUTA, indication="alopecia")
    by_course = _session(1, date(2026, 1, 5), DUTA, course="HAIR")  # course names ignore case
    assert progress.limited_evidence(_chart(by_session))
    assert progress.limited_evidence(_chart(by_course, courses=(HAIR,)))
    assert not progress.limited_evidence(_chart(by_course))  # no such course: not hair loss
    with_minoxidil = _session(2, date(2026, 1, 19), MINOX, course="hair")
    assert not progress.limited_evidence(_chart(by_course, with_minoxidil, courses=(HAIR,)))
    voided = _session(2, date(2026, 1, 19), MINOX, course="hair", status="voided")
    assert progress.limited_evidence(_chart(by_course, voided, courses=(HAIR,)))


def test_a_products_last_lot_its_lots_and_their_expiry() -> None:
    old = _session(1, date(2026, 1, 5), DUTA)
    newer = _session(
        2, date(2026, 2, 5), Substance("DUTASTERIDE 0.01%", 1.0, "ml", "other", lot="D30")
    )
    chart = _chart(newer, old)
    assert progress.last_lot(chart, "dutasteride") == "D30"
    assert progress.lot_known(chart, "dutasteride", "d24") and not progress.lot_known(
        chart, "dutasteride", ""
    )
    assert progress.known_expiry(chart, "dutasteride", "D24") == date(2027, 3, 31)
    assert progress.known_expiry(chart, "dutasteride", "D30") is None
    assert progress.last_lot(chart, "minoxidil") is None


def test_the_complication_tally_counts_sessions_by_meaning() -> None:
    from mesolog.model import Complication

    two_bruises = (Complication("bruising"), Complication("haematoma"), Complication("erythema"))
    sessions = (
        _session(1, date(2026, 1, 5), MINOX, complications=two_bruises),
        _session(2, date(2026, 1, 19), MINOX, complications=(Complication("bruising"),)),
        _session(
            3, date(2026, 2, 2), MINOX, complications=(Complication("bruising"),), status="voided"
        ),
    )
    tally = progress.complication_tally(sessions)
    # "haematoma" is bruising by meaning; session 1 counts once; the voided session not at all
    assert tally.most_common() == [("bruising", 2), ("redness", 1)]  # erythema: redness
