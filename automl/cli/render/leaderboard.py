"""The ranked leaderboard: a rich table, and the JSON document ``automl leaderboard --json``
prints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from automl.cli.render.cells import number, params_text, plural

if TYPE_CHECKING:
    from rich.console import Console, JustifyMethod

    from automl.leaderboard import Leaderboard
    from automl.records import LeaderboardRow


@dataclass(frozen=True)
class _Column:
    header: str
    cell: Callable[[LeaderboardRow], str]
    keep: int  # the narrower the terminal, the fewer columns: the lowest `keep` go first
    justify: JustifyMethod = "right"


def _columns(board: Leaderboard) -> list[_Column]:
    metric = board.metric

    def primary(row: LeaderboardRow) -> str:
        return f"{number(row.mean(metric))} ± {number(row.std(metric), 3)}"

    def secondary(name: str) -> _Column:
        return _Column(name, lambda row: number(row.mean(name)), keep=1)

    return [
        _Column("#", lambda row: str(row.rank), keep=9),
        _Column("trial", lambda row: "-" if row.trial is None else str(row.trial), keep=5),
        _Column("model", lambda row: str(row.model), keep=8, justify="left"),
        _Column(f"{metric} ± std", primary, keep=9),
        *(secondary(name) for name in board.metrics),
        _Column("holdout", lambda row: number(row.holdout.get(metric)), keep=7),
        _Column("fit s", lambda row: number(row.fit_time, 3), keep=4),
        _Column("pred s/1k", lambda row: number(row.predict_time_per_1000, 3), keep=3),
    ]


def _table(
    board: Leaderboard, rows: list[LeaderboardRow], columns: list[_Column], params: bool
) -> Table:
    arrow = "↑" if board.direction == "maximize" else "↓"
    table = Table(
        title=f"Leaderboard ({board.metric} {arrow}, cross-validated)", title_justify="left"
    )
    for column in columns:
        table.add_column(column.header, justify=column.justify, no_wrap=True)
    if params:
        table.add_column("params", overflow="fold", ratio=1)
    for row in rows:
        cells = [column.cell(row) for column in columns]
        table.add_row(*cells, *([params_text(row.params)] if params else []))
    return table


def render_leaderboard(
    console: Console, board: Leaderboard | None, *, top: int | None = None
) -> None:
    """The ranked trials: scores (mean ± std), holdout score of the refitted best, timings.

    Columns that do not fit the console are left out, the least useful first (the rank, model
    and score stay), and a note says how many; the CSV and JSON files always hold everything.
    ``None`` (a run that wrote no leaderboard) says so.
    """
    if board is None:
        console.print(Text("No leaderboard: no trial of this run completed.", style="yellow"))
        return
    rows = board.rows if top is None else board.rows[:top]
    columns = _columns(board)
    params = console.width >= 140
    table = _table(board, rows, columns, params)
    while not params and _width(console, table) > console.width:
        droppable = [column for column in columns if column.keep < 8]
        if not droppable:
            break
        # Among equals, the last goes first (the secondary metrics in reverse order).
        columns.remove(min(reversed(droppable), key=lambda column: column.keep))
        table = _table(board, rows, columns, params)
    console.print(table)
    hidden = len(_columns(board)) - len(columns) + (0 if params else 1)
    notes = []
    if top is not None and len(board.rows) > top:
        notes.append(plural(len(board.rows) - top, "more row"))
    if hidden:
        notes.append(f"+{plural(hidden, 'column')}")
    if notes:
        console.print(Text(", ".join(notes) + " in leaderboard.csv", style="dim"), soft_wrap=True)


def _width(console: Console, table: Table) -> int:
    # Measured without the console's limit, which would cap the answer at its width.
    return Measurement.get(console, console.options.update_width(10_000), table).maximum


def leaderboard_document(board: Leaderboard | None) -> dict[str, Any]:
    """The leaderboard as ``leaderboard.json`` holds it: ``metric``, ``direction``, ``metrics``
    and ``rows`` (flat, one per completed trial, best first); empty for ``None``."""
    if board is None:
        return {"metric": None, "direction": None, "metrics": [], "rows": []}
    return board.to_dict()
