"""The plugin's own tests: its records load in a registry and its components work."""

from __future__ import annotations

import automl_example
import numpy as np

from automl import PluginRegistry


def test_components_register() -> None:
    registry = PluginRegistry()
    assert registry.add_plugin(automl_example, name="example")
    assert registry.problems == []
    assert registry.names("model") == ["nearest_centroid"]
    assert registry.names("metric") == ["max_error"]


def test_model_and_metric_work() -> None:
    registry = PluginRegistry()
    registry.add_plugin(automl_example, name="example")
    model = registry.get("model", "nearest_centroid").spec
    estimator = model.factory(model.params(), task="binary", seed=0)
    x = np.array([[0.0], [0.1], [1.0], [1.1]])
    y = np.array([0, 0, 1, 1])
    assert list(estimator.fit(x, y).predict(x)) == [0, 0, 1, 1]
    metric = registry.get("metric", "max_error").spec
    assert metric.factory(np.array([1.0, 2.0]), np.array([1.5, 4.0]), labels=None) == 2.0
