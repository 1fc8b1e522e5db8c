"""The summary page shows the photos: per view, the first and the latest side by side with
their dates and session numbers, embedded (the page stays one file), small enough to mail,
printed on A4 with nothing cut. Real pictures, the real CLI, headless Chromium."""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from test_photos import BASE, phone_jpeg
from test_summary import BROWSER_TIMEOUT_S, _headless, _pdftotext

SHOTS = Path(os.environ.get("MESOLOG_SHOTS", "")) if os.environ.get("MESOLOG_SHOTS") else None


@pytest.fixture
def photographed(run, patient: Path, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    """Three sessions; the front view at the first and the last, the top view once."""
    for day in ("2026-11-02", "2026-11-16", "2026-11-30"):
        run("add", "P-0042", "--date", day, *BASE)
    big = (4000, 3000)  # 12 megapixels, as a phone takes them
    run(
        "photo",
        "add",
        "P-0042",
        "1",
        str(phone_jpeg(tmp_path / "a.jpg", size=big, colour="tan")),
        "--view",
        "front",
        "--stage",
        "before",
    )
    run(
        "photo",
        "add",
        "P-0042",
        "2",
        str(phone_jpeg(tmp_path / "b.jpg", size=big, colour="peru")),
        "--view",
        "front",
        "--stage",
        "after",
    )
    run(
        "photo",
        "add",
        "P-0042",
        "3",
        str(phone_jpeg(tmp_path / "c.jpg", size=big, colour="sienna")),
        "--view",
        "front",
        "--stage",
        "after",
    )
    run(
        "photo",
        "add",
        "P-0042",
        "1",
        str(phone_jpeg(tmp_path / "d.jpg", size=(3000, 4000), colour="wheat")),
        "--view",
        "top",
        "--stage",
        "before",
    )
    page = tmp_path / "summary.html"
    run("summary", "P-0042", "--output", str(page))
    return page


def _embedded(page: str) -> list[Image.Image]:
    return [
        Image.open(io.BytesIO(base64.b64decode(data)))
        for data in re.findall(r'src="data:image/jpeg;base64,([A-Za-z0-9+/=]+)"', page)
    ]


def test_first_and_latest_per_view_embedded_small(photographed: Path) -> None:
    page = photographed.read_text()
    assert photographed.stat().st_size < 1_000_000  # four 12-megapixel photos, a light page
    images = _embedded(page)
    assert len(images) == 3  # front: first and latest (not the middle one); top: its one picture
    assert all(max(image.size) == 600 for image in images)
    assert all(not image.getexif() for image in images)
    assert "Front view" in page and "Top view" in page
    assert "First: 2026-11-02, session 1, before" in page
    assert "Latest: 2026-11-30, session 3, after" in page
    assert "2026-11-16, session 2" not in page
    assert "Only one picture of this view so far." in page
    assert "http://" not in page and "https://" not in page.replace("https://git-lfs", "")


def test_a_missing_picture_is_said_on_the_page(
    run, photographed: Path, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    (gone,) = (data_dir / "photos" / "P-0042").glob("2026-11-30-s3-front-after-*.jpg")
    gone.unlink()
    page = tmp_path / "again.html"
    run("summary", "P-0042", "--output", str(page))
    assert f"picture not in the data folder (photos/P-0042/{gone.name})" in page.read_text()


def test_the_photos_show_in_chromium_and_print_whole_on_a4(
    photographed: Path, tmp_path: Path
) -> None:
    shot = tmp_path / "summary.png"
    _headless(tmp_path, f"--screenshot={shot}", "--window-size=1000,2600", photographed.as_uri())
    with Image.open(shot) as screen:
        colours = screen.convert("RGB").getcolors(maxcolors=1 << 20) or []
    seen = {colour for _, colour in colours}
    for name in ("tan", "sienna", "wheat"):  # each embedded picture is drawn
        rgb = Image.new("RGB", (1, 1), name).getpixel((0, 0))
        assert any(sum(abs(a - b) for a, b in zip(rgb, c, strict=True)) < 12 for c in seen), name
    pdf = tmp_path / "summary.pdf"
    _headless(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", photographed.as_uri())
    listed = subprocess.run(
        ["pdfimages", "-list", str(pdf)],
        capture_output=True,
        text=True,
        timeout=BROWSER_TIMEOUT_S,
        check=True,
    ).stdout.splitlines()[2:]
    assert len(listed) == 3  # every picture printed once: none split over two pages
    text = subprocess.run(
        [_pdftotext(), "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        timeout=BROWSER_TIMEOUT_S,
        check=True,
    ).stdout
    flat = re.sub(r"\s+", "", text)
    assert "First:2026-11-02,session1,before" in flat and "Latest:2026-11-30,session3,after" in flat
    boxes = subprocess.run(
        [_pdftotext(), "-bbox", str(pdf), "-"],
        capture_output=True,
        text=True,
        timeout=BROWSER_TIMEOUT_S,
        check=True,
    ).stdout
    width = float(re.search(r'<page width="([\d.]+)"', boxes).group(1))  # type: ignore[union-attr]
    assert max(float(x) for x in re.findall(r'xMax="([\d.]+)"', boxes)) <= width - 20
    if SHOTS:  # for a person to look at (MESOLOG_SHOTS=/some/folder)
        SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, SHOTS / "photos-screen.png")
        shutil.copy(pdf, SHOTS / "photos.pdf")
