"""Measures mesolog against its floors, side by side in one run, as medians of repeated
whole-process runs, and writes the figures to benchmarks/results.md.

    python benchmarks/run.py            # full run: 2,000 x 20 plus growth to 4,000 (~15 min)
    python benchmarks/run.py --quick    # smaller clinic and fewer repeats (~2 min)

Budgets (docs/design.md): start-up of each command <= 1.05x its floor in CPU seconds (a
bare two-command Typer app for commands that print no table, the same app printing a small Rich
table for those that do, a bare Typer app with as many options for ``add``; beside them, that
app reading the chart and writing it back, the least any ``add`` could cost); clinic-wide
commands when nothing changed <= 0.5 s on the reference machine (where the hello app takes
0.15 s, so <= 3.3x it), those drawing a row per patient <= 1.3x the Rich floor; the cold open
(no cache, 2,000 x 20) <= 0.3x a bare tomllib parse loop over the same files, in wall time,
with peak memory under 150 MB across all processes. jrnl and Watson are timed as context.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / "_work"
sys.path.insert(0, str(HERE))
PY = sys.executable
MESOLOG = [PY, "-m", "mesolog"]

ADD_ALL = [
    "--date",
    "today",
    "--area",
    "scalp",
    "--indication",
    "hair loss",
    "--substance",
    "dutasteride 0.01%:1ml:LOT D2411:EXP 2027-03-31",
    "--substance",
    "biotin:1ml:LOT B553",
    "--depth",
    "1.5",
    "--technique",
    "gun",
    "--method",
    "nappage",
    "--angle",
    "45",
    "--gauge",
    "30",
    "--needle-length",
    "4",
    "--points",
    "40",
    "--anaesthetic",
    "none",
    "--duration",
    "25",
    "--complication",
    "redness:mild",
    "--measure",
    "hair_density_per_cm2=142",
    "--note",
    "benchmark",
    "--practitioner",
    "Dr. Bench",
    "--no-input",
]

# (command, environment, what to do before each run)
Case = tuple[list[str], dict[str, str], object]


def run_once(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS in MB) of one whole process. CPU seconds (user +
    system, the process and the workers it waited for) move less than wall time when the
    machine is busy, so start-up ratios are taken in CPU seconds."""
    start = time.perf_counter()
    # From WORK, so that ``-m mesolog`` is the installed package, never the source tree beside
    # the working directory (which, with PYTHONDONTWRITEBYTECODE, is compiled at every run).
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=WORK
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err[-500:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def clinic(patients: int, sessions: int) -> Path:
    import synthetic_clinic

    folder = WORK / f"clinic-{patients}x{sessions}"
    marker = folder / ".complete"
    if not marker.exists():
        shutil.rmtree(folder, ignore_errors=True)
        print(f"building {patients} x {sessions} ...", flush=True)
        synthetic_clinic.build(folder, patients, sessions)
        marker.write_text(date.today().isoformat())
    return folder


def add_clinic() -> tuple[Path, object]:
    """A clinic of one hair-loss patient in mid-course (10 sessions), and a function that puts
    that chart back, so every timed ``add`` writes to the same realistic chart rather than to
    one that grows with every repeat."""
    import synthetic_clinic

    folder = WORK / "add-clinic"
    shutil.rmtree(folder, ignore_errors=True)
    synthetic_clinic.build(folder, 1, 10)
    chart = folder / "patients" / "P-00000.toml"
    template = chart.read_bytes()

    def restore() -> None:
        chart.write_bytes(template)

    return folder, restore


def environment(cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["MESOLOG_CACHE_DIR"] = str(cache)
    env["MESOLOG_CONFIG"] = str(WORK / "no-config.toml")
    env.pop("MESOLOG_DATA_DIR", None)
    return env


def all_processes_memory(cmd: list[str], env: dict[str, str]) -> float:
    """Peak memory, in MB, of a command and its worker processes together (the sum of their
    proportional set sizes, sampled every 50 ms; Linux only, else 0). A rebuild runs workers,
    and the per-process peak that wait4 reports would hide them."""
    if not Path("/proc/self/smaps_rollup").exists():
        return 0.0
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=WORK
    )
    peak = 0
    while proc.poll() is None:
        pids = [proc.pid]
        for pid in pids:  # grows as children are found
            try:
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except OSError:
                children = []
            pids += [int(c) for c in children if int(c) not in pids]
        total = 0
        for pid in pids:
            try:
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
            except (OSError, ValueError):
                pass
        peak = max(peak, total)
        time.sleep(0.05)
    return peak / 1024


def side_by_side(cases: dict[str, Case], repeats: int) -> dict[str, tuple[float, float]]:
    """Interleaved runs (so drift hits every case alike); median wall time and peak memory."""
    return {name: (wall, peak) for name, (wall, _, peak) in timed(cases, repeats).items()}


def timed(cases: dict[str, Case], repeats: int) -> dict[str, tuple[float, float, float]]:
    """Interleaved runs; median wall seconds, median CPU seconds and peak memory of each case."""
    walls: dict[str, list[float]] = {name: [] for name in cases}
    cpus: dict[str, list[float]] = {name: [] for name in cases}
    peaks: dict[str, float] = dict.fromkeys(cases, 0.0)
    for _ in range(repeats):
        for name, (cmd, env, before) in cases.items():
            if callable(before):
                before()
            wall, cpu, peak = run_once(cmd, env)
            walls[name].append(wall)
            cpus[name].append(cpu)
            peaks[name] = max(peaks[name], peak)
    return {
        name: (statistics.median(walls[name]), statistics.median(cpus[name]), peaks[name])
        for name in cases
    }


def instructions(cases: dict[str, Case]) -> dict[str, int]:
    """Instructions each command executes, counted by valgrind's callgrind: unlike seconds, the
    same from run to run (this machine's speed drifts by 40 % within a minute). Two at a time,
    since a count does not depend on what else runs."""
    from concurrent.futures import ThreadPoolExecutor

    def count(name: str) -> int:
        cmd, env, before = cases[name]
        if callable(before):
            before()
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd],
            env=env,
            cwd=WORK,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        found = re.search(r"Collected : (\d+)", done.stderr)
        if done.returncode != 0 or not found:
            raise SystemExit(f"{' '.join(cmd)} failed under valgrind: {done.stderr[-500:]}")
        return int(found.group(1))

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(cases, pool.map(count, cases), strict=True))


def machine() -> str:
    model = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.platform()}; {model}; {os.cpu_count()} cores; Python {platform.python_version()}; "
        f"measured {date.today().isoformat()}"
    )


# The clinic-wide commands, timed in one section and counted in another.
CLINIC_WIDE = {
    "report (overview)": ["report"],
    "patient list": ["patient", "list"],
    "due": ["due"],
    "lot": ["lot", "L5000"],
    "find": [
        "find",
        "--substance",
        "minoxidil",
        "--complication",
        "itching",
        "--since",
        "2026-01-01",
    ],
    "stats": ["stats", "--by", "technique"],
}


TYPER_FLOOR = "hello Typer app"
TABLE_FLOOR = "Typer app printing a small Rich table"
ADD_FLOOR = "Typer app shaped like add (does nothing)"
# The least any add could cost: the add floor reading the chart and writing it back (no
# validation, lock or trail); timed beside the floors, never a floor itself.
ADD_CHART = "Typer app shaped like add that reads and writes the chart"


def startup_cases(
    env: dict[str, str], data: list[str], one: str, small: Path, restore_chart: object
) -> dict[str, Case]:
    """The start-up commands and their floors, timed in one section and counted in another.

    Writing commands run on ``small`` (one patient in mid-course, put back before every run);
    the clinic's questions on a practice of 30 patients x 20 sessions with a warm cache."""
    practice = clinic(30, 20)
    on_small, on_practice = ["--data-dir", str(small)], ["--data-dir", str(practice)]
    subprocess.run(
        [*MESOLOG, *on_practice, "due"], env=env, check=True, capture_output=True, cwd=WORK
    )
    import tomllib

    first = tomllib.loads((practice / "patients" / "P-00001.toml").read_text())["sessions"][0]
    lot = first["substances"][0]["lot"]
    new_chart = small / "patients" / "P-NEW.toml"
    summary_page = WORK / "summary.html"

    def fresh_patient() -> None:
        new_chart.unlink(missing_ok=True)

    return {
        TYPER_FLOOR: ([PY, str(HERE / "hello_typer.py"), "hello"], env, None),
        TABLE_FLOOR: ([PY, str(HERE / "typer_table_floor.py"), "show"], env, None),
        ADD_FLOOR: ([PY, str(HERE / "typer_add_floor.py"), "add", "P-00000", *ADD_ALL], env, None),
        ADD_CHART: (
            [PY, str(HERE / "typer_add_chart.py"), *on_small, "add", "P-00000", *ADD_ALL],
            env,
            restore_chart,
        ),
        "mesolog --version": ([*MESOLOG, "--version"], env, None),
        "mesolog add (all options)": (
            [*MESOLOG, *on_small, "add", "P-00000", *ADD_ALL],
            env,
            restore_chart,
        ),
        "mesolog amend P-00000 10 --note": (
            [
                *MESOLOG,
                *on_small,
                "amend",
                "P-00000",
                "10",
                "--note",
                "seen again",
                "--reason",
                "bench",
            ],
            env,
            restore_chart,
        ),
        "mesolog void P-00000 10": (
            [*MESOLOG, *on_small, "void", "P-00000", "10", "--reason", "bench"],
            env,
            restore_chart,
        ),
        "mesolog patient new": (
            [
                *MESOLOG,
                *on_small,
                "patient",
                "new",
                "P-NEW",
                "--name",
                "Ana Ruiz",
                "--birth-year",
                "1986",
            ],
            env,
            fresh_patient,
        ),
        f"mesolog report {one}": ([*MESOLOG, *data, "report", one], env, None),
        f"mesolog patient show {one}": ([*MESOLOG, *data, "patient", "show", one], env, None),
        "mesolog patient list --search (30 patients)": (
            [*MESOLOG, *on_practice, "patient", "list", "--search", "P-0001"],
            env,
            None,
        ),
        "mesolog due (30 patients)": ([*MESOLOG, *on_practice, "due"], env, None),
        "mesolog lot (30 patients)": ([*MESOLOG, *on_practice, "lot", lot], env, None),
        "mesolog find --area scalp (30 patients)": (
            [*MESOLOG, *on_practice, "find", "--area", "scalp", "--since", "2026-10-01"],
            env,
            None,
        ),
        "mesolog stats (30 patients)": ([*MESOLOG, *on_practice, "stats"], env, None),
        "mesolog export P-00001 --format json": (
            [*MESOLOG, *on_practice, "export", "P-00001", "--format", "json"],
            env,
            None,
        ),
        "mesolog summary P-00001 --output": (
            [
                *MESOLOG,
                *on_practice,
                "summary",
                "P-00001",
                "--output",
                str(summary_page),
                "--force",
            ],
            env,
            None,
        ),
        "mesolog paths": ([*MESOLOG, *on_practice, "paths"], env, None),
    }


# Commands whose output is a Rich table: measured against the Typer app that prints one.
_TABLES = (
    "mesolog report",
    "mesolog patient show",
    "mesolog patient list",
    "mesolog due",
    "mesolog lot",
    "mesolog find",
    "mesolog stats",
    "mesolog paths",
)


def floor_of(name: str) -> str | None:
    """The floor a start-up case is measured against (None for the floors themselves)."""
    if not name.startswith("mesolog"):
        return None
    if name.startswith("mesolog add"):
        return ADD_FLOOR
    if name.startswith(_TABLES):
        return TABLE_FLOOR
    return TYPER_FLOOR


def our_slow_imports(cmd: list[str], env: dict[str, str]) -> list[tuple[str, float]]:
    """mesolog's own modules whose import (self time, ms, median of 3) exceeds 2 ms, timed by
    import_times.py: ``-X importtime`` would charge a module imported by ``importlib`` (a
    command's module, the names the model and store packages import on first use) to the
    module that asked for it."""
    runs: dict[str, list[float]] = {}
    for _ in range(3):
        done = subprocess.run(
            [cmd[0], str(HERE / "import_times.py"), *cmd[2:]],
            env=env,
            cwd=WORK,
            capture_output=True,
            text=True,
        )
        for line in done.stderr.splitlines():
            found = re.fullmatch(r"(mesolog\S*)\t(\d+)", line)
            if found:
                runs.setdefault(found.group(1), []).append(int(found.group(2)) / 1000)
    return sorted(
        ((m, statistics.median(v)) for m, v in runs.items() if statistics.median(v) > 2),
        key=lambda x: -x[1],
    )


JRNL_CONFIG = """colors: {body: none, date: none, tags: none, title: none}
default_hour: 9
default_minute: 0
editor: ''
encrypt: false
highlight: true
indent_character: '|'
journals:
  default:
    journal: {journal}
linewrap: 79
tagsymbols: '#@'
template: false
timeformat: '%F %r'
version: v4.6
"""


def context_section(out, env) -> None:  # type: ignore[no-untyped-def]
    """jrnl and Watson, the nearest command-line loggers, on their nearest commands (`jrnl
    "text"`, `watson add`), in CPU seconds against the same hello Typer app. Context, not a
    budget: they are installed into a virtual environment of their own under _work."""
    venv = WORK / "context-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([PY, "-m", "venv", str(venv)], check=True)
        installed = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "jrnl", "td-watson"],
            capture_output=True,
            text=True,
        )
        if installed.returncode != 0:
            out(f"(jrnl and Watson could not be installed here: {installed.stderr.strip()[-200:]})")
            out()
            return
    home = WORK / "context-home"
    shutil.rmtree(home, ignore_errors=True)
    (home / ".config" / "jrnl").mkdir(parents=True)
    (home / ".config" / "jrnl" / "jrnl.yaml").write_text(
        JRNL_CONFIG.replace("{journal}", str(home / "journal.txt"))
    )
    cenv = {
        **env,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "WATSON_DIR": str(home / "watson"),
    }
    cases: dict[str, Case] = {
        TYPER_FLOOR: ([PY, str(HERE / "hello_typer.py"), "hello"], cenv, None),
        'jrnl "text"': ([str(venv / "bin" / "jrnl"), "session notes for P-0042"], cenv, None),
        "watson add": (
            [str(venv / "bin" / "watson"), "add", "-f", "10:00", "-t", "11:00", "mesotherapy"],
            cenv,
            None,
        ),
    }
    res = timed(cases, 7)
    hello = res[TYPER_FLOOR][1]
    out("## Context: other command-line loggers (median of 7 runs, CPU seconds)")
    out()
    out("| command | median wall s | median CPU s | x hello Typer app (CPU) |")
    out("|---|---|---|---|")
    for name, (wall, cpu, _) in res.items():
        out(f"| {name} | {wall:.3f} | {cpu:.3f} | {cpu / hello:.2f} |")
    out()


def instructions_section(out, env, data, one, small, restore_chart, size) -> None:  # type: ignore[no-untyped-def]
    out(
        f"## Instructions executed (valgrind callgrind, one run each: repeatable to 0.1 %; {size} x 20)"
    )
    out()
    subprocess.run(
        [*MESOLOG, *data, "due"], env=env, check=True, capture_output=True, cwd=WORK
    )  # warm the cache
    counted = instructions(
        {
            **startup_cases(env, data, one, small, restore_chart),
            "Rich floor (draw rows)": ([PY, str(HERE / "rich_floor.py"), str(size)], env, None),
            **{
                f"{name}, nothing changed": ([*MESOLOG, *data, *argv], env, None)
                for name, argv in CLINIC_WIDE.items()
            },
        }
    )
    hello, rich = counted[TYPER_FLOOR], counted["Rich floor (draw rows)"]
    out("| command | instructions (millions) | ratio | budget |")
    out("|---|---|---|---|")
    for name, n in counted.items():
        if name.startswith("mesolog"):
            ratio, limit, floor = (
                n / counted[floor_of(name) or TYPER_FLOOR],
                1.05,
                floor_of(name) or TYPER_FLOOR,
            )
        elif name.startswith(("report", "patient list")):
            ratio, limit, floor = n / rich, 1.3, "Rich floor"
        elif "nothing changed" in name:
            ratio, limit, floor = n / hello, 3.3, "hello app"
        elif name == ADD_CHART:
            out(
                f"| {name} | {n / 1e6:,.0f} | {n / counted[ADD_FLOOR]:.2f}x {ADD_FLOOR} | reference |"
            )
            continue
        else:
            out(f"| {name} | {n / 1e6:,.0f} | {n / hello:.2f}x hello app | |")
            continue
        out(
            f"| {name} | {n / 1e6:,.0f} | {ratio:.2f}x {floor} | <= {limit} {'ok' if ratio <= limit else 'OVER'} |"
        )
    out()


def merge_section(out, env, repeats: int) -> None:  # type: ignore[no-untyped-def]
    """`mesolog merge-chart` against a plain `git merge-file` of the same three files (a line
    merge, which here stops at a conflict: both sides appended a session 21)."""
    from merge_case import write

    base, ours, theirs = write(WORK / "merge")
    original = ours.read_bytes()
    result = WORK / "merge" / "result.toml"

    def fresh() -> None:
        result.write_bytes(original)

    # Both write their result into a fresh copy of ours, as git's %A.
    commands = {
        "mesolog merge-chart": [
            *MESOLOG,
            "merge-chart",
            str(base),
            str(result),
            str(theirs),
            "patients/P-00001.toml",
        ],
        "git merge-file": ["git", "merge-file", str(result), str(base), str(theirs)],
    }
    walls: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, cmd in commands.items():
            fresh()
            start = time.perf_counter()
            proc = subprocess.Popen(
                cmd, env=env, cwd=WORK, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            _, _, usage = os.wait4(proc.pid, 0)
            walls[name].append(time.perf_counter() - start)
            cpus[name].append(usage.ru_utime + usage.ru_stime)
    ours_s, git_s = (statistics.median(walls[k]) for k in commands)
    ours_cpu, git_cpu = (statistics.median(cpus[k]) for k in commands)
    sys.path.insert(0, str(HERE.parent))
    from mesolog.store.merge import merge_chart_texts

    texts = [p.read_text() for p in (base, ours, theirs)]
    start = time.perf_counter()
    for _ in range(20):
        merge_chart_texts(*texts, path="P-00001.toml")
    in_process = (time.perf_counter() - start) / 20
    out(f"## Merging a 20-session chart (median of {repeats} runs, side by side)")
    out()
    out("| command | wall s | ratio | CPU s | ratio |")
    out("|---|---|---|---|---|")
    out(
        f"| git merge-file (line merge; stops at a conflict here) | {git_s:.3f} | floor | {git_cpu:.3f} | floor |"
    )
    out(
        f"| mesolog merge-chart (both sessions kept, renumbered) | {ours_s:.3f} | {ours_s / git_s:.1f}x "
        f"| {ours_cpu:.3f} | {ours_cpu / max(git_cpu, 0.001):.1f}x |"
    )
    out()
    out(
        "merge-chart's wall time includes the fsync of its atomic write (git merge-file does not sync); "
        "CPU time leaves the disk out."
    )
    out(f"The merge itself, in process: {1000 * in_process:.1f} ms; the rest is Python's start-up.")
    out()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="500 x 20, fewer repeats, no growth series"
    )
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument(
        "--only",
        choices=("startup", "wide", "instructions", "merge"),
        help="run one section; results are printed, not written",
    )
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    size = 500 if args.quick else 2000
    startup_repeats = args.repeats or (7 if args.quick else 15)
    wide_repeats = args.repeats or (3 if args.quick else 5)
    lines: list[str] = []

    def out(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    big = clinic(size, 20)
    cache = WORK / f"cache-{size}"
    env = environment(cache)
    data = ["--data-dir", str(big)]
    one = "P-00001"
    small, restore_chart = add_clinic()

    out("# mesolog benchmarks")
    out()
    out(f"Machine: {machine()}")
    out()
    where = subprocess.run(
        [PY, "-c", "import mesolog; print(mesolog.__file__)"],
        cwd=WORK,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    out(
        f"Measuring the mesolog installed at {Path(where).parent} (benchmark from `pip install .`, not an editable install)."
    )
    out()
    if args.only in (None, "startup"):
        out(f"## Start-up (median of {startup_repeats} runs, side by side; ratios in CPU seconds)")
        out()
        res = timed(
            {
                **startup_cases(env, data, one, small, restore_chart),
                "python -c pass": ([PY, "-c", "pass"], env, None),
                "python: import Rich's console and table": (
                    [PY, "-c", "import rich.console, rich.table"],
                    env,
                    None,
                ),
            },
            startup_repeats,
        )
        out("| command | median wall s | median CPU s | floor | x floor (CPU) | budget | peak MB |")
        out("|---|---|---|---|---|---|---|")
        for name, (wall, cpu, peak) in res.items():
            floor = floor_of(name)
            if name == ADD_CHART:
                ratio = cpu / res[ADD_FLOOR][1]
                out(
                    f"| {name} | {wall:.3f} | {cpu:.3f} | {ADD_FLOOR} | {ratio:.2f} | reference | {peak:.0f} |"
                )
                continue
            if floor is None:
                out(f"| {name} | {wall:.3f} | {cpu:.3f} | | | | {peak:.0f} |")
                continue
            ratio = cpu / res[floor][1]
            out(
                f"| {name} | {wall:.3f} | {cpu:.3f} | {floor} | {ratio:.2f} | <= 1.05 {'ok' if ratio <= 1.05 else 'OVER'} | {peak:.0f} |"
            )
        out()
        shaped, ours, hello, least = (
            res[ADD_FLOOR][1],
            res["mesolog add (all options)"][1],
            res[TYPER_FLOOR][1],
            res[ADD_CHART][1],
        )
        rich_import = res["python: import Rich's console and table"][1] - res["python -c pass"][1]
        out(
            f"Typer's own cost of add's 26 options: {1000 * (shaped - hello):+.0f} ms CPU over the hello app; "
            f"mesolog add beyond that app: {1000 * (ours - shaped):+.0f} ms ({ours / shaped:.2f}x it). "
            f"Importing Rich alone: {1000 * rich_import:.0f} ms ({rich_import / hello:.2f}x the hello app)."
        )
        out()
        out(
            f"The least any add could cost (the add-shaped app reading the chart and writing it back): "
            f"{least / shaped:.2f}x the add floor, {1000 * (least - shaped):+.0f} ms; it leaves "
            f"{1000 * (1.05 * shaped - least):+.0f} ms ({100 * (1.05 - least / shaped):+.1f} % of the floor) "
            f"of the 1.05x budget for everything else (validation, the lock, the trail, our modules); "
            f"mesolog add beyond it: {1000 * (ours - least):+.0f} ms ({ours / least:.2f}x it)."
        )
        out()
        out(
            "Our modules whose import takes over 2 ms (self time, benchmarks/import_times.py, median of 3):"
        )
        out()
        for name, (cmd, cenv, before) in startup_cases(
            env, data, one, small, restore_chart
        ).items():
            if floor_of(name) is None:
                continue
            if callable(before):
                before()
            slow = our_slow_imports(cmd, cenv)
            out(f"- {name}: " + (", ".join(f"{m} {ms:.1f} ms" for m, ms in slow) or "none"))
        out()
        context_section(out, env)
    if args.only in (None, "instructions") and shutil.which("valgrind"):
        instructions_section(out, env, data, one, small, restore_chart, size)
    if args.only in (None, "merge"):
        merge_section(out, env, startup_repeats)
    if args.only in ("startup", "instructions", "merge"):
        return

    out(f"## Clinic-wide on {size} x 20 (median of {wide_repeats} runs, side by side)")
    out()
    if size != 2000:
        out(
            "The budgets are set for 2,000 x 20; on a smaller clinic mesolog's fixed start-up weighs more "
            "against the floors, so the verdicts here are only indicative."
        )
        out()

    def drop_cache() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    subprocess.run(
        [*MESOLOG, *data, "due"], env=env, check=True, capture_output=True, cwd=WORK
    )  # warm the cache
    cases: dict[str, Case] = {
        "hello Typer app": ([PY, str(HERE / "hello_typer.py"), "hello"], env, None),
        "bare tomllib parse loop": ([PY, str(HERE / "bare_parse.py"), str(big)], env, None),
        "Rich floor (draw rows)": ([PY, str(HERE / "rich_floor.py"), str(size)], env, None),
    }
    for name, argv in CLINIC_WIDE.items():
        cases[f"{name}, nothing changed"] = ([*MESOLOG, *data, *argv], env, None)
    cases["due, everything changed (no cache)"] = ([*MESOLOG, *data, "due"], env, drop_cache)
    # check reads and validates every chart whatever the cache holds, and finds the line of
    # each problem: a cold clinic-wide command (DESIGN: within 1.2x a bare parse loop).
    cases["check (every chart read, validated and located)"] = (
        [*MESOLOG, *data, "check"],
        env,
        None,
    )
    res = side_by_side(cases, wide_repeats)
    hello, bare, rich = (
        res[k][0] for k in ("hello Typer app", "bare tomllib parse loop", "Rich floor (draw rows)")
    )
    out("| command | median s | ratio | budget | peak MB |")
    out("|---|---|---|---|---|")
    for name, (wall, peak) in res.items():
        if name in ("hello Typer app", "bare tomllib parse loop", "Rich floor (draw rows)"):
            out(f"| {name} | {wall:.3f} | floor | | {peak:.0f} |")
        elif name.startswith("check"):
            out(
                f"| {name} | {wall:.3f} | {wall / bare:.2f}x bare loop | <= 1.2 {'ok' if wall / bare <= 1.2 else 'OVER'} | {peak:.0f} |"
            )
        elif "everything changed" in name:
            out(
                f"| {name} | {wall:.3f} | {wall / bare:.2f}x bare loop | <= 0.3 {'ok' if wall / bare <= 0.3 else 'OVER'} | {peak:.0f} |"
            )
        elif name.startswith(("report", "patient list")):
            out(
                f"| {name} | {wall:.3f} | {wall / rich:.2f}x Rich floor | <= 1.3 {'ok' if wall / rich <= 1.3 else 'OVER'} | {peak:.0f} |"
            )
        else:
            out(
                f"| {name} | {wall:.3f} | {wall / hello:.2f}x hello app | <= 3.3 {'ok' if wall / hello <= 3.3 else 'OVER'} | {peak:.0f} |"
            )
    out()
    drop_cache()
    together = all_processes_memory([*MESOLOG, *data, "due"], env)
    out(
        f"Peak memory MB is that of the largest process; a rebuild with no cache also runs worker processes: "
        f"all of them together peaked at {together:.0f} MB (proportional set size, budget 150 MB)."
    )
    out()

    if args.only == "wide":
        return

    if not args.quick:
        out("## Growth (median of 3 runs; seconds)")
        out()
        out(
            "| patients | bare parse loop | due, no cache | due, cached | report, cached | lot, cached "
            "| peak MB (no cache, largest process) | peak MB (no cache, all processes) |"
        )
        out("|---|---|---|---|---|---|---|---|")
        for patients in (500, 1000, 2000, 4000):
            folder = clinic(patients, 20)
            gcache = WORK / f"cache-growth-{patients}"
            genv = environment(gcache)
            gdata = ["--data-dir", str(folder)]
            subprocess.run(
                [*MESOLOG, *gdata, "due"], env=genv, check=True, capture_output=True, cwd=WORK
            )

            def drop(g: Path = gcache) -> None:
                shutil.rmtree(g, ignore_errors=True)

            res = side_by_side(
                {
                    "bare": ([PY, str(HERE / "bare_parse.py"), str(folder)], genv, None),
                    "cold": ([*MESOLOG, *gdata, "due"], genv, drop),
                    "due": ([*MESOLOG, *gdata, "due"], genv, None),
                    "report": ([*MESOLOG, *gdata, "report"], genv, None),
                    "lot": ([*MESOLOG, *gdata, "lot", "L5000"], genv, None),
                },
                3,
            )
            drop()
            together = all_processes_memory([*MESOLOG, *gdata, "due"], genv)
            out(
                f"| {patients} | {res['bare'][0]:.2f} | {res['cold'][0]:.2f} | {res['due'][0]:.2f} | "
                f"{res['report'][0]:.2f} | {res['lot'][0]:.2f} | {res['cold'][1]:.0f} | {together:.0f} |"
            )
        out()
    if args.only:
        return
    (HERE / ("results-quick.md" if args.quick else "results.md")).write_text(
        "\n".join(lines) + "\n"
    )


if __name__ == "__main__":
    main()
