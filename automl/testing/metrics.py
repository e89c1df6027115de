"""The metric check: direction, probabilities, tasks, ``labels=`` and the score's type."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from automl.specs import MetricSpec, Task
from automl.testing.params import check_params

if TYPE_CHECKING:
    import numpy as np

__all__ = ["check_metric_spec"]

# Class labels the check scores with: a metric must work with text and with integer labels.
_LABELS: dict[Task, tuple[tuple[Any, ...], ...]] = {
    Task.BINARY: (("no", "yes"), (0, 1)),
    Task.MULTICLASS: (("bird", "cat", "dog"), (0, 1, 2)),
}


def check_metric_spec(spec: MetricSpec, *, rows: int = 60, seed: int = 0) -> None:
    """Check a metric record on toy predictions for every task it supports.

    The metric must be a function of ``(y_true, y_pred, *, labels)`` returning a finite
    ``float``; perfect predictions must score strictly better than entirely wrong ones, in the
    record's ``direction``, and at least as well as half-right ones (so a metric at its optimum
    for perfect predictions). Classification metrics are scored with text labels and with integer
    labels, ``labels`` being the sorted class labels (in binary tasks the positive class is the
    last); a metric with ``needs_proba`` receives one probability column per label, in that
    order. Regression metrics receive ``labels=None``. A metric that needs probabilities may not
    declare the regression task.
    """
    assert isinstance(spec, MetricSpec), f"expected a MetricSpec, got {type(spec).__name__}"
    label = f"metric {spec.name!r}"
    check_params(spec, {})
    assert spec.direction in ("maximize", "minimize"), f"{label}: direction {spec.direction!r}"
    assert not (spec.needs_proba and Task.REGRESSION in spec.tasks), (
        f"{label}: needs_proba=True but declares the regression task, which has no "
        "probabilities; declare tasks=CLASSIFICATION_TASKS"
    )
    for task in sorted(spec.tasks):
        for labels in _LABELS.get(task, (None,)):
            truth, perfect, half, wrong = _predictions(task, labels, spec.needs_proba, rows, seed)
            where = f"{label} ({task}, labels={list(labels) if labels else None})"
            scores = {
                name: _score(spec, truth, predicted, labels, where)
                for name, predicted in (("perfect", perfect), ("half", half), ("wrong", wrong))
            }
            sign = 1.0 if spec.greater_is_better else -1.0
            assert sign * scores["perfect"] > sign * scores["wrong"], (
                f"{where}: perfect predictions score {scores['perfect']}, entirely wrong ones "
                f"{scores['wrong']}; is direction={spec.direction!r} right?"
            )
            assert sign * scores["perfect"] >= sign * scores["half"], (
                f"{where}: perfect predictions score {scores['perfect']}, worse than half-right "
                f"ones ({scores['half']}) in direction {spec.direction!r}"
            )


def _score(
    spec: MetricSpec, truth: Any, predicted: Any, labels: Sequence[Any] | None, where: str
) -> float:
    try:
        value = spec.factory(truth, predicted, labels=list(labels) if labels else None)
    except Exception as exc:
        raise AssertionError(f"{where}: raised {type(exc).__name__}: {exc}") from exc
    assert isinstance(value, float), (
        f"{where}: returned {type(value).__name__}, not a float (wrap the result in float())"
    )
    assert math.isfinite(value), f"{where}: returned {value}"
    return value


def _predictions(
    task: Task, labels: Sequence[Any] | None, proba: bool, rows: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The truth, and perfect, half-right and entirely wrong predictions of it."""
    import numpy as np

    rng = np.random.default_rng(seed)
    half_rows = np.arange(rows) % 2 == 1
    if labels is None:
        # Positive and away from zero, so percentage errors are defined.
        truth = 10.0 + rng.normal(size=rows)
        wrong = truth + 5.0 + rng.uniform(size=rows)
        return truth, truth.copy(), np.where(half_rows, wrong, truth), wrong
    # Every class appears; rows shuffled so no metric can rely on an order.
    codes = rng.permutation(np.arange(rows) % len(labels))
    wrong_codes = (codes + 1) % len(labels)
    half_codes = np.where(half_rows, wrong_codes, codes)
    classes = np.asarray(labels, dtype=object if isinstance(labels[0], str) else None)
    if not proba:
        return classes[codes], classes[codes], classes[half_codes], classes[wrong_codes]
    identity = np.eye(len(labels))
    return classes[codes], identity[codes], identity[half_codes], identity[wrong_codes]
