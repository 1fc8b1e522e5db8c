"""Import at scale: a 200,000-row CSV (mesolog's own long form, one row per substance given, of
a synthetic clinic of 4,000 patients x 20 sessions), as a dry run and as ``--apply`` into an
empty data folder, beside a bare ``csv`` parse of the same file; wall and CPU seconds and peak
memory of each whole process. The dry run is also timed on the first quarter of the file: its
memory stays flat as the rows grow (rows stream; see docs/import.md).

    python benchmarks/import_scale.py                      # builds the clinic once (minutes)
    python benchmarks/import_scale.py --csv visits.csv     # an existing file instead
    python benchmarks/import_scale.py --repeats 1          # a busy machine
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import MESOLOG, PY, WORK, clinic, environment, run_once  # noqa: E402

BARE_CSV = "import csv, sys\nfor row in csv.reader(open(sys.argv[1], newline='', encoding='utf-8')): pass\n"


def sheet(patients: int, sessions: int, env: dict[str, str]) -> Path:
    path = WORK / f"scale-{patients}x{sessions}.csv"
    if not path.exists():
        source = clinic(patients, sessions)
        with path.open("w") as handle:
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
                stderr=subprocess.DEVNULL,
                cwd=WORK,
            )
    return path


def first_rows(path: Path, rows: int) -> Path:
    part = WORK / "scale-part" / path.name  # the same name: the same import, fewer rows
    part.parent.mkdir(exist_ok=True)
    with path.open() as source, part.open("w") as handle:
        for n, line in enumerate(source):
            if n > rows:
                break
            handle.write(line)
    return part


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=4000)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--csv", type=Path, help="an existing CSV in mesolog's own columns")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    env = environment(WORK / "scale-cache")
    path = args.csv.resolve() if args.csv else sheet(args.patients, args.sessions, env)
    rows = sum(1 for _ in path.open()) - 1
    quarter = first_rows(path, rows // 4)
    bare = WORK / "bare_csv.py"
    bare.write_text(BARE_CSV)
    target = WORK / "scale-target"
    empty = WORK / "scale-empty"

    def fresh() -> None:
        shutil.rmtree(target, ignore_errors=True)
        subprocess.run(
            [*MESOLOG, "--data-dir", str(target), "init"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            cwd=WORK,
        )

    cases: dict[str, tuple[list[str], object]] = {
        "bare csv parse": ([PY, str(bare), str(path)], None),
        f"import dry run, {rows // 4} rows": (
            [*MESOLOG, "--data-dir", str(empty), "import", str(quarter)],
            None,
        ),
        f"import dry run, {rows} rows": (
            [*MESOLOG, "--data-dir", str(empty), "import", str(path)],
            None,
        ),
        f"import --apply, {rows} rows": (
            [*MESOLOG, "--data-dir", str(target), "import", str(path), "--apply"],
            fresh,
        ),
    }
    figures: dict[str, list[tuple[float, float, float]]] = {name: [] for name in cases}
    for _ in range(args.repeats):
        for name, (cmd, before) in cases.items():
            if callable(before):
                before()
            figures[name].append(run_once(cmd, env))
    print(f"{path.name}: {rows} rows, median of {args.repeats} runs")
    print("| case | wall s | CPU s | peak MB | CPU x bare parse |")
    print("| --- | --- | --- | --- | --- |")
    bare_cpu = statistics.median(f[1] for f in figures["bare csv parse"])
    for name, runs in figures.items():
        wall, cpu, peak = (statistics.median(f[i] for f in runs) for i in range(3))
        print(f"| {name} | {wall:.1f} | {cpu:.1f} | {peak:.0f} | {cpu / bare_cpu:.0f}x |")


if __name__ == "__main__":
    main()
