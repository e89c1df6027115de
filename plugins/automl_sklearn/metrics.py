"""The standard metrics, computed with scikit-learn.

Every score function has the metric contract's signature ``(y_true, y_pred, *, labels)``:
``y_pred`` holds labels (or values, for regression), or class probabilities with columns in the
order of ``labels`` for metrics that need probabilities. In binary tasks the positive class is
the last of the sorted labels (``1``, ``True``, ``"yes"`` over ``"no"``...).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

from automl import CLASSIFICATION_TASKS, MetricSpec, Task

Labels = Sequence[Any] | None

_REGRESSION = frozenset({Task.REGRESSION})


def _average(labels: Labels) -> dict[str, Any]:
    """Binary tasks score the positive (last) label; multiclass averages over classes (macro)."""
    if labels is not None and len(labels) == 2:
        return {"average": "binary", "pos_label": labels[-1]}
    return {"average": "macro", "labels": labels}


def accuracy(y_true: Any, y_pred: Any, *, labels: Labels = None) -> float:
    """Share of rows predicted correctly."""
    from sklearn.metrics import accuracy_score

    return float(accuracy_score(y_true, y_pred))


def balanced_accuracy(y_true: Any, y_pred: Any, *, labels: Labels = None) -> float:
    """Mean recall over classes; robust to class imbalance."""
    from sklearn.metrics import balanced_accuracy_score

    return float(balanced_accuracy_score(y_true, y_pred))


def precision(y_true: Any, y_pred: Any, *, labels: Labels = None) -> float:
    """Precision of the positive class (binary) or macro-averaged (multiclass)."""
    from sklearn.metrics import precision_score

    return float(precision_score(y_true, y_pred, zero_division=0, **_average(labels)))


def recall(y_true: Any, y_pred: Any, *, labels: Labels = None) -> float:
    """Recall of the positive class (binary) or macro-averaged (multiclass)."""
    from sklearn.metrics import recall_score

    return float(recall_score(y_true, y_pred, zero_division=0, **_average(labels)))


def f1(y_true: Any, y_pred: Any, *, labels: Labels = None) -> float:
    """F1 of the positive class (binary) or macro-averaged (multiclass)."""
    from sklearn.metrics import f1_score

    return float(f1_score(y_true, y_pred, zero_division=0, **_average(labels)))


def roc_auc(y_true: Any, y_proba: Any, *, labels: Labels = None) -> float:
    """Area under the ROC curve; one-vs-rest, macro-averaged, for multiclass."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    proba = np.asarray(y_proba, dtype=float)
    if proba.ndim == 2 and proba.shape[1] == 2:
        positive = labels[-1] if labels is not None else 1
        return float(roc_auc_score(np.asarray(y_true) == positive, proba[:, 1]))
    if proba.ndim == 1:
        return float(roc_auc_score(y_true, proba))
    return float(roc_auc_score(y_true, proba, multi_class="ovr", average="macro", labels=labels))


def log_loss(y_true: Any, y_proba: Any, *, labels: Labels = None) -> float:
    """Cross-entropy of the predicted class probabilities (lower is better)."""
    from sklearn.metrics import log_loss as sk_log_loss

    return float(sk_log_loss(y_true, y_proba, labels=labels))


def mse(y_true: Any, y_pred: Any, *, labels: Labels = None) -> float:
    """Mean squared error."""
    from sklearn.metrics import mean_squared_error

    return float(mean_squared_error(y_true, y_pred))


def rmse(y_true: Any, y_pred: Any, *, labels: Labels = None) -> float:
    """Root mean squared error, in the target's unit."""
    from sklearn.metrics import root_mean_squared_error

    return float(root_mean_squared_error(y_true, y_pred))


def mae(y_true: Any, y_pred: Any, *, labels: Labels = None) -> float:
    """Mean absolute error, in the target's unit."""
    from sklearn.metrics import mean_absolute_error

    return float(mean_absolute_error(y_true, y_pred))


def r2(y_true: Any, y_pred: Any, *, labels: Labels = None) -> float:
    """Coefficient of determination (1 is perfect, 0 is the mean's score)."""
    from sklearn.metrics import r2_score

    return float(r2_score(y_true, y_pred))


def mape(y_true: Any, y_pred: Any, *, labels: Labels = None) -> float:
    """Mean absolute percentage error, as a fraction (0.1 means 10 %)."""
    from sklearn.metrics import mean_absolute_percentage_error

    return float(mean_absolute_percentage_error(y_true, y_pred))


def _metric(
    function: Callable[..., float],
    direction: Literal["maximize", "minimize"],
    tasks: frozenset[Task],
    *,
    needs_proba: bool = False,
) -> MetricSpec:
    return MetricSpec(
        name=function.__name__,
        description=(function.__doc__ or "").strip().splitlines()[0],
        factory=function,
        direction=direction,
        needs_proba=needs_proba,
        tasks=tasks,
    )


METRICS: tuple[MetricSpec, ...] = (
    _metric(accuracy, "maximize", CLASSIFICATION_TASKS),
    _metric(balanced_accuracy, "maximize", CLASSIFICATION_TASKS),
    _metric(precision, "maximize", CLASSIFICATION_TASKS),
    _metric(recall, "maximize", CLASSIFICATION_TASKS),
    _metric(f1, "maximize", CLASSIFICATION_TASKS),
    _metric(roc_auc, "maximize", CLASSIFICATION_TASKS, needs_proba=True),
    _metric(log_loss, "minimize", CLASSIFICATION_TASKS, needs_proba=True),
    _metric(mse, "minimize", _REGRESSION),
    _metric(rmse, "minimize", _REGRESSION),
    _metric(mae, "minimize", _REGRESSION),
    _metric(r2, "maximize", _REGRESSION),
    _metric(mape, "minimize", _REGRESSION),
)
