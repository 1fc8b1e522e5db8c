"""Shell completion from the data: patient ids, areas, substances and lots."""

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    pass

from mesolog.cli.application import State, _index_of

# --- shell completion: ids, areas, substances and lots from the data ---------------------------


def _completing(ctx: typer.Context) -> State:
    # The root callback does not run while completing; read --data-dir from the parsed params.
    return State(data_dir=ctx.find_root().params.get("data_dir"))


def _starting(words: list[str], incomplete: str) -> list[str]:
    return [w for w in words if w.lower().startswith(incomplete.lower())]


def complete_patient(ctx: typer.Context, incomplete: str) -> list[str]:
    try:
        return _starting(_completing(ctx).clinic().ids(), incomplete)
    except Exception:  # completion must never print an error into the shell
        return []


def complete_area(ctx: typer.Context, incomplete: str) -> list[str]:
    try:
        return _starting(sorted(_completing(ctx).config().vocabulary().areas), incomplete)
    except Exception:
        return []


def complete_substance(ctx: typer.Context, incomplete: str) -> list[str]:
    try:
        state = _completing(ctx)
        with _index_of(state) as index:
            used = index.substance_names()
        return _starting(
            sorted(set(used) | set(state.config().vocabulary().substances)), incomplete
        )
    except Exception:
        return []


def complete_lot(ctx: typer.Context, incomplete: str) -> list[str]:
    try:
        with _index_of(_completing(ctx)) as index:
            return _starting(index.lots(), incomplete)
    except Exception:
        return []
