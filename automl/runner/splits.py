"""How the prepared rows are split: training rows and holdout rows, then cross-validation folds
over the training rows. Fixed by the seed, so a resumed run splits the same way."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from automl.errors import DataError
from automl.specs import Task

if TYPE_CHECKING:
    import numpy as np

    from automl.data import TrainingTable

__all__ = ["Split", "folds", "holdout_split", "test_split"]


@dataclass
class Split:
    """Positions of the training rows and the holdout rows in the prepared table."""

    train_rows: np.ndarray
    holdout_rows: np.ndarray
    folds: list[tuple[Any, Any]] = field(default_factory=list)


def test_split(training_rows: int, total_rows: int) -> Split:
    """The first ``training_rows`` train; the rest (a separate test source) is the holdout."""
    import numpy as np

    return Split(
        train_rows=np.arange(0, training_rows), holdout_rows=np.arange(training_rows, total_rows)
    )


def holdout_split(table: TrainingTable, holdout: float, seed: int) -> Split:
    """Keep a ``holdout`` fraction of the rows out (stratified for classification).

    Raises:
        DataError: the rows cannot be split so (e.g. a class with a single row).
    """
    import numpy as np
    from sklearn.model_selection import train_test_split

    indices = np.arange(len(table.target))
    if holdout <= 0:
        return Split(train_rows=indices, holdout_rows=indices[:0])
    stratify = table.target if table.task is not Task.REGRESSION else None
    try:
        train, test = train_test_split(
            indices, test_size=holdout, random_state=seed, stratify=stratify
        )
    except ValueError as exc:
        raise DataError(f"cannot keep a {holdout:.0%} holdout (data.holdout): {exc}") from exc
    return Split(train_rows=np.sort(train), holdout_rows=np.sort(test))


def folds(table: TrainingTable, train_rows: Any, cv: int, seed: int) -> list[tuple[Any, Any]]:
    """``cv`` shuffled folds over the training rows (stratified for classification).

    Raises:
        DataError: a class has fewer training rows than folds.
    """
    from sklearn.model_selection import KFold, StratifiedKFold

    target = table.target[train_rows]
    if table.task is Task.REGRESSION:
        splitter: Any = KFold(n_splits=cv, shuffle=True, random_state=seed)
    else:
        counts = {label: int((target == label).sum()) for label in table.classes or []}
        smallest = min(counts.values())
        if smallest < cv:
            raise DataError(
                f"after keeping the holdout, a class has {smallest} training rows, fewer than the "
                f"{cv} cross-validation folds (search.cv); lower search.cv or data.holdout"
            )
        splitter = StratifiedKFold(n_splits=cv, shuffle=True, random_state=seed)
    return list(splitter.split(train_rows, target))
