"""Records of trials: how a trial ended, why it failed, its scores."""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FailureKind", "MetricScores", "TrialFailure", "TrialRecord", "TrialState"]


class TrialState(enum.StrEnum):
    """How a trial ended."""

    COMPLETE = "complete"
    PRUNED = "pruned"
    FAILED = "failed"


class FailureKind(enum.StrEnum):
    """Why a trial did not complete."""

    ERROR = "error"
    """The model (or its parameters) raised; the configuration is at fault."""
    WORKER_DIED = "worker_died"
    """The worker process or Ray worker died; the trial runs once more."""
    TIMED_OUT = "timed_out"
    """Still running at the time budget; cancelled (a resume runs it again)."""
    INTERRUPTED = "interrupted"
    """Still running when the run was stopped (Ctrl-C, SIGTERM); a resume runs it again."""
    PRUNED = "pruned"
    """Stopped early by the pruner."""


@dataclass(frozen=True)
class TrialFailure:
    """Why a trial did not complete: its kind, a one-line message and, for errors, the traceback."""

    kind: FailureKind
    message: str
    traceback: str | None = None

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "message": self.message, "traceback": self.traceback}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrialFailure:
        return cls(
            kind=FailureKind(data["kind"]),
            message=str(data["message"]),
            traceback=data.get("traceback"),
        )


@dataclass(frozen=True)
class MetricScores:
    """One metric over the folds a trial ran: mean, standard deviation and the fold values.

    Non-finite values are ``None`` (JSON has no NaN).
    """

    mean: float | None
    std: float | None
    folds: tuple[float | None, ...] = ()

    @classmethod
    def of(cls, values: Sequence[float]) -> MetricScores:
        """The scores of ``values``, one per fold."""
        import statistics

        if not values:
            return cls(mean=None, std=None)
        folds = tuple(_finite(value) for value in values)
        if None in folds:  # a NaN or infinite fold score makes the summary undefined
            return cls(mean=None, std=None, folds=folds)
        std = _finite(statistics.pstdev(values)) if len(values) > 1 else 0.0
        return cls(mean=_finite(statistics.fmean(values)), std=std, folds=folds)

    def to_dict(self) -> dict[str, Any]:
        return {"mean": self.mean, "std": self.std, "folds": list(self.folds)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MetricScores:
        return cls(mean=data.get("mean"), std=data.get("std"), folds=tuple(data.get("folds", ())))


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True)
class TrialRecord:
    """A finished trial (complete, pruned or failed), as the study and ``trials.json`` keep it.

    Attributes:
        number: The Optuna trial number.
        state: How it ended.
        model: The model's name.
        params: The model's parameters (plain names, as its factory takes them).
        value: The mean of the primary metric over the folds it ran (all of them for a complete
            trial; a pruned or failed trial's value covers only its first folds).
        scores: Every metric over the folds run.
        folds_done: Folds fitted.
        fit_time: Mean seconds per fold fit.
        predict_time_per_1000: Seconds to predict 1,000 rows.
        failure: Why it did not complete (``None`` for a complete trial).
        retry_of: The trial this one runs again (its worker died), if any.
        rows_fraction: The share of each fold's training rows its fits used (a first, cheap
            trial on large data), and of every training row its refit uses; ``None``: all.
    """

    number: int
    state: TrialState
    model: str
    params: Mapping[str, Any] = field(default_factory=dict)
    value: float | None = None
    scores: Mapping[str, MetricScores] = field(default_factory=dict)
    folds_done: int = 0
    fit_time: float | None = None
    predict_time_per_1000: float | None = None
    failure: TrialFailure | None = None
    retry_of: int | None = None
    rows_fraction: float | None = None

    @property
    def error(self) -> str | None:
        """The failure message, if the trial failed."""
        return self.failure.message if self.failure is not None else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "state": self.state.value,
            "model": self.model,
            "params": dict(self.params),
            "value": self.value,
            "scores": {name: scores.to_dict() for name, scores in self.scores.items()},
            "folds_done": self.folds_done,
            "fit_time": self.fit_time,
            "predict_time_per_1000": self.predict_time_per_1000,
            "failure": self.failure.to_dict() if self.failure is not None else None,
            "retry_of": self.retry_of,
            "rows_fraction": self.rows_fraction,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrialRecord:
        failure = data.get("failure")
        return cls(
            number=int(data["number"]),
            state=TrialState(data["state"]),
            model=str(data.get("model")),
            params=dict(data.get("params") or {}),
            value=data.get("value"),
            scores={
                name: MetricScores.from_dict(value)
                for name, value in (data.get("scores") or {}).items()
            },
            folds_done=int(data.get("folds_done") or 0),
            fit_time=data.get("fit_time"),
            predict_time_per_1000=data.get("predict_time_per_1000"),
            failure=TrialFailure.from_dict(failure) if failure else None,
            retry_of=data.get("retry_of"),
            rows_fraction=data.get("rows_fraction"),
        )
