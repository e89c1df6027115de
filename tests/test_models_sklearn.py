"""The builtin scikit-learn models: records, search spaces, estimators and discovery."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from sklearn.base import clone
from threadpoolctl import threadpool_limits

from automl import PluginRegistry, can_split_validation
from automl.specs import ComponentKind, ModelSpec, Task
from automl.testing import check_model_spec
from automl_sklearn.models import MODELS

SPECS = {spec.name: spec for spec in MODELS}

CLASSIFIERS = [
    "decision_tree",
    "extra_trees",
    "hist_gradient_boosting",
    "knn",
    "logistic_regression",
    "random_forest",
    "svm",
]
REGRESSORS = [
    "decision_tree",
    "elastic_net",
    "extra_trees",
    "hist_gradient_boosting",
    "knn",
    "random_forest",
    "ridge",
    "svm",
]
EXPECTED = {Task.BINARY: CLASSIFIERS, Task.MULTICLASS: CLASSIFIERS, Task.REGRESSION: REGRESSORS}


@pytest.fixture(autouse=True, scope="module")
def _one_thread() -> Iterator[None]:
    """One OpenMP/BLAS thread, as in the search's worker processes (steadier timings too)."""
    with threadpool_limits(limits=1):
        yield


def labelled_data(labels: list[str], rows: int = 90, seed: int = 0) -> tuple[Any, Any]:
    """Features whose first column decides the label: ``labels`` in ascending bands of it."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 3))
    bands = np.quantile(x[:, 0], np.linspace(0, 1, len(labels) + 1)[1:-1])
    y = np.asarray(labels, dtype=object)[np.digitize(x[:, 0], bands)]
    return x, y


def check_classifier_labels(estimator: Any, labels: list[str]) -> None:
    """``classes_`` sorted, ``predict`` in the original labels, probabilities in ``classes_`` order."""
    x, y = labelled_data(labels)
    estimator.fit(x, y)
    assert list(estimator.classes_) == sorted(labels)
    predictions = estimator.predict(x)
    assert set(predictions) <= set(labels)
    assert np.mean(predictions == y) > 0.7
    proba = estimator.predict_proba(x)
    assert proba.shape == (len(y), len(labels))
    assert np.allclose(proba.sum(axis=1), 1.0)
    # Column j holds the probability of classes_[j]: it is highest on the rows of that class.
    for j, label in enumerate(estimator.classes_):
        mean_by_class = [proba[y == other, j].mean() for other in estimator.classes_]
        assert int(np.argmax(mean_by_class)) == j, (label, mean_by_class)


def plain_params(estimator: Any) -> dict[str, Any]:
    """``get_params()`` without the nested estimator objects (they compare by identity)."""
    return {k: v for k, v in estimator.get_params().items() if not hasattr(v, "get_params")}


def build(name: str, task: Task, seed: int = 0, **params: Any) -> Any:
    spec = SPECS[name]
    return spec.factory(spec.params(**params), task=task, seed=seed)


@pytest.mark.slow  # the whole plugin contract: fits on every task (forests take seconds)
@pytest.mark.parametrize("name", list(SPECS))
def test_model_spec_passes_the_plugin_checks(name: str) -> None:
    check_model_spec(SPECS[name], trials=3)


@pytest.mark.parametrize("name", list(SPECS))
def test_record_fields(name: str) -> None:
    spec = SPECS[name]
    assert isinstance(spec, ModelSpec)
    assert spec.search_space is not None
    for field_name, field in spec.params.model_fields.items():
        assert field.description, f"{name}.{field_name} has no description"
    scaled = {"logistic_regression", "ridge", "elastic_net", "knn", "svm"}
    assert spec.needs_scaling == (name in scaled)


def test_costs() -> None:
    assert {name: spec.cost for name, spec in SPECS.items()} == {
        "logistic_regression": 1.0,
        "ridge": 1.0,
        "elastic_net": 1.0,
        "decision_tree": 1.0,
        "random_forest": 8.0,
        "extra_trees": 6.0,
        "hist_gradient_boosting": 3.0,
        "knn": 1.5,
        "svm": 5.0,
    }
    refits = {name: spec.refit_cost for name, spec in SPECS.items() if spec.refit_cost != 1.0}
    assert refits == {"hist_gradient_boosting": 2.0}  # early stopping, then every row


@pytest.mark.parametrize("task", list(Task))
def test_discovery_lists_the_models_per_task(registry: PluginRegistry, task: Task) -> None:
    names = [
        component.name
        for component in registry.components(ComponentKind.MODEL)
        if component.plugin.name == "sklearn" and component.spec.supports(task)
    ]
    assert names == EXPECTED[task]
    assert not [p for p in registry.problems if p.plugin.name == "sklearn"]


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_classifiers_keep_string_labels(name: str) -> None:
    check_classifier_labels(build(name, Task.BINARY), ["yes", "no"])
    check_classifier_labels(build(name, Task.MULTICLASS), ["emu", "cat", "dog"])


@pytest.mark.parametrize(
    ("name", "task"),
    [(name, Task.MULTICLASS) for name in CLASSIFIERS]
    + [(name, Task.REGRESSION) for name in REGRESSORS],
)
def test_estimators_clone_and_pickle(name: str, task: Task) -> None:
    estimator = build(name, task, seed=3)
    copy = clone(estimator)
    assert plain_params(copy) == plain_params(estimator)
    x, y = labelled_data(["a", "b", "c"], rows=60)
    if task is Task.REGRESSION:
        y = x[:, 0] * 10.0 + 5.0
    fitted = copy.fit(x, y)
    restored = pickle.loads(pickle.dumps(fitted))
    assert np.array_equal(restored.predict(x), fitted.predict(x))


def test_factories_use_the_seed_and_single_jobs() -> None:
    forest = build("random_forest", Task.BINARY, seed=7)
    assert (forest.random_state, forest.n_jobs) == (7, 1)
    assert build("hist_gradient_boosting", Task.REGRESSION, seed=7).random_state == 7
    assert build("svm", Task.BINARY, seed=7).random_state == 7
    # Classification-only parameters are dropped for regression.
    assert "class_weight" not in build("extra_trees", Task.REGRESSION).get_params()


@pytest.mark.parametrize("name", ["random_forest", "extra_trees"])
def test_forests_default_to_the_tasks_features_per_split(name: str) -> None:
    """'sqrt' of the features for classification, all of them for regression (scikit-learn's
    defaults; 'sqrt' loses much accuracy on regression), and the default is a searched choice."""
    assert build(name, Task.BINARY).max_features == "sqrt"
    assert build(name, Task.MULTICLASS).max_features == "sqrt"
    assert build(name, Task.REGRESSION).max_features == 1.0
    assert build(name, Task.REGRESSION, max_features=0.5).max_features == 0.5
    assert build(name, Task.REGRESSION, max_features="sqrt").max_features == "sqrt"
    assert SPECS[name].params().max_features is None

    class Recorder:
        def suggest_int(self, *args: Any, **kwargs: Any) -> None:
            pass

        def suggest_categorical(self, param: str, choices: list[Any]) -> None:
            if param == "max_features":
                self.choices = choices

    recorder = Recorder()
    SPECS[name].search_space(recorder, Task.REGRESSION)  # type: ignore[misc, arg-type]
    assert None in recorder.choices


def test_tiny_training_sets_still_fit() -> None:
    """Early stopping, calibration folds and k are adapted to very few rows."""
    x, y = labelled_data(["a", "b", "c"], rows=12)
    y[0] = "z"  # a class with a single row
    for name in ("hist_gradient_boosting", "knn", "svm"):
        estimator = (
            build(name, Task.MULTICLASS, n_neighbors=50)
            if name == "knn"
            else build(name, Task.MULTICLASS)
        )
        estimator.fit(x, y)
        assert estimator.predict_proba(x).shape == (12, 4)
    hgb = build("hist_gradient_boosting", Task.REGRESSION).fit(x, x[:, 0])
    assert hgb.n_iter_ == 100  # a fixed number of iterations instead of early stopping
    assert (hgb.early_stopping, hgb.max_iter) == (True, 1000)  # the parameters are left as set


@pytest.mark.parametrize("task", [Task.BINARY, Task.REGRESSION])
def test_hist_gradient_boosting_refits_in_full_on_every_row(task: Task) -> None:
    """With ``refit_full`` (automl's final fit) the early-stopped model is fitted again on
    every row for its iterations scaled to them; the parameters are left as set."""
    x, y = labelled_data(["a", "b"], rows=400)
    target: Any = y if task is Task.BINARY else 3.0 * x[:, 0] + x[:, 1]
    kept = build("hist_gradient_boosting", task).fit(x, target)
    full = build("hist_gradient_boosting", task)
    assert full.get_params()["refit_full"] is False
    full = clone(full.set_params(refit_full=True))
    assert full.refit_full is True
    full.fit(x, target)
    assert kept.stopped_iteration_ == kept.n_iter_ == full.stopped_iteration_ < 1000
    assert full.n_iter_ == max(1, round(kept.n_iter_ / 0.9))
    assert (full.early_stopping, full.max_iter) == (True, 1000)
    method = "predict" if task is Task.REGRESSION else "predict_proba"
    assert not np.allclose(getattr(full, method)(x), getattr(kept, method)(x))
    tiny_x, tiny_y = labelled_data(["a", "b"], rows=12)
    tiny = build("hist_gradient_boosting", task).set_params(refit_full=True)
    tiny_target = tiny_y if task is Task.BINARY else tiny_x[:, 0]
    assert tiny.fit(tiny_x, tiny_target).n_iter_ == 100  # no validation part: nothing to refit


@pytest.mark.parametrize(
    ("y", "fraction", "classification", "expected"),
    [
        (list(range(19)), 0.1, False, False),  # fewer than 20 rows
        (list(range(20)), 0.1, False, True),
        (["a"] * 10 + ["b"] * 10, 0.1, True, True),
        (["a"] * 19 + ["b"], 0.1, True, False),  # a class with one row cannot be stratified
        (["a"] * 10 + ["b"] * 10, 0.05, True, False),  # one validation row for two classes
        ([c for c in "abcdefghij" for _ in range(2)], 0.5, True, True),
        ([c for c in "abcdefghij" for _ in range(2)], 0.4, True, False),  # 8 rows, 10 classes
        ([c for c in "abcdefghij" for _ in range(2)], 0.6, True, False),  # 8 training rows
    ],
)
def test_can_split_validation(
    y: list[Any], fraction: float, classification: bool, expected: bool
) -> None:
    """The one rule (shared with the LightGBM plugin) for when early stopping has a split."""
    assert can_split_validation(np.array(y), fraction, classification=classification) is expected
    assert can_split_validation(y, fraction, classification=classification) is expected


def test_hist_gradient_boosting_uses_the_core_split_rule() -> None:
    from automl_sklearn import estimators

    assert estimators.can_split_validation is can_split_validation


@pytest.mark.parametrize(
    ("name", "task", "params"),
    [
        ("logistic_regression", Task.BINARY, {"max_iter": 1, "C": 1e3}),
        ("elastic_net", Task.REGRESSION, {"max_iter": 1, "alpha": 1e-4}),
        ("svm", Task.BINARY, {"kernel": "linear", "C": 1e3}),
        ("svm", Task.REGRESSION, {"kernel": "linear", "C": 1e3}),
    ],
)
def test_iteration_caps_do_not_warn(name: str, task: Task, params: dict[str, Any]) -> None:
    """Warnings are errors here: an unconverged solver must still give a model, silently."""
    x, y = labelled_data(["a", "b"], rows=60)
    if task is Task.REGRESSION:
        y = x[:, 0] * 3.0 + x[:, 1] ** 2
    assert build(name, task, **params).fit(x, y).predict(x).shape == (60,)


def test_svm_predictions_agree_with_probabilities() -> None:
    x, y = labelled_data(["a", "b", "c"], rows=60)
    svm = build("svm", Task.MULTICLASS).fit(x, y)
    proba = svm.predict_proba(x)
    assert np.array_equal(svm.predict(x), svm.classes_[np.argmax(proba, axis=1)])


@pytest.mark.parametrize(
    ("name", "params"),
    [("svm", {}), ("svm", {"kernel": "linear"}), ("elastic_net", {})],
)
def test_regressors_do_not_depend_on_the_target_unit(name: str, params: dict[str, Any]) -> None:
    x, _ = labelled_data(["a", "b"], rows=60)
    y = x[:, 0] + 0.5 * x[:, 1]
    small = build(name, Task.REGRESSION, **params).fit(x, y).predict(x)
    large = build(name, Task.REGRESSION, **params).fit(x, y * 1000.0 + 7.0).predict(x)
    assert np.allclose(large, small * 1000.0 + 7.0, rtol=1e-3, atol=1e-2)


def test_importing_the_plugins_stays_light() -> None:
    code = (
        "import json, sys\n"
        "import automl_sklearn, automl_lightgbm\n"
        "automl_sklearn.automl_register_models()\n"
        "automl_lightgbm.automl_register_models()\n"
        "heavy = ['sklearn', 'lightgbm', 'numpy', 'scipy', 'pandas']\n"
        "print(json.dumps([m for m in heavy if m in sys.modules]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
