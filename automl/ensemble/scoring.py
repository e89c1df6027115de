"""Metrics of blended predictions: the metric plugin's score of what an ensemble predicts, and
the scorer the greedy selection uses (a fast numpy version where it agrees with the plugin)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from automl.ensemble.fast import checked_fast_scorer
from automl.ensemble.model import label_array
from automl.ensemble.selection import Candidate, blend
from automl.specs import MetricSpec, Task

if TYPE_CHECKING:
    import numpy as np

__all__ = ["metric_scorer", "selection_scorer"]


def metric_scorer(
    spec: MetricSpec, truth: Any, task: Task, classes: Sequence[Any] | None
) -> Callable[[np.ndarray], float]:
    """The metric of blended predictions: probabilities, labels (the most probable class) or
    values, as the metric takes them."""
    import numpy as np

    labels = list(classes) if classes is not None else None
    names = label_array(labels) if labels is not None else None

    def score(blended: np.ndarray) -> float:
        if task is Task.REGRESSION or spec.needs_proba:
            made = blended
        else:
            assert names is not None
            made = names[np.argmax(blended, axis=1)]
        return float(spec.factory(truth, made, labels=labels))

    return score


def selection_scorer(
    spec: MetricSpec,
    truth: Any,
    task: Task,
    classes: Sequence[Any] | None,
    candidates: Sequence[Candidate],
    folds: Sequence[np.ndarray] | None = None,
) -> Callable[[np.ndarray], float]:
    """The metric for the selection: a fast numpy version where one agrees with the plugin's
    score on these predictions (:mod:`automl.ensemble.fast`), else the plugin's.

    With ``folds`` (each cross-validation fold's validation positions in ``truth``), the mean
    of the folds' scores: what the leaderboard says of a trial and of the ensemble. Scored over
    all rows at once instead, a ranking metric such as ROC AUC also rewards predictions that
    agree in scale across folds, so the selection's first pick could differ from the best trial
    and the ensemble it kept could score below that trial on the leaderboard.
    """
    import numpy as np

    parts = [
        (rows, _fast_or_plugin(spec, truth[rows], task, classes, candidates, rows))
        for rows in (folds if folds is not None else [slice(None)])
    ]

    def score(blended: np.ndarray) -> float:
        return float(np.mean([part(blended[rows]) for rows, part in parts]))

    return score


def _fast_or_plugin(
    spec: MetricSpec,
    truth: Any,
    task: Task,
    classes: Sequence[Any] | None,
    candidates: Sequence[Candidate],
    rows: Any,
) -> Callable[[np.ndarray], float]:
    """The fast scorer of ``truth`` where it agrees with the plugin on the first two
    candidates' predictions of these rows, else the plugin's."""
    plugin = metric_scorer(spec, truth, task, classes)
    first, second = candidates[0].predictions[rows], candidates[1].predictions[rows]
    samples = [first, blend([first, second], [0.5, 0.5])]
    fast = checked_fast_scorer(spec.name, truth, classes, plugin, samples)
    return fast or plugin
