"""``export`` of a whole synthetic clinic in every format, against the bare tomllib loop
(``bare_parse.py``: only parse every chart), as whole processes: wall and CPU seconds, and the
peak resident memory of the process (``ru_maxrss``).

    python benchmarks/export_bench.py                       # 2,000 patients x 20 sessions
    python benchmarks/export_bench.py --patients 500
    python benchmarks/export_bench.py --folder /tmp/c4000   # a clinic built already

Budgets (docs/exports.md): peak memory under 150 MB in every format; JSON within 0.5x and FHIR
within 1.0x of the bare loop's time (CPU seconds: the machine is shared).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import MESOLOG, PY, WORK, clinic, environment  # noqa: E402

FORMATS = {
    "json": ["--format", "json"],
    "csv": ["--format", "csv"],
    "csv --per substance": ["--format", "csv", "--per", "substance"],
    "fhir": ["--format", "fhir"],
    "fhir-ndjson": ["--format", "fhir-ndjson", "--output"],
}
# The time each format may take, x the bare loop's CPU seconds.
BUDGET = {"json": 0.5, "fhir": 1.0, "fhir-ndjson": 1.0}
MEMORY_MB = 150


def measured(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """(wall s, CPU s, peak MB) of one whole process, its output thrown away."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"{' '.join(cmd)} failed: {err[-500:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def median_of(runs: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    return (
        statistics.median(r[0] for r in runs),
        statistics.median(r[1] for r in runs),
        max(r[2] for r in runs),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--folder", type=Path, help="an existing clinic (skips building one)")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--only", action="append", choices=sorted(FORMATS), help="formats to run")
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    folder = args.folder or clinic(args.patients, args.sessions)
    env = environment(Path(tempfile.mkdtemp(prefix="export-cache-")))
    count = len(os.listdir(folder / "patients"))
    bare = median_of(
        [measured([PY, str(HERE / "bare_parse.py"), str(folder)], env) for _ in range(args.repeats)]
    )
    print(f"## export, {count} charts ({folder})\n")
    print("| command | wall s | CPU s | x bare loop (CPU) | budget | peak MB |")
    print("|---|---|---|---|---|---|")
    print(f"| bare tomllib loop | {bare[0]:.1f} | {bare[1]:.1f} | 1.00 | | {bare[2]:.0f} |")
    for name in args.only or FORMATS:
        flags = list(FORMATS[name])
        runs = []
        for _ in range(args.repeats):
            out = Path(tempfile.mkdtemp(prefix="export-ndjson-")) / "bulk"
            extra = [str(out)] if name == "fhir-ndjson" else []
            runs.append(
                measured([*MESOLOG, "--data-dir", str(folder), "export", *flags, *extra], env)
            )
            shutil.rmtree(out.parent, ignore_errors=True)
        wall, cpu, peak = median_of(runs)
        ratio = cpu / bare[1]
        limit = BUDGET.get(name)
        verdict = ""
        if limit is not None:
            verdict = f"<= {limit:.1f} {'ok' if ratio <= limit else 'OVER'}"
        memory = f"{peak:.0f}" + ("" if peak < MEMORY_MB else " OVER")
        print(f"| export {name} | {wall:.1f} | {cpu:.1f} | {ratio:.2f} | {verdict} | {memory} |")


if __name__ == "__main__":
    main()
