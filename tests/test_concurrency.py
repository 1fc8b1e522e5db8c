"""Real processes: simultaneous writers all land; a writer killed mid-write loses nothing that
was reported saved, and never leaves a file that does not parse."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from conftest import mesolog_process

pytestmark = pytest.mark.skipif(os.name != "posix", reason="fcntl locks and SIGKILL are posix")

WRITERS = 20
KILLED_WRITES = 200
# Simultaneous writers take turns on one chart: the last of twenty waits for nineteen others,
# each slowed by the others' start-up on a loaded 2-core machine. Only a hang takes this long.
HANG_S = 300


def test_twenty_processes_adding_at_once_all_land(run, patient: Path) -> None:
    args = [
        "add",
        "P-0042",
        "--area",
        "scalp",
        "-s",
        "minoxidil:1ml:LOT M1",
        "--depth",
        "1.5",
        "--technique",
        "gun",
        "--anaesthetic",
        "none",
        "--no-input",
    ]
    env = {**os.environ, "MESOLOG_LOCK_TIMEOUT": str(HANG_S)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "mesolog", *args, "--note", f"writer {n}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for n in range(WRITERS)
    ]
    results = [p.communicate(timeout=HANG_S) for p in procs]
    assert [p.returncode for p in procs] == [0] * WRITERS, [err for _, err in results]
    sessions = tomllib.loads(patient.read_text())["sessions"]
    assert sorted(s["id"] for s in sessions) == list(range(1, WRITERS + 1))
    assert sorted(s["notes"] for s in sessions) == sorted(f"writer {n}" for n in range(WRITERS))


def test_lock_timeout_names_the_holder(run, patient: Path, data_dir: Path) -> None:
    import fcntl

    lock_dir = data_dir / ".locks"
    lock_dir.mkdir(exist_ok=True)
    lock = lock_dir / "p-0042.lock"
    with open(lock, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.write("4242")
        handle.flush()
        before = patient.read_bytes()
        result = mesolog_process(
            "add",
            "P-0042",
            "--area",
            "scalp",
            "-s",
            "minoxidil:1ml",
            "--depth",
            "1",
            "--technique",
            "gun",
            "--anaesthetic",
            "none",
            env={"MESOLOG_LOCK_TIMEOUT": "0.5"},
        )
        assert result.returncode == 1
        assert "being written by another mesolog (pid 4242)" in result.stderr
        assert patient.read_bytes() == before


FORKED_WRITERS = """
import os, signal, sys, traceback
from datetime import date
from pathlib import Path
from mesolog.store import Clinic
from mesolog.model import Session, Substance, now


def write_forever() -> None:
    clinic = Clinic(Path(sys.argv[1]))
    while True:
        draft = Session(id=0, date=date(2026, 11, 2), recorded=now(), areas=("scalp",), technique="gun",
                        depth_mm=1.5, anaesthetic="none", notes="x" * 500,
                        substances=(Substance("minoxidil", 1.0, "ml", "hair-loss drug", lot="M1"),))
        stored, _, _ = clinic.add_session("P-0042", draft)
        # One write(2) of the whole line: a kill cannot leave the number without its newline.
        os.write(1, b"%d\\n" % stored.id)


# Python and mesolog are imported once: each writer is a fork of this process, started on
# "start" and SIGKILLed on "kill" (by its parent, so the pid cannot belong to anyone else yet).
# A fresh interpreter per kill made start-up most of this test's time on a loaded machine.
while sys.stdin.readline():
    pid = os.fork()
    if pid == 0:
        try:
            write_forever()
        except BaseException:
            print("stopped: " + traceback.format_exc().replace("\\n", " | "), flush=True)
        os._exit(1)
    sys.stdin.readline()
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    print("killed", flush=True)
"""


def _confirmed(line: str) -> int:
    if not line.strip().isdigit():  # "stopped: ..." or the end of the output: the writer failed
        raise AssertionError(f"the writer stopped: {line!r}")
    return int(line)


def test_writer_killed_at_random_points_loses_nothing_reported_saved(
    run, patient: Path, data_dir: Path
) -> None:
    rng = random.Random(20261125)
    confirmed: set[int] = set()
    kills = 0
    writers = subprocess.Popen(
        [sys.executable, "-c", FORKED_WRITERS, str(data_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writers.stdin is not None and writers.stdout is not None
    try:
        while len(confirmed) < KILLED_WRITES:
            writers.stdin.write("start\n")
            writers.stdin.flush()
            # Wait for a random number of confirmed writes (at least one: a kill before the
            # first tests nothing). Counting writes, not seconds, keeps the number of kills, and
            # so the test's time, the same on a slow machine as on a fast one.
            for _ in range(rng.randint(1, 10)):
                confirmed.add(_confirmed(writers.stdout.readline()))
            time.sleep(rng.uniform(0.0, 0.3))  # not synchronisation: where among the writes to kill
            writers.stdin.write("kill\n")
            writers.stdin.flush()
            # What it confirmed before it died, up to its parent's word that it is dead.
            for line in iter(writers.stdout.readline, "killed\n"):
                confirmed.add(_confirmed(line))
            kills += 1
            sessions = tomllib.loads(patient.read_text()).get(
                "sessions", []
            )  # parses after every kill
            on_disk = {s["id"] for s in sessions}
            assert confirmed <= on_disk, f"lost after kill {kills}: {sorted(confirmed - on_disk)}"
            assert sorted(on_disk) == list(range(1, len(on_disk) + 1))
    finally:
        writers.kill()
        writers.communicate()
    assert kills >= 5
    leftovers = list((data_dir / "patients").glob(".*.tmp"))
    result = run("check", expect=None)
    assert " 0 errors" in result.stderr
    print(f"kills={kills} confirmed={len(confirmed)} leftover_temp_files={len(leftovers)}")


def test_new_patient_added_from_several_processes_at_once_keeps_every_session(
    run, data_dir: Path
) -> None:
    run("init")
    args = [
        "add",
        "P-NEW",
        "--new-patient",
        "--area",
        "face",
        "-s",
        "hyaluronic acid:1ml:LOT H1",
        "--depth",
        "1",
        "--technique",
        "hand",
        "--anaesthetic",
        "none",
        "--no-input",
    ]
    env = {**os.environ, "MESOLOG_LOCK_TIMEOUT": str(HANG_S)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "mesolog", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(5)
    ]
    errors = [p.communicate(timeout=HANG_S)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 5, errors
    sessions = tomllib.loads((data_dir / "patients" / "P-NEW.toml").read_text())["sessions"]
    assert sorted(s["id"] for s in sessions) == [1, 2, 3, 4, 5]
