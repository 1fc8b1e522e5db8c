"""`export` and `import`: records for and from spreadsheets and other systems."""

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mesolog.cli.application import (
    app,
    check_format,
    fail_if_left_out,
    state_of,
)
from mesolog.cli.options import (
    FolderForceOption,
    FolderOutputOption,
    flag,
    format_option,
    patient_argument,
    whole_option,
)

if TYPE_CHECKING:
    from mesolog.model import Chart


@app.command()
def export(
    ctx: typer.Context,
    patient_id: Annotated[
        str | None, patient_argument("One patient; without it, every patient.")
    ] = None,
    fmt: Annotated[
        str,
        format_option(
            "json (a full copy), csv, fhir (R4 transaction Bundle) or fhir-ndjson (FHIR Bulk Data: one file a resource type, with --output). Example: --format fhir"
        ),
    ] = "json",
    per: Annotated[
        str,
        typer.Option(
            metavar="ROW",
            help="csv rows: one per session (substances in numbered columns) or one per substance given. Example: --per substance",
        ),
    ] = "session",
    output: FolderOutputOption = None,
    force: FolderForceOption = False,
) -> None:
    """Records for spreadsheets and other systems. Example: mesolog export P-0042 --format fhir"""
    from mesolog.errors import InvalidValue
    from mesolog.model import choice
    from mesolog.render import console
    from mesolog.render import exchange as exchange_view

    check_format(ctx)
    per = choice(per, "--per", ("session", "substance"))
    if fmt == "fhir-ndjson" and output is None:
        raise InvalidValue(
            "--format",
            fmt,
            "it writes one file a resource type: name their folder with --output DIR",
        )
    if fmt != "fhir-ndjson" and output is not None:
        raise InvalidValue(
            "--output",
            str(output),
            f"--format {fmt} prints its export: redirect it (mesolog export --format {fmt} > "
            "FILE); --output names a folder for --format fhir-ndjson only",
        )
    clinic = state_of(ctx).reading_clinic()
    problems: list[tuple[str, str]] = []
    # One patient's chart is read here: an unknown patient is refused before anything is written.
    one = clinic.read_with_text(patient_id) if patient_id is not None else None

    conflicted: list[str] = []

    def charts() -> Iterator["Chart"]:
        """The charts as they are read (an export never holds the clinic whole)."""
        if one is not None:
            from mesolog.store.settling import chart_conflicts

            chart, text = one  # the details' conflicts are in the text the chart was read from
            yield noted(chart, bool(chart_conflicts(text)))
            return
        for entry in clinic.entries():
            if entry.chart is None:
                problems.append((entry.patient_id, str(entry.error)))
                console.warnings([f"{entry.patient_id} left out: {entry.error}"])
            else:
                yield noted(entry.chart, entry.details_in_conflict)
        console.warnings(clinic.notices)

    def noted(chart: "Chart", details_in_conflict: bool) -> "Chart":
        # A conflict in a session or in the chart's own details (the patient's, a course's).
        if details_in_conflict or any(s.conflicts for s in chart.sessions):
            conflicted.append(chart.patient.id)
        return chart

    # FHIR makes the clinic's keys the first time; JSON carries them when they exist.
    if output is not None:
        from mesolog.store.outputs import save_lines

        lines = exchange_view.fhir_ndjson(charts(), clinic.export_keys())
        written = save_lines(output, lines, force)
        console.write("\n".join(map(str, written)) or f"nothing to export; {output} left empty")
    elif fmt == "fhir":
        exchange_view.fhir_export(charts(), clinic.export_keys())
    else:
        from mesolog.store.outputs import spool

        keys = clinic.existing_export_keys()
        if fmt == "json":
            exchange_view.json_export(charts(), keys)
        else:
            with spool() as rows:  # CSV rows wait there for their header
                exchange_view.csv_export(charts(), per, rows)
    if conflicted:  # the export holds the value kept meanwhile: said, never passed off as final
        charts_word = "1 chart holds" if len(conflicted) == 1 else f"{len(conflicted)} charts hold"
        console.warnings(
            [
                f"{charts_word} merge conflicts still open ({', '.join(conflicted)}): the "
                "export holds the value each kept meanwhile; `mesolog report ID` names them "
                "and the command that settles each"
            ]
        )
    fail_if_left_out(problems)


@app.command("import")
def import_file(
    ctx: typer.Context,
    file: Annotated[
        str,
        typer.Argument(
            metavar="FILE",
            help="A .csv, .txt or .xlsx spreadsheet, a JSON list of visits, or a mesolog .json export. Example: mesolog import visits.csv",
        ),
    ],
    apply: Annotated[
        bool, flag("--apply", "Write the sessions (else a dry run reports only).")
    ] = False,
    skip_rejected: Annotated[
        bool,
        flag(
            "--skip-rejected",
            "With --apply, import the accepted rows even if some were rejected.",
            "--apply --skip-rejected",
        ),
    ] = False,
    new_patient: Annotated[
        list[str] | None,
        typer.Option(
            metavar="ID",
            help="Start a chart for this id although it is close to an existing one, or has a chart's name and birth year (either is refused: one patient, one chart); repeat, or separate ids with commas. Example: --new-patient P-0043",
        ),
    ] = None,
    map_file: Annotated[
        str | None,
        typer.Option(
            "--map",
            metavar="FILE",
            help="The map to read the file with (else FILE.map.toml beside it; written when missing). Example: --map clinic.map.toml",
        ),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(
            metavar="NAME",
            help="The CSV's encoding when it has no byte-order mark (else UTF-8). Example: --encoding cp1252",
        ),
    ] = None,
    header_row: Annotated[
        int | None,
        whole_option(
            "--header-row",
            "N",
            "The row that names the columns, when rows above it hold something else. Example: --header-row 2",
        ),
    ] = None,
    practitioner: Annotated[
        str | None,
        typer.Option(
            metavar="NAME",
            help='Who signs the sessions whose rows name nobody (else the config\'s practitioner). Example: --practitioner "Dr. A. Keller"',
        ),
    ] = None,
) -> None:
    """Sessions from a spreadsheet or an export; a dry run unless --apply. Example: mesolog import visits.csv --apply"""
    from datetime import date

    from mesolog import model
    from mesolog.errors import ImportRejected, InvalidValue
    from mesolog.model.import_map import ISO_DATE, text_encoding
    from mesolog.model.import_rows import Drafting
    from mesolog.model.values import one_line
    from mesolog.render import console
    from mesolog.render import exchange as exchange_view
    from mesolog.store.importer import ImportOptions, MapWritten, prepare
    from mesolog.store.importer import apply as apply_import

    state = state_of(ctx)
    # Writing into a named folder that does not exist is refused (a typo in the path must not
    # start a second clinic); a dry run only plans, and creates nothing.
    clinic, settings = (state.starting_clinic() if apply else state.clinic()), state.config()
    if header_row is not None and header_row < 1:
        raise InvalidValue("--header-row", str(header_row), "give the row number, 1 or more")
    options = ImportOptions(
        map_file=Path(map_file) if map_file else None,
        encoding=(
            text_encoding(encoding, "--encoding", "utf-8, utf-16, cp1252, latin-1")
            if encoding
            else None
        ),
        header_row=header_row,
        new_ids=[i.strip() for given in new_patient or () for i in given.split(",") if i.strip()],
    )
    # Who signs the rows that name nobody.
    signer = one_line(practitioner, "--practitioner") if practitioner else ""
    how = Drafting(settings.clinic_defaults(), ISO_DATE, date.today(), model.now(), signer)
    plan = prepare(clinic, Path(file), how, options)
    if isinstance(plan, MapWritten):
        exchange_view.map_written(plan.path, plan.unmapped, plan.dates, plan.header)
        raise typer.Exit(1)
    if apply and plan.rejected and not skip_rejected:
        exchange_view.import_report(plan, applied=False, refused=True)
        raise ImportRejected(exchange_view.refused_sentence(plan))
    if apply:
        plan = apply_import(clinic, Path(file), plan, how, settings.practitioner, options)
    exchange_view.import_report(plan, applied=apply)
    console.warnings(clinic.notices)
    if plan.rejected and not apply:
        raise typer.Exit(1)
