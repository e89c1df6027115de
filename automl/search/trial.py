"""One trial: build the pipeline, cross-validate it, report the running mean after each fold.

This runs in a worker process (local or Ray). It knows nothing of Optuna: the ``report``
callback returns whether the trial should stop (the driver asks the pruner).
"""

from __future__ import annotations

import math
import time
import traceback
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from automl.data import ColumnKind, build_pipeline
from automl.evaluation import kept_predictions, predict, score
from automl.records import FailureKind, TrialFailure, TrialState
from automl.specs import MetricSpec, ModelSpec, Task

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


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
        prune: Whether trials report after each fold, so that the driver can stop them (the
            pruner's verdict, or a time budget they would overrun); False only when the pruner
            is ``none`` and there is no time budget.
        keep_predictions: Whether a complete trial returns its out-of-fold predictions.
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
    keep_predictions: bool = True


@dataclass(frozen=True)
class TrialJob:
    """A trial to run: the model and its parameters (plain names, as the factory takes them),
    the share of each fold's training rows its fits use (``None``: all of them), and the seconds
    it may take (``None``: no limit). The limit binds estimators with a ``max_time`` parameter
    only: each fold's fit gets an equal share of what is left of it."""

    number: int
    model: str
    params: Mapping[str, Any]
    rows_fraction: float | None = None
    time_limit: float | None = None


@dataclass
class TrialOutcome:
    """What a trial produced; scores are per metric, one value per fold run.

    Attributes:
        oof: A complete trial's out-of-fold predictions, one row per training row in their
            order (probabilities in class order for classification, values for regression).
        failure: Why the trial failed, with the traceback when the model raised.
        time_limited: Whether its fits were given a share of the job's ``time_limit`` (their
            estimator has a ``max_time`` parameter), so that its remaining folds end in it.
    """

    number: int
    state: TrialState
    scores: dict[str, list[float]] = field(default_factory=dict)
    fit_times: list[float] = field(default_factory=list)
    predict_times: list[float] = field(default_factory=list)
    predicted_rows: int = 0
    failure: TrialFailure | None = None
    oof: np.ndarray | None = None
    time_limited: bool = False

    @classmethod
    def failed(cls, number: int, kind: FailureKind, message: str) -> TrialOutcome:
        """A trial that ended without running (a dead worker, a sampling error...)."""
        return cls(number=number, state=TrialState.FAILED, failure=TrialFailure(kind, message))

    @property
    def seconds(self) -> float:
        """Seconds its folds took, fitting and predicting, timed in the worker."""
        return math.fsum(self.fit_times) + math.fsum(self.predict_times)

    @property
    def error(self) -> str | None:
        """The failure message, if the trial failed."""
        return self.failure.message if self.failure is not None else None

    def mean(self, metric: str) -> float:
        """The mean over folds of ``metric``."""
        values = self.scores.get(metric, [])
        return math.fsum(values) / len(values) if values else math.nan


class TrialPrunedSignal(Exception):
    """Raised inside a trial when the driver says to stop it."""


@dataclass(frozen=True)
class FoldReport:
    """A trial's report after a fold: what the pruner reads, and the outcome so far.

    Attributes:
        step: The fold's index.
        value: The running mean of the primary metric after this fold.
        partial: A copy of the outcome after this fold: what the trial is, pruned here.
    """

    step: int
    value: float
    partial: TrialOutcome


TrialSteps = Generator[FoldReport, bool, TrialOutcome]
"""A trial as a generator: it yields a report, receives whether to stop, returns the outcome."""


def run_trial(
    job: TrialJob,
    data: SearchData,
    model: ModelSpec,
    metrics: Mapping[str, MetricSpec],
    report: Callable[[int, float, float, bool], bool],
) -> TrialOutcome:
    """Cross-validate ``job`` on ``data``.

    Args:
        job: The model and parameters.
        data: The training data and folds.
        model: The model's record.
        metrics: Every metric to compute, by name (the primary one included).
        report: Called with ``(fold_index, running_mean_of_primary, seconds_so_far,
            time_limited)`` after each fold but the last, when the driver may stop trials
            (``data.prune``); returns True when the trial should stop (PRUNED).

    Returns:
        The outcome. A trial that raises is FAILED with the error as its reason.
    """
    steps = trial_steps(job, data, model, metrics)
    try:
        request = next(steps)
        while True:
            try:
                partial = request.partial
                stop = report(request.step, request.value, partial.seconds, partial.time_limited)
            except Exception as exc:  # the trial's own handlers decide (pruned or failed)
                request = steps.throw(exc)
            else:
                request = steps.send(stop)
    except StopIteration as done:
        outcome: TrialOutcome = done.value
        return outcome


def trial_steps(
    job: TrialJob, data: SearchData, model: ModelSpec, metrics: Mapping[str, MetricSpec]
) -> TrialSteps:
    """:func:`run_trial` as a generator: a :class:`FoldReport` after each fold but the last.

    Reports come only when the driver may stop trials (``data.prune``). The value sent back is the
    verdict: True stops the trial there, PRUNED, with the folds run so far.
    """
    outcome = TrialOutcome(
        number=job.number, state=TrialState.COMPLETE, scores={name: [] for name in metrics}
    )
    oof: list[tuple[np.ndarray, np.ndarray | None]] = []
    started = time.perf_counter()
    try:
        params = model.params.model_validate(dict(job.params))
        for fold_index, (train, valid) in enumerate(data.folds):
            fitted = train  # a cheap first trial fits on a share of the rows, predicts them all
            if job.rows_fraction is not None:
                seed = (data.seed, fold_index)
                fitted = subsample(train, data.target, job.rows_fraction, seed, data.classes)
            share = None  # of the time limit: what is left of it, over the folds left
            if job.time_limit is not None:
                left = job.time_limit - (time.perf_counter() - started)
                share = max(0.0, left) / (len(data.folds) - fold_index)
            fold = _run_fold(params, data, model, metrics, (fitted, valid), outcome, share)
            oof.append((valid, fold))
            running = outcome.mean(data.metric)
            if not math.isfinite(running):
                raise ValueError(
                    f"the primary metric {data.metric!r} is {running} on fold {fold_index + 1}"
                )
            # Only a verdict before the last fold can save work; the driver records the
            # remaining running means itself when the trial ends.
            last = fold_index == len(data.folds) - 1
            if data.prune and not last and (yield FoldReport(fold_index, running, _copy(outcome))):
                outcome.state = TrialState.PRUNED
                return outcome
        if data.keep_predictions:
            outcome.oof = _assemble(oof, len(data.target))
    except TrialPrunedSignal:
        outcome.state = TrialState.PRUNED
    except Exception as exc:  # a failing model fails its trial, never the search
        outcome.state = TrialState.FAILED
        outcome.oof = None
        outcome.failure = TrialFailure(
            FailureKind.ERROR,
            f"{type(exc).__name__}: {exc}".strip(),
            traceback="".join(traceback.format_exception(exc)),
        )
    return outcome


def subsample(
    rows: np.ndarray,
    target: np.ndarray,
    fraction: float,
    seed: int | tuple[int, ...],
    classes: Sequence[Any] | None,
) -> np.ndarray:
    """``fraction`` of ``rows`` (positions into ``target``), drawn at random with ``seed``, in
    their order. With ``classes`` (classification) each class keeps its share, and at least two
    of its rows, so that every class is still learnt."""
    import numpy as np

    if fraction >= 1.0:
        return rows
    rng = np.random.default_rng(seed)
    if classes is None:
        return np.sort(rng.choice(rows, size=max(1, round(len(rows) * fraction)), replace=False))
    labels = target[rows]
    kept = []
    for label in classes:
        members = rows[labels == label]
        count = min(len(members), max(2, round(len(members) * fraction)))
        kept.append(rng.choice(members, size=count, replace=False))
    return np.sort(np.concatenate(kept))


def _copy(outcome: TrialOutcome) -> TrialOutcome:
    """The outcome so far as a PRUNED trial, sharing nothing mutable with ``outcome``."""
    return TrialOutcome(
        number=outcome.number,
        state=TrialState.PRUNED,
        scores={name: list(values) for name, values in outcome.scores.items()},
        fit_times=list(outcome.fit_times),
        predict_times=list(outcome.predict_times),
        predicted_rows=outcome.predicted_rows,
        time_limited=outcome.time_limited,
    )


def _assemble(parts: Sequence[tuple[np.ndarray, np.ndarray | None]], rows: int) -> np.ndarray:
    """The folds' predictions put back in training-row order."""
    import numpy as np

    kept = [(valid, values) for valid, values in parts if values is not None]
    assembled = np.full((rows, *kept[0][1].shape[1:]), np.nan)
    for valid, values in kept:
        assembled[valid] = values
    return assembled


def _run_fold(
    params: Any,
    data: SearchData,
    model: ModelSpec,
    metrics: Mapping[str, MetricSpec],
    rows: tuple[np.ndarray, np.ndarray],
    outcome: TrialOutcome,
    max_time: float | None,
) -> np.ndarray | None:
    """Fit and score one fold (``rows``: its training and validation rows); returns the
    predictions a run keeps for the validation rows. With ``max_time``, an estimator with a
    ``max_time`` parameter gets it: the seconds its fit may take."""
    train, valid = rows
    estimator = model.factory(params, task=data.task, seed=data.seed)
    if max_time is not None and "max_time" in estimator.get_params(deep=False):
        estimator.set_params(max_time=max_time)
        outcome.time_limited = True
    pipeline = build_pipeline(estimator, data.kinds, data.levels, scale=model.needs_scaling)
    started = time.perf_counter()
    pipeline.fit(data.features.iloc[train], data.target[train])
    outcome.fit_times.append(time.perf_counter() - started)
    valid_rows = data.features.iloc[valid]
    started = time.perf_counter()
    predictions = predict(pipeline, valid_rows, data.task, data.classes, metrics.values())
    outcome.predict_times.append(time.perf_counter() - started)
    outcome.predicted_rows += len(valid)
    for name, value in score(metrics, data.target[valid], predictions, data.classes).items():
        outcome.scores[name].append(value)
    if not data.keep_predictions:
        return None
    return kept_predictions(pipeline, valid_rows, data.task, data.classes, predictions)
