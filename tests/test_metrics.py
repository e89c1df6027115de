"""The builtin metrics: values, directions, probability needs and tasks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from automl import PluginRegistry, Task

CLASSIFICATION = {Task.BINARY, Task.MULTICLASS}
REGRESSION = {Task.REGRESSION}

# name: (direction, needs_proba, tasks)
PROPERTIES = {
    "accuracy": ("maximize", False, CLASSIFICATION),
    "balanced_accuracy": ("maximize", False, CLASSIFICATION),
    "precision": ("maximize", False, CLASSIFICATION),
    "recall": ("maximize", False, CLASSIFICATION),
    "f1": ("maximize", False, CLASSIFICATION),
    "roc_auc": ("maximize", True, CLASSIFICATION),
    "log_loss": ("minimize", True, CLASSIFICATION),
    "mse": ("minimize", False, REGRESSION),
    "rmse": ("minimize", False, REGRESSION),
    "mae": ("minimize", False, REGRESSION),
    "r2": ("maximize", False, REGRESSION),
    "mape": ("minimize", False, REGRESSION),
}


@pytest.mark.parametrize("name", list(PROPERTIES))
def test_metric_properties(registry: PluginRegistry, name: str) -> None:
    spec = registry.get("metric", name).spec
    direction, needs_proba, tasks = PROPERTIES[name]
    assert (spec.direction, spec.needs_proba, set(spec.tasks)) == (direction, needs_proba, tasks)
    assert spec.description


# Binary, with string labels: the positive class is the last sorted label, "yes".
Y_BIN = np.array(["no", "no", "no", "yes", "yes", "yes"])
P_BIN = np.array(["no", "yes", "no", "yes", "yes", "no"])
PROBA_BIN = np.array([[0.9, 0.1], [0.4, 0.6], [0.7, 0.3], [0.2, 0.8], [0.35, 0.65], [0.6, 0.4]])
# Multiclass with an imbalance.
Y_MC = np.array([0, 0, 0, 0, 1, 1, 2, 2])
P_MC = np.array([0, 0, 0, 1, 1, 1, 2, 0])
PROBA_MC = np.array(
    [
        [0.8, 0.1, 0.1],
        [0.7, 0.2, 0.1],
        [0.6, 0.3, 0.1],
        [0.3, 0.6, 0.1],
        [0.1, 0.8, 0.1],
        [0.2, 0.7, 0.1],
        [0.1, 0.1, 0.8],
        [0.5, 0.2, 0.3],
    ]
)
Y_REG = np.array([1.0, 2.0, 4.0, 8.0])
P_REG = np.array([1.5, 2.0, 3.0, 10.0])

CASES = [
    ("accuracy", Y_BIN, P_BIN, ["no", "yes"], 4 / 6),
    ("balanced_accuracy", Y_BIN, P_BIN, ["no", "yes"], (2 / 3 + 2 / 3) / 2),
    ("precision", Y_BIN, P_BIN, ["no", "yes"], 2 / 3),  # predicted yes: 3, right: 2
    ("recall", Y_BIN, P_BIN, ["no", "yes"], 2 / 3),
    ("f1", Y_BIN, P_BIN, ["no", "yes"], 2 / 3),
    # Positive scores 0.8, 0.65, 0.4 against negatives 0.1, 0.6, 0.3: 8 of 9 pairs ordered.
    ("roc_auc", Y_BIN, PROBA_BIN, ["no", "yes"], 8 / 9),
    (
        "log_loss",
        Y_BIN,
        PROBA_BIN,
        ["no", "yes"],
        -np.mean(np.log([0.9, 0.4, 0.7, 0.8, 0.65, 0.4])),
    ),
    ("accuracy", Y_MC, P_MC, [0, 1, 2], 6 / 8),
    # Per-class recall 3/4, 2/2, 1/2.
    ("balanced_accuracy", Y_MC, P_MC, [0, 1, 2], (0.75 + 1 + 0.5) / 3),
    ("recall", Y_MC, P_MC, [0, 1, 2], (0.75 + 1 + 0.5) / 3),
    # Per-class precision 3/4, 2/3, 1/1 (macro).
    ("precision", Y_MC, P_MC, [0, 1, 2], (0.75 + 2 / 3 + 1) / 3),
    ("f1", Y_MC, P_MC, [0, 1, 2], (0.75 + 0.8 + 2 / 3) / 3),
    (
        "log_loss",
        Y_MC,
        PROBA_MC,
        [0, 1, 2],
        -np.mean(np.log([0.8, 0.7, 0.6, 0.3, 0.8, 0.7, 0.8, 0.3])),
    ),
    ("mse", Y_REG, P_REG, None, (0.25 + 0 + 1 + 4) / 4),
    ("rmse", Y_REG, P_REG, None, math.sqrt((0.25 + 0 + 1 + 4) / 4)),
    ("mae", Y_REG, P_REG, None, (0.5 + 0 + 1 + 2) / 4),
    ("r2", Y_REG, P_REG, None, 1 - 5.25 / np.sum((Y_REG - Y_REG.mean()) ** 2)),
    ("mape", Y_REG, P_REG, None, (0.5 + 0 + 0.25 + 0.25) / 4),
]


@pytest.mark.parametrize(
    ("name", "y_true", "y_pred", "labels", "expected"),
    CASES,
    ids=[f"{c[0]}-{'reg' if c[3] is None else len(c[3])}" for c in CASES],
)
def test_metric_values(
    registry: PluginRegistry, name: str, y_true, y_pred, labels, expected: float
) -> None:
    score = registry.get("metric", name).spec.factory(y_true, y_pred, labels=labels)
    assert isinstance(score, float)
    assert score == pytest.approx(expected)


def test_multiclass_roc_auc_is_one_vs_rest_macro(registry: PluginRegistry) -> None:
    from sklearn.metrics import roc_auc_score

    roc_auc = registry.get("metric", "roc_auc").spec.factory
    expected = np.mean([roc_auc_score(Y_MC == k, PROBA_MC[:, k]) for k in range(3)])
    assert roc_auc(Y_MC, PROBA_MC, labels=[0, 1, 2]) == pytest.approx(expected)


def test_perfect_and_worst_binary_auc(registry: PluginRegistry) -> None:
    roc_auc = registry.get("metric", "roc_auc").spec.factory
    y = np.array([0, 0, 1, 1])
    proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.1, 0.9]])
    assert roc_auc(y, proba, labels=[0, 1]) == 1.0
    assert roc_auc(y, proba[:, ::-1], labels=[0, 1]) == 0.0
