"""Records for other programs: JSON, CSV and FHIR exports."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

from mesolog.model import Chart
from mesolog.render.console import to_csv, to_json, write

if TYPE_CHECKING:
    from mesolog.model.importing import ImportPlan


def export(charts: list[Chart], fmt: str, clinic_id: str = "", per: str = "session") -> None:
    """``fmt`` json, csv (``per`` session or substance, see model.exchange) or fhir."""
    if fmt == "json":
        write(to_json([asdict(chart) for chart in charts]))
        return
    if fmt == "fhir":
        from mesolog.render import fhir

        write(to_json(fhir.bundle(charts, clinic_id)))
        return
    import sys

    from mesolog.model import exchange

    header, rows = (
        exchange.per_substance(charts) if per == "substance" else exchange.per_session(charts)
    )
    write(to_csv(header, rows))
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
    write("\n".join(lines))


# A report lists this many lines per section (and says how many more); the rest are the same
# kind of line and a practitioner fixes them from the first ones.
SHOWN = 50


def _some(names: list[str], shown: int = 20) -> str:
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def refused_sentence(plan: ImportPlan) -> str:
    """Why ``--apply`` wrote nothing, and the two ways on."""
    from mesolog.render.console import counted

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
    from mesolog.render.console import counted

    new = plan.new_patients
    lines = [
        f"{plan.file_name}: {counted(plan.rows_read, plan.unit)} read, {plan.accepted_rows} accepted, "
        f"{len({r.row for r in plan.rejected})} rejected.",
        f"{'Imported' if applied else 'Would import'} {counted(plan.sessions, 'session')} into "
        f"{counted(len(plan.charts), 'chart')}"
        + (f"; new patients: {_some(new)}." if new else "; no new patient."),
    ]
    if plan.dates:
        lines.append(f"Dates: {plan.dates}.")
    if plan.already_imported:
        lines.append(
            f"Already in the charts (left out): {counted(plan.already_imported, 'session')}."
        )
    rejected = [
        f"{plan.where} {r.row}, {r.field}: {r.reason}" for r in sorted(plan.rejected, key=lambda r: r.row)
    ]
    # (title, lines, how many more the plan counted without keeping them)
    sections = (
        ("Rejected rows", rejected, 0),
        ("Unknown values", plan.unknown_values, plan.unknown_values.more),
        ("New patients with close ids (check each is a different person)", plan.close_new_ids, 0),
        ("Likely duplicates of sessions in the charts", plan.duplicates, plan.duplicates.more),
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
            "If every id above with a \"did you mean\" is a new patient, add "
            f"--new-patient {','.join(plan.close_to_existing)}"
        )
    if refused:
        sentence = refused_sentence(plan)
        lines.append(sentence[0].upper() + sentence[1:])
    elif not applied:
        lines.append("Dry run: nothing was written. Add --apply to import.")
    write("\n".join(lines))
