"""``automl runs``: the runs under a folder, and two runs compared side by side."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("runs")
@click.argument("runs_dir", required=False, type=click.Path(path_type=Path))
@click.option(
    "--compare",
    nargs=2,
    metavar="A B",
    type=click.Path(path_type=Path),
    help="Compare two run directories side by side instead of listing.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def runs_command(runs_dir: Path | None, compare: tuple[Path, Path] | None, as_json: bool) -> None:
    """List the runs under RUNS_DIR (default: runs), oldest first.

    Each run's status (finished, running, interrupted, failed), best cross-validated score and
    metric, time taken, best model, trials and start time. With --compare A B, two run
    directories side by side: status, metric, best CV score, holdout score, best model, trials
    and budget used. The JSON form is a list of objects with the keys path, recipe, status,
    started_at, finished_at, seconds, metric, direction, best_trial, best_model, best_cv,
    holdout, trials, stopped_by and budget.
    """
    from automl.cli.console import stdout_console
    from automl.cli.render.runs import render_comparison, render_runs, run_document
    from automl.rundir import open_run

    if compare:
        documents = [run_document(open_run(path)) for path in compare]
        if as_json:
            click.echo(json.dumps(documents, indent=2, default=str))
            return
        render_comparison(stdout_console(), documents)
        return
    from automl.rundir.listing import find_runs

    # No runs/ folder yet is an empty list; a folder named on the command line must exist.
    root = runs_dir if runs_dir is not None else Path("runs")
    entries = find_runs(root) if runs_dir is not None or root.is_dir() else []
    if as_json:
        rows = [
            run_document(entry.run)
            if entry.run is not None
            else {"path": str(entry.path), "status": None, "problem": entry.problem}
            for entry in entries
        ]
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    render_runs(stdout_console(), entries, root)
