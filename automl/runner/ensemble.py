"""The ensemble phase: greedy selection over the best trials' kept out-of-fold predictions
(:mod:`automl.ensemble`), scored fold by fold like a trial and put on the leaderboard; when it
beats the best single model, :mod:`automl.runner.refit_ensemble` refits it."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from automl.records import EnsembleRecord, LeaderboardRow, MemberRecord, MetricScores

if TYPE_CHECKING:
    import numpy as np

    from automl.leaderboard import Leaderboard
    from automl.recipe import ResolvedRecipe
    from automl.rundir import RunLayout
    from automl.runner.prepare import Prepared
    from automl.search.budget import Budget

__all__ = ["ENSEMBLE", "EnsemblePlan", "build_ensemble", "describe_plan", "diverse", "may_ensemble"]

logger = logging.getLogger(__name__)

ENSEMBLE = "ensemble"
"""The model name of the ensemble's leaderboard row."""


def may_ensemble(resolved: ResolvedRecipe) -> bool:
    """Whether the run may end with an ensemble: it is on, and the predictions of two trials at
    least are kept."""
    return resolved.recipe.ensemble.enabled and resolved.recipe.search.keep_predictions >= 2


@dataclass
class EnsemblePlan:
    """A selected ensemble: its record, its leaderboard row and its members' out-of-fold
    predictions (to score it again if members are dropped at the refit)."""

    record: EnsembleRecord
    row: LeaderboardRow
    oof: dict[int, np.ndarray]
    folds: list[tuple[Any, Any]]


def build_ensemble(
    resolved: ResolvedRecipe,
    prepared: Prepared,
    leaderboard: Leaderboard,
    layout: RunLayout,
    budget: Budget,
) -> EnsemblePlan | None:
    """Select an ensemble of the best trials and add its row to ``leaderboard``.

    Returns ``None`` (and logs why) when there is nothing to ensemble: fewer than two distinct
    trials with kept predictions, or a selection whose best prefix is a single model.
    """
    from automl.ensemble import Candidate, distinct, greedy_selection, selection_scorer
    from automl.rundir import RunPredictions
    from automl.runner.splits import folds

    spec = resolved.recipe.ensemble
    search = resolved.recipe.search
    kept = RunPredictions.read(layout)
    rows = {row.trial: row for row in leaderboard.rows if row.trial is not None}
    trials = [t for t in (kept.trials if kept is not None else []) if t in rows]
    if len(trials) < 2:
        logger.info(
            "No ensemble: %d trials with kept out-of-fold predictions (search.keep_predictions: "
            "%d); an ensemble needs two",
            len(trials),
            search.keep_predictions,
        )
        return None
    assert kept is not None
    candidates = []
    for trial in trials:
        predictions = kept.oof(trial)
        if not _finite(predictions):
            continue  # a trial cut short has no prediction for some rows
        latency = rows[trial].predict_time_per_1000  # seconds per 1,000 rows = ms per row
        candidates.append(Candidate(trial=trial, predictions=predictions, latency_ms=latency))
    models = {trial: row.model for trial, row in rows.items()}
    candidates = diverse(distinct(candidates), models, spec.candidates)
    if len(candidates) < 2:
        logger.info(
            "No ensemble: %d distinct trials with complete out-of-fold predictions; an ensemble "
            "needs two",
            len(candidates),
        )
        return None
    table, split = prepared.table, prepared.split
    truth = table.target[split.train_rows]
    metric = prepared.metric
    cv_folds = folds(table, split.train_rows, prepared.cv, search.seed)
    selection = greedy_selection(
        candidates,
        selection_scorer(
            metric, truth, table.task, table.classes, candidates, [v for _, v in cv_folds]
        ),
        maximize=metric.direction == "maximize",
        size=spec.size,
        seed=search.seed,
        max_members=spec.max_members,
        max_latency_ms=spec.max_latency_ms,
        should_stop=lambda: _out_of_time(budget, leaderboard),
    )
    if selection is None or len(selection.weights) < 2:
        logger.info(
            "No ensemble: the greedy selection over %d distinct trials kept a single model",
            len(candidates),
        )
        return None
    plan = EnsemblePlan(
        record=EnsembleRecord(
            members=[],
            steps=selection.steps,
            candidates=len(candidates),
            cv_mean=None,
            cv_std=None,
            best_single_cv=_best_single(leaderboard),
        ),
        row=LeaderboardRow(rank=0, trial=None, model=ENSEMBLE),
        oof={c.trial: c.predictions for c in candidates if c.trial in selection.weights},
        folds=cv_folds,
    )
    describe_plan(plan, prepared, rows, selection.weights)
    leaderboard.add(plan.row)
    record = plan.record
    record.chosen = leaderboard.best is plan.row
    if not record.chosen:
        record.reason = "its cross-validated score is not better than the best single model's"
    logger.info(
        "Ensemble: %s, %s %s cross-validated (best single model %s)%s",
        record.describe(),
        metric.name,
        _number(record.cv_mean),
        _number(record.best_single_cv),
        "" if record.chosen else "; not chosen",
    )
    return plan


def diverse(ranked: Sequence[Any], models: Mapping[int, str], count: int) -> list[Any]:
    """The best ``count`` candidates, and the best ``PER_MODEL`` of every model besides, best
    first (``models``: each candidate trial's model): when one model fills the best places, the
    others still get a say."""
    from automl.rundir import PER_MODEL

    chosen = list(ranked[:count])
    seen: dict[str, int] = {}
    for candidate in chosen:
        model = models[candidate.trial]
        seen[model] = seen.get(model, 0) + 1
    for candidate in ranked[count:]:
        model = models[candidate.trial]
        if seen.get(model, 0) < PER_MODEL:
            seen[model] = seen.get(model, 0) + 1
            chosen.append(candidate)
    return chosen


def describe_plan(
    plan: EnsemblePlan,
    prepared: Prepared,
    rows: Mapping[int, LeaderboardRow],
    weights: Mapping[int, float],
) -> None:
    """Fill the plan's record and row for these weights: members, fold scores, times."""
    from automl.ensemble import blend, metric_scorer

    table, split = prepared.table, prepared.split
    truth = table.target[split.train_rows]
    members = [MemberRecord(trial, rows[trial].model, weight) for trial, weight in weights.items()]
    blended = blend([plan.oof[m.trial] for m in members], [m.weight for m in members])
    scores = {
        spec.name: MetricScores.of(
            [
                metric_scorer(spec, truth[valid], table.task, table.classes)(blended[valid])
                for _, valid in plan.folds
            ]
        )
        for spec in [prepared.metric, *prepared.metrics]
    }
    record, row = plan.record, plan.row
    record.members = members
    record.cv_mean = scores[prepared.metric.name].mean
    record.cv_std = scores[prepared.metric.name].std
    row.scores = scores
    row.params = {"members": [m.to_dict() for m in members], "steps": record.steps}
    row.fit_time = _total(rows[m.trial].fit_time for m in members)
    row.predict_time_per_1000 = _total(rows[m.trial].predict_time_per_1000 for m in members)


def _out_of_time(budget: Budget, leaderboard: Leaderboard) -> bool:
    """Whether the selection must stop to leave time for refitting the best trial (should the
    ensemble lose its members) and packaging."""
    best = leaderboard.best
    return not budget.time_for(budget.refit_seconds(best.fit_time if best else None))


def _best_single(leaderboard: Leaderboard) -> float | None:
    best = leaderboard.best_trial
    return best.mean(leaderboard.metric) if best is not None else None


def _finite(values: np.ndarray) -> bool:
    import numpy as np

    return bool(np.isfinite(values).all())


def _total(values: Any) -> float | None:
    found = [value for value in values if value is not None]
    return sum(found) if found else None


def _number(value: float | None) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.4f}"
