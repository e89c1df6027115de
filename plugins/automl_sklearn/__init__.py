"""Builtin components backed by scikit-learn: the standard metrics.

Registered through the ``automl`` entry-point group like any third-party plugin.
scikit-learn is imported only when a metric is computed, so discovery stays fast.
"""

from __future__ import annotations

from automl import MetricSpec, hookimpl
from automl_sklearn.metrics import METRICS


@hookimpl
def automl_register_metrics() -> list[MetricSpec]:
    """The standard classification and regression metrics."""
    return list(METRICS)
