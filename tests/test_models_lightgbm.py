"""The builtin LightGBM model: record, search space, early stopping and the estimator contract."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pytest
from sklearn.base import clone, is_classifier, is_regressor

from automl import PluginRegistry, can_split_validation
from automl.specs import ComponentKind, Task
from automl.testing import check_model_spec
from automl_lightgbm.model import LIGHTGBM, LightGBMParams
from tests.test_models_sklearn import check_classifier_labels, labelled_data


def build(task: Task, seed: int = 0, **params: Any) -> Any:
    return LIGHTGBM.factory(LightGBMParams(**params), task=task, seed=seed)


@pytest.mark.slow  # the whole plugin contract: fits on every task
def test_model_spec_passes_the_plugin_checks() -> None:
    check_model_spec(LIGHTGBM, trials=3)


def test_record() -> None:
    assert (LIGHTGBM.name, LIGHTGBM.cost, LIGHTGBM.needs_scaling) == ("lightgbm", 3.0, False)
    assert LIGHTGBM.tasks == frozenset(Task)
    for field_name, field in LightGBMParams.model_fields.items():
        assert field.description, f"lightgbm.{field_name} has no description"


@pytest.mark.parametrize("task", list(Task))
def test_discovery_lists_the_model(registry: PluginRegistry, task: Task) -> None:
    names = [
        component.name
        for component in registry.components(ComponentKind.MODEL)
        if component.plugin.name == "lightgbm" and component.spec.supports(task)
    ]
    assert names == ["lightgbm"]
    assert registry.get(ComponentKind.MODEL, "lightgbm").plugin.builtin
    assert not [p for p in registry.problems if p.plugin.name == "lightgbm"]


def test_factory_picks_the_estimator_and_passes_the_seed() -> None:
    classifier = build(Task.BINARY, seed=11, class_weight="balanced")
    assert is_classifier(classifier)
    assert (classifier.random_state, classifier.class_weight) == (11, "balanced")
    regressor = build(Task.REGRESSION, seed=11, class_weight="balanced")
    assert is_regressor(regressor)
    assert regressor.random_state == 11
    assert "class_weight" not in regressor.get_params()


def test_classifier_keeps_string_labels() -> None:
    check_classifier_labels(build(Task.BINARY), ["yes", "no"])
    check_classifier_labels(build(Task.MULTICLASS), ["emu", "cat", "dog"])


def test_early_stopping_stops_before_the_cap() -> None:
    x, y = labelled_data(["no", "yes"], rows=400)
    model = build(Task.BINARY, learning_rate=0.3, n_estimators=1000).fit(x, y)
    assert model.early_stopped_
    assert 0 < model.best_iteration_ < 1000
    assert model.model_.best_iteration_ == model.best_iteration_
    # Predictions use the best round.
    best = model.model_.predict_proba(x, num_iteration=model.best_iteration_)
    assert np.array_equal(model.predict_proba(x), best)
    assert np.mean(model.predict(x) == y) > 0.9


def test_regression_early_stops_too() -> None:
    x, _ = labelled_data(["a"], rows=300)
    y = 3.0 * x[:, 0] + x[:, 1]
    model = build(Task.REGRESSION, learning_rate=0.3, n_estimators=1000).fit(x, y)
    assert model.early_stopped_
    assert model.best_iteration_ < 1000
    assert np.corrcoef(model.predict(x), y)[0, 1] > 0.9


def test_tiny_data_trains_without_early_stopping() -> None:
    x, y = labelled_data(["a", "b"], rows=15)
    model = build(Task.BINARY, min_child_samples=2).fit(x, y)
    assert not model.early_stopped_
    assert model.best_iteration_ == 100
    x, y = labelled_data(["a", "b"], rows=40)
    y[0] = "c"  # a class with one row cannot be stratified
    model = build(Task.MULTICLASS).fit(x, y)
    assert not model.early_stopped_
    assert list(model.classes_) == ["a", "b", "c"]
    assert model.predict_proba(x).shape == (40, 3)


def test_uses_the_core_split_rule() -> None:
    """The split rule is automl's (tested with the scikit-learn models), not a copy."""
    from automl_lightgbm import estimators

    assert estimators.can_split_validation is can_split_validation


def test_clone_and_pickle() -> None:
    model = build(Task.MULTICLASS, seed=5, num_leaves=15)
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    assert not hasattr(copy, "model_")
    x, y = labelled_data(["a", "b", "c"], rows=120)
    copy.fit(x, y)
    restored = pickle.loads(pickle.dumps(copy))
    assert np.array_equal(restored.predict_proba(x), copy.predict_proba(x))
    assert list(restored.classes_) == ["a", "b", "c"]
    assert restored.best_iteration_ == copy.best_iteration_


@pytest.mark.parametrize("task", [Task.BINARY, Task.REGRESSION])
def test_same_seed_same_predictions(task: Task) -> None:
    x, y = labelled_data(["no", "yes"], rows=200)
    if task is Task.REGRESSION:
        y = x[:, 0] - x[:, 2]
    params = {"subsample": 0.6, "colsample_bytree": 0.6}
    first = build(task, seed=2, **params).fit(x, y)
    second = build(task, seed=2, **params).fit(x, y)
    method = "predict_proba" if task is Task.BINARY else "predict"
    assert np.array_equal(getattr(first, method)(x), getattr(second, method)(x))
    assert first.best_iteration_ == second.best_iteration_
