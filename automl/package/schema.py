"""The feature schema: each input column's training dtype, how it is coerced, its MLflow type.

:func:`check_frames` and :func:`check_classes` check what :func:`~automl.package.write_package`
is given and derive the schema that ``data/schema.json`` and the MLflow signature hold.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from automl.errors import PackageError
from automl.package.layout import TASKS

logger = logging.getLogger("automl.package")


@dataclass(frozen=True)
class Feature:
    """One input column: its name, training dtype, coercion kind and MLflow type."""

    name: str
    dtype: str
    kind: str  # integer | float | boolean | datetime | string | other
    mlflow_type: str

    def to_json(self) -> dict[str, str]:
        """The feature as stored in ``data/schema.json``."""
        return {
            "name": self.name,
            "dtype": self.dtype,
            "kind": self.kind,
            "mlflow_type": self.mlflow_type,
        }


def mlflow_type_of(dtype: Any, has_missing: bool) -> str | None:
    """The MLflow column type for data of ``dtype``, or ``None`` for a dtype it has no type for.

    Every integer width maps to ``long`` and every float width to ``double`` (the narrower
    ``integer`` and ``float`` would refuse 64-bit input); a nullable integer column
    (``Int64``) that holds missing values maps to ``double``, since ``long`` refuses NaN;
    text, categories and other object columns map to ``string``, which accepts any object
    column.
    """
    api = pd.api.types
    if isinstance(dtype, str):
        dtype = dtype_from_text(dtype)
    if api.is_integer_dtype(dtype) and not api.is_bool_dtype(dtype):
        # Only a nullable integer dtype (Int64) can hold the missing values `long` refuses.
        nullable = isinstance(dtype, pd.api.extensions.ExtensionDtype)
        return "double" if nullable and has_missing else "long"
    checks = (
        (api.is_bool_dtype, "boolean"),
        (api.is_float_dtype, "double"),
        (api.is_datetime64_any_dtype, "datetime"),
        (lambda d: isinstance(d, pd.CategoricalDtype), "string"),
        (api.is_object_dtype, "string"),
        (api.is_string_dtype, "string"),
    )
    return next((name for check, name in checks if check(dtype)), None)


def _describe_column(
    name: str, values: pd.Series, has_missing: bool, input_dtype: Any = None
) -> Feature:
    """The feature description of a training column.

    ``dtype`` and ``kind`` describe the column as the pipeline was trained on it (what
    :meth:`~automl.package.ModelPackage.prepare_input` converts input to). ``mlflow_type``
    describes the column as users' data has it (``input_dtype``, the dtype before automl's type
    conversion, when known), so that MLflow's schema enforcement accepts the user's own frame:
    a whole-number column read by ``pd.read_csv`` is int64 even if training used floats.
    """
    dtype = values.dtype
    api = pd.api.types
    if api.is_bool_dtype(dtype):
        kind, mlflow_type = "boolean", "boolean"
    elif api.is_integer_dtype(dtype):
        kind, mlflow_type = "integer", ("double" if has_missing else "long")
    elif api.is_float_dtype(dtype):
        kind, mlflow_type = "float", "double"
    elif api.is_datetime64_any_dtype(dtype):
        kind, mlflow_type = "datetime", "datetime"
    elif isinstance(dtype, pd.CategoricalDtype):
        inferred = api.infer_dtype(dtype.categories, skipna=True)
        kind, mlflow_type = ("string" if inferred in ("string", "empty") else "other"), "string"
    elif api.is_object_dtype(dtype):
        inferred = api.infer_dtype(values, skipna=True)
        if inferred in ("string", "empty"):
            kind, mlflow_type = "string", "string"
        elif inferred == "boolean":
            kind, mlflow_type = "boolean", "boolean"
        else:
            kind, mlflow_type = "other", "string"
    elif api.is_string_dtype(dtype):
        kind, mlflow_type = "string", "string"
    else:
        raise PackageError(
            f"cannot package a model whose input column {name!r} has the dtype {dtype}: "
            "supported are numbers, booleans, strings, categories and datetimes. Convert the "
            "column before training."
        )
    if input_dtype is not None:
        mlflow_type = mlflow_type_of(input_dtype, has_missing) or mlflow_type
    return Feature(name=name, dtype=str(dtype), kind=kind, mlflow_type=mlflow_type)


def dtype_from_text(text: str) -> Any:
    """The pandas dtype a schema names (``"float64"``, ``"Int64"``...); object if unknown here."""
    try:
        return pd.api.types.pandas_dtype(text)
    except TypeError:
        return np.dtype(object)


def check_classes(task: str, classes: Sequence[Any] | None) -> list[Any] | None:
    """Check ``task`` and its ``classes``; return the labels as plain Python values.

    Raises:
        ValueError: An unknown task, classes for regression or none for classification,
            labels that are not strings, integers or booleans, repeated, or too few.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {', '.join(TASKS)}, not {task!r}")
    if task == "regression":
        if classes is not None:
            raise ValueError("classes must be None for a regression model")
        return None
    if classes is None:
        raise ValueError(f"a {task} model needs its classes")
    labels = [c.item() if isinstance(c, np.generic) else c for c in classes]
    for label in labels:
        if not isinstance(label, str | int | float | bool) or (
            isinstance(label, float) and not math.isfinite(label)
        ):
            raise ValueError(f"class labels must be strings, integers or booleans, not {label!r}")
    if len(set(labels)) != len(labels):
        raise ValueError(f"the class labels are not unique: {labels}")
    if (task == "binary" and len(labels) != 2) or len(labels) < 2:
        raise ValueError(f"a {task} model cannot have {len(labels)} classes: {labels}")
    return labels


def check_frames(
    input_example: Any,
    reference_sample: Any,
    target: str,
    input_dtypes: Mapping[str, Any] | None = None,
) -> tuple[pd.DataFrame, list[Feature]]:
    """Check the input example and reference sample; return the example's features and schema.

    The target column, if the example holds it, is dropped with a warning. ``input_dtypes``
    (column -> dtype of the users' data, before automl's type conversion) chooses the MLflow
    types; a column it does not name is described by its training dtype.

    Raises:
        ValueError: An empty or unnamed example, or a sample without the feature columns.
        PackageError: A column has a dtype a package cannot hold.
    """
    if not isinstance(input_example, pd.DataFrame) or input_example.shape[0] == 0:
        raise ValueError("input_example must be a DataFrame with at least one row")
    example = input_example
    if target in example.columns:
        logger.warning("The input example holds the target column %r; it is left out", target)
        example = example.drop(columns=[target])
    if example.shape[1] == 0:
        raise ValueError("input_example has no feature columns")
    if example.columns.has_duplicates or not all(isinstance(c, str) for c in example.columns):
        raise ValueError("input_example's column names must be unique strings")
    if not isinstance(reference_sample, pd.DataFrame):
        raise ValueError("reference_sample must be a DataFrame")
    absent = [c for c in example.columns if c not in reference_sample.columns]
    if absent:
        raise ValueError(f"reference_sample lacks the feature columns {', '.join(absent)}")
    given = dict(input_dtypes or {})
    features = [
        _describe_column(
            name,
            example[name],
            has_missing=bool(example[name].isna().any() or reference_sample[name].isna().any()),
            input_dtype=given.get(name),
        )
        for name in example.columns
    ]
    return example, features
