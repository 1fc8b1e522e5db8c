"""A remote may only add to what a chart recorded, the way mesolog's own commands do; a hand edit
committed by `sync --keep-edits` or before a chart's next change may not remove anything
(docs/sharing.md, "What a remote may bring into a chart" and "Hand edits").

Real git: a bare remote, mesolog laptops, and a plain `git clone` acting as the machine that
rewrites a chart. Every refusal is checked to leave HEAD, the work tree's bytes and modes as
they were.
"""

from __future__ import annotations

import itertools
import signal
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import mesolog_process
from test_photos import phone_jpeg
from test_sharing import ADD, Machine, git
from test_sharing import git_identity as git_identity  # autouse: a private git config per test
from test_sharing_hostile import killing_git, outsider, push, refused, state
from test_sharing_hostile import laptops as laptops  # a fixture: two synced laptops
from test_sharing_hostile import shared_clinic as shared_clinic  # the fixture behind laptops

NECROSIS = ["--add-complication", "necrosis:severe:onset=2026-01-08", "--reason", "patient called"]


def trail(machine: Machine, patient: str = "P-1", number: int = 1) -> list[dict]:  # type: ignore[type-arg]
    found = next(s for s in machine.sessions(patient) if s["id"] == number)
    return list(found.get("amendments", []))


def rewritten(tmp_path: Path, change: Callable[[str], str], patient: str = "P-1") -> None:
    """The plain clone takes what was pushed, rewrites one chart with ``change``, pushes."""
    evil = outsider(tmp_path)
    chart = evil / "patients" / f"{patient}.toml"
    chart.write_text(change(chart.read_text()))
    push(evil, "tidy")


def without_complication(text: str) -> str:
    """The complication and the amendment that recorded it cut out, the lot rewritten."""
    cut = text[: text.index("[[sessions.complications]]")]
    return cut.replace('lot = "D2411"', 'lot = "D9999"')


@pytest.mark.parametrize("merge", [False, True], ids=["fast-forward", "merge"])
def test_a_complication_and_its_trail_cut_out_on_the_remote_are_refused(
    laptops: tuple[Machine, Machine], tmp_path: Path, merge: bool
) -> None:
    a, _ = laptops
    a("amend", "P-1", "1", *NECROSIS)
    a("sync")
    rewritten(tmp_path, without_complication)
    if merge:  # a change of this laptop's own: the pull is a merge, not a fast-forward
        a("add", "P-2", *ADD, "--note", "P-2 second")
    said = refused(a, "P-1", "session 1", "nothing was merged")
    assert "removed the complication necrosis severe" in said
    assert b"necrosis" in a.chart("P-1")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda t: t.replace('lot = "D2411"', 'lot = "D9999"'), "changed substances"),
        (lambda t: t.replace("depth_mm = 1.5", "depth_mm = 4.0"), "changed depth_mm"),
        (lambda t: t.replace('notes = "P-1 first"', 'notes = "all fine"'), "changed notes"),
    ],
    ids=["lot", "depth", "notes"],
)
def test_a_recorded_field_changed_on_the_remote_without_an_amendment_is_refused(
    laptops: tuple[Machine, Machine],
    tmp_path: Path,
    change: Callable[[str], str],
    words: str,
) -> None:
    a, _ = laptops
    rewritten(tmp_path, change)
    said = refused(a, "P-1", "session 1", words, "without an amendment", "nothing was merged")
    assert "->" in said  # what it was and what the remote made of it


def test_an_amendment_reworded_on_the_remote_is_refused(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, _ = laptops
    a("amend", "P-1", "1", "--depth", "2", "--reason", "measured again")
    a("sync")
    rewritten(tmp_path, lambda t: t.replace("measured again", "as planned"))
    refused(a, "P-1", "session 1", "changed the amendment", "measured again")


def test_a_merge_conflict_dropped_on_the_remote_without_settling_it_is_refused(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, b = laptops
    a("amend", "P-1", "1", "--depth", "2", "--reason", "a")
    b("amend", "P-1", "1", "--depth", "3", "--reason", "b")
    a("sync")
    b("sync", expect=1)  # synced, with a conflict kept
    a("sync", expect=None)
    assert any(s.get("conflicts") for s in a.sessions("P-1"))

    def dropped(text: str) -> str:
        start = text.index("[[sessions.conflicts]]")
        end = text.find("\n[", start + 1)
        return text[:start] + (text[end + 1 :] if end != -1 else "")

    rewritten(tmp_path, dropped)
    refused(a, "P-1", "session 1", "merge conflict on depth_mm", "without an amendment")


def photographed(machine: Machine, tmp_path: Path, sync: bool = True) -> str:
    """A picture kept with P-1's latest session (synced); its file, relative to the data
    folder."""
    picture = phone_jpeg(tmp_path / "front.jpg")
    machine("photo", "add", "P-1", str(picture), "--view", "front", "--stage", "before")
    if sync:
        machine("sync")
    (photo,) = trail_free_photos(machine)
    return photo


def trail_free_photos(machine: Machine) -> list[str]:
    sessions = tomllib.loads(machine.chart("P-1").decode())["sessions"]
    return [p["file"] for s in sessions for p in s.get("photos", [])]


def test_a_picture_deleted_on_the_remote_is_refused_and_kept_here(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, _ = laptops
    photo = photographed(a, tmp_path)
    evil = outsider(tmp_path)
    git(evil, "rm", "-q", photo)
    push(evil, "smaller")
    refused(a, photo, "removed the picture", "nothing was merged")
    assert (a.folder / photo).is_file()


def test_a_photo_record_cut_out_on_the_remote_is_refused(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, _ = laptops
    photo = photographed(a, tmp_path)

    def cut(text: str) -> str:
        start = text.index("[[sessions.photos]]")
        end = text.find("\n[", start + 1)
        return text[:start] + (text[end + 1 :] if end != -1 else "")

    rewritten(tmp_path, cut)
    refused(a, "P-1", "session 1", f"removed the photo record {photo}")


def synced(machines: list[Machine], order: tuple[int, ...]) -> None:
    """Each machine syncs in ``order``, then all until nothing moves: never refused."""
    for n in [*order, *order]:
        said = machines[n]("sync", expect=None)
        assert "not synced" not in said.stderr, said.stderr


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_what_mesologs_own_commands_make_on_three_laptops_syncs_in_every_order(
    laptops: tuple[Machine, Machine], tmp_path: Path, order: tuple[int, ...]
) -> None:
    a, b = laptops
    c = Machine(a.run, tmp_path / "m2")
    git(tmp_path, "clone", "-q", str(tmp_path / "shared.git"), str(c.folder))
    c("init", "--git")
    # Offline on three laptops: a complication, a field amended two ways (a conflict), a void.
    a("amend", "P-1", "1", *NECROSIS)
    a("add", "P-2", *ADD, "--note", "from a")
    b("amend", "P-1", "1", "--depth", "2", "--reason", "b")
    b("void", "P-2", "1", "--reason", "wrong patient")
    c("amend", "P-1", "1", "--depth", "3", "--reason", "c")
    c("add", "P-1", *ADD, "--note", "from c")
    synced([a, b, c], order)
    # Offline again: the conflict settled, the complication taken off, the void undone, a photo.
    c("amend", "P-1", "1", "--depth", "2.5", "--reason", "settled")
    a("amend", "P-1", "1", "--remove-complication", "necrosis", "--reason", "not one")
    b("restore", "P-2", "1", "--reason", "right patient")
    photographed(b, tmp_path, sync=False)
    synced([a, b, c], order)
    assert a.charts() == b.charts() == c.charts()
    (first,) = [s for s in a.sessions("P-1") if s["id"] == 1]
    assert (
        first["depth_mm"] == 2.5 and not first.get("conflicts") and not first.get("complications")
    )


# --- hand edits -------------------------------------------------------------------------------


def second_session(a: Machine) -> None:
    a("add", "P-1", *ADD, "--note", "P-1 second")


def hand_edit(machine: Machine, change: Callable[[str], str]) -> None:
    path = machine.folder / "patients" / "P-1.toml"
    path.write_text(change(path.read_text()))


REMOVALS = [
    (lambda t: t[: t.rindex("[[sessions]]")], "removed session 2"),
    (
        lambda t: t.replace("[[sessions.amendments]]", "[[sessions.gone]]"),
        "removed the amendment",
    ),
    (
        lambda t: t.replace("[[sessions.complications]]", "[[sessions.gone]]"),
        "removed the complication necrosis",
    ),
]


@pytest.mark.parametrize(("change", "words"), REMOVALS, ids=["session", "trail", "complication"])
def test_keep_edits_refuses_a_hand_edit_that_removed_what_was_recorded(
    laptops: tuple[Machine, Machine], change: Callable[[str], str], words: str
) -> None:
    a, _ = laptops
    a("amend", "P-1", "1", *NECROSIS)
    second_session(a)
    hand_edit(a, change)
    before = state(a)
    said = a("sync", "--keep-edits", expect=1).stderr
    assert state(a) == before
    assert words in said and "nothing was changed" in said, said
    assert "mesolog git show HEAD:patients/P-1.toml" in said, said


@pytest.mark.parametrize(("change", "words"), REMOVALS, ids=["session", "trail", "complication"])
def test_the_next_change_refuses_to_commit_a_hand_edit_that_removed_what_was_recorded(
    laptops: tuple[Machine, Machine], change: Callable[[str], str], words: str
) -> None:
    a, _ = laptops
    a("amend", "P-1", "1", *NECROSIS)
    second_session(a)
    hand_edit(a, change)
    before = state(a)
    said = a("amend", "P-1", "1", "--depth", "2", "--reason", "x", expect=1).stderr
    assert state(a) == before
    assert words in said and "nothing was changed" in said, said
    assert "mesolog git show HEAD:patients/P-1.toml" in said, said


def test_a_hand_edit_that_changes_a_value_is_kept_with_an_amendment_every_laptop_takes(
    laptops: tuple[Machine, Machine],
) -> None:
    a, b = laptops
    hand_edit(a, lambda t: t.replace('notes = "P-1 first"', 'notes = "P-1 first, tolerated"'))
    a("sync", "--keep-edits")
    (note,) = trail(a)
    assert note["changes"] == ["notes: P-1 first -> P-1 first, tolerated"]
    assert "keep-edits" in note["reason"]
    assert git(a.folder, "status", "--porcelain") == ""
    b("add", "P-2", *ADD, "--note", "from b")
    b("sync")
    assert trail(b) == trail(a)


def test_the_next_change_commits_a_hand_edited_value_with_its_amendment(
    laptops: tuple[Machine, Machine],
) -> None:
    a, b = laptops
    hand_edit(a, lambda t: t.replace("depth_mm = 1.5", "depth_mm = 1.8"))
    a("amend", "P-1", "1", "--note", "checked", "--reason", "follow-up")
    first, second = trail(a)
    assert first["changes"] == ["depth_mm: 1.5 -> 1.8"] and "outside mesolog" in first["reason"]
    assert second["reason"] == "follow-up"
    assert git(a.folder, "status", "--porcelain") == ""
    a("sync")
    b("sync")
    assert trail(b) == trail(a)


def test_a_hand_edit_on_top_of_an_interrupted_change_may_not_remove_a_session_either(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, _ = laptops
    killed = mesolog_process(
        "--data-dir", str(a.folder), "add", "P-1", *ADD, env=killing_git(tmp_path, "commit")
    )
    assert killed.returncode == -signal.SIGKILL  # session 2 written, its commit never made
    hand_edit(a, lambda t: t[: t.index("[[sessions]]")] + t[t.rindex("[[sessions]]") :])
    before = state(a)
    said = a("amend", "P-1", "2", "--depth", "2", "--reason", "x", expect=1).stderr
    assert "removed session 1" in said and "nothing was changed" in said, said
    said = a("sync", "--keep-edits", expect=1).stderr
    assert "removed session 1" in said and "nothing was changed" in said, said
    assert state(a) == before


def test_a_value_from_the_remote_is_quoted_inert_and_short(
    laptops: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, _ = laptops
    rewritten(
        tmp_path,
        lambda t: t.replace('notes = "P-1 first"', 'notes = "\\u001b[2J' + "x" * 500 + '"'),
    )
    said = refused(a, "P-1", "changed notes")
    assert "\x1b" not in said and "x" * 200 not in said
