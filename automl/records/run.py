"""Records of a run: phases, stop reasons, the budget and the run summary (``run.json``)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from automl.records.ensemble import EnsembleRecord

__all__ = [
    "RUN_SCHEMA_VERSION",
    "BestTrial",
    "BudgetRecord",
    "DeploymentRecord",
    "Phase",
    "RunStatus",
    "RunSummary",
    "StopReason",
    "TrialCounts",
]

RUN_SCHEMA_VERSION = 2
"""The version of ``run.json``; version 1 (before it was written) had no ``schema_version``."""


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
    ENSEMBLE = "ensemble"
    REFIT = "refit"
    PACKAGE = "package"
    DEPLOY = "deploy"


class RunStatus(enum.StrEnum):
    """Where a run is."""

    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


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
    """What became the packaged model: a trial's configuration, or the ensemble (then
    ``number`` is ``None``, ``model`` is ``ensemble`` and ``params`` holds its members)."""

    number: int | None
    model: str
    params: Mapping[str, Any]
    cv_mean: float | None
    cv_std: float | None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "params": dict(self.params)}

    def describe(self) -> str:
        """``trial 12 (lightgbm)``, or ``ensemble of 3 members``."""
        if self.number is None:
            members = self.params.get("members") or []
            return f"{self.model} of {len(members)} members"
        return f"trial {self.number} ({self.model})"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BestTrial:
        return cls(
            number=int(data["number"]) if data.get("number") is not None else None,
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
    ensemble: EnsembleRecord | None = None
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
            "ensemble": self.ensemble.to_dict() if self.ensemble is not None else None,
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
                ensemble=EnsembleRecord.from_dict(data["ensemble"])
                if data.get("ensemble")
                else None,
                model_dir=data.get("model_dir"),
                model_sha256=data.get("model_sha256"),
                deployments=[DeploymentRecord.from_dict(d) for d in data.get("deployments") or []],
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"not a run summary written by automl: {exc}") from exc
