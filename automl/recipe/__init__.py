"""Recipes: the YAML file that describes a whole run.

:func:`load_recipe` reads a file, checks it against the schema (:mod:`automl.recipe.schema`),
resolves component names against the installed plugins and validates each component's
parameters with the plugin's own model, reporting every problem at once.
:func:`recipe_json_schema` gives the JSON Schema of recipes for the installed plugins.
"""

from __future__ import annotations

from automl.recipe.jsonschema import recipe_json_schema
from automl.recipe.resolve import (
    FilledDefault,
    ResolvedComponent,
    ResolvedModel,
    ResolvedRecipe,
    load_recipe,
    parse_recipe,
)
from automl.recipe.schema import (
    DEFAULT_METRICS,
    ChoiceDimension,
    ComponentConfig,
    DataSpec,
    Dimension,
    ExecutionSpec,
    FixedDimension,
    ModelConfig,
    RangeDimension,
    Recipe,
    SearchSpec,
)

__all__ = [
    "DEFAULT_METRICS",
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
