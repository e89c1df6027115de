"""The recipe's ``execution`` section: where trials run."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from automl.addresses import check_address
from automl.options import Backend, names
from automl.recipe.choices import BackendName
from automl.recipe.section import RecipeSection, auto_or_whole

__all__ = ["ExecutionSpec"]


class ExecutionSpec(RecipeSection):
    """Where trials run."""

    backend: BackendName = Field(
        default=Backend.LOCAL.value, description=" or ".join(names(Backend)) + "."
    )
    workers: int | Literal["auto"] = Field(
        default="auto",
        description="Trials run at once: a number >= 1, or auto (all CPUs).",
        json_schema_extra={"anyOf": [{"type": "integer", "minimum": 1}, {"const": "auto"}]},
    )
    address: str | None = Field(
        default=None, description="Address of an existing Ray cluster (backend: ray only)."
    )
    deterministic: bool = Field(
        default=False,
        description=(
            "Ask trials in fixed batches and record them in trial order, so that a trial-count "
            "budget gives the same leaderboard every time (slower with several workers)."
        ),
    )

    @field_validator("workers", mode="wrap")
    @classmethod
    def _workers_rule(cls, value: Any, handler: Any) -> int | str:
        return auto_or_whole(value, "workers", 1)

    @field_validator("address")
    @classmethod
    def _address_form(cls, value: str | None) -> str | None:
        return None if value is None else check_address(value)

    @model_validator(mode="after")
    def _check(self) -> ExecutionSpec:
        if self.address is not None and self.backend != Backend.RAY:
            raise ValueError(
                "address applies to backend: ray only; set backend: ray or remove address"
            )
        return self
