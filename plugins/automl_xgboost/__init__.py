"""Builtin component backed by XGBoost: the ``xgboost`` model.

Registered through the ``automl`` entry-point group like any third-party plugin. XGBoost (and
numpy, scikit-learn) is imported only when a model is built and fitted, so discovery stays fast.
XGBoost itself is the ``xgboost`` extra of automl (``pip install "automl[xgboost]"``); without
it the model is listed as unavailable, with that line.
"""

from __future__ import annotations

from automl import ModelSpec, hookimpl
from automl_xgboost.model import XGBOOST


@hookimpl
def automl_register_models() -> list[ModelSpec]:
    """Gradient boosted trees with XGBoost, early-stopped on an inner validation split."""
    return [XGBOOST]
