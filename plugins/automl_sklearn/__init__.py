"""Builtin components backed by scikit-learn: the standard metrics and models.

Registered through the ``automl`` entry-point group like any third-party plugin.
scikit-learn is imported only when a metric is computed or a model is built, so discovery
stays fast.
"""

from __future__ import annotations

from automl import MetricSpec, ModelSpec, hookimpl
from automl_sklearn.metrics import METRICS
from automl_sklearn.models import MODELS


@hookimpl
def automl_register_metrics() -> list[MetricSpec]:
    """The standard classification and regression metrics."""
    return list(METRICS)


@hookimpl
def automl_register_models() -> list[ModelSpec]:
    """Linear models, trees, forests, gradient boosting, nearest neighbours and SVMs."""
    return list(MODELS)
