"""The summary cache is derived data that is never stale: edits by hand are seen at once,
deleting or corrupting it changes no answer, and concurrent refreshes both succeed."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FULL_ADD


@pytest.fixture
def three(run, data_dir: Path) -> Path:
    for pid in ("A-1", "B-2", "C-3"):
        run(
            "patient",
            "new",
            pid,
            "--name",
            f"Name {pid}",
            "--sessions",
            "6",
            "--interval",
            "14",
            "--start",
            "2026-01-05",
        )
        run("add", pid, *FULL_ADD)
    return data_dir


def overview(run) -> list[dict]:  # type: ignore[no-untyped-def, type-arg]
    return json.loads(run("report", "--format", "json").stdout)


def cache_files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache").glob("summary-*.sqlite3"))


def test_cache_is_created_private_in_the_cache_folder(run, three: Path, tmp_path: Path) -> None:
    overview(run)
    [db] = cache_files(tmp_path)
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700


def test_hand_edit_of_same_size_is_seen_at_once(run, three: Path) -> None:
    assert {r["name"] for r in overview(run)} == {"Name A-1", "Name B-2", "Name C-3"}
    path = three / "patients" / "B-2.toml"
    text = path.read_text()
    edited = text.replace('name = "Name B-2"', 'name = "Name X-9"')
    assert len(edited) == len(text)
    stat_before = path.stat()
    path.write_text(edited)  # same size, same inode; only the mtime moves
    os.utime(path, ns=(stat_before.st_atime_ns, stat_before.st_mtime_ns + 1_000))
    assert {r["name"] for r in overview(run)} == {"Name A-1", "Name X-9", "Name C-3"}
    lots = json.loads(run("lot", "D2411", "--format", "json").stdout)
    assert len(lots) == 3


def test_new_session_and_deleted_file_are_seen(run, three: Path) -> None:
    assert len(json.loads(run("lot", "D2411", "--format", "json").stdout)) == 3
    run("add", "A-1", "--like-last")
    assert len(json.loads(run("lot", "D2411", "--format", "json").stdout)) == 4
    (three / "patients" / "C-3.toml").unlink()
    assert sorted(r["patient"] for r in overview(run)) == ["A-1", "B-2"]
    assert len(json.loads(run("lot", "D2411", "--format", "json").stdout)) == 3


def test_corrupt_cache_is_rebuilt_silently(run, three: Path, tmp_path: Path) -> None:
    expected = overview(run)
    [db] = cache_files(tmp_path)
    for garbage in (b"this is not a database" * 100, b"", b"SQLite format 3\x00" + b"\xff" * 5000):
        db.write_bytes(garbage)
        for suffix in ("-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        result = run("report", "--format", "json")
        assert json.loads(result.stdout) == expected
        assert result.stderr == ""


def test_deleting_the_cache_changes_no_answer(run, three: Path, tmp_path: Path) -> None:
    commands = [
        ["report", "--format", "json"],
        ["patient", "list", "--format", "json"],
        ["due", "--all", "--format", "json"],
        ["lot", "D2411", "--format", "json"],
        ["find", "--area", "scalp", "--format", "json"],
        ["stats", "--by", "substance", "--format", "json"],
    ]
    warm = [run(*c).stdout for c in commands]
    for db in (tmp_path / "cache").iterdir():
        db.unlink()
    assert [run(*c).stdout for c in commands] == warm


def test_unwritable_cache_folder_still_gives_answers(
    run, three: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("MESOLOG_CACHE_DIR", str(blocker / "cache"))
    assert len(overview(run)) == 3


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="needs root to hand the folder to another user",
)
def test_a_cache_folder_of_another_user_is_never_read(run, three: Path, tmp_path: Path) -> None:
    """The cache holds pickles, and loading a pickle runs what it says: one in a folder that
    someone else owns is never read (nor written), and the answers come all the same."""
    expected = overview(run)
    for db in cache_files(tmp_path):
        db.unlink()
    os.chown(tmp_path / "cache", 65534, 65534)  # nobody
    assert overview(run) == expected
    assert cache_files(tmp_path) == []


def test_two_processes_refreshing_at_once_both_succeed(run, three: Path) -> None:
    for n in range(30):
        run("patient", "new", f"M-{n}")
    env = {**os.environ}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "mesolog", "report", "--format", "json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(4)
    ]
    outs = [
        p.communicate(timeout=300) for p in procs
    ]  # bounds a hang only: four start-ups on a loaded machine
    assert [p.returncode for p in procs] == [0] * 4, [e for _, e in outs]
    assert all(len(json.loads(out)) == 33 for out, _ in outs)


OPEN_LOGGER = """
import sys
opened = []
sys.addaudithook(lambda event, args: event == "open" and opened.append(str(args[0])))
from mesolog.cli import app
try:
    app(sys.argv[1:])
except SystemExit as done:
    code = done.code
print("OPENED:" + "|".join(p for p in opened if p.endswith(".toml")), file=sys.stderr)
"""


def test_report_of_one_patient_reads_no_other_file(run, three: Path) -> None:
    for other in ("B-2", "C-3"):
        path = three / "patients" / f"{other}.toml"
        path.chmod(0)  # unreadable (for anyone but root; the audit hook below proves it for all)
    result = subprocess.run(
        [sys.executable, "-c", OPEN_LOGGER, "report", "a-1"],
        capture_output=True,
        text=True,
        env={**os.environ, "MESOLOG_DATA_DIR": str(three)},
    )
    assert "Name A-1" in result.stdout
    opened = result.stderr.split("OPENED:")[1].strip().split("|")
    assert opened == [str(three / "patients" / "A-1.toml")]


def test_cached_answers_agree_with_the_model_over_the_charts(
    run, data_dir: Path, tmp_path: Path
) -> None:
    """find and stats from the cache give what the model's questions give over the charts read
    afresh, for words typed every which way."""
    from datetime import date

    from mesolog.model import questions
    from mesolog.store import Clinic
    from mesolog.store.cache import opened

    specs = [
        ("A", "gun", "scalp", "minoxidil 0.5%:1ml:LOT X1", "bruising:mild", "Dr. Ä Moreau", "0.8"),
        ("B", "hand", "Scalp", "Minoxidil:1ml:LOT x 1", "Bruise:severe", "dr. b", "3"),
        ("C", "gun", "face", "hyaluronic acid:2ml", "", "", "6.5"),
        ("D", "hand", "thighs", "caffeine 2%:1ml", "redness", "Dr. B", "13"),
        # Ties: five complications once each in the gun group, typed in an order that is not
        # the alphabet's, and the same things under other words (DCA, abdomen, haematoma).
        ("E", "gun", "abdomen", "DCA:1ml:LOT D1", "swelling;itching", "Dr. B", "2"),
        (
            "F",
            "gun",
            "stomach",
            "deoxycholate:1ml:LOT d 1",
            "redness;nausea;haematoma",
            "Dr. B",
            "2",
        ),
        ("G", "hand", "belly", "sodium deoxycholate:1ml", "nausea;redness", "", "2"),
    ]
    for pid, tech, area, sub, comp, who, depth in specs:
        run(
            "add",
            f"P-{pid}",
            "--new-patient",
            "--area",
            area,
            "-s",
            sub,
            "--technique",
            tech,
            "--depth",
            depth,
            "--anaesthetic",
            "none",
            "--practitioner",
            who,
            *[a for c in comp.split(";") if c for a in ("--complication", c)],
            "--date",
            "2026-03-01" if pid in "AB" else "2026-06-01",
        )
    run("void", "P-D", "1", "--reason", "test")
    # A chart whose sessions straddle a window's edge (2026-04-01): stats reads its rows, where
    # a chart wholly inside brings the part it stored.
    run(
        "add",
        "P-A",
        "--area",
        "face",
        "-s",
        "caffeine 2%:1ml",
        "--technique",
        "hand",
        "--depth",
        "2",
        "--anaesthetic",
        "none",
        "--complication",
        "redness",
        "--date",
        "2026-06-01",
    )
    clinic = Clinic(data_dir)
    rows = [r for e in clinic.entries() if e.chart for r in questions.session_rows(e.chart)]
    queries = [
        questions.SessionQuery(),
        questions.SessionQuery(substance="minoxidil"),
        questions.SessionQuery(area="scalp"),
        questions.SessionQuery(complication="bruising"),
        questions.SessionQuery(practitioner="moreau"),
        questions.SessionQuery(practitioner="dr. b", include_voided=True),
        questions.SessionQuery(technique="gun"),
        questions.SessionQuery(since=date(2026, 4, 1)),
        questions.SessionQuery(until=date(2026, 4, 1)),
        questions.SessionQuery(lot="x1"),
        questions.SessionQuery(substance="caffeine", include_voided=True),
        questions.SessionQuery(substance="deoxycholate"),
        questions.SessionQuery(substance="DCA"),
        questions.SessionQuery(area="abdomen"),
        questions.SessionQuery(complication="hematoma"),
        questions.SessionQuery(lot="D1"),
        # Conditions together: every one must hold.
        questions.SessionQuery(technique="gun", area="abdomen", since=date(2026, 4, 1)),
        questions.SessionQuery(
            substance="deoxycholate",
            practitioner="dr. b",
            complication="redness",
            include_voided=True,
        ),
    ]
    with opened(clinic, tmp_path / "oracle-cache") as index:
        for query in queries:
            expected = sorted((r.patient_id, r.session) for r in rows if query.matches(r))
            assert sorted((r.patient_id, r.session) for r in index.sessions(query)) == expected, (
                query
            )
        for by in questions.STATS_BY:
            for query in queries[:4] + queries[7:9] + queries[11:14] + queries[16:]:
                expected_rows = [r for r in rows if query.matches(r)]
                assert index.stats(by, query) == questions.complication_stats(expected_rows, by), (
                    by,
                    query,
                )
        # The ties are really there, and broken by name the same way on both sides.
        gun = next(
            g for g in index.stats("technique", questions.SessionQuery()) if g.group == "gun"
        )
        assert gun.top == (("bruising", 2), ("itching", 1), ("nausea", 1))  # haematoma is bruising
        groups = {g.group: g.sessions for g in index.stats("substance", questions.SessionQuery())}
        assert groups["deoxycholate"] == 3 and "dca" not in groups


FORK_LOGGER = """
import sys
forks = []
sys.addaudithook(lambda event, args: event == "os.fork" and forks.append(1))
from mesolog.cli import app
try:
    app(sys.argv[1:])
except SystemExit as done:
    code = done.code
print(f"FORKS:{len(forks)}", file=sys.stderr)
"""


def test_a_big_rebuild_spread_over_processes_fills_the_cache_as_one_process_does(
    data_dir: Path, tmp_path: Path
) -> None:
    from datetime import date

    from mesolog import Clinic, Patient, Session, Substance
    from mesolog.model import Complication, now
    from mesolog.store.cache import PARALLEL_FROM, SummaryCache, _cores

    clinic = Clinic(data_dir)
    charts = PARALLEL_FROM + 6
    for n in range(charts):
        pid = f"P-{n:03d}"
        clinic.new_patient(Patient(id=pid, created=now(), name=f"Näme {n}"))
        for k in range(1 + n % 3):
            clinic.add_session(
                pid,
                Session(
                    id=0,
                    date=date(2026, 1 + k, 1 + n % 28),
                    recorded=now(),
                    areas=("scalp", "face")[: 1 + k % 2],
                    technique=("gun", "hand")[n % 2],
                    depth_mm=1.0 + k,
                    anaesthetic="none",
                    practitioner=f"Dr. {n % 4}",
                    substances=(
                        Substance("minoxidil 0.5%", 1.0, "ml", "hair-loss drug", lot=f"M{n % 7}"),
                    ),
                    complications=(Complication("bruising", "mild", date(2026, 1 + k, 1 + n % 28)),)
                    if n % 5 == 0
                    else (),
                ),
            )
    (data_dir / "patients" / "Z-999.toml").write_text(
        "[patient\nid = "
    )  # one broken chart among them

    def answers(workers: int) -> tuple[object, ...]:
        with SummaryCache(clinic, tmp_path / f"cache-{workers}", workers=workers) as cache:
            assert cache.refresh() == charts + 1
            summaries, problems = cache.summaries()
            rows = list(cache.sessions())
            return sorted(summaries, key=repr), problems, sorted(rows, key=repr), cache.lots()

    alone, spread = answers(1), answers(2)
    assert spread == alone
    summaries, problems, rows, _ = alone
    assert len(summaries) == charts and len(rows) == sum(1 + n % 3 for n in range(charts))  # type: ignore[arg-type]
    assert [name for name, _ in problems] == ["Z-999"]  # type: ignore[attr-defined]

    # The command itself spreads a rebuild this big over the cores, and answers the same.
    env = {
        **os.environ,
        "MESOLOG_DATA_DIR": str(data_dir),
        "MESOLOG_CACHE_DIR": str(tmp_path / "cache-cli"),
    }
    done = subprocess.run(
        [sys.executable, "-c", FORK_LOGGER, "lot", "m3", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
    )
    forks = int(done.stderr.split("FORKS:")[1])
    assert forks >= (2 if _cores() >= 2 else 0)
    found = json.loads(done.stdout)
    assert sorted({r["patient"] for r in found}) == [
        f"P-{n:03d}" for n in range(charts) if n % 7 == 3
    ]
