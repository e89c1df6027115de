"""From a loaded table to a training table: checks, cleaning, column types, and a profile.

Each cleaning step is recorded, so the profile says what was dropped and why:

1. the target column must exist (with a "did you mean") and have values;
2. target labels are trimmed; rows with a missing target are dropped;
3. exact duplicate rows are dropped;
4. column kinds are inferred (or taken from ``data.columns``); constant, empty and ID-like
   columns, and columns marked ``drop``, are dropped;
5. columns are converted to their kind (numbers stored as text become numbers; values that
   cannot be read become missing and are counted);
6. a feature that copies the target is reported as likely leakage.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from automl.data.load import infer_task
from automl.data.types import USED_KINDS, ColumnType, convert, infer_types
from automl.errors import DataError
from automl.registry import did_you_mean
from automl.specs import Task

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

logger = logging.getLogger(__name__)


@dataclass
class ColumnProfile:
    """One column of the data as automl sees it."""

    name: str
    kind: str
    reason: str
    dtype: str
    missing_share: float
    distinct: int
    used: bool


@dataclass
class CleaningStep:
    """One thing preparation changed, with what it affected."""

    action: str
    detail: str
    rows: int = 0
    columns: list[str] = field(default_factory=list)


@dataclass
class DataProfile:
    """What the data looked like and what preparation did to it (saved as ``profile.json``)."""

    rows_loaded: int
    columns_loaded: int
    rows: int = 0
    target: str = ""
    task: str = ""
    classes: list[Any] | None = None
    target_distribution: dict[str, int] = field(default_factory=dict)
    columns: list[ColumnProfile] = field(default_factory=list)
    steps: list[CleaningStep] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def kinds_count(self) -> dict[str, int]:
        """Used columns per kind."""
        counts: dict[str, int] = {}
        for column in self.columns:
            if column.used:
                counts[column.kind] = counts.get(column.kind, 0) + 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form."""
        document = asdict(self)
        document["kinds"] = self.kinds_count()
        return document

    def step(
        self, action: str, detail: str, *, rows: int = 0, columns: list[str] | None = None
    ) -> None:
        """Record a cleaning step and log it."""
        self.steps.append(
            CleaningStep(action=action, detail=detail, rows=rows, columns=list(columns or []))
        )
        logger.info("%s: %s", action, detail)

    def warn(self, message: str) -> None:
        """Record a warning and log it."""
        self.warnings.append(message)
        logger.warning("%s", message)


@dataclass(frozen=True)
class TrainingTable:
    """Features and target, checked, cleaned and typed.

    Attributes:
        features: The used feature columns, converted to their kinds.
        target: The target values, aligned with ``features``.
        task: The task (given by the recipe or inferred).
        classes: Sorted class labels for classification, else ``None``.
        target_name: The target column's name.
        kinds: Each used feature column's kind.
        profile: What the data looked like and what preparation did.
    """

    features: pd.DataFrame
    target: np.ndarray
    task: Task
    classes: list[Any] | None
    target_name: str
    kinds: dict[str, str]
    profile: DataProfile


def prepare(
    frame: pd.DataFrame,
    target: str,
    task: str,
    *,
    cv: int,
    columns: Mapping[str, str] | None = None,
) -> TrainingTable:
    """Check, clean and type ``frame`` for learning ``target`` (see the module docstring).

    Args:
        frame: The loaded table.
        target: The target column.
        task: ``auto`` or a task name.
        cv: Cross-validation folds (every class needs at least this many rows).
        columns: Kind overrides by column name (``data.columns``).

    Raises:
        DataError: what is wrong with the data and how to fix it.
    """
    profile = DataProfile(rows_loaded=len(frame), columns_loaded=int(frame.shape[1]), target=target)
    frame = _check_target(frame, target, profile)
    overrides = _check_overrides(frame, target, dict(columns or {}))
    duplicated = frame.duplicated()
    if duplicated.any():
        count = int(duplicated.sum())
        frame = frame.loc[~duplicated]
        profile.step(
            "dropped duplicate rows", f"{count} rows repeated another row exactly", rows=count
        )
    features = frame.drop(columns=[target])
    types = infer_types(features, overrides)
    _profile_columns(features, types, profile)
    dropped = [t for t in types.values() if t.kind not in USED_KINDS]
    for column_type in dropped:
        profile.step(
            f"dropped column {column_type.name!r}", column_type.reason, columns=[column_type.name]
        )
    converted, conversions = convert(features, types)
    _report_trimmed(features, converted, types, profile)
    for conversion in conversions:
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
    values, classes = _target_values(labels, resolved_task, target, cv)
    _warn_on_leakage(converted, values, resolved_task, profile)
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
    )


def _check_target(frame: pd.DataFrame, target: str, profile: DataProfile) -> pd.DataFrame:
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


def _report_trimmed(
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


def _check_overrides(frame: pd.DataFrame, target: str, overrides: dict[str, str]) -> dict[str, str]:
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


def _profile_columns(
    features: pd.DataFrame, types: Mapping[str, ColumnType], profile: DataProfile
) -> None:
    rows = max(len(features), 1)
    for name, column_type in types.items():
        column = features[name]
        profile.columns.append(
            ColumnProfile(
                name=name,
                kind=column_type.kind,
                reason=column_type.reason,
                dtype=str(column.dtype),
                missing_share=round(float(column.isna().sum()) / rows, 4),
                distinct=int(column.nunique()),
                used=column_type.kind in USED_KINDS,
            )
        )


def _target_values(
    labels: pd.Series, task: Task, target: str, cv: int
) -> tuple[np.ndarray, list[Any] | None]:
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
        return labels.to_numpy(dtype=float), None
    values = _class_labels(labels)
    classes = sorted(np.unique(values).tolist())
    if task is Task.BINARY and len(classes) != 2:
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
    return values, classes


def _class_labels(labels: pd.Series) -> np.ndarray:
    """Class labels as a plain numpy array (str for text, else the values' own type)."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(labels) or pd.api.types.is_integer_dtype(labels):
        return labels.to_numpy()
    if pd.api.types.is_float_dtype(labels) and (labels == labels.round()).all():
        return labels.astype("int64").to_numpy()
    if pd.api.types.is_numeric_dtype(labels):
        return labels.to_numpy()
    return labels.astype(str).to_numpy(dtype=object)


def _warn_on_leakage(
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


def with_test_rows(table: TrainingTable, frame: pd.DataFrame) -> TrainingTable:
    """``table`` with the rows of a separate test set (``data.test_source``) appended.

    The test rows are typed like the training rows; they become the holdout. Rows without a
    target are dropped; missing feature columns and classes never seen in training are errors.
    """
    import numpy as np
    import pandas as pd

    from automl.data.types import ColumnType

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
    types = {name: ColumnType(name, kind, "as in training") for name, kind in table.kinds.items()}  # type: ignore[arg-type]
    features, conversions = convert(frame.loc[keep, list(table.kinds)], types)
    for conversion in conversions:
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
        test_target = _class_labels(labels[keep])
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
    return TrainingTable(
        features=combined,
        target=np.concatenate([table.target, test_target]),
        task=table.task,
        classes=table.classes,
        target_name=target,
        kinds=table.kinds,
        profile=table.profile,
    )
