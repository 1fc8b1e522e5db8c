"""Property tests: whatever a session holds survives add -> file -> report JSON exactly, and
arbitrary bytes as a chart never crash the program."""

from __future__ import annotations

import json
import os
import string
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

from conftest import exported_bundle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from mesolog.cli import app
from mesolog.model import Amendment, Complication, Patient, Photo, Session, Substance, Zone, now
from mesolog.model import vocabulary as vocab
from mesolog.model.photos import STAGES, VIEWS
from mesolog.store import Clinic, encode_chart, parse_chart_text, read_chart_file

# Any unicode but surrogates (not encodable as UTF-8 by anyone); quotes, newlines, ]] and """ included.
free_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300
) | st.sampled_from(
    ['"""', "]]", "[[sessions]]\nid = 1", "'''", "\\", "a\r\nb", "[2x] bruise [/b]", "x" * 5000]
)


def _one_line(text: str) -> bool:
    """Every field of a session but its notes is one line (values.one_line refuses the rest)."""
    from mesolog.errors import InvalidValue
    from mesolog.model.values import one_line

    try:
        one_line(text, "text")
    except InvalidValue:
        return False
    return True


short = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40
).filter(_one_line)
line_text = free_text.filter(_one_line)
days = st.dates(min_value=date(2000, 1, 1), max_value=date.today())
moments = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5, minutes=-30))]
    ),
).map(lambda d: d.replace(microsecond=0))
positive = st.floats(
    min_value=0.001, max_value=1000, allow_nan=False, allow_infinity=False
)  # AMOUNT_RANGE

substances = st.builds(
    Substance,
    name=short,
    amount=positive,
    unit=st.sampled_from(vocab.UNITS),
    category=st.sampled_from([*set(vocab.SUBSTANCES.values()), vocab.UNCATALOGUED]),
    concentration=st.none() | short,
    lot=st.none() | short,
    expiry=st.none() | st.dates(),
)
complications = st.builds(
    Complication,
    name=short,
    severity=st.none() | st.sampled_from(vocab.SEVERITIES),
    onset=st.none() | days,
    resolved=st.none() | days,
    outcome=st.none() | st.sampled_from(vocab.OUTCOMES),
    reported_by=st.none() | st.sampled_from(vocab.REPORTERS),
)
amendments = st.builds(
    Amendment,
    at=moments,
    by=short,
    reason=free_text,
    changes=st.lists(free_text, max_size=3).map(tuple),
)
measure_names = st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True)

sessions = st.builds(
    Session,
    id=st.just(0),
    date=days,
    recorded=moments,
    areas=st.lists(short, min_size=1, max_size=4).map(tuple),
    technique=st.sampled_from(vocab.TECHNIQUES),
    depth_mm=st.floats(min_value=0.1, max_value=13.0),
    anaesthetic=short.filter(str.strip),
    substances=st.lists(substances, min_size=1, max_size=12).map(tuple),
    practitioner=line_text,
    course=st.none(),
    indication=st.none() | short,
    method=st.none() | st.sampled_from(vocab.METHODS),
    angle_deg=st.none() | st.integers(0, 90),
    needle_gauge=st.none() | st.integers(27, 34),
    needle_length_mm=st.none() | st.floats(min_value=0.1, max_value=50),
    points=st.none() | st.integers(1, 10000),
    consent=st.none() | line_text,
    # A photo is a path inside the data folder (values.photo refuses blank, absolute and ".." ones):
    # bare (--photo, older charts) or kept by `photo add` with what it shows (docs/photos.md).
    photos=st.one_of(
        st.lists(
            st.from_regex(r"photos/[A-Za-z0-9_-]{1,12}\.jpg", fullmatch=True).map(Photo), max_size=3
        ),
        st.lists(
            st.builds(
                Photo,
                file=st.from_regex(r"photos/P-1/[a-z0-9-]{1,20}\.jpg", fullmatch=True),
                view=st.sampled_from(VIEWS),
                stage=st.sampled_from(STAGES),
                width=st.integers(1, 9000),
                height=st.integers(1, 9000),
                taken=st.none() | days,
                sha256=st.from_regex(r"[0-9a-f]{64}", fullmatch=True),
            ),
            max_size=3,
        ),
    ).map(tuple),
    # Zones of the injection map; their area is set to one of the session's below.
    zones=st.lists(
        st.builds(
            Zone,
            area=st.just(""),
            zone=short.filter(str.strip),
            points=st.none() | st.integers(1, 10000),
            amount=st.none() | st.floats(min_value=0.01, max_value=20.0),
        ),
        max_size=3,
    ).map(tuple),
    duration_min=st.none() | st.integers(1, 600),
    notes=free_text,
    status=st.just("active"),
    complications=st.lists(complications, max_size=4).map(tuple),
    measurements=st.dictionaries(
        measure_names, st.floats(allow_nan=False, allow_infinity=False, width=64), max_size=5
    ),
    amendments=st.lists(amendments, max_size=2).map(tuple),
)


def _dates_in_order(session: Session) -> Session:
    """Complication dates as the rules allow: onset on or after the session, resolved after it."""
    from dataclasses import replace

    def fixed(c: Complication) -> Complication:
        onset = max(c.onset, session.date) if c.onset else None
        resolved = max(c.resolved, onset or session.date) if c.resolved else None
        return replace(c, onset=onset, resolved=resolved)

    zones = tuple(replace(z, area=session.areas[0]) for z in session.zones)
    return replace(
        session, complications=tuple(fixed(c) for c in session.complications), zones=zones
    )


sessions = sessions.map(_dates_in_order)


def _jsonable(value: object) -> object:
    return json.loads(json.dumps(value, default=lambda v: v.isoformat()))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(session=sessions)
def test_any_session_survives_add_file_and_report_json(tmp_path_factory, session: Session) -> None:
    folder = tmp_path_factory.mktemp("prop")
    clinic = Clinic(folder)
    clinic.new_patient(Patient(id="P-1", created=now()))
    stored, path, _ = clinic.add_session("P-1", session)
    # File -> model: exactly what was given (with its number).
    chart, _ = read_chart_file(path)
    assert chart.sessions == (stored,)
    assert stored == type(session)(
        **{
            **asdict(session),
            "id": 1,
            "substances": session.substances,
            "complications": session.complications,
            "amendments": session.amendments,
            "zones": session.zones,
            "photos": session.photos,
        }
    )
    # File -> report JSON through the real CLI: the same values.
    result = CliRunner().invoke(
        app, ["--data-dir", str(folder), "report", "P-1", "--format", "json"]
    )
    assert result.exit_code == 0, result.stderr
    reported = json.loads(result.stdout)["sessions"][0]
    reported.pop("days_since_previous")
    reported.pop("recorded_by")
    assert reported == _jsonable(asdict(stored))


@settings(max_examples=40, deadline=None)
@given(session=sessions)
def test_encoding_round_trips_exactly(session: Session) -> None:
    from mesolog.model import Chart

    chart = Chart(
        Patient(id="P-1", created=datetime(2026, 1, 1, tzinfo=UTC), name='A "quoted"\nname'),
        (),
        (session,),
    )
    assert parse_chart_text(Path("P-1.toml"), encode_chart(chart)) == chart


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    content=st.binary(max_size=2000)
    | st.text(alphabet=string.printable + "[]=\"'", max_size=500).map(str.encode)
)
def test_arbitrary_bytes_as_a_chart_never_crash(tmp_path_factory, content: bytes) -> None:
    folder = tmp_path_factory.mktemp("bytes")
    (folder / "patients").mkdir()
    (folder / "patients" / "P-2.toml").write_text(
        'schema = 1\n[patient]\nid = "P-2"\ncreated = 2026-01-01T00:00:00Z\n', encoding="utf-8"
    )
    target = folder / "patients" / "P-1.toml"
    target.write_bytes(content)
    runner = CliRunner()
    for args in (
        ["report", "P-1"],
        ["report"],
        ["check"],
        [
            "add",
            "P-1",
            "--area",
            "face",
            "-s",
            "HA:1ml",
            "--depth",
            "1",
            "--technique",
            "gun",
            "--anaesthetic",
            "none",
        ],
    ):
        result = runner.invoke(app, ["--data-dir", str(folder), *args])
        assert result.exit_code in (0, 1), (args, result.stderr, result.exception)
        assert not isinstance(result.exception, Exception) or isinstance(
            result.exception, SystemExit
        )
        assert "unexpected internal error" not in result.stderr
    assert target.read_bytes() == content or os.name != "posix"
    assert runner.invoke(app, ["--data-dir", str(folder), "report", "P-2"]).exit_code == 0


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    session=sessions, chart_notes=st.lists(amendments, max_size=2).map(tuple), key=st.none() | short
)
def test_the_json_copy_of_a_chart_reads_back_as_the_same_chart(
    tmp_path_factory, session: Session, chart_notes: tuple[Amendment, ...], key: str | None
) -> None:
    """What `export --format json` writes of a chart is what `import` restores: every field,
    the chart's own trail, the patient's key, numbers as numbers."""
    from dataclasses import replace

    from mesolog.model import Chart
    from mesolog.model.exchange import chart_record
    from mesolog.render.console import to_json_line
    from mesolog.store.importer import exported_charts

    patient = Patient(id="P-1", created=datetime(2026, 1, 1, tzinfo=UTC), name="A\nname", uid=key)
    chart = Chart(patient, (), (replace(session, id=1),), amendments=chart_notes)
    copy = tmp_path_factory.mktemp("copy") / "clinic.json"
    clinic = "6f1b7c1e-5d0a-4c39-9a52-6d3f0c1e4a77"
    head = (
        f'{{"format": "mesolog-export", "version": 2, "clinic": {{"id": "{clinic}"}}, "charts": [\n'
    )
    copy.write_text(head + to_json_line(chart_record(chart, key)) + "]}\n", encoding="utf-8")
    assert exported_charts(copy) == ([chart], clinic)


@settings(max_examples=int(os.environ.get("EXPORTS_EXAMPLES", "60")), deadline=None)
@given(
    session=sessions,
    substances_after=st.lists(substances, min_size=1, max_size=6).map(tuple),
    keep=st.lists(st.booleans(), max_size=4),
    voided=st.booleans(),
)
def test_a_receiver_applying_two_fhir_exports_holds_exactly_the_corrected_record(
    session: Session, substances_after: tuple[Substance, ...], keep: list[bool], voided: bool
) -> None:
    """Whatever a correction changes (the products, which complications stay, a void), a
    receiver that applies the export before it and the export after it holds exactly what the
    second export says: nothing corrected away lingers (the trail names it for a DELETE)."""
    from dataclasses import replace

    from mesolog.errors import AlreadyRecorded
    from mesolog.model import Chart, amended
    from mesolog.model.itemkeys import ExportKeys

    keys = ExportKeys("6f1b7c1e-5d0a-4c39-9a52-6d3f0c1e4a77", "ab" * 32)
    patient = Patient(id="P-1", created=datetime(2026, 1, 1, tzinfo=UTC))
    before = replace(session, id=1, amendments=())
    kept = tuple(c for c, k in zip(before.complications, keep + [True] * 4, strict=False) if k)
    after = replace(
        before,
        substances=substances_after,
        complications=kept,
        status="voided" if voided else "active",
    )
    if after == before:
        return
    try:
        after = amended(before, after, datetime(2026, 2, 1, tzinfo=UTC), "Dr. A", "correction")
    except AlreadyRecorded:  # only a category differs: it follows from the name, no correction
        return
    held: dict[str, object] = {}
    for version in (before, after):
        bundle = exported_bundle([Chart(patient, (), (version,))], keys)
        for entry in bundle["entry"]:
            if entry["request"]["method"] == "DELETE":
                held.pop(entry["request"]["url"], None)
        for entry in bundle["entry"]:
            if entry["request"]["method"] == "PUT":
                held[entry["request"]["url"]] = entry["resource"]
    assert held == {e["request"]["url"]: e["resource"] for e in bundle["entry"] if "resource" in e}


@settings(max_examples=40, deadline=None)
@given(
    shared=st.lists(sessions, max_size=3),
    changed=sessions,
    trail=st.lists(amendments, max_size=2),
)
def test_a_change_compares_the_documents_encode_chart_writes(
    shared: list[Session], changed: Session, trail: list[Amendment]
) -> None:
    # revise_chart reads each session the two charts share once (start-up): the documents it
    # compares are still those of the whole charts, key for key and in the same order.
    import tomllib

    from mesolog.model import Chart
    from mesolog.store.editing import documents

    patient = Patient(id="P-1", created=datetime(2026, 1, 1, tzinfo=UTC))
    before = Chart(patient, (), tuple(shared), amendments=tuple(trail))
    for after in (before, Chart(patient, (), (*shared, changed), amendments=tuple(trail[:1]))):
        found = documents(before, after)
        wanted = tuple(tomllib.loads(encode_chart(chart)) for chart in (before, after))
        assert json.dumps(found, default=str) == json.dumps(wanted, default=str)
        # Each session both charts hold was read once: one table in both documents.
        pairs = zip(found[0].get("sessions", []), found[1].get("sessions", []), strict=False)
        assert all(mine is theirs for mine, theirs in pairs)
