"""What only the XGBoost model does; the shared contract is in ``test_models_boosted.py``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from automl.specs import Task
from automl_xgboost.model import XGBOOST, XGBoostParams
from tests.test_models_sklearn import labelled_data

pytest.importorskip("xgboost", reason="xgboost is not installed (pip install 'automl[xgboost]')")


def build(task: Task, seed: int = 0, **params: Any) -> Any:
    return XGBOOST.factory(XGBoostParams(**params), task=task, seed=seed)


def test_xgboost_runs_hist_on_one_thread_with_the_seed() -> None:
    x, y = labelled_data(["a", "b"], rows=60)
    booster = build(Task.BINARY, seed=7, max_depth=3).fit(x, y).model_
    params = booster.get_params()
    assert (params["tree_method"], params["n_jobs"], params["random_state"]) == ("hist", 1, 7)
    assert (params["max_depth"], params["verbosity"]) == (3, 0)


def test_predictions_use_xgboost_s_best_round() -> None:
    x, y = labelled_data(["no", "yes"], rows=400)
    model = build(Task.BINARY, learning_rate=0.3, n_estimators=1000).fit(x, y)
    assert model.early_stopped_
    assert model.model_.best_iteration + 1 == model.best_iteration_
    # Predictions use the best round, not every tree boosted before stopping.
    best = model.model_.predict_proba(x, iteration_range=(0, model.best_iteration_))
    assert np.array_equal(model.predict_proba(x), best)
    assert model.model_.get_booster().num_boosted_rounds() > model.best_iteration_
