"""The ranked leaderboard of a run: one row per completed trial, best first.

Built from the study's trial attributes, written as ``leaderboard.csv`` and ``leaderboard.json``
in the run directory, and read back by ``automl leaderboard``.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from automl.errors import UsageError

if TYPE_CHECKING:
    import optuna

CSV_FILE = "leaderboard.csv"
JSON_FILE = "leaderboard.json"


@dataclass
class Leaderboard:
    """Completed trials ranked by the primary metric.

    Attributes:
        metric: The primary metric.
        direction: ``maximize`` or ``minimize``.
        metrics: The secondary metrics.
        rows: One mapping per trial, best first (see :meth:`from_study` for the keys).
    """

    metric: str
    direction: str
    metrics: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_study(cls, study: optuna.Study, metric: str, metrics: Sequence[str]) -> Leaderboard:
        """Rank the study's completed trials.

        Each row has: ``rank``, ``trial``, ``model``, ``<metric>_mean`` and ``<metric>_std``
        for the primary and each secondary metric, ``fit_time`` (seconds per fold),
        ``predict_time_per_1000`` (seconds per 1,000 rows), ``params``; the refitted best row
        later gets ``holdout_<metric>`` values (see :meth:`set_holdout`).
        """
        from optuna.trial import TrialState

        direction = "maximize" if study.direction.name == "MAXIMIZE" else "minimize"
        rows = []
        for trial in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
            attrs = trial.user_attrs
            scores: Mapping[str, Any] = attrs.get("scores", {})
            row: dict[str, Any] = {"rank": 0, "trial": trial.number, "model": attrs.get("model")}
            for name in [metric, *metrics]:
                row[f"{name}_mean"] = scores.get(name, {}).get("mean")
                row[f"{name}_std"] = scores.get(name, {}).get("std")
            row["fit_time"] = attrs.get("fit_time")
            row["predict_time_per_1000"] = attrs.get("predict_time_per_1000")
            row["params"] = attrs.get("params", {})
            rows.append(row)
        sign = -1.0 if direction == "maximize" else 1.0

        def order(row: dict[str, Any]) -> tuple[float, int]:
            value = row[f"{metric}_mean"]
            return (sign * value if isinstance(value, int | float) else math.inf, row["trial"])

        rows.sort(key=order)
        for rank, row in enumerate(rows, start=1):
            row["rank"] = rank
        return cls(metric=metric, direction=direction, metrics=list(metrics), rows=rows)

    @property
    def best(self) -> dict[str, Any] | None:
        """The best row, or ``None`` when no trial completed."""
        return self.rows[0] if self.rows else None

    def set_holdout(self, trial: int, scores: Mapping[str, float]) -> None:
        """Record the holdout scores of the refitted model of ``trial``."""
        for row in self.rows:
            if row["trial"] == trial:
                for name, value in scores.items():
                    row[f"holdout_{name}"] = value

    def columns(self) -> list[str]:
        """The column order of the CSV file."""
        names = [self.metric, *self.metrics]
        columns = ["rank", "trial", "model"]
        columns += [f"{name}_{part}" for name in names for part in ("mean", "std")]
        columns += [f"holdout_{name}" for name in names]
        return [*columns, "fit_time", "predict_time_per_1000", "params"]

    def write(self, run_dir: Path) -> None:
        """Write ``leaderboard.csv`` and ``leaderboard.json`` (each atomically)."""
        document = {
            "metric": self.metric,
            "direction": self.direction,
            "metrics": self.metrics,
            "rows": self.rows,
        }
        write_text_atomic(run_dir / JSON_FILE, json.dumps(document, indent=2, default=str) + "\n")
        temporary = run_dir / f".{CSV_FILE}.tmp"
        with temporary.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=self.columns(), extrasaction="ignore")
            writer.writeheader()
            for row in self.rows:
                writer.writerow(
                    {**row, "params": json.dumps(row["params"], sort_keys=True, default=str)}
                )
        temporary.replace(run_dir / CSV_FILE)

    @classmethod
    def read(cls, run_dir: Path) -> Leaderboard:
        """Read the leaderboard a run wrote.

        Raises:
            UsageError: the folder holds no leaderboard, or an unreadable one.
        """
        path = Path(run_dir) / JSON_FILE
        if not path.is_file():
            raise UsageError(
                f"{run_dir} holds no {JSON_FILE}: give the folder of a finished run "
                "(the run directory that `automl run` printed)"
            )
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                metric=document["metric"],
                direction=document["direction"],
                metrics=list(document["metrics"]),
                rows=list(document["rows"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise UsageError(f"{path} is not a leaderboard written by automl: {exc}") from exc


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
