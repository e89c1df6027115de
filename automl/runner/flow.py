"""A whole run: recipe → data → search → leaderboard → ensemble → refit → holdout score → model
package → deployers, each a phase under one budget; everything lands in the run directory
(:mod:`automl.rundir` names its files).

Running again into the same run directory resumes the study: finished trials are kept and
count toward ``search.n_trials``; trials cut short are run again.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import logging
import os
import platform
from collections.abc import Callable
from typing import TYPE_CHECKING

from automl.errors import AutomlError, ExecutorError
from automl.records import Phase, RunStatus, RunSummary, StopReason, TrialFailure
from automl.rundir import PredictionStore, RunLayout
from automl.runner.directory import (
    RunFiles,
    RunLock,
    RunLog,
    first_started_at,
    make_run_dir,
)
from automl.runner.overrides import requested_budget
from automl.runner.result import RunResult
from automl.runner.splits import AUTO_FOLDS

if TYPE_CHECKING:
    from automl.data import DataProfile
    from automl.recipe import ResolvedRecipe
    from automl.runner.memory import GivenData
    from automl.search import Budget, SearchProgress

__all__ = ["PhaseCallback", "RunResult", "make_budget", "run", "versions"]

logger = logging.getLogger(__name__)

VERSIONED = (
    "automl",
    "optuna",
    "scikit-learn",
    "pandas",
    "numpy",
    "pluggy",
    "lightgbm",
    "xgboost",
    "catboost",
    "torch",
    "ray",
)


PhaseCallback = Callable[[Phase], None]

ENSEMBLE_SECONDS = 1.0
"""Seconds the search leaves for the ensemble selection (it stops early when time runs out)."""


def versions() -> dict[str, str | None]:
    """Versions of Python and the key libraries (without importing them); a library installed
    under another distribution name (xgboost as xgboost-cpu) is found by its module's name."""
    from automl.package.environment import module_distributions

    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in VERSIONED:
        found[name] = None
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            for other in module_distributions().get(name, []):
                found[name] = importlib.metadata.version(other)
    return found


def make_budget(resolved: ResolvedRecipe, *, started: float | None = None) -> Budget:
    """The run's budget from the recipe (with its overrides applied).

    Its clock starts at ``started`` (a :func:`time.monotonic` value; the CLI passes the start
    of its process, so start-up counts against the budget too, and the process's end is kept
    after the run), or now.
    """
    from automl.runner.ensemble import may_ensemble
    from automl.runner.refit_ensemble import ENSEMBLE_REFITS, member_reserve, refit_lanes
    from automl.search.budget import EXIT_SECONDS, Budget

    search = resolved.recipe.search
    ensemble = may_ensemble(resolved)
    budget = Budget(
        time_budget=search.time_budget,
        n_trials=search.n_trials,
        cv=search.cv if isinstance(search.cv, int) else AUTO_FOLDS,  # auto: set once data is read
        requested=requested_budget(resolved),
        finals=ENSEMBLE_REFITS if ensemble else 1,
        lanes=refit_lanes(resolved) if ensemble else 1,
        extra=ENSEMBLE_SECONDS if ensemble else 0.0,
        members=member_reserve(resolved) if ensemble else 0.0,
    )
    if started is not None:  # the budget covers the process: keep time for its end too
        budget.started, budget.exit = min(started, budget.started), EXIT_SECONDS
    return budget


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def run(
    resolved: ResolvedRecipe,
    *,
    run_dir: str | os.PathLike[str] | None = None,
    on_progress: Callable[[SearchProgress], None] | None = None,
    on_phase: PhaseCallback | None = None,
    on_profile: Callable[[DataProfile], None] | None = None,
    budget: Budget | None = None,
    data: GivenData | None = None,
) -> RunResult:
    """Run a validated recipe end to end (see the module docstring for what is written).

    Args:
        resolved: The recipe (see :func:`automl.load_recipe`; apply :func:`with_overrides` for
            command-line budgets).
        run_dir: The run directory; an existing one with a study is resumed.
        on_progress: Called with a :class:`SearchProgress` whenever the search changes.
        on_phase: Called with each :class:`~automl.records.Phase` as it starts.
        on_profile: Called with the data profile once the data is prepared.
        budget: The run's budget; by default built from the recipe (tests pass a fake clock).
        data: Tables given in Python, read instead of the recipe's sources.

    Raises:
        AutomlError: bad data, plugins, or a search in which every trial failed; ``run.json``
            then says ``failed`` with the message.
        KeyboardInterrupt: the run was stopped; ``run.json`` says ``interrupted`` and
            running the same recipe into the same run directory resumes.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # automl reports trials itself
    search = resolved.recipe.search
    if budget is None:
        budget = make_budget(resolved)
    layout = RunLayout(make_run_dir(run_dir, resolved.name))
    summary = RunSummary(
        recipe=resolved.name,
        recipe_file=resolved.source,
        started_at=_now(),
        seed=search.seed,
        versions=versions(),
    )
    with RunLock(layout), RunLog(layout):
        resuming = layout.journal.exists()
        files = RunFiles(layout, resolved.text, summary, resuming=resuming)
        if resuming:  # a resumed run keeps its first start
            summary.started_at = first_started_at(layout) or summary.started_at
        logger.info("Run %r into %s", resolved.name, layout.root)
        for problem in resolved.registry.problems:  # logged at discovery, before run.log opened
            logger.info("Plugin problem: %s; it is left out", problem)
        try:
            phase = _logged_phases(budget, on_phase or (lambda _: None))
            result = _phases(resolved, files, budget, on_progress, phase, on_profile, data)
        except KeyboardInterrupt:
            summary.stopped_by = summary.stopped_by or StopReason.INTERRUPTED
            message = (
                "stopped by Ctrl-C or SIGTERM; run again with the same run directory to resume"
            )
            _finish(files, budget, RunStatus.INTERRUPTED, message)
            _after_run(resolved, layout, summary)
            raise
        except AutomlError as exc:
            _finish(files, budget, RunStatus.FAILED, str(exc))
            _after_run(resolved, layout, summary)
            raise
        except Exception as exc:
            message = f"unexpected error (a bug): {type(exc).__name__}: {exc}"
            _finish(files, budget, RunStatus.FAILED, message)
            _after_run(resolved, layout, summary)
            raise
        _finish(files, budget, RunStatus.FINISHED)
        _after_run(resolved, layout, summary)
    return result


def _logged_phases(budget: Budget, on_phase: PhaseCallback) -> PhaseCallback:
    def started(phase: Phase) -> None:
        left = budget.remaining()
        logger.info("Phase %s%s", phase.value, "" if left is None else f" ({left:.1f} s left)")
        on_phase(phase)

    return started


def _after_run(resolved: ResolvedRecipe, layout: RunLayout, summary: RunSummary) -> None:
    """Tell the observers how the run ended, successful or not (each observer is isolated)."""
    resolved.registry.after_run(recipe=resolved, run_dir=layout.root, summary=summary)


def _finish(files: RunFiles, budget: Budget, status: RunStatus, message: str | None = None) -> None:
    summary = files.summary
    summary.status = status
    if message is not None:
        summary.message = message
    summary.timings["total"] = budget.finish()
    summary.budget = budget.record()
    summary.finished_at = _now()
    files.write_summary()
    over = summary.budget.overrun  # the last line of run.log: how the run ended
    ending = f"; {over:.1f} s longer than its time budget" if over else ""
    logger.log(logging.WARNING if over else logging.INFO, "Run %s%s", status.value, ending)


def _phases(
    resolved: ResolvedRecipe,
    files: RunFiles,
    budget: Budget,
    on_progress: Callable[[SearchProgress], None] | None,
    on_phase: PhaseCallback,
    on_profile: Callable[[DataProfile], None] | None,
    data: GivenData | None,
) -> RunResult:
    from automl.runner.deploy import deploy
    from automl.runner.finish import finish
    from automl.runner.package import package_model
    from automl.runner.prepare import load_and_prepare
    from automl.runner.search import make_executor, record_results, run_search

    summary, layout = files.summary, files.layout
    # Fail fast on a backend that cannot work, before loading data.
    executor = make_executor(resolved)
    resolved.registry.before_run(recipe=resolved, run_dir=layout.root)
    budget.account_startup()

    def timed(phase: Phase) -> None:
        summary.timings[phase.value] = budget.used.get(phase.value, 0.0)

    prepared = load_and_prepare(
        resolved, summary, budget, on_phase, on_profile, files.write_profile, data
    )
    timed(Phase.LOAD)
    timed(Phase.PREPARE)
    files.write_summary()
    keep = resolved.recipe.search.keep_predictions
    store = PredictionStore(
        layout,
        task=prepared.table.task.value,
        classes=prepared.table.classes,
        maximize=prepared.metric.direction == "maximize",
        keep=keep,
    )
    on_phase(Phase.SEARCH)
    with budget.phase(Phase.SEARCH):
        searched = run_search(resolved, files, executor, prepared, budget, store, on_progress)
    timed(Phase.SEARCH)
    names = [m.name for m in prepared.metrics]
    leaderboard = record_results(files, searched.study, prepared.metric.name, names)
    summary.stopped_by = searched.result.stopped_by
    summary.resumed = searched.resumed
    if leaderboard.best is None:
        raise _no_trial_error(searched.result.failures, searched.result.stopped_by)
    refit = finish(resolved, prepared, leaderboard, store, summary, budget, on_phase)
    on_phase(Phase.PACKAGE)
    with budget.phase(Phase.PACKAGE):
        files.write_leaderboard(leaderboard)  # now with the refitted model's holdout scores
        summary.model_sha256 = package_model(layout, refit.pipeline, prepared, summary)
    timed(Phase.PACKAGE)
    summary.model_dir = str(layout.model)
    if resolved.deployers:
        on_phase(Phase.DEPLOY)
        with budget.phase(Phase.DEPLOY):
            summary.deployments = deploy(resolved, layout.model)
        timed(Phase.DEPLOY)
    summary.status = RunStatus.FINISHED
    return RunResult(
        run_dir=layout.root,
        summary=summary,
        leaderboard=leaderboard,
        resumed=searched.resumed,
        stopped_by=searched.result.stopped_by,
        timings=summary.timings,
    )


def _no_trial_error(failures: list[TrialFailure], stopped_by: StopReason) -> AutomlError:
    """Why no trial completed: the models (a model error) or the backend (an executor error)."""
    from automl.errors import ModelError
    from automl.records import FailureKind
    from automl.search import most_common_failure

    if failures:
        reason, count = most_common_failure(failures)
        message = (
            f"every trial failed ({len(failures)} trials); the most common reason "
            f"({count} of them): {reason}"
        )
        if all(failure.kind is FailureKind.WORKER_DIED for failure in failures):
            # Processes that die on every trial point at the machine or the backend.
            return ExecutorError(
                f"{message}; the worker processes died on every trial (a Python script that "
                'calls automl.run must do so under `if __name__ == "__main__":`, because '
                "worker processes import it)"
            )
        return ModelError(message)
    if stopped_by is StopReason.TIME_BUDGET:
        return ExecutorError(
            "no trial finished within the time budget (search.time_budget); give the run more time"
        )
    return ExecutorError("no trial completed; nothing to package")
