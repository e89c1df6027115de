"""The recipe schema, version 1: strict pydantic models of every section.

Unknown keys are errors everywhere. Components (data sources, models, deployers) are written as
``{type: NAME, ...}``; their own parameters are checked afterwards by the plugin's params model,
once the name is resolved (see :mod:`automl.recipe.resolve`). A model's ``search_space``
overrides are checked there too, against :mod:`automl.recipe.dimensions`.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import (
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from automl.options import Pruner, Sampler
from automl.recipe.choices import TASK_CHOICES, PrunerName, SamplerName, TaskChoice
from automl.recipe.ensemble import EnsembleSpec
from automl.recipe.execution import ExecutionSpec
from automl.recipe.section import RecipeSection, auto_or_whole
from automl.tasks import Task

DEFAULT_TIME_BUDGET = 300.0
"""Seconds of search when a recipe sets neither ``search.time_budget`` nor ``search.n_trials``."""

NAME_RULE = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"


class ComponentConfig(RecipeSection):
    """A component written inline, as ``{type: NAME, ...its parameters}``.

    The parameters are gathered into :attr:`params` and checked by the component's own model.
    """

    type: str = Field(description="The component's name, as listed by `automl plugins`.")
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _gather_params(cls, value: Any) -> Any:
        if isinstance(value, dict):
            gathered: dict[str, Any] = {"params": {k: v for k, v in value.items() if k != "type"}}
            if "type" in value:
                gathered["type"] = value["type"]
            return gathered
        return value


class ModelConfig(RecipeSection):
    """A model to search: a name, or ``{type: NAME, params: {...}, search_space: {...}}``."""

    type: str = Field(description="The model's name, as listed by `automl plugins`.")
    params: dict[str, Any] = Field(
        default_factory=dict, description="Fixed parameters: not searched, override defaults."
    )
    search_space: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "Overrides of the model's search space, per parameter: {low, high, log, step} "
            "for a range, a list (or {choices: [...]}) for a choice, a single value to fix it."
        ),
    )

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, value: Any) -> Any:
        return {"type": value} if isinstance(value, str) else value


class DataSpec(RecipeSection):
    """Where the data comes from and what to predict."""

    source: ComponentConfig | None = Field(
        default=None,
        description=(
            "{type: NAME, ...}: the data source and its parameters (required unless the data "
            "is given in Python: automl.run(recipe, data=frame))."
        ),
    )
    target: str = Field(min_length=1, description="The column to predict.")
    holdout: float = Field(
        default=0.2,
        ge=0.0,
        lt=1.0,
        description="Share of rows kept out of the search for the final, honest score (0 = none).",
    )
    test_source: ComponentConfig | None = Field(
        default=None,
        description=(
            "{type: NAME, ...}: a separate test set, scored once by the refitted best model "
            "instead of a holdout split of the data."
        ),
    )
    columns: dict[
        str, Literal["numeric", "boolean", "datetime", "categorical", "text", "id", "drop"]
    ] = Field(
        default_factory=dict,
        description=(
            "Column kinds that override inference, e.g. {zip: categorical, notes: text, customer_id: drop}."
        ),
    )
    drop_duplicates: bool = Field(
        default=False,
        description=(
            "Drop rows that repeat another row exactly (default: keep them, as observations; "
            "rows with identical features always stay on one side of each split)."
        ),
    )

    @field_validator("drop_duplicates", mode="before")
    @classmethod
    def _only_booleans(cls, value: Any) -> Any:
        if not isinstance(value, bool):
            raise ValueError("expected true or false")
        return value

    @model_validator(mode="after")
    def _holdout_or_test_source(self) -> DataSpec:
        if self.test_source is not None and "holdout" in self.model_fields_set:
            raise ValueError(
                "set either holdout (a share of the data kept aside) or test_source (a separate test set), not both"
            )
        return self


class SearchSpec(RecipeSection):
    """How long and how to search."""

    time_budget: float | None = Field(
        default=None,
        gt=0,
        description=(
            "Wall-clock seconds for the whole run, refit and packaging included. "
            f"Defaults to {DEFAULT_TIME_BUDGET:g} when n_trials is not set either."
        ),
    )
    n_trials: int | None = Field(default=None, gt=0, description="Largest number of trials.")
    cv: int | Literal["auto"] = Field(
        default="auto",
        description=(
            "Cross-validation folds per trial: a number from 2 to 50, or auto: 5, and 3 for "
            "data of 10,000 rows or more (a trial then costs about half as much)."
        ),
        json_schema_extra={
            "anyOf": [{"type": "integer", "minimum": 2, "maximum": 50}, {"const": "auto"}]
        },
    )
    sampler: SamplerName = Field(default=Sampler.TPE.value, description="Optuna sampler.")
    pruner: PrunerName = Field(
        default=Pruner.MEDIAN.value,
        description="Optuna pruner that stops unpromising trials between folds.",
    )
    seed: int = Field(
        default=0, ge=0, description="Seed of the sampler, the splits and the models."
    )
    storage: str | None = Field(
        default=None,
        description=(
            "Database URL of the Optuna study (e.g. postgresql://host/db) for studies shared "
            "by a team; default: a journal file in the run directory."
        ),
    )
    keep_predictions: int = Field(
        default=50,
        ge=0,
        description=(
            "Keep the out-of-fold predictions of this many best trials in the run directory "
            "(for ensembles and reports); 0 keeps none."
        ),
    )

    warmup_rows: int = Field(
        default=0,
        ge=0,
        description=(
            "Rows each fold fits on in the first trial of every model (its default "
            "configuration), under a time budget alone: cheap first measures on large data; "
            "0: every row."
        ),
    )

    @field_validator("cv", mode="wrap")
    @classmethod
    def _cv_rule(cls, value: Any, handler: Any) -> int | str:
        return auto_or_whole(value, "cv", 2, 50)

    @field_validator(
        "time_budget", "n_trials", "seed", "keep_predictions", "warmup_rows", mode="before"
    )
    @classmethod
    def _no_booleans(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError(f"expected a number, got {str(value).lower()}")
        return value

    @model_validator(mode="before")
    @classmethod
    def _default_budget(cls, value: Any) -> Any:
        if (
            isinstance(value, dict)
            and value.get("time_budget") is None
            and value.get("n_trials") is None
        ):
            return {**value, "time_budget": DEFAULT_TIME_BUDGET}
        return value


class Recipe(RecipeSection):
    """A whole recipe (schema version 1)."""

    version: Literal[1] = Field(default=1, description="Recipe schema version.")
    name: str = Field(
        description="Name of the run (letters, digits, '_', '.', '-'); defaults to the file name.",
        json_schema_extra={"pattern": NAME_RULE},
    )
    task: TaskChoice = Field(
        default="auto", description="The learning task; auto infers it from the target."
    )
    data: DataSpec
    metric: str | None = Field(
        default=None,
        description="Primary metric; default by task: roc_auc (binary), log_loss (multiclass), rmse (regression).",
    )
    metrics: list[str] = Field(default_factory=list, description="Secondary metrics, reported too.")
    models: list[ModelConfig] | None = Field(
        default=None,
        description="Models to search; default: every installed model that fits the task.",
    )
    search: SearchSpec = Field(default_factory=lambda: SearchSpec.model_validate({}))
    execution: ExecutionSpec = Field(default_factory=ExecutionSpec)
    ensemble: EnsembleSpec = Field(default_factory=EnsembleSpec)
    deploy: list[ComponentConfig] = Field(
        default_factory=list,
        description="Deployers run on the packaged best model: [{type: NAME, ...}].",
    )

    @field_validator("name")
    @classmethod
    def _name_rule(cls, value: str) -> str:
        if not re.fullmatch(NAME_RULE, value):
            raise ValueError(
                "a name holds letters, digits, '_', '.' and '-', starts with a letter or digit, "
                "and has at most 100 characters"
            )
        return value

    @field_validator("task", mode="wrap")
    @classmethod
    def _task_choice(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError:
            # One list of choices, as for any other choice, not one error per member of the union.
            expected = ", ".join(map(repr, TASK_CHOICES[:-1])) + f" or {TASK_CHOICES[-1]!r}"
            raise PydanticCustomError(
                "literal_error", "Input should be {expected}", {"expected": expected}
            ) from None

    @field_validator("models")
    @classmethod
    def _models_not_empty(cls, value: list[ModelConfig] | None) -> list[ModelConfig] | None:
        if value is not None and not value:
            raise ValueError(
                "models is empty: list at least one model, or leave models out to search all"
            )
        return value


DEFAULT_METRICS: dict[Task, str] = {
    Task.BINARY: "roc_auc",
    Task.MULTICLASS: "log_loss",
    Task.REGRESSION: "rmse",
}
"""The primary metric used when a recipe names none."""
