"""Atomic writes and per-patient locks: a chart on disk is always a whole chart."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from mesolog.errors import ChartBusy, UnsafeFile
from mesolog.store.paths import make_private_dir

LOCK_TIMEOUT_S = 5.0
# What a file system without hard links (FAT, exFAT, some network and FUSE mounts) answers
# os.link with.
_NO_HARD_LINKS = frozenset(
    {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.ENOSYS, errno.EMLINK}
)


# --- writing ----------------------------------------------------------------------------------


def fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a folder be fsynced
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_synced(fd: int, data: str | bytes) -> None:
    """``data`` (text as UTF-8, line ends as they are) written to ``fd``, fsynced, closed."""
    with os.fdopen(fd, "wb") as handle:
        handle.write(data.encode("utf-8") if isinstance(data, str) else data)
        handle.flush()
        os.fsync(handle.fileno())


@contextlib.contextmanager
def _removed_on_failure(path: str | Path) -> Iterator[None]:
    """A file being written is removed if anything fails (or interrupts) before it is whole."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise


def write_atomically(path: Path, text: str, overwrite: bool = True) -> None:
    """Temporary file in the same folder (0600), fsync, ``os.replace``, fsync the folder.

    With ``overwrite=False`` the file is linked into place instead, which fails with
    ``FileExistsError`` if ``path`` exists, even one created a moment ago by another process.
    Where the file system has no hard links, it is created exclusively instead
    (:func:`create_exclusively`): never clobbering, at the cost of a moment where a reader
    could see it half written.
    """
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    with _removed_on_failure(temporary):
        write_synced(fd, text)
        if overwrite:
            os.replace(temporary, path)
        else:
            try:
                os.link(temporary, path)
            except OSError as error:
                if error.errno not in _NO_HARD_LINKS or isinstance(error, FileExistsError):
                    raise
                create_exclusively(path, text)
            os.unlink(temporary)
    fsync_folder(path.parent)


def _open_own_file(path: Path, flags: int) -> int:
    """Open a file of ours, never through a symbolic link (a planted link would have us
    truncate or write its target, outside the data folder) and only if it is a regular file."""
    import stat

    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK, 0o600)
    except OSError:
        unsafe = unsafe_own_file(path)
        if unsafe:
            raise UnsafeFile(unsafe) from None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise UnsafeFile(f"{path} is not a regular file; mesolog leaves it alone. Remove it.")
    return fd


def create_exclusively(path: Path, text: str) -> None:
    """A new file (0600) holding ``text``, fsynced; ``FileExistsError`` if ``path`` exists, a
    symlink included (O_EXCL | O_NOFOLLOW): nothing is ever clobbered."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    fd = os.open(path, flags, 0o600)
    with _removed_on_failure(path):  # ours, created a moment ago: no half chart left
        write_synced(fd, text)


# --- locking ----------------------------------------------------------------------------------


def make_lock_dir(lock_dir: Path) -> None:
    """The locks' folder, created private; a symbolic link there is refused, never followed: the
    lock files (and an import's backups) would be made, and truncated, in its target."""
    unsafe = unsafe_own_file(lock_dir, folder=True)
    if unsafe:
        raise UnsafeFile(unsafe)
    make_private_dir(lock_dir)


def unsafe_own_file(path: Path, folder: bool = False) -> str | None:
    """Why a file of ours (a lock), or with ``folder`` the locks' folder, cannot be used (a
    symbolic link, or not a regular file, or a file where the folder goes), or None: the one
    sentence every write refuses with and `check` reports."""
    if os.path.islink(path):
        return f"{path} is a symbolic link; mesolog never writes through one. Remove it."
    if os.path.lexists(path) and not (os.path.isdir(path) if folder else os.path.isfile(path)):
        what = (
            "a file, where mesolog keeps its locks in a folder" if folder else "not a regular file"
        )
        return f"{path} is {what}; mesolog leaves it alone. Remove it."
    return None


def unsafe_locks(lock_dir: Path) -> list[tuple[Path, str]]:
    """The locks' folder, or each lock file in it, that every write of it refuses (for
    `check`), with the sentence of the refusal."""
    unsafe = unsafe_own_file(lock_dir, folder=True)
    if unsafe:
        return [(lock_dir, unsafe)]
    found = sorted(lock_dir.glob("*.lock")) if lock_dir.is_dir() else []
    return [(path, why) for path in found if (why := unsafe_own_file(path))]


@contextlib.contextmanager
def chart_lock(lock_dir: Path, patient_id: str, timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Exclusive lock on one patient (ids are unique ignoring case, so is the lock).

    Held across the whole read-modify-write. After ``timeout`` seconds, refuse, naming the
    process that holds it.
    """
    import fcntl
    import time

    make_lock_dir(lock_dir)
    lock_path = lock_dir / f"{patient_id.lower()}.lock"
    fd = _open_own_file(lock_path, os.O_RDWR | os.O_CREAT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = lock_path.read_text(errors="replace").strip() or "unknown"
                    raise ChartBusy(
                        f"patient {patient_id} is being written by another mesolog (pid {holder}); "
                        "try again in a moment."
                    ) from None
                time.sleep(0.02)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        os.close(fd)  # closing releases the lock
