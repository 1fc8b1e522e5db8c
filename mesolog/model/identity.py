"""Session identity: ULIDs (26 characters, Crockford base32, 48-bit milliseconds + 80 bits).

A new session gets a random ULID (``new_uid``). A session of a schema-1 chart had none: it gets
one derived from (patient id, session number, recorded), so every machine that migrates the same
old chart agrees (``derived_uid``). Both sort by time, since both start with the milliseconds.
Twelve lines of code instead of a dependency: the format is small and fixed.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

# hashlib is imported where used: it loads OpenSSL (milliseconds at start-up) and only a
# schema-1 chart needs it. New uids use the system's randomness through `random`, which
# `tempfile` (every write) imports anyway; `secrets` would pull in hmac and hashlib.

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def ulid(milliseconds: int, randomness: bytes) -> str:
    """A ULID from its two parts (randomness: 10 bytes): 128 bits as 26 base32 characters (the
    top two bits of the first are always 0)."""
    value = ((milliseconds & (2**48 - 1)) << 80) | int.from_bytes(randomness[:10], "big")
    return "".join(CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def new_uid() -> str:
    """A fresh ULID for a session recorded now."""
    import random

    return ulid(time.time_ns() // 1_000_000, random.SystemRandom().randbytes(10))


def derived_uid(patient_id: str, number: int, recorded: datetime) -> str:
    """The uid of a schema-1 session: the same on every machine, ULID-shaped.

    A ``recorded`` without a UTC offset (a TOML local date-time) is taken from its written form
    alone, its time read as if it were UTC: ``.timestamp()`` of a naive value would use this
    machine's time zone, and two laptops in different zones would give one session two uids.
    A value with an offset is derived as it always was (uids written already stay valid)."""
    import hashlib

    digest = hashlib.sha256(f"{patient_id}\x00{number}\x00{recorded.isoformat()}".encode()).digest()
    moment = recorded if recorded.utcoffset() is not None else recorded.replace(tzinfo=UTC)
    return ulid(max(0, int(moment.timestamp() * 1000)), digest)
