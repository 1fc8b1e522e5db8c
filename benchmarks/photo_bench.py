"""`mesolog photo add` of a 12-megapixel JPEG against Pillow's own open-and-save of the same
file, side by side in one run, as medians of repeated whole-process runs; and the start-up of
`add` with zones (which must import neither Pillow nor the map code).

    python benchmarks/photo_bench.py [--repeats N]

Writes benchmarks/results-photos.md.
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
PY = sys.executable
ADD = [
    "--date",
    "2026-11-02",
    "--area",
    "scalp",
    "--substance",
    "dutasteride 0.01%:1ml:LOT D2411",
    "--depth",
    "1.5",
    "--technique",
    "gun",
    "--anaesthetic",
    "none",
    "--no-input",
]


def phone_photo(path: Path) -> None:
    """A 4000 x 3000 JPEG as a phone writes it: texture (so it compresses like a photo, about
    4 MB), EXIF with GPS, camera and capture time."""
    from PIL import Image

    noise = Image.effect_noise((4000, 3000), 40).convert("RGB")
    gradient = Image.linear_gradient("L").resize((4000, 3000)).convert("RGB")
    image = Image.blend(noise, gradient, 0.6)
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "PhoneMaker", "Phone 12", 1
    exif.get_ifd(0x8825).update({1: "N", 2: (40.0, 25.0, 1.5), 3: "W", 4: (3.0, 42.0, 7.0)})
    exif.get_ifd(0x8769)[0x9003] = "2026:11:02 10:15:00"
    image.save(path, "JPEG", quality=92, exif=exif.tobytes())


def run_once(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(
            f"{' '.join(cmd)} failed: {proc.stderr.read().decode()[-400:] if proc.stderr else ''}"
        )
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mesolog-photo-bench-"))
    try:
        photo = work / "IMG_0001.jpg"
        phone_photo(photo)
        data = work / "data"
        env = {
            **os.environ,
            "MESOLOG_DATA_DIR": str(data),
            "MESOLOG_CONFIG": str(work / "config.toml"),
            "MESOLOG_CACHE_DIR": str(work / "cache"),
        }
        subprocess.run([PY, "-m", "mesolog", "init"], env=env, check=True, capture_output=True)
        subprocess.run(
            [PY, "-m", "mesolog", "patient", "new", "P-1"], env=env, check=True, capture_output=True
        )
        subprocess.run(
            [PY, "-m", "mesolog", "add", "P-1", *ADD], env=env, check=True, capture_output=True
        )
        pillow = [
            PY,
            "-c",
            "import sys; from PIL import Image, ImageOps; "
            "im = ImageOps.exif_transpose(Image.open(sys.argv[1])); im.save(sys.argv[2], 'JPEG', quality=92, optimize=True)",
            str(photo),
            str(work / "pillow.jpg"),
        ]
        ours = [
            PY,
            "-m",
            "mesolog",
            "photo",
            "add",
            "P-1",
            "1",
            str(photo),
            "--view",
            "front",
            "--stage",
            "before",
        ]
        hello = [PY, "-c", "pass"]
        add_plain = [PY, "-m", "mesolog", "add", "P-1", *ADD]
        add_zones = [*add_plain, "--zone", "scalp/vertex:20:1", "--zone", "scalp/frontal:15:0.5"]
        floor = [
            PY,
            str(HERE / "typer_add_floor.py"),
            "add",
            "P-1",
            *ADD,
            "--zone",
            "scalp/vertex:20:1",
            "--zone",
            "scalp/frontal:15:0.5",
        ]
        chart = data / "patients" / "P-1.toml"
        kept = chart.read_bytes()  # each timed run starts from the same chart
        times: dict[str, list[tuple[float, float]]] = {
            k: [] for k in ("pillow", "ours", "python", "add", "zones", "floor")
        }
        for _ in range(args.repeats):  # interleaved: the machine's load falls on both alike
            times["python"].append(run_once(hello, env))
            times["pillow"].append(run_once(pillow, env))
            shutil.rmtree(data / "photos", ignore_errors=True)
            chart.write_bytes(kept)
            times["ours"].append(run_once(ours, env))
            times["floor"].append(run_once(floor, env))
            chart.write_bytes(kept)
            times["add"].append(run_once(add_plain, env))
            chart.write_bytes(kept)
            times["zones"].append(run_once(add_zones, env))
        median = {
            k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
            for k, v in times.items()
        }
        # add with zones must not import Pillow or the map drawing.
        imported = subprocess.run(
            [*add_zones[:1], "-X", "importtime", *add_zones[1:]],
            env=env,
            capture_output=True,
            text=True,
        )
        heavy = [
            line.split("|")[-1].strip()
            for line in imported.stderr.splitlines()
            if "PIL" in line or "render.pictures" in line or "store.photos" in line
        ]
        lines = [
            "# photo add, measured",
            "",
            f"A 4000 x 3000 JPEG ({photo.stat().st_size / 1e6:.1f} MB, EXIF with GPS), medians of {args.repeats} "
            "whole-process runs, interleaved, CPU seconds (user + system) and wall seconds.",
            "",
            "| run | wall s | CPU s |",
            "| --- | --- | --- |",
            f"| python -c pass | {median['python'][0]:.3f} | {median['python'][1]:.3f} |",
            f"| Pillow: open, exif_transpose, save JPEG q92 | {median['pillow'][0]:.3f} | {median['pillow'][1]:.3f} |",
            f"| mesolog photo add (read, check, strip, save, hash, chart) | {median['ours'][0]:.3f} | {median['ours'][1]:.3f} |",
            "",
            f"photo add / Pillow's own: {median['ours'][1] / median['pillow'][1]:.2f}x CPU, "
            f"{median['ours'][0] / median['pillow'][0]:.2f}x wall.",
            "",
            "`add` start-up (each run records a session), same medians:",
            "",
            "| run | wall s | CPU s |",
            "| --- | --- | --- |",
            f"| Typer app shaped like add (does nothing) | {median['floor'][0]:.3f} | {median['floor'][1]:.3f} |",
            f"| mesolog add | {median['add'][0]:.3f} | {median['add'][1]:.3f} |",
            f"| mesolog add with two --zone | {median['zones'][0]:.3f} | {median['zones'][1]:.3f} |",
            "",
            f"add with zones / add: {median['zones'][1] / median['add'][1]:.2f}x CPU; "
            f"add with zones / its floor: {median['zones'][1] / median['floor'][1]:.2f}x CPU.",
            "",
            "Modules of Pillow, the photo store or the map drawing imported by `add --zone`: "
            + (", ".join(heavy) if heavy else "none")
            + ".",
            "",
        ]
        text = "\n".join(lines)
        (HERE / "results-photos.md").write_text(text)
        print(text)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
