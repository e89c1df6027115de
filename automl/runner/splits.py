"""How the prepared rows are split: training rows and holdout rows, then cross-validation folds
over the training rows. Fixed by the seed, so a resumed run splits the same way.

Rows with identical feature values (``TrainingTable.groups``) stay together: on one side of the
holdout and in one fold, so no model is scored on a copy of a row it was trained on. Without
such rows (``groups`` is ``None``, or no group repeats among the rows split) the splits are the
plain ones: ``train_test_split`` and ``StratifiedKFold``/``KFold``, shuffled with the seed.
With them:

- folds: ``StratifiedGroupKFold`` for classification (scikit-learn's algorithm, vectorised in
  :func:`stratified_group_kfold`), ``GroupKFold`` for regression (its shuffled form, in
  :func:`shuffled_group_kfold`), both shuffled with the seed;
- holdout, classification: one fold of a ``StratifiedGroupKFold`` of ``round(1 / holdout)``
  folds (for ``holdout`` above 0.5, every fold but one of ``round(1 / (1 - holdout))``), which
  keeps the class balance of the holdout close to the data's, at the cost of rounding the
  share: 0.2 keeps a fifth, 0.3 a third;
- holdout, regression: ``GroupShuffleSplit``, which keeps ``holdout`` of the groups.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from automl.errors import DataError
from automl.specs import Task

if TYPE_CHECKING:
    import numpy as np

    from automl.data import TrainingTable

__all__ = [
    "AUTO_FOLDS",
    "LARGE_DATA_FOLDS",
    "LARGE_DATA_ROWS",
    "Split",
    "cv_folds",
    "folds",
    "holdout_split",
    "shuffled_group_kfold",
    "stratified_group_kfold",
    "test_split",
    "warmup_fraction",
]

_KEPT_TOGETHER = "rows with identical features stay together"


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


def _repeating(groups: np.ndarray | None) -> np.ndarray | None:
    """``groups`` when some group holds two rows or more, else ``None`` (a plain split)."""
    import numpy as np

    if groups is None or len(np.unique(groups)) == len(groups):
        return None
    return groups


def shuffled_group_kfold(
    groups: np.ndarray, n_splits: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The folds of scikit-learn's ``GroupKFold(n_splits, shuffle=True, random_state=seed)``
    (scikit-learn 1.6 and later; automl supports 1.5, which cannot shuffle): the groups,
    shuffled by the seed, cut into ``n_splits`` runs of (nearly) equal counts of groups."""
    import numpy as np
    from sklearn.utils import check_random_state

    shuffled = check_random_state(seed).permutation(np.unique(groups))
    made = []
    for test_groups in np.array_split(shuffled, n_splits):
        test = np.isin(groups, test_groups)
        made.append((np.flatnonzero(~test), np.flatnonzero(test)))
    return made


def stratified_group_kfold(
    target: np.ndarray, groups: np.ndarray, n_splits: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The folds of scikit-learn's ``StratifiedGroupKFold(n_splits, shuffle=True,
    random_state=seed)``, as ``(train, test)`` positions: its algorithm, run vectorised.

    scikit-learn spends about half a millisecond per group (a minute for 100,000 rows with a
    few repeats among them); this gives the same folds (the tests compare them) in a fraction.
    Each group, largest class imbalance first (shuffled by the seed among equals), goes to the
    fold where the spread of every class's share across the folds stays smallest, ties to the
    fold with fewer rows.

    Raises:
        ValueError: more folds than groups, or than rows of every class (scikit-learn's messages).
    """
    import numpy as np
    from sklearn.utils import check_random_state

    _, classes, class_rows = np.unique(target, return_inverse=True, return_counts=True)
    if np.all(n_splits > class_rows):
        raise ValueError(
            f"n_splits={n_splits} cannot be greater than the number of members in each class."
        )
    _, group_of_row, group_rows = np.unique(groups, return_inverse=True, return_counts=True)
    n_groups = len(group_rows)
    if n_splits > n_groups:
        raise ValueError(
            f"Cannot have number of splits n_splits={n_splits} greater"
            f" than the number of groups: {n_groups}."
        )
    per_group = np.zeros((n_groups, len(class_rows)))
    np.add.at(per_group, (group_of_row, classes), 1)
    order = np.arange(n_groups)
    check_random_state(seed).shuffle(order)
    per_group = per_group[order]
    position = np.empty_like(order)
    position[order] = np.arange(n_groups)
    group_of_row = position[group_of_row]
    per_fold = np.zeros((n_splits, len(class_rows)))
    fold_of_group = np.empty(n_groups, dtype=np.int64)
    adding = np.eye(n_splits)[:, :, None]  # candidate i adds the group to fold i only
    totals = class_rows.reshape(1, 1, -1)
    for group in np.argsort(-np.std(per_group, axis=1), kind="stable"):
        candidates = per_fold[None, :, :] + adding * per_group[group]
        spreads = np.mean(np.std(candidates / totals, axis=1), axis=1).tolist()
        sizes = per_fold.sum(axis=1).tolist()
        best, best_spread, best_size = 0, float("inf"), float("inf")
        for fold, (spread, size) in enumerate(zip(spreads, sizes, strict=True)):
            close = best_size != float("inf") and abs(spread - best_spread) <= (
                1e-8 + 1e-5 * abs(best_spread)
            )  # numpy.isclose, as scikit-learn compares
            if spread < best_spread or (close and size < best_size):
                best, best_spread, best_size = fold, spread, size
        per_fold[best] += per_group[group]
        fold_of_group[group] = best
    fold_of_row = fold_of_group[group_of_row]
    return [
        (np.flatnonzero(fold_of_row != fold), np.flatnonzero(fold_of_row == fold))
        for fold in range(n_splits)
    ]


def holdout_split(table: TrainingTable, holdout: float, seed: int) -> Split:
    """Keep a ``holdout`` fraction of the rows out (stratified for classification), rows with
    identical features on one side (see the module docstring).

    Raises:
        DataError: the rows cannot be split so (e.g. a class with a single row).
    """
    import numpy as np
    from sklearn.model_selection import train_test_split

    indices = np.arange(len(table.target))
    if holdout <= 0:
        return Split(train_rows=indices, holdout_rows=indices[:0])
    groups = _repeating(table.groups)
    classification = table.task is not Task.REGRESSION
    try:
        if groups is not None:
            train, test = _grouped_holdout(table.target, groups, classification, holdout, seed)
        else:
            stratify = table.target if classification else None
            train, test = train_test_split(
                indices, test_size=holdout, random_state=seed, stratify=stratify
            )
    except ValueError as exc:
        together = f" ({_KEPT_TOGETHER})" if groups is not None else ""
        raise DataError(
            f"cannot keep a {holdout:.0%} holdout (data.holdout){together}: {exc}"
        ) from exc
    return Split(train_rows=np.sort(train), holdout_rows=np.sort(test))


def _grouped_holdout(
    target: np.ndarray, groups: np.ndarray, classification: bool, holdout: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    import numpy as np
    from sklearn.model_selection import GroupShuffleSplit

    rows = np.arange(len(target))
    if not classification:
        splitter = GroupShuffleSplit(n_splits=1, test_size=holdout, random_state=seed)
        train, test = next(splitter.split(rows, target, groups))
        return train, test
    share = holdout if holdout <= 0.5 else 1 - holdout
    n_folds = max(2, round(1 / share))
    rest, fold = stratified_group_kfold(target, groups, n_folds, seed)[0]
    return (rest, fold) if holdout <= 0.5 else (fold, rest)


AUTO_FOLDS = 5
"""Folds per trial for ``search.cv: auto``."""
LARGE_DATA_FOLDS, LARGE_DATA_ROWS = 3, 10_000
"""Folds for ``search.cv: auto`` when the data has this many rows or more."""


def cv_folds(cv: int | str, rows: int) -> int:
    """The folds per trial that ``search.cv`` means for data of ``rows`` rows: the number
    given, or for ``auto`` :data:`AUTO_FOLDS`, and :data:`LARGE_DATA_FOLDS` from
    :data:`LARGE_DATA_ROWS` rows on (3 fits on 2/3 of the rows cost about half of 5 fits on 4/5,
    so a time budget buys twice the trials, and 3 folds of that many rows still score well)."""
    if cv != "auto":
        return int(cv)
    return LARGE_DATA_FOLDS if rows >= LARGE_DATA_ROWS else AUTO_FOLDS


def folds(table: TrainingTable, train_rows: Any, cv: int, seed: int) -> list[tuple[Any, Any]]:
    """``cv`` shuffled folds over the training rows (stratified for classification), rows with
    identical features in one fold (see the module docstring).

    Raises:
        DataError: a class has fewer training rows than folds, or (with repeated features)
            too few distinct rows to fill the folds.
    """
    from sklearn.model_selection import KFold, StratifiedKFold

    target = table.target[train_rows]
    groups = _repeating(None if table.groups is None else table.groups[train_rows])
    if table.task is not Task.REGRESSION:
        counts = {label: int((target == label).sum()) for label in table.classes or []}
        smallest = min(counts.values())
        if smallest < cv:
            raise DataError(
                f"after keeping the holdout, a class has {smallest} training rows, fewer than the "
                f"{cv} cross-validation folds (search.cv); lower search.cv or data.holdout"
            )
    if groups is not None:
        return _grouped_folds(table, target, groups, cv, seed)
    splitter: Any
    if table.task is Task.REGRESSION:
        splitter = KFold(n_splits=cv, shuffle=True, random_state=seed)
    else:
        splitter = StratifiedKFold(n_splits=cv, shuffle=True, random_state=seed)
    return list(splitter.split(train_rows, target))


def _grouped_folds(
    table: TrainingTable, target: np.ndarray, groups: np.ndarray, cv: int, seed: int
) -> list[tuple[Any, Any]]:
    import numpy as np

    fix = "lower search.cv"
    distinct = len(np.unique(groups))
    if distinct < cv:
        raise DataError(
            f"the {len(target)} training rows have only {distinct} distinct feature values "
            f"({_KEPT_TOGETHER} in one fold), fewer than the {cv} cross-validation folds "
            f"(search.cv); {fix}"
        )
    if table.task is Task.REGRESSION:
        return shuffled_group_kfold(groups, cv, seed)
    for label in table.classes or []:
        spread = len(np.unique(groups[target == label]))
        if spread < cv:
            raise DataError(
                f"after keeping the holdout, the {int((target == label).sum())} training rows of "
                f"class {label!r} have only {spread} distinct feature values ({_KEPT_TOGETHER} "
                f"in one fold), too few for each of the {cv} cross-validation folds (search.cv); "
                f"{fix}"
            )
    made = stratified_group_kfold(target, groups, cv, seed)
    labels = set(np.unique(target).tolist())
    for number, (train, valid) in enumerate(made, start=1):
        for side, positions in (("training", train), ("validation", valid)):
            missing = labels - set(np.unique(target[positions]).tolist())
            if missing:
                raise DataError(
                    f"cross-validation fold {number} of {cv} has no {side} row of class "
                    f"{sorted(map(str, missing))[0]!r} ({_KEPT_TOGETHER} in one fold, and that "
                    f"class has too few distinct feature values to fill every fold); {fix}"
                )
    return made


def warmup_fraction(rows: int, folds: Sequence[tuple[np.ndarray, np.ndarray]]) -> float | None:
    """The share of each fold's training rows the first trial of each model fits on: ``rows``
    (``search.warmup_rows``) over the fewest training rows of a fold, or ``None`` (every row)
    when ``rows`` is 0 or no fewer than those."""
    fewest = min((len(train) for train, _ in folds), default=0)
    return rows / fewest if 0 < rows < fewest else None
