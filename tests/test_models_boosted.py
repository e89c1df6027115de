"""The builtin boosted-tree models (LightGBM, XGBoost, CatBoost): one table, the same contract.

Each model is a builtin plugin whose estimators subclass ``automl.EarlyStoppingBoosterBase``;
every test here runs once per plugin. A plugin whose library is not installed skips its cases.
What only one library does is tested in its own module (``test_models_<library>.py``).
"""

from __future__ import annotations

import importlib
import importlib.util
import pickle
from dataclasses import dataclass, field
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
from automl.specs import ComponentKind, ModelSpec, Task
from automl.testing import check_model_spec
from tests.run_helpers import CHURN
from tests.test_models_sklearn import check_classifier_labels, labelled_data


@dataclass(frozen=True)
class Booster:
    """One boosted-tree plugin and the parameters its tests use."""

    name: str
    """The model name, the plugin name and the library's import name alike."""
    spec: str
    """The name of the ``ModelSpec`` in ``automl_<name>.model``."""
    classes: tuple[str, str]
    """The classifier and regressor class names in ``automl_<name>.estimators``."""
    cost: float
    rounds: str
    """The parameter that caps the boosting rounds."""
    fast: dict[str, Any] = field(default_factory=dict)
    """Parameters that keep a fit quick on the toy data."""
    tiny: dict[str, Any] = field(default_factory=dict)
    """Parameters that let a fit on 15 rows grow trees."""
    small: dict[str, Any] = field(default_factory=dict)
    """A parameter away from its default (clone and pickle)."""
    sampled: dict[str, Any] = field(default_factory=dict)
    """Row and column subsampling, where the library has it: more that the seed decides."""
    search: tuple[str, str] = ("binary", "churned")
    """The task and target column of the search through the public API."""

    def module(self, name: str) -> Any:
        """``automl_<name>.<name>``, importable without the library."""
        return importlib.import_module(f"automl_{self.name}.{name}")

    @property
    def model(self) -> ModelSpec:
        spec: ModelSpec = getattr(self.module("model"), self.spec)
        return spec

    def build(self, task: Task, seed: int = 0, **params: Any) -> Any:
        return self.model.factory(self.model.params(**params), task=task, seed=seed)

    def estimators(self) -> list[Any]:
        estimators = self.module("estimators")
        return [getattr(estimators, name) for name in self.classes]


BOOSTERS = [
    Booster(
        "lightgbm",
        "LIGHTGBM",
        ("LightGBMClassifier", "LightGBMRegressor"),
        cost=3.5,
        rounds="n_estimators",
        fast={"learning_rate": 0.3, "n_estimators": 300},
        tiny={"min_child_samples": 2},
        small={"num_leaves": 15},
        sampled={"subsample": 0.6, "colsample_bytree": 0.6},
    ),
    Booster(
        "xgboost",
        "XGBOOST",
        ("XGBoostClassifier", "XGBoostRegressor"),
        cost=4.0,
        rounds="n_estimators",
        fast={"learning_rate": 0.3, "n_estimators": 300},
        tiny={"min_child_weight": 0.1},
        small={"max_depth": 4},
        sampled={"subsample": 0.6, "colsample_bytree": 0.6},
    ),
    Booster(
        "catboost",
        "CATBOOST",
        ("CatBoostClassifier", "CatBoostRegressor"),
        cost=5.0,
        rounds="iterations",
        # Few, large steps: enough for the toy data, and quick (the multiclass loss is slow).
        fast={"learning_rate": 0.3, "iterations": 200},
        small={"depth": 4},
        search=("multiclass", "contract"),
    ),
]
BY_NAME = {booster.name: booster for booster in BOOSTERS}


def _require(name: str) -> None:
    pytest.importorskip(name, reason=f"{name} is not installed (pip install 'automl[{name}]')")


@pytest.fixture(params=BOOSTERS, ids=lambda booster: booster.name)
def booster(request: pytest.FixtureRequest) -> Booster:
    """Each boosted-tree plugin in turn; skipped when its library is not installed."""
    chosen: Booster = request.param
    _require(chosen.name)
    return chosen


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test runs in an empty folder, so that a file a library writes would be seen."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.slow  # the whole plugin contract: fits on every task
def test_model_spec_passes_the_plugin_checks(booster: Booster, tmp_path: Path) -> None:
    check_model_spec(booster.model, trials=3)
    assert list(tmp_path.iterdir()) == []


def test_record(booster: Booster) -> None:
    spec = booster.model
    assert (spec.name, spec.cost, spec.needs_scaling) == (booster.name, booster.cost, False)
    assert spec.refit_cost == 2.0  # early stopping, then a fit on every row
    assert spec.tasks == frozenset(Task)
    assert (spec.requires, spec.install) == ((booster.name,), f"automl[{booster.name}]")
    for field_name, params_field in spec.params.model_fields.items():
        assert params_field.description, f"{booster.name}.{field_name} has no description"


@pytest.mark.parametrize("task", list(Task))
def test_discovery_lists_the_model(registry: PluginRegistry, booster: Booster, task: Task) -> None:
    names = [
        component.name
        for component in registry.components(ComponentKind.MODEL)
        if component.plugin.name == booster.name and component.spec.supports(task)
    ]
    assert names == [booster.name]
    assert registry.get(ComponentKind.MODEL, booster.name).plugin.builtin
    assert not [p for p in registry.problems if p.plugin.name == booster.name]


@pytest.mark.parametrize("name", list(BY_NAME))
def test_without_the_library_the_model_is_unavailable_with_the_install_line(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """Runs whether or not the library is installed: it hides the library either way."""
    find_spec = importlib.util.find_spec

    def without(module: str, package: str | None = None) -> Any:
        return None if module == name else find_spec(module, package)

    monkeypatch.setattr(importlib.util, "find_spec", without)
    registry = PluginRegistry.discover(autoload=False)
    assert name not in registry.names(ComponentKind.MODEL)
    (component,) = registry.unavailable(ComponentKind.MODEL)
    assert (component.name, component.missing) == (name, (name,))
    with pytest.raises(PluginError, match=rf'needs {name}, .*pip install "automl\[{name}\]"'):
        registry.get(ComponentKind.MODEL, name)


def test_factory_picks_the_estimator_and_passes_the_seed(booster: Booster) -> None:
    classifier = booster.build(Task.BINARY, seed=11, class_weight="balanced")
    assert is_classifier(classifier)
    assert (classifier.random_state, classifier.class_weight) == (11, "balanced")
    regressor = booster.build(Task.REGRESSION, seed=11, class_weight="balanced")
    assert is_regressor(regressor)
    assert regressor.random_state == 11
    assert "class_weight" not in regressor.get_params()


def test_estimators_share_automl_s_base_and_split_rule(booster: Booster) -> None:
    """The split rule and the fitting are automl's (tested with fakes), not a copy."""
    from automl import boosting

    assert boosting.can_split_validation is can_split_validation
    classifier, regressor = booster.estimators()
    assert issubclass(classifier, automl.EarlyStoppingClassifierMixin)
    assert issubclass(regressor, automl.EarlyStoppingRegressorMixin)
    assert classifier.rounds_parameter == regressor.rounds_parameter == booster.rounds


def test_classifier_keeps_string_labels(booster: Booster) -> None:
    check_classifier_labels(booster.build(Task.BINARY, **booster.fast), ["yes", "no"])
    check_classifier_labels(booster.build(Task.MULTICLASS, **booster.fast), ["emu", "cat", "dog"])


@pytest.mark.parametrize(
    ("task", "labels"),
    [(Task.BINARY, [3, -1]), (Task.MULTICLASS, [10, 20, 5]), (Task.BINARY, [True, False])],
    ids=["ints", "three-ints", "bools"],
)
def test_classifier_keeps_int_and_bool_labels(
    booster: Booster, task: Task, labels: list[Any]
) -> None:
    x, _ = labelled_data(["any"], rows=120)
    bands = np.quantile(x[:, 0], np.linspace(0, 1, len(labels) + 1)[1:-1])
    y = np.asarray(labels)[np.digitize(x[:, 0], bands)]  # an int or bool array, not object
    model = booster.build(task, **booster.fast).fit(x, y)
    assert model.classes_.dtype == y.dtype
    assert list(model.classes_) == sorted(labels)
    assert model.predict(x).dtype == y.dtype
    assert np.mean(model.predict(x) == y) > 0.9
    proba = model.predict_proba(x)
    # Column j is the probability of classes_[j]: highest on the rows of that class.
    for j in range(len(model.classes_)):
        assert int(np.argmax([proba[y == other, j].mean() for other in model.classes_])) == j


def test_one_class_is_refused_with_a_message(booster: Booster) -> None:
    classifier, _ = booster.estimators()
    with pytest.raises(ValueError, match="at least two classes"):
        classifier().fit(np.eye(4), np.array(["a"] * 4))


def test_early_stopping_stops_before_the_cap(booster: Booster) -> None:
    x, y = labelled_data(["no", "yes"], rows=400)
    cap = {booster.rounds: 1000}
    model = booster.build(Task.BINARY, learning_rate=0.3, **cap).fit(x, y)
    assert model.early_stopped_
    assert 0 < model.best_iteration_ < 1000
    assert np.mean(model.predict(x) == y) > 0.9


@pytest.mark.parametrize("task", [Task.BINARY, Task.REGRESSION])
def test_refit_full_boosts_again_on_every_row(booster: Booster, task: Task) -> None:
    """The library really refits: the final model has the scaled rounds, and its predictions
    differ from the early-stopped model's."""
    x, y = labelled_data(["no", "yes"], rows=400)
    target: Any = y if task is Task.BINARY else 3.0 * x[:, 0] + x[:, 1]
    cap = {booster.rounds: 1000}
    kept = booster.build(task, learning_rate=0.3, **cap).fit(x, target)
    full = booster.build(task, learning_rate=0.3, **cap)
    assert full.get_params()["refit_full"] is False  # turned on for the final fit only
    full.set_params(refit_full=True).fit(x, target)
    assert full.stopped_iteration_ == kept.best_iteration_ == kept.stopped_iteration_
    expected = max(1, round(kept.best_iteration_ / (1 - full.validation_fraction)))
    assert full.best_iteration_ == expected
    method = "predict" if task is Task.REGRESSION else "predict_proba"
    assert not np.allclose(getattr(full, method)(x), getattr(kept, method)(x))


def test_regression_early_stops_too(booster: Booster) -> None:
    x, _ = labelled_data(["a"], rows=300)
    y = 3.0 * x[:, 0] + x[:, 1]
    cap = {booster.rounds: 1000}
    model = booster.build(Task.REGRESSION, learning_rate=0.3, **cap).fit(x, y)
    assert model.early_stopped_
    assert model.best_iteration_ < 1000
    assert np.corrcoef(model.predict(x), y)[0, 1] > 0.9


def test_tiny_data_trains_without_early_stopping(booster: Booster) -> None:
    x, y = labelled_data(["a", "b"], rows=15)
    model = booster.build(Task.BINARY, **booster.tiny).fit(x, y)
    assert not model.early_stopped_
    assert model.best_iteration_ == 100
    x, y = labelled_data(["a", "b"], rows=40)
    y[0] = "c"  # a class with one row cannot be stratified
    model = booster.build(Task.MULTICLASS, **booster.fast).fit(x, y)
    assert not model.early_stopped_
    assert list(model.classes_) == ["a", "b", "c"]
    assert model.predict_proba(x).shape == (40, 3)


def test_balanced_class_weight_shifts_predictions_to_the_rare_class(booster: Booster) -> None:
    x, y = labelled_data(["a", "b"], rows=300)
    y = np.where(x[:, 0] > 1.0, "b", "a")  # about 16 % "b"
    x = x + np.random.default_rng(1).normal(scale=1.0, size=x.shape)  # overlapping classes
    plain = booster.build(Task.BINARY).fit(x, y)
    balanced = booster.build(Task.BINARY, class_weight="balanced").fit(x, y)
    shift = balanced.predict_proba(x)[:, 1].mean() - plain.predict_proba(x)[:, 1].mean()
    assert shift > 0.1


def test_pandas_input_with_missing_values(booster: Booster) -> None:
    x, y = labelled_data(["no", "yes"], rows=200)
    frame = pd.DataFrame(x, columns=["a", "b", "c"])
    frame.loc[::7, "b"] = np.nan
    model = booster.build(Task.BINARY, **booster.fast).fit(frame, y)
    assert list(model.feature_names_in_) == ["a", "b", "c"]
    assert np.mean(model.predict(frame) == y) > 0.9
    with pytest.raises(ValueError, match="feature names"):
        model.predict(frame[["c", "b", "a"]])


def test_clone_and_pickle(booster: Booster, tmp_path: Path) -> None:
    model = booster.build(Task.MULTICLASS, seed=5, **booster.small, **booster.fast)
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    assert not hasattr(copy, "model_")
    x, y = labelled_data(["a", "b", "c"], rows=120)
    copy.fit(x, y)
    restored = pickle.loads(pickle.dumps(copy))
    assert np.array_equal(restored.predict_proba(x), copy.predict_proba(x))
    assert list(restored.classes_) == ["a", "b", "c"]
    assert restored.best_iteration_ == copy.best_iteration_
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("task", [Task.BINARY, Task.REGRESSION])
def test_same_seed_same_predictions(booster: Booster, task: Task) -> None:
    x, y = labelled_data(["no", "yes"], rows=200)
    if task is Task.REGRESSION:
        y = x[:, 0] - x[:, 2]
    params = {**booster.sampled, **booster.fast}
    first = booster.build(task, seed=2, **params).fit(x, y)
    second = booster.build(task, seed=2, **params).fit(x, y)
    other = booster.build(task, seed=3, **params).fit(x, y)
    method = "predict_proba" if task is Task.BINARY else "predict"
    assert np.array_equal(getattr(first, method)(x), getattr(second, method)(x))
    assert first.best_iteration_ == second.best_iteration_
    assert not np.array_equal(getattr(first, method)(x), getattr(other, method)(x))


def _contract_estimators() -> list[Any]:
    """Each plugin's classifier and regressor, with few rounds (built without the library)."""
    return [
        estimator(**{booster.rounds: 50}, random_state=0)
        for booster in BOOSTERS
        for estimator in booster.estimators()
    ]


# About 100 checks per plugin, each boosting a few trees on toy data: several seconds in all.
@pytest.mark.slow
@parametrize_with_checks(_contract_estimators())
def test_estimator_honours_the_sklearn_contract(estimator: Any, check: Any) -> None:
    _require(type(estimator).__module__.split(".")[0].removeprefix("automl_"))
    check(estimator)


@pytest.mark.slow  # worker processes
def test_a_search_through_the_public_api(booster: Booster, tmp_path: Path) -> None:
    task, target = booster.search
    frame = pd.read_csv(CHURN).head(400)
    result = automl.run(
        {
            "task": task,
            "data": {"target": target},
            "models": [booster.name],
            "search": {"n_trials": 2, "cv": 3, "seed": 0},
        },
        data=frame,
        run_dir="out",
        workers=1,
    )
    run = automl.open_run(result.run_dir)
    assert run.summary.status == "finished"
    assert [trial.state.value for trial in run.trials] == ["complete", "complete"]
    assert {trial.model for trial in run.trials} == {booster.name}
    assert run.summary.holdout
    requirements = (tmp_path / "out" / "model" / "requirements.txt").read_text().splitlines()
    # The package names the library it unpickles, by the distribution that installed it here
    # (xgboost comes as xgboost-cpu on Linux).
    from importlib.metadata import packages_distributions

    providers = packages_distributions()[booster.name]
    assert any(f"{name}=={version(name)}" in requirements for name in providers), requirements
    model = automl.load_model(tmp_path / "out" / "model")
    predictions = model.predict(frame.drop(columns=[target]).head(20))
    assert set(predictions) <= set(frame[target])
    assert not (tmp_path / "catboost_info").exists()
