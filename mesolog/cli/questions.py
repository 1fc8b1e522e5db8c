"""The clinic's questions: `due`, `lot`, `find`, `stats`."""

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mesolog.cli import completion
from mesolog.cli.application import (
    app,
    chart_problems,
    check_format,
    date_window,
    fail_if_left_out,
    show_report,
    state_of,
    summary_index,
)
from mesolog.cli.options import (
    ForceOption,
    FormatOption,
    OutputOption,
    SinceOption,
    UntilOption,
    flag,
    keyword_options,
    whole_option,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

# --- across patients --------------------------------------------------------------------------


@app.command()
def due(
    ctx: typer.Context,
    within: Annotated[
        int, whole_option("--within", "DAYS", "Days ahead to look. Example: --within 14")
    ] = 7,
    overdue: Annotated[bool, flag("--overdue", "Only those already overdue.")] = False,
    everyone: Annotated[
        bool, flag("--all", "Also patients with no course, by last session.")
    ] = False,
    fmt: FormatOption = "table",
    output: OutputOption = None,
    force: ForceOption = False,
) -> None:
    """Patients due or overdue for their next session, overdue first. Example: mesolog due --within 14"""
    from datetime import timedelta

    from mesolog import model
    from mesolog.model import progress
    from mesolog.render import clinic as clinic_view
    from mesolog.render.console import warnings

    check_format(ctx)
    model.whole(within, "--within", 0, 3650)
    today = date.today()
    horizon = today + timedelta(days=within)
    with summary_index(ctx) as index:
        summaries, problems = index.summaries()
        notes = chart_problems(index)
    # One row per open course: a patient due in two courses is listed twice.
    rows = [row for s in summaries for row in progress.course_rows(s)]
    chosen = [
        s
        for s in rows
        if (s.next_due is not None and (s.next_due < today if overdue else s.next_due <= horizon))
        or (everyone and s.planned is None and not overdue)
    ]
    ordered = progress.overview_order(chosen, today)
    nobody = (
        f"Nobody is overdue ({today.isoformat()})."
        if overdue
        else f"Nobody is due by {horizon.isoformat()} ({within} days from {today.isoformat()})."
    )
    show_report(
        ctx, lambda form: clinic_view.due(ordered, problems, today, form, nobody), "mesolog due"
    )
    warnings(notes)
    fail_if_left_out(problems)


@app.command()
def lot(
    ctx: typer.Context,
    # (import's FILE is declared alike: one required argument, as Typer reads it.)
    lot_number: Annotated[
        str,
        typer.Argument(
            metavar="LOT",
            shell_complete=completion.lots,
            help="The lot or batch number; case and spaces ignored. Example: D2411",
        ),
    ],
    fmt: FormatOption = "table",
    output: OutputOption = None,
    force: ForceOption = False,
) -> None:
    """Every patient and session that received a lot (recall tracing). Example: mesolog lot D2411"""
    from mesolog.errors import InvalidValue
    from mesolog.model import questions
    from mesolog.model.values import lot_key
    from mesolog.render import clinic as clinic_view
    from mesolog.render.console import warnings

    check_format(ctx)
    if not lot_key(lot_number):
        raise InvalidValue("lot", lot_number, "give the lot number to trace")
    with summary_index(ctx) as index:
        rows = list(index.sessions(questions.SessionQuery(lot=lot_number, include_voided=True)))
        patients = questions.lot_patients(lot_number, rows, index.contacts())
        close = [] if patients else questions.close_lots(lot_number, index.lots())
        problems, notes = index.problems(), chart_problems(index)
    show_report(
        ctx,
        lambda form: clinic_view.lot_uses(lot_number, patients, problems, form, close),
        f"mesolog lot {lot_number}",
    )
    warnings(notes)
    fail_if_left_out(problems)


# `find`'s filters, in the order of its help: the option (a keyword of SessionQuery), its
# word, where it completes from, its help.
_FILTERS = (
    ("substance", "SUBSTANCE", completion.substances, "Example: --substance minoxidil"),
    ("area", "AREA", completion.areas, "Example: --area scalp"),
    (
        "zone",
        "AREA/ZONE",
        None,
        "A zone of the injection map, of an area or of any. Example: --zone scalp/vertex",
    ),
    ("complication", "COMPLICATION", completion.complications, "Example: --complication bruising"),
    ("technique", "TECHNIQUE", completion.techniques, "gun or hand. Example: --technique gun"),
    ("practitioner", "NAME", None, "Part of the name. Example: --practitioner Moreau"),
    ("indication", "INDICATION", completion.indications, 'Example: --indication "hair loss"'),
)


def _filter_options() -> "Iterator[tuple[str, Any, object]]":
    for name, metavar, complete, help in _FILTERS:
        option = typer.Option(metavar=metavar, shell_complete=complete, help=help)
        yield name, Annotated[str | None, option], None


@app.command()
@keyword_options(_filter_options)
def find(
    ctx: typer.Context,
    *,
    since: SinceOption = None,
    until: UntilOption = None,
    voided: Annotated[bool, flag("--voided", "Include voided sessions.")] = False,
    fmt: FormatOption = "table",
    output: OutputOption = None,
    force: ForceOption = False,
    **filters: str | None,
) -> None:
    """Sessions across all patients matching every filter given. Example: mesolog find --area scalp --complication bruising"""
    from mesolog import model
    from mesolog.errors import InvalidValue
    from mesolog.model.questions import SessionQuery
    from mesolog.render import clinic as clinic_view
    from mesolog.render.console import warnings

    check_format(ctx)
    for name, *_ in _FILTERS:
        value = filters[name]
        # Given empty (`--substance ""`), like `lot ""`, it would match every session.
        if value is not None and not value.strip():
            raise InvalidValue(f"--{name}", value, f"give what to look for, or leave --{name} out")
    words = state_of(ctx).config().vocabulary()
    begin, end = date_window(since, until)
    # Areas, complications and indications are looked for by their meaning; a technique as
    # the model reads it; the rest as typed.
    meaning = {
        "area": words.area,
        "complication": words.complication,
        "indication": words.indication,
    }
    chosen: dict[str, Any] = {
        name: meaning[name](value).value if name in meaning else value
        for name, value in filters.items()
        if value is not None
    }
    if "technique" in chosen:
        chosen["technique"] = model.technique(chosen["technique"])
    query = SessionQuery(**chosen, since=begin, until=end, include_voided=voided)
    with summary_index(ctx) as index:
        rows = sorted(index.sessions(query), key=lambda r: (r.date, r.patient_id, r.session))
        problems, notes = index.problems(), chart_problems(index)
    show_report(ctx, lambda form: clinic_view.found(rows, problems, form), "mesolog find")
    warnings(notes)
    fail_if_left_out(problems)


@app.command()
def stats(
    ctx: typer.Context,
    by: Annotated[
        str,
        typer.Option(
            metavar="FIELD",
            shell_complete=completion.stats_groups,
            help="substance, technique, depth, anaesthetic, area, practitioner or method. Example: --by technique",
        ),
    ] = "technique",
    since: SinceOption = None,
    until: UntilOption = None,
    fmt: FormatOption = "table",
    output: OutputOption = None,
    force: ForceOption = False,
) -> None:
    """Sessions, patients and complication rate per group. Example: mesolog stats --by technique"""
    from mesolog import model
    from mesolog.model import questions
    from mesolog.render import clinic as clinic_view
    from mesolog.render.console import warnings

    check_format(ctx)
    by = model.choice(by, "--by", questions.STATS_BY)
    since_date, until_date = date_window(since, until)
    query = questions.SessionQuery(since=since_date, until=until_date)
    with summary_index(ctx) as index:
        groups = index.stats(by, query)
        problems, notes = index.problems(), chart_problems(index)
    show_report(
        ctx, lambda form: clinic_view.stats(by, groups, problems, form), f"mesolog stats --by {by}"
    )
    warnings(notes)
    fail_if_left_out(problems)  # rates without a chart are not the clinic's rates: exit 1
