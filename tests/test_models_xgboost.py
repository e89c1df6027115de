"""The builtin XGBoost model: record, search space, early stopping and the estimator contract."""

from __future__ import annotations

import importlib.util
import pickle
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.utils.estimator_checks import parametrize_with_checks

import automl
from automl import PluginError, PluginRegistry, can_split_validation
from automl.specs import ComponentKind, Task
from automl.testing import check_model_spec
from automl_xgboost.estimators import XGBoostClassifier, XGBoostRegressor
from automl_xgboost.model import XGBOOST, XGBoostParams
from tests.run_helpers import CHURN
from tests.test_models_sklearn import check_classifier_labels, labelled_data


def build(task: Task, seed: int = 0, **params: Any) -> Any:
    return XGBOOST.factory(XGBoostParams(**params), task=task, seed=seed)


@pytest.mark.slow  # the whole plugin contract: fits on every task
def test_model_spec_passes_the_plugin_checks() -> None:
    check_model_spec(XGBOOST, trials=3)


def test_record() -> None:
    assert (XGBOOST.name, XGBOOST.cost, XGBOOST.needs_scaling) == ("xgboost", 3.0, False)
    assert XGBOOST.tasks == frozenset(Task)
    assert (XGBOOST.requires, XGBOOST.install) == (("xgboost",), "automl[xgboost]")
    for field_name, field in XGBoostParams.model_fields.items():
        assert field.description, f"xgboost.{field_name} has no description"


@pytest.mark.parametrize("task", list(Task))
def test_discovery_lists_the_model(registry: PluginRegistry, task: Task) -> None:
    names = [
        component.name
        for component in registry.components(ComponentKind.MODEL)
        if component.plugin.name == "xgboost" and component.spec.supports(task)
    ]
    assert names == ["xgboost"]
    assert registry.get(ComponentKind.MODEL, "xgboost").plugin.builtin
    assert not [p for p in registry.problems if p.plugin.name == "xgboost"]


def test_without_xgboost_the_model_is_unavailable_with_the_install_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    find_spec = importlib.util.find_spec

    def without(module: str, package: str | None = None) -> Any:
        return None if module == "xgboost" else find_spec(module, package)

    monkeypatch.setattr(importlib.util, "find_spec", without)
    registry = PluginRegistry.discover(autoload=False)
    assert "xgboost" not in registry.names(ComponentKind.MODEL)
    (component,) = registry.unavailable(ComponentKind.MODEL)
    assert (component.name, component.missing) == ("xgboost", ("xgboost",))
    with pytest.raises(PluginError, match=r'needs xgboost, .*pip install "automl\[xgboost\]"'):
        registry.get(ComponentKind.MODEL, "xgboost")


def test_factory_picks_the_estimator_and_passes_the_seed() -> None:
    classifier = build(Task.BINARY, seed=11, class_weight="balanced")
    assert is_classifier(classifier)
    assert (classifier.random_state, classifier.class_weight) == (11, "balanced")
    regressor = build(Task.REGRESSION, seed=11, class_weight="balanced")
    assert is_regressor(regressor)
    assert regressor.random_state == 11
    assert "class_weight" not in regressor.get_params()


def test_xgboost_runs_hist_on_one_thread_with_the_seed() -> None:
    x, y = labelled_data(["a", "b"], rows=60)
    booster = build(Task.BINARY, seed=7, max_depth=3).fit(x, y).model_
    params = booster.get_params()
    assert (params["tree_method"], params["n_jobs"], params["random_state"]) == ("hist", 1, 7)
    assert (params["max_depth"], params["verbosity"]) == (3, 0)


def test_classifier_keeps_string_labels() -> None:
    check_classifier_labels(build(Task.BINARY), ["yes", "no"])
    check_classifier_labels(build(Task.MULTICLASS), ["emu", "cat", "dog"])


@pytest.mark.parametrize(
    ("task", "labels"),
    [(Task.BINARY, [3, -1]), (Task.MULTICLASS, [10, 20, 5]), (Task.BINARY, [True, False])],
    ids=["ints", "three-ints", "bools"],
)
def test_classifier_keeps_int_and_bool_labels(task: Task, labels: list[Any]) -> None:
    x, _ = labelled_data(["any"], rows=120)
    bands = np.quantile(x[:, 0], np.linspace(0, 1, len(labels) + 1)[1:-1])
    y = np.asarray(labels)[np.digitize(x[:, 0], bands)]  # an int or bool array, not object
    model = build(task).fit(x, y)
    assert model.classes_.dtype == y.dtype
    assert list(model.classes_) == sorted(labels)
    assert model.predict(x).dtype == y.dtype
    assert np.mean(model.predict(x) == y) > 0.9
    proba = model.predict_proba(x)
    # Column j is the probability of classes_[j]: highest on the rows of that class.
    for j in range(len(model.classes_)):
        assert int(np.argmax([proba[y == other, j].mean() for other in model.classes_])) == j


def test_early_stopping_stops_before_the_cap() -> None:
    x, y = labelled_data(["no", "yes"], rows=400)
    model = build(Task.BINARY, learning_rate=0.3, n_estimators=1000).fit(x, y)
    assert model.early_stopped_
    assert 0 < model.best_iteration_ < 1000
    assert model.model_.best_iteration + 1 == model.best_iteration_
    # Predictions use the best round, not every tree boosted before stopping.
    best = model.model_.predict_proba(x, iteration_range=(0, model.best_iteration_))
    assert np.array_equal(model.predict_proba(x), best)
    assert model.model_.get_booster().num_boosted_rounds() > model.best_iteration_
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
    model = build(Task.BINARY, min_child_weight=0.1).fit(x, y)
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
    from automl_xgboost import estimators

    assert estimators.can_split_validation is can_split_validation


def test_balanced_class_weight_shifts_predictions_to_the_rare_class() -> None:
    x, y = labelled_data(["a", "b"], rows=300)
    y = np.where(x[:, 0] > 1.0, "b", "a")  # about 16 % "b"
    x = x + np.random.default_rng(1).normal(scale=1.0, size=x.shape)  # overlapping classes
    plain = build(Task.BINARY).fit(x, y).predict_proba(x)[:, 1].mean()
    balanced = build(Task.BINARY, class_weight="balanced").fit(x, y).predict_proba(x)[:, 1].mean()
    assert balanced > plain + 0.1


def test_pandas_input_with_missing_values() -> None:
    x, y = labelled_data(["no", "yes"], rows=200)
    frame = pd.DataFrame(x, columns=["a", "b", "c"])
    frame.loc[::7, "b"] = np.nan
    model = build(Task.BINARY).fit(frame, y)
    assert list(model.feature_names_in_) == ["a", "b", "c"]
    assert np.mean(model.predict(frame) == y) > 0.9
    with pytest.raises(ValueError, match="feature names"):
        model.predict(frame[["c", "b", "a"]])


def test_clone_and_pickle() -> None:
    model = build(Task.MULTICLASS, seed=5, max_depth=4)
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
    params = {"subsample": 0.6, "colsample_bytree": 0.6, "learning_rate": 0.3, "n_estimators": 300}
    first = build(task, seed=2, **params).fit(x, y)
    second = build(task, seed=2, **params).fit(x, y)
    other = build(task, seed=3, **params).fit(x, y)
    method = "predict_proba" if task is Task.BINARY else "predict"
    assert np.array_equal(getattr(first, method)(x), getattr(second, method)(x))
    assert first.best_iteration_ == second.best_iteration_
    assert not np.array_equal(getattr(first, method)(x), getattr(other, method)(x))


# About 100 checks, each boosting a few trees on toy data: several seconds in all.
@pytest.mark.slow
@parametrize_with_checks(
    [
        XGBoostClassifier(n_estimators=50, random_state=0),
        XGBoostRegressor(n_estimators=50, random_state=0),
    ]
)
def test_estimator_honours_the_sklearn_contract(estimator: Any, check: Any) -> None:
    check(estimator)


@pytest.mark.slow  # worker processes
def test_a_search_through_the_public_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    frame = pd.read_csv(CHURN).head(400)
    result = automl.run(
        {
            "task": "binary",
            "data": {"target": "churned"},
            "models": ["xgboost"],
            "search": {"n_trials": 2, "cv": 3, "seed": 0},
        },
        data=frame,
        run_dir="out",
        workers=1,
    )
    run = automl.open_run(result.run_dir)
    assert run.summary.status == "finished"
    assert [trial.state.value for trial in run.trials] == ["complete", "complete"]
    assert {trial.model for trial in run.trials} == {"xgboost"}
    assert run.summary.holdout
    requirements = (tmp_path / "out" / "model" / "requirements.txt").read_text().splitlines()
    assert f"xgboost=={version('xgboost')}" in requirements  # the package names what it unpickles
    model = automl.load_model(tmp_path / "out" / "model")
    predictions = model.predict(frame.drop(columns=["churned"]).head(20))
    assert set(predictions) <= set(frame["churned"])
