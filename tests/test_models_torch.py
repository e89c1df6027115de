"""The builtin PyTorch model ``mlp``: contract, learning, determinism, persistence."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import accuracy_score, r2_score

from automl import ModelSpec, PluginRegistry, Task
from automl.specs import ComponentKind
from automl.testing import check_model_spec

pytest.importorskip("torch")

FAST = {"max_epochs": 60, "patience": 5}


@pytest.fixture(scope="module")
def spec() -> ModelSpec:
    registry = PluginRegistry.discover(autoload=False)
    assert [p for p in registry.problems if p.plugin.name == "torch"] == []
    component = registry.get(ComponentKind.MODEL, "mlp")
    assert component.plugin.name == "torch"
    assert component.plugin.builtin
    assert isinstance(component.spec, ModelSpec)
    return component.spec


def build(spec: ModelSpec, task: Task, seed: int = 0, **params: Any) -> Any:
    return spec.factory(spec.params(**{**FAST, **params}), task=task, seed=seed)


def separable(rows: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 5))
    return x, (x[:, 0] + x[:, 1] > 0).astype(int)


def linear(rows: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 5))
    return x, 50.0 + 20.0 * (x[:, 0] - 2.0 * x[:, 2]) + rng.normal(scale=1.0, size=rows)


def three_classes(rows: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 4))
    names = np.array(["setosa", "versicolor", "virginica"], dtype=object)
    return x, names[np.digitize(x[:, 0] + 0.5 * x[:, 1], [-0.5, 0.5])]


def test_spec_record(spec: ModelSpec) -> None:
    assert spec.tasks == {Task.BINARY, Task.MULTICLASS, Task.REGRESSION}
    assert spec.needs_scaling
    assert spec.cpus == 1
    assert spec.gpus == 1
    # Its default configuration runs before the bagged trees' (cheaper defaults first).
    from automl_sklearn.models import MODELS

    cost = {model.name: model.cost for model in MODELS}
    assert cost["svm"] < spec.cost < cost["extra_trees"] < cost["random_forest"]
    assert spec.params().device == "auto"


@pytest.mark.slow  # the whole plugin contract: fits on every task
def test_spec_honours_the_model_contract(spec: ModelSpec) -> None:
    check_model_spec(spec, trials=2)


def test_learns_a_separable_binary_problem(spec: ModelSpec) -> None:
    x, y = separable()
    model = build(spec, Task.BINARY).fit(x[:200], y[:200])
    assert accuracy_score(y[200:], model.predict(x[200:])) > 0.9
    assert list(model.classes_) == [0, 1]


def test_learns_a_linear_regression_target(spec: ModelSpec) -> None:
    x, y = linear()
    model = build(spec, Task.REGRESSION, learning_rate=1e-2).fit(x[:200], y[:200])
    predictions = model.predict(x[200:])
    assert predictions.dtype == np.float64
    assert r2_score(y[200:], predictions) > 0.8
    # The target is standardised inside: the predictions are back on the original scale.
    assert abs(predictions.mean() - y[200:].mean()) < 5


def test_string_labels_and_three_classes(spec: ModelSpec) -> None:
    x, y = three_classes()
    model = build(spec, Task.MULTICLASS, learning_rate=1e-2).fit(x, y)
    assert list(model.classes_) == ["setosa", "versicolor", "virginica"]
    proba = model.predict_proba(x)
    assert proba.shape == (len(x), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    predictions = model.predict(x)
    assert set(predictions) <= {"setosa", "versicolor", "virginica"}
    np.testing.assert_array_equal(predictions, model.classes_[proba.argmax(axis=1)])
    assert accuracy_score(y, predictions) > 0.8


def test_same_seed_same_predictions_other_seed_differs(spec: ModelSpec) -> None:
    x, y = three_classes(rows=150)
    first = build(spec, Task.MULTICLASS, seed=3).fit(x, y).predict_proba(x)
    second = build(spec, Task.MULTICLASS, seed=3).fit(x, y).predict_proba(x)
    other = build(spec, Task.MULTICLASS, seed=4).fit(x, y).predict_proba(x)
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, other)


def test_early_stopping_stops_before_max_epochs(spec: ModelSpec) -> None:
    x, y = linear(rows=200)
    model = build(spec, Task.REGRESSION, learning_rate=3e-2, max_epochs=200, patience=5)
    model.fit(x, y)
    assert model.n_epochs_ < 200
    assert 1 <= model.best_epoch_ <= model.n_epochs_
    assert len(model.validation_loss_curve_) == model.n_epochs_
    best = model.validation_loss_curve_[model.best_epoch_ - 1]
    assert best == min(model.validation_loss_curve_)


@pytest.mark.parametrize("rows", [200, 12], ids=["early-stopping", "no-validation"])
def test_max_time_ends_training_after_the_epoch_that_reaches_it(spec: ModelSpec, rows: int) -> None:
    """A run's refit passes the seconds it has left: on pol, the network's refit on every row
    took 17.6 s where its folds said 11.1 (more rows, more epochs), 5.5 s past the budget."""
    x, y = linear(rows=rows)
    untimed = build(spec, Task.REGRESSION, max_epochs=20, patience=50).fit(x, y)
    assert (untimed.n_epochs_, untimed.timed_out_) == (20, False)
    model = build(spec, Task.REGRESSION, max_epochs=20, patience=50)
    model.set_params(max_time=0.0)
    model.fit(x, y)
    assert (model.n_epochs_, model.timed_out_) == (1, True)
    assert model.best_epoch_ == 1
    assert np.isfinite(model.predict(x)).all()
    # A limit that the training does not reach changes nothing.
    roomy = build(spec, Task.REGRESSION, max_epochs=20, patience=50).set_params(max_time=600)
    np.testing.assert_array_equal(roomy.fit(x, y).predict(x), untimed.predict(x))


@pytest.mark.parametrize(
    ("rows", "labels"),
    [(12, [0, 1] * 6), (40, ["a"] * 20 + ["b"] * 19 + ["c"])],
    ids=["few-rows", "singleton-class"],
)
def test_small_data_trains_on_all_rows(spec: ModelSpec, rows: int, labels: list[Any]) -> None:
    x = np.random.default_rng(0).normal(size=(rows, 3))
    y = np.array(labels)
    model = build(spec, Task.MULTICLASS, max_epochs=30).fit(x, y)
    assert model.n_epochs_ == 30
    assert model.best_epoch_ == 30
    assert model.validation_loss_curve_ == []
    assert model.predict_proba(x).shape == (rows, len(set(labels)))


def _plain(value: Any, where: str = "state") -> None:
    """Fail if ``value`` holds anything but plain Python and numpy values."""
    import torch

    assert not isinstance(value, torch.nn.Module | torch.Tensor), f"{where} is {type(value)}"
    if isinstance(value, dict):
        for key, item in value.items():
            _plain(key, f"{where} key")
            _plain(item, f"{where}[{key!r}]")
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            _plain(item, f"{where}[{index}]")
    else:
        plain = (type(None), bool, int, float, str, bytes, np.ndarray, np.generic)
        assert isinstance(value, plain), f"{where} is {type(value).__name__}"
        if isinstance(value, np.ndarray) and value.dtype == object:
            for item in value.ravel():
                _plain(item, f"{where} item")


@pytest.mark.parametrize("task", [Task.MULTICLASS, Task.REGRESSION])
def test_pickle_stores_weights_and_round_trips(spec: ModelSpec, task: Task) -> None:
    x, y = three_classes(rows=120) if task is Task.MULTICLASS else linear(rows=120)
    model = build(spec, task).fit(x, y)
    state = model.__getstate__()
    _plain(state)
    assert "module_" not in state
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(x), model.predict(x))
    if task is Task.MULTICLASS:
        np.testing.assert_array_equal(restored.predict_proba(x), model.predict_proba(x))
        np.testing.assert_array_equal(restored.classes_, model.classes_)
    assert restored.n_epochs_ == model.n_epochs_
    assert restored.best_epoch_ == model.best_epoch_


def test_clone_and_unfitted_pickle(spec: ModelSpec) -> None:
    model = build(spec, Task.BINARY, seed=7, width=32, n_layers=1)
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    assert copy.get_params()["random_state"] == 7
    assert pickle.loads(pickle.dumps(model)).get_params() == model.get_params()
    x, y = separable(rows=100)
    fitted = model.fit(x, y)
    fresh = clone(fitted)
    assert not hasattr(fresh, "module_")
    np.testing.assert_array_equal(fresh.fit(x, y).predict_proba(x), fitted.predict_proba(x))


def test_importing_the_plugin_imports_no_heavy_library(tmp_path: Path) -> None:
    code = (
        "import sys, json\n"
        "import automl_torch\n"
        "specs = automl_torch.automl_register_models()\n"
        "assert [s.name for s in specs] == ['mlp'], specs\n"
        "heavy = ['torch', 'numpy', 'sklearn']\n"
        "print(json.dumps([m for m in heavy if m in sys.modules]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert json.loads(result.stdout) == []
