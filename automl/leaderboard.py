"""The ranked leaderboard of a run: one row per completed trial, best first.

Built from the trials' records, written as ``leaderboard.csv`` and ``leaderboard.json`` in the
run directory (the run directory module names the files), and read back by the run reader.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from automl.records import LeaderboardRow, TrialRecord, TrialState

__all__ = ["Leaderboard"]


@dataclass
class Leaderboard:
    """Completed trials ranked by the primary metric.

    Attributes:
        metric: The primary metric.
        direction: ``maximize`` or ``minimize``.
        metrics: The secondary metrics.
        rows: One row per completed trial, best first.
    """

    metric: str
    direction: str
    metrics: list[str]
    rows: list[LeaderboardRow] = field(default_factory=list)

    @classmethod
    def from_records(
        cls, records: Iterable[TrialRecord], metric: str, metrics: Sequence[str], direction: str
    ) -> Leaderboard:
        """Rank the complete trials among ``records`` (ties: the earlier trial first)."""
        rows = [
            LeaderboardRow(
                rank=0,
                trial=record.number,
                model=record.model,
                scores={
                    name: record.scores[name]
                    for name in [metric, *metrics]
                    if name in record.scores
                },
                fit_time=record.fit_time,
                predict_time_per_1000=record.predict_time_per_1000,
                params=dict(record.params),
                rows_fraction=record.rows_fraction,
            )
            for record in records
            if record.state is TrialState.COMPLETE
        ]
        board = cls(metric=metric, direction=direction, metrics=list(metrics), rows=rows)
        board.rank()
        return board

    def rank(self) -> None:
        """Sort the rows best first and number them (ties: a trial before the ensemble, then
        the earlier trial)."""
        sign = -1.0 if self.direction == "maximize" else 1.0

        def order(row: LeaderboardRow) -> tuple[float, float]:
            value = row.mean(self.metric)
            trial = math.inf if row.trial is None else row.trial
            return (sign * value if isinstance(value, int | float) else math.inf, trial)

        self.rows.sort(key=order)
        for rank, row in enumerate(self.rows, start=1):
            row.rank = rank

    def add(self, row: LeaderboardRow) -> None:
        """Add a row (the ensemble's) and rank again."""
        self.rows.append(row)
        self.rank()

    def remove_ensemble(self) -> None:
        """Take the ensemble's row off (it was not built after all) and rank again."""
        self.rows = [row for row in self.rows if row.trial is not None]
        self.rank()

    @property
    def best_trial(self) -> LeaderboardRow | None:
        """The best row that is a trial (not the ensemble), or ``None``."""
        return next((row for row in self.rows if row.trial is not None), None)

    @property
    def ensemble(self) -> LeaderboardRow | None:
        """The ensemble's row, if one was built."""
        return next((row for row in self.rows if row.trial is None), None)

    @property
    def names(self) -> list[str]:
        """The primary metric, then the secondary ones."""
        return [self.metric, *self.metrics]

    @property
    def best(self) -> LeaderboardRow | None:
        """The best row, or ``None`` when no trial completed."""
        return self.rows[0] if self.rows else None

    def row(self, trial: int | None) -> LeaderboardRow | None:
        """The row of ``trial``, if it completed (``None``: the ensemble's row)."""
        return next((row for row in self.rows if row.trial == trial), None)

    def set_holdout(self, trial: int | None, scores: Mapping[str, float]) -> None:
        """Record the holdout scores of the refitted model of ``trial``."""
        row = self.row(trial)
        if row is not None:
            row.holdout.update(scores)

    def columns(self) -> list[str]:
        """The column order of the CSV file (``rows_fraction`` only when a trial fitted on a share
        of the rows)."""
        columns = ["rank", "trial", "model"]
        columns += [f"{name}_{part}" for name in self.names for part in ("mean", "std")]
        columns += [f"holdout_{name}" for name in self.names]
        columns += ["fit_time", "predict_time_per_1000", "params"]
        if any(row.rows_fraction is not None for row in self.rows):
            columns.append("rows_fraction")
        return columns

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``leaderboard.json``."""
        return {
            "metric": self.metric,
            "direction": self.direction,
            "metrics": self.metrics,
            "rows": [row.to_flat(self.names) for row in self.rows],
        }

    def _repr_html_(self) -> str:
        """A table in Jupyter (IPython's rich display protocol)."""
        from automl.notebook import leaderboard_html

        return leaderboard_html(self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Aligned text in IPython's terminal shell."""
        from automl.notebook import leaderboard_text

        printer.text("Leaderboard(...)" if cycle else leaderboard_text(self))

    def to_csv(self) -> str:
        """The text of ``leaderboard.csv``."""
        handle = io.StringIO(newline="")
        writer = csv.DictWriter(handle, fieldnames=self.columns(), extrasaction="ignore")
        writer.writeheader()
        for row in self.rows:
            flat = row.to_flat(self.names)
            flat["params"] = json.dumps(flat["params"], sort_keys=True, default=str)
            writer.writerow(flat)
        return handle.getvalue()

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> Leaderboard:
        """Read the document of ``leaderboard.json``.

        Raises:
            ValueError: it is not a leaderboard written by automl.
        """
        try:
            metrics = list(document["metrics"])
            names = [document["metric"], *metrics]
            return cls(
                metric=document["metric"],
                direction=document["direction"],
                metrics=metrics,
                rows=[LeaderboardRow.from_flat(row, names) for row in document["rows"]],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a leaderboard written by automl: {exc}") from exc
