"""The one place where a fitted pipeline's predictions are made and scored with metric plugins.

Trials (each fold), the refit's holdout score and the benchmarks all call this module, so a
metric means the same thing everywhere: labels from ``predict`` for metrics that take labels,
probabilities in the order of ``classes`` for metrics that need them, values for regression.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from automl.specs import MetricSpec, Task

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Predictions", "aligned_proba", "kept_predictions", "predict", "score"]


@dataclass(frozen=True)
class Predictions:
    """What a pipeline predicted for some rows.

    Attributes:
        label: Labels (classification) or values (regression) from ``predict``, when a metric
            takes them.
        proba: Probabilities, one column per class in ``classes`` order, when a metric needs
            them (classification only).
    """

    label: np.ndarray | None = None
    proba: np.ndarray | None = None

    def for_metric(self, spec: MetricSpec) -> np.ndarray:
        """The predictions ``spec`` scores: probabilities or labels."""
        value = self.proba if spec.needs_proba else self.label
        if value is None:
            raise ValueError("the predictions this metric needs were not made")
        return value


def predict(
    pipeline: Any,
    rows: Any,
    task: Task,
    classes: Sequence[Any] | None,
    metrics: Iterable[MetricSpec],
) -> Predictions:
    """Labels (or values) and, when a metric needs them, probabilities in ``classes`` order.

    Raises:
        ValueError: a metric needs probabilities but the task is regression.
    """
    needed = {spec.needs_proba for spec in metrics}
    label = pipeline.predict(rows) if False in needed else None
    proba = None
    if True in needed:
        if task is Task.REGRESSION:
            raise ValueError("a metric needs probabilities, but the task is regression")
        proba = aligned_proba(pipeline, rows, list(classes or []))
    return Predictions(label=label, proba=proba)


def score(
    metrics: Mapping[str, MetricSpec],
    truth: Any,
    predictions: Predictions,
    classes: Sequence[Any] | None,
) -> dict[str, float]:
    """Every metric's score of ``predictions`` against ``truth``, by metric name."""
    labels = list(classes) if classes is not None else None
    return {
        name: float(spec.factory(truth, predictions.for_metric(spec), labels=labels))
        for name, spec in metrics.items()
    }


def aligned_proba(pipeline: Any, rows: Any, classes: Sequence[Any]) -> np.ndarray:
    """``predict_proba`` with one column per class of ``classes`` (zeros for a class unseen in
    training), each row summing to 1."""
    import numpy as np

    proba = np.asarray(pipeline.predict_proba(rows), dtype=float)
    sums = proba.sum(axis=1, keepdims=True)
    if proba.size and not np.allclose(sums, 1.0, rtol=0.0, atol=1e-12):
        # e.g. float32 probabilities: rows off by 1e-8 make log loss warn and differ
        proba = np.divide(proba, sums, out=np.zeros_like(proba), where=sums > 0)
    seen = list(pipeline.classes_)
    wanted = list(classes)
    if seen == wanted:
        return proba
    aligned = np.zeros((proba.shape[0], len(wanted)))
    for column, label in enumerate(seen):
        aligned[:, wanted.index(label)] = proba[:, column]
    return aligned


def kept_predictions(
    pipeline: Any,
    rows: Any,
    task: Task,
    classes: Sequence[Any] | None,
    made: Predictions,
) -> np.ndarray:
    """The predictions a run keeps for later use (ensembles, reports): values for regression,
    probabilities in ``classes`` order for classification.

    Reuses what scoring already computed; a classifier without ``predict_proba`` is kept as
    one-hot rows of its predicted labels.
    """
    import numpy as np

    if task is Task.REGRESSION:
        values = made.label if made.label is not None else pipeline.predict(rows)
        return np.asarray(values, dtype=float).reshape(-1)
    if made.proba is not None:
        return made.proba
    wanted = list(classes or [])
    if hasattr(pipeline, "predict_proba"):
        try:
            return aligned_proba(pipeline, rows, wanted)
        except (AttributeError, NotImplementedError):
            pass  # e.g. an SVM built without probability estimates: fall back to its labels
    labels = made.label if made.label is not None else pipeline.predict(rows)
    onehot = np.zeros((len(labels), len(wanted)))
    index = {label: column for column, label in enumerate(wanted)}
    for row, label in enumerate(labels):
        onehot[row, index[label]] = 1.0
    return onehot
