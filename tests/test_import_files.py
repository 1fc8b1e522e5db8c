"""Files read exactly or refused exactly: each file in its own encoding (a byte that does not fit
is that row's fault, named by row and column), a workbook by its real cells, and anything that
is no record file (nested JSON, a broken workbook, a FIFO, a device, a huge file) refused in one
sentence with nothing written. A fault while writing leaves every chart as it was. Files are
written as other software writes them: openpyxl for XLSX, UTF-16 with a byte-order mark and
tabs for Excel's "Unicode text", cp1252 for an old Windows export."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from conftest import mesolog_process, snapshot

HEADER = [
    "patient",
    "name",
    "date",
    "areas",
    "technique",
    "depth_mm",
    "anaesthetic",
    "substance",
    "amount",
    "unit",
    "lot",
]
ROWS = [
    [
        "P-1",
        "Lucía Gómez",
        "2025-10-06",
        "scalp",
        "gun",
        "1.5",
        "none",
        "minoxidil",
        "1",
        "ml",
        "M1",
    ],
    ["P-2", "Jürgen Weiß", "2025-10-07", "scalp", "gun", "1.5", "none", "biotin", "2", "ml", "B1"],
    [
        "P-3",
        "Zoë Ndiaye",
        "2025-10-08",
        "face",
        "hand",
        "1",
        "none",
        "hyaluronic acid",
        "1",
        "ml",
        "H1",
    ],
]


def text_of(rows: list[list[str]], delimiter: str = ",", newline: str = "\n") -> str:
    return newline.join(delimiter.join(r) for r in [HEADER, *rows]) + newline


def names(data_dir: Path) -> dict[str, str]:
    return {
        p.stem: tomllib.loads(p.read_text())["patient"].get("name", "")
        for p in sorted((data_dir / "patients").glob("*.toml"))
    }


def refused(run, data_dir: Path, path: Path, *words: str, args: tuple[str, ...] = ()) -> str:  # type: ignore[no-untyped-def]
    """Both a dry run and --apply: exit 1, one sentence on stderr, nothing on disk changed."""
    before = snapshot(data_dir), snapshot(path.parent) if path.parent.is_dir() else {}
    for extra in ((), ("--apply",)):
        result = run("import", str(path), *args, *extra, expect=1)
        assert "Traceback" not in result.stderr + result.stdout
        said = result.stderr.strip()
        assert said.startswith("mesolog: ") and said.count("\n") == 0, said
        for word in words:
            assert word in said, said
    assert (snapshot(data_dir), snapshot(path.parent) if path.parent.is_dir() else {}) == before
    return said


# --- encodings ---------------------------------------------------------------------------------


def test_a_stray_byte_in_a_utf8_file_is_one_rejected_row_and_the_rest_reads_as_utf8(
    run, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "visits.csv"
    raw = text_of(ROWS).encode("utf-8").replace("Jürgen".encode(), b"J\xfcrgen")  # one cp1252 byte
    path.write_bytes(raw)
    before = snapshot(data_dir)
    dry = run("import", str(path), expect=1)
    assert "row 3: column 'name' holds byte 0xFC, which does not fit the encoding" in dry.stdout
    assert "3 rows read, 2 accepted, 1 rejected." in dry.stdout
    assert snapshot(data_dir) == before
    run("import", str(path), "--apply", "--skip-rejected")
    assert names(data_dir) == {"P-1": "Lucía Gómez", "P-3": "Zoë Ndiaye"}  # never "LucÃ­a"


def test_excel_unicode_text_utf16_with_bom_and_tabs_imports(
    run, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "visits.txt"
    path.write_bytes(text_of(ROWS, "\t", "\r\n").encode("utf-16"))  # BOM, little-endian, as Excel
    result = run("import", str(path), "--apply")
    assert "3 rows read, 3 accepted, 0 rejected." in result.stdout
    assert names(data_dir) == {"P-1": "Lucía Gómez", "P-2": "Jürgen Weiß", "P-3": "Zoë Ndiaye"}


def test_utf8_with_bom_imports(run, data_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "visits.csv"
    path.write_bytes(text_of(ROWS, ";", "\r\n").encode("utf-8-sig"))
    run("import", str(path), "--apply")
    assert names(data_dir)["P-2"] == "Jürgen Weiß"


def test_an_old_windows_export_reads_with_its_encoding_named_and_is_refused_per_row_without(
    run, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "visits.csv"
    path.write_bytes(text_of(ROWS).encode("cp1252"))
    before = snapshot(data_dir)
    dry = run("import", str(path), expect=1)
    assert "3 rows read, 0 accepted, 3 rejected." in dry.stdout
    assert "row 2: column 'name' holds byte 0xED" in dry.stdout and "--encoding" in dry.stdout
    assert snapshot(data_dir) == before
    run("import", str(path), "--encoding", "cp1252", "--apply")
    assert names(data_dir) == {"P-1": "Lucía Gómez", "P-2": "Jürgen Weiß", "P-3": "Zoë Ndiaye"}


def test_an_unknown_encoding_is_a_usage_error(run, data_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "visits.csv"
    path.write_text(text_of(ROWS))
    result = run("import", str(path), "--encoding", "klingon", expect=2)
    assert "--encoding 'klingon' is not allowed" in result.stderr


def test_an_encoding_for_a_workbook_is_refused_not_ignored(
    run, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    path = workbook(tmp_path / "visits.xlsx", [HEADER, *ROWS])
    before = snapshot(data_dir)
    result = run("import", str(path), "--encoding", "cp1252", expect=2)
    assert (
        "--encoding 'cp1252' is not allowed: a .xlsx file names its own encoding" in result.stderr
    )
    assert snapshot(data_dir) == before


def test_utf16_without_its_mark_is_refused_with_what_to_give(
    run, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "visits.csv"
    path.write_bytes(text_of(ROWS).encode("utf-16-le"))
    refused(
        run, data_dir, path, "looks like UTF-16 without a byte-order mark", "--encoding utf-16-le"
    )
    run("import", str(path), "--encoding", "utf-16-le", "--apply")
    assert names(data_dir)["P-3"] == "Zoë Ndiaye"


# --- workbooks ---------------------------------------------------------------------------------


def workbook(path: Path, rows: list[list[object]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def rewritten(path: Path, member: str, change) -> None:  # type: ignore[no-untyped-def]
    """The workbook with one of its XML parts changed, as other software may write it."""
    with zipfile.ZipFile(path) as old:
        parts = {info.filename: old.read(info.filename) for info in old.infolist()}
    parts[member] = change(parts[member])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for name, data in parts.items():
            new.writestr(name, data)


def test_a_workbook_is_read_by_its_cells_not_its_stale_dimension(
    run, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    import re

    path = workbook(tmp_path / "visits.xlsx", [HEADER, *ROWS])
    # Some programs declare a dimension they never updated: here, the header and one row.
    rewritten(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:K2"', xml),
    )
    assert b'ref="A1:K2"' in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    result = run("import", str(path), "--apply")
    assert "3 rows read, 3 accepted, 0 rejected." in result.stdout
    assert sorted(names(data_dir)) == ["P-1", "P-2", "P-3"]


def test_a_malformed_workbook_is_refused_in_one_sentence(
    run, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    path = workbook(tmp_path / "visits.xlsx", [HEADER, *ROWS])
    rewritten(path, "xl/worksheets/sheet1.xml", lambda xml: xml[: len(xml) // 2])  # cut short
    refused(run, data_dir, path, "is not a readable .xlsx workbook")


# --- what is no record file --------------------------------------------------------------------


def test_deeply_nested_json_is_refused_in_one_sentence(run, data_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "charts.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    refused(run, data_dir, path, "is nested deeper than 64 levels")


def test_a_device_is_refused_before_it_is_read(run, data_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "in").mkdir()
    path = tmp_path / "in" / "visits.csv"
    path.symlink_to("/dev/zero")  # would never end
    refused(run, data_dir, path, "is a device, not a file")


def test_a_file_over_the_size_limit_is_refused_saying_the_limit(
    run, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "in" / "visits.csv"
    path.parent.mkdir()
    with path.open("wb") as handle:  # sparse: 201 MB that take no room
        handle.write(b",".join(h.encode() for h in HEADER) + b"\n")
        handle.truncate(201_000_000)
    refused(run, data_dir, path, "is 201 MB, over the 200 MB import reads at once")


@pytest.mark.parametrize("which", ["file", "map"])
def test_a_fifo_as_the_file_or_its_map_is_refused_not_waited_on(
    data_dir: Path, tmp_path: Path, which: str
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    path = folder / "visits.csv"
    if which == "file":
        os.mkfifo(path)
    else:
        path.write_text("Kunde,Datum,Produkt\nP-1,06.10.2025,biotin\n")
        os.mkfifo(folder / "visits.csv.map.toml")
    before = snapshot(data_dir)
    # A hang is the failure here: no writer ever opens the FIFO. The bound is only for a hang.
    result = mesolog_process("import", str(path), timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "is a FIFO, not a file: import reads only regular files." in result.stderr
    assert snapshot(data_dir) == before


# --- a fault while writing -------------------------------------------------------------------------


def _small_files_only(limit: int):  # type: ignore[no-untyped-def]
    def limited() -> None:
        # A write past the limit fails with EFBIG (as a full disk fails with ENOSPC) instead of
        # killing the process.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limited


def test_a_fault_mid_apply_leaves_every_chart_as_it_was(
    run, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    run("init", "--git")
    for pid in ("P-1", "P-2", "P-3"):
        run("patient", "new", pid)
    # P-3's chart is the large one: its write is the one that fails, after NEW-9 (new), P-1 and P-2.
    for day in range(1, 9):
        run(
            "add",
            "P-3",
            "--date",
            f"2025-09-{day:02d}",
            "--area",
            "scalp",
            "-s",
            "biotin:1ml:LOT B1",
            "--depth",
            "1.5",
            "--technique",
            "gun",
            "--anaesthetic",
            "none",
            "--note",
            "n" * 200,
            "--no-input",
        )
    rows = [
        [pid, "", f"2025-10-{n + 10}", "scalp", "gun", "1.5", "none", "biotin", "1", "ml", "B1"]
        for n, pid in enumerate(["NEW-9", "P-1", "P-2", "P-3"])
    ]
    path = tmp_path / "visits.csv"
    path.write_text(text_of(rows))
    sizes = {p.stem: p.stat().st_size for p in (data_dir / "patients").glob("*.toml")}
    limit = sizes["P-1"] + 2000
    assert sizes["P-3"] > limit
    before = snapshot(data_dir)
    result = subprocess.run(
        [sys.executable, "-m", "mesolog", "import", str(path), "--apply"],
        capture_output=True,
        text=True,
        preexec_fn=_small_files_only(limit),
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr == (
        "mesolog: the import stopped at P-3 (File too large); every chart is as it "
        "was before the import.\n"
    )
    assert snapshot(data_dir) == before
    assert sorted(p.stem for p in (data_dir / "patients").glob("*.toml")) == ["P-1", "P-2", "P-3"]
    again = run("import", str(path), "--apply")  # and nothing stands in the way of a second try
    assert "Imported 4 sessions into 4 charts" in again.stdout


@pytest.fixture
def small_disk(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A real 1 MB tmpfs (only where this test may mount one: as root on Linux)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if (
        os.geteuid() != 0
        or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], capture_output=True
        ).returncode
        != 0
    ):
        pytest.skip("mounting a small tmpfs needs root")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


@pytest.mark.parametrize("kept_rows", [20_000, 0])  # written as planned, or streamed again
def test_a_disk_that_fills_mid_apply_leaves_every_chart_as_it_was(
    run,
    small_disk: Path,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
    kept_rows: int,
) -> None:
    from mesolog.model import importing

    monkeypatch.setattr(importing, "KEPT_ROWS", kept_rows)
    data = small_disk / "data"
    run("--data-dir", str(data), "init")
    run("--data-dir", str(data), "patient", "new", "P-1")
    free = os.statvfs(small_disk)
    filler = small_disk / "filler"
    filler.write_bytes(b"x" * (free.f_bavail * free.f_frsize - 40 * 1024))  # 40 KB left
    rows = [
        [f"NEW-{n:02d}", "", "2025-10-06", "scalp", "gun", "1.5", "none", "biotin", "1", "ml", "B1"]
        for n in range(40)
    ] + [["P-1", "", "2025-10-06", "scalp", "gun", "1.5", "none", "biotin", "1", "ml", "B1"]]
    path = tmp_path / "visits.csv"
    path.write_text(text_of(rows))
    before = snapshot(data)
    result = run("--data-dir", str(data), "import", str(path), "--apply", expect=1)
    assert result.stderr.startswith("mesolog: the import stopped at NEW-")
    assert result.stderr.endswith(
        "(No space left on device); every chart is as it was before the import.\n"
    )
    assert snapshot(data) == before
    filler.unlink()
    assert (
        "Imported 41 sessions"
        in run("--data-dir", str(data), "import", str(path), "--apply").stdout
    )


def test_names_come_back_exactly_in_every_encoding_a_spreadsheet_saves(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Any name a cp1252 file can hold, saved as UTF-8, UTF-8 with BOM, UTF-16 (Excel's
    "Unicode text") or cp1252 (with --encoding), imports as typed."""
    import csv
    import io
    import tempfile

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    letters = st.characters(codec="cp1252", exclude_categories=("Cc", "Cs", "Zl", "Zp"))
    typed = (
        st.text(letters, min_size=1, max_size=20)
        .map(str.strip)
        .filter(lambda n: n and not n.startswith("'"))
    )

    @settings(
        max_examples=20,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(typed, st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    def check(name: str, encoding: str) -> None:
        folder = Path(tempfile.mkdtemp(dir=tmp_path))
        text = io.StringIO()
        writer = csv.writer(
            text, delimiter="\t" if encoding == "utf-16" else ";", lineterminator="\r\n"
        )
        writer.writerows([HEADER, ["P-1", name, *ROWS[0][2:]]])
        path = folder / "visits.csv"
        path.write_bytes(text.getvalue().encode(encoding))
        data = folder / "data"
        run("--data-dir", str(data), "init")
        extra = ("--encoding", "cp1252") if encoding == "cp1252" else ()
        run("--data-dir", str(data), "import", str(path), "--apply", *extra)
        assert names(data) == {"P-1": name}

    check()
