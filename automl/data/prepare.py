"""From a loaded table to a training table: checks, cleaning, column types, and a profile.

Each cleaning step is recorded, so the profile says what was dropped and why:

1. the target column must exist (with a "did you mean") and have values;
2. target labels are trimmed; rows with a missing target are dropped;
3. rows that repeat another row exactly are counted (and dropped only with
   ``data.drop_duplicates``); rows with identical feature values get one group id, so the
   splits keep them together, and those with different targets are counted as conflicting;
4. column kinds are inferred (or taken from ``data.columns``); constant, empty and ID-like
   columns, and columns marked ``drop``, are dropped;
5. columns are converted to their kind (numbers stored as text become numbers; values that
   cannot be read become missing and are counted; infinite numbers become missing and are
   counted);
6. a feature that copies the target is reported as likely leakage.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from automl.data.cleaning import (
    check_overrides,
    report_infinite,
    report_trimmed,
    warn_on_leakage,
)
from automl.data.duplicates import feature_groups, handle_duplicates
from automl.data.holdout import with_test_rows
from automl.data.profile import DataProfile, profile_columns
from automl.data.table import TrainingTable
from automl.data.target import check_target, infer_task, target_values
from automl.data.types import USED_KINDS, ColumnKind, convert, infer_types
from automl.errors import DataError
from automl.specs import Task

if TYPE_CHECKING:
    import pandas as pd

# DataProfile, TrainingTable and with_test_rows are re-exported for the runner's imports of
# ``automl.data.prepare`` until it imports them from ``automl.data``.
__all__ = ["DataProfile", "TrainingTable", "prepare", "with_test_rows"]


def prepare(
    frame: pd.DataFrame,
    target: str,
    task: str,
    *,
    cv: int,
    columns: Mapping[str, ColumnKind] | None = None,
    drop_duplicates: bool = False,
) -> TrainingTable:
    """Check, clean and type ``frame`` for learning ``target`` (see the module docstring).

    Args:
        frame: The loaded table.
        target: The target column.
        task: ``auto`` or a task name.
        cv: Cross-validation folds (every class needs at least this many rows).
        columns: Kind overrides by column name (``data.columns``).
        drop_duplicates: Drop rows that repeat another row exactly (``data.drop_duplicates``).

    Raises:
        DataError: what is wrong with the data and how to fix it.
    """
    profile = DataProfile(rows_loaded=len(frame), columns_loaded=int(frame.shape[1]), target=target)
    frame = check_target(frame, target, profile)
    overrides = check_overrides(frame, target, dict(columns or {}))
    frame = handle_duplicates(frame, target, profile, drop=drop_duplicates)
    groups = feature_groups(frame, target, profile)
    features = frame.drop(columns=[target])
    types = infer_types(features, overrides)
    profile_columns(features, types, profile)
    dropped = [t for t in types.values() if t.kind not in USED_KINDS]
    for column_type in dropped:
        profile.step(
            f"dropped column {column_type.name!r}", column_type.reason, columns=[column_type.name]
        )
    converted, conversions = convert(features, types)
    report_trimmed(features, converted, types, profile)
    report_infinite(conversions, profile)
    for conversion in (c for c in conversions if c.failed):
        examples = ", ".join(repr(v) for v in conversion.examples)
        profile.warn(
            f"column {conversion.column!r} ({conversion.kind}): {conversion.failed} values could not be read "
            f"and are treated as missing (e.g. {examples}); set data.columns.{conversion.column} to change its kind"
        )
    if converted.shape[1] == 0:
        detail = (
            "; ".join(f"{t.name}: {t.reason}" for t in dropped) or "the data has no other column"
        )
        raise DataError(
            f"no usable feature column besides the target {target!r} ({detail}). "
            "Check the data (is data.source reading it right, e.g. its separator?), or set kinds in data.columns"
        )
    labels = frame[target]
    resolved_task = infer_task(labels) if task == "auto" else Task(task)
    values, classes = target_values(labels, resolved_task, target, cv)
    warn_on_leakage(converted, values, resolved_task, profile)
    profile.rows = len(converted)
    profile.task = resolved_task.value
    profile.classes = classes
    if classes is not None:
        import pandas as pd

        profile.target_distribution = {
            str(k): int(v) for k, v in pd.Series(values).value_counts().items()
        }
    kinds = {name: t.kind for name, t in types.items() if t.kind in USED_KINDS}
    return TrainingTable(
        features=converted.reset_index(drop=True),
        target=values,
        task=resolved_task,
        classes=classes,
        target_name=target,
        kinds=kinds,
        profile=profile,
        groups=groups,
    )
