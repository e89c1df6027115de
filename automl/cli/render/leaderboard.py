"""The ranked leaderboard: a rich table, and the JSON document ``automl leaderboard --json``
prints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text

from automl.cli.render.cells import number, params_text

if TYPE_CHECKING:
    from rich.console import Console

    from automl.leaderboard import Leaderboard


def render_leaderboard(
    console: Console, board: Leaderboard | None, *, top: int | None = None
) -> None:
    """The ranked trials: scores (mean ± std), holdout score of the refitted best, timings.

    Secondary metrics and parameters are shown when the terminal is wide enough; the CSV and
    JSON files always hold everything. ``None`` (a run that wrote no leaderboard) says so.
    """
    if board is None:
        console.print(Text("No leaderboard: no trial of this run completed.", style="yellow"))
        return
    arrow = "↑" if board.direction == "maximize" else "↓"
    width = console.width
    secondary = board.metrics if width >= 100 else []
    show_params = width >= 140
    table = Table(
        title=f"Leaderboard ({board.metric} {arrow}, cross-validated)", title_justify="left"
    )
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("trial", justify="right", no_wrap=True)
    table.add_column("model", no_wrap=True)
    table.add_column(f"{board.metric} ± std", justify="right", no_wrap=True)
    for name in secondary:
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("holdout", justify="right", no_wrap=True)
    table.add_column("fit s", justify="right", no_wrap=True)
    table.add_column("pred s/1k", justify="right", no_wrap=True)
    if show_params:
        table.add_column("params", overflow="fold", ratio=1)
    rows = board.rows if top is None else board.rows[:top]
    for row in rows:
        primary = f"{number(row.mean(board.metric))} ± {number(row.std(board.metric), 3)}"
        cells = [
            str(row.rank),
            str(row.trial),
            str(row.model),
            primary,
            *(number(row.mean(name)) for name in secondary),
            number(row.holdout.get(board.metric)),
            number(row.fit_time, 3),
            number(row.predict_time_per_1000, 3),
        ]
        if show_params:
            cells.append(params_text(row.params))
        table.add_row(*cells)
    console.print(table)
    if top is not None and len(board.rows) > top:
        console.print(Text(f"{len(board.rows) - top} more rows in leaderboard.csv", style="dim"))


def leaderboard_document(board: Leaderboard | None) -> dict[str, Any]:
    """The leaderboard as ``leaderboard.json`` holds it: ``metric``, ``direction``, ``metrics``
    and ``rows`` (flat, one per completed trial, best first); empty for ``None``."""
    if board is None:
        return {"metric": None, "direction": None, "metrics": [], "rows": []}
    return board.to_dict()
