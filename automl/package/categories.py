"""Categories never seen in training: which values a fitted pipeline's encoders know, and how
many input rows hold others.

The training categories are read from the fitted pipeline itself (the ``categories_`` of its
encoders, such as scikit-learn's ``OneHotEncoder`` and ``TargetEncoder``), so they are exactly
what the model can tell apart, and packages written before this check existed are covered too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

_SHOWN_VALUES = 5
_CATEGORICAL_KINDS = ("string", "other")


def _text(value: Any) -> str:
    # automl's pipelines encode categories as stripped text (automl.data.preprocess).
    return str(value).strip()


def _record(encoder: Any, columns: Sequence[str] | None, found: dict[str, set[str]]) -> None:
    categories = getattr(encoder, "categories_", None)
    if not isinstance(categories, list):
        return
    names = getattr(encoder, "feature_names_in_", None)
    names = list(names) if names is not None else columns
    if names is None or len(names) != len(categories):
        return  # columns that cannot be attributed are not checked
    for name, values in zip(names, categories, strict=True):
        found.setdefault(str(name), set()).update(_text(v) for v in values)


def _walk(step: Any, columns: Sequence[str] | None, found: dict[str, set[str]]) -> None:
    steps = getattr(step, "steps", None)
    if isinstance(steps, list):  # a Pipeline: each step sees the same columns, as far as known
        for _, inner in steps:
            _walk(inner, columns, found)
        return
    transformers = getattr(step, "transformers_", None)
    if isinstance(transformers, list):  # a ColumnTransformer: each part has its columns
        names_in = getattr(step, "feature_names_in_", None)
        for _, inner, selected in transformers:
            if isinstance(inner, str):  # "drop" or "passthrough"
                continue
            picked = list(selected) if isinstance(selected, list | tuple) else None
            if picked and names_in is not None and all(isinstance(c, int) for c in picked):
                picked = [str(names_in[c]) for c in picked]
            if picked is not None and not all(isinstance(c, str) for c in picked):
                picked = None
            _walk(inner, picked, found)
        return
    _record(step, columns, found)


def known_categories(pipeline: Any, features: Mapping[str, str]) -> dict[str, frozenset[str]]:
    """Categorical feature column -> the categories the fitted ``pipeline`` saw in training.

    Args:
        pipeline: The fitted pipeline (scikit-learn pipelines and column transformers are
            searched for encoders; other pipelines yield no categories).
        features: Each feature column's kind (``string``, ``other``, ``float``...); only text
            and other object columns are checked.
    """
    found: dict[str, set[str]] = {}
    _walk(pipeline, None, found)
    return {
        name: frozenset(values)
        for name, values in found.items()
        if features.get(name) in _CATEGORICAL_KINDS
    }


def count_unseen(
    frame: pd.DataFrame, known: Mapping[str, frozenset[str]]
) -> dict[str, dict[str, int]]:
    """Column -> {value never seen in training: rows}, most frequent first; missing values
    are not counted (they are missing, not new)."""
    unseen: dict[str, dict[str, int]] = {}
    for name, categories in known.items():
        if name not in frame.columns:
            continue
        values = frame[name]
        # The same text as _text, vectorized: serving calls this on every request.
        text = values[values.notna()].astype(str).str.strip()
        new = text[~text.isin(categories)]
        if len(new):
            counts = new.value_counts(sort=True)
            unseen[name] = {str(value): int(count) for value, count in counts.items()}
    return unseen


def describe_unseen(column: str, counts: Mapping[str, int]) -> str:
    """``unseen categories: column 'plan': 3 rows with categories never seen in training:
    'foo' (2), 'bar' (1); predicted as unknown``."""
    rows = sum(counts.values())
    shown = [f"{value!r} ({count})" for value, count in list(counts.items())[:_SHOWN_VALUES]]
    if len(counts) > _SHOWN_VALUES:
        shown.append(f"and {len(counts) - _SHOWN_VALUES} more")
    return (
        f"unseen categories: column {column!r}: {rows} row{'s' if rows != 1 else ''} with "
        f"categories never seen in training: {', '.join(shown)}; predicted as unknown"
    )
