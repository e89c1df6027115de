"""Builtin component backed by LightGBM: the ``lightgbm`` model.

Registered through the ``automl`` entry-point group like any third-party plugin. LightGBM (and
numpy, scikit-learn) is imported only when a model is built and fitted, so discovery stays fast.
LightGBM itself is the ``lightgbm`` extra of automl (``pip install "automl[lightgbm]"``); without
it the model is listed as unavailable, with that line.
"""

from __future__ import annotations

from automl import ModelSpec, hookimpl
from automl_lightgbm.model import LIGHTGBM


@hookimpl
def automl_register_models() -> list[ModelSpec]:
    """Gradient boosted trees with LightGBM, early-stopped on an inner validation split."""
    return [LIGHTGBM]
