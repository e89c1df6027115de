"""Builtin component backed by CatBoost: the ``catboost`` model.

Registered through the ``automl`` entry-point group like any third-party plugin. CatBoost (and
numpy, scikit-learn) is imported only when a model is built and fitted, so discovery stays fast.
CatBoost itself is the ``catboost`` extra of automl (``pip install "automl[catboost]"``); without
it the model is listed as unavailable, with that line.
"""

from __future__ import annotations

from automl import ModelSpec, hookimpl
from automl_catboost.model import CATBOOST


@hookimpl
def automl_register_models() -> list[ModelSpec]:
    """Gradient boosted oblivious trees with CatBoost, early-stopped on a validation split."""
    return [CATBOOST]
