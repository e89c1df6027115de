"""The summary printed at the end of ``automl run``: counts, best model, where things are.

This is the one place of the command line that reads a run's summary (``RunResult.summary``, an
:class:`automl.records.RunSummary`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from automl.cli.render.cells import number

if TYPE_CHECKING:
    from rich.console import Console

    from automl import RunResult
    from automl.records import EnsembleRecord


def render_run_summary(console: Console, result: RunResult) -> None:
    """Where everything was written, the best model and its holdout score."""
    # Every read of the summary is in this block.
    summary = result.summary
    best = summary.best_trial
    metric = summary.metric
    task = summary.task
    complete, pruned, failed = summary.trials.complete, summary.trials.pruned, summary.trials.failed
    stopped_by = summary.stopped_by
    total_seconds = summary.timings.get("total", 0)
    best_name = best.describe() if best is not None else "none"
    best_cv = best.cv_mean if best is not None else None
    best_holdout = (summary.holdout or {}).get(metric) if metric is not None else None

    lines = [
        f"Task {task} · {complete} complete, {pruned} pruned, {failed} failed · "
        f"stopped by {stopped_by} · {total_seconds:.1f} s",
        f"Best: {best_name}, {metric} {number(best_cv)} "
        f"cross-validated, {number(best_holdout)} on the holdout",
        *_ensemble_lines(summary.ensemble, metric),
        f"Run directory: {result.run_dir}",
        "  model/ (packaged best model), leaderboard.csv/.json, trials.json, run.json, run.log,",
        "  predictions/ (out-of-fold and holdout), profile.json, study.journal",
        f"Predict: automl predict {result.run_dir / 'model'} INPUT.csv -o predictions.csv",
    ]
    for line in lines:
        console.print(Text(line), soft_wrap=True)


def _ensemble_lines(ensemble: EnsembleRecord | None, metric: str | None) -> list[str]:
    """What became of the ensemble: chosen, or why not."""
    if ensemble is None:
        return []
    verdict = "packaged" if ensemble.chosen else "not packaged"
    line = (
        f"Ensemble: {ensemble.describe()}, {metric} {number(ensemble.cv_mean)} cross-validated "
        f"against {number(ensemble.best_single_cv)} for the best single model; {verdict}"
    )
    return [line + (f" ({ensemble.reason})" if ensemble.reason else "")]
