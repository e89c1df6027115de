"""Command-line overrides of a recipe's budget and execution settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from automl.recipe import ResolvedRecipe

__all__ = ["requested_budget", "with_overrides"]


def with_overrides(
    resolved: ResolvedRecipe,
    *,
    time_budget: float | None = None,
    n_trials: int | None = None,
    seed: int | None = None,
    backend: str | None = None,
    workers: int | None = None,
    address: str | None = None,
    where: str = "command line",
) -> ResolvedRecipe:
    """The recipe with command-line overrides applied (validated like the recipe itself).

    A budget given here (``time_budget`` or ``n_trials``) replaces the recipe's budget as a
    whole; an ``address`` implies the Ray backend. ``where`` names the overrides' origin in
    error messages.
    """
    import dataclasses

    from pydantic import ValidationError

    from automl.recipe.execution import ExecutionSpec
    from automl.recipe.issues import IssueCollector
    from automl.recipe.schema import SearchSpec

    recipe = resolved.recipe
    search = recipe.search.model_dump(include=recipe.search.model_fields_set)
    if time_budget is not None or n_trials is not None:
        search.pop("time_budget", None)
        search.pop("n_trials", None)
    updates = {"time_budget": time_budget, "n_trials": n_trials, "seed": seed}
    search.update({key: value for key, value in updates.items() if value is not None})
    execution = recipe.execution.model_dump(include=recipe.execution.model_fields_set)
    if address is not None and backend is None:
        backend = "ray"
    changes = {"backend": backend, "workers": workers, "address": address}
    execution.update({key: value for key, value in changes.items() if value is not None})
    issues = IssueCollector(where)
    try:
        new_search = SearchSpec.model_validate(search)
    except ValidationError as exc:
        issues.add_validation_error(exc, ("search",), SearchSpec)
    try:
        new_execution = ExecutionSpec.model_validate(execution)
    except ValidationError as exc:
        issues.add_validation_error(exc, ("execution",), ExecutionSpec)
    issues.raise_if_any()
    new_recipe = recipe.model_copy(update={"search": new_search, "execution": new_execution})
    return dataclasses.replace(resolved, recipe=new_recipe)


def requested_budget(resolved: ResolvedRecipe) -> dict[str, Any]:
    """``time_budget`` and ``n_trials`` as the recipe file states them (before overrides;
    the schema's default where the file is silent)."""
    import yaml

    from automl.recipe.schema import DEFAULT_TIME_BUDGET

    try:
        document = yaml.safe_load(resolved.text) or {}
    except yaml.YAMLError:
        document = {}
    search = document.get("search") if isinstance(document, dict) else None
    search = search if isinstance(search, dict) else {}
    requested = {key: search.get(key) for key in ("time_budget", "n_trials")}
    if requested["time_budget"] is None and requested["n_trials"] is None:
        requested["time_budget"] = DEFAULT_TIME_BUDGET
    return requested
