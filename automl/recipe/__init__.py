"""Recipes: the YAML file that describes a whole run.

:func:`load_recipe` reads a file, checks it against the schema (:mod:`automl.recipe.schema`),
resolves component names against the installed plugins and validates each component's
parameters with the plugin's own model, reporting every problem at once.
:func:`recipe_json_schema` gives the JSON Schema of recipes for the installed plugins.

Modules: :mod:`~automl.recipe.load` (reading and the steps in order), :mod:`~automl.recipe.yamlio`
(strict YAML with line numbers), :mod:`~automl.recipe.interpolate` (``${VAR}``),
:mod:`~automl.recipe.schema` (the sections), :mod:`~automl.recipe.choices` (named choices from
:mod:`automl.options`), :mod:`~automl.recipe.dimensions` (search-space overrides),
:mod:`~automl.recipe.components` and :mod:`~automl.recipe.resolve` (names and parameters),
:mod:`~automl.recipe.resolved` (the result), :mod:`~automl.recipe.issues` (problem reports) and
:mod:`~automl.recipe.jsonschema`.
"""

from __future__ import annotations

from automl.recipe.dimensions import ChoiceDimension, Dimension, FixedDimension, RangeDimension
from automl.recipe.execution import ExecutionSpec
from automl.recipe.jsonschema import recipe_json_schema
from automl.recipe.load import load_recipe, parse_recipe
from automl.recipe.resolved import FilledDefault, ResolvedComponent, ResolvedModel, ResolvedRecipe
from automl.recipe.schema import (
    DEFAULT_METRICS,
    DEFAULT_TIME_BUDGET,
    ComponentConfig,
    DataSpec,
    ModelConfig,
    Recipe,
    SearchSpec,
)

__all__ = [
    "DEFAULT_METRICS",
    "DEFAULT_TIME_BUDGET",
    "ChoiceDimension",
    "ComponentConfig",
    "DataSpec",
    "Dimension",
    "ExecutionSpec",
    "FilledDefault",
    "FixedDimension",
    "ModelConfig",
    "RangeDimension",
    "Recipe",
    "ResolvedComponent",
    "ResolvedModel",
    "ResolvedRecipe",
    "SearchSpec",
    "load_recipe",
    "parse_recipe",
    "recipe_json_schema",
]
