"""One trial: build the pipeline, cross-validate it, report the running mean after each fold.

This runs in a worker process (local or Ray). It knows nothing of Optuna: the ``report``
callback returns whether the trial should stop (the driver asks the pruner).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from automl.data.preprocess import ColumnKind, build_pipeline
from automl.specs import MetricSpec, ModelSpec, Task

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

TrialState = Literal["complete", "pruned", "failed"]


@dataclass(frozen=True)
class SearchData:
    """What every trial needs, sent to each worker once per run.

    Attributes:
        features: The training rows (holdout excluded).
        target: The target values.
        folds: ``(train_indices, valid_indices)`` per cross-validation fold, fixed for the run.
        task: The task.
        classes: Sorted class labels (classification) or ``None``.
        kinds: Each feature column's kind, for the preprocessing step.
        levels: Distinct values of each categorical column.
        metric: The primary metric's name.
        metrics: The secondary metrics' names.
        seed: The seed every model gets.
        prune: Whether trials report after each fold (False when the pruner is ``none``).
    """

    features: pd.DataFrame
    target: np.ndarray
    folds: Sequence[tuple[np.ndarray, np.ndarray]]
    task: Task
    classes: list[Any] | None
    kinds: Mapping[str, ColumnKind]
    levels: Mapping[str, int]
    metric: str
    metrics: Sequence[str]
    seed: int
    prune: bool = True


@dataclass(frozen=True)
class TrialJob:
    """A trial to run: the model and its parameters (plain names, as the factory takes them)."""

    number: int
    model: str
    params: Mapping[str, Any]


@dataclass
class TrialOutcome:
    """What a trial produced; scores are per metric, one value per fold run."""

    number: int
    state: TrialState
    scores: dict[str, list[float]] = field(default_factory=dict)
    fit_times: list[float] = field(default_factory=list)
    predict_times: list[float] = field(default_factory=list)
    predicted_rows: int = 0
    error: str | None = None

    def mean(self, metric: str) -> float:
        """The mean over folds of ``metric``."""
        values = self.scores.get(metric, [])
        return math.fsum(values) / len(values) if values else math.nan


class TrialPrunedSignal(Exception):
    """Raised inside a trial when the driver says to stop it."""


def run_trial(
    job: TrialJob,
    data: SearchData,
    model: ModelSpec,
    metrics: Mapping[str, MetricSpec],
    report: Callable[[int, float], bool],
) -> TrialOutcome:
    """Cross-validate ``job`` on ``data``.

    Args:
        job: The model and parameters.
        data: The training data and folds.
        model: The model's record.
        metrics: Every metric to compute, by name (the primary one included).
        report: Called with ``(fold_index, running_mean_of_primary)`` after each fold but the
            last, when the search prunes; returns True when the trial should stop (PRUNED).

    Returns:
        The outcome. A trial that raises is FAILED with the error as its reason.
    """
    outcome = TrialOutcome(
        number=job.number, state="complete", scores={name: [] for name in metrics}
    )
    try:
        params = model.params.model_validate(dict(job.params))
        for fold_index, (train, valid) in enumerate(data.folds):
            _run_fold(params, data, model, metrics, train, valid, outcome)
            running = outcome.mean(data.metric)
            if not math.isfinite(running):
                raise ValueError(
                    f"the primary metric {data.metric!r} is {running} on fold {fold_index + 1}"
                )
            # Only a verdict before the last fold can save work; the driver records the
            # remaining running means itself when the trial ends.
            if data.prune and fold_index < len(data.folds) - 1 and report(fold_index, running):
                outcome.state = "pruned"
                return outcome
    except TrialPrunedSignal:
        outcome.state = "pruned"
    except Exception as exc:  # a failing model fails its trial, never the search
        outcome.state = "failed"
        outcome.error = f"{type(exc).__name__}: {exc}".strip()
    return outcome


def _run_fold(
    params: Any,
    data: SearchData,
    model: ModelSpec,
    metrics: Mapping[str, MetricSpec],
    train: np.ndarray,
    valid: np.ndarray,
    outcome: TrialOutcome,
) -> None:
    estimator = model.factory(params, task=data.task, seed=data.seed)
    pipeline = build_pipeline(estimator, data.kinds, data.levels, scale=model.needs_scaling)
    started = time.perf_counter()
    pipeline.fit(data.features.iloc[train], data.target[train])
    outcome.fit_times.append(time.perf_counter() - started)
    rows = data.features.iloc[valid]
    started = time.perf_counter()
    predictions = predict_for_metrics(pipeline, rows, data.task, data.classes, metrics.values())
    outcome.predict_times.append(time.perf_counter() - started)
    outcome.predicted_rows += len(valid)
    truth = data.target[valid]
    for name, spec in metrics.items():
        y_pred = predictions["proba"] if spec.needs_proba else predictions["label"]
        outcome.scores[name].append(float(spec.factory(truth, y_pred, labels=data.classes)))


def predict_for_metrics(
    pipeline: Any, rows: Any, task: Task, classes: list[Any] | None, metrics: Any
) -> dict[str, Any]:
    """Labels (or values) and, when a metric needs them, probabilities in ``classes`` order."""
    needed = {spec.needs_proba for spec in metrics}
    result: dict[str, Any] = {}
    if False in needed:
        result["label"] = pipeline.predict(rows)
    if True in needed:
        if task is Task.REGRESSION:
            raise ValueError("a metric needs probabilities, but the task is regression")
        result["proba"] = aligned_proba(pipeline, rows, classes or [])
    return result


def aligned_proba(pipeline: Any, rows: Any, classes: list[Any]) -> np.ndarray:
    """``predict_proba`` with one column per class of ``classes`` (zeros for a class unseen in training)."""
    import numpy as np

    proba = np.asarray(pipeline.predict_proba(rows), dtype=float)
    seen = list(pipeline.classes_)
    if seen == list(classes):
        return proba
    aligned = np.zeros((proba.shape[0], len(classes)))
    for column, label in enumerate(seen):
        aligned[:, classes.index(label)] = proba[:, column]
    return aligned
