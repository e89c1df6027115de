"""Fast versions of common metrics for the greedy selection, which scores thousands of blends.

A metric plugin is called with full input validation each time (scikit-learn's functions take
milliseconds even on small inputs); these numpy versions take a fraction of that. One is used
only when its name matches the run's metric **and** it gives the plugin's own score on the
data at hand (checked before the selection starts), so a third-party metric that reuses a name
with another meaning is never replaced.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

__all__ = ["checked_fast_scorer", "fast_scorer"]

AGREEMENT = 1e-9
"""Largest relative difference between a fast score and the plugin's that still agrees."""

Scorer = Callable[["np.ndarray"], float]


def fast_scorer(name: str, truth: Any, classes: Sequence[Any] | None) -> Scorer | None:
    """A numpy scorer of blended predictions for the metric ``name``, if there is one.

    Args:
        name: The metric's name.
        truth: The true labels (classification) or values (regression).
        classes: The class labels in column order (classification), else ``None``.
    """
    import numpy as np

    if classes is None:
        values = np.asarray(truth, dtype=float)
        regression: dict[str, Scorer] = {
            "rmse": lambda p: float(np.sqrt(np.mean((values - p) ** 2))),
            "mse": lambda p: float(np.mean((values - p) ** 2)),
            "mae": lambda p: float(np.mean(np.abs(values - p))),
        }
        return regression.get(name)
    index = {label: code for code, label in enumerate(classes)}
    try:
        codes = np.asarray([index[label] for label in truth], dtype=np.int64)
    except (KeyError, TypeError):
        return None
    rows = np.arange(len(codes))
    if name == "log_loss":
        return lambda p: _log_loss(p, rows, codes)
    if name == "accuracy":
        return lambda p: float(np.mean(np.argmax(p, axis=1) == codes))
    if name == "roc_auc" and len(classes) == 2:
        positive = codes == 1
        return lambda p: _binary_auc(p[:, 1], positive)
    return None


def checked_fast_scorer(
    name: str,
    truth: Any,
    classes: Sequence[Any] | None,
    plugin: Scorer,
    samples: Sequence[np.ndarray],
) -> Scorer | None:
    """:func:`fast_scorer`, if it agrees with ``plugin`` on every one of ``samples``."""
    fast = fast_scorer(name, truth, classes)
    if fast is None:
        return None
    for sample in samples:
        mine, theirs = fast(sample), plugin(sample)
        if not (math.isfinite(mine) and math.isfinite(theirs)):
            return None
        if abs(mine - theirs) > AGREEMENT * max(1.0, abs(theirs)):
            return None
    return fast


def _log_loss(proba: np.ndarray, rows: np.ndarray, codes: np.ndarray) -> float:
    import numpy as np

    eps = np.finfo(proba.dtype).eps
    picked = np.clip(proba[rows, codes], eps, 1.0)
    return float(-np.mean(np.log(picked)))


def _binary_auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """The area under the ROC curve (Mann-Whitney U, ties counted half)."""
    import numpy as np

    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return math.nan
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    starts = np.cumsum(counts) - counts
    ranks = (starts + (counts + 1) / 2.0)[inverse]  # 1-based, ties get their average rank
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
