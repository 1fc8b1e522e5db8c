"""Corrections with a trail: what changed (old -> new), who, when and why."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import fields, replace
from datetime import date, datetime

from mesolog.errors import AlreadyRecorded, InvalidValue
from mesolog.model.records import Amendment, Complication, Conflict, Session, Substance
from mesolog.model.values import number_text, one_line


def reason_given(reason: str, done: str = "amended") -> str:
    """The reason of a correction, which the trail needs: refused when empty, in the words of
    what is done to the session (amended, voided, restored)."""
    if not reason.strip():
        raise InvalidValue("reason", reason, f"say why the session is {done}")
    return one_line(reason, "reason").strip()


def amended(
    session: Session,
    new: Session,
    at: datetime,
    by: str,
    reason: str,
    answered: Collection[str] | None = None,
) -> Session:
    """``new`` with an amendment appended that lists every changed field (old -> new).

    ``answered``: the fields the correction gives (a Session field, or ``measurements.NAME``);
    None for a change that is no typed value (void, restore): the fields it changed."""
    reason_given(reason)
    changes = describe_changes(session, new)
    # A merge's conflict on a field given now is settled: the value in force is the
    # practitioner's answer, and the trail says which conflict that closed. Only those: a
    # correction never settles (so never drops the other side's value of) a field it does not
    # name (docs/corrections.md).
    named = changed_fields(session, new) if answered is None else answered
    closing = [c for c in session.conflicts if answers(c.field, named)]
    if closing:
        from mesolog.model.merging import settled

        changes += [settled(c.field, c.kept, c.other) for c in closing]
    new = replace(new, conflicts=tuple(c for c in session.conflicts if c not in closing))
    if not changes:
        raise AlreadyRecorded(
            f"nothing would change: session {session.id} already holds these values; "
            "nothing written."
        )
    note = Amendment(at=at, by=by, reason=reason.strip(), changes=tuple(changes))
    return replace(new, amendments=(*session.amendments, note))


def changed_fields(session: Session, new: Session) -> set[str]:
    """The Session fields whose values differ between two versions of a session."""
    return {f.name for f in fields(Session) if getattr(session, f.name) != getattr(new, f.name)}


def answers(conflict: str, named: Collection[str]) -> bool:
    """Whether a correction that gives the fields ``named`` settles the conflict on ``conflict``
    (``substances`` settles ``substances.2.lot``; ``measurements.x`` only itself)."""
    return any(conflict == name or conflict.startswith(f"{name}.") for name in named)


def unsettled(patient_id: str, session: Session) -> list[str]:
    """One warning per conflict a correction left open, with the option that settles it."""
    from mesolog.model.records import TABLE

    options = {entry.name: f"{entry.spec.option} {entry.spec.metavar}" for entry in TABLE}
    return [_open_line(patient_id, session.id, c, options) for c in session.conflicts]


def _open_line(patient_id: str, number: int, conflict: Conflict, options: dict[str, str]) -> str:
    top, _, rest = conflict.field.partition(".")
    from mesolog.model.merging import SETTLING_OPTIONS, keeping, two_values

    option = SETTLING_OPTIONS.get(top) or options.get(top, "--" + top.replace("_", "-") + " ...")
    if top == "measurements" and rest:
        option = f"--measure {rest}=NUMBER"

    return (
        f"session {number} still has a merge conflict on {conflict.field} "
        f"({two_values(conflict.field, conflict.kept, conflict.other)}): "
        f"`mesolog amend {patient_id} {number} {option} --reason ...` settles it"
        f"{keeping(conflict.field)}"
    )


def recorded_by(session: Session) -> str:
    """Who recorded the session: its practitioner as it was before any correction changed it
    (empty when nobody was named). A correction of the practitioner rewrites the field but not
    who recorded it: the trail's "practitioner: old -> new" lines are read back, newest first,
    from the value now in force (a name may itself hold " -> ", so each line is read from the
    value it led to)."""
    value = value_text(session.practitioner)
    for note in reversed(session.amendments):
        for change in reversed(note.changes):
            if change.startswith("practitioner: "):
                value = _before(change.removeprefix("practitioner: "), value)
    return "" if value == value_text(None) else value


def _before(said: str, after: str) -> str:
    """The old side of "old -> new" whose new side is ``after``; a line that does not lead to
    ``after`` (a trail edited by hand) is split at its first arrow."""
    ending = f" -> {after}"
    if said.endswith(ending):
        return said.removesuffix(ending)
    return said.partition(" -> ")[0]


# What a correction never changes field by field: who the session is (id, uid, recorded),
# where it came from (source), and the trail and merge notes themselves.
NOT_DESCRIBED = frozenset({"id", "uid", "recorded", "source", "amendments", "conflicts"})
# Described after the plain fields, each in its own words (substances with their expiry, each
# complication, each measurement).
DESCRIBED_APART = ("substances", "complications", "measurements")


# The Session fields an amendment describes as "name: old -> new", in the Session's own order
# (a trail already written keeps its text; only new entries follow this order); a new Session
# field is described without being listed anywhere.
PLAIN_FIELDS = tuple(
    f.name for f in fields(Session) if f.name not in NOT_DESCRIBED | set(DESCRIBED_APART)
)


def describe_changes(old: Session, new: Session) -> list[str]:
    changes = field_changes(old, new, PLAIN_FIELDS)
    # The expiry is part of what changed: correcting a mistyped expiry is an amendment.
    old_names = [_with_expiry(s) for s in old.substances]
    new_names = [_with_expiry(s) for s in new.substances]
    if old_names != new_names:
        changes.append(f"substances: {'; '.join(old_names)} -> {'; '.join(new_names)}")
    changes += _complication_changes(old.complications, new.complications)
    for key in sorted(set(old.measurements) | set(new.measurements)):
        if old.measurements.get(key) != new.measurements.get(key):
            changes.append(
                f"measurements.{key}: {value_text(old.measurements.get(key))} -> {value_text(new.measurements.get(key))}"
            )
    return changes


def _complication_changes(
    old: tuple[Complication, ...], new: tuple[Complication, ...]
) -> list[str]:
    """Added, removed or changed complications. A removed one is written out whole, so the
    trail keeps what was charted (``report --audit`` shows it)."""
    kept = list(new)
    removed = []
    for item in old:
        if item in kept:
            kept.remove(item)
        else:
            removed.append(item)
    if removed and len(new) == len(old) - len(removed) and not kept:
        return [f"complications: removed {complication_text(item)}" for item in removed]
    changes = [
        f"complications: added {item.name} ({severity_text(item.severity)})"
        for item in new[len(old) :]
    ]
    changes += [
        f"complications: {complication_text(before)} -> {complication_text(after)}"
        for before, after in zip(old, new, strict=False)
        if before != after
    ]
    return changes


def field_changes(old: object, new: object, keys: Iterable[str], prefix: str = "") -> list[str]:
    """Each of ``keys`` that differs, as every trail writes it: ``[prefix]key: old -> new``."""
    return [
        f"{prefix}{key}: {value_text(getattr(old, key))} -> {value_text(getattr(new, key))}"
        for key in keys
        if getattr(old, key) != getattr(new, key)
    ]


def value_text(value: object) -> str:
    if value is None or value == "" or value == ():
        return "(none)"
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return number_text(value)
    return str(value)


def substance_text(item: Substance) -> str:
    """A substance as the trail writes it ("HA 2ml lot A17"): the wording of every trail so far,
    kept. Screens show amounts through values.amount_text ("2 ml")."""
    lot = f" lot {item.lot}" if item.lot else ""
    return f"{item.name} {number_text(item.amount)}{item.unit}{lot}"


def _with_expiry(item: Substance) -> str:
    return substance_text(item) + (f" exp {item.expiry.isoformat()}" if item.expiry else "")


def severity_text(severity: str | None) -> str:
    """A complication's severity as every screen, page and trail shows it."""
    return severity or "severity not recorded"


def complication_text(item: Complication) -> str:
    parts = [item.name, severity_text(item.severity)]
    if item.onset:
        parts.append(f"onset {item.onset.isoformat()}")
    if item.resolved:
        parts.append(f"resolved {item.resolved.isoformat()}")
    if item.outcome:
        parts.append(item.outcome)
    return " ".join(parts)
