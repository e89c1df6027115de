"""The finish phases: build the ensemble, refit what won on every training row, score it once
on the holdout, and keep its holdout predictions. Runs under the run's clock: when the best
configuration fails to refit, the next ones are tried only while time is left."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from automl.errors import ExecutorError
from automl.records import BestTrial, LeaderboardRow, Phase
from automl.search.budget import FINISH_SAFETY, PACKAGE_SECONDS

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np

    from automl.leaderboard import Leaderboard
    from automl.recipe import ResolvedRecipe
    from automl.records import RunSummary
    from automl.rundir import PredictionStore
    from automl.runner.prepare import Prepared
    from automl.search.budget import Budget

__all__ = [
    "CANDIDATES",
    "Refit",
    "TrainingPart",
    "finish",
    "fit_row",
    "full_refit_in_time",
    "log_refit",
    "refit_best",
    "score_holdout",
    "training_part",
]

logger = logging.getLogger(__name__)

CANDIDATES = 3
"""How many of the best configurations are tried when the best one fails to refit."""

TIMED_ROWS = 1000
"""Rows predicted to measure the packaged model's prediction time per row."""


@dataclass
class Refit:
    """The refitted model, its holdout scores and its holdout predictions."""

    row: LeaderboardRow
    pipeline: Any
    holdout: dict[str, float] = field(default_factory=dict)
    predictions: np.ndarray | None = None
    predict_ms_per_row: float | None = None


def finish(
    resolved: ResolvedRecipe,
    prepared: Prepared,
    leaderboard: Leaderboard,
    store: PredictionStore,
    summary: RunSummary,
    budget: Budget,
    on_phase: Callable[[Phase], None],
) -> Refit:
    """The ensemble and refit phases: what wins is refitted, scored on the holdout and
    recorded in ``summary`` and ``leaderboard``.

    Raises:
        ExecutorError: nothing could be refitted.
    """
    from automl.runner.ensemble import build_ensemble
    from automl.runner.refit_ensemble import refit_ensemble

    plan = None
    if resolved.recipe.ensemble.enabled:
        on_phase(Phase.ENSEMBLE)
        with budget.phase(Phase.ENSEMBLE):
            plan = build_ensemble(resolved, prepared, leaderboard, store.layout, budget)
        summary.timings[Phase.ENSEMBLE.value] = budget.used.get(Phase.ENSEMBLE.value, 0.0)
    on_phase(Phase.REFIT)
    with budget.phase(Phase.REFIT):
        refit = None
        if plan is not None:
            summary.ensemble = plan.record
            if plan.record.chosen:
                refit = refit_ensemble(resolved, prepared, leaderboard, plan, budget)
        if refit is None:
            refit = refit_best(resolved, prepared, leaderboard, budget)
        refit.predict_ms_per_row = _predict_ms_per_row(refit.pipeline, prepared)
        if plan is not None and plan.record.chosen:
            plan.record.predict_ms_per_row = refit.predict_ms_per_row
        if refit.predictions is not None:
            split = prepared.split
            truth = prepared.table.target[split.holdout_rows]
            store.set_holdout(refit.row.trial, truth, refit.predictions)
    summary.timings[Phase.REFIT.value] = budget.used.get(Phase.REFIT.value, 0.0)
    best = refit.row
    leaderboard.set_holdout(best.trial, refit.holdout)
    summary.best_trial = BestTrial(
        number=best.trial,
        model=best.model,
        params=best.params,
        cv_mean=best.mean(prepared.metric.name),
        cv_std=best.std(prepared.metric.name),
    )
    summary.holdout = refit.holdout or None
    return refit


@dataclass(frozen=True)
class TrainingPart:
    """Every training row (features and target) and the category levels seen in them."""

    features: Any
    target: Any
    levels: Any


def training_part(prepared: Prepared) -> TrainingPart:
    """The rows a refit is fitted on (computed once for several refits)."""
    from automl.data import category_levels

    table, split = prepared.table, prepared.split
    features = table.features.iloc[split.train_rows]
    return TrainingPart(
        features, table.target[split.train_rows], category_levels(features, table.kinds)
    )


def fit_row(
    resolved: ResolvedRecipe,
    prepared: Prepared,
    row: LeaderboardRow,
    part: TrainingPart | None = None,
    *,
    full: bool = True,
    max_time: float | None = None,
) -> Any:
    """Fit ``row``'s configuration on every training row (``part``, if given); returns the
    fitted pipeline. With ``full``, an estimator with a ``refit_full`` parameter gets it on (an
    early-stopping booster then learns from its validation rows too); with ``max_time``, an
    estimator with a ``max_time`` parameter gets it (the seconds its training may take).
    Threads may fit at once
    on one ``part``: each works on its own (shallow, copy-on-write) view of the features. A
    trial that fitted on a share of each fold's rows (``row.rows_fraction``) is refitted on that
    share of the training rows, so that the model is the one its score describes."""
    import numpy as np

    from automl.data import build_pipeline

    part = part or training_part(prepared)
    table = prepared.table
    spec = prepared.models[row.model].spec
    params = spec.params.model_validate(row.params)
    estimator = spec.factory(params, task=table.task, seed=resolved.recipe.search.seed)
    own = estimator.get_params(deep=False)
    if full and "refit_full" in own:  # see automl.boosting
        estimator.set_params(refit_full=True)
    if max_time is not None and "max_time" in own:  # a network's epochs, say
        estimator.set_params(max_time=max(0.0, max_time))
    pipeline = build_pipeline(estimator, table.kinds, part.levels, scale=spec.needs_scaling)
    features, target = part.features.copy(deep=False), part.target
    if row.rows_fraction is not None:  # as its trial fitted: on that share of the rows
        from automl.search import subsample

        seed = resolved.recipe.search.seed
        kept = subsample(np.arange(len(target)), target, row.rows_fraction, seed, table.classes)
        features, target = features.iloc[kept], target[kept]
    pipeline.fit(features, target)
    return pipeline


def full_refit_in_time(
    budget: Budget, prepared: Prepared, row: LeaderboardRow, kept: float = 0.0
) -> bool:
    """Whether ``row``'s refit, started now at its model's ``refit_cost`` (a booster's
    ``refit_full``: a second fit on every row), should end in the time left, packaging and
    ``kept`` seconds (other work still to come) kept, planned at
    :data:`~automl.search.budget.FINISH_SAFETY` times its estimate (refits running side by
    side were 1.2 to 1.4 times slower). The search leaves time for plain refits only: a full
    one uses what they leave over."""
    model = prepared.models.get(row.model)
    cost = model.spec.refit_cost if model is not None else 1.0
    if budget.time_for(budget.refit_seconds(row.fit_time) * cost * FINISH_SAFETY + kept):
        return True
    if cost > 1.0:
        logger.info(
            "Trial %d (%s) is refitted without refit_full: %.1f s left is too little",
            row.trial,
            row.model,
            budget.remaining() or 0.0,
        )
    return False


def log_refit(budget: Budget, row: LeaderboardRow, seconds: float, pipeline: Any) -> None:
    """Log how long ``row``'s refit took against the estimate the budget planned with (one
    fit; a booster with ``refit_full`` on fits twice)."""
    full = getattr(pipeline.named_steps["model"], "refit_full", False) is True
    logger.info(
        "Trial %d (%s) refitted on every training row in %.1f s (planned: %.1f s%s)",
        row.trial,
        row.model,
        seconds,
        budget.refit_seconds(row.fit_time),
        " a fit, and it fitted twice: refit_full" if full else "",
    )


def score_holdout(prepared: Prepared, refit: Refit) -> None:
    """Score ``refit``'s pipeline once on the holdout (if the run has one), every metric."""
    from automl import evaluation

    table, split = prepared.table, prepared.split
    if not len(split.holdout_rows):
        return
    metric_specs = {m.name: m for m in [prepared.metric, *prepared.metrics]}
    rows = table.features.iloc[split.holdout_rows]
    truth = table.target[split.holdout_rows]
    made = evaluation.predict(
        refit.pipeline, rows, table.task, table.classes, metric_specs.values()
    )
    refit.holdout = evaluation.score(metric_specs, truth, made, table.classes)
    refit.predictions = evaluation.kept_predictions(
        refit.pipeline, rows, table.task, table.classes, made
    )


def refit_best(
    resolved: ResolvedRecipe, prepared: Prepared, leaderboard: Leaderboard, budget: Budget
) -> Refit:
    """Refit the best trial on every training row and score it once on the holdout.

    Raises:
        ExecutorError: no candidate could be refitted.
    """
    errors: list[str] = []
    for row in [row for row in leaderboard.rows if row.trial is not None][:CANDIDATES]:
        if errors and budget.expired():
            logger.warning("No time left to refit the next configuration (search.time_budget)")
            break
        try:
            full = full_refit_in_time(budget, prepared, row)
            started = budget.clock()
            seconds = budget.remaining()
            seconds = None if seconds is None else seconds - PACKAGE_SECONDS
            refit = Refit(
                row=row, pipeline=fit_row(resolved, prepared, row, full=full, max_time=seconds)
            )
            log_refit(budget, row, budget.clock() - started, refit.pipeline)
            score_holdout(prepared, refit)
        except Exception as exc:  # a model that fails here is passed over for the next best
            logger.warning(
                "Refitting or scoring trial %d (%s) failed: %s", row.trial, row.model, exc
            )
            errors.append(f"trial {row.trial}: {type(exc).__name__}: {exc}")
            continue
        return refit
    raise ExecutorError(
        "refitting the best trials on all training rows failed: " + "; ".join(errors)
    )


def _predict_ms_per_row(pipeline: Any, prepared: Prepared) -> float | None:
    """Milliseconds per row the fitted model takes to predict a batch of up to 1,000 rows
    (holdout rows when there are, else training rows)."""
    table, split = prepared.table, prepared.split
    positions = split.holdout_rows if len(split.holdout_rows) else split.train_rows
    rows = table.features.iloc[positions[:TIMED_ROWS]]
    if not len(rows):
        return None
    try:
        started = time.perf_counter()
        pipeline.predict(rows)
        return (time.perf_counter() - started) * 1000.0 / len(rows)
    except Exception as exc:  # the holdout score already ran; a timing is not worth a failure
        logger.warning("Could not time the final model's predictions: %s", exc)
        return None
