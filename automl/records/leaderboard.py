"""A row of the leaderboard: a completed trial, ranked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from automl.records.trials import MetricScores

__all__ = ["LeaderboardRow"]


@dataclass
class LeaderboardRow:
    """A completed trial, or the ensemble, on the leaderboard.

    Attributes:
        rank: 1 for the best.
        trial: The trial number (``None`` for the ensemble, whose ``params`` hold its
            ``members``: trial, model and weight of each).
        model: The model's name.
        scores: Cross-validated scores per metric.
        holdout: Holdout scores per metric (the refitted best model only).
        fit_time: Mean seconds per fold fit.
        predict_time_per_1000: Seconds to predict 1,000 rows.
        params: The model's parameters.
        rows_fraction: The share of the training rows its fits use (``None``: all; see
            :class:`~automl.records.TrialRecord`).
    """

    rank: int
    trial: int | None
    model: str
    scores: dict[str, MetricScores] = field(default_factory=dict)
    holdout: dict[str, float] = field(default_factory=dict)
    fit_time: float | None = None
    predict_time_per_1000: float | None = None
    params: dict[str, Any] = field(default_factory=dict)
    rows_fraction: float | None = None

    def mean(self, metric: str) -> float | None:
        """The cross-validated mean of ``metric``."""
        scores = self.scores.get(metric)
        return scores.mean if scores is not None else None

    def std(self, metric: str) -> float | None:
        """The standard deviation of ``metric`` over the folds."""
        scores = self.scores.get(metric)
        return scores.std if scores is not None else None

    def to_flat(self, metrics: Sequence[str]) -> dict[str, Any]:
        """The row as the leaderboard files hold it: ``<metric>_mean``, ``<metric>_std``,
        ``holdout_<metric>`` columns."""
        row: dict[str, Any] = {"rank": self.rank, "trial": self.trial, "model": self.model}
        for name in metrics:
            row[f"{name}_mean"] = self.mean(name)
            row[f"{name}_std"] = self.std(name)
        for name, value in self.holdout.items():
            row[f"holdout_{name}"] = value
        row["fit_time"] = self.fit_time
        row["predict_time_per_1000"] = self.predict_time_per_1000
        row["params"] = dict(self.params)
        if self.rows_fraction is not None:
            row["rows_fraction"] = self.rows_fraction
        return row

    @classmethod
    def from_flat(cls, row: Mapping[str, Any], metrics: Sequence[str]) -> LeaderboardRow:
        """Read a row of the leaderboard files back."""
        return cls(
            rank=int(row["rank"]),
            trial=int(row["trial"]) if row.get("trial") not in (None, "") else None,
            model=str(row["model"]),
            scores={
                name: MetricScores(mean=row.get(f"{name}_mean"), std=row.get(f"{name}_std"))
                for name in metrics
            },
            holdout={
                name: float(row[f"holdout_{name}"])
                for name in metrics
                if row.get(f"holdout_{name}") is not None
            },
            fit_time=row.get("fit_time"),
            predict_time_per_1000=row.get("predict_time_per_1000"),
            params=dict(row.get("params") or {}),
            rows_fraction=row.get("rows_fraction"),
        )
