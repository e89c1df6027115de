"""The stored input example: training rows written in the types of the users' data.

The package's input example (``input_example.json``) is what MLflow shows and replays against
the signature, so it must hold values of the signature's types: a whole-number column that
training read as floats is written as integers, a yes/no column that training read as booleans
as text.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from automl.package.inputs import coerce_column, coerce_string
from automl.package.schema import Feature, dtype_from_text


def _as_text(values: pd.Series) -> pd.Series:
    dtype = values.dtype
    if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
        return values
    if isinstance(dtype, pd.CategoricalDtype):
        return values.astype(object)
    return coerce_string(values, np.dtype(object))


def _as_whole_numbers(values: pd.Series) -> pd.Series:
    if pd.api.types.is_integer_dtype(values.dtype):
        return values
    try:
        numbers = pd.to_numeric(values.astype(object), errors="coerce").astype("float64")
    except (TypeError, ValueError):
        return values
    array = numbers.to_numpy()
    if values.isna().any() or np.isnan(array).any() or (array != np.floor(array)).any():
        return values
    return numbers.astype("int64")


def _as_floats(values: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(values.dtype):
        return values
    try:
        return values.astype("float64")
    except (TypeError, ValueError):
        return values


_CONVERSIONS = {"string": _as_text, "long": _as_whole_numbers, "double": _as_floats}
"""MLflow type -> conversion of training values to it; each leaves what it cannot convert
without loss unchanged (booleans and datetimes are stored as they are)."""


def in_input_types(example: pd.DataFrame, features: Sequence[Feature]) -> pd.DataFrame:
    """The rows of ``example`` (training dtypes) converted to the features' MLflow types."""
    columns = {
        f.name: _CONVERSIONS.get(f.mlflow_type, lambda v: v)(example[f.name]) for f in features
    }
    return pd.DataFrame(columns, index=example.index)


def back_to_training_types(rows: pd.DataFrame, features: Sequence[Feature]) -> pd.DataFrame | None:
    """``rows`` converted to the training dtypes as at predict time; ``None`` if a value fails."""
    columns: dict[str, pd.Series] = {}
    for feature in features:
        values, bad = coerce_column(rows[feature.name], feature, dtype_from_text(feature.dtype))
        if bad:
            return None
        columns[feature.name] = values
    return pd.DataFrame(columns, index=rows.index)
