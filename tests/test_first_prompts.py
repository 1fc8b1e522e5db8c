"""The prompts as a person meets them in a real terminal (tmux): a first session asks the
method, the baseline measurements and a note; every session offers a note; Ctrl-C says that
nothing was saved; an arrow key never ends up in the chart as ``^[[A``."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest
from conftest import snapshot
from test_terminal import Terminal, terminal  # noqa: F401  (the fixture)

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux not installed")


def _answer_required(t: Terminal, area: str = "scalp") -> None:
    t.wait_for("Areas treated (comma-separated)")
    t.type(area)
    t.wait_for("Substances as NAME:AMOUNT")
    t.type("dutasteride 0.01%:1ml:LOT D1:EXP 2028-01-01")
    t.wait_for("Needle depth in mm")
    t.type("1.5")
    t.wait_for("Technique [gun/hand]")
    t.type("gun")
    t.wait_for("Anaesthetic ('none' or what was used)")
    t.type("none")


def test_a_first_session_asks_method_baseline_and_a_note(run, patient: Path, terminal) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    t = terminal("add", "P-0042", "--date", "2026-11-02")
    _answer_required(t)
    t.wait_for("Method (nappage, papule, point-by-point, depot...; blank for none):")
    t.type("nappage")
    # The course is for hair loss: the example is a hair measurement.
    t.wait_for(
        "Baseline measurements as NAME=NUMBER, ';' between several (blank if none), e.g. hair_density_per_cm2=142:"
    )
    t.type("hair_density_per_cm2=138; satisfaction_0_10=6")
    t.wait_for("Complications as NAME[:SEVERITY]")
    t.type("")
    t.wait_for("Note (blank for none):")
    t.type("first session, tolerated well")
    t.wait_for("session 1 recorded")
    assert t.exit_status() == "EXIT=0"
    s = tomllib.loads(patient.read_text())["sessions"][0]
    assert s["method"] == "nappage" and s["notes"] == "first session, tolerated well"
    assert s["measurements"] == {"hair_density_per_cm2": 138.0, "satisfaction_0_10": 6.0}


def test_every_later_session_offers_a_note(run, patient: Path, terminal) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    run(
        "add",
        "P-0042",
        "--date",
        "2026-11-02",
        "--area",
        "scalp",
        "-s",
        "minoxidil 0.5%:2ml:LOT M77",
        "--depth",
        "1.5",
        "--technique",
        "gun",
        "--anaesthetic",
        "none",
    )
    t = terminal(
        "add",
        "P-0042",
        "--date",
        "2026-11-16",
        "--area",
        "scalp",
        "-s",
        "minoxidil 0.5%:2ml:LOT M77",
        "--depth",
        "1.5",
        "--technique",
        "gun",
    )
    t.wait_for("Anaesthetic ('none' or what was used) [none]:")
    t.type("")
    t.wait_for("Complications as NAME[:SEVERITY]")
    t.type("")
    t.wait_for("Note (blank for none):")
    t.type("scalp a little red")
    t.wait_for("session 2 recorded")
    assert t.exit_status() == "EXIT=0"
    assert tomllib.loads(patient.read_text())["sessions"][1]["notes"] == "scalp a little red"


def test_ctrl_c_at_a_question_says_nothing_was_saved(  # type: ignore[no-untyped-def]
    run,
    patient: Path,
    terminal,  # noqa: F811
    data_dir: Path,
) -> None:
    before = snapshot(data_dir)
    t = terminal("add", "P-0042", "--date", "2026-11-02")
    _answer_required(t)
    t.wait_for("Method (nappage")
    t.window.keys("C-c")
    try:
        screen = t.window.wait(lambda now: "nothing was saved" in now, "the answer", timeout=30)
    except AssertionError:
        # Once (CI, three suites at once on two cores), the key never reached the terminal: the
        # screen stayed on the question, no ^C echoed. Pressed again, as a person would.
        t.window.keys("C-c")
        screen = t.wait_for("nothing was saved")
    assert "Aborted!" not in screen
    assert t.exit_status() == "EXIT=130"
    assert snapshot(data_dir) == before


def test_an_arrow_key_at_a_prompt_is_never_stored(run, patient: Path, terminal) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    t = terminal("add", "P-0042", "--date", "2026-11-02")
    t.wait_for("Areas treated (comma-separated)")
    # An arrow key the terminal sends as an escape sequence, in the middle of an answer.
    t.window.keys("scal", literal=True)
    t.window.keys("Up")
    t.window.keys("p", literal=True)
    t.window.keys("Enter")
    t.wait_for("Substances as NAME:AMOUNT")
    t.type("dutasteride 0.01%:1ml:LOT D1:EXP 2028-01-01")
    for question, answer in (
        ("Needle depth in mm", "1.5"),
        ("Technique [gun/hand]", "gun"),
        ("Anaesthetic ('none' or what was used)", "none"),
        ("Method (nappage", ""),
        ("Baseline measurements", ""),
        ("Complications as NAME", ""),
        ("Note (blank", ""),
    ):
        t.wait_for(question)
        t.type(answer)
    t.wait_for("session 1 recorded")
    assert t.exit_status() == "EXIT=0"
    text = patient.read_text()
    assert "\\u001b" not in text and "\x1b" not in text and "[A" not in text
    assert tomllib.loads(text)["sessions"][0]["areas"] == ["scalp"]


def test_an_escape_sequence_in_an_answer_is_asked_again(run, patient: Path) -> None:  # type: ignore[no-untyped-def]
    """Where there is no line editing, the arrow key arrives in the answer: refused, asked again."""
    answers = "scal\x1b[Ap\nscalp\nbiotin:1ml:LOT B1\n1.5\ngun\nnone\n\n\n\n\n"
    result = run("add", "P-0042", "--interactive", "--date", "2026-11-02", input=answers)
    assert "the answer holds a control key (scal\\x1b[Ap)" in result.stdout
    assert tomllib.loads(patient.read_text())["sessions"][0]["areas"] == ["scalp"]
