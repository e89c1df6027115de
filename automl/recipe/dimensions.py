"""Search-space overrides in a recipe: ``models[i].search_space.<param>``.

Each override is written as a range (``{low, high, log, step}``), a choice (a list, or
``{choices: [...]}``) or a single value that fixes the parameter; :func:`check_search_space`
validates a model's overrides against its parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, model_validator

from automl.naming import did_you_mean
from automl.params import Params
from automl.recipe.issues import IssueCollector, Loc
from automl.recipe.section import RecipeSection
from automl.registry import Component

__all__ = [
    "ChoiceDimension",
    "Dimension",
    "FixedDimension",
    "RangeDimension",
    "check_search_space",
    "dimension_model",
]


class RangeDimension(RecipeSection):
    """A numeric range: integers when ``low``, ``high`` (and ``step``) are integers."""

    low: int | float
    high: int | float
    log: bool = False
    step: int | float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _check(self) -> RangeDimension:
        if not self.low < self.high:
            raise ValueError(f"low < high must hold, but got (low={self.low}, high={self.high})")
        if self.log and self.low <= 0:
            raise ValueError(f"a log range needs low > 0, but got low={self.low}")
        if self.log and self.step is not None:
            raise ValueError(
                "log and step cannot be combined (Optuna samples either on a log scale or on a grid)"
            )
        return self

    @property
    def integer(self) -> bool:
        """Whether the range holds integers only."""
        bounds = (self.low, self.high, 1 if self.step is None else self.step)
        return all(isinstance(value, int) and not isinstance(value, bool) for value in bounds)


class ChoiceDimension(RecipeSection):
    """A choice among listed values."""

    choices: list[Any] = Field(min_length=1)


class FixedDimension(RecipeSection):
    """A single value: the parameter is not searched."""

    value: Any


Dimension = RangeDimension | ChoiceDimension | FixedDimension


def dimension_model(raw: Any) -> tuple[type[Dimension], Any]:
    """Which dimension model a raw recipe value is written for, and its normalised input.

    ``[a, b]`` is a choice, ``{choices: [...]}`` a choice, ``{value: x}`` or a plain value is
    fixed, any other mapping is a range.

    Args:
        raw: The override as written in the recipe.
    """
    if isinstance(raw, list):
        return ChoiceDimension, {"choices": raw}
    if isinstance(raw, dict):
        if "choices" in raw:
            return ChoiceDimension, raw
        if "value" in raw:
            return FixedDimension, raw
        return RangeDimension, raw
    return FixedDimension, {"value": raw}


def check_search_space(
    component: Component,
    params: Mapping[str, Any],
    search_space: Mapping[str, Any],
    *,
    loc: Loc,
    issues: IssueCollector,
    base_dir: Path,
) -> dict[str, Dimension] | None:
    """Validate a model's search-space overrides, recording every problem in ``issues``.

    Args:
        component: The model.
        params: Its fixed parameters as written (an override may not set one of them too).
        search_space: The overrides as written, by parameter name.
        loc: Where the model is written in the recipe (``("models", 0)``).
        issues: Where problems are recorded.
        base_dir: The folder relative paths resolve against (for the params model's checks).

    Returns:
        The overrides as dimensions, or ``None`` if any of them is invalid.
    """
    model = component.spec.params
    fields = list(model.model_fields)
    space: dict[str, Dimension] = {}
    ok = True
    for key, raw in search_space.items():
        key_loc: Loc = (*loc, "search_space", key)
        if key not in model.model_fields:
            issues.add(
                key_loc,
                f"model {component.name!r} has no parameter {key!r}.{did_you_mean(key, fields)} "
                f"Parameters: {', '.join(fields) or 'none'}.",
            )
            ok = False
            continue
        if key in params:
            issues.add(key_loc, f"{key!r} is set in both params and search_space; keep one of them")
            ok = False
            continue
        dimension_cls, normalised = dimension_model(raw)
        try:
            dimension = dimension_cls.model_validate(normalised)
        except ValidationError as exc:
            issues.add_validation_error(exc, key_loc, dimension_cls)
            ok = False
            continue
        if not _values_fit(model, params, key, dimension, key_loc, issues, base_dir):
            ok = False
            continue
        space[key] = dimension
    return space if ok else None


def _values_fit(
    model: type[Params],
    params: Mapping[str, Any],
    key: str,
    dimension: RecipeSection,
    loc: Loc,
    issues: IssueCollector,
    base_dir: Path,
) -> bool:
    """Check a dimension's values (bounds, choices, the fixed value) against the parameter."""
    values = [
        getattr(dimension, name) for name in ("low", "high", "value") if hasattr(dimension, name)
    ]
    values += list(getattr(dimension, "choices", []))
    ok = True
    for value in values:
        try:
            model.model_validate({**params, key: value}, context={"base_dir": base_dir})
        except ValidationError as exc:
            for detail in exc.errors(include_url=False):
                if tuple(detail["loc"][:1]) == (key,):
                    message = str(detail["msg"]).removeprefix("Value error, ")
                    issues.add(loc, f"{value!r} is not a valid value for {key!r}: {message}")
                    ok = False
    return ok
