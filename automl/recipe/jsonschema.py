"""The JSON Schema of recipes, including the parameters of the installed plugins.

Editors use it to complete and check recipes (for example the YAML language server with
``# yaml-language-server: $schema=recipe.schema.json`` at the top of a recipe).
"""

from __future__ import annotations

import copy
from typing import Any

from automl.recipe.dimensions import ChoiceDimension, FixedDimension, RangeDimension
from automl.recipe.schema import Recipe
from automl.registry import Component, PluginRegistry
from automl.specs import ComponentKind

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def recipe_json_schema(registry: PluginRegistry) -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) of recipes for the plugins in ``registry``."""
    schema = Recipe.model_json_schema(ref_template="#/$defs/{model}")
    defs: dict[str, Any] = schema.setdefault("$defs", {})
    schema["required"] = [key for key in schema.get("required", []) if key != "name"]

    def inline(kind: ComponentKind) -> Any:
        choices = [_component_object(c, defs, flat=True) for c in registry.components(kind)]
        return {"oneOf": choices} if choices else False

    source_schema = inline(ComponentKind.DATA_SOURCE)
    defs["DataSpec"]["properties"]["source"] = source_schema
    test_source = defs["DataSpec"]["properties"]["test_source"]
    defs["DataSpec"]["properties"]["test_source"] = {
        "anyOf": [source_schema, {"type": "null"}],
        "default": None,
        "description": test_source.get("description", ""),
    }
    schema["properties"]["deploy"]["items"] = inline(ComponentKind.DEPLOYER)

    metric_names = registry.names(ComponentKind.METRIC)
    metric_ref: Any = {"type": "string", "enum": metric_names} if metric_names else False
    schema["properties"]["metric"] = {
        "anyOf": [metric_ref, {"type": "null"}],
        "default": None,
        "description": Recipe.model_fields["metric"].description,
    }
    schema["properties"]["metrics"]["items"] = metric_ref

    models = registry.components(ComponentKind.MODEL)
    model_items: Any = False
    if models:
        model_items = {
            "oneOf": [
                {"type": "string", "enum": [m.name for m in models]},
                *(_component_object(m, defs, flat=False) for m in models),
            ]
        }
    defs["ModelConfig"] = model_items
    defs.pop("ComponentConfig", None)
    for dimension in (RangeDimension, ChoiceDimension, FixedDimension):
        _merge(
            defs, dimension.model_json_schema(ref_template="#/$defs/{model}"), dimension.__name__
        )

    schema["$schema"] = SCHEMA_DIALECT
    schema["title"] = "automl recipe"
    return schema


def _component_object(component: Component, defs: dict[str, Any], *, flat: bool) -> dict[str, Any]:
    """The schema of ``{type: NAME, ...}`` (flat) or ``{type: NAME, params: {...}, search_space}``."""
    prefix = f"{component.kind.value}.{component.name}."
    params = component.spec.params.model_json_schema(ref_template=f"#/$defs/{prefix}{{model}}")
    for name, definition in params.pop("$defs", {}).items():
        defs[prefix + name] = definition
    type_property = {"const": component.name, "description": component.spec.description}
    if flat:
        body = copy.deepcopy(params)
        body["properties"] = {"type": type_property, **body.get("properties", {})}
        body["required"] = ["type", *body.get("required", [])]
        body["additionalProperties"] = False
        body["title"] = component.name
        return body
    field_names = list(params.get("properties", {}))
    return {
        "type": "object",
        "title": component.name,
        "properties": {
            "type": type_property,
            "params": params,
            "search_space": {
                "type": "object",
                "propertyNames": {"enum": field_names},
                "additionalProperties": {
                    "anyOf": [
                        {"$ref": "#/$defs/RangeDimension"},
                        {"$ref": "#/$defs/ChoiceDimension"},
                        {"$ref": "#/$defs/FixedDimension"},
                        {"type": "array", "minItems": 1},
                        {"type": ["string", "number", "boolean", "null"]},
                    ]
                },
            },
        },
        "required": ["type"],
        "additionalProperties": False,
    }


def _merge(defs: dict[str, Any], schema: dict[str, Any], name: str) -> None:
    for nested, definition in schema.pop("$defs", {}).items():
        defs.setdefault(nested, definition)
    defs[name] = schema
