"""A separate test set (``data.test_source``): its rows typed like training's and kept as the holdout."""

from __future__ import annotations

from typing import TYPE_CHECKING

from automl.data.cleaning import report_infinite
from automl.data.table import TrainingTable
from automl.data.target import class_labels
from automl.data.types import ColumnType, convert
from automl.errors import DataError
from automl.specs import Task

if TYPE_CHECKING:
    import pandas as pd


def with_test_rows(table: TrainingTable, frame: pd.DataFrame) -> TrainingTable:
    """``table`` with the rows of a separate test set (``data.test_source``) appended.

    The test rows are typed like the training rows; they become the holdout. Rows without a
    target are dropped; missing feature columns and classes never seen in training are errors.

    Args:
        table: The prepared training table.
        frame: The test set as loaded.

    Raises:
        DataError: the test set lacks the target or a feature column, has no target values,
            holds non-numbers for a regression target, or has classes never seen in training.
    """
    import numpy as np
    import pandas as pd

    target = table.target_name
    where = "the test data (data.test_source)"
    if target not in frame.columns:
        raise DataError(f"target column {target!r} is not in {where}")
    missing_columns = [name for name in table.kinds if name not in frame.columns]
    if missing_columns:
        raise DataError(
            f"{where} lacks feature columns of the training data: {', '.join(missing_columns)}"
        )
    labels = frame[target]
    if not pd.api.types.is_numeric_dtype(labels) and not pd.api.types.is_bool_dtype(labels):
        labels = labels.astype(object).where(labels.isna(), labels.astype(str).str.strip())
    keep = labels.notna()
    if not keep.any():
        raise DataError(f"{where} has no rows with a target value")
    if not keep.all():
        table.profile.step(
            "dropped test rows without a target",
            f"{int((~keep).sum())} rows",
            rows=int((~keep).sum()),
        )
    types = {name: ColumnType(name, kind, "as in training") for name, kind in table.kinds.items()}
    features, conversions = convert(frame.loc[keep, list(table.kinds)], types)
    report_infinite(conversions, table.profile, where="test data: ")
    for conversion in (c for c in conversions if c.failed):
        table.profile.warn(
            f"test data column {conversion.column!r}: {conversion.failed} values could not be read as "
            f"{conversion.kind} and are treated as missing"
        )
    if table.task is Task.REGRESSION:
        values = pd.to_numeric(labels[keep], errors="coerce")
        if values.isna().any():
            raise DataError(f"{where}: target {target!r} holds non-numbers")
        test_target = values.to_numpy(dtype=float)
    else:
        test_target = class_labels(labels[keep])
        unknown = sorted(set(np.unique(test_target).tolist()) - set(table.classes or []))
        if unknown:
            raise DataError(
                f"{where} has target classes never seen in training: {', '.join(map(repr, unknown[:10]))}"
            )
    table.profile.step(
        "test rows",
        f"{int(keep.sum())} rows of data.test_source are the holdout",
        rows=int(keep.sum()),
    )
    combined = pd.concat([table.features, features.reset_index(drop=True)], ignore_index=True)
    groups = table.groups
    if groups is not None:  # the test rows are never split: each its own group
        start = int(groups.max()) + 1
        groups = np.concatenate([groups, np.arange(start, start + len(test_target))])
    return TrainingTable(
        features=combined,
        target=np.concatenate([table.target, test_target]),
        task=table.task,
        classes=table.classes,
        target_name=target,
        kinds=table.kinds,
        profile=table.profile,
        groups=groups,
    )
