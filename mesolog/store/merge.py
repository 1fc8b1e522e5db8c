"""Text of a merged chart: the values come from :mod:`mesolog.model.merging`, the bytes from
the three versions.

Block by block (see :mod:`mesolog.store.chartblocks`): a block changed on one side only is taken
as that side wrote it; a block changed on both sides is merged line by line by
``git merge-file`` when the changes do not touch (so comments and unknown keys of both survive),
else rebuilt from its sides' lines, key by key, and only where that fails written afresh. Every
block, and the whole, is read back and must hold exactly the merged values (docs/chart-merge.md).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mesolog.errors import CannotMerge
from mesolog.model import merging
from mesolog.model.merging import ABSENT, FieldClash
from mesolog.store.chartblocks import Block, cut, schema1_uid, schema_of, upgraded
from mesolog.store.layout import toml_lines

MERGE_AUTHOR = "mesolog merge"


@dataclass
class MergedChart:
    text: str
    clashes: list[str] = field(default_factory=list)  # one sentence per field changed two ways


# --- line merge ---------------------------------------------------------------------------------


def merge_lines(base: str, ours: str, theirs: str, union: bool = False) -> str | None:
    """git's own three-way line merge (``git merge-file``); None when both sides changed the
    same lines. ``union``: where they did, keep both sides' lines, ``ours`` first (the caller
    orders the sides, so either machine gets the same bytes, and checks the values)."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory(prefix="mesolog-merge-") as folder:
        paths = [Path(folder) / name for name in ("ours", "base", "theirs")]
        for path, text in zip(paths, (ours, base, theirs), strict=True):
            path.write_bytes(text.encode("utf-8"))
        try:
            done = subprocess.run(
                ["git", "merge-file", "-p", *(["--union"] if union else []), *paths],
                capture_output=True,
                check=False,
            )
        except FileNotFoundError:
            raise CannotMerge("git is not installed, and a chart merge needs it") from None
    # The exit status is the number of conflicts (never 0 with a conflict left in the text).
    return done.stdout.decode("utf-8") if done.returncode == 0 else None


# --- one block ------------------------------------------------------------------------------------


def _values(block: Block) -> dict[str, Any]:
    try:
        return block.data()
    except (tomllib.TOMLDecodeError, KeyError, IndexError, TypeError) as error:
        raise CannotMerge(f"a [{block.name}] table does not read as TOML ({error})") from None


def _own(block: Block) -> str:
    """The block's header and its own keys (without its sub-tables)."""
    return cut(block.text, block.name)[0]


_KEY_LINE = re.compile(r'^[ \t]*("[^"]*"|\'[^\']*\'|[A-Za-z0-9_-]+)[ \t]*=')


def _statements(own: str) -> list[tuple[str | None, str]]:
    """The header-and-keys part as (key, text) statements; comments and blank lines have no key.
    A statement runs on over the lines of a multi-line array."""
    out: list[tuple[str | None, str]] = []
    for line in toml_lines(own):
        found = _KEY_LINE.match(line)
        if found:
            out.append((found.group(1).strip("\"'"), line))
        elif out and out[-1][0] is not None and line.strip() and not line.lstrip().startswith("#"):
            out[-1] = (out[-1][0], out[-1][1] + line)
        else:
            out.append((None, line))
    return out


def _render(name: str, array: bool, values: dict[str, Any]) -> str:
    """A table written afresh under its full header (tomli_w alone would write nested arrays of
    tables inline, or under a parent header that the chart already declares)."""
    import tomli_w

    def is_tables(value: Any) -> bool:
        return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)

    plain = {k: v for k, v in values.items() if not isinstance(v, dict) and not is_tables(v)}
    header = f"[[{name}]]" if array else f"[{name}]"
    text = f"{header}\n{tomli_w.dumps(plain)}"
    for key, value in values.items():
        if isinstance(value, dict):
            text += "\n" + _render(f"{name}.{key}", False, value)
        elif is_tables(value):
            text += "".join("\n" + _render(f"{name}.{key}", True, item) for item in value)
    return text


def _spliced_own(starts: list[tuple[str, dict[str, Any]]], merged: dict[str, Any]) -> str:
    """The header-and-keys text for ``merged``: the first of ``starts`` (text, values) as the
    frame, each key whose value differs taken from the side that has the merged value."""
    import tomli_w

    frame_text, frame_values = starts[0]
    sides = [(values, {k: t for k, t in _statements(text) if k}) for text, values in starts]

    def statement(key: str) -> str:
        """As the first side holding the merged value wrote it, else written afresh."""
        for values, statements in sides:
            if values.get(key, ABSENT) == merged[key]:
                return statements.get(key) or tomli_w.dumps({key: merged[key]})
        return tomli_w.dumps({key: merged[key]})

    out: list[tuple[str | None, str]] = []
    written: set[str] = set()
    for key, text in _statements(frame_text):
        if key is None:
            out.append((None, text))
        elif key in merged and key not in written:
            written.add(key)
            out.append(
                (key, text if frame_values.get(key, ABSENT) == merged[key] else statement(key))
            )
    extra = "".join(statement(key) for key in merged if key not in written)
    # New keys go after the last key line, before any trailing comments or blank lines.
    last = max((i for i, (k, _) in enumerate(out) if k), default=0)
    before = "".join(text for _, text in out[: last + 1])
    after = "".join(text for _, text in out[last + 1 :])
    if extra and before and not before.endswith("\n"):
        before += "\n"
    return before + extra + after


def _sub_value(sub: Block, parent: str) -> tuple[str, Any]:
    """(key, value) of a sub-table block: one item of an array of tables, or a table."""
    key = sub.name[len(parent) + 1 :]
    try:
        data = tomllib.loads(sub.text)
    except tomllib.TOMLDecodeError:
        data = None
    if data is None or "." in key:
        raise CannotMerge(f"the [{sub.name}] table does not read as TOML")
    value = data[parent][key]
    return key, (value[0] if sub.array else value)


@dataclass(frozen=True)
class Side:
    """One version of a block, cut into its own keys and its sub-tables."""

    block: Block
    values: dict[str, Any]
    own: str
    own_values: dict[str, Any]
    subs: list[tuple[str, Any, Block]]  # (key, value, block)

    @staticmethod
    def of(block: Block) -> Side:
        own, subtables = cut(block.text, block.name)
        subs = [(*_sub_value(sub, block.name), sub) for sub in subtables]
        return Side(block, _values(block), own, _values(Block(block.name, block.array, own)), subs)


def _assemble(base: Side | None, ours: Side, theirs: Side, merged: dict[str, Any]) -> str:
    """A block's text holding ``merged``, built from its versions' text."""
    name, array = ours.block.name, ours.block.array
    # The sides in a stable order (by text) so that either machine builds the same bytes.
    sides = sorted([ours, theirs], key=lambda s: s.block.text)
    frames = ([base] if base else []) + sides
    own_keys = {k for side in frames for k in side.own_values}
    own_merged = {k: v for k, v in merged.items() if k in own_keys}
    own_text = _spliced_own([(s.own, s.own_values) for s in frames], own_merged)
    if _parse_block(name, array, own_text) != own_merged:
        own_text = _render(name, array, own_merged)
    nested = {k: v for k, v in merged.items() if k not in own_keys}
    text = own_text.rstrip("\n") + "\n"
    for piece in _sub_tables(name, sides, frames, nested):
        text += "\n" + piece.rstrip("\n") + "\n"
    return text


def _sub_tables(
    name: str, sides: list[Side], frames: list[Side], nested: dict[str, Any]
) -> list[str]:
    """The texts of the merged sub-tables, in the sides' order: each one as some version wrote
    it when one holds that value, else (an item merged field by field) spliced from the
    versions' same item, else written afresh."""
    order = [k for side in sides for k, _, _ in side.subs]
    pieces: list[str] = []
    for key in sorted(nested, key=lambda k: (order.index(k) if k in order else len(order), k)):
        value = nested[key]
        texts = {
            merging.canonical(v): sub.text for side in frames for k, v, sub in side.subs if k == key
        }
        tables = isinstance(value, list) and all(isinstance(v, dict) for v in value)
        for number, item in enumerate(value if tables else [value]):
            found = texts.get(merging.canonical(item))
            if found is None and tables:
                found = _spliced_item(name, key, [_nth(s, key, number) for s in frames], item)
            pieces.append(found or _render(f"{name}.{key}", tables, item))
    return pieces


def _nth(side: Side, key: str, number: int) -> tuple[str, Any] | None:
    """(text, values) of the ``number``-th item of the array of tables ``key`` in one version."""
    items = [(sub.text, v) for k, v, sub in side.subs if k == key]
    return items[number] if number < len(items) else None


def _spliced_item(
    name: str, key: str, versions: list[tuple[str, Any] | None], item: dict[str, Any]
) -> str | None:
    """An item merged field by field (docs/chart-merge.md), written from its versions' texts so
    that their comments stay: None unless that reads back as exactly ``item``."""
    starts = [(text, values) for text, values in filter(None, versions) if isinstance(values, dict)]
    if not starts:
        return None
    text = _spliced_own(starts, item)
    try:
        back = tomllib.loads(text)[name][key]
    except (tomllib.TOMLDecodeError, KeyError, TypeError):
        return None
    return text if isinstance(back, list) and back == [item] else None


def _parse_block(name: str, array: bool, text: str) -> dict[str, Any] | None:
    try:
        return Block(name, array, text).data()
    except (tomllib.TOMLDecodeError, KeyError, IndexError, TypeError):
        return None


@dataclass
class BlockResult:
    """A merged block's text; a session's values are parsed only when asked (most blocks are
    taken whole from one side and never need them)."""

    text: str
    parsed: dict[str, Any] | None
    clashes: list[FieldClash]

    @property
    def values(self) -> dict[str, Any]:
        if self.parsed is None:
            self.parsed = _values(Block("sessions", True, self.text))
        return self.parsed


_UID = re.compile(r'(?m)^[ \t]*uid[ \t]*=[ \t]*"([0-9A-Za-z]{26})"[ \t]*$')
_NAME = re.compile(r'(?m)^[ \t]*name[ \t]*=[ \t]*"([^"\\]*)"[ \t]*$')


def merge_block(
    base: Block | None,
    ours: Block | None,
    theirs: Block | None,
    special: Callable[[str, Any, Any, Any], Any] | None = None,
    noted: bool = False,
    answered: frozenset[str] | None = None,
) -> BlockResult:
    """One table (or array item) merged: text, values and the fields changed two ways;
    ``noted``: those also recorded in the block's own ``conflicts`` (a session keeps them);
    ``answered``: the fields both sides settled, when the block does not hold its conflicts."""
    if ours is None or theirs is None or ours.text == theirs.text:
        # Changed or added on one side; a side that lacks it never deletes it (nothing lost).
        chosen = ours or theirs
        assert chosen is not None
        return BlockResult(chosen.text, None, [])
    # Changed on one side; but a side that settled a field both settled may have left it as it
    # was (the value kept was its answer), so a table whose conflicts the chart holds is merged.
    if base is not None and base.text in (ours.text, theirs.text) and not answered:
        return BlockResult(theirs.text if base.text == ours.text else ours.text, None, [])
    o, t = Side.of(ours), Side.of(theirs)
    b = Side.of(base) if base is not None else None
    keep_ours = merging.keeps_ours(o.values, t.values)
    merged, clashes = merging.merge_values(
        b.values if b else {}, o.values, t.values, keep_ours, special, answered=answered
    )
    if noted and clashes:  # the new entries are in no side's lines: the block is rebuilt
        entries = [_conflict_entry(c.field, c) for c in clashes]
        merged["conflicts"] = merging.union([], merged.get("conflicts", []), entries)
        return BlockResult(_assemble(b, o, t, merged), merged, clashes)
    # Lines merged by git when the changes do not touch; else, both sides' lines kept (two
    # machines adding keys at one place), in text order; either only if it holds the values.
    first, second = sorted([ours.text, theirs.text])
    for union in (False, True):
        text = merge_lines(base.text if base else "", first, second, union)
        if text is not None and _parse_block(ours.name, ours.array, text) == merged:
            return BlockResult(text, merged, clashes)
    return BlockResult(_assemble(b, o, t, merged), merged, clashes)


# --- the chart --------------------------------------------------------------------------------------


@dataclass
class Parts:
    preamble: str
    tables: dict[str, Block]  # [patient] and any other single table
    courses: dict[str, Block]
    sessions: dict[str, Block]
    arrays: dict[str, list[Block]]  # other arrays of tables: chart-level amendments, conflicts


def _parts(text: str, patient_id: str) -> Parts:
    preamble, blocks = cut(text)
    parts = Parts(preamble, {}, {}, {}, {})
    for block in blocks:
        if not block.array:
            if block.name in parts.tables:
                raise CannotMerge(f"the [{block.name}] table appears twice")
            parts.tables[block.name] = block
        elif block.name == "courses":
            found = _NAME.search(_own(block))
            key = (found.group(1) if found else str(_values(block).get("name", ""))).lower()
            parts.courses[key] = block
        elif block.name == "sessions":
            # The uid from its line when plainly written: parsing every block is the slow part.
            found_uid = _UID.search(_own(block))
            values = {} if found_uid else _values(block)
            uid = found_uid.group(1) if found_uid else values.get("uid")
            if not isinstance(uid, str):
                uid = schema1_uid(patient_id, values.get("id", 0), values.get("recorded"))
                if uid is None:
                    raise CannotMerge(
                        f"session {values.get('id', '?')}: recorded must be a date and time "
                        "(see `mesolog check`)"
                    )
            if uid in parts.sessions:
                raise CannotMerge(f"two sessions share the uid {uid}")
            parts.sessions[uid] = block
        else:
            parts.arrays.setdefault(block.name, []).append(block)
    return parts


def _patient_id(texts: list[str], path: str) -> str:
    for text in texts:
        found = re.search(r'(?m)^\[patient\][^\[]*?^id\s*=\s*"([^"]+)"', text)
        if found:
            return found.group(1)
    return Path(path).stem


def _created(key: str, b: Any, o: Any, t: Any) -> Any:
    # Two machines that opened the same chart: it was opened when the first one did.
    if key == "created" and o is not ABSENT and t is not ABSENT:
        return min(o, t)
    return None


def _session_number(key: str, b: Any, o: Any, t: Any) -> Any:
    if key == "id" and o != t and b not in (o, t) and ABSENT not in (o, t):
        return max(o, t)  # both renumbered it: the same rule gives the same number
    return None


# How a practitioner settles a conflict, by what it is in (the start of its sentence).
_SETTLED_BY = (
    ("session ", "a session's with `mesolog amend ID SESSION ... --reason`"),
    ("[patient]", "the patient's details with `mesolog patient edit ID --FIELD VALUE`"),
    ("course ", "a course's with `mesolog course edit ID COURSE`"),
)


def how_to_settle(clashes: list[str]) -> str:
    """The commands that settle these conflicts (sentences as ``MergedChart.clashes`` holds
    them, maybe after "P-1 "), one clause per kind present."""
    kinds = [
        how
        for start, how in _SETTLED_BY
        if any(start in clash.split(": ", 1)[0] for clash in clashes)
    ]
    return "settle " + "; ".join(kinds or [_SETTLED_BY[0][1]])


def _clash_sentence(where: str, clash: FieldClash) -> str:
    return (
        f"{where}: {clash.field} was changed two ways ("
        + merging.two_values(clash.field, merging.literal(clash.kept), merging.literal(clash.other))
        + ")"
    )


def merge_chart_texts(base: str, ours: str, theirs: str, path: str = "") -> MergedChart:
    """The merged text of three versions of a chart (``base`` may be empty: no ancestor)."""
    if ours == theirs or base == theirs:
        return MergedChart(ours)
    if base == ours:
        return MergedChart(theirs)
    patient_id = _patient_id([ours, theirs, base], path)
    base, ours, theirs = (upgraded(t, patient_id) for t in (base, ours, theirs))
    if ours == theirs:
        return MergedChart(ours)
    b, o, t = (_parts(x, patient_id) for x in (base, ours, theirs))
    _refuse_two_people(b, o, t, patient_id)
    sentences: list[str] = []
    chart_clashes: list[dict[str, Any]] = []
    out: list[str] = [_merge_preamble(b.preamble, o.preamble, t.preamble)]
    answered = merging.answered_both_ways(
        *({"conflicts": [_values(x) for x in p.arrays.get("conflicts", [])]} for p in (b, o, t))
    )

    def within(start: str) -> frozenset[str]:
        """One table's fields among them, as its merge names them ("patient.name": "name")."""
        return frozenset(f.removeprefix(start) for f in answered if f.startswith(start))

    for name in sorted(set(o.tables) | set(t.tables), key=lambda n: (n != "patient", n)):
        result = merge_block(
            b.tables.get(name),
            o.tables.get(name),
            t.tables.get(name),
            _created,
            answered=within(f"{name}."),
        )
        out.append(result.text)
        for clash in result.clashes:
            sentences.append(_clash_sentence(f"[{name}]", clash))
            chart_clashes.append(_conflict_entry(f"{name}.{clash.field}", clash))
    for key in _ordered(b.courses, o.courses, t.courses):
        result = merge_block(
            b.courses.get(key),
            o.courses.get(key),
            t.courses.get(key),
            answered=within(f"courses.{key}."),
        )
        out.append(result.text)
        for clash in result.clashes:
            sentences.append(_clash_sentence(f"course {key}", clash))
            chart_clashes.append(_conflict_entry(f"courses.{key}.{clash.field}", clash))

    sessions = _merge_sessions(b, o, t, sentences)
    out += sessions
    for name in sorted(set(o.arrays) | set(t.arrays) | ({"conflicts"} if chart_clashes else set())):
        out += _merge_array(
            name,
            b.arrays.get(name, []),
            o.arrays.get(name, []),
            t.arrays.get(name, []),
            chart_clashes if name == "conflicts" else [],
        )
    text = "\n".join(piece.rstrip("\n") + "\n" for piece in out if piece.strip())
    _check(text, path)
    return MergedChart(text, sentences)


def _refuse_two_people(base: Parts, ours: Parts, theirs: Parts, patient_id: str) -> None:
    """Two laptops that each opened a chart under one id (no common ancestor holds it) for two
    different people: never merged into one chart (one person's sessions under the other's name,
    a recall giving the wrong phone). Charts that share a session (its uid) are one patient's,
    whatever their names. ``ours`` is this laptop's chart: the one to move."""
    if "patient" in base.tables or "patient" not in ours.tables or "patient" not in theirs.tables:
        return
    here, there = (_values(p.tables["patient"]) for p in (ours, theirs))
    if merging.same_person(here, there, not ours.sessions.keys().isdisjoint(theirs.sessions)):
        return
    raise CannotMerge(
        f"{patient_id} was opened on two laptops for two different patients, {_who(here)} here "
        f"and {_who(there)} on the other, and they were not merged: move this laptop's chart to "
        f"a free id (`mesolog patient rename {patient_id} NEW-ID`), then sync again"
    )


def _who(patient: dict[str, Any]) -> str:
    """A patient as the refusal names them: "Carla Gómez" (born 1970), or "no name"."""
    name = patient.get("name")
    said = f'"{name}"' if isinstance(name, str) and name else "no name"
    year = patient.get("birth_year")
    return said + (f" (born {year})" if isinstance(year, int) else "")


def _merge_preamble(base: str, ours: str, theirs: str) -> str:
    if ours == theirs or base == theirs:
        return ours
    if base == ours:
        return theirs
    merged = merge_lines(base, ours, theirs)
    if merged is not None:
        return merged
    # Both changed the same lines (say, the schema): the newer schema, the rest from one side.
    chosen = min(ours, theirs)
    newest = max(schema_of(ours) or 0, schema_of(theirs) or 0)
    return re.sub(
        r"(?m)^(schema[ \t]*=[ \t]*)\d+", lambda m: f"{m.group(1)}{newest}", chosen, count=1
    )


def _ordered(base: dict[str, Block], ours: dict[str, Block], theirs: dict[str, Block]) -> list[str]:
    """Keys in the base's order, then new ones by name (the same on every machine)."""
    old = [k for k in base if k in ours or k in theirs]
    new = sorted((set(ours) | set(theirs)) - set(old))
    return old + new


def _conflict_entry(field_name: str, clash: FieldClash) -> dict[str, Any]:
    return {
        "field": field_name,
        "kept": merging.literal(clash.kept),
        "other": merging.literal(clash.other),
    }


def _merge_array(
    name: str,
    base: list[Block],
    ours: list[Block],
    theirs: list[Block],
    extra: list[dict[str, Any]],
) -> list[str]:
    texts = {merging.canonical(_values(x)): x.text for x in [*base, *ours, *theirs]}
    items = merging.union(
        [_values(x) for x in base], [_values(x) for x in ours], [_values(x) for x in theirs]
    )
    items += [e for e in extra if merging.canonical(e) not in {merging.canonical(i) for i in items}]
    return [texts.get(merging.canonical(i)) or _render(name, True, i) for i in items]


def _merge_sessions(b: Parts, o: Parts, t: Parts, sentences: list[str]) -> list[str]:
    results: dict[str, BlockResult] = {}
    for uid in set(o.sessions) | set(t.sessions):
        result = merge_block(
            b.sessions.get(uid), o.sessions.get(uid), t.sessions.get(uid), _session_number, True
        )
        where = f"session {result.values.get('id')}" if result.clashes else ""
        sentences += [_clash_sentence(where, c) for c in result.clashes]
        results[uid] = result
    moves = merging.renumbering(
        [
            (uid, int(r.values["id"]), _moment(r.values.get("recorded")))
            for uid, r in results.items()
        ]
    )
    for uid, (old, new) in moves.items():
        results[uid] = _renumbered(results[uid], old, new)
    order = sorted(results, key=lambda u: (int(results[u].values["id"]), u))
    return [results[uid].text for uid in order]


def _moment(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _renumbered(result: BlockResult, old: int, new: int) -> BlockResult:
    """The session under its new number, with an amendment saying so. Its time is the session's
    own recording time: derived from the inputs, so every machine writes the same amendment."""
    note = {
        "at": result.values["recorded"],
        "by": MERGE_AUTHOR,
        "reason": f"renumbered {old} -> {new} when merging",
        "changes": [f"id: {old} -> {new}"],
    }
    values = {**result.values, "id": new}
    values["amendments"] = [*values.get("amendments", []), note]
    text = re.sub(
        r"(?m)^([ \t]*id[ \t]*=[ \t]*)\d+", lambda m: f"{m.group(1)}{new}", result.text, count=1
    )
    text = text.rstrip("\n") + "\n\n" + _render("sessions.amendments", True, note)
    if _parse_block("sessions", True, text) != values:
        raise CannotMerge(f"session {old} could not be renumbered plainly")
    return BlockResult(text, values, result.clashes)


def _check(text: str, path: str) -> None:
    from mesolog.store.codec import parse_chart_text

    try:
        parse_chart_text(Path(path or "chart.toml"), text)
    except Exception as error:  # the merge must never write what mesolog cannot read
        raise CannotMerge(f"the merged chart would not read back ({error})") from None
