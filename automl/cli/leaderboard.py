"""``automl leaderboard``: the ranked leaderboard of a run, and its failed trials."""

from __future__ import annotations

import json
from pathlib import Path

import click

from automl.cli.state import CliState


@click.command("leaderboard")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--top", type=click.IntRange(min=1), help="Show only the best N rows.")
@click.option("--json", "as_json", is_flag=True, help="Print the leaderboard as JSON.")
@click.option(
    "--failed",
    is_flag=True,
    help="Also list the failed trials with their failure kind and message "
    "(with --json: a `failed` list).",
)
@click.option(
    "-v",
    "--traceback",
    "show_traceback",
    is_flag=True,
    help="With the failed trials, print each one's full traceback (implies --failed).",
)
@click.pass_obj
def leaderboard_command(
    state: CliState,
    run_dir: Path,
    top: int | None,
    as_json: bool,
    failed: bool,
    show_traceback: bool,
) -> None:
    """Print the leaderboard of a finished run again.

    With --failed, the failed trials follow the leaderboard: trial number, model, failure kind
    (error, worker_died, timed_out, interrupted) and message; --traceback (or -v) adds each
    one's full traceback.
    """
    from automl.rundir import open_run, read_leaderboard

    show_failed = failed or show_traceback
    if show_failed:
        # The run reader also serves a run that stopped before any trial completed: its
        # failures are what there is to see.
        run = open_run(run_dir)
        board, failures, recorded = run.leaderboard, run.failed_trials, len(run.trials)
    else:
        board, failures, recorded = read_leaderboard(run_dir), [], 0
    if board is not None and top is not None:
        board.rows = board.rows[:top]
    if as_json:
        from automl.cli.render.failures import failed_trials_document
        from automl.cli.render.leaderboard import leaderboard_document

        document = leaderboard_document(board)
        if show_failed:
            document["failed"] = failed_trials_document(failures)
        click.echo(json.dumps(document, indent=2, default=str))
        return
    from automl.cli.console import stdout_console
    from automl.cli.render.failures import render_failed_trials
    from automl.cli.render.leaderboard import render_leaderboard

    out = stdout_console()
    render_leaderboard(out, board, top=top)
    if show_failed:
        # `automl -v leaderboard --failed` asks for the detail too.
        tracebacks = show_traceback or state.verbose > 0
        render_failed_trials(out, failures, recorded=recorded, tracebacks=tracebacks)
