"""Import's close-id check at clinic scale: 2,000 new ids of one file against the 2,000 ids of a
clinic (both numbered, as clinics number them), and the new ids against each other. In-process
seconds, median of five runs; how many ids were found close (numbered ids that are not one
keystroke apart are not).

    python benchmarks/close_ids.py
"""

from __future__ import annotations

import statistics
import time

from mesolog.model.import_ids import NewPatient, TypoCheck, close_new_ids


def main() -> None:
    clinic = [(f"P-{n:04d}", f"Patient {n}") for n in range(1, 2001)]
    # New ids of another clinic's numbering, a few of them typos of this clinic's.
    new = [f"K-{n:04d}" for n in range(2001, 3991)] + [
        f"P-{n:04d}".replace("0", "O", 1) for n in range(1, 11)
    ]
    runs, refused, flagged = [], 0, 0
    for _ in range(5):
        start = time.perf_counter()
        check = TypoCheck(lambda: clinic, set())
        refused = sum(1 for pid in new if check.refusal(pid, None, 2))
        flagged = len(close_new_ids([NewPatient(pid, n) for n, pid in enumerate(new, 2)]))
        runs.append(time.perf_counter() - start)
    print(
        f"{len(new)} new ids against {len(clinic)}: {statistics.median(runs):.3f} s "
        f"(median of 5); {refused} refused as close to the clinic's, {flagged} new pairs flagged"
    )


if __name__ == "__main__":
    main()
