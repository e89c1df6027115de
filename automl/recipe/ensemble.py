"""The recipe's ``ensemble`` section: greedy ensemble selection over the best trials."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["EnsembleSpec"]


class EnsembleSpec(BaseModel):
    """Greedy ensemble selection (Caruana et al. 2004) over the best trials' out-of-fold
    predictions; the ensemble replaces the best single model only when its cross-validated
    score is better."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(
        default=True, description="Build an ensemble of the best trials after the search."
    )
    size: int = Field(
        default=25,
        ge=1,
        le=1000,
        description=(
            "Selection steps (with replacement): a member's weight is the share of steps "
            "that chose it."
        ),
    )
    candidates: int = Field(
        default=50,
        ge=2,
        description=(
            "The best distinct trials considered (at most search.keep_predictions, whose "
            "out-of-fold predictions are kept)."
        ),
    )
    max_members: int | None = Field(
        default=None, ge=1, description="Most distinct models in the ensemble; default: no cap."
    )
    max_latency_ms: float | None = Field(
        default=None,
        gt=0,
        description=(
            "Most milliseconds per row the ensemble may take to predict (the sum of its "
            "members' measured prediction times); default: no cap."
        ),
    )

    @field_validator("size", "candidates", "max_members", "max_latency_ms", mode="before")
    @classmethod
    def _no_booleans(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError(f"expected a number, got {str(value).lower()}")
        return value
