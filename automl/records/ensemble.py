"""What ``run.json`` says about the ensemble built after the search."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EnsembleRecord", "MemberRecord"]


@dataclass(frozen=True)
class MemberRecord:
    """A member of the ensemble: its trial, its model's name and its weight."""

    trial: int
    model: str
    weight: float

    def to_dict(self) -> dict[str, Any]:
        return {"trial": self.trial, "model": self.model, "weight": self.weight}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MemberRecord:
        return cls(trial=int(data["trial"]), model=str(data["model"]), weight=float(data["weight"]))


@dataclass
class EnsembleRecord:
    """The ensemble of a run, chosen or not.

    Attributes:
        members: Its members, largest weight first (after any were dropped at the refit).
        steps: Selection steps of the kept prefix of the trajectory.
        candidates: Distinct trials it was selected from.
        cv_mean: Its cross-validated primary score (mean over the folds, as for a trial).
        cv_std: The standard deviation of that score over the folds.
        best_single_cv: The best single trial's cross-validated primary score.
        chosen: Whether it became the packaged model.
        reason: Why it was not chosen, or what changed it at the refit.
        dropped: Trials dropped at the refit (out of time, or their refit failed).
        predict_ms_per_row: Milliseconds per row the packaged ensemble took to predict a batch.
    """

    members: list[MemberRecord]
    steps: int
    candidates: int
    cv_mean: float | None
    cv_std: float | None
    best_single_cv: float | None
    chosen: bool = False
    reason: str | None = None
    dropped: list[int] = field(default_factory=list)
    predict_ms_per_row: float | None = None

    @property
    def weights(self) -> dict[int, float]:
        """Weight per member trial."""
        return {member.trial: member.weight for member in self.members}

    def describe(self) -> str:
        """``ensemble of 4 (lightgbm (2) 0.52, extra_trees 0.32, logistic 0.16)``: the total
        weight of each model, largest first, with how many members it has when several."""
        weights: dict[str, float] = {}
        counts: dict[str, int] = {}
        for member in self.members:
            weights[member.model] = weights.get(member.model, 0.0) + member.weight
            counts[member.model] = counts.get(member.model, 0) + 1
        parts = ", ".join(
            f"{model}{f' ({counts[model]})' if counts[model] > 1 else ''} {weight:.2f}"
            for model, weight in sorted(weights.items(), key=lambda item: -item[1])
        )
        return f"ensemble of {len(self.members)} ({parts})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "members": [member.to_dict() for member in self.members],
            "steps": self.steps,
            "candidates": self.candidates,
            "cv_mean": self.cv_mean,
            "cv_std": self.cv_std,
            "best_single_cv": self.best_single_cv,
            "chosen": self.chosen,
            "reason": self.reason,
            "dropped": list(self.dropped),
            "predict_ms_per_row": self.predict_ms_per_row,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EnsembleRecord:
        return cls(
            members=[MemberRecord.from_dict(m) for m in data.get("members") or []],
            steps=int(data["steps"]),
            candidates=int(data.get("candidates") or 0),
            cv_mean=data.get("cv_mean"),
            cv_std=data.get("cv_std"),
            best_single_cv=data.get("best_single_cv"),
            chosen=bool(data.get("chosen", False)),
            reason=data.get("reason"),
            dropped=[int(trial) for trial in data.get("dropped") or []],
            predict_ms_per_row=data.get("predict_ms_per_row"),
        )
