"""Records for other programs: JSON, CSV and FHIR exports."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO, TYPE_CHECKING

from mesolog.model import Chart
from mesolog.render.console import counted, said, stream, to_json_line

if TYPE_CHECKING:
    from mesolog.model.importing import ImportPlan
    from mesolog.model.itemkeys import ExportKeys

# The JSON export's first key says what the file is (import checks it); its version counts
# changes of this shape (1 was a bare list of charts, which import still reads).
JSON_FORMAT = "mesolog-export"
JSON_VERSION = 2


def json_export(charts: Iterable[Chart], keys: ExportKeys | None) -> None:
    """``{"format": ..., "clinic": {"id": ...}, "charts": [...]}``, one chart a line, written
    as ``charts`` are read (as every export is: the clinic is never held in memory whole). The
    clinic's identity and each patient's key come along (a restored clinic exports the same
    FHIR ids); its secret never. A folder that never exported FHIR has neither yet."""
    from mesolog.model.exchange import chart_record

    clinic = {"id": keys.clinic_id} if keys else {}
    head = {"format": JSON_FORMAT, "version": JSON_VERSION, "clinic": clinic}
    records = (
        to_json_line(chart_record(c, keys.patient_key(c.patient) if keys else c.patient.uid))[:-1]
        for c in charts
    )
    _stream_object(head, "charts", records)


def _stream_object(head: dict[str, object], key: str, items: Iterator[str]) -> None:
    """``head`` as a JSON object whose last key, ``key``, holds a list of ``items`` (inert
    already: :func:`to_json_line`), one a line, commas between."""
    stream(to_json_line(head)[:-2] + f', "{key}": [')
    lead = "\n"
    for item in items:
        stream(lead + item, inert_already=True)
        lead = ",\n"
    stream("\n]}\n")


def fhir_export(charts: Iterable[Chart], keys: ExportKeys) -> None:
    from mesolog.render import fhir

    # A chart's entries a line: one encoder call each (the list's brackets dropped).
    lines = (
        to_json_line(some, acyclic=True)[1:-2] for some in fhir.chart_entries(charts, keys) if some
    )
    _stream_object(fhir.bundle_head(), "entry", lines)


def fhir_ndjson(charts: Iterable[Chart], keys: ExportKeys) -> Iterator[tuple[str, str]]:
    """FHIR Bulk Data: ``(<Type>.ndjson, line)``, a resource a line. Bulk Data has no deletes:
    a voided session's adverse events are left out, the rest say ``entered-in-error``
    (docs/exports.md)."""
    from collections import defaultdict

    from mesolog.render import fhir

    # A chart's lines of one type go out together (ten times fewer writes), in their order.
    for resources in fhir.chart_entries(charts, keys, relative=True):
        batches: defaultdict[str, list[str]] = defaultdict(list)
        for resource in resources:
            batches[resource["resourceType"]].append(to_json_line(resource, acyclic=True))
        for kind, lines in batches.items():
            yield f"{kind}.ndjson", "".join(lines)


def csv_export(charts: Iterable[Chart], per: str, spool: IO[str]) -> None:
    """Rows as each chart is read, each spooled as its CSV text (a line of ``spool``, a
    temporary file: ``store.outputs.spool``) until the widest session and every measure are
    known (the header needs them): memory stays flat at any clinic size."""
    import json
    import sys

    from mesolog.model import exchange
    from mesolog.render.console import csv_line

    widest, names = 1, set[str]()
    numbered = per != "substance"
    for chart in charts:
        for session in chart.sessions:
            shared = csv_line(exchange.session_cells(chart, session))
            given = [
                csv_line(exchange.substance_cells(item, numbered=numbered))
                for item in session.substances
            ]
            widest = max(widest, len(given))
            names.update(session.measurements)
            spool.write(json.dumps([shared, given, session.measurements], ensure_ascii=False))
            spool.write("\n")
    measures = sorted(names)
    stream(csv_line(exchange.csv_header(per, widest, measures)) + "\n")
    blank = csv_line([""] * len(exchange.NUMBERED_SUBSTANCE_COLUMNS))
    spool.seek(0)
    for line in spool:
        shared, given, measured = json.loads(line)
        tail = [csv_line(exchange.measure_cells(measured, measures))] if measures else []
        if numbered:
            stream(",".join([shared, *given, *[blank] * (widest - len(given)), *tail]) + "\n")
        else:
            for n, item in enumerate(given, start=1):
                stream(",".join([shared, str(n), item, *tail]) + "\n")
    # Said every time (mesolog has no --quiet): a CSV copy is not a backup of the charts.
    sys.stderr.write(f"{CSV_KEEPS}\n")


CSV_KEEPS = (
    "CSV keeps sessions, not the correction trail or contact details; "
    "use --format json for a full copy"
)


def map_written(path: object, unmapped: list[str], dates: str = "", header: str = "") -> None:
    """The first run on a foreign spreadsheet: where the map is and what it could not place."""
    lines = [f"wrote {path} with mesolog's best guesses for each column."]
    if header:
        lines.append(header)
    if dates:
        lines.append(f"Dates: {dates}.")
    if unmapped:
        lines.append("Columns not mapped (left out unless you name a field for them):")
        lines += [f"  {header!r}" for header in unmapped]
    lines.append("Check the map, then run the same import again to see the dry run.")
    said("\n".join(lines), stdout=True)  # wrapped between words on a terminal, as the report


# A report lists this many lines per section (and says how many more); the rest are the same
# kind of line and a practitioner fixes them from the first ones.
SHOWN = 50


def refused_sentence(plan: ImportPlan) -> str:
    """Why ``--apply`` wrote nothing, and the two ways on."""
    n = len({r.row for r in plan.rejected})
    was, them = ("was", "it") if n == 1 else ("were", "them")
    return (
        f"nothing was written: {counted(n, 'row')} {was} rejected; correct {them} (or the map), "
        "or add --skip-rejected to import the accepted rows."
    )


def import_report(plan: ImportPlan, applied: bool, refused: bool = False) -> None:
    """The dry-run (or applied) report: rows read/accepted/rejected, what would be created.
    Its last line says what happened: a dry run, or (``refused``) an ``--apply`` that wrote
    nothing because rows were rejected."""
    new = plan.new_patients
    others = f" and {len(new) - 20} more" if len(new) > 20 else ""
    sessions, charts = plan.written or (plan.sessions, len(plan.charts))
    lines = [
        f"{plan.file_name}: {counted(plan.rows_read, plan.unit)} read, {plan.accepted_rows} accepted, "
        f"{len({r.row for r in plan.rejected})} rejected.",
        f"{'Imported' if applied else 'Would import'} {counted(sessions, 'session')} into "
        f"{counted(charts, 'chart')}"
        + (f"; new patients: {', '.join(new[:20])}{others}." if new else "; no new patient."),
    ]
    if plan.dates:
        lines.append(f"Dates: {plan.dates}.")
    if plan.already_imported:
        lines.append(
            f"Already in the charts (left out): {counted(plan.already_imported, 'session')}."
        )
    # A fault of the whole row names no field: "row 9: the same as row 8", not "row 9, row: ...".
    rejected = [
        f"{plan.where} {r.row}{'' if r.field == 'row' else f', {r.field}'}: {r.reason}"
        for r in sorted(plan.rejected, key=lambda r: r.row)
    ]
    # (title, lines, how many more the plan counted without keeping them)
    sections = (
        ("Rejected rows", rejected, 0),
        ("Unknown values", plan.unknown_values, plan.unknown_values.more),
        ("New patients with close ids (check each is a different person)", plan.close_new_ids, 0),
        ("Likely duplicates of sessions in the charts", plan.duplicates, plan.duplicates.more),
        ("Left out, the file differing from the chart", plan.differs, plan.differs.more),
        ("Warnings (recorded all the same)", plan.warnings, plan.warnings.more),
    )
    for title, items, counted_only in sections:
        if items:
            unique = list(dict.fromkeys(items))
            lines.append(f"{title}:")
            lines += [f"  {item}" for item in unique[:SHOWN]]
            more = len(unique) - SHOWN + counted_only
            if more > 0:
                lines.append(f"  ... and {more} more")
    if len(plan.close_to_existing) > 1:
        lines.append(
            'If every id above with a "did you mean" is a new patient, add '
            f"--new-patient {','.join(plan.close_to_existing)}"
        )
    if refused:
        sentence = refused_sentence(plan)
        lines.append(sentence[0].upper() + sentence[1:])
    elif not applied:
        lines.append("Dry run: nothing was written. Add --apply to import.")
    # Wrapped between words on a terminal (ids and options never cut), one line each piped.
    said("\n".join(lines), stdout=True)
