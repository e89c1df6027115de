"""Recipes: strict schema, component resolution, interpolation, every error kind."""

from __future__ import annotations

import enum
from collections.abc import Callable
from pathlib import Path

import pytest

from automl import SECRET_PLACEHOLDER, PluginRegistry, RecipeError, Scrubber, load_recipe
from automl.options import Backend, Pruner, Sampler, names
from automl.recipe import ChoiceDimension, FixedDimension, RangeDimension, parse_recipe

MINIMAL = """
data:
  source: {type: csv, path: data.csv}
  target: y
"""


def _problems(text: str, registry: PluginRegistry, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(RecipeError) as caught:
        parse_recipe(text, source="r.yaml", registry=registry, env=env or {})
    return [str(issue) for issue in caught.value.issues]


def test_minimal_recipe_gets_defaults(
    write: Callable[[str, str], Path], registry: PluginRegistry
) -> None:
    path = write("my recipe.yaml", MINIMAL)
    resolved = load_recipe(path, registry)
    recipe = resolved.recipe
    assert recipe.name == "my-recipe"
    assert recipe.task == "auto"
    assert recipe.data.holdout == 0.2
    assert recipe.search.time_budget == 300
    assert recipe.search.n_trials is None
    assert (recipe.search.cv, recipe.search.sampler, recipe.search.pruner, recipe.search.seed) == (
        "auto",
        "tpe",
        "median",
        0,
    )
    assert (recipe.execution.backend, recipe.execution.workers, recipe.execution.address) == (
        "local",
        "auto",
        None,
    )
    assert resolved.metric is None  # chosen once the task is inferred
    assert resolved.base_dir == path.parent.resolve()
    assert resolved.data_source.name == "csv"
    assert resolved.data_source.params.path == "data.csv"
    filled = {d.path: (d.value, d.note) for d in resolved.defaults}
    assert filled["name"] == ("my-recipe", "from the file name")
    assert filled["search.time_budget"] == (300, "neither time_budget nor n_trials was set")
    assert filled["search.cv"] == ("auto", "")
    assert filled["data.source.read_options"] == ({}, "")
    assert "chosen from the inferred task" in filled["metric"][1]
    assert "data.target" not in filled


def test_full_recipe_resolves(registry_with_example: PluginRegistry) -> None:
    text = """
    version: 1
    name: churn.v2
    task: binary
    data:
      source: {type: parquet, path: /data/churn.parquet, columns: [a, y]}
      target: y
      holdout: 0.25
    metric: f1
    metrics: [accuracy, roc_auc]
    models:
      - nearest_centroid
    search: {n_trials: 40, cv: 3, sampler: random, pruner: none, seed: 7}
    execution: {backend: ray, workers: 2, address: "ray://head:10001"}
    """
    resolved = parse_recipe(text, registry=registry_with_example, env={})
    assert resolved.name == "churn.v2"
    assert resolved.metric is not None
    assert resolved.metric.name == "f1"
    assert [m.name for m in resolved.metrics] == ["accuracy", "roc_auc"]
    assert [m.name for m in resolved.models] == ["nearest_centroid"]
    assert resolved.models[0].params.metric == "euclidean"
    assert resolved.data_source.params.columns == ["a", "y"]
    assert resolved.recipe.search.time_budget is None
    assert resolved.recipe.execution.workers == 2


def test_task_given_fills_metric_and_models(registry_with_example: PluginRegistry) -> None:
    resolved = parse_recipe(MINIMAL + "task: multiclass\n", registry=registry_with_example, env={})
    assert resolved.metric is not None
    assert resolved.metric.name == "log_loss"
    names = [m.name for m in resolved.models]
    fitting = [
        c.name for c in registry_with_example.components("model") if c.spec.supports("multiclass")
    ]
    assert names == sorted(fitting)
    assert "nearest_centroid" in names
    regression = parse_recipe(
        MINIMAL + "task: regression\n", registry=registry_with_example, env={}
    )
    assert regression.metric is not None
    assert regression.metric.name == "rmse"
    assert "nearest_centroid" not in [m.name for m in regression.models]
    assert "ridge" in [m.name for m in regression.models]


def test_model_object_form_and_search_space(registry_with_example: PluginRegistry) -> None:
    text = (
        MINIMAL
        + """
models:
  - type: nearest_centroid
    params: {metric: manhattan}
    search_space:
      shrink_threshold: {low: 0.01, high: 1.0, log: true}
"""
    )
    model = parse_recipe(text, registry=registry_with_example, env={}).models[0]
    assert model.params.metric == "manhattan"
    assert model.search_space == {"shrink_threshold": RangeDimension(low=0.01, high=1.0, log=True)}
    assert not model.search_space["shrink_threshold"].integer
    choices = parse_recipe(
        MINIMAL
        + "models: [{type: nearest_centroid, search_space: {metric: [euclidean, manhattan]}}]\n",
        registry=registry_with_example,
        env={},
    ).models[0]
    assert choices.search_space == {"metric": ChoiceDimension(choices=["euclidean", "manhattan"])}
    fixed = parse_recipe(
        MINIMAL + "models: [{type: nearest_centroid, search_space: {shrink_threshold: 0.5}}]\n",
        registry=registry_with_example,
        env={},
    ).models[0]
    assert fixed.search_space == {"shrink_threshold": FixedDimension(value=0.5)}


# Each case: recipe text, and a fragment every matching problem must contain.
ERROR_CASES: dict[str, tuple[str, list[str]]] = {
    "invalid-yaml": ("data: [unclosed\n", ["invalid YAML at line 2"]),
    "tab-indent": ("data:\n\tsource: x\n", ["invalid YAML at line 2, column 1"]),
    "duplicate-key": (
        "name: a\nname: b\n" + MINIMAL,
        ["invalid YAML at line 2, column 1: duplicate key 'name' (first written on line 1)"],
    ),
    "empty": ("", ["the recipe is empty"]),
    "comments-only": ("# nothing\n", ["the recipe is empty"]),
    "not-a-mapping": (
        "- a\n- b\n",
        ["a recipe is a mapping of keys (name, task, data, ...), but this file holds a list"],
    ),
    "unknown-top-key": (
        MINIMAL + "serch: {cv: 3}\n",
        [
            "serch (line 5): unknown key 'serch'. Did you mean 'search'? Allowed keys: version, name, task,"
        ],
    ),
    "unknown-nested-key": (
        MINIMAL + "search: {time_budgt: 10}\n",
        ["search.time_budgt (line 5): unknown key 'time_budgt'. Did you mean 'time_budget'?"],
    ),
    "missing-data": ("name: x\n", ["data: required key is missing"]),
    "missing-target": (
        "data:\n  source: {type: csv, path: a.csv}\n",
        ["data.target (line 1): required key is missing"],
    ),
    "missing-source-type": (
        "data:\n  source: {path: a.csv}\n  target: y\n",
        ["data.source.type (line 2): required key is missing"],
    ),
    "wrong-type": (
        MINIMAL + "search: {seed: five}\n",
        ["search.seed (line 5): Input should be a valid integer"],
    ),
    "cv-rule": (
        MINIMAL + "search: {cv: five}\n",
        ["search.cv (line 5): cv is 'auto' or a whole number from 2 to 50 (got 'five')"],
    ),
    "warmup-rows-rule": (
        MINIMAL + "search: {warmup_rows: -1}\n",
        ["search.warmup_rows (line 5): Input should be greater than or equal to 0 (got -1)"],
    ),
    "out-of-range": (
        MINIMAL + "search: {time_budget: -5, cv: 1}\n",
        [
            "search.time_budget (line 5): Input should be greater than 0 (got -5)",
            "search.cv (line 5): ",
        ],
    ),
    "holdout-range": (
        "data:\n  source: {type: csv, path: a.csv}\n  target: y\n  holdout: 1.5\n",
        ["data.holdout (line 4): Input should be less than 1 (got 1.5)"],
    ),
    "bad-choice": (
        MINIMAL + "task: binery\n",
        [
            "task (line 5): Input should be 'auto', 'binary', 'multiclass' or 'regression'. Did you mean 'binary'? (got 'binery')"
        ],
    ),
    "bad-sampler": (
        MINIMAL + "search: {sampler: optuna}\n",
        [
            "search.sampler (line 5): Input should be 'tpe', 'random', 'cmaes' or 'gp' (got 'optuna')"
        ],
    ),
    "parquet-columns-in-options": (
        "data:\n  source: {type: parquet, path: a.parquet, read_options: {columns: [a]}}\n  target: y\n",
        [
            "data.source.read_options (line 2): set columns as data.source.columns, not inside read_options"
        ],
    ),
    "bad-name": (MINIMAL + "name: 'a b'\n", ["name (line 5): a name holds letters, digits"]),
    "workers": (
        MINIMAL + "execution: {workers: 0}\n",
        ["execution.workers (line 5): workers is 'auto' or a whole number >= 1 (got 0)"],
    ),
    "address-without-ray": (
        MINIMAL + "execution: {address: 'ray://x:1'}\n",
        ["execution (line 5): address applies to backend: ray only"],
    ),
    "unknown-source": (
        "data:\n  source: {type: cvs, path: a.csv}\n  target: y\n",
        [
            "data.source.type (line 2): Unknown data source 'cvs'. Did you mean 'csv'? Installed: csv, http,"
        ],
    ),
    "source-param-unknown": (
        "data:\n  source: {type: csv, pth: a.csv}\n  target: y\n",
        [
            "data.source.pth (line 2): unknown key 'pth'. Did you mean 'path'? Allowed keys: path, read_options, storage_options.",
            "data.source.path (line 2): required key is missing",
        ],
    ),
    "source-param-type": (
        "data:\n  source: {type: csv, path: a.csv, read_options: 3}\n  target: y\n",
        ["data.source.read_options (line 2): Input should be a valid dictionary"],
    ),
    "source-reserved-option": (
        "data:\n  source: {type: csv, path: a.csv, read_options: {chunksize: 5}}\n  target: y\n",
        ["data.source.read_options (line 2): read_options may not set chunksize"],
    ),
    "unknown-metric": (
        MINIMAL + "metric: roc_acu\n",
        ["metric (line 5): Unknown metric 'roc_acu'. Did you mean 'roc_auc'? Installed: accuracy,"],
    ),
    "metric-for-other-task": (
        MINIMAL + "task: regression\nmetric: roc_auc\n",
        [
            "metric (line 6): metric 'roc_auc' does not support task 'regression' (it supports binary, multiclass). Metrics for regression: mae, mape, max_error, mse, r2, rmse."
        ],
    ),
    "metrics-share-no-task": (
        MINIMAL + "metric: roc_auc\nmetrics: [rmse]\n",
        [
            "task: the metrics and models named share no task (metric 'roc_auc': binary, multiclass; metrics[0] 'rmse': regression)"
        ],
    ),
    "duplicate-metric": (
        MINIMAL + "metrics: [f1, f1]\n",
        ["metrics[1] (line 5): metric 'f1' is listed twice (also metrics[0])"],
    ),
    "primary-in-secondary": (
        MINIMAL + "metric: f1\nmetrics: [f1]\n",
        ["metrics[0] (line 6): 'f1' is already the primary metric"],
    ),
    "unknown-model": (
        MINIMAL + "models: [nearest_centriod]\n",
        [
            "models[0] (line 5): Unknown model 'nearest_centriod'. Did you mean 'nearest_centroid'? Installed: catboost, decision_tree,"
        ],
    ),
    "model-for-other-task": (
        MINIMAL + "task: regression\nmodels: [nearest_centroid]\n",
        ["models[0] (line 6): model 'nearest_centroid' does not support task 'regression'"],
    ),
    "empty-models": (MINIMAL + "models: []\n", ["models (line 5): models is empty"]),
    "duplicate-model": (
        MINIMAL + "models: [nearest_centroid, nearest_centroid]\n",
        ["model 'nearest_centroid' is listed more than once"],
    ),
    "model-param": (
        MINIMAL + "models: [{type: nearest_centroid, params: {metric: cosine, depth: 3}}]\n",
        [
            "models[0].params.metric (line 5): Input should be 'euclidean' or 'manhattan'",
            "models[0].params.depth (line 5): unknown key 'depth'. Allowed keys: metric, shrink_threshold.",
        ],
    ),
    "search-space-unknown-param": (
        MINIMAL + "models: [{type: nearest_centroid, search_space: {shrink: {low: 1, high: 2}}}]\n",
        [
            "models[0].search_space.shrink (line 5): model 'nearest_centroid' has no parameter 'shrink'. Did you mean 'shrink_threshold'?"
        ],
    ),
    "search-space-bad-range": (
        MINIMAL
        + "models: [{type: nearest_centroid, search_space: {shrink_threshold: {low: 2, high: 1}}}]\n",
        [
            "models[0].search_space.shrink_threshold (line 5): low < high must hold, but got (low=2, high=1)"
        ],
    ),
    "search-space-log-zero": (
        MINIMAL
        + "models: [{type: nearest_centroid, search_space: {shrink_threshold: {low: 0, high: 1, log: true}}}]\n",
        ["a log range needs low > 0, but got low=0"],
    ),
    "search-space-value-invalid": (
        MINIMAL
        + "models: [{type: nearest_centroid, search_space: {metric: [euclidean, cosine]}}]\n",
        ["models[0].search_space.metric (line 5): 'cosine' is not a valid value for 'metric'"],
    ),
    "search-space-and-params": (
        MINIMAL
        + "models: [{type: nearest_centroid, params: {metric: manhattan}, search_space: {metric: [manhattan]}}]\n",
        ["'metric' is set in both params and search_space"],
    ),
    "unknown-deployer": (
        MINIMAL + "deploy: [{type: rest, port: 8080}]\n",
        ["deploy[0].type (line 5): Unknown deployer 'rest'. No deployer is installed."],
    ),
    "missing-env": (
        MINIMAL + "search: {n_trials: '${N_TRIALS}'}\n",
        [
            "search.n_trials (line 5): environment variable N_TRIALS is not set (referenced as ${N_TRIALS}); set it, or write ${N_TRIALS:-default}"
        ],
    ),
    "bad-reference": (
        MINIMAL + "name: '${1abc}'\n",
        ["name (line 5): '${1abc}' is not a valid reference"],
    ),
}


@pytest.mark.parametrize("case", list(ERROR_CASES), ids=list(ERROR_CASES))
def test_error_kinds(case: str, registry_with_example: PluginRegistry) -> None:
    text, expected = ERROR_CASES[case]
    problems = _problems(text, registry_with_example)
    for fragment in expected:
        assert any(fragment in problem for problem in problems), (fragment, problems)
    assert len(problems) == len(expected), problems


def test_every_problem_is_reported_at_once(registry_with_example: PluginRegistry) -> None:
    text = """
    task: binery
    data:
      source: {type: csv, path: a.csv, sep: ";"}
      target: y
    metric: acc
    models: [nearest_centroid, forest]
    search: {cv: 0, seed: -1}
    """
    problems = _problems(text, registry_with_example)
    paths = [problem.split(" (line")[0] for problem in problems]
    assert paths == ["task", "data.source.sep", "metric", "models[1]", "search.cv", "search.seed"]


def test_error_names_file_and_counts(
    write: Callable[[str, str], Path], registry: PluginRegistry
) -> None:
    path = write("bad.yaml", MINIMAL + "search: {cv: 1}\n")
    with pytest.raises(RecipeError) as caught:
        load_recipe(path, registry)
    assert str(caught.value).startswith(
        f"{path}: 1 problem in the recipe\n  - search.cv (line 5): "
    )
    assert caught.value.exit_code == 3


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(lambda tmp: tmp / "missing.yaml", "file not found", id="missing"),
        pytest.param(lambda tmp: tmp, "is not a file", id="directory"),
    ],
)
def test_recipe_file_problems(
    tmp_path: Path, registry: PluginRegistry, make: Callable[[Path], Path], message: str
) -> None:
    with pytest.raises(RecipeError, match=message):
        load_recipe(make(tmp_path), registry)


def test_binary_file_is_refused(tmp_path: Path, registry: PluginRegistry) -> None:
    path = tmp_path / "bin.yaml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(RecipeError, match="not a UTF-8 text file"):
        load_recipe(path, registry)


def test_interpolation(registry: PluginRegistry) -> None:
    text = """
    name: ${RUN_NAME}
    data:
      source: {type: csv, path: "${DATA_DIR:-data}/train.csv", read_options: {sep: "$${literal}"}}
      target: ${TARGET:-label}
    search: {n_trials: "${N}"}
    """
    resolved = parse_recipe(text, registry=registry, env={"RUN_NAME": "nightly", "N": "12"})
    assert resolved.name == "nightly"
    assert resolved.data_source.params.path == "data/train.csv"
    assert resolved.data_source.params.read_options == {"sep": "${literal}"}
    assert resolved.recipe.data.target == "label"
    assert resolved.recipe.search.n_trials == 12
    assert resolved.secret_paths == {"name", "search.n_trials"}
    # The recipe text is kept as written: references, not values.
    assert "${RUN_NAME}" in resolved.text
    assert "nightly" not in resolved.text


def test_numbers_from_the_environment(registry: PluginRegistry) -> None:
    text = (
        MINIMAL
        + 'search: {cv: "${CV}", time_budget: "${BUDGET}"}\nexecution: {workers: "${WORKERS}"}\n'
    )
    recipe = parse_recipe(
        text, registry=registry, env={"CV": "3", "BUDGET": "12.5", "WORKERS": "2"}
    ).recipe
    assert (recipe.search.cv, recipe.search.time_budget, recipe.execution.workers) == (3, 12.5, 2)


def test_environment_values_are_never_echoed(registry: PluginRegistry) -> None:
    secret = "s3cr3t-token-value"
    text = """
    name: "${TOKEN}"
    data:
      source: {type: csv, path: "${TOKEN}"}
      target: y
    search: {seed: "${TOKEN}"}
    """
    with pytest.raises(RecipeError) as caught:
        parse_recipe(text, registry=registry, env={"TOKEN": secret})
    message = str(caught.value)
    assert secret not in message
    assert "search.seed" in message
    assert "the value comes from the environment and is not shown" in message


def test_plugin_messages_are_scrubbed(registry: PluginRegistry) -> None:
    secret = "pa55word-xyz"
    text = 'data:\n  source: {type: csv, path: a.csv, read_options: {chunksize: 1, x: "${PW}"}}\n  target: y\n'
    problems = _problems(text, registry, env={"PW": secret})
    assert problems
    assert all(secret not in problem for problem in problems)


def test_environment_values_are_scrubbed_from_any_text(registry: PluginRegistry) -> None:
    secret = "pa55word-xyz"
    text = MINIMAL + 'search: {storage: "postgresql://bob:${PW}@db/optuna"}\n'
    resolved = parse_recipe(text, registry=registry, env={"PW": secret})
    assert resolved.scrub(f"cannot connect with {secret}") == "cannot connect with ***"


def test_scrubber_hides_longer_secrets_first_and_ignores_short_ones() -> None:
    scrub = Scrubber(["abc", "abcdef", "on", None, ""])
    assert SECRET_PLACEHOLDER == "***"
    assert scrub("abcdef, abc, on") == "***, ***, on"
    assert (
        scrub.error(ValueError("no access for abc\ntraceback")) == "ValueError: no access for ***"
    )
    assert scrub.error(KeyError()) == "KeyError"
    assert len(scrub.error(ValueError("x" * 500))) == len("ValueError: ") + 300


@pytest.mark.parametrize(
    ("section", "key", "choices"),
    [
        ("search", "sampler", Sampler),
        ("search", "pruner", Pruner),
        ("execution", "backend", Backend),
    ],
)
def test_named_choices_are_the_options(
    registry: PluginRegistry, section: str, key: str, choices: type[enum.StrEnum]
) -> None:
    for value in names(choices):
        resolved = parse_recipe(
            MINIMAL + f"{section}: {{{key}: {value}}}\n", registry=registry, env={}
        )
        chosen = getattr(getattr(resolved.recipe, section), key)
        assert chosen == value
        assert type(chosen) is str  # plain strings, in the recipe and in its dumps
        assert type(resolved.recipe.model_dump()[section][key]) is str


def test_recipe_models_are_immutable(registry: PluginRegistry) -> None:
    resolved = parse_recipe(MINIMAL, registry=registry, env={})
    with pytest.raises(Exception, match="frozen"):
        resolved.recipe.search.cv = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("value", "expected"), [("auto", "auto"), ("2", 2), ("50", 50), ('"7"', 7), ("5.0", 5)]
)
def test_cv_takes_auto_or_a_whole_number(value: str, expected: object) -> None:
    from automl.recipe import parse_recipe

    recipe = parse_recipe(MINIMAL + f"search: {{cv: {value}}}\n").recipe
    assert recipe.search.cv == expected


@pytest.mark.parametrize(
    ("cv", "rows", "folds"),
    [("auto", 9_999, 5), ("auto", 10_000, 3), ("auto", 10, 5), (5, 50_000, 5), (7, 100, 7)],
)
def test_cv_folds_resolves_auto_by_the_rows(cv: int | str, rows: int, folds: int) -> None:
    from automl.runner.splits import cv_folds

    assert cv_folds(cv, rows) == folds
