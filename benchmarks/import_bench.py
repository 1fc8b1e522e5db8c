"""Import against its floors, side by side, as medians of whole-process runs:

- ``mesolog import FILE --apply`` of a CSV export (one row per substance given) of a synthetic
  clinic into an empty data folder;
- the bare parse of the same CSV with the csv module (every row read, nothing else);
- a cold rebuild of the summary cache over the imported clinic (``mesolog due`` with no cache):
  what reading every chart once costs mesolog.

    python benchmarks/import_bench.py                  # 2,000 patients x 20 sessions
    python benchmarks/import_bench.py --patients 500   # a smaller clinic on a busy machine
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import MESOLOG, PY, WORK, clinic, environment  # noqa: E402

BARE_CSV = "import csv, sys\nfor row in csv.reader(open(sys.argv[1], newline='', encoding='utf-8')): pass\n"


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds user + system) of one whole process. On a shared machine the
    CPU seconds drift less; the import also waits on fsync, which only the wall time shows."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=WORK
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"{' '.join(cmd)} failed: {err[-500:]}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    source = clinic(args.patients, args.sessions)
    env = environment(WORK / "import-cache")
    sheet = WORK / f"import-{args.patients}x{args.sessions}.csv"
    with sheet.open("w") as handle:
        subprocess.run(
            [
                *MESOLOG,
                "--data-dir",
                str(source),
                "export",
                "--format",
                "csv",
                "--per",
                "substance",
            ],
            env=env,
            check=True,
            stdout=handle,
            cwd=WORK,
        )
    target = WORK / "import-target"
    bare = WORK / "bare_csv.py"
    bare.write_text(BARE_CSV)

    def fresh() -> None:
        shutil.rmtree(target, ignore_errors=True)

    def cold() -> None:
        shutil.rmtree(WORK / "import-cache", ignore_errors=True)

    cases = {
        "import --apply": [*MESOLOG, "--data-dir", str(target), "import", str(sheet), "--apply"],
        "bare csv parse": [PY, str(bare), str(sheet)],
        "cold cache rebuild": [*MESOLOG, "--data-dir", str(target), "due"],
    }
    before = {"import --apply": fresh, "bare csv parse": None, "cold cache rebuild": cold}
    wall: dict[str, list[float]] = {name: [] for name in cases}
    cpu: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.repeats):
        for name, cmd in cases.items():
            prepare = before[name]
            if prepare is not None:
                prepare()
            seconds, used = timed(cmd, env)
            wall[name].append(seconds)
            cpu[name].append(used)
    rows = sum(1 for _ in sheet.open()) - 1
    print(
        f"{args.patients} patients x {args.sessions} sessions, {rows} CSV rows, "
        f"median of {args.repeats} runs (wall s / CPU s):"
    )
    for name in cases:
        print(f"  {name}: {statistics.median(wall[name]):.2f} / {statistics.median(cpu[name]):.2f}")
    for kind, figures in (("wall", wall), ("CPU", cpu)):
        m = {name: statistics.median(values) for name, values in figures.items()}
        imp, bare_s, cold_s = m["import --apply"], m["bare csv parse"], m["cold cache rebuild"]
        print(
            f"  {kind}: import = {imp / bare_s:.1f}x the bare csv parse, {imp / cold_s:.1f}x the cold "
            f"rebuild, {imp / (bare_s + cold_s):.1f}x the two together"
        )


if __name__ == "__main__":
    main()
