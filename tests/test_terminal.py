"""The prompts as a person meets them: a real terminal (tmux), keys typed, screen read."""

from __future__ import annotations

import shlex
import shutil
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import FULL_ADD, Tmux, wait_until

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux not installed")


class Terminal:
    """A command in a real terminal, answered as a person would: wait for the question, type."""

    def __init__(self, window: Tmux, done: Path) -> None:
        self.window, self.done = window, done

    def wait_for(self, text: str) -> str:
        return self.window.wait(lambda screen: text in screen, repr(text))

    def type(self, keys: str) -> None:
        self.window.keys(keys, literal=True)
        self.window.keys("Enter")

    def exit_status(self) -> str:
        wait_until(
            lambda: self.done.exists() and self.done.read_text().endswith("\n"), "the command's end"
        )
        return self.done.read_text().strip()


@pytest.fixture
def terminal(data_dir: Path, tmp_path: Path, tmux):  # type: ignore[no-untyped-def]
    def open_(*args: str) -> Terminal:
        done = tmp_path / "done"
        env = f"MESOLOG_DATA_DIR={shlex.quote(str(data_dir))} MESOLOG_CONFIG={shlex.quote(str(tmp_path / 'none.toml'))}"
        # The shell stays after the command so that its last words stay on the screen until the
        # test has read them; the test's end closes the terminal (the hour only bounds a
        # terminal left behind by a test run that was killed).
        cmd = (
            f"{env} {shlex.quote(sys.executable)} -m mesolog {' '.join(shlex.quote(a) for a in args)}; "
            f"echo EXIT=$? > {shlex.quote(str(done))}; exec sleep 3600"
        )
        return Terminal(tmux(cmd), done)

    return open_


def test_prompted_session_in_a_real_terminal(run, patient: Path, terminal, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
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
    t = terminal("add", "P-0042", "--date", "2026-11-16")
    t.wait_for("Areas treated (comma-separated) [scalp]:")
    t.type("")  # accept the last area
    t.wait_for("Substances as NAME:AMOUNT")
    t.type("minoxidil 0.5%:2ml")  # no lot typed: the last one must be offered
    t.wait_for("Lot of minoxidil 0.5% (blank if unknown) [M77]:")
    t.type("")
    t.wait_for("Needle depth in mm [1.5]:")
    t.type("15")  # out of range: asked again
    t.wait_for("at most 13")
    t.type("2")
    t.wait_for("Technique [gun/hand] [gun]:")
    t.type("hand")
    t.wait_for("Anaesthetic ('none' or what was used) [none]:")
    t.type("topical")
    t.wait_for("Complications as NAME[:SEVERITY]")
    t.type("")  # none
    t.wait_for("Note (blank for none):")
    t.type("")
    screen = t.wait_for("session 2 recorded")
    assert "minoxidil 0.5% 2 ml lot M77" in screen
    assert t.exit_status() == "EXIT=0"
    s = tomllib.loads(patient.read_text())["sessions"][1]
    assert s["substances"][0]["lot"] == "M77" and s["depth_mm"] == 2.0
    assert s["technique"] == "hand" and s["anaesthetic"] == "topical cream"


def test_no_input_in_a_terminal_names_every_missing_field(
    run, patient: Path, terminal, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    t = terminal("add", "P-0042", "--no-input", "--area", "face")
    t.wait_for("missing required fields: substance, depth, technique, anaesthetic")
    assert t.exit_status() == "EXIT=2"


def test_accepting_the_default_substances_keeps_lot_and_expiry(
    run, patient: Path, terminal, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    run(
        "add",
        "P-0042",
        "--date",
        "2026-11-02",
        "--area",
        "scalp",
        "-s",
        "minoxidil 0.5%:2ml:LOT M77:EXP 2027-06-30",
        "--depth",
        "1.5",
        "--technique",
        "gun",
        "--anaesthetic",
        "none",
    )
    t = terminal("add", "P-0042", "--date", "2026-11-16")
    t.wait_for("Areas treated (comma-separated) [scalp]:")
    t.type("")
    t.wait_for("[minoxidil 0.5%:2ml:LOT M77:EXP 2027-06-30]:")
    t.type("")  # the default substances, as they were
    for question in (
        "Needle depth in mm [1.5]:",
        "Technique [gun/hand] [gun]:",
        "Anaesthetic ('none' or what was used) [none]:",
        "Complications as NAME[:SEVERITY]",
        "Note (blank for none):",
    ):
        t.wait_for(question)
        t.type("")
    t.wait_for("session 2 recorded")
    assert t.exit_status() == "EXIT=0"
    s = tomllib.loads(patient.read_text())["sessions"][1]
    assert s["substances"][0]["lot"] == "M77"
    assert str(s["substances"][0]["expiry"]) == "2027-06-30"


def test_the_config_default_never_overrides_the_patients_last_value(
    run, patient: Path, terminal, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "none.toml").write_text('anaesthetic = "none"\ntechnique = "gun"\n')
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
        "hand",
        "--anaesthetic",
        "lidocaine cream",
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
    )
    t.wait_for("Technique [gun/hand] [hand]:")  # the patient's last value, not the config's
    t.type("")
    t.wait_for("Anaesthetic ('none' or what was used) [lidocaine cream]:")
    t.type("")
    t.wait_for("Complications as NAME[:SEVERITY]")
    t.type("")
    t.wait_for("Note (blank for none):")
    t.type("")
    t.wait_for("session 2 recorded")
    assert t.exit_status() == "EXIT=0"
    s = tomllib.loads(patient.read_text())["sessions"][1]
    assert s["anaesthetic"] == "lidocaine cream" and s["technique"] == "hand"


def test_warnings_appear_right_after_the_answer_at_the_prompt(
    run, patient: Path, terminal, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    t = terminal("add", "P-0042", "--date", "2026-11-16")
    t.wait_for("Areas treated (comma-separated):")
    t.type("decolete")
    screen = t.wait_for("Substances as NAME:AMOUNT")
    assert "did you mean 'décolleté'" in screen
    t.type("hyaluronic acid:2ml:LOT H1:EXP 2028-01-01")
    t.wait_for("Needle depth in mm:")
    t.type("9")
    screen = t.wait_for("Technique [gun/hand]:")
    assert "depth 9 mm is outside what the sources describe" in screen
    # Each warning right after its answer: the area's before the substance question.
    assert (
        screen.index("décolleté") < screen.index("Substances as") < screen.index("sources describe")
    )
    t.type("hand")
    t.wait_for("Anaesthetic ('none' or what was used):")
    t.type("none")
    for question in (
        "Method (nappage, papule, point-by-point, depot...; blank for none):",
        "Baseline measurements as NAME=NUMBER",
        "Complications as NAME[:SEVERITY]",
        "Note (blank for none):",
    ):
        t.wait_for(question)
        t.type("")
    screen = t.wait_for("session 1 recorded")
    assert t.exit_status() == "EXIT=0"
    assert screen.count("did you mean 'décolleté'") == 1  # shown once, not again at the end


def test_the_prompts_offer_the_rest_of_the_last_protocol(
    run, patient: Path, terminal, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """What --like-last copies is offered at the prompt too (method, gauge, needle length...);
    '-' leaves one out this time. A complication typed without a severity gets none."""
    run(
        "add",
        "P-0042",
        "--date",
        "2026-11-02",
        "--area",
        "thighs",
        "-s",
        "PC:2ml:LOT P1",
        "--depth",
        "6",
        "--technique",
        "hand",
        "--method",
        "point-by-point",
        "--gauge",
        "30",
        "--needle-length",
        "13",
        "--anaesthetic",
        "none",
    )
    t = terminal("add", "P-0042", "--date", "2026-11-16")
    for question in (
        "Areas treated (comma-separated) [thighs]:",
        "[PC:2ml:LOT P1]:",
        "Needle depth in mm [6]:",
        "Technique [gun/hand] [hand]:",
        "Anaesthetic ('none' or what was used) [none]:",
        "Method (nappage, papule, point-by-point...) ('-' for none) [point-by-point]:",
    ):
        t.wait_for(question)
        t.type("")
    t.wait_for("Needle gauge ('-' for none) [30]:")
    t.type("-")
    t.wait_for("Needle length in mm ('-' for none) [13]:")
    t.type("")
    t.wait_for("Complications as NAME[:SEVERITY]")
    t.type("bruising:mild; swelling")
    t.wait_for("Note (blank for none):")
    t.type("")
    screen = t.wait_for("session 2 recorded")
    assert t.exit_status() == "EXIT=0"
    assert "swelling severity not recorded" in screen
    s = tomllib.loads(patient.read_text())["sessions"][1]
    assert (
        s["method"] == "point-by-point"
        and s["needle_length_mm"] == 13.0
        and "needle_gauge" not in s
    )
    assert s["complications"] == [{"name": "bruising", "severity": "mild"}, {"name": "swelling"}]


def _on_a_terminal(  # type: ignore[no-untyped-def]
    tmux, data_dir: Path, tmp_path: Path, args: list[str], piped: str, thrown: str = ">"
) -> list[str]:
    """The lines stderr shows on an 80-column terminal for ``args`` (stdout thrown away; with
    ``thrown="2>"`` stdout's, stderr thrown away), once the end of ``piped`` (the same words,
    piped) is on the screen."""
    done = tmp_path / "done"
    cmd = (
        f"MESOLOG_DATA_DIR={shlex.quote(str(data_dir))} MESOLOG_CONFIG={shlex.quote(str(tmp_path / 'none.toml'))} "
        f"{shlex.quote(sys.executable)} -m mesolog {' '.join(shlex.quote(a) for a in args)} {thrown}/dev/null; "
        f"echo EXIT=$? > {shlex.quote(str(done))}; exec sleep 3600"
    )
    window = tmux(cmd, width=80)
    end = piped[-12:]  # the sentence's end, however the terminal broke its lines
    screen = window.wait(lambda s: end in "".join(x.rstrip() for x in s.splitlines()), "the end")
    return [line.rstrip() for line in screen.splitlines() if line.strip()]


def test_a_refusal_is_wrapped_between_words_at_the_terminal_width(
    run, tmux, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """A long refusal on an 80-column terminal breaks between words, never inside one (the
    terminal would cut 'pushes' into 'p' / 'ushes'); piped, it stays one line."""
    args = ["add", "P-" + "9" * 60, "--area", "scalp", "--no-input"]  # past 80 columns
    piped = run(*args, expect=1).stderr.strip()
    assert "\n" not in piped and len(piped) > 80
    said = _on_a_terminal(tmux, data_dir, tmp_path, args, piped)
    assert len(said) > 1 and all(len(line) <= 80 for line in said)
    assert " ".join(said).split() == piped.split()  # every word whole, none cut in two


def test_a_warning_is_wrapped_between_words_at_the_terminal_width(
    run, patient: Path, tmux, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """A warning is a sentence on stderr like a refusal: wrapped between words on a terminal."""
    area = "scalp " + " ".join(["unlisted"] * 9)  # an area not in the list, past 80 columns
    args = ["add", "P-0042", "--area", area, *FULL_ADD[2:]]
    piped = next(line for line in run(*args).stderr.splitlines() if "unlisted" in line)
    assert len(piped) > 80
    said = _on_a_terminal(tmux, data_dir, tmp_path, args, piped)
    assert all(len(line) <= 80 for line in said)
    words, sentence = " ".join(said).split(), piped.split()
    starts = [i for i, word in enumerate(words) if word == sentence[0]]
    # The area's warning, every word whole and in order (none cut in two by the terminal).
    assert any(words[i : i + len(sentence)] == sentence for i in starts)


def test_the_lines_of_check_are_wrapped_between_words_at_the_terminal_width(
    run, patient: Path, tmux, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """`check`'s problems (on stdout) break between words on a terminal, never inside a word or
    a path; piped, each stays one line that grep finds whole."""
    area = "scalp " + " ".join(["unlisted"] * 9)
    run("add", "P-0042", "--area", area, *FULL_ADD[2:])
    piped = next(line for line in run("check").stdout.splitlines() if "unlisted" in line)
    assert len(piped) > 80
    said = _on_a_terminal(tmux, data_dir, tmp_path, ["check"], piped, thrown="2>")
    # The file's path alone may be longer than the terminal (which then cuts it, as it would
    # any word that long); the words after it are each whole, in order, on lines of 80 or less.
    problem = piped.split(" ", 1)[1].split()
    assert len(said) > 2 and all(len(line) <= 80 for line in said[1:])
    words = " ".join(said[1:]).split()
    starts = [i for i, word in enumerate(words) if word == problem[0]]
    assert any(words[i : i + len(problem)] == problem for i in starts)
