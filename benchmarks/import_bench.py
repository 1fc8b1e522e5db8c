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
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import MESOLOG, PY, WORK, clinic, environment, run_once  # noqa: E402

BARE_CSV = "import csv, sys\nfor row in csv.reader(open(sys.argv[1], newline='', encoding='utf-8')): pass\n"


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
        subprocess.run([*MESOLOG, "--data-dir", str(source), "export", "--format", "csv",
                        "--per", "substance"], env=env, check=True, stdout=handle, cwd=WORK)
    target = WORK / "import-target"
    bare = WORK / "bare_csv.py"
    bare.write_text(BARE_CSV)

    def fresh() -> None:
        shutil.rmtree(target, ignore_errors=True)

    def cold() -> None:
        shutil.rmtree(WORK / "import-cache", ignore_errors=True)

    times: dict[str, list[float]] = {"import --apply": [], "bare csv parse": [], "cold cache rebuild": []}
    for _ in range(args.repeats):
        fresh()
        times["import --apply"].append(run_once(
            [*MESOLOG, "--data-dir", str(target), "import", str(sheet), "--apply"], env)[0])
        times["bare csv parse"].append(run_once([PY, str(bare), str(sheet)], env)[0])
        cold()
        times["cold cache rebuild"].append(run_once([*MESOLOG, "--data-dir", str(target), "due"], env)[0])
    rows = sum(1 for _ in sheet.open()) - 1
    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"{args.patients} patients x {args.sessions} sessions, {rows} CSV rows, "
          f"median of {args.repeats} runs:")
    for name, value in median.items():
        print(f"  {name}: {value:.2f} s")
    imp = median["import --apply"]
    print(f"  import / bare csv parse: {imp / median['bare csv parse']:.1f}x")
    print(f"  import / cold cache rebuild: {imp / median['cold cache rebuild']:.1f}x")
    print(f"  import / (bare parse + cold rebuild): "
          f"{imp / (median['bare csv parse'] + median['cold cache rebuild']):.1f}x")


if __name__ == "__main__":
    main()
