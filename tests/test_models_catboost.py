"""What only the CatBoost model does; the shared contract is in ``test_models_boosted.py``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from automl.specs import Task
from automl_catboost.estimators import CatBoostClassifier, CatBoostRegressor
from automl_catboost.model import CATBOOST, CatBoostParams
from tests.test_models_sklearn import labelled_data

pytest.importorskip("catboost", reason="catboost is not installed (pip install 'automl[catboost]')")

FAST = {"learning_rate": 0.3, "iterations": 200}
"""Few, large steps: enough for the toy data, and quick (CatBoost's multiclass loss is slow)."""


def build(task: Task, seed: int = 0, **params: Any) -> Any:
    return CATBOOST.factory(CatBoostParams(**params), task=task, seed=seed)


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test runs in an empty folder, so that a file CatBoost writes would be seen."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("task", "loss"),
    [(Task.BINARY, "Logloss"), (Task.MULTICLASS, "MultiClass"), (Task.REGRESSION, "RMSE")],
    ids=str,
)
def test_catboost_runs_silent_on_one_thread_with_the_seed_and_writes_nothing(
    tmp_path: Path, task: Task, loss: str
) -> None:
    x, y = labelled_data(["a", "b", "c"] if task is Task.MULTICLASS else ["a", "b"], rows=60)
    target = x[:, 0] if task is Task.REGRESSION else y
    booster = build(task, seed=7, depth=3, **FAST).fit(x, target).model_
    params = booster.get_params()
    assert (params["thread_count"], params["random_seed"], params["depth"]) == (1, 7, 3)
    assert (params["verbose"], params["allow_writing_files"]) == (0, False)
    assert params["loss_function"] == loss
    assert list(tmp_path.iterdir()) == []  # no catboost_info/


def test_the_model_keeps_the_trees_up_to_the_best_round() -> None:
    x, y = labelled_data(["no", "yes"], rows=400)
    model = build(Task.BINARY, learning_rate=0.3, iterations=1000).fit(x, y)
    assert model.early_stopped_
    assert 0 < model.best_iteration_ < 1000
    # The model keeps the trees up to the best round only (use_best_model).
    assert model.model_.tree_count_ == model.best_iteration_


@pytest.mark.parametrize(
    ("estimator", "x", "y", "message"),
    [
        (
            CatBoostClassifier(),
            np.zeros((5, 2)),
            np.array([0, 1, 0, 1, 0]),
            "needs a feature that varies, but every feature is constant",
        ),
        (CatBoostRegressor(), np.ones((1, 3)), np.ones(1), "constant .* in the 1 sample"),
        (CatBoostClassifier(), np.eye(4), np.array(["a"] * 4), "at least two classes"),
    ],
    ids=["constant-features", "one-row", "one-class"],
)
def test_data_catboost_cannot_fit_is_refused_with_a_message(
    estimator: Any, x: Any, y: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        estimator.fit(x, y)
