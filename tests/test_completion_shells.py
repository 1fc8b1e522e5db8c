"""Completion as a person meets it: a real bash, zsh and fish under tmux, Tab pressed, screen read.

Each shell starts without any startup file, with a temporary HOME, loads mesolog's completion
script the way the README says, and completes over the demo clinic. A value with a space must
arrive as one word: the completed line is run and must find what it names.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "examples"))
import make_clinic

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.skipif(shutil.which("tmux") is None or not (BIN / "mesolog").exists(),
                                reason="tmux or the mesolog script missing")


class Shell:
    def __init__(self, name: str, command: str) -> None:
        self.name = name
        subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "200", "-y", "50", command], check=True)

    def screen(self) -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True).stdout

    def keys(self, *keys: str, literal: bool = False) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *(["-l", "--"] if literal else []), *keys], check=True)

    def wait(self, found: Callable[[str], bool], what: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if found(screen):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{what} never appeared; screen:\n{self.screen()}")

    def fresh_line(self) -> None:
        """An empty prompt on a clear screen (asked again if a key arrived while the shell was busy)."""
        for _ in range(5):
            self.keys("C-c")
            self.keys("C-l")
            try:
                self.wait(lambda s: [line for line in s.splitlines() if line.strip()] == ["$"], "an empty prompt", 6)
                return
            except AssertionError:
                continue
        raise AssertionError(f"no empty prompt; screen:\n{self.screen()}")

    def complete(self, typed: str, expected: str, tabs: int = 1) -> str:
        """Type ``typed``, press Tab, and wait for the prompt line to read ``expected``."""
        self.fresh_line()
        self.keys(typed, literal=True)
        for _ in range(tabs):
            self.keys("Tab")
        return self.wait(lambda s: any(line.rstrip() == f"$ {expected}" for line in s.splitlines()),
                         f"$ {expected}")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


ENV = {
    "bash": 'export PATH={bin}:$PATH MESOLOG_DATA_DIR={data} MESOLOG_CACHE_DIR={cache} MESOLOG_CONFIG={config}\n'
            'eval "$(_MESOLOG_COMPLETE=source_bash mesolog)"\nPS1="$ "\n',
    "zsh": 'export PATH={bin}:$PATH MESOLOG_DATA_DIR={data} MESOLOG_CACHE_DIR={cache} MESOLOG_CONFIG={config}\n'
           'autoload -Uz compinit && compinit -u\neval "$(_MESOLOG_COMPLETE=source_zsh mesolog)"\nPS1="$ "\n',
    "fish": "set -gx PATH {bin} $PATH\nset -gx MESOLOG_DATA_DIR {data}\nset -gx MESOLOG_CACHE_DIR {cache}\n"
            "set -gx MESOLOG_CONFIG {config}\n_MESOLOG_COMPLETE=source_fish mesolog | source\n"
            "function fish_prompt; echo '$ '; end\n",
}
START = {"bash": "bash --norc --noprofile", "zsh": "zsh -f", "fish": "fish --no-config"}


@pytest.fixture
def shell(tmp_path: Path) -> Iterator[Callable[[str], Shell]]:
    data = tmp_path / "clinic"
    make_clinic.build(data)
    opened: list[Shell] = []

    def open_(kind: str) -> Shell:
        if shutil.which(kind) is None:
            pytest.skip(f"{kind} is not installed")
        setup = tmp_path / f"setup.{kind}"
        setup.write_text(ENV[kind].format(bin=shlex.quote(str(BIN)), data=shlex.quote(str(data)),
                                          cache=shlex.quote(str(tmp_path / "cache")),
                                          config=shlex.quote(str(tmp_path / "none.toml"))))
        home = tmp_path / "home"
        home.mkdir(exist_ok=True)
        command = f"env -i HOME={shlex.quote(str(home))} TERM=xterm PATH=/usr/bin:/bin {START[kind]}"
        s = Shell(f"mesolog-{kind}-{time.monotonic_ns() % 10**9}", command)
        opened.append(s)
        s.keys(f"source {shlex.quote(str(setup))}", literal=True)
        s.keys("Enter")
        s.wait(lambda screen: screen.rstrip().endswith("$"), "the prompt")
        return s

    yield open_
    for s in opened:
        s.close()


# What each shell completes, typed -> the line after Tab.
CASES = [
    ("mesolog find --substance hyaluronic", "mesolog find --substance hyaluronic\\ acid"),
    ("mesolog add P-0042 --anaesthetic top", "mesolog add P-0042 --anaesthetic topical\\ cream"),
    ("mesolog add P-0042 --technique g", "mesolog add P-0042 --technique gun"),
    ("mesolog add P-0042 --method nap", "mesolog add P-0042 --method nappage"),
    ("mesolog add P-0042 --complication bru", "mesolog add P-0042 --complication bruising"),
    ("mesolog add P-0042 --course ha", "mesolog add P-0042 --course hair-2026"),
    ("mesolog stats --by tech", "mesolog stats --by technique"),
    ("mesolog report P-0042 --format j", "mesolog report P-0042 --format json"),
    ("mesolog export --format f", "mesolog export --format fhir"),
    ("mesolog lot MX", "mesolog lot MX2409"),
    ("mesolog report P-01", "mesolog report P-0107"),
]


@pytest.mark.parametrize("kind", ["bash", "zsh", "fish"])
def test_tab_completes_values_as_one_word(shell, kind: str) -> None:
    s = shell(kind)
    # bash is the one whose script needs our quoting: every case; zsh and fish a sample.
    for typed, expected in CASES if kind == "bash" else CASES[:3] + CASES[5:8]:
        s.complete(typed, expected)
    # The completed value arrives as one word: the command finds the sessions it names.
    s.complete("mesolog find --substance hyaluronic", "mesolog find --substance hyaluronic\\ acid")
    s.keys(" --format csv", literal=True)
    s.keys("Enter")
    screen = s.wait(lambda text: "P-0213,3,2026-10-31" in text, "the sessions found")
    assert "unexpected extra argument" not in screen


def test_bash_completes_session_numbers_and_inside_an_opened_quote(shell) -> None:
    s = shell("bash")
    s.complete('mesolog find --substance "hyaluronic', 'mesolog find --substance "hyaluronic acid"')
    s.fresh_line()
    s.keys("mesolog amend P-0042 ", literal=True)
    s.keys("Tab", "Tab")
    s.wait(lambda text: any(re.fullmatch(r"1\s+2\s+3\s+4", line.strip()) for line in text.splitlines()),
           "the session numbers 1 2 3 4")
