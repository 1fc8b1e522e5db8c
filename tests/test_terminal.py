"""The prompts as a person meets them: a real terminal (tmux), keys typed, screen read."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux not installed")


class Terminal:
    def __init__(self, name: str, command: str) -> None:
        self.name = name
        subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "160", "-y", "50", command], check=True)

    def screen(self) -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True).stdout

    def wait_for(self, text: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.05)
        raise AssertionError(f"{text!r} never appeared; screen:\n{self.screen()}")

    def type(self, keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, "-l", keys], check=True)
        subprocess.run(["tmux", "send-keys", "-t", self.name, "Enter"], check=True)

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def exit_status(done: Path, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done.exists() and done.read_text().strip():
            return done.read_text().strip()
        time.sleep(0.05)
    raise AssertionError("the command never finished")


@pytest.fixture
def terminal(data_dir: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    opened: list[Terminal] = []

    def open_(*args: str) -> Terminal:
        done = tmp_path / "done"
        env = f"MESOLOG_DATA_DIR={shlex.quote(str(data_dir))} MESOLOG_CONFIG={shlex.quote(str(tmp_path / 'none.toml'))}"
        cmd = f"{env} {shlex.quote(sys.executable)} -m mesolog {' '.join(shlex.quote(a) for a in args)}; echo EXIT=$? > {done}; sleep 30"
        t = Terminal(f"mesolog-test-{len(opened)}-{int(time.time() * 1000) % 100000}", cmd)
        opened.append(t)
        return t

    yield open_
    for t in opened:
        t.close()


def test_prompted_session_in_a_real_terminal(run, patient: Path, terminal, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("add", "P-0042", "--date", "2026-11-02", "--area", "scalp", "-s", "minoxidil 0.5%:2ml:LOT M77",
        "--depth", "1.5", "--technique", "gun", "--anaesthetic", "none")
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
    screen = t.wait_for("session 2 recorded")
    assert "minoxidil 0.5% 2 ml lot M77" in screen
    assert exit_status(tmp_path / "done") == "EXIT=0"
    s = tomllib.loads(patient.read_text())["sessions"][1]
    assert s["substances"][0]["lot"] == "M77" and s["depth_mm"] == 2.0
    assert s["technique"] == "hand" and s["anaesthetic"] == "topical cream"


def test_no_input_in_a_terminal_names_every_missing_field(run, patient: Path, terminal, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    t = terminal("add", "P-0042", "--no-input", "--area", "face")
    t.wait_for("missing required fields: substance, depth, technique, anaesthetic")
    assert exit_status(tmp_path / "done") == "EXIT=2"


def test_accepting_the_default_substances_keeps_lot_and_expiry(run, patient: Path, terminal, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("add", "P-0042", "--date", "2026-11-02", "--area", "scalp", "-s", "minoxidil 0.5%:2ml:LOT M77:EXP 2027-06-30",
        "--depth", "1.5", "--technique", "gun", "--anaesthetic", "none")
    t = terminal("add", "P-0042", "--date", "2026-11-16")
    t.wait_for("Areas treated (comma-separated) [scalp]:")
    t.type("")
    t.wait_for("[minoxidil 0.5%:2ml:LOT M77:EXP 2027-06-30]:")
    t.type("")  # the default substances, as they were
    for question in ("Needle depth in mm [1.5]:", "Technique [gun/hand] [gun]:", "Anaesthetic ('none' or what was used) [none]:",
                     "Complications as NAME[:SEVERITY]"):
        t.wait_for(question)
        t.type("")
    t.wait_for("session 2 recorded")
    assert exit_status(tmp_path / "done") == "EXIT=0"
    s = tomllib.loads(patient.read_text())["sessions"][1]
    assert s["substances"][0]["lot"] == "M77"
    assert str(s["substances"][0]["expiry"]) == "2027-06-30"


def test_the_config_default_never_overrides_the_patients_last_value(run, patient: Path, terminal, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "none.toml").write_text('anaesthetic = "none"\ntechnique = "gun"\n')
    run("add", "P-0042", "--date", "2026-11-02", "--area", "scalp", "-s", "minoxidil 0.5%:2ml:LOT M77",
        "--depth", "1.5", "--technique", "hand", "--anaesthetic", "lidocaine cream")
    t = terminal("add", "P-0042", "--date", "2026-11-16", "--area", "scalp", "-s", "minoxidil 0.5%:2ml:LOT M77",
                 "--depth", "1.5")
    t.wait_for("Technique [gun/hand] [hand]:")  # the patient's last value, not the config's
    t.type("")
    t.wait_for("Anaesthetic ('none' or what was used) [lidocaine cream]:")
    t.type("")
    t.wait_for("Complications as NAME[:SEVERITY]")
    t.type("")
    t.wait_for("session 2 recorded")
    assert exit_status(tmp_path / "done") == "EXIT=0"
    s = tomllib.loads(patient.read_text())["sessions"][1]
    assert s["anaesthetic"] == "lidocaine cream" and s["technique"] == "hand"


def test_warnings_appear_right_after_the_answer_at_the_prompt(run, patient: Path, terminal, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    t = terminal("add", "P-0042", "--date", "2026-11-16")
    t.wait_for("Areas treated (comma-separated):")
    t.type("decolete")
    screen = t.wait_for("Substances as NAME:AMOUNT")
    assert "did you mean 'décolleté'" in screen
    t.type("hyaluronic acid:2ml:LOT H1:EXP 2028-01-01")
    t.wait_for("Needle depth in mm:")
    t.type("9")
    screen = t.wait_for("Technique [gun/hand]:")
    assert "depth 9 mm is outside the dermal range" in screen
    # Each warning right after its answer: the area's before the substance question.
    assert screen.index("décolleté") < screen.index("Substances as") < screen.index("dermal range")
    t.type("hand")
    t.wait_for("Anaesthetic ('none' or what was used):")
    t.type("none")
    t.wait_for("Complications as NAME[:SEVERITY]")
    t.type("")
    screen = t.wait_for("session 1 recorded")
    assert exit_status(tmp_path / "done") == "EXIT=0"
    assert screen.count("did you mean 'décolleté'") == 1  # shown once, not again at the end


def test_the_prompts_offer_the_rest_of_the_last_protocol(run, patient: Path, terminal, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """What --like-last copies is offered at the prompt too (method, gauge, needle length...);
    '-' leaves one out this time. A complication typed without a severity gets none."""
    run("add", "P-0042", "--date", "2026-11-02", "--area", "thighs", "-s", "PC:2ml:LOT P1", "--depth", "6",
        "--technique", "hand", "--method", "point-by-point", "--gauge", "30", "--needle-length", "13",
        "--anaesthetic", "none")
    t = terminal("add", "P-0042", "--date", "2026-11-16")
    for question in ("Areas treated (comma-separated) [thighs]:", "[PC:2ml:LOT P1]:", "Needle depth in mm [6]:",
                     "Technique [gun/hand] [hand]:", "Anaesthetic ('none' or what was used) [none]:",
                     "Method (nappage, papule, point-by-point...) ('-' for none) [point-by-point]:"):
        t.wait_for(question)
        t.type("")
    t.wait_for("Needle gauge ('-' for none) [30]:")
    t.type("-")
    t.wait_for("Needle length in mm ('-' for none) [13]:")
    t.type("")
    t.wait_for("Complications as NAME[:SEVERITY]")
    t.type("bruising:mild; swelling")
    screen = t.wait_for("session 2 recorded")
    assert exit_status(tmp_path / "done") == "EXIT=0"
    assert "swelling severity not recorded" in screen
    s = tomllib.loads(patient.read_text())["sessions"][1]
    assert s["method"] == "point-by-point" and s["needle_length_mm"] == 13.0 and "needle_gauge" not in s
    assert s["complications"] == [{"name": "bruising", "severity": "mild"}, {"name": "swelling"}]
