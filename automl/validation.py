"""Inner validation splits for plugin estimators that early-stop on held-out training rows.

A model that stops boosting (or training) once a validation loss stops improving must split a
validation set off the rows it is given. Within a search, a fold can hold too few rows (or too
few of one class) for that split; :func:`can_split_validation` says when it is possible, so the
estimator can train a fixed number of rounds on every row instead of failing the trial.

Plugins import it from ``automl``: ``from automl import can_split_validation``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["MIN_SPLIT_ROWS", "can_split_validation"]

MIN_SPLIT_ROWS = 20
"""Fewest training rows for which a validation set is split off."""


def can_split_validation(y: Any, fraction: float, *, classification: bool) -> bool:
    """Whether ``fraction`` of the rows can be split off as a validation set.

    At least :data:`MIN_SPLIT_ROWS` rows; for classification, a stratified split: every class has
    two rows and both parts can hold one row of each class.

    Args:
        y: The training target (any array-like of labels or values).
        fraction: The share of the rows the validation set takes, in ``(0, 1)``.
        classification: Whether the split is stratified by class.

    Returns:
        True if the split is possible; False means train on every row without early stopping.
    """
    y = np.asarray(y)
    rows = len(y)
    if rows < MIN_SPLIT_ROWS:
        return False
    if not classification:
        return True
    _, counts = np.unique(y, return_counts=True)
    validation = math.ceil(fraction * rows)
    classes = len(counts)
    return bool(counts.min() >= 2 and validation >= classes and rows - validation >= classes)
