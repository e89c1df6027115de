"""The JSON Schema of recipes accepts valid recipes and rejects what validation rejects."""

from __future__ import annotations

import jsonschema
import pytest
import yaml

from automl import PluginRegistry
from automl.recipe import recipe_json_schema

VALID = [
    "data: {source: {type: csv, path: a.csv}, target: y}",
    "data: {source: {type: parquet, path: a.parquet, columns: [a]}, target: y}\nmetric: roc_auc\nmetrics: [f1]",
    "data: {source: {type: csv, path: a.csv}, target: y}\nmodels: [nearest_centroid]",
    "data: {source: {type: csv, path: a.csv}, target: y}\n"
    "models: [{type: nearest_centroid, params: {metric: manhattan}, "
    "search_space: {shrink_threshold: {low: 0.1, high: 1, log: true}}}]",
    "data: {source: {type: csv, path: a.csv}, target: y, test_source: {type: parquet, path: t.parquet},"
    " columns: {zip: categorical, notes: text, id: drop}}",
    "name: x\ntask: binary\ndata: {source: {type: csv, path: a.csv}, target: y, holdout: 0.1}\n"
    "search: {n_trials: 5, cv: 3, sampler: random, pruner: none, seed: 1}\n"
    "execution: {backend: ray, workers: 2, address: 'ray://h:1'}",
]

INVALID = {
    "unknown-top-key": "data: {source: {type: csv, path: a.csv}, target: y}\nserch: {}",
    "unknown-source": "data: {source: {type: cvs, path: a.csv}, target: y}",
    "unknown-source-param": "data: {source: {type: csv, pth: a.csv}, target: y}",
    "missing-target": "data: {source: {type: csv, path: a.csv}}",
    "unknown-metric": "data: {source: {type: csv, path: a.csv}, target: y}\nmetric: acc",
    "unknown-model": "data: {source: {type: csv, path: a.csv}, target: y}\nmodels: [forest]",
    "model-param": "data: {source: {type: csv, path: a.csv}, target: y}\n"
    "models: [{type: nearest_centroid, params: {metric: cosine}}]",
    "search-space-key": "data: {source: {type: csv, path: a.csv}, target: y}\n"
    "models: [{type: nearest_centroid, search_space: {depth: [1, 2]}}]",
    "bad-sampler": "data: {source: {type: csv, path: a.csv}, target: y}\nsearch: {sampler: grid}",
    "bad-column-kind": "data: {source: {type: csv, path: a.csv}, target: y, columns: {zip: zipcode}}",
    "bad-test-source": "data: {source: {type: csv, path: a.csv}, target: y, test_source: {type: csv}}",
    "deploy-none-installed": "data: {source: {type: csv, path: a.csv}, target: y}\ndeploy: [{type: rest}]",
}


@pytest.fixture
def validator(registry_with_example: PluginRegistry) -> jsonschema.protocols.Validator:
    schema = recipe_json_schema(registry_with_example)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("text", VALID)
def test_valid_recipes_pass(validator: jsonschema.protocols.Validator, text: str) -> None:
    errors = list(validator.iter_errors(yaml.safe_load(text)))
    assert errors == []


@pytest.mark.parametrize("case", list(INVALID), ids=list(INVALID))
def test_invalid_recipes_fail(validator: jsonschema.protocols.Validator, case: str) -> None:
    assert not validator.is_valid(yaml.safe_load(INVALID[case]))


def test_schema_describes_plugin_params(registry_with_example: PluginRegistry) -> None:
    schema = recipe_json_schema(registry_with_example)
    sources = {s["title"]: s for s in schema["$defs"]["DataSpec"]["properties"]["source"]["oneOf"]}
    assert {"csv", "parquet", "sql", "http", "sklearn"} <= set(sources)
    assert (
        "relative paths resolve against the recipe"
        in sources["csv"]["properties"]["path"]["description"]
    )
    assert schema["properties"]["metric"]["anyOf"][0]["enum"][0] == "accuracy"
    assert "name" not in schema["required"]
