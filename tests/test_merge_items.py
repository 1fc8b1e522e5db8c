"""Two laptops changing different products of one session: merged product by product.

Real git (a bare remote and two clones, the real CLI and the real merge driver), then
properties of the pure merge (docs/chart-merge.md).
"""

from __future__ import annotations

import tempfile
import tomllib
from dataclasses import replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from conftest import Run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_sharing import (
    Machine,
    Simulated,
    clinic_of,
    copy_of_clinic,
    private_git,
    sync_until_quiet,
)

from mesolog.model import merging
from mesolog.store import Clinic, read_chart_file

TWO_PRODUCTS = [
    "--date",
    "2026-01-05",
    "--area",
    "scalp",
    "--substance",
    "biotin:1ml:LOT B100",
    "--substance",
    "dutasteride 0.01%:1ml:LOT D2411",
    "--depth",
    "1.5",
    "--technique",
    "gun",
    "--anaesthetic",
    "none",
    "--practitioner",
    "Dr. L. Moreau",
    "--no-input",
]


@pytest.fixture(autouse=True)
def git_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    private_git(tmp_path, monkeypatch)


def two_laptops(run: Run, tmp_path: Path) -> tuple[Machine, Machine]:
    """Laptops A and B, both holding P-0042 with one session of two products."""
    a, b = clinic_of(run, tmp_path, 2)
    a("patient", "new", "P-0042")
    a("add", "P-0042", *TWO_PRODUCTS)
    a("sync")
    b("sync")
    return a, b


def settle_both(a: Machine, b: Machine) -> None:
    a("sync", expect=None)
    b("sync", expect=None)
    a("sync")
    b("sync")
    assert a.chart("P-0042") == b.chart("P-0042")


def only_session(machine: Machine) -> dict[str, Any]:
    (session,) = machine.sessions("P-0042")
    return session


def test_corrections_of_two_products_of_one_session_both_stay_without_a_conflict(
    run: Run, tmp_path: Path
) -> None:
    a, b = two_laptops(run, tmp_path)
    a("amend", "P-0042", "1", "--substance", "#1=biotin:1ml:LOT B200", "--reason", "lot misread")
    b("amend", "P-0042", "1", "--substance", "#2=dutasteride 0.01%:2ml:LOT D2411", "--reason", "2")
    assert a("sync").exit_code == 0
    synced = b("sync")
    assert synced.exit_code == 0, synced.stderr
    assert "changed two ways" not in synced.stderr + synced.stdout
    settle_both(a, b)
    session = only_session(a)
    assert "conflicts" not in session
    first, second = session["substances"]
    assert (first["name"], first["lot"], first["amount"]) == ("biotin", "B200", 1.0)
    assert (second["name"], second["lot"], second["amount"]) == ("dutasteride 0.01%", "D2411", 2.0)
    assert sorted(x["reason"] for x in session["amendments"]) == ["2", "lot misread"]
    a("check")
    b("check")


def test_the_same_field_of_the_same_product_two_ways_is_a_conflict_amend_settles(
    run: Run, tmp_path: Path
) -> None:
    a, b = two_laptops(run, tmp_path)
    a("amend", "P-0042", "1", "--substance", "#2=dutasteride 0.01%:1ml:LOT D1", "--reason", "a")
    b("amend", "P-0042", "1", "--substance", "#2=dutasteride 0.01%:1ml:LOT D2", "--reason", "b")
    # And a change each side made to product 1 alone (both kept).
    a("amend", "P-0042", "1", "--substance", "#1=biotin:3ml:LOT B100", "--reason", "amount")
    a("sync")
    conflicted = b("sync", expect=1)
    assert "substances.2.lot was changed two ways" in conflicted.stderr
    assert "mesolog amend" in conflicted.stderr
    settle_both_despite_conflict(a, b)
    session = only_session(b)
    assert [c["field"] for c in session["conflicts"]] == ["substances.2.lot"]
    conflict = session["conflicts"][0]
    assert {conflict["kept"], conflict["other"]} == {'"D1"', '"D2"'}
    assert session["substances"][0]["amount"] == 3.0  # the other product's change is in
    assert session["substances"][1]["lot"] in {"D1", "D2"}
    found = b("check", expect=1)
    assert "merge conflict: substances.2.lot was changed two ways" in found.stdout
    assert "mesolog amend P-0042 1" in found.stdout
    b("amend", "P-0042", "1", "--substance", "#2=dutasteride 0.01%:1ml:LOT D2", "--reason", "ok")
    b("check")
    settle_both(a, b)
    session = only_session(a)
    assert "conflicts" not in session and session["substances"][1]["lot"] == "D2"
    assert "merge conflict on substances.2.lot settled" in session["amendments"][-1]["changes"][-1]


def test_a_lot_removed_on_one_laptop_and_changed_on_the_other_reads_the_same_everywhere(
    run: Run, tmp_path: Path
) -> None:
    """The removed side has no value to write: the conflict says "none", in the same bytes on
    both laptops (each runs the merge in a process of its own)."""
    a, b = two_laptops(run, tmp_path)
    chart = a.folder / "patients" / "P-0042.toml"  # a hand edit: the lot was never on the vial
    chart.write_text(chart.read_text().replace('lot = "D2411"\n', ""))
    b("amend", "P-0042", "1", "--substance", "#2=dutasteride 0.01%:1ml:LOT D9", "--reason", "b")
    a("sync", "--keep-edits")
    b("sync", expect=1)
    settle_both_despite_conflict(a, b)
    assert b"<object" not in a.chart("P-0042")
    (conflict,) = only_session(a)["conflicts"]
    assert conflict["field"] == "substances.2.lot"
    assert {conflict["kept"], conflict["other"]} == {"none", '"D9"'}
    a("amend", "P-0042", "1", "--substance", "#2=dutasteride 0.01%:1ml:LOT D9", "--reason", "ok")
    a("check")


def settle_both_despite_conflict(a: Machine, b: Machine) -> None:
    a("sync")
    b("sync")
    assert a.chart("P-0042") == b.chart("P-0042")


def test_a_product_added_at_the_end_and_a_correction_of_another_both_land(
    run: Run, tmp_path: Path
) -> None:
    a, b = two_laptops(run, tmp_path)
    a("amend", "P-0042", "1", "--substance", "#1=biotin:1ml:LOT B200", "--reason", "lot")
    b("amend", "P-0042", "1", "--substance", "vitamin c:1ml:LOT VC1", "--reason", "forgotten")
    a("sync")
    synced = b("sync")
    assert "changed two ways" not in synced.stdout + synced.stderr
    settle_both(a, b)
    session = only_session(a)
    assert "conflicts" not in session
    assert [(p["name"], p.get("lot")) for p in session["substances"]] == [
        ("biotin", "B200"),
        ("dutasteride 0.01%", "D2411"),
        ("vitamin c", "VC1"),
    ]
    assert sorted(x["reason"] for x in session["amendments"]) == ["forgotten", "lot"]
    a("check")
    assert "P-0042" in a("lot", "VC1").stdout and "P-0042" in b("lot", "B200").stdout


def test_two_different_products_added_at_the_end_are_one_conflict_on_the_list(
    run: Run, tmp_path: Path
) -> None:
    """Which would go first, and are they two vials or one typed two ways? Positions no longer
    say: the whole list, by the ordinary rule, both lists kept."""
    a, b = two_laptops(run, tmp_path)
    a("amend", "P-0042", "1", "--substance", "vitamin c:1ml:LOT VC1", "--reason", "a")
    b("amend", "P-0042", "1", "--substance", "vitamin c:1ml:LOT VC2", "--reason", "b")
    a("sync")
    conflicted = b("sync", expect=1)
    assert "substances was changed two ways" in conflicted.stderr
    settle_both_despite_conflict(a, b)
    (conflict,) = only_session(a)["conflicts"]
    assert conflict["field"] == "substances"
    assert "VC1" in conflict["kept"] + conflict["other"]
    assert "VC2" in conflict["kept"] + conflict["other"]


# --- the pure merge ------------------------------------------------------------------------------

LOTS = st.sampled_from([None, "L1", "L2"])
AMOUNTS = st.sampled_from([1.0, 2.0])
PRODUCT = st.fixed_dictionaries({"name": st.sampled_from(["biotin", "ha"]), "amount": AMOUNTS})


def _product(name: str, amount: float, lot: str | None) -> dict[str, Any]:
    return {"name": name, "amount": amount, **({"lot": lot} if lot else {})}


ADDED = st.lists(st.builds(_product, st.sampled_from(["ha", "vc"]), AMOUNTS, LOTS), max_size=2)


@st.composite
def three_versions(draw: st.DrawFn) -> tuple[list[dict[str, Any]], ...]:
    """Base, ours and theirs: each side changing fields of the products (and now and then
    replacing a product by another, or giving two products one name), and adding products at
    the end (now and then the same ones as the other side)."""
    names = draw(st.lists(st.sampled_from(["biotin", "ha", "dut"]), min_size=1, max_size=3))
    base = [_product(name, 1.0, draw(LOTS)) for name in names]

    def side() -> list[dict[str, Any]]:
        out = []
        for item in base:
            name = item["name"] if draw(st.integers(0, 4)) else draw(st.sampled_from(["x", "y"]))
            out.append(_product(name, draw(AMOUNTS), draw(LOTS)))
        return out

    ours, theirs = side(), side()
    added = draw(ADDED)
    return base, ours + added, theirs + (added if draw(st.booleans()) else draw(ADDED))


def _by_place(versions: tuple[list[dict[str, Any]], ...]) -> bool:
    """The rule of docs/chart-merge.md, written again: the base's products at their places in
    both sides, products added at the end by one side (or the same by both), no name twice."""
    base, ours, theirs = versions
    count = len(base)
    added = ours[count:] or theirs[count:]
    if ours[count:] and theirs[count:] and ours[count:] != theirs[count:]:
        return False
    names = [[item["name"] for item in v[:count]] for v in versions]
    merged = names[0] + [item["name"] for item in added]
    return names[0] == names[1] == names[2] and len(set(merged)) == len(merged)


@given(versions=three_versions(), keep_ours=st.booleans())
def test_products_merge_field_by_field_lose_nothing_and_are_symmetric(
    versions: tuple[list[dict[str, Any]], ...], keep_ours: bool
) -> None:
    base, ours, theirs = versions
    wrap = [{"substances": v} for v in versions]
    merged, clashes = merging.merge_values(*wrap, keep_ours)
    swapped, swapped_clashes = merging.merge_values(wrap[0], wrap[2], wrap[1], not keep_ours)
    assert merged == swapped
    assert clashes == swapped_clashes
    noted = {c.field: c for c in clashes}
    if not _by_place(versions):
        # Places do not say which product is which: the whole list, by the ordinary rule.
        value, clash = merging.three_way(base, ours, theirs)
        assert merged["substances"] == (value if not clash else (ours if keep_ours else theirs))
        assert [c.field for c in clashes] == (["substances"] if clash else [])
        return
    for n, (b, o, t) in enumerate(zip(base, ours, theirs, strict=False), start=1):
        item = merged["substances"][n - 1]
        for key in ("name", "amount", "lot"):
            bv, ov, tv = (x.get(key) for x in (b, o, t))
            if ov == tv or tv == bv:
                assert item.get(key) == ov
            elif ov == bv:
                assert item.get(key) == tv
            else:
                clash = noted[f"substances.{n}.{key}"]
                assert {clash.kept, clash.other} == {
                    ov if ov is not None else merging.ABSENT,
                    tv if tv is not None else merging.ABSENT,
                }
                assert item.get(key) in (ov, tv)
    assert all(c.field != "substances" for c in clashes)
    # What one side added at the end follows, whole; nothing else is added.
    assert merged["substances"][len(base) :] == (ours[len(base) :] or theirs[len(base) :])


NAMES = ["biotin", "dutasteride 0.01%", "minoxidil 0.5%", "hyaluronic acid", "vitamin c"]


@st.composite
def reshuffled_against_edited(draw: st.DrawFn) -> tuple[list[dict[str, Any]], ...]:
    """Base; one side that reordered the products, or removed one and added a product the
    session did not hold; the other side with any edit (fields changed, a product replaced,
    added or removed). Products may share a name (two lots of one product)."""
    count = draw(st.integers(1, 4))
    base = [
        _product(draw(st.sampled_from(NAMES[:3])), draw(AMOUNTS), draw(LOTS)) for _ in range(count)
    ]
    if draw(st.booleans()):
        moved = draw(st.permutations(base))
    else:
        gone = draw(st.integers(0, count - 1))
        kept = [item for at, item in enumerate(base) if at != gone]
        new = _product(draw(st.sampled_from(NAMES[3:])), draw(AMOUNTS), draw(LOTS))
        moved = [*kept, new] if draw(st.booleans()) else [new, *kept]
    edited = [
        _product(
            item["name"] if draw(st.integers(0, 3)) else draw(st.sampled_from(NAMES)),
            draw(AMOUNTS),
            draw(LOTS),
        )
        for item in base
    ]
    edited = edited[: draw(st.integers(0, count))] + draw(
        st.lists(st.builds(_product, st.sampled_from(NAMES), AMOUNTS, LOTS), max_size=1)
    )
    return base, moved, edited


@settings(max_examples=300)
@given(versions=reshuffled_against_edited(), moved_is_ours=st.booleans(), keep=st.booleans())
def test_a_reorder_or_remove_and_add_never_merges_into_a_list_nobody_had(
    versions: tuple[list[dict[str, Any]], ...], moved_is_ours: bool, keep: bool
) -> None:
    """Every product of the merged session is a product of base, ours or theirs, whole; none is
    held twice unless a version held it twice; in both merge orders (docs/chart-merge.md)."""
    base, moved, edited = versions
    ours, theirs = (moved, edited) if moved_is_ours else (edited, moved)
    for o, t, keep_ours in ((ours, theirs, keep), (theirs, ours, not keep)):
        merged, clashes = merging.merge_values(
            {"substances": base}, {"substances": o}, {"substances": t}, keep_ours
        )
        result = merged.get("substances", [])
        for item in result:
            assert item in base or item in o or item in t, (item, clashes)
        whole = [merging.canonical(v) for v in (base, o, t)]
        if merging.canonical(result) not in whole:
            # Only a merge place by place may mix: the base's products at their places in both.
            count = len(base)
            assert [i["name"] for i in base] == [i["name"] for i in o[:count]]
            assert [i["name"] for i in base] == [i["name"] for i in t[:count]]
        for item in result:
            assert result.count(item) <= max(v.count(item) for v in (base, o, t))


def test_the_demo_chart_case_keeps_every_product_and_lot_finds_it(run: Run, tmp_path: Path) -> None:
    """Laptop A takes minoxidil off and adds hyaluronic acid at the end of P-0042's first
    session; laptop B corrects product 2's lot: biotin must not vanish, nor dutasteride twice."""
    examples = Path(__file__).resolve().parent.parent / "examples" / "clinic"
    a, b = clinic_of(run, tmp_path, 2, seed=examples)
    a("amend", "P-0042", "1", "--remove-substance", "minoxidil 0.5%", "--reason", "not given")
    a("amend", "P-0042", "1", "--substance", "hyaluronic acid:1ml:LOT H1", "--reason", "forgot")
    b("amend", "P-0042", "1", "--substance", "#2=dutasteride 0.01%:1ml:LOT D7", "--reason", "lot")
    a("sync")
    conflicted = b("sync", expect=1)
    assert "substances was changed two ways" in conflicted.stderr
    settle_both_despite_conflict(a, b)
    session = a.sessions("P-0042")[0]
    products = [(p["name"], p.get("lot")) for p in session["substances"]]
    assert products in (
        [("dutasteride 0.01%", "D2411"), ("biotin", "B553"), ("hyaluronic acid", "H1")],
        [("minoxidil 0.5%", "MX2409"), ("dutasteride 0.01%", "D7"), ("biotin", "B553")],
    )
    assert [c["field"] for c in session["conflicts"]] == ["substances"]
    assert "B553" in a("lot", "B553").stdout
    assert "P-0042" in a("lot", "B553").stdout


# --- random histories: each laptop corrects its own field of one product ------------------------

# Laptop n's corrections touch only its own (product, field): the lot of product 1, the amount
# of product 2, the lot of product 2. Depth is changed by any laptop (a conflict there is fair).
OWN = [(0, "lot"), (1, "amount"), (1, "lot")]
HISTORY = st.lists(
    st.tuples(
        st.sampled_from(["correct", "correct", "depth", "sync", "sync"]),
        st.integers(0, 2),  # laptop
        st.sampled_from([1.0, 2.0, 3.0]),  # an amount or a depth
    ),
    min_size=1,
    max_size=14,
)


def _start(clinic: Clinic) -> None:
    from mesolog.model import Patient, Session, Substance, now

    clinic.new_patient(Patient(id="P-0", created=now().replace(second=0)))
    draft = Session(
        id=0,
        date=date(2026, 1, 5),
        recorded=now(),
        areas=("scalp",),
        technique="gun",
        depth_mm=1.5,
        anaesthetic="none",
        substances=(Substance("biotin", 1.0, "ml", lot="B0"), Substance("ha", 1.0, "ml")),
    )
    clinic.add_session("P-0", draft)


def _correct(clinic: Clinic, n: int, value: Any, reason: str) -> None:
    product, field = OWN[n]

    def change(session):  # type: ignore[no-untyped-def]
        items = list(session.substances)
        items[product] = replace(items[product], **{field: value})
        return replace(session, substances=tuple(items))

    clinic.amend("P-0", 1, change, "Dr", reason)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=HISTORY, swaps=st.lists(st.booleans(), min_size=8, max_size=8))
def test_random_histories_of_product_corrections_lose_nothing(
    history: list[tuple[str, int, float]], swaps: list[bool]
) -> None:
    """Three laptops (the pure merge standing in for git, both orders checked by the world):
    every laptop's last correction of its own field is in the chart everywhere, and the only
    conflicts ever left are on the depth, which all of them change."""
    from mesolog.errors import MesologError

    with tempfile.TemporaryDirectory() as root:
        world = Simulated(Path(root))
        _start(world.clinics[0])
        for n in range(3):
            world.sync(n, False)
        last: dict[int, Any] = {}
        for k, (action, n, number) in enumerate(history):
            clinic = world.clinics[n]
            if action == "sync":
                world.sync(n, swaps[k % len(swaps)])
                continue
            try:
                if action == "depth":
                    clinic.amend("P-0", 1, partial(replace, depth_mm=number), "Dr", "d")
                else:
                    value: Any = number if OWN[n][1] == "amount" else f"L{k}"
                    _correct(clinic, n, value, f"c{k}")
                    last[n] = value
            except MesologError:
                pass  # the same value again: nothing to change
        for _ in range(2):
            for n in range(3):
                world.sync(n, swaps[n])
        texts = [c.patients_dir.joinpath("P-0.toml").read_text() for c in world.clinics]
        assert texts[0] == texts[1] == texts[2]
        read_chart_file(world.clinics[0].patients_dir / "P-0.toml")
        (session,) = tomllib.loads(texts[0])["sessions"]
        assert {c["field"] for c in session.get("conflicts", [])} <= {"depth_mm"}
        for n, value in last.items():
            product, field = OWN[n]
            assert session["substances"][product][field] == value


def test_a_product_merged_field_by_field_keeps_its_comments_when_the_session_is_rebuilt(
    tmp_path: Path,
) -> None:
    """Both sides also changed the depth two ways, so the session's text is rebuilt around the
    conflict: the product holding one side's lot and the other's amount is still written from
    the versions' own lines (its comment stays), and either order gives the same bytes."""
    from mesolog.store.merge import merge_chart_texts

    clinic = Clinic(tmp_path / "data")
    clinic.ensure_folders()
    _start(clinic)
    chart = clinic.patients_dir / "P-0.toml"
    head, second = chart.read_text().rsplit("[[sessions.substances]]", 1)
    second = second.replace('unit = "ml"\n', 'unit = "ml"\n# the vial from the fridge\n')
    base = f"{head}[[sessions.substances]]{second}"
    ours = f"{head}[[sessions.substances]]{second}".replace("depth_mm = 1.5", "depth_mm = 2.0")
    ours = ours.replace('name = "ha"\n', 'name = "ha"\nlot = "H9"\n')
    theirs = f"{head}[[sessions.substances]]{second.replace('amount = 1.0', 'amount = 2.0')}"
    theirs = theirs.replace("depth_mm = 1.5", "depth_mm = 3.0")
    one = merge_chart_texts(base, ours, theirs, str(chart))
    other = merge_chart_texts(base, theirs, ours, str(chart))
    assert one.text == other.text
    assert "# the vial from the fridge" in one.text
    (session,) = tomllib.loads(one.text)["sessions"]
    assert [c["field"] for c in session["conflicts"]] == ["depth_mm"]
    product = session["substances"][1]
    assert (product["name"], product["lot"], product["amount"]) == ("ha", "H9", 2.0)
    chart.write_text(one.text)
    read_chart_file(chart)


def test_zones_merge_item_by_item_like_products() -> None:
    def zone(name: str, points: int, amount: float) -> dict[str, Any]:
        return {"area": "scalp", "zone": name, "points": points, "amount": amount}

    base = {"zones": [zone("vertex", 40, 1.5), zone("crown", 20, 1.0)]}
    ours = {"zones": [zone("vertex", 45, 1.5), zone("crown", 20, 0.5)]}
    theirs = {"zones": [zone("vertex", 40, 2.0), zone("crown", 25, 1.0)]}
    merged, clashes = merging.merge_values(base, ours, theirs, True)
    assert merged["zones"] == [zone("vertex", 45, 2.0), zone("crown", 25, 0.5)]
    assert clashes == []
    moved = {"zones": [zone("temples", 40, 1.5), zone("crown", 20, 1.0)]}
    merged, clashes = merging.merge_values(base, moved, theirs, False)
    assert [c.field for c in clashes] == ["zones"]
    assert merged["zones"] == theirs["zones"]
    # A zone added at the end on one side, others corrected on the other: both, in either order.
    added = {"zones": [*base["zones"], zone("x", 1, 1)]}
    for one, other, keep in ((ours, added, True), (added, ours, False)):
        merged, clashes = merging.merge_values(base, one, other, keep)
        assert merged["zones"] == [*ours["zones"], zone("x", 1, 1)] and clashes == []
    # Two different zones added at the end: which is which is no longer sure, the whole list.
    other = {"zones": [*base["zones"], zone("y", 1, 1)]}
    merged, clashes = merging.merge_values(base, added, other, True)
    assert [c.field for c in clashes] == ["zones"] and merged["zones"] == added["zones"]


# --- the same through real git: clones, `amend --substance "#N=..."`, `sync` and the driver ----

CLI_HISTORY = st.lists(
    st.tuples(
        st.sampled_from(["correct", "correct", "sync"]),
        st.integers(0, 2),  # laptop
        st.sampled_from([2, 3, 4]),  # an amount
    ),
    min_size=1,
    max_size=8,
)


@pytest.fixture
def three_laptops(run: Run, tmp_path: Path) -> Path:
    """A bare repository and three synced clones holding P-0042 with a session of two products
    (made once for all the examples of the property, which copy it)."""
    root = tmp_path / "start"
    machines = clinic_of(run, root, 3)
    machines[0]("patient", "new", "P-0042")
    machines[0]("add", "P-0042", *TWO_PRODUCTS)
    for machine in machines:
        machine("sync")
    return root


def _correct_by_cli(machine: Machine, n: int, k: int, amount: int) -> Any:
    """Laptop n's correction of its own field, as a practitioner types it (the other fields of
    the product as this laptop holds them): the value written."""
    product, field = OWN[n]
    now = only_session(machine)["substances"][product]
    lot = f"L{k}" if field == "lot" else now["lot"]
    size = amount if field == "amount" else now["amount"]
    typed = f"#{product + 1}={now['name']}:{size:g}ml:LOT {lot}"
    done = machine("amend", "P-0042", "1", "--substance", typed, "--reason", f"c{k}", expect=None)
    return (lot if field == "lot" else float(size)) if done.exit_code == 0 else None


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(history=CLI_HISTORY)
def test_random_histories_of_product_corrections_through_real_git(
    run: Run, three_laptops: Path, history: list[tuple[str, int, int]]
) -> None:
    """Each laptop corrects only its own field of one product; after syncing until quiet the
    charts agree byte for byte, hold every laptop's last correction, and no conflict is left."""
    with tempfile.TemporaryDirectory() as root:
        machines = copy_of_clinic(three_laptops, Path(root), run, 3)
        last: dict[int, Any] = {}
        for k, (action, n, amount) in enumerate(history):
            if action == "sync":
                machines[n]("sync", expect=None)
            elif (value := _correct_by_cli(machines[n], n, k, amount)) is not None:
                last[n] = value
        sync_until_quiet(machines)
        charts = [m.chart("P-0042") for m in machines]
        assert charts[0] == charts[1] == charts[2]
        session = only_session(machines[0])
        assert "conflicts" not in session
        for n, value in last.items():
            product, field = OWN[n]
            assert session["substances"][product][field] == value
        machines[0]("check")


# --- what a conflict on products says ------------------------------------------------------------


def test_a_conflict_on_the_products_says_which_product_and_field_differ(
    run: Run, tmp_path: Path
) -> None:
    """Not both whole lists as TOML on one line: the product, the field, the two values, in
    `sync`'s sentence, `check` and `report ID`; the chart still holds both lists whole."""
    a, b = two_laptops(run, tmp_path)
    a("amend", "P-0042", "1", "--substance", "#1=biotin:1ml:LOT B200", "--reason", "lot")
    a("amend", "P-0042", "1", "--substance", "vitamin c:1ml:LOT VC1", "--reason", "a")
    b("amend", "P-0042", "1", "--substance", "vitamin c:1ml:LOT VC2", "--reason", "b")
    a("sync")
    said = b("sync", expect=1).stderr
    settle_both_despite_conflict(a, b)
    (conflict,) = only_session(a)["conflicts"]
    kept_first = "B200" in conflict["kept"]  # which side is kept is the merge's choice
    lots = ("B200", "B100") if kept_first else ("B100", "B200")
    vials = ("VC1", "VC2") if kept_first else ("VC2", "VC1")
    words = (
        f"#1 biotin: lot {lots[0]} kept, {lots[1]} also recorded; "
        f"#3 vitamin c: lot {vials[0]} kept, {vials[1]} also recorded"
    )
    assert f"session 1: substances was changed two ways ({words})" in said
    assert "{name" not in said and len(said) < 400
    found = a("check", expect=1).stdout
    assert f"merge conflict: substances was changed two ways on two machines ({words})" in found
    shown = b("report", "P-0042").stderr
    assert f"session 1 still has a merge conflict on substances ({words})" in shown
    # Nothing lost: the chart holds both lists whole, as it did.
    both = conflict["kept"] + conflict["other"]
    assert all(lot in both for lot in ("B100", "B200", "VC1", "VC2", "D2411"))


def test_the_words_of_a_conflict_on_a_list_of_products_or_zones() -> None:
    def product(name: str, lot: str) -> dict[str, Any]:
        return {"name": name, "amount": 1.0, "unit": "ml", "lot": lot}

    kept = [product("biotin", "B2"), product("dutasteride 0.01%", "D1"), product("vc", "V1")]
    other = [product("minoxidil 0.5%", "M1"), product("biotin", "B1"), kept[1]]
    assert merging.two_values("substances", merging.literal(kept), merging.literal(other)) == (
        "minoxidil 0.5% 1 ml lot M1 also recorded, not in the version kept; "
        "#1 biotin: lot B2 kept, B1 also recorded; #3 vc 1 ml lot V1 kept, not in the other version"
    )
    zone = {"area": "scalp", "zone": "vertex", "points": 40, "amount": 1.5}
    assert merging.two_values("zones", merging.literal([zone]), "none") == (
        "#1 scalp/vertex points 40 amount 1.5 kept, not in the other version"
    )
    assert merging.two_values("depth_mm", "2", "3") == "2 kept, 3 also recorded"
    # A value that does not read back as a list of tables is said whole, as ever.
    assert merging.two_values("substances", "[1, 2]", '"x"') == '[1, 2] kept, "x" also recorded'
