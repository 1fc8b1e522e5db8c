"""Photos kept with the chart: `photo add` copies each picture into the data folder without
any metadata and records it in the session; `photo list` shows the timeline; `check` finds a
picture missing or changed. Real JPEGs and PNGs made by Pillow, carrying GPS EXIF."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import tomllib
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import FULL_ADD, snapshot

BASE = [
    "--area",
    "scalp",
    "--substance",
    "dutasteride 0.01%:1ml:LOT D2411",
    "--depth",
    "1.5",
    "--technique",
    "gun",
    "--anaesthetic",
    "none",
]
GPS_IFD = 0x8825
EXIF_IFD = 0x8769


def phone_jpeg(
    path: Path,
    size: tuple[int, int] = (320, 240),
    orientation: int = 1,
    taken: str | None = "2026:11:01 10:15:00",
    colour: str = "tan",
) -> Path:
    """A JPEG as a phone writes it: GPS position, camera make/model/serial, capture time,
    orientation, and a marker in the comment that must not survive."""
    image = Image.new("RGB", size, colour)
    image.paste((20, 20, 20), (0, 0, size[0] // 2, size[1]))  # dark left half: orientation shows
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "SecretPhone 12"  # Model
    exif[0x0112] = orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (40.0, 25.0, 1.5), 3: "W", 4: (3.0, 42.0, 7.0)})
    if taken:
        exif.get_ifd(EXIF_IFD)[0x9003] = taken
    exif.get_ifd(EXIF_IFD)[0xA431] = "SERIAL-123456"  # BodySerialNumber
    image.save(path, "JPEG", exif=exif.tobytes(), comment=b"SECRET-COMMENT", quality=90)
    return path


@pytest.fixture
def session(run, patient: Path) -> Path:
    run("add", "P-0042", "--date", "2026-11-02", *BASE)
    return patient


def sessions(path: Path) -> list[dict]:
    return tomllib.loads(path.read_text())["sessions"]


def test_a_photo_is_kept_without_any_metadata(
    run, session: Path, data_dir: Path, tmp_path: Path
) -> None:
    original = phone_jpeg(tmp_path / "IMG_0001.jpg")
    assert b"SecretPhone" in original.read_bytes() and b"SERIAL-123456" in original.read_bytes()
    said = run("photo", "add", "P-0042", "1", str(original), "--view", "front", "--stage", "before")
    (kept,) = (data_dir / "photos" / "P-0042").iterdir()
    data = kept.read_bytes()
    # Named by what it shows and the start of its SHA-256 (docs/photos.md).
    assert kept.name == f"2026-11-02-s1-front-before-{hashlib.sha256(data).hexdigest()[:8]}.jpg"
    assert f"photos/P-0042/{kept.name}" in said.stdout
    for secret in (
        b"SecretPhone",
        b"PhoneMaker",
        b"SERIAL-123456",
        b"SECRET-COMMENT",
        b"Exif",
        b"ICC_PROFILE",
    ):
        assert secret not in data
    with Image.open(kept) as image:
        assert image.format == "JPEG" and image.size == (320, 240)
        assert not image.getexif() and GPS_IFD not in image.getexif()
        assert "exif" not in image.info and "icc_profile" not in image.info
    photo = sessions(session)[0]["photos"][0]
    assert photo == {
        "file": f"photos/P-0042/{kept.name}",
        "view": "front",
        "stage": "before",
        "width": 320,
        "height": 240,
        "taken": photo["taken"],
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    assert photo["taken"].isoformat() == "2026-11-01"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    run("check")


def test_orientation_is_applied_before_the_exif_goes(
    run, session: Path, data_dir: Path, tmp_path: Path
) -> None:
    # Orientation 6: the camera was turned; the picture is shown rotated 90 degrees clockwise.
    original = phone_jpeg(tmp_path / "turned.jpg", size=(320, 240), orientation=6, taken=None)
    run("photo", "add", "P-0042", str(original), "--view", "left", "--stage", "after")
    photo = sessions(session)[0]["photos"][0]
    assert (photo["width"], photo["height"]) == (240, 320)
    assert "taken" not in photo  # no capture time in the original: none is made up
    with Image.open(data_dir / photo["file"]) as image:
        assert image.size == (240, 320)
        top, bottom = image.getpixel((120, 10)), image.getpixel((120, 310))
    assert sum(top) < sum(bottom)  # the dark left half is now on top


def test_a_png_and_several_files_at_once(
    run, session: Path, data_dir: Path, tmp_path: Path
) -> None:
    png = tmp_path / "scalp.png"
    image = Image.new("RGBA", (100, 80), (200, 100, 50, 128))
    info = __import__("PIL.PngImagePlugin", fromlist=["PngInfo"]).PngInfo()
    info.add_text("Author", "SECRET-AUTHOR")
    image.save(png, pnginfo=info)
    jpeg = phone_jpeg(tmp_path / "b.jpg")
    run("photo", "add", "P-0042", str(png), str(jpeg), "--view", "top", "--stage", "before")
    files = [p["file"] for p in sessions(session)[0]["photos"]]
    assert len(files) == 2 and all(
        f.startswith("photos/P-0042/2026-11-02-s1-top-before-") for f in files
    )
    assert b"SECRET-AUTHOR" not in (data_dir / files[0]).read_bytes()
    # The same picture again, as the same view and stage: kept already, nothing written.
    before = snapshot(data_dir)
    said = run("photo", "add", "P-0042", str(jpeg), "--view", "top", "--stage", "before", expect=1)
    assert "holds these pictures as top before already; nothing was written." in said.stderr
    assert snapshot(data_dir) == before


def test_one_commit_holds_the_chart_and_the_pictures(
    run, session: Path, data_dir: Path, tmp_path: Path
) -> None:
    import subprocess

    run("init", "--git")
    original = phone_jpeg(tmp_path / "a.jpg")
    run("photo", "add", "P-0042", str(original), "--view", "front", "--stage", "after")
    log = subprocess.run(
        ["git", "-C", str(data_dir), "log", "-1", "--name-only", "--format=%s"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    assert log[0] == "P-0042: 1 photo added to session 1 (front, after)"
    (kept,) = (data_dir / "photos" / "P-0042").iterdir()
    assert set(filter(None, log[1:])) == {"patients/P-0042.toml", f"photos/P-0042/{kept.name}"}
    status = subprocess.run(
        ["git", "-C", str(data_dir), "status", "--porcelain"], capture_output=True, text=True
    )
    assert status.stdout == ""


def test_the_timeline_per_view_at_80_columns(
    run, patient: Path, tmp_path: Path, monkeypatch
) -> None:
    run("add", "P-0042", "--date", "2026-11-02", *BASE)
    run("add", "P-0042", "--date", "2026-11-16", *BASE)
    first = phone_jpeg(tmp_path / "1.jpg")
    run("photo", "add", "P-0042", "1", str(first), "--view", "front", "--stage", "before")
    run("photo", "add", "P-0042", "1", str(first), "--view", "top", "--stage", "before")
    run("photo", "add", "P-0042", "2", str(first), "--view", "front", "--stage", "after")
    monkeypatch.setenv("COLUMNS", "80")
    out = run("photo", "list", "P-0042").stdout
    lines = out.splitlines()
    assert lines[0] == "P-0042: 3 photos in photos/P-0042/"
    front = lines.index("front (2)")
    assert lines[front + 1].split() == ["session", "date", "stage", "file"]
    assert lines[front + 2].split()[:3] == ["1", "2026-11-02", "before"]
    assert lines[front + 2].split()[3].startswith("2026-11-02-s1-front-before-")
    assert lines[front + 3].split()[:3] == ["2", "2026-11-16", "after"]
    assert "top (1)" in lines
    assert all(len(line) <= 80 for line in lines)


def test_a_patient_without_photos(run, session: Path) -> None:
    assert "no photos yet" in run("photo", "list", "P-0042").stdout


def test_check_names_a_missing_or_changed_photo(
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
        str(phone_jpeg(tmp_path / "b.jpg")),
        "--view",
        "back",
        "--stage",
        "before",
    )
    front, back = (p["file"] for p in sessions(session)[0]["photos"])
    (data_dir / front).unlink()
    (data_dir / back).write_bytes((data_dir / back).read_bytes() + b"x")
    said = run("check", expect=1)
    text = said.stdout + said.stderr
    assert f"session 1: photo {front} is missing from the data folder" in text
    assert f"session 1: photo {back} differs from the picture recorded" in text


def test_an_old_chart_with_bare_paths_reads_and_takes_new_photos(
    run, patient: Path, data_dir: Path, tmp_path: Path
) -> None:
    run("add", "P-0042", *FULL_ADD)  # --photo: a bare path, as charts held before photo add
    assert sessions(patient)[0]["photos"] == ["photos/P-0042/2026-11-02-before.jpg"]
    run(
        "photo",
        "add",
        "P-0042",
        str(phone_jpeg(tmp_path / "a.jpg")),
        "--view",
        "front",
        "--stage",
        "after",
    )
    photos = sessions(patient)[0]["photos"]
    assert photos[0] == {"file": "photos/P-0042/2026-11-02-before.jpg"}
    assert photos[1]["view"] == "front"
    assert "session_stored" not in run("report", "P-0042").stdout


def test_export_json_keeps_the_photos_and_imports_back(
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
    exported = tmp_path / "all.json"
    exported.write_text(run("export", "--format", "json").stdout)
    assert '"view": "front"' in exported.read_text()
    other = tmp_path / "other"
    other.mkdir(mode=0o700)
    run("--data-dir", str(other), "import", str(exported), "--apply")
    assert (
        sessions(other / "patients" / "P-0042.toml")[0]["photos"] == sessions(session)[0]["photos"]
    )


# --- refusals: one sentence, nothing written -------------------------------------------------


def _refused(run, data_dir: Path, *args: str, expect: int = 1) -> str:
    before = snapshot(data_dir)
    said = run("photo", "add", "P-0042", *args, expect=expect)
    assert snapshot(data_dir) == before
    assert "Traceback" not in said.stderr and said.stdout == ""
    assert not (data_dir / "photos").exists() or not any((data_dir / "photos").rglob("*.jpg"))
    return " ".join(said.stderr.split())


def test_a_renamed_pdf_is_refused(run, session: Path, data_dir: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "scan.jpg"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n")
    said = _refused(run, data_dir, str(pdf), "--view", "front", "--stage", "before")
    assert "is not a picture mesolog can read" in said and "nothing was written" in said


def test_a_truncated_jpeg_is_refused(run, session: Path, data_dir: Path, tmp_path: Path) -> None:
    whole = phone_jpeg(tmp_path / "whole.jpg", size=(640, 480)).read_bytes()
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(whole[: len(whole) // 2])
    said = _refused(run, data_dir, str(cut), "--view", "front", "--stage", "before")
    assert "is damaged or cut short" in said


def test_a_decompression_bomb_is_refused(
    run, session: Path, data_dir: Path, tmp_path: Path
) -> None:
    bomb = tmp_path / "bomb.png"
    Image.MAX_IMAGE_PIXELS = None  # to make it here; mesolog sets its own limit
    Image.new("1", (30_000, 30_000)).save(bomb)
    assert bomb.stat().st_size < 1_000_000  # small on disk, 900 million pixels decoded
    said = _refused(run, data_dir, str(bomb), "--view", "front", "--stage", "before")
    assert "has more than 100 million pixels" in said


def test_a_symlink_and_a_fifo_are_refused(
    run, session: Path, data_dir: Path, tmp_path: Path
) -> None:
    real = phone_jpeg(tmp_path / "real.jpg")
    link = tmp_path / "link.jpg"
    link.symlink_to(real)
    assert "is a symbolic link" in _refused(
        run, data_dir, str(link), "--view", "front", "--stage", "before"
    )
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    said = _refused(run, data_dir, str(fifo), "--view", "front", "--stage", "before")
    assert "is not a regular file" in said


def test_a_file_over_the_size_limit_is_refused(
    run, session: Path, data_dir: Path, tmp_path: Path
) -> None:
    big = tmp_path / "big.jpg"
    with big.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024 + 1)  # sparse: costs no disk
    assert "is larger than 50 MB" in _refused(
        run, data_dir, str(big), "--view", "front", "--stage", "before"
    )


def test_one_bad_file_among_good_ones_writes_nothing(
    run, session: Path, data_dir: Path, tmp_path: Path
) -> None:
    good = phone_jpeg(tmp_path / "good.jpg")
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not a picture")
    _refused(run, data_dir, str(good), str(bad), "--view", "front", "--stage", "before")


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        (
            "--view",
            "sideways",
            "view 'sideways' is not allowed: use one of front, left, right, back, top, detail",
        ),
        ("--stage", "during", "stage 'during' is not allowed: use one of before, after"),
    ],
)
def test_an_unknown_view_or_stage_is_refused(
    run, session: Path, data_dir: Path, tmp_path: Path, option: str, value: str, words: str
) -> None:
    good = phone_jpeg(tmp_path / "good.jpg")
    chosen = {"--view": "front", "--stage": "before", option: value}
    said = _refused(
        run, data_dir, str(good), *[w for pair in chosen.items() for w in pair], expect=2
    )
    assert words in said


def test_a_session_that_does_not_exist_is_refused(
    run, session: Path, data_dir: Path, tmp_path: Path
) -> None:
    good = phone_jpeg(tmp_path / "good.jpg")
    said = _refused(run, data_dir, "7", str(good), "--view", "front", "--stage", "before")
    assert "patient P-0042 has no session 7; nothing was written." in said


def test_a_patient_without_sessions_is_refused(
    run, patient: Path, data_dir: Path, tmp_path: Path
) -> None:
    good = phone_jpeg(tmp_path / "good.jpg")
    assert "has no session yet" in _refused(
        run, data_dir, str(good), "--view", "front", "--stage", "before"
    )


def test_an_unknown_patient_is_refused(run, session: Path, data_dir: Path, tmp_path: Path) -> None:
    good = phone_jpeg(tmp_path / "good.jpg")
    before = snapshot(data_dir)
    said = run(
        "photo", "add", "P-0043", str(good), "--view", "front", "--stage", "before", expect=1
    )
    assert "no patient 'P-0043'" in said.stderr and snapshot(data_dir) == before


def test_the_stored_picture_is_a_fresh_encoding(tmp_path: Path) -> None:
    """The store's own function, on a picture with an ICC profile: colours converted to sRGB
    and the profile dropped (a profile may name the device)."""
    from PIL import ImageCms

    from mesolog.store.photos import prepare

    path = tmp_path / "p3.jpg"
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    Image.new("RGB", (10, 10), "red").save(path, icc_profile=profile)
    picture = prepare(path)
    with Image.open(io.BytesIO(picture.data)) as image:
        assert "icc_profile" not in image.info and image.size == (10, 10)


def test_a_photo_folder_that_is_a_link_is_never_written_through(
    run, session: Path, data_dir: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (data_dir / "photos").mkdir(mode=0o700)
    (data_dir / "photos" / "P-0042").symlink_to(outside)
    good = phone_jpeg(tmp_path / "good.jpg")
    before = snapshot(data_dir)
    said = run(
        "photo", "add", "P-0042", str(good), "--view", "front", "--stage", "before", expect=1
    )
    assert (
        "is reached through a symbolic link" in said.stderr and "nothing was written" in said.stderr
    )
    assert snapshot(data_dir) == before and not any(outside.iterdir())


def test_check_names_a_photo_reached_through_a_link(
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
    (kept,) = (data_dir / "photos" / "P-0042").iterdir()
    outside = tmp_path / "elsewhere.jpg"
    kept.rename(outside)
    kept.symlink_to(outside)
    said = run("check", expect=1)
    assert f"photo photos/P-0042/{kept.name} is reached through a symbolic link" in said.stdout
    page = tmp_path / "page.html"
    run("summary", "P-0042", "--output", str(page))
    assert "data:image/jpeg" not in page.read_text()  # never read through the link


def test_every_photo_folder_is_private(run, session: Path, data_dir: Path, tmp_path: Path) -> None:
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
    for folder in (data_dir / "photos", data_dir / "photos" / "P-0042"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_amend_photo_keeps_the_pictures_it_names_with_their_records(
    run, session: Path, data_dir: Path, tmp_path: Path
) -> None:
    """`amend --photo` keeps only the pictures it names (a picture of another patient taken
    off), each with its view, stage, size and checksum; a bare path beside `photo add`'s
    records is refused (it ended in "internal check failed")."""
    front = phone_jpeg(tmp_path / "front.jpg", colour="tan")
    left = phone_jpeg(tmp_path / "left.jpg", colour="navy")
    run("photo", "add", "P-0042", str(front), "--view", "front", "--stage", "before")
    run("photo", "add", "P-0042", str(left), "--view", "left", "--stage", "after")
    first, second = sessions(session)[0]["photos"]
    run("amend", "P-0042", "1", "--photo", first["file"], "--reason", "the other is not hers")
    assert sessions(session)[0]["photos"] == [first]
    assert (data_dir / second["file"]).exists()  # the file stays: the trail names it
    assert "error" not in run("check").stdout
    before = snapshot(data_dir)
    refused = run("amend", "P-0042", "1", "--photo", "x.jpg", "--reason", "r", expect=2)
    assert "added with `mesolog photo add`" in " ".join(refused.stderr.split())
    assert snapshot(data_dir) == before
