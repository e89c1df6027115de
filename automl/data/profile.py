"""The data profile: what the data looked like and what preparation did to it."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from automl.data.types import USED_KINDS, ColumnType

if TYPE_CHECKING:
    import pandas as pd

# Logged as preparation's: the steps are what `prepare` did, wherever they are recorded.
logger = logging.getLogger("automl.data.prepare")


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
    duplicate_rows: int = 0
    """Rows that repeat another row exactly, target included (counted before any dropping)."""
    duplicates_dropped: bool = False
    """Whether those rows were dropped (``data.drop_duplicates``); by default they are kept."""
    conflicting_rows: int = 0
    """Rows whose feature values another row shares with a different target."""
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


def profile_columns(
    features: pd.DataFrame, types: Mapping[str, ColumnType], profile: DataProfile
) -> None:
    """Add each feature column, its kind and why, missing share and distinct values to ``profile``.

    Args:
        features: The feature columns as loaded (before conversion).
        types: Each column's kind.
        profile: The profile to add the columns to.
    """
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
