"""Checks and cleaning of the feature columns, each recorded in the data profile."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from automl.errors import DataError
from automl.naming import did_you_mean
from automl.specs import Task

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from automl.data.profile import DataProfile
    from automl.data.types import ColumnKind, ColumnType, Conversion


def check_overrides(
    frame: pd.DataFrame, target: str, overrides: dict[str, ColumnKind]
) -> dict[str, ColumnKind]:
    """``overrides`` (``data.columns``) once every name is a feature column of ``frame``.

    Raises:
        DataError: every override naming the target or a column not in the data.
    """
    names = [str(c) for c in frame.columns]
    problems = []
    for name in overrides:
        if name == target:
            problems.append(
                f"data.columns.{name}: {name!r} is the target; only feature columns take a kind"
            )
        elif name not in names:
            problems.append(
                f"data.columns.{name}: no column {name!r} in the data.{did_you_mean(name, names)}"
            )
    if problems:
        raise DataError("; ".join(problems))
    return overrides


def report_trimmed(
    raw: pd.DataFrame,
    converted: pd.DataFrame,
    types: Mapping[str, ColumnType],
    profile: DataProfile,
) -> None:
    """Record category labels that lost surrounding spaces (``" Gold"`` and ``"Gold"`` are one)."""
    for name, column_type in types.items():
        if column_type.kind != "categorical" or name not in converted:
            continue
        before = raw[name]
        present = before.notna()
        changed = int((before[present].astype(str) != converted[name][present].astype(str)).sum())
        if changed:
            profile.step(
                f"trimmed labels of {name!r}",
                f"{changed} values had surrounding spaces",
                rows=changed,
                columns=[name],
            )


def report_infinite(
    conversions: list[Conversion], profile: DataProfile, *, where: str = ""
) -> None:
    """Record numbers that were ``inf``/``-inf`` and are now missing, counted per column.

    Args:
        conversions: What converting the columns did.
        profile: Where the step is recorded.
        where: Prefix of the step's name (e.g. ``"test data: "``).
    """
    infinite = [c for c in conversions if c.infinite]
    if not infinite:
        return
    rows = len({row for c in infinite for row in c.infinite_rows})
    profile.step(
        f"{where}infinite values treated as missing",
        ", ".join(f"{c.column!r}: {c.infinite}" for c in infinite)
        + " (imputed, and flagged by the missing-value indicator)",
        rows=rows,
        columns=[c.column for c in infinite],
    )


def warn_on_leakage(
    features: pd.DataFrame, target: np.ndarray, task: Task, profile: DataProfile
) -> None:
    """Warn about features that copy the target.

    For classification: a feature whose values map one-to-one onto the classes (a copy or a
    recoding such as ``status_code`` beside ``status``). For regression: a number column equal
    to the target, or correlated with it at |r| >= 0.9999.
    """
    import numpy as np
    import pandas as pd

    truth = pd.Series(target, index=features.index)
    classes = truth.nunique()
    for name in features.columns:
        column = features[name]
        if column.isna().any() or column.nunique() < 2:
            continue
        if task is Task.REGRESSION:
            if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
                continue
            values = column.to_numpy(dtype=float)
            copy = bool(np.allclose(values, truth.to_numpy(dtype=float))) or bool(
                np.std(values) > 0
                and abs(np.corrcoef(values, truth.to_numpy(dtype=float))[0, 1]) >= 0.9999
            )
        else:
            if column.nunique() != classes:  # a recoding has exactly one value per class
                continue
            pairs = pd.DataFrame({"feature": column.astype(str), "target": truth.astype(str)})
            copy = bool(
                pairs.groupby("feature")["target"].nunique().max() == 1
                and pairs.groupby("target")["feature"].nunique().max() == 1
            )
        if copy:
            profile.warn(
                f"column {name!r} determines the target exactly: it is probably a copy of it "
                f"(leakage), which would make every score meaningless; remove it, or mark it "
                f"drop in data.columns"
            )
