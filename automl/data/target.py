"""The target column: checked, its task inferred, and its values made ready for learning."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from automl.errors import DataError
from automl.naming import did_you_mean
from automl.specs import Task

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from automl.data.profile import DataProfile

MAX_MULTICLASS_INTEGER_LEVELS = 20
"""An integer target with at most this many distinct values (and few per row) is a class label."""


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


def check_target(frame: pd.DataFrame, target: str, profile: DataProfile) -> pd.DataFrame:
    """``frame`` with the target's labels trimmed and the rows without a target dropped.

    Args:
        frame: The loaded table.
        target: The target column.
        profile: Where the cleaning steps are recorded.

    Raises:
        DataError: the target column is not in the data, or has no values.
    """
    import pandas as pd

    if target not in frame.columns:
        names = [str(c) for c in frame.columns]
        shown = ", ".join(names[:30]) + (" ..." if len(names) > 30 else "")
        raise DataError(
            f"target column {target!r} (data.target) is not in the data.{did_you_mean(target, names)} "
            f"Columns: {shown}"
        )
    labels = frame[target]
    if not pd.api.types.is_numeric_dtype(labels) and not pd.api.types.is_bool_dtype(labels):
        trimmed = labels.astype(object).where(labels.isna(), labels.astype(str).str.strip())
        trimmed = trimmed.where(trimmed != "", None)
        changed = int((trimmed.fillna("\0") != labels.astype(object).fillna("\0")).sum())
        frame = frame.assign(**{target: trimmed})
        if changed:
            profile.step(
                "trimmed target labels",
                f"{changed} labels of {target!r} had surrounding spaces",
                rows=changed,
            )
    labels = frame[target]
    if pd.api.types.is_numeric_dtype(labels) and not pd.api.types.is_bool_dtype(labels):
        import numpy as np

        # No model learns from an infinite target, and no metric scores one: such rows are
        # as good as unlabelled.
        infinite = np.isinf(labels.to_numpy(dtype=float, na_value=np.nan))
        if infinite.any():
            count = int(infinite.sum())
            frame = frame.assign(**{target: labels.where(~infinite, None)})
            profile.step(
                "infinite target values treated as missing",
                f"{count} rows have an infinite {target!r} value",
                rows=count,
            )
    missing = frame[target].isna()
    if missing.all():
        raise DataError(f"target column {target!r} has no values: every row is missing it")
    if missing.any():
        count = int(missing.sum())
        frame = frame.loc[~missing]
        profile.step(
            "dropped rows without a target", f"{count} rows have no {target!r} value", rows=count
        )
    return frame


def target_values(
    labels: pd.Series, task: Task, target: str, cv: int
) -> tuple[np.ndarray, list[Any] | None]:
    """The target as a numpy array for ``task``, with the sorted classes (``None`` for regression).

    Args:
        labels: The target column (rows without a target already dropped).
        task: The task to learn.
        target: The target column's name (for messages).
        cv: Cross-validation folds (every class needs at least this many rows).

    Raises:
        DataError: the target is constant, does not fit the task, or a class is too rare.
    """
    import numpy as np
    import pandas as pd

    if labels.nunique() < 2:
        raise DataError(
            f"target column {target!r} is constant (every row is {labels.iloc[0]!r}); there is nothing to learn"
        )
    if task is Task.REGRESSION:
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
        if not np.isfinite(values).all():  # e.g. "inf" written as text
            raise DataError(
                f"target {target!r} holds infinite values; remove those rows or fix the values"
            )
        return values, None
    values = class_labels(labels)
    classes = sorted(np.unique(values).tolist())
    # A numeric target that task: auto would call regression (prices, measurements) is
    # continuous: the fix is the regression task, not more classes.
    continuous = infer_task(labels) is Task.REGRESSION
    if task is Task.BINARY and len(classes) != 2:
        shown = ", ".join(map(repr, classes[:10])) + (", ..." if len(classes) > 10 else "")
        if continuous:
            raise DataError(
                f"task is binary but target {target!r} holds {len(classes)} distinct numbers "
                f"({shown}): it looks continuous; set task: regression (or auto)"
            )
        raise DataError(
            f"task is binary but target {target!r} has {len(classes)} classes "
            f"({shown}); set task: multiclass or auto"
        )
    counts = pd.Series(values).value_counts()
    too_small = counts[counts < cv]
    if len(too_small):
        if continuous:
            raise DataError(
                f"task is {task.value} but target {target!r} holds {len(classes)} distinct "
                f"numbers, {len(too_small)} of them on fewer rows than the {cv} cross-validation "
                "folds need; it looks continuous: set task: regression (or auto)"
            )
        detail = ", ".join(f"{label!r}: {count}" for label, count in too_small.items())
        raise DataError(
            f"class{'es' if len(too_small) > 1 else ''} of {target!r} with fewer rows than the "
            f"{cv} cross-validation folds need ({detail}); lower search.cv, gather more rows, "
            "or merge rare classes"
        )
    if values.dtype.kind == "f":  # 0.5, 1.5...: scikit-learn takes these for a continuous target
        shown = ", ".join(map(repr, classes[:10])) + (", ..." if len(classes) > 10 else "")
        raise DataError(
            f"task is {task.value} but the classes of target {target!r} are numbers with a "
            f"fraction ({shown}), which classifiers cannot take as labels; write them as text "
            "or whole numbers, or set task: regression"
        )
    return values, classes


def class_labels(labels: pd.Series) -> np.ndarray:
    """Class labels as a plain numpy array (str for text, else the values' own type)."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(labels) or pd.api.types.is_integer_dtype(labels):
        return labels.to_numpy()
    if pd.api.types.is_float_dtype(labels) and (labels == labels.round()).all():
        return labels.astype("int64").to_numpy()
    if pd.api.types.is_numeric_dtype(labels):
        return labels.to_numpy()
    return labels.astype(str).to_numpy(dtype=object)
