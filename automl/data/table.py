"""The training table: what preparation hands to the search."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from automl.data.profile import DataProfile
    from automl.data.types import ColumnKind
    from automl.specs import Task


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
        groups: A group id per row, equal for rows with identical feature values (the target
            aside), so that the splits keep such rows together; ``None`` when no two rows
            share their feature values.
    """

    features: pd.DataFrame
    target: np.ndarray
    task: Task
    classes: list[Any] | None
    target_name: str
    kinds: dict[str, ColumnKind]
    profile: DataProfile
    groups: np.ndarray | None = None
