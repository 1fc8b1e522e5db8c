"""Fast unit tests of the pure model: the drafting function, the value parser, meanings."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mesolog.errors import InvalidPatientId, InvalidValue, MissingFields, UnknownCourse
from mesolog.model import Chart, Course, Patient, Session, Substance, check_patient_id, substance
from mesolog.model import vocabulary as vocab
from mesolog.model.drafting import (
    ClinicDefaults,
    Given,
    draft_amendment,
    draft_session,
    prompt_defaults,
    substance_spec,
)
from mesolog.model.questions import SessionQuery, complication_stats, session_rows
from mesolog.model.validation import amount_problem, session_problems
from mesolog.model.values import AMOUNT_RANGES, number_text

TODAY = date(2026, 11, 30)
FULL = Given(
    date="2026-11-16",
    areas=("scalp",),
    substances=("minoxidil:1ml:LOT M1",),
    depth="1.5",
    technique="gun",
    anaesthetic="none",
)


def chart(*sessions: Session, courses: tuple[Course, ...] = ()) -> Chart:
    return Chart(Patient("P-1", datetime(2026, 1, 1)), courses, sessions)


def last_session(**changes: object) -> Session:
    values: dict[str, object] = dict(
        id=1,
        date=date(2026, 11, 2),
        recorded=datetime(2026, 11, 2, 10),
        areas=("scalp",),
        technique="hand",
        depth_mm=2.0,
        anaesthetic="lidocaine cream",
        practitioner="Dr. A",
        course="hair",
        indication="alopecia",
        substances=(Substance("minoxidil 0.5%", 2.0, "ml", lot="M77", expiry=date(2027, 6, 30)),),
        measurements={"hair_density_per_cm2": 142.0},
    )
    values.update(changes)
    return Session(**values)  # type: ignore[arg-type]


HAIR = Course("hair", 6, 14, date(2026, 11, 2), "hair loss")


def test_typed_values_win_over_like_last_and_config() -> None:
    practice = ClinicDefaults(technique="gun", anaesthetic="none")
    draft = draft_session(
        Given(depth="3"), chart(last_session(), courses=(HAIR,)), practice, TODAY, like_last=True
    )
    s = draft.complete()
    assert s.depth_mm == 3.0  # typed
    assert s.technique == "hand" and s.anaesthetic == "lidocaine cream"  # --like-last beats config
    assert s.substances[0].expiry == date(2027, 6, 30)


def test_without_like_last_the_config_fills_what_was_not_typed() -> None:
    practice = ClinicDefaults(technique="gun", anaesthetic="none")
    s = draft_session(
        Given(areas=("face",), substances=("HA:1ml:LOT H",), depth="1"),
        chart(last_session()),
        practice,
        TODAY,
    ).complete()
    assert s.technique == "gun" and s.anaesthetic == "none"


def test_when_asking_the_config_fills_nothing_and_the_last_value_is_the_default() -> None:
    practice = ClinicDefaults(technique="gun", anaesthetic="none")
    draft = draft_session(Given(), chart(last_session()), practice, TODAY, asking=True)
    assert draft.missing == ("area", "substance", "depth", "technique", "anaesthetic")
    defaults = prompt_defaults(chart(last_session()), practice)
    assert defaults["anaesthetic"] == "lidocaine cream" and defaults["technique"] == "hand"
    assert defaults["substance"] == "minoxidil 0.5%:2ml:LOT M77:EXP 2027-06-30"
    assert prompt_defaults(chart(), practice)["anaesthetic"] == "none"  # no session yet: config


def test_missing_fields_are_all_named() -> None:
    with pytest.raises(MissingFields) as raised:
        draft_session(Given(areas=("scalp",)), None, ClinicDefaults(), TODAY).complete()
    assert raised.value.fields == ["substance", "depth", "technique", "anaesthetic"]


def test_course_and_indication_defaults() -> None:
    done = Course("old", 1, 14, date(2026, 1, 1), "cellulite")
    s = draft_session(FULL, chart(courses=(done, HAIR)), ClinicDefaults(), TODAY).complete()
    assert s.course == "hair" and s.indication == "hair loss"  # the open course, its indication
    s = draft_session(
        FULL, chart(last_session(course="old"), courses=(done,)), ClinicDefaults(), TODAY
    ).complete()
    assert s.course is None and s.indication == "alopecia"  # no open course: the last indication
    with pytest.raises(UnknownCourse):
        draft_session(Given(course="nope"), chart(courses=(HAIR,)), ClinicDefaults(), TODAY)


def test_areas_split_on_commas_and_keep_the_word_typed() -> None:
    s = draft_session(
        Given(**{**FULL.__dict__, "areas": ("Face, abdomen", "neck")}),
        None,
        ClinicDefaults(),
        TODAY,
    )
    assert s.complete().areas == ("Face", "abdomen", "neck")
    with pytest.raises(InvalidValue, match="every comma-separated part"):
        draft_session(
            Given(**{**FULL.__dict__, "areas": ("neck,",)}), None, ClinicDefaults(), TODAY
        )


def test_warnings_are_values_with_the_field_that_caused_them() -> None:
    given = Given(
        date="2026-11-10",
        areas=("decolete",),
        substances=("hyaluronic acid:1ml:EXP 2026-01-01",),
        depth="9",
        technique="hand",
        anaesthetic="none",
        plain={"method": "papule"},
    )
    draft = draft_session(given, chart(last_session(), courses=(HAIR,)), ClinicDefaults(), TODAY)
    fields: dict[str, str] = {}
    for remark in draft.remarks:
        fields[remark.field] = fields.get(remark.field, "") + remark.text
    assert "décolleté" in fields["area"]
    assert "outside what the sources describe for papule" in fields["depth"]
    assert "expired" in fields["substance"] and "no lot" in fields["lot"]
    assert "8 days after the previous one" in fields["date"]  # course plans every 14 days
    assert any("(1-4 mm; docs/vocabulary.md)" in w for w in draft.warnings)


def test_a_known_lot_keeps_its_expiry_and_specs_round_trip() -> None:
    s = draft_session(
        Given(**{**FULL.__dict__, "substances": ("minoxidil 0.5%:1ml:LOT m 77",)}),
        chart(last_session()),
        ClinicDefaults(),
        TODAY,
    ).complete()
    assert s.substances[0].expiry == date(2027, 6, 30)
    item = last_session().substances[0]
    assert substance(substance_spec(item))[0] == Substance(
        "minoxidil 0.5%", 2.0, "ml", "hair-loss drug", "0.5%", "M77", date(2027, 6, 30)
    )


@pytest.mark.parametrize("typed", ["M77", "m 77", " M 7 7\t", "M78", "M-77"])
def test_one_lot_rule_for_the_recall_find_and_the_patients_lots(typed: str) -> None:
    """The lot recall, a session query's lot filter, one patient's lot list, known lots and the
    expiry kept with a lot all compare lots through values.lot_key (case and spaces ignored,
    nothing else)."""
    from mesolog.model import progress
    from mesolog.model.questions import lot_patients
    from mesolog.model.values import lot_key

    same = lot_key(typed) == lot_key("M77")
    assert same == (typed.replace(" ", "").replace("\t", "").upper() == "M77")
    again = last_session(
        id=2,
        date=date(2026, 11, 16),
        substances=(Substance("Minoxidil 0.5%", 1.0, "ml", lot=typed),),
    )
    c = chart(last_session(), again)
    assert progress.lot_known(c, "minoxidil 0.5%", typed) and progress.lot_known(
        c, "minoxidil", "M77"
    )
    assert (progress.known_expiry(c, "minoxidil", typed) == date(2027, 6, 30)) == same
    assert len(progress.lots_used(c.sessions)) == (1 if same else 2)
    rows = session_rows(c)
    assert [len(p.sessions) for p in lot_patients(typed, rows, {})] == [2 if same else 1]
    assert len([r for r in rows if SessionQuery(lot=typed).matches(r)]) == (2 if same else 1)


def test_amendment_uses_the_same_parser_and_rules() -> None:
    old = last_session()
    draft = draft_amendment(
        old,
        Given(
            areas=("face, neck",),
            complications=("bruise:mild:onset=2026-11-03",),
            measures=("waist_cm=80",),
        ),
        chart(old),
        ClinicDefaults(),
        TODAY,
    )
    new = draft.complete()
    assert new.areas == ("face", "neck")
    assert new.complications[0].name == "bruise"
    assert new.measurements == {"hair_density_per_cm2": 142.0, "waist_cm": 80.0}
    with pytest.raises(InvalidValue, match="before the session date"):
        draft_amendment(
            old,
            Given(complications=("bruising:onset=2026-11-01",)),
            chart(old),
            ClinicDefaults(),
            TODAY,
        )


def test_complication_dates_follow_one_rule_on_every_path() -> None:
    """The parser reads the dates; validation.complication_problems alone says which are wrong
    (in the future, before the session, resolved before onset), for add, amend and import."""
    from mesolog.model import complication

    spec = "bruising:onset=2026-12-02"
    assert complication(spec, today=TODAY)[0].onset == date(2026, 12, 2)  # read, not judged
    assert complication("bruising:onset=-3d", today=TODAY)[0].onset == date(2026, 11, 27)
    said = "bruising onset '2026-12-02' is not allowed: it is in the future (today is 2026-11-30)."
    with pytest.raises(InvalidValue, match=re.escape(said)):
        draft_session(
            Given(**{**FULL.__dict__, "complications": (spec,)}), None, ClinicDefaults(), TODAY
        )
    with pytest.raises(InvalidValue, match=re.escape(said)):
        draft_amendment(
            last_session(),
            Given(complications=(spec,)),
            chart(last_session()),
            ClinicDefaults(),
            TODAY,
        )
    on_file = Session(
        **{**last_session().__dict__, "complications": complication(spec, today=TODAY)[:1]}
    )
    assert [p.message for p in session_problems(on_file, TODAY)] == [said]


@pytest.mark.parametrize("bad", ["P-1\n", "P-1\r", " P-1", "-P", ".P", "", "x" * 65, "P/1"])
def test_only_whole_ids_are_allowed(bad: str) -> None:
    with pytest.raises(InvalidPatientId):
        check_patient_id(bad)


@pytest.mark.parametrize(
    "spec",
    [
        "b:1ml:LOT AB:12",
        "b:1ml:LOT A:LOT B",
        "b:1ml:A:B",
        "b:1ml:EXP 2027-01-01:EXP 2027-01-02",
        "b:1ml:2027-01-01",
        "b:1e20ml",
    ],
)
def test_substance_specs_that_would_lose_a_part_are_refused(spec: str) -> None:
    with pytest.raises(InvalidValue):
        substance(spec)


@pytest.mark.parametrize("spec", ["b:0.0001ml", "b:1001ml", "b:0ml", "b:0IU", "b:0.0001U"])
def test_implausible_amounts_break_the_one_amount_rule(spec: str) -> None:
    """Parsed by the parser, refused by the rule (validation.amount_problem), in one place."""
    problem = amount_problem(substance(spec)[0])
    assert problem is not None and "positive, from 0.001 to" in problem.message
    assert amount_problem(substance("b:1000ml")[0]) is None


def test_each_unit_has_its_plausible_range() -> None:
    """One table by unit (values.AMOUNT_RANGES) covers every unit; each upper bound is
    accepted and refused just above, with the unit's own range in the sentence."""
    assert set(AMOUNT_RANGES) == set(vocab.UNITS)
    for unit, (low, high) in AMOUNT_RANGES.items():
        assert amount_problem(substance(f"b:{number_text(high)}{unit}")[0]) is None
        assert amount_problem(substance(f"b:{number_text(low)}{unit}")[0]) is None
        above = amount_problem(substance(f"b:{number_text(high * 1.001)}{unit}")[0])
        assert above is not None and f"to {number_text(high)} {unit}" in above.message
    assert amount_problem(substance("hyaluronidase:1500IU")[0]) is None  # a standard vial
    assert amount_problem(substance("b:1500ug")[0]) is None  # ug is mcg
    # Micrograms with the micro sign and with Greek mu (as a Greek keyboard types it).
    for micro in ("\u00b5", "\u03bc"):
        assert substance(f"biotin:500{micro}g")[0].unit == "mcg"
    assert AMOUNT_RANGES["ml"][1] < AMOUNT_RANGES["IU"][1] == AMOUNT_RANGES["U"][1] == 100000


def test_meanings() -> None:
    assert (
        vocab.substance_meaning("DCA")
        == vocab.substance_meaning("sodium deoxycholate 1%")
        == "deoxycholate"
    )
    assert vocab.substance_meaning("HA non-reticulated") == "hyaluronic acid"
    assert vocab.substance_meaning("My Cocktail 2%") == "my cocktail"
    assert (
        vocab.meaning("area", "Stomach") == "abdomen"
        and vocab.meaning("complication", "Haematoma") == "bruising"
    )
    assert vocab.meaning("area", "inner knees") == "inner knees"


def test_stats_ties_are_broken_by_name() -> None:
    def one(n: int, *names: str) -> Session:
        from mesolog.model import Complication

        return last_session(id=n, complications=tuple(Complication(x) for x in names))

    rows = session_rows(
        chart(
            one(1, "swelling", "itching"),
            one(2, "redness", "nausea", "haematoma"),
            one(3, "bruise"),
        )
    )
    (group,) = complication_stats(rows, "technique")
    assert group.top == (("bruising", 2), ("itching", 1), ("nausea", 1))
    assert SessionQuery(complication="bruising").matches(rows[1])


words = st.sampled_from(
    ["scalp", "Abdomen", "belly", "face", "inner knees", "DCA", "deoxycholate", "HA"]
)


@settings(max_examples=50, deadline=None)
@given(first=words, second=words)
def test_meaning_is_an_equivalence(first: str, second: str) -> None:
    for kind in ("area", "complication", "indication"):
        same = vocab.meaning(kind, first) == vocab.meaning(kind, second)
        assert same == (vocab.meaning(kind, second) == vocab.meaning(kind, first))
        assert vocab.meaning(kind, vocab.meaning(kind, first)) == vocab.meaning(kind, first)
    assert vocab.substance_meaning(vocab.substance_meaning(first)) == vocab.substance_meaning(first)


def test_the_interval_warning_only_for_a_session_too_soon() -> None:
    c = chart(last_session(), courses=(HAIR,))
    on_time = Given(
        **{**FULL.__dict__, "date": (date(2026, 11, 2) + timedelta(days=14)).isoformat()}
    )
    assert not [
        r for r in draft_session(on_time, c, ClinicDefaults(), TODAY).remarks if r.field == "date"
    ]


lots = st.from_regex(r"[A-Z0-9][A-Z0-9 -]{0,8}[A-Z0-9]", fullmatch=True).filter(
    lambda lot: not lot.startswith(("LOT ", "EXP ", "BATCH ")) and "=" not in lot
)
items = st.builds(
    Substance,
    name=st.from_regex(r"[a-z][a-z ]{0,15}[a-z]( 0\.5%)?", fullmatch=True).map(
        lambda n: " ".join(n.split())
    ),
    amount=st.floats(min_value=0.001, max_value=1000),
    unit=st.sampled_from(vocab.UNITS),
    lot=st.none() | lots,
    expiry=st.none() | st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
)


@settings(max_examples=80, deadline=None)
@given(item=items)
def test_a_substance_written_as_a_spec_reads_back_the_same(item: Substance) -> None:
    """The prompt offers last time's substances as specs: accepting one must store it as it was."""
    back = substance(substance_spec(item))[0]
    assert (back.name, back.amount, back.unit, back.lot, back.expiry) == (
        item.name,
        item.amount,
        item.unit,
        item.lot,
        item.expiry,
    )


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(["'", "=", "+", "-", "@", "\t", "\r", "a", "1", " "]), max_size=6
    )
    | st.text(max_size=20)
)
def test_a_spreadsheet_cell_gives_back_exactly_what_was_typed(typed: str) -> None:
    from mesolog.model.values import FORMULA_LEADS, spreadsheet_quoted, spreadsheet_unquoted

    cell = spreadsheet_quoted(typed)
    assert not cell.startswith(FORMULA_LEADS)  # a spreadsheet never runs it
    assert spreadsheet_unquoted(cell) == typed


def test_the_prompt_offers_every_optional_field_like_last_copies() -> None:
    """One list (drafting.PROTOCOL): each field --like-last copies and the prompt does not ask as
    required is offered with the last value, by its name in the table (Given.plain takes it)."""
    from mesolog.model.drafting import OPTIONAL_PROTOCOL, PROTOCOL, REQUIRED, protocol_defaults
    from mesolog.model.records import PLAIN

    assert len(OPTIONAL_PROTOCOL) == len(PROTOCOL) - len(REQUIRED)
    from mesolog.model import Zone

    protocol = dict(
        method="nappage",
        angle_deg=45,
        needle_gauge=30,
        needle_length_mm=4.5,
        points=40,
        duration_min=25,
        zones=(Zone("scalp", "vertex", 40, 1.5),),
    )
    last = last_session(**protocol)
    offered = protocol_defaults(chart(last))
    assert offered == {
        "method": "nappage",
        "angle_deg": "45",
        "needle_gauge": "30",
        "needle_length_mm": "4.5",
        "points": "40",
        "zones": "scalp/vertex:40:1.5",
        "duration_min": "25",
    }
    # The zones are offered too: a protocol field with a rule of its own (Given.zones takes them).
    assert set(offered) == {e.name for e in PLAIN} - {"consent"} | {"zones"} and len(
        offered
    ) == len(OPTIONAL_PROTOCOL)
    assert protocol_defaults(
        chart(last_session(**protocol | {"method": None, "points": None}))
    ).keys() == (set(offered) - {"method", "points"})
    from mesolog.cli.prompts import PROTOCOL_LABELS

    assert set(PROTOCOL_LABELS) == set(offered)
