"""Writes the demo clinic in examples/clinic through mesolog's own core API, so every file is
valid by construction. Run from the repository root: python examples/make_clinic.py"""

from __future__ import annotations

import hashlib
import itertools
import shutil
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from mesolog import model
from mesolog.model import Patient, Session
from mesolog.model.identity import ulid
from mesolog.store import Clinic

HERE = Path(__file__).parent / "clinic"
TZ = timezone(timedelta(hours=1))
SERIAL = itertools.count(1)


def at(day: str, hour: int = 18) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=TZ)


def session(day: str, **fields: object) -> Session:
    # Schema 2: a uid per session, made from the day and a counter so the demo is the same at
    # every regeneration (a real `add` makes a random one).
    serial = next(SERIAL)
    uid = ulid(int(at(day).timestamp() * 1000), hashlib.sha256(f"demo-{serial}".encode()).digest())
    base: dict[str, object] = {
        "id": 0,
        "date": date.fromisoformat(day),
        "recorded": at(day),
        "uid": uid,
    }
    return Session(**{**base, **fields})  # type: ignore[arg-type]


def substances(*specs: str) -> tuple[model.Substance, ...]:
    return tuple(model.substance(spec)[0] for spec in specs)


def build(folder: Path = HERE) -> Clinic:
    if folder.exists():
        shutil.rmtree(folder)
    clinic = Clinic(folder)

    # 1. Hair loss on the scalp: minoxidil and a dutasteride cocktail, every two weeks.
    clinic.new_patient(
        Patient(
            id="P-0042",
            created=at("2026-09-28", 10),
            name="Ana Ruiz",
            birth_year=1986,
            sex="female",
            phone="+34 600 000 000",
            email="ana@example.org",
        ),
        (model.make_course("hair-2026", 6, 14, date(2026, 9, 28), "hair loss"),),
    )
    density = [138.0, 141.0, 147.0, 152.0]
    for n, day in enumerate(["2026-09-28", "2026-10-12", "2026-10-26", "2026-11-09"]):
        clinic.add_session(
            "P-0042",
            session(
                day,
                areas=("scalp",),
                technique="gun",
                method="nappage",
                depth_mm=1.5,
                angle_deg=45,
                needle_gauge=32,
                needle_length_mm=4.0,
                points=120,
                anaesthetic="none",
                practitioner="Dr. L. Moreau",
                course="hair-2026",
                indication="hair loss",
                duration_min=25,
                substances=substances(
                    "minoxidil 0.5%:2ml:LOT MX2409:EXP 2027-06-30",
                    "dutasteride 0.01%:1ml:LOT D2411:EXP 2027-03-31",
                    "biotin:1ml:LOT B553",
                ),
                measurements={"hair_density_per_cm2": density[n], "satisfaction_0_10": 6.0 + n},
                consent="form 2026-09-28" if n == 0 else None,
                notes="[2x] shedding reported before the course" if n == 0 else "",
            ),
        )

    # 2. Cellulite of the thighs: six weekly sessions, measurements shrinking; course complete.
    clinic.new_patient(
        Patient(
            id="P-0107",
            created=at("2026-08-03", 9),
            name="Marta Lind",
            birth_year=1979,
            sex="female",
            phone="+46 70 123 45 67",
        ),
        (model.make_course("cellulite-2026", 6, 7, date(2026, 8, 3), "cellulite"),),
    )
    thigh = [61.0, 60.4, 59.8, 59.1, 58.7, 58.2]
    waist = [82.5, 82.0, 81.4, 81.0, 80.2, 79.9]
    for n in range(6):
        day = (date(2026, 8, 3) + timedelta(days=7 * n)).isoformat()
        clinic.add_session(
            "P-0107",
            session(
                day,
                areas=("thighs", "buttocks"),
                technique="gun",
                method="point-by-point",
                depth_mm=6.0,
                needle_gauge=30,
                needle_length_mm=13.0,
                anaesthetic="none",
                practitioner="Dr. L. Moreau",
                course="cellulite-2026",
                indication="cellulite",
                duration_min=35,
                substances=substances(
                    "phosphatidylcholine:5ml:LOT PC7781:EXP 2027-01-31",
                    "caffeine:2ml:LOT CF220",
                    "l-carnitine:2ml:LOT LC90",
                ),
                measurements={
                    "thigh_cm": thigh[n],
                    "waist_cm": waist[n],
                    "satisfaction_0_10": 5.0 + n * 0.8,
                },
                complications=(model.Complication("pain", "mild", outcome="resolved"),)
                if n == 0
                else (),
            ),
        )

    # 3. Facial rejuvenation with hyaluronic acid; a bruise reported at follow-up, resolved.
    clinic.new_patient(
        Patient(
            id="P-0213",
            created=at("2026-10-01", 9),
            name="Sofia Berg",
            birth_year=1971,
            sex="female",
            email="sofia.berg@example.org",
            note="prefers morning appointments",
        ),
        (model.make_course("face-2026", 4, 15, date(2026, 10, 1), "rejuvenation"),),
    )
    for n, day in enumerate(["2026-10-01", "2026-10-16", "2026-10-31"]):
        clinic.add_session(
            "P-0213",
            session(
                day,
                areas=("face", "neck"),
                technique="hand",
                method="papule",
                depth_mm=1.0,
                angle_deg=30,
                needle_gauge=32,
                needle_length_mm=4.0,
                points=60,
                anaesthetic="topical cream",
                practitioner="Dr. A. Keller",
                course="face-2026",
                indication="rejuvenation",
                duration_min=30,
                substances=substances(
                    "hyaluronic acid:2ml:LOT HA5521:EXP 2027-09-30", "vitamin c:1ml:LOT VC12"
                ),
                measurements={
                    "wrinkle_severity_wsrs": [3.0, 3.0, 2.0][n],
                    "satisfaction_0_10": [6.0, 7.0, 8.0][n],
                },
            ),
        )
    bruise = model.Complication(
        "bruising", "mild", date(2026, 10, 17), date(2026, 10, 23), "resolved", "patient"
    )
    clinic.amend(
        "P-0213",
        2,
        lambda s: replace(s, complications=(*s.complications, bruise)),
        "Dr. A. Keller",
        "bruise on the left cheek reported at the follow-up call",
    )
    return clinic


if __name__ == "__main__":
    print(f"demo clinic written to {build().data_dir}")
