"""Typed records that cross layers: trials, failures, stop reasons, phases, leaderboard rows and
the run summary.

The search engine produces :class:`TrialRecord` objects, the leaderboard ranks them into
:class:`LeaderboardRow` objects, the runner keeps a :class:`RunSummary`, and the observer hooks,
``run.json`` and :func:`automl.open_run` all carry these same records. Each record turns into
plain JSON (``to_dict``) and back (``from_dict``), so what a run wrote reads back as what it
was. This module imports nothing heavy.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = [
    "RUN_SCHEMA_VERSION",
    "BestTrial",
    "BudgetRecord",
    "DeploymentRecord",
    "FailureKind",
    "LeaderboardRow",
    "MetricScores",
    "Phase",
    "RunStatus",
    "RunSummary",
    "StopReason",
    "TrialCounts",
    "TrialFailure",
    "TrialRecord",
    "TrialState",
]

RUN_SCHEMA_VERSION = 2
"""The version of ``run.json``; version 1 (before it was written) had no ``schema_version``."""


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

    @property
    def unfinished(self) -> bool:
        """Cut short by the run rather than ended by the trial: a resume runs it again."""
        return self in (FailureKind.TIMED_OUT, FailureKind.INTERRUPTED)


class StopReason(enum.StrEnum):
    """Why the search stopped."""

    TIME_BUDGET = "time_budget"
    N_TRIALS = "n_trials"
    INTERRUPTED = "interrupted"


class Phase(enum.StrEnum):
    """The phases of a run, in order."""

    LOAD = "load"
    PREPARE = "prepare"
    SEARCH = "search"
    REFIT = "refit"
    PACKAGE = "package"
    DEPLOY = "deploy"


class RunStatus(enum.StrEnum):
    """Where a run is."""

    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


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
        std = _finite(statistics.pstdev(values)) if len(values) > 1 else 0.0
        return cls(
            mean=_finite(statistics.fmean(values)),
            std=std,
            folds=tuple(_finite(value) for value in values),
        )

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
        value: The mean of the primary metric over the folds (``None`` unless complete).
        scores: Every metric over the folds run.
        folds_done: Folds fitted.
        fit_time: Mean seconds per fold fit.
        predict_time_per_1000: Seconds to predict 1,000 rows.
        failure: Why it did not complete (``None`` for a complete trial).
        retry_of: The trial this one runs again (its worker died), if any.
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
        )


@dataclass
class LeaderboardRow:
    """A completed trial on the leaderboard.

    Attributes:
        rank: 1 for the best.
        trial: The trial number.
        model: The model's name.
        scores: Cross-validated scores per metric.
        holdout: Holdout scores per metric (the refitted best model only).
        fit_time: Mean seconds per fold fit.
        predict_time_per_1000: Seconds to predict 1,000 rows.
        params: The model's parameters.
    """

    rank: int
    trial: int
    model: str
    scores: dict[str, MetricScores] = field(default_factory=dict)
    holdout: dict[str, float] = field(default_factory=dict)
    fit_time: float | None = None
    predict_time_per_1000: float | None = None
    params: dict[str, Any] = field(default_factory=dict)

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
        return row

    @classmethod
    def from_flat(cls, row: Mapping[str, Any], metrics: Sequence[str]) -> LeaderboardRow:
        """Read a row of the leaderboard files back."""
        return cls(
            rank=int(row["rank"]),
            trial=int(row["trial"]),
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
        )


@dataclass
class TrialCounts:
    """Trials counted toward the budget, by how they ended."""

    complete: int = 0
    pruned: int = 0
    failed: int = 0

    @property
    def finished(self) -> int:
        return self.complete + self.pruned + self.failed

    def to_dict(self) -> dict[str, int]:
        return {
            "complete": self.complete,
            "pruned": self.pruned,
            "failed": self.failed,
            "finished": self.finished,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrialCounts:
        return cls(
            complete=int(data.get("complete", 0)),
            pruned=int(data.get("pruned", 0)),
            failed=int(data.get("failed", 0)),
        )


@dataclass(frozen=True)
class BestTrial:
    """The trial whose configuration became the packaged model."""

    number: int
    model: str
    params: Mapping[str, Any]
    cv_mean: float | None
    cv_std: float | None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "params": dict(self.params)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BestTrial:
        return cls(
            number=int(data["number"]),
            model=str(data["model"]),
            params=dict(data.get("params") or {}),
            cv_mean=data.get("cv_mean"),
            cv_std=data.get("cv_std"),
        )


@dataclass(frozen=True)
class DeploymentRecord:
    """What one deployer did: where the model now lives, or why it failed."""

    type: str
    path: str
    location: str | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DeploymentRecord:
        return cls(
            type=str(data["type"]),
            path=str(data.get("path", "")),
            location=data.get("location"),
            error=data.get("error"),
        )


@dataclass
class BudgetRecord:
    """The run's budget as requested, as applied, and the time each phase used.

    Attributes:
        requested: ``time_budget`` and ``n_trials`` as the recipe file gives them.
        time_budget: The time budget in force (after command-line overrides), seconds.
        n_trials: The trial budget in force.
        used: Seconds per phase.
        total: Seconds from the start of the run to its end.
    """

    requested: dict[str, Any] = field(default_factory=dict)
    time_budget: float | None = None
    n_trials: int | None = None
    used: dict[str, float] = field(default_factory=dict)
    total: float | None = None

    @property
    def overrun(self) -> float | None:
        """Seconds past the time budget (0 when within it), once the run ended."""
        if self.time_budget is None or self.total is None:
            return None
        return max(0.0, round(self.total - self.time_budget, 3))

    def to_dict(self) -> dict[str, Any]:
        return {
            "requested": dict(self.requested),
            "time_budget": self.time_budget,
            "n_trials": self.n_trials,
            "used": dict(self.used),
            "total": self.total,
            "overrun": self.overrun,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BudgetRecord:
        return cls(
            requested=dict(data.get("requested") or {}),
            time_budget=data.get("time_budget"),
            n_trials=data.get("n_trials"),
            used=dict(data.get("used") or {}),
            total=data.get("total"),
        )


@dataclass
class RunSummary:
    """What ``run.json`` holds: the state and the results of one run.

    Written from this record and read back into it (:meth:`to_dict`, :meth:`from_dict`).
    ``data`` is the data fingerprint (rows, columns, sha256, training and holdout rows).
    """

    recipe: str
    status: RunStatus = RunStatus.RUNNING
    message: str | None = None
    recipe_file: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    seed: int | None = None
    versions: dict[str, str | None] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    budget: BudgetRecord = field(default_factory=BudgetRecord)
    task: str | None = None
    target: str | None = None
    metric: str | None = None
    direction: str | None = None
    metrics: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    trials: TrialCounts = field(default_factory=TrialCounts)
    stopped_by: StopReason | None = None
    resumed: bool = False
    best_trial: BestTrial | None = None
    holdout: dict[str, float] | None = None
    model_dir: str | None = None
    model_sha256: str | None = None
    deployments: list[DeploymentRecord] = field(default_factory=list)
    schema_version: int = RUN_SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``run.json``."""
        return {
            "schema_version": self.schema_version,
            "status": self.status.value,
            "message": self.message,
            "recipe": self.recipe,
            "recipe_file": self.recipe_file,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "seed": self.seed,
            "versions": dict(self.versions),
            "timings": dict(self.timings),
            "budget": self.budget.to_dict(),
            "task": self.task,
            "target": self.target,
            "metric": self.metric,
            "direction": self.direction,
            "metrics": list(self.metrics),
            "models": list(self.models),
            "data": dict(self.data),
            "trials": self.trials.to_dict(),
            "stopped_by": self.stopped_by.value if self.stopped_by is not None else None,
            "resumed": self.resumed,
            "best_trial": self.best_trial.to_dict() if self.best_trial is not None else None,
            "holdout": dict(self.holdout) if self.holdout is not None else None,
            "model_dir": self.model_dir,
            "model_sha256": self.model_sha256,
            "deployments": [deployment.to_dict() for deployment in self.deployments],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunSummary:
        """Read a ``run.json`` document (version 1 documents too).

        Raises:
            ValueError: the document is not a run summary written by automl.
        """
        try:
            best = data.get("best_trial")
            stopped = data.get("stopped_by")
            return cls(
                schema_version=int(data.get("schema_version", 1)),
                status=RunStatus(data["status"]),
                message=data.get("message"),
                recipe=str(data["recipe"]),
                recipe_file=data.get("recipe_file"),
                started_at=data.get("started_at"),
                finished_at=data.get("finished_at"),
                seed=data.get("seed"),
                versions=dict(data.get("versions") or {}),
                timings=dict(data.get("timings") or {}),
                budget=BudgetRecord.from_dict(data.get("budget") or {}),
                task=data.get("task"),
                target=data.get("target"),
                metric=data.get("metric"),
                direction=data.get("direction"),
                metrics=list(data.get("metrics") or []),
                models=list(data.get("models") or []),
                data=dict(data.get("data") or {}),
                trials=TrialCounts.from_dict(data.get("trials") or {}),
                stopped_by=StopReason(stopped) if stopped else None,
                resumed=bool(data.get("resumed", False)),
                best_trial=BestTrial.from_dict(best) if best else None,
                holdout=dict(data["holdout"]) if data.get("holdout") else None,
                model_dir=data.get("model_dir"),
                model_sha256=data.get("model_sha256"),
                deployments=[DeploymentRecord.from_dict(d) for d in data.get("deployments") or []],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a run summary written by automl: {exc}") from exc
