"""Loading the recipe's data source, and the checks every training table must pass."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from automl.errors import AutomlError, DataError
from automl.registry import did_you_mean
from automl.specs import SourceContext, Task

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from automl.recipe import ResolvedRecipe

logger = logging.getLogger(__name__)

MAX_MULTICLASS_INTEGER_LEVELS = 20
"""An integer target with at most this many distinct values (and few per row) is a class label."""


def load_frame(resolved: ResolvedRecipe) -> pd.DataFrame:
    """Read the recipe's data source into a DataFrame.

    Raises:
        DataError: the source failed, or returned something other than a non-empty DataFrame.
    """
    import pandas as pd

    source = resolved.data_source
    spec = source.component.spec
    try:
        frame = spec.factory(source.params, SourceContext(base_dir=resolved.base_dir))
    except AutomlError:
        raise
    except Exception as exc:
        raise DataError(
            f"data source {source.name!r} ({source.component.plugin}) failed: {type(exc).__name__}: {exc}"
        ) from exc
    if not isinstance(frame, pd.DataFrame):
        raise DataError(
            f"data source {source.name!r} returned {type(frame).__name__}, not a pandas DataFrame "
            f"(a bug in {source.component.plugin})"
        )
    if frame.empty:
        raise DataError(f"data source {source.name!r} returned no rows: the data is empty")
    return frame


@dataclass(frozen=True)
class TrainingTable:
    """Features and target, checked and ready for the search.

    Attributes:
        features: The feature columns (the target removed), rows with a missing target dropped.
        target: The target values, aligned with ``features``.
        task: The task (given by the recipe or inferred).
        classes: Sorted class labels for classification, else ``None``.
        target_name: The target column's name.
    """

    features: pd.DataFrame
    target: np.ndarray
    task: Task
    classes: list[Any] | None
    target_name: str


def infer_task(target: pd.Series) -> Task:
    """Binary for two distinct values, multiclass for text/bool/few integer levels, else regression."""
    import pandas as pd

    values = target.dropna()
    distinct = values.nunique()
    if distinct == 2:
        return Task.BINARY
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return Task.MULTICLASS
    integral = pd.api.types.is_integer_dtype(values) or bool((values == values.round()).all())
    if (
        integral
        and distinct <= MAX_MULTICLASS_INTEGER_LEVELS
        and distinct <= max(3, len(values) // 5)
    ):
        return Task.MULTICLASS
    return Task.REGRESSION


def prepare_table(frame: pd.DataFrame, target: str, task: str, *, cv: int) -> TrainingTable:
    """Split ``frame`` into features and target, and check it can be learned.

    Raises:
        DataError: the target column is missing, all missing or constant, there are no feature
            columns, or a class has fewer rows than the cross-validation needs.
    """
    import numpy as np
    import pandas as pd

    if target not in frame.columns:
        columns = [str(c) for c in frame.columns]
        shown = ", ".join(columns[:30]) + (" ..." if len(columns) > 30 else "")
        raise DataError(
            f"target column {target!r} (data.target) is not in the data.{did_you_mean(target, columns)} "
            f"Columns: {shown}"
        )
    labels = frame[target]
    missing = int(labels.isna().sum())
    if missing == len(frame):
        raise DataError(f"target column {target!r} has no values: every row is missing it")
    if missing:
        logger.warning(
            "Dropped %d rows whose target %r is missing (of %d)", missing, target, len(frame)
        )
        frame = frame.loc[labels.notna()]
        labels = frame[target]
    features = frame.drop(columns=[target])
    if features.shape[1] == 0:
        raise DataError(f"the data has no feature columns besides the target {target!r}")
    if labels.nunique() < 2:
        raise DataError(
            f"target column {target!r} is constant (every row is {labels.iloc[0]!r}); there is nothing to learn"
        )
    resolved_task = infer_task(labels) if task == "auto" else Task(task)
    classes: list[Any] | None = None
    if resolved_task is Task.REGRESSION:
        if not pd.api.types.is_numeric_dtype(labels) or pd.api.types.is_bool_dtype(labels):
            coerced = pd.to_numeric(labels, errors="coerce")
            if coerced.isna().any():
                bad = labels[coerced.isna()].astype(str).unique()[:5]
                raise DataError(
                    f"task is regression but target {target!r} holds non-numbers: {', '.join(map(repr, bad))}; "
                    "set task: binary or multiclass, or fix the values"
                )
            labels = coerced
        values = labels.to_numpy(dtype=float)
    else:
        values = _class_labels(labels)
        classes = sorted(np.unique(values).tolist())
        if resolved_task is Task.BINARY and len(classes) != 2:
            raise DataError(
                f"task is binary but target {target!r} has {len(classes)} classes "
                f"({', '.join(map(repr, classes[:10]))}); set task: multiclass or auto"
            )
        counts = pd.Series(values).value_counts()
        too_small = counts[counts < cv]
        if len(too_small):
            detail = ", ".join(f"{label!r}: {count}" for label, count in too_small.items())
            raise DataError(
                f"class{'es' if len(too_small) > 1 else ''} of {target!r} with fewer rows than the "
                f"{cv} cross-validation folds need ({detail}); lower search.cv, gather more rows, "
                "or merge rare classes"
            )
    return TrainingTable(
        features=features.reset_index(drop=True),
        target=values,
        task=resolved_task,
        classes=classes,
        target_name=target,
    )


def _class_labels(labels: pd.Series) -> np.ndarray:
    """Class labels as a plain numpy array (str for text, else the values' own type)."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(labels) or pd.api.types.is_integer_dtype(labels):
        return labels.to_numpy()
    if pd.api.types.is_float_dtype(labels) and (labels == labels.round()).all():
        return labels.astype("int64").to_numpy()
    if pd.api.types.is_numeric_dtype(labels):
        return labels.to_numpy()
    return labels.astype(str).str.strip().to_numpy(dtype=object)


def fingerprint(frame: pd.DataFrame) -> dict[str, Any]:
    """Rows, columns and a content hash of a table (to notice changed data on resume)."""
    import pandas as pd

    digest = hashlib.sha256()
    digest.update(",".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return {"rows": len(frame), "columns": int(frame.shape[1]), "sha256": digest.hexdigest()}
