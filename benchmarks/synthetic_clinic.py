"""A synthetic clinic of N patients x K sessions with realistic fields, written through
mesolog's own store (encode_chart + atomic write), so every file is valid by construction.

    python benchmarks/synthetic_clinic.py DIR --patients 2000 --sessions 20
"""

from __future__ import annotations

import argparse
import random
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from mesolog.model import Chart, Complication, Course, Patient, Session, Substance
from mesolog.model import vocabulary as vocab
from mesolog.model.identity import derived_uid
from mesolog.store import encode_chart, make_private_dir, write_atomically

PROTOCOLS = [
    (
        "hair loss",
        ("scalp",),
        [("minoxidil 0.5%", 2.0), ("dutasteride 0.01%", 1.0), ("biotin", 1.0)],
        1.5,
        "nappage",
        14,
    ),
    (
        "cellulite",
        ("thighs", "buttocks"),
        [("phosphatidylcholine", 5.0), ("caffeine", 2.0), ("l-carnitine", 2.0)],
        6.0,
        "point-by-point",
        7,
    ),
    (
        "rejuvenation",
        ("face", "neck"),
        [("hyaluronic acid", 2.0), ("vitamin c", 1.0)],
        1.0,
        "papule",
        15,
    ),
    (
        "fat reduction",
        ("stomach", "flanks"),
        [("deoxycholate", 4.0), ("phosphatidylcholine", 4.0)],
        8.0,
        "depot",
        21,
    ),
]
COMPLICATIONS = ["bruising", "redness", "swelling", "pain", "itching"]
PRACTITIONERS = ["Dr. L. Moreau", "Dr. A. Keller", "Dr. S. Okafor"]
TZ = timezone(timedelta(hours=1))


def chart(n: int, sessions: int, rng: random.Random, today: date) -> Chart:
    indication, areas, mix, depth, method, interval = PROTOCOLS[n % len(PROTOCOLS)]
    # Most charts are finished courses from the last three years; about one in seven is under way.
    if rng.random() < 0.15:
        start = today - timedelta(days=interval * (sessions - 1) + rng.randint(0, interval + 5))
        planned = sessions + rng.randint(1, 4)
    else:
        start = today - timedelta(days=rng.randint(interval * sessions + 30, 3 * 365))
        planned = sessions
    pid = f"P-{n:05d}"
    course = Course(f"course-{start.year}", planned, interval, start, indication)
    lots = {name: f"L{rng.randint(1000, 9999)}" for name, _ in mix}
    items = []
    measure = 80.0 + rng.random() * 20
    for k in range(sessions):
        day = min(start + timedelta(days=interval * k + rng.randint(0, 3)), today)
        if rng.random() < 0.1:
            lots = {name: f"L{rng.randint(1000, 9999)}" for name, _ in mix}
        measure -= rng.random()
        items.append(
            Session(
                id=k + 1,
                date=day,
                recorded=datetime(day.year, day.month, day.day, 18, 5, tzinfo=TZ),
                # Schema 2; the uid derived (as for a migrated chart) so every run builds the same clinic.
                uid=derived_uid(
                    pid, k + 1, datetime(day.year, day.month, day.day, 18, 5, tzinfo=TZ)
                ),
                areas=areas,
                technique=rng.choice(["gun", "hand"]),
                depth_mm=depth,
                anaesthetic=rng.choice(["none", "topical cream"]),
                substances=tuple(
                    Substance(
                        name,
                        amount,
                        "ml",
                        "catalogued",
                        vocab.concentration_of(name),
                        lots[name],
                        date(2027, 6, 30),
                    )
                    for name, amount in mix
                ),
                practitioner=rng.choice(PRACTITIONERS),
                course=course.name,
                indication=indication,
                method=method,
                angle_deg=45,
                needle_gauge=30,
                needle_length_mm=4.0,
                points=rng.randint(20, 200),
                duration_min=rng.randint(15, 45),
                notes=rng.choice(
                    [
                        "",
                        "tolerated well",
                        "patient asked about [2x] dose",
                        "slight pain at the end",
                    ]
                ),
                complications=(Complication(rng.choice(COMPLICATIONS), "mild", day),)
                if rng.random() < 0.15
                else (),
                measurements={
                    "waist_cm": round(measure, 1),
                    "satisfaction_0_10": float(rng.randint(4, 10)),
                },
            )
        )
    patient = Patient(
        pid,
        datetime(start.year, start.month, start.day, 9, tzinfo=TZ),
        f"Patient {n}",
        1950 + n % 50,
        "female",
    )
    return Chart(patient, (course,), tuple(items))


def build(folder: Path, patients: int, sessions: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    make_private_dir(folder / "patients")
    today = date.today()
    for n in range(patients):
        c = chart(n, sessions, rng, today)
        write_atomically(folder / "patients" / f"{c.patient.id}.toml", encode_chart(c))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--sessions", type=int, default=20)
    args = parser.parse_args()
    build(args.folder, args.patients, args.sessions)
    print(f"{args.patients} x {args.sessions} written to {args.folder}")
