"""Real processes: simultaneous writers all land; a writer killed mid-write loses nothing that
was reported saved, and never leaves a file that does not parse."""

from __future__ import annotations

import os
import random
import signal
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
    args = ["add", "P-0042", "--area", "scalp", "-s", "minoxidil:1ml:LOT M1", "--depth", "1.5",
            "--technique", "gun", "--anaesthetic", "none", "--no-input"]
    env = {**os.environ, "MESOLOG_LOCK_TIMEOUT": str(HANG_S)}
    procs = [
        subprocess.Popen([sys.executable, "-m", "mesolog", *args, "--note", f"writer {n}"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
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
        result = mesolog_process("add", "P-0042", "--area", "scalp", "-s", "minoxidil:1ml", "--depth", "1",
                                 "--technique", "gun", "--anaesthetic", "none",
                                 env={"MESOLOG_LOCK_TIMEOUT": "0.5"})
        assert result.returncode == 1
        assert "being written by another mesolog (pid 4242)" in result.stderr
        assert patient.read_bytes() == before


WRITER = """
import sys
from datetime import date
from pathlib import Path
from mesolog.store import Clinic
from mesolog.model import Session, Substance, now
clinic = Clinic(Path(sys.argv[1]))
while True:
    draft = Session(id=0, date=date(2026, 11, 2), recorded=now(), areas=("scalp",), technique="gun",
                    depth_mm=1.5, anaesthetic="none", notes="x" * 500,
                    substances=(Substance("minoxidil", 1.0, "ml", "hair-loss drug", lot="M1"),))
    stored, _ = clinic.add_session("P-0042", draft)
    print(stored.id, flush=True)
"""


def test_writer_killed_at_random_points_loses_nothing_reported_saved(run, patient: Path, data_dir: Path) -> None:
    rng = random.Random(20261125)
    confirmed: set[int] = set()
    kills = 0
    while len(confirmed) < KILLED_WRITES:
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(data_dir)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        # Wait for a random number of confirmed writes (at least one: on a loaded machine
        # Python's start-up alone can outlast any fixed delay, and a kill there tests nothing).
        # Counting writes, not seconds, keeps the number of kills, and so the test's time,
        # the same on a slow machine as on a fast one.
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(rng.randint(1, 10))]
        if "" in lines:  # the writer ended by itself: that is the failure
            raise AssertionError(f"the writer stopped: {proc.communicate()[1]}")
        first = "".join(lines)
        time.sleep(rng.uniform(0.0, 0.3))  # not synchronisation: where among the writes to kill
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        kills += 1
        confirmed |= {int(line) for line in (first + out).split()}
        sessions = tomllib.loads(patient.read_text()).get("sessions", [])  # parses after every kill
        on_disk = {s["id"] for s in sessions}
        assert confirmed <= on_disk, f"lost after kill {kills}: {sorted(confirmed - on_disk)}"
        assert sorted(on_disk) == list(range(1, len(on_disk) + 1))
    assert kills >= 5
    leftovers = list((data_dir / "patients").glob(".*.tmp"))
    result = run("check", expect=None)
    assert " 0 errors" in result.stderr
    print(f"kills={kills} confirmed={len(confirmed)} leftover_temp_files={len(leftovers)}")


def test_new_patient_added_from_several_processes_at_once_keeps_every_session(run, data_dir: Path) -> None:
    run("init")
    args = ["add", "P-NEW", "--new-patient", "--area", "face", "-s", "hyaluronic acid:1ml:LOT H1", "--depth", "1",
            "--technique", "hand", "--anaesthetic", "none", "--no-input"]
    env = {**os.environ, "MESOLOG_LOCK_TIMEOUT": str(HANG_S)}
    procs = [subprocess.Popen([sys.executable, "-m", "mesolog", *args], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env) for _ in range(5)]
    errors = [p.communicate(timeout=HANG_S)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 5, errors
    sessions = tomllib.loads((data_dir / "patients" / "P-NEW.toml").read_text())["sessions"]
    assert sorted(s["id"] for s in sessions) == [1, 2, 3, 4, 5]
