"""Results as tables in Jupyter: the HTML that ``_repr_html_`` returns for a leaderboard and a
run's result, and the detection of a notebook (progress is shown there by default).

Plain HTML built from the standard library, so rendering needs neither pandas nor rich.
"""

from __future__ import annotations

import html
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from automl.leaderboard import Leaderboard
    from automl.records import RunSummary

__all__ = ["in_notebook", "leaderboard_html", "leaderboard_text", "summary_html"]

SHOWN_ROWS = 20
"""Leaderboard rows a notebook shows (the rest are counted)."""


def in_notebook() -> bool:
    """Whether the code runs in a Jupyter kernel (IPython's terminal shell is not one)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False  # never imported: no kernel, and importing it just to ask is costly
    shell = ipython.get_ipython()
    if shell is None:
        return False
    return "IPKernelApp" in getattr(shell, "config", {}) or type(shell).__name__ in (
        "ZMQInteractiveShell",
        "Shell",  # Google Colab
    )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]], caption: str) -> str:
    head = "".join(f"<th>{html.escape(name)}</th>" for name in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(value))}</td>" for value in row) + "</tr>"
        for row in rows
    )
    return (
        f"<table><caption style='text-align:left'>{html.escape(caption)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _board_rows(board: Leaderboard) -> tuple[list[str], list[list[Any]]]:
    names = board.names
    holdout = [name for name in names if any(name in row.holdout for row in board.rows)]
    header = ["rank", "trial", "model"]
    header += [f"{name} (cv)" for name in names] + [f"{name} (holdout)" for name in holdout]
    header += ["fit s"]
    rows = [
        [row.rank, row.trial, row.model]
        + [row.mean(name) for name in names]
        + [row.holdout.get(name) for name in holdout]
        + [row.fit_time]
        for row in board.rows[:SHOWN_ROWS]
    ]
    return header, rows


def _caption(board: Leaderboard) -> str:
    more = len(board.rows) - SHOWN_ROWS
    shown = f" (best {SHOWN_ROWS} of {len(board.rows)})" if more > 0 else ""
    return f"Leaderboard by {board.metric} ({board.direction}){shown}"


def leaderboard_html(board: Leaderboard) -> str:
    """The leaderboard as an HTML table, best first."""
    header, rows = _board_rows(board)
    return _table(header, rows, _caption(board))


def leaderboard_text(board: Leaderboard) -> str:
    """The leaderboard as aligned plain text (IPython's pretty printer)."""
    header, rows = _board_rows(board)
    cells = [header, *[[_cell(value) for value in row] for row in rows]]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        for line in cells
    ]
    return "\n".join([_caption(board), *(line.rstrip() for line in lines)])


def summary_html(summary: RunSummary, board: Leaderboard, run_dir: str) -> str:
    """A finished run: what it found and where it wrote, then its leaderboard."""
    best = summary.best_trial
    facts = [
        ("run directory", run_dir),
        ("status", summary.status.value),
        ("task", summary.task),
        ("best", best.describe() if best is not None else "none"),
        ("cv " + (summary.metric or "score"), best.cv_mean if best is not None else None),
    ]
    facts += [(f"holdout {name}", value) for name, value in (summary.holdout or {}).items()]
    rows = "".join(
        f"<tr><th style='text-align:left'>{html.escape(key)}</th>"
        f"<td style='text-align:left'>{html.escape(_cell(value))}</td></tr>"
        for key, value in facts
    )
    return f"<table>{rows}</table>" + leaderboard_html(board)
