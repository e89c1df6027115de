"""The failed trials of a run: a table of failure kinds and messages, and their tracebacks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from automl.cli.render.cells import params_text, plural

if TYPE_CHECKING:
    from rich.console import Console

    from automl.records import TrialRecord


def render_failed_trials(
    console: Console,
    failed: Sequence[TrialRecord],
    *,
    recorded: int,
    tracebacks: bool = False,
) -> None:
    """A table of failed trials: number, model, failure kind and message.

    Args:
        console: Where to draw.
        failed: The failed trials (``Run.failed_trials``).
        recorded: How many trials the run recorded, for the message when none failed.
        tracebacks: Also print each failed trial's full traceback, after the table.
    """
    if not failed:
        console.print(
            Text(f"No trial failed ({plural(recorded, 'trial')} recorded).", style="green"),
            soft_wrap=True,
        )
        return
    show_params = console.width >= 140
    table = Table(title=f"Failed trials ({len(failed)})", title_justify="left")
    table.add_column("trial", justify="right", no_wrap=True)
    table.add_column("model", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("message", overflow="fold", ratio=2)
    if show_params:
        table.add_column("params", overflow="fold", ratio=1)
    for trial in failed:
        failure = trial.failure
        # Text cells: a message like "bad value [x]" must not be read as rich markup.
        cells = [
            Text(str(trial.number)),
            Text(trial.model),
            Text(failure.kind.value if failure is not None else "-", style="red"),
            Text(failure.message if failure is not None else "(no message recorded)"),
        ]
        if show_params:
            cells.append(Text(params_text(dict(trial.params))))
        table.add_row(*cells)
    console.print(table)
    if not tracebacks:
        console.print(
            Text("Add --traceback to see each failure's full traceback.", style="dim"),
            soft_wrap=True,
        )
        return
    for trial in failed:
        title = Text(f"trial {trial.number} ({trial.model})")
        console.print(Rule(title, align="left", style="red"))
        text = trial.failure.traceback if trial.failure is not None else None
        if text:
            console.print(text.rstrip("\n"), markup=False, highlight=False, soft_wrap=True)
        else:
            console.print(Text("(no traceback recorded)", style="dim"))


def failed_trials_document(failed: Sequence[TrialRecord]) -> list[dict[str, Any]]:
    """Failed trials as JSON objects: ``number``, ``model``, ``params``, ``kind``, ``message``
    and ``traceback``."""
    return [
        {
            "number": trial.number,
            "model": trial.model,
            "params": dict(trial.params),
            "kind": trial.failure.kind.value if trial.failure is not None else None,
            "message": trial.failure.message if trial.failure is not None else None,
            "traceback": trial.failure.traceback if trial.failure is not None else None,
        }
        for trial in failed
    ]
