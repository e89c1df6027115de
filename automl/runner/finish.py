"""The finish phase: refit the best configuration on every training row, score it once on the
holdout, and keep its holdout predictions. Runs under the run's clock: when the best
configuration fails to refit, the next ones are tried only while time is left."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from automl.errors import ExecutorError
from automl.records import LeaderboardRow

if TYPE_CHECKING:
    import numpy as np

    from automl.leaderboard import Leaderboard
    from automl.recipe import ResolvedRecipe
    from automl.runner.prepare import Prepared
    from automl.search.budget import Budget

__all__ = ["CANDIDATES", "Refit", "refit_best"]

logger = logging.getLogger(__name__)

CANDIDATES = 3
"""How many of the best configurations are tried when the best one fails to refit."""


@dataclass
class Refit:
    """The refitted model, its holdout scores and its holdout predictions."""

    row: LeaderboardRow
    pipeline: Any
    holdout: dict[str, float] = field(default_factory=dict)
    predictions: np.ndarray | None = None


def refit_best(
    resolved: ResolvedRecipe, prepared: Prepared, leaderboard: Leaderboard, budget: Budget
) -> Refit:
    """Refit the best trial on every training row and score it once on the holdout.

    Raises:
        ExecutorError: no candidate could be refitted.
    """
    from automl import evaluation
    from automl.data import build_pipeline, category_levels

    table, split = prepared.table, prepared.split
    features = table.features.iloc[split.train_rows]
    target = table.target[split.train_rows]
    levels = category_levels(features, table.kinds)
    metric_specs = {m.name: m for m in [prepared.metric, *prepared.metrics]}
    errors: list[str] = []
    for row in leaderboard.rows[:CANDIDATES]:
        if errors and budget.expired():
            logger.warning("No time left to refit the next configuration (search.time_budget)")
            break
        spec = prepared.models[row.model].spec
        try:
            params = spec.params.model_validate(row.params)
            estimator = spec.factory(params, task=table.task, seed=resolved.recipe.search.seed)
            pipeline = build_pipeline(estimator, table.kinds, levels, scale=spec.needs_scaling)
            pipeline.fit(features, target)
            refit = Refit(row=row, pipeline=pipeline)
            if len(split.holdout_rows):
                rows = table.features.iloc[split.holdout_rows]
                truth = table.target[split.holdout_rows]
                made = evaluation.predict(
                    pipeline, rows, table.task, table.classes, metric_specs.values()
                )
                refit.holdout = evaluation.score(metric_specs, truth, made, table.classes)
                refit.predictions = evaluation.kept_predictions(
                    pipeline, rows, table.task, table.classes, made
                )
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
