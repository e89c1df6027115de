"""Input coercion at predict time: each column converted to its training dtype.

Unreadable values are described (the column's bad values, a few of them shown) so that
:meth:`~automl.package.ModelPackage.prepare_input` can report every problem at once.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from automl.data.types import FALSE_WORDS, TRUE_WORDS, read_numbers
from automl.package.schema import Feature

# The same words and number formats as training reads (automl.data.types), so a model can
# always score rows written like the ones it was trained on.
_TRUE = TRUE_WORDS
_FALSE = FALSE_WORDS
_MAX_BAD_VALUES = 5


def _sample(values: pd.Series) -> str:
    shown: list[str] = []
    for value in values:
        text = repr(value)
        if text not in shown:
            shown.append(text)
        if len(shown) == _MAX_BAD_VALUES:
            break
    return ", ".join(shown)


def _bad_values(values: pd.Series, mask: pd.Series | np.ndarray, what: tuple[str, str]) -> str:
    """``"2 values that are not numbers: 'abc', '?'"``; ``what`` is (singular, plural)."""
    count = int(np.sum(mask))
    if count == 1:
        return f"1 value that is not {what[0]}: {_sample(values[mask])}"
    return f"{count} values that are not {what[1]}: {_sample(values[mask])}"


def _blank_as_missing(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Object values with blank strings turned into NaN, stripped, and the missing mask."""
    raw = values.astype(object)
    blank = raw.map(lambda v: isinstance(v, str) and not v.strip()).astype(bool)
    missing = raw.isna() | blank
    cleaned = raw.where(~missing, np.nan).map(lambda v: v.strip() if isinstance(v, str) else v)
    return cleaned, missing


def _coerce_numeric(values: pd.Series, feature: Feature, target: Any) -> tuple[pd.Series, str]:
    api = pd.api.types
    bad = ""
    if api.is_bool_dtype(values.dtype):
        numbers = values.astype("float64")
    elif api.is_numeric_dtype(values.dtype):
        numbers = values
    else:
        cleaned, missing = _blank_as_missing(values)
        numbers = read_numbers(cleaned.where(~missing, None)).where(~missing, np.nan)
        bad_mask = numbers.isna() & ~missing
        if bad_mask.any():
            bad = _bad_values(values, bad_mask, ("a number", "numbers"))
    if feature.kind == "integer":
        as_float = numbers.astype("float64")
        array = as_float.to_numpy()
        present = array[~np.isnan(array)]
        whole = bool(np.isfinite(present).all() and (present == np.floor(present)).all())
        nullable = isinstance(target, pd.api.extensions.ExtensionDtype)
        if whole and (nullable or len(present) == len(array)):
            try:
                return numbers.astype(target), bad
            except (TypeError, ValueError, OverflowError):
                return as_float, bad
        # Missing values in a numpy integer column, or fractions: the pipeline gets floats
        # (imputers handle NaN).
        return as_float, bad
    try:
        return numbers.astype(target), bad
    except (TypeError, ValueError):
        return numbers.astype("float64"), bad


def _to_bool(value: Any) -> bool | None:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.integer | np.floating) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return None


def _coerce_boolean(values: pd.Series, target: Any) -> tuple[pd.Series, str]:
    if pd.api.types.is_bool_dtype(values.dtype):
        converted = values
    else:
        cleaned, missing = _blank_as_missing(values)
        out: list[Any] = []
        bad_mask = np.zeros(len(values), dtype=bool)
        for i, (value, is_missing) in enumerate(zip(cleaned, missing, strict=True)):
            if is_missing:
                out.append(np.nan)
                continue
            flag = _to_bool(value)
            if flag is None:
                bad_mask[i] = True
                out.append(np.nan)
            else:
                out.append(flag)
        if bad_mask.any():
            return values, _bad_values(values, bad_mask, ("true/false", "true/false"))
        converted = pd.Series(out, index=values.index, dtype=object, name=values.name)
        if not missing.any():
            converted = converted.astype(bool)
    if converted.isna().any() and target == np.dtype(bool):
        # A numpy bool column cannot hold missing values: keep True/False/NaN as objects.
        return converted.astype(object), ""
    try:
        return converted.astype(target), ""
    except (TypeError, ValueError):
        return converted, ""


def _coerce_datetime(values: pd.Series, target: Any) -> tuple[pd.Series, str]:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        converted = values
    else:
        cleaned, missing = _blank_as_missing(values)
        converted = pd.to_datetime(cleaned, errors="coerce", format="mixed")
        bad_mask = converted.isna() & ~missing
        if bad_mask.any():
            return values, _bad_values(values, bad_mask, ("a date", "dates"))
    try:
        return converted.astype(target), ""
    except (TypeError, ValueError):
        return converted, ""


def _to_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def coerce_string(values: pd.Series, target: Any) -> pd.Series:
    """``values`` as text (``3.0`` -> ``"3"``), missing values kept, cast to ``target`` if it can."""
    raw = values.astype(object)
    missing = raw.isna()
    text = [np.nan if m else _to_text(v) for v, m in zip(raw, missing, strict=True)]
    converted = pd.Series(text, index=values.index, dtype=object, name=values.name)
    try:
        return converted.astype(target)
    except (TypeError, ValueError):
        return converted


def coerce_column(values: pd.Series, feature: Feature, target: Any) -> tuple[pd.Series, str]:
    """``values`` converted to the training dtype, and a description of unreadable values."""
    if feature.kind == "other" or values.dtype == target:
        return values, ""
    if feature.kind in ("integer", "float"):
        return _coerce_numeric(values, feature, target)
    if feature.kind == "boolean":
        return _coerce_boolean(values, target)
    if feature.kind == "datetime":
        return _coerce_datetime(values, target)
    return coerce_string(values, target), ""
