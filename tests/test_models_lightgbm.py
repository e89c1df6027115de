"""What only the LightGBM model does; the shared contract is in ``test_models_boosted.py``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from automl.specs import Task
from automl_lightgbm.estimators import _validation_arguments
from automl_lightgbm.model import LIGHTGBM, LightGBMParams
from tests.test_models_sklearn import labelled_data

pytest.importorskip("lightgbm", reason="lightgbm is not installed (pip install 'automl[lightgbm]')")


def build(task: Task, seed: int = 0, **params: Any) -> Any:
    return LIGHTGBM.factory(LightGBMParams(**params), task=task, seed=seed)


def test_predictions_use_lightgbm_s_best_round() -> None:
    x, y = labelled_data(["no", "yes"], rows=400)
    model = build(Task.BINARY, learning_rate=0.3, n_estimators=1000).fit(x, y)
    assert model.early_stopped_
    assert model.model_.best_iteration_ == model.best_iteration_
    best = model.model_.predict_proba(x, num_iteration=model.best_iteration_)
    assert np.array_equal(model.predict_proba(x), best)


def test_lightgbm_runs_deterministic_on_one_thread_with_the_seed() -> None:
    x, y = labelled_data(["a", "b"], rows=60)
    booster = build(Task.BINARY, seed=7, num_leaves=7, class_weight="balanced").fit(x, y).model_
    params = booster.get_params()
    assert (params["n_jobs"], params["random_state"], params["num_leaves"]) == (1, 7, 7)
    assert (params["deterministic"], params["verbose"]) == (True, -1)
    assert params["class_weight"] == "balanced"  # LightGBM weighs the classes itself


class _NewFit:
    def fit(self, X: Any, y: Any, *, eval_X: Any = None, eval_y: Any = None) -> None:
        """LightGBM 4.7 and later."""


class _OldFit:
    def fit(self, X: Any, y: Any, *, eval_set: Any = None) -> None:
        """LightGBM before 4.7."""


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (_NewFit(), {"eval_X": ("xv",), "eval_y": ("yv",)}),
        (_OldFit(), {"eval_set": [("xv", "yv")]}),
    ],
    ids=["eval_X", "eval_set"],
)
def test_the_validation_set_is_passed_as_the_installed_lightgbm_takes_it(
    model: Any, expected: dict[str, Any]
) -> None:
    assert _validation_arguments(model, "xv", "yv") == expected
