"""Pictures kept with the chart: read safely, decoded, re-encoded without any metadata, written
atomically into the data folder (see docs/photos.md).

Pillow is imported only here, inside the functions that decode or encode: no other command
pays for it at start-up.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import stat
import tempfile
import warnings
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from mesolog.errors import UnusablePhoto
from mesolog.store.paths import make_private_dir

if TYPE_CHECKING:
    from PIL import Image as PILImage

    from mesolog.model import Chart

# A phone's photo is 2 to 15 MB; a picture ten times that is not a clinical photo.
MAX_FILE_BYTES = 50 * 1024 * 1024
# 100 megapixels: above every phone's default mode (12 to 50 MP); a 30,000 x 30,000 image
# (a decompression bomb: a small file that would take gigabytes once decoded) is refused
# before its pixels are decoded.
MAX_PIXELS = 100_000_000
FORMATS = ("JPEG", "PNG", "WEBP")  # what phones and cameras give; nothing else is decoded
JPEG_QUALITY = 92  # kept for the chart: close to the original; the summary page downsizes
EXIF_DATE_TAKEN = 0x9003  # DateTimeOriginal, in the Exif sub-IFD
EXIF_IFD = 0x8769


@dataclass(frozen=True)
class Picture:
    """A picture ready to keep: JPEG bytes without metadata, its size and capture day."""

    source: Path
    data: bytes
    width: int
    height: int
    taken: date | None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _refuse(path: Path, why: str) -> UnusablePhoto:
    """The refusal of ``path``, named as given, or quoted with escapes when its name holds a
    control character (a file from someone else's folder cannot move the cursor, colour the
    screen or break the sentence over two lines)."""
    from mesolog.store.incoming import named

    return UnusablePhoto(f"{named(str(path))} {why}; nothing was written.")


def read_file(path: Path) -> bytes:
    """The bytes of a regular file given on the command line: a link, a FIFO, a device or a
    folder is refused without being opened for reading (a FIFO would block), and so is a file
    over :data:`MAX_FILE_BYTES`."""
    try:
        first = os.lstat(path)
    except OSError:
        raise _refuse(path, "cannot be found") from None
    if stat.S_ISLNK(first.st_mode):
        raise _refuse(path, "is a symbolic link; give the picture itself")
    if not stat.S_ISREG(first.st_mode):
        raise _refuse(path, "is not a regular file (a folder, FIFO or device)")
    too_large = f"is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB, too large for a photo"
    if first.st_size > MAX_FILE_BYTES:
        raise _refuse(path, too_large)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        raise _refuse(path, f"cannot be read ({error.strerror})") from None
    with os.fdopen(fd, "rb") as handle:
        now = os.fstat(handle.fileno())
        # Swapped for something else between the look and the open: refused all the same.
        if not stat.S_ISREG(now.st_mode) or not os.path.samestat(first, now):
            raise _refuse(path, "changed while it was being read")
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise _refuse(path, too_large)
    return data


def prepare(path: Path) -> Picture:
    """Read, decode and re-encode one picture: orientation applied, colours in sRGB, no EXIF,
    GPS, maker notes, thumbnail, ICC profile, XMP or comment left. Refused in one sentence when
    it is not a picture, is cut short, or would decode to more than :data:`MAX_PIXELS`."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    data = read_file(path)
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
            if image.width * image.height > MAX_PIXELS:
                raise Image.DecompressionBombError("too many pixels")
            image.load()  # the whole file: a truncated one fails here, not later
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(
            path, f"has more than {MAX_PIXELS // 1_000_000} million pixels, more than a photo needs"
        ) from None
    except UnidentifiedImageError:
        raise _refuse(path, "is not a picture mesolog can read (JPEG, PNG or WebP)") from None
    except (OSError, SyntaxError, ValueError):
        raise _refuse(
            path, "is damaged or cut short (the picture cannot be decoded whole)"
        ) from None
    taken = _taken(image)
    try:
        upright = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, TypeError, KeyError):  # an EXIF block that
        upright = image  # does not read: the picture as stored (its EXIF goes all the same)
    clean = _without_metadata(upright)
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return Picture(path, out.getvalue(), clean.width, clean.height, taken)


def _taken(image: PILImage.Image) -> date | None:
    """The day the camera took the picture (EXIF DateTimeOriginal), when it says so plainly."""
    try:
        text = image.getexif().get_ifd(EXIF_IFD).get(EXIF_DATE_TAKEN)
        return datetime.strptime(str(text).strip("\x00 ")[:10], "%Y:%m:%d").date()
    except (ValueError, TypeError, AttributeError, KeyError, OSError):
        return None


def _without_metadata(image: PILImage.Image) -> PILImage.Image:
    """A new image holding the pixels alone, in sRGB: nothing of the original's info (EXIF,
    XMP, comments, ICC profile) is carried over."""
    from PIL import Image

    profile = image.info.get("icc_profile")
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")  # a transparent PNG is printed on white paper
        rgb = Image.new("RGB", rgba.size, "white")
        rgb.paste(rgba, mask=rgba.getchannel("A"))
    elif image.mode in ("RGB", "L"):
        rgb = image
    elif image.mode.startswith("I"):  # 16-bit grey (a dermatoscope, a scanner): scaled to
        rgb = (
            image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
        )  # 8 bits, not clipped
    else:
        rgb = image.convert("RGB")
    if profile and rgb.mode == "RGB":
        rgb = _in_srgb(rgb, profile)
    fresh = Image.new(rgb.mode, rgb.size)
    fresh.paste(rgb)
    return fresh


def _in_srgb(image: PILImage.Image, profile: bytes) -> PILImage.Image:
    """Colours converted from the picture's own profile (a phone's Display P3) to sRGB, so the
    profile, which may name the device, need not be kept; left as they are if it cannot be."""
    try:
        from PIL import ImageCms
    except ImportError:  # a Pillow built without LittleCMS
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        converted = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"))
    except (OSError, ValueError, TypeError, ImageCms.PyCMSError):
        return image
    return converted if converted is not None else image


def write_new(data_dir: Path, path: Path, data: bytes) -> None:
    """``data`` written to a new file (0600) atomically: a temporary file in the same folder,
    fsync, linked into place (never over an existing file), the folder fsynced. The photo
    folders are made private (0700) and never followed if they are links."""
    _refuse_links(data_dir, path)
    folder = data_dir
    for part in path.parent.relative_to(data_dir).parts:
        folder = folder / part
        make_private_dir(folder)
    from mesolog.store.files import fsync_folder, write_synced

    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        write_synced(fd, data)
        try:
            os.link(temporary, path)
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links: the chart's lock is held, and
            if path.exists():  # the name was checked free (see same_file)
                raise
            os.replace(temporary, path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
    fsync_folder(path.parent)


def same_file(data_dir: Path, path: Path, sha256: str) -> bool:
    """True when ``path`` is a regular file holding exactly this picture (written by an earlier
    run whose chart change did not happen, or brought by git): it is used as it is. Anything
    else at that name is refused rather than replaced, and so is a path through a link."""
    _refuse_links(data_dir, path)
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        return False
    if stat.S_ISREG(status.st_mode) and _sha256(path) == sha256:
        return True
    raise _refuse(path, "exists and holds something else; move it away, then add the photo again")


def _refuse_links(data_dir: Path, path: Path) -> None:
    if linked_on_the_way(data_dir, path):
        why = "is reached through a symbolic link; mesolog writes pictures only into the data folder itself"
        raise _refuse(path.parent, why)


def remove_unrecorded(data_dir: Path, chart: Path, paths: list[Path]) -> list[Path]:
    """Undo pictures written for a change that then failed, but only those the chart on disk
    does not name: a change stopped after the chart was written (Ctrl-C while git commits)
    keeps its pictures, or the chart would name files that are gone. Returns those kept."""
    try:
        text = chart.read_text(encoding="utf-8")
    except OSError:
        text = ""
    named = [p for p in paths if f'"{p.relative_to(data_dir).as_posix()}"' in text]
    for path in paths:
        if path not in named:
            with contextlib.suppress(OSError):
                path.unlink()
    return named


def commit_later(
    data_dir: Path, lock_dir: Path, paths: list[Path], message: str, author: str
) -> None:
    """The chart and pictures of a change whose commit was interrupted, remembered to be
    committed with ``message`` at the chart's next change or ``mesolog sync`` (see
    ``store.pending``): else the pictures would never be committed, and never travel."""
    from mesolog.store import chart_lock, history, pending

    if not history.enabled(data_dir):
        return
    with chart_lock(lock_dir, ".git-history", timeout=30.0):
        for path in paths:
            pending.remember(data_dir, path.relative_to(data_dir).as_posix(), message, author)


def photo_findings(data_dir: Path, chart: Chart) -> list[tuple[tuple[str | int, ...], str]]:
    """(place in the chart, sentence) for each photo kept by ``photo add`` whose file is
    missing, is not a regular file, or no longer has the SHA-256 the chart recorded
    (``check``). A bare path (``--photo``) names a file that may come later: ``add`` warned
    about it when it was recorded, and check leaves it alone (docs/photos.md)."""
    found: list[tuple[tuple[str | int, ...], str]] = []
    for index, session in enumerate(chart.sessions):
        for number, item in enumerate(session.photos):
            if item.bare or not _inside(item.file):
                continue  # a bare path, or a file the model's rule refuses (named already)
            place: tuple[str | int, ...] = ("sessions", index, "photos", number, "file")
            why = _photo_problem(data_dir, item.file, item.sha256)
            if why:
                found.append((place, f"session {session.id}: photo {item.file} {why}"))
    return found


def _photo_problem(data_dir: Path, file: str, sha256: str | None) -> str | None:
    if not _inside(file):  # an absolute path or one through "..": never looked at
        return "is outside the data folder"
    path = data_dir / file
    if linked_on_the_way(data_dir, path):
        return "is reached through a symbolic link; mesolog does not follow it"
    if not path.resolve().is_relative_to(data_dir.resolve()):
        return "is outside the data folder"
    if path.exists() and not path.is_file():
        return "is not a regular file"
    if not path.exists():
        return "is missing from the data folder"
    if sha256 and lfs_pointer(path):
        return "is a Git LFS pointer, not the picture: run `mesolog git lfs pull`"
    if sha256 and _sha256(path) != sha256:
        return "differs from the picture recorded (its SHA-256 changed)"
    return None


def _inside(file: object) -> bool:
    from mesolog.errors import InvalidValue
    from mesolog.model.values import photo

    try:
        return isinstance(file, str) and bool(photo(file))
    except InvalidValue:
        return False


def linked_on_the_way(data_dir: Path, path: Path) -> bool:
    """True when ``path`` or a folder between the data folder and it is a symbolic link (a
    hand edit or a hostile clone could point a photo, or a patient's photo folder, anywhere)."""
    parts = path.relative_to(data_dir).parts
    return any(data_dir.joinpath(*parts[:end]).is_symlink() for end in range(1, len(parts) + 1))


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def lfs_pointer(path: Path) -> bool:
    """True when the file holds a Git LFS pointer instead of the picture (a clone that did not
    fetch the pictures: ``git lfs pull`` brings them)."""
    try:
        with path.open("rb") as handle:
            return handle.read(40).startswith(b"version https://git-lfs.github.com/spec/")
    except OSError:
        return False


# --- sharing: photos through Git LFS where it is installed --------------------------------------

LFS_LINE = "photos/** filter=lfs diff=lfs merge=lfs -text"
THROUGH_LFS = "photos travel through Git LFS"
AS_PLAIN_FILES = "photos travel as plain files in git (git-lfs is not installed)"


def lfs_installed(data_dir: Path) -> bool:
    """True when ``git lfs`` runs here (Debian package ``git-lfs``); git itself is there (both
    callers, init and check, ask only then)."""
    from mesolog.store import history

    return history.git(data_dir, "lfs", "version").returncode == 0


def share_photos(data_dir: Path) -> tuple[str, bool]:
    """Set the repository (which exists) up to carry photos through Git LFS when ``git lfs``
    is installed: its hooks and filters in this clone's config, and the attribute line. The
    sentence to say, and whether ``.gitattributes`` changed (to be committed). Without LFS the
    pictures are committed as ordinary files. Pictures committed before stay as they were."""
    from mesolog.store import history

    if not lfs_installed(data_dir):
        return AS_PLAIN_FILES + ".", False
    done = history.git(data_dir, "lfs", "install", "--local")
    if done.returncode != 0:
        return (
            f"{AS_PLAIN_FILES[: -len(' (git-lfs is not installed)')]}: git lfs install failed ({done.stderr.strip()[:120]}).",
            False,
        )
    changed = not history.has_line(data_dir / ".gitattributes", LFS_LINE)
    if changed:
        history.add_lines(data_dir / ".gitattributes", [LFS_LINE])
    if any(lfs_pointer(p) for p in (data_dir / "photos").rglob("*.jpg")):
        history.git(data_dir, "lfs", "pull")  # a clone made without LFS: the pictures themselves
    return THROUGH_LFS + ".", changed


def sharing_finding(data_dir: Path) -> tuple[str, str]:
    """For ``check`` with history on: ("note", how photos travel) or ("warning", what is
    wrong): the attributes name LFS but this clone has no LFS filter (it would commit
    pictures as plain files, or hold pointers instead of pictures)."""
    from mesolog.store import history

    if not history.has_line(data_dir / ".gitattributes", LFS_LINE):
        if lfs_installed(data_dir):
            return (
                "warning",
                "photos would travel as plain files in git although git-lfs is installed: run `mesolog init --git`",
            )
        return "note", AS_PLAIN_FILES
    configured = history.git(data_dir, "config", "--get", "filter.lfs.process")
    if not lfs_installed(data_dir) or configured.returncode != 0:
        return (
            "warning",
            "the clinic keeps photos in Git LFS, but it is not set up on this machine: install git-lfs, then run `mesolog init --git`",
        )
    return "note", THROUGH_LFS


def tighten_photos(data_dir: Path) -> None:
    """Photo folders 0700 and pictures 0600, as a pull leaves them (git writes with the umask)."""
    root = data_dir / "photos"
    if not root.is_dir() or root.is_symlink():
        return
    for folder, folders, files in os.walk(root):
        os.chmod(folder, 0o700)
        for name in files:
            keep_private(Path(folder) / name)
        folders[:] = [f for f in folders if not (Path(folder) / f).is_symlink()]


def keep_private(path: Path) -> None:
    """A regular file 0600 when others could read it; never through a symbolic link (its target
    may be outside the folder), and only what is wider."""
    try:
        status = os.lstat(path)
    except OSError:
        return
    if stat.S_ISREG(status.st_mode) and stat.S_IMODE(status.st_mode) & 0o077:
        os.chmod(path, 0o600)


# --- the summary page: small copies of the pictures it compares --------------------------------

PAGE_LONG_SIDE = 600  # pixels: sharp at the printed size (about 85 mm wide), light to mail
PAGE_QUALITY = 80


def page_pictures(data_dir: Path, chart: Chart) -> dict[str, bytes]:
    """Small JPEG copies of the pictures the summary page shows (the first and the latest of
    each view), keyed by the photo's file. A picture missing, changed or unreadable is left
    out (the page says so; ``check`` names it)."""
    from mesolog.model.photos import first_and_latest, timeline

    wanted = []
    for shots in timeline(chart).values():
        first, latest = first_and_latest(shots)
        wanted += [first.photo] + ([latest.photo] if latest else [])
    out: dict[str, bytes] = {}
    for item in wanted:
        if item.file in out or _photo_problem(data_dir, item.file, item.sha256):
            continue
        small = _small_copy(data_dir / item.file)
        if small is not None:
            out[item.file] = small
    return out


def _small_copy(path: Path) -> bytes | None:
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        data = read_file(path)
        with warnings.catch_warnings():  # over the limit: left out, as photo add refuses it
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=FORMATS) as image:
                if image.width * image.height > MAX_PIXELS:
                    return None
                image.draft(
                    "RGB", (PAGE_LONG_SIDE, PAGE_LONG_SIDE)
                )  # JPEG: decode at a smaller scale
                small = image.convert("RGB")
                small.thumbnail((PAGE_LONG_SIDE, PAGE_LONG_SIDE))
    except (
        UnusablePhoto,
        UnidentifiedImageError,
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        return None
    out = io.BytesIO()
    small.save(out, format="JPEG", quality=PAGE_QUALITY, optimize=True)
    return out.getvalue()
