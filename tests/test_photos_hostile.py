"""Photos and zones under hostile or unusual input, each through the real CLI on a real data
folder: an interruption while the change is committed, a chart hand-edited to point a photo
outside the data folder, a picture too large for the summary page, control characters in a
file name, a 16-bit greyscale PNG, the refusals that come before any file is decoded."""

from __future__ import annotations

import signal
import subprocess
import tomllib
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import mesolog_process, snapshot
from tests.test_photos import BASE, phone_jpeg


@pytest.fixture
def session(run, patient: Path) -> Path:
    run("add", "P-0042", "--date", "2026-11-02", *BASE)
    return patient


def named_photos(chart: Path) -> list[str]:
    return [
        p["file"] for s in tomllib.loads(chart.read_text())["sessions"] for p in s.get("photos", [])
    ]


def test_ctrl_c_while_the_change_is_committed_keeps_the_pictures_the_chart_names(
    run, session: Path, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ctrl-C while git commits: a hook sends SIGINT to its process group, as a terminal sends
    # it to mesolog and git alike (so the moment is exact). The chart is written already and
    # names the pictures: they must stay beside it, and be committed later.
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tname = Test\n\temail = test@example.org\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    run("init", "--git")
    hook = data_dir / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\nkill -INT 0\nsleep 1\nexit 1\n")
    hook.chmod(0o755)
    files = [
        str(phone_jpeg(tmp_path / f"{n}.jpg", colour=c)) for n, c in enumerate(("tan", "navy"))
    ]
    done = mesolog_process(
        "photo",
        "add",
        "P-0042",
        *files,
        "--view",
        "front",
        "--stage",
        "before",
        start_new_session=True,
        # As a program started from a terminal has it. A shell starts a background job with
        # Ctrl-C ignored (CI runs its suites side by side that way), and Python then never
        # turns the signal into KeyboardInterrupt: mesolog would not be interrupted at all.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert done.returncode == 130 and "Traceback" not in done.stderr
    named = named_photos(session)
    assert len(named) == 2
    assert all((data_dir / file).is_file() for file in named)
    hook.unlink()
    assert "0 errors" in run("check").stderr
    # The next change commits them, with the message they were meant to have: they travel.
    run("add", "P-0042", "--date", "2026-11-16", *BASE)
    git = ["git", "-C", str(data_dir)]
    tracked = subprocess.run([*git, "ls-files"], capture_output=True, text=True, check=True).stdout
    assert all(file in tracked for file in named)
    assert not subprocess.run(
        [*git, "status", "--porcelain"], capture_output=True, text=True
    ).stdout.strip()
    log = subprocess.run(
        [*git, "log", "--format=%s"], capture_output=True, text=True, check=True
    ).stdout
    assert "P-0042: 2 photos added to session 1 (front, before)" in log


def test_a_photo_path_outside_the_data_folder_is_never_read(
    run, session: Path, data_dir: Path, tmp_path: Path
) -> None:
    run(
        "photo",
        "add",
        "P-0042",
        str(phone_jpeg(tmp_path / "a.jpg")),
        "--view",
        "front",
        "--stage",
        "before",
    )
    run(
        "photo",
        "add",
        "P-0042",
        str(phone_jpeg(tmp_path / "b.jpg", colour="navy")),
        "--view",
        "front",
        "--stage",
        "after",
    )
    outside = phone_jpeg(tmp_path / "outside.jpg", colour="red")
    kept = (data_dir / named_photos(session)[0]).read_bytes()
    outside.write_bytes(kept)  # the very picture the chart's hash names: only the path is wrong
    text = session.read_text()
    first, second = named_photos(session)
    session.write_text(text.replace(first, str(outside)).replace(second, "../../etc/passwd"))
    run("export", "--format", "fhir")  # the clinic's identity is made once, on first need
    before = snapshot(data_dir)
    page = tmp_path / "page.html"
    said = run("summary", "P-0042", "--output", str(page))
    assert "Traceback" not in said.stderr
    html = page.read_text()
    assert "data:image" not in html
    assert "picture not in the data folder" in html
    done = run("check", expect=1)
    checked = done.stdout + done.stderr
    assert "not inside the data folder" in checked and "leads out of the data folder" in checked
    for form in ("json", "csv", "fhir"):
        assert "data:image" not in run("export", "--format", form).stdout
    assert snapshot(data_dir) == before


def test_a_picture_over_the_pixel_limit_in_the_data_folder_is_left_off_the_page_quietly(
    run, session: Path, data_dir: Path, tmp_path: Path
) -> None:
    import hashlib

    run(
        "photo",
        "add",
        "P-0042",
        str(phone_jpeg(tmp_path / "a.jpg")),
        "--view",
        "front",
        "--stage",
        "before",
    )
    (file,) = named_photos(session)
    # 110 million pixels, between the limit and twice it, where Pillow only warns.
    Image.new("1", (11_000, 10_000)).save(data_dir / file, format="PNG")
    digest = hashlib.sha256((data_dir / file).read_bytes()).hexdigest()
    text = session.read_text()
    old = tomllib.loads(text)["sessions"][0]["photos"][0]["sha256"]
    session.write_text(text.replace(old, digest))
    page = tmp_path / "page.html"
    said = mesolog_process("summary", "P-0042", "--output", str(page))
    assert said.returncode == 0, said.stderr
    assert "Warning" not in said.stderr and "decompression" not in said.stderr.lower()
    assert "data:image" not in page.read_text()


def test_control_characters_in_a_file_name_are_shown_inert(
    run, session: Path, data_dir: Path, tmp_path: Path
) -> None:
    name = tmp_path / "bad\x1b[31mred\x1b]0;title\x07\nline.jpg"
    name.write_bytes(b"%PDF-1.4\n")
    before = snapshot(data_dir)
    said = run(
        "photo", "add", "P-0042", str(name), "--view", "front", "--stage", "before", expect=1
    )
    assert "\x1b" not in said.stderr and "\x07" not in said.stderr
    assert said.stderr.count("\n") == 1  # one sentence, one line
    assert "is not a picture mesolog can read" in said.stderr
    assert snapshot(data_dir) == before


def test_a_missing_session_is_said_before_any_picture_is_decoded(
    run, session: Path, data_dir: Path, tmp_path: Path
) -> None:
    pdf = tmp_path / "scan.jpg"
    pdf.write_bytes(b"%PDF-1.4\n")
    before = snapshot(data_dir)
    said = run(
        "photo", "add", "P-0042", "7", str(pdf), "--view", "front", "--stage", "before", expect=1
    )
    assert "has no session 7; nothing was written." in said.stderr
    run("void", "P-0042", "1", "--reason", "entered twice")
    before = snapshot(data_dir)
    said = run(
        "photo", "add", "P-0042", "1", str(pdf), "--view", "front", "--stage", "before", expect=1
    )
    assert "session 1 voided" in said.stderr
    assert snapshot(data_dir) == before


def test_a_16_bit_greyscale_png_keeps_its_tones(
    run, session: Path, data_dir: Path, tmp_path: Path
) -> None:
    png = tmp_path / "dermatoscope.png"
    Image.new("I;16", (64, 48), 30_000).save(png)  # 30000 of 65535: a mid grey
    run("photo", "add", "P-0042", str(png), "--view", "detail", "--stage", "before")
    (file,) = named_photos(session)
    with Image.open(data_dir / file) as image:
        grey = image.convert("L").getpixel((10, 10))
    assert 100 <= grey <= 135


def test_the_hint_for_an_unknown_zone_names_a_way_that_works(
    run, session: Path, data_dir: Path
) -> None:
    said = run("add", "P-0042", "--date", "2026-11-16", *BASE, "--zone", "scalp/vrtex:40", expect=2)
    assert "did you mean vertex?" in said.stderr
    assert "config set zones" not in said.stderr  # a list: `config set` refuses it
    assert "config file" in said.stderr


def test_the_timeline_fits_a_narrow_terminal(
    run, session: Path, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(
        "photo",
        "add",
        "P-0042",
        str(phone_jpeg(tmp_path / "a.jpg")),
        "--view",
        "front",
        "--stage",
        "before",
    )
    monkeypatch.setenv("COLUMNS", "60")
    lines = run("photo", "list", "P-0042").stdout.splitlines()
    assert all(len(line) <= 60 for line in lines), lines
    (file,) = named_photos(session)
    assert any(line.strip() == file.rsplit("/", 1)[-1] for line in lines)  # whole, never cut
    monkeypatch.setenv("COLUMNS", "80")
    wide = run("photo", "list", "P-0042").stdout
    assert f"before  {file.rsplit('/', 1)[-1]}" in wide  # one line per picture at 80 columns
