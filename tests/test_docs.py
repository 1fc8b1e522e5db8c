"""The documentation is where a newcomer looks: a short README that is the front door, the
manual and the design in docs/, and a command reference written from the program itself."""

from __future__ import annotations

import re
from pathlib import Path

from mesolog.cli.reference import markdown

ROOT = Path(__file__).parent.parent
README = ROOT / "README.md"


def test_the_command_reference_is_the_one_the_program_writes() -> None:
    written = (ROOT / "docs" / "reference.md").read_text()
    assert written == markdown(), (
        "docs/reference.md is stale: python -m mesolog.cli.reference > docs/reference.md"
    )


def test_the_reference_names_every_option_of_every_command() -> None:
    from typer.main import get_command

    from mesolog.cli.main import every_command
    from mesolog.cli.reference import commands

    page = markdown()
    for path, command in commands(get_command(every_command())):
        assert f"## `mesolog {' '.join(path)}" in page
        for param in command.params:
            if param.param_type_name == "option" and not param.hidden and param.name != "help":
                assert f"`{' / '.join([*param.opts, *param.secondary_opts])}" in page, param.opts


def test_the_readme_is_a_front_door() -> None:
    text = README.read_text()
    assert len(text.splitlines()) <= 250
    quick_start = text.split("## Quick start")[1].split("\n## ")[0]
    commands = re.findall(r"```sh\n(.*?)\n```", quick_start, re.S)
    assert len(commands) == 2 and all("\n" not in c for c in commands), commands


def test_every_page_the_readme_links_to_exists() -> None:
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README.read_text()):
        if not target.startswith("http"):
            assert (ROOT / target).is_file(), target


def test_every_section_a_link_names_exists() -> None:
    pages = [README, *sorted((ROOT / "docs").glob("*.md"))]
    for page in pages:
        for target, anchor in re.findall(r"\]\(([^)#]*)#([^)]+)\)", page.read_text()):
            linked = (page.parent / target) if target else page
            headings = re.findall(r"^#+ (.+)$", linked.read_text(), re.M)
            slugs = {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}
            assert anchor in slugs, f"{page.name}: no section #{anchor} in {linked.name}"


def test_nothing_in_the_code_points_outside_the_repo() -> None:
    # A comment cites docs/<page>.md; a tracker's numbers or a file the repo lacks mean nothing
    # to the next reader.
    outside = re.compile(
        r"(?<![\w/])DESIGN\.md|" + "shared" + r"/domain|\b(?:[Ff]inding|[Ii]tem|[Ii]ssue)s? \d"
    )
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for folder in ("mesolog", "tests", "benchmarks", "examples")
        for path in sorted((ROOT / folder).rglob("*.py"))
        # benchmarks/_work holds the benchmarks' own environments (ignored by git)
        if not {"_work", ".venv", "site-packages"} & set(path.relative_to(ROOT).parts)
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if outside.search(line)
    ]
    assert not found, "\n".join(found)
