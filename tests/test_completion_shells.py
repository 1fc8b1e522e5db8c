"""Completion as a person meets it: a real bash, zsh and fish under tmux, Tab pressed, screen read.

Each shell starts without any startup file, with a temporary HOME, loads mesolog's completion
script the way the manual says (docs/manual.md), and completes over the demo clinic. A value with a space must
arrive as one word: the completed line is run and must find what it names.
"""

from __future__ import annotations

import re
import shlex
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Tmux

sys.path.insert(0, str(Path(__file__).parent.parent / "examples"))
import make_clinic

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None or not (BIN / "mesolog").exists(),
    reason="tmux or the mesolog script missing",
)


class Shell:
    """A shell in a real terminal, typed at as a person would."""

    def __init__(self, window: Tmux) -> None:
        self.window = window
        self.keys, self.wait = window.keys, window.wait

    def fresh_line(self) -> None:
        """An empty prompt on a clear screen.

        Line editing only, read in order by the idle shell: Ctrl-E Ctrl-U empties the line, Ctrl-L
        clears the screen. (Ctrl-C is a signal, and a signal can throw away what was typed ahead,
        so it is never sent.)
        """
        self.keys("C-e", "C-u", "C-l")
        self.wait(
            lambda s: [line for line in s.splitlines() if line.strip()] == ["$"], "an empty prompt"
        )

    def complete(self, typed: str, expected: str, tabs: int = 1) -> str:
        """Type ``typed``, press Tab, and wait for the prompt line to read ``expected``."""
        self.fresh_line()
        self.keys(typed, literal=True)
        for _ in range(tabs):
            self.keys("Tab")
        return self.wait(
            lambda s: any(line.rstrip() == f"$ {expected}" for line in s.splitlines()),
            f"$ {expected}",
        )


ENV = {
    "bash": "export PATH={bin}:$PATH MESOLOG_DATA_DIR={data} MESOLOG_CACHE_DIR={cache} MESOLOG_CONFIG={config}\n"
    'eval "$(_MESOLOG_COMPLETE=source_bash mesolog)"\nPS1="$ "\necho {ready}\n',
    "zsh": "export PATH={bin}:$PATH MESOLOG_DATA_DIR={data} MESOLOG_CACHE_DIR={cache} MESOLOG_CONFIG={config}\n"
    'autoload -Uz compinit && compinit -u\neval "$(_MESOLOG_COMPLETE=source_zsh mesolog)"\nPS1="$ "\necho {ready}\n',
    "fish": "set -gx PATH {bin} $PATH\nset -gx MESOLOG_DATA_DIR {data}\nset -gx MESOLOG_CACHE_DIR {cache}\n"
    "set -gx MESOLOG_CONFIG {config}\n_MESOLOG_COMPLETE=source_fish mesolog | source\n"
    "function fish_prompt; echo '$ '; end\n"
    # No grey suggestion after the cursor: the screen shows only what Tab put there.
    "set -g fish_autosuggestion_enabled 0\necho {ready}\n",
}
START = {"bash": "bash --norc --noprofile", "zsh": "zsh -f", "fish": "fish --no-config"}
READY = (
    "completion-loaded"  # the setup's last line prints it; the typed `source` line does not hold it
)


@pytest.fixture
def shell(tmp_path: Path, tmux) -> Callable[[str], Shell]:  # type: ignore[no-untyped-def]
    data = tmp_path / "clinic"
    make_clinic.build(data)

    def open_(kind: str) -> Shell:
        if shutil.which(kind) is None:
            pytest.skip(f"{kind} is not installed")
        setup = tmp_path / f"setup.{kind}"
        setup.write_text(
            ENV[kind].format(
                bin=shlex.quote(str(BIN)),
                data=shlex.quote(str(data)),
                cache=shlex.quote(str(tmp_path / "cache")),
                config=shlex.quote(str(tmp_path / "none.toml")),
                ready=READY,
            )
        )
        home = tmp_path / "home"
        home.mkdir(exist_ok=True)
        s = Shell(
            tmux(
                f"env -i HOME={shlex.quote(str(home))} TERM=xterm PATH=/usr/bin:/bin {START[kind]}",
                width=200,
                height=50,
            )
        )
        s.keys(f"source {shlex.quote(str(setup))}", literal=True)
        s.keys("Enter")
        # Done loading: the setup's last word, then the prompt it set. Keys typed before would
        # land in the middle of the setup.
        s.wait(
            lambda screen: READY in screen.split() and screen.rstrip().endswith("$"),
            "the loaded shell",
        )
        return s

    return open_


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
    s.wait(
        lambda text: any(
            re.fullmatch(r"1\s+2\s+3\s+4", line.strip()) for line in text.splitlines()
        ),
        "the session numbers 1 2 3 4",
    )
