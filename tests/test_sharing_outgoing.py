"""Normal use never blocks a clinic: what one laptop pushes, every other laptop's sync takes
(docs/sharing.md, "What a remote may bring into a chart", "Hand edits" and "What a laptop
pushes").

Real git: a bare remote and two laptops made with `mesolog init --git`.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from pathlib import Path

from test_sharing import ADD, Machine, git
from test_sharing import git_identity as git_identity  # autouse: a private git config per test
from test_sharing_hostile import laptops as laptops  # a fixture: two synced laptops
from test_sharing_hostile import refused, state
from test_sharing_hostile import shared_clinic as shared_clinic  # the fixture behind laptops


def substances(machine: Machine, patient: str, number: int) -> list[dict]:  # type: ignore[type-arg]
    chart = tomllib.loads(machine.chart(patient).decode())
    found = next(s for s in chart["sessions"] if s["id"] == number)
    return list(found["substances"])


def trail(machine: Machine, patient: str = "P-1", number: int = 1) -> list[dict]:  # type: ignore[type-arg]
    found = next(s for s in machine.sessions(patient) if s["id"] == number)
    return list(found.get("amendments", []))


def test_a_product_retyped_where_the_catalogue_lacks_it_keeps_its_category_and_syncs(
    laptops: tuple[Machine, Machine],
) -> None:
    a, b = laptops
    b("config", "set", "products", "peptide mix")
    b("config", "set", "products.peptide mix", "peptide")
    session = [*ADD]
    session[session.index("dutasteride 0.01%:1ml:LOT D2411")] = "peptide mix:2ml:LOT PX1"
    b("add", "P-2", *session, "--note", "peptide")
    b("sync")
    # The laptops share one config file here: a's catalogue lacks the word once it is gone.
    Path(os.environ["MESOLOG_CONFIG"]).unlink()
    a("sync")
    assert substances(a, "P-2", 2)[0]["category"] == "peptide"
    a(
        "amend",
        "P-2",
        "2",
        "--substance",
        "#1=peptide mix:2ml:LOT PX1",
        "--note",
        "x",
        "--reason",
        "y",
    )
    assert substances(a, "P-2", 2)[0]["category"] == "peptide"
    a("sync")
    b("sync")
    assert substances(b, "P-2", 2) == substances(a, "P-2", 2)


def test_a_category_changed_alone_on_the_remote_is_no_change_and_never_a_python_repr(
    laptops: tuple[Machine, Machine],
) -> None:
    a, b = laptops
    chart = a.folder / "patients" / "P-1.toml"
    text = chart.read_text()
    assert 'category = "' in text
    start = text.index('category = "')
    end = text.index('"', start + len('category = "'))
    chart.write_text(text[:start] + 'category = "uncatalogued' + text[end:])
    git(a.folder, "commit", "-q", "-am", "category by hand")
    git(a.folder, "push", "-q", "origin", "HEAD:main")
    done = b("sync", expect=None)
    assert "Substance(" not in done.stderr, done.stderr
    assert done.exit_code == 0, done.stderr


def test_a_concentration_changed_alone_on_the_remote_is_refused_in_the_trails_words(
    laptops: tuple[Machine, Machine],
) -> None:
    a, b = laptops
    chart = a.folder / "patients" / "P-1.toml"
    text = chart.read_text()
    assert 'concentration = "0.01%"' in text
    chart.write_text(text.replace('concentration = "0.01%"', 'concentration = "0.05%"', 1))
    git(a.folder, "commit", "-q", "-am", "concentration by hand")
    git(a.folder, "push", "-q", "origin", "HEAD:main")
    said = refused(b, "changed substances of session 1 of P-1")
    assert "Substance(" not in said, said
    assert (
        "dutasteride 0.01% 1ml lot D2411 (0.01%) -> dutasteride 0.01% 1ml lot D2411 (0.05%)" in said
    )


def test_checks_advice_for_a_hand_edit_is_the_command_every_laptop_then_takes(
    laptops: tuple[Machine, Machine],
) -> None:
    a, b = laptops
    chart = a.folder / "patients" / "P-1.toml"
    chart.write_text(chart.read_text().replace("depth_mm = 1.5", "depth_mm = 1.8"))
    said = a("check", expect=None).output
    assert "changed outside mesolog" in said, said
    assert "mesolog sync --keep-edits" in said and "git commit" not in said, said
    a("sync", "--keep-edits")
    b("sync")
    (note,) = trail(b)
    assert note["changes"] == ["depth_mm: 1.5 -> 1.8"]


def committed_by_hand(machine: Machine, change: Callable[[str], str], patient: str = "P-1") -> None:
    """A hand edit of a chart committed with `mesolog git commit`, skipping mesolog's checks."""
    chart = machine.folder / "patients" / f"{patient}.toml"
    chart.write_text(change(chart.read_text()))
    machine("git", "commit", "-q", "-am", "tidied by hand")


def test_a_value_committed_by_hand_is_pushed_with_its_amendment_and_every_laptop_takes_it(
    laptops: tuple[Machine, Machine],
) -> None:
    a, b = laptops
    committed_by_hand(a, lambda t: t.replace("depth_mm = 1.5", "depth_mm = 1.8"))
    said = a("sync").output
    assert "changed outside mesolog" in said, said
    (note,) = trail(a)
    assert note["changes"] == ["depth_mm: 1.5 -> 1.8"] and note["by"] == "(changed outside mesolog)"
    assert git(a.folder, "status", "--porcelain") == ""
    b("sync")
    assert trail(b) == trail(a)
    assert b.sessions("P-1")[0]["depth_mm"] == 1.8


def test_a_removal_committed_by_hand_is_never_pushed_and_the_refusal_says_how_to_put_it_back(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, b = laptops
    a("add", "P-1", *ADD, "--note", "P-1 second")
    a("sync")
    pushed = git(tmp_path / "shared.git", "rev-parse", "main")
    committed_by_hand(a, lambda t: t[: t.rindex("[[sessions]]")])
    before = state(a)
    said = a("sync", expect=1).stderr
    assert state(a) == before
    assert git(tmp_path / "shared.git", "rev-parse", "main") == pushed
    assert "removed session 2 from the chart of P-1" in said, said
    assert "mesolog git show " in said and "mesolog git checkout " in said, said
    assert "nothing was pulled or pushed" in said and "Traceback" not in said, said
    # The advice, followed, puts it back: then the laptop syncs and the others take it.
    base = said.split("mesolog git checkout ", 1)[1].split(" ", 1)[0]
    a("git", "checkout", base, "--", "patients/P-1.toml")
    a("git", "commit", "-q", "-m", "session 2 put back")
    a("sync")
    b("sync")
    assert [s["id"] for s in b.sessions("P-1")] == [1, 2]
