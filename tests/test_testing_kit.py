"""automl.testing, the plugin author's test kit: sound components pass, broken ones are named.

Each broken component below breaks one rule of its kind's contract; the check must fail with an
``AssertionError`` whose message says which rule.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pydantic import ConfigDict, model_validator

from automl import (
    CLASSIFICATION_TASKS,
    DataError,
    DataSourceSpec,
    DeployerSpec,
    MetricSpec,
    ModelSpec,
    Params,
    PluginRegistry,
    Task,
)
from automl.testing import (
    check_data_source_spec,
    check_deployer_spec,
    check_metric_spec,
    check_model_spec,
    write_example_package,
)

# -- data sources ------------------------------------------------------------------------------


class PathParams(Params):
    path: str


class LaxParams(Params):
    """Drops keys it does not know before validation: a typo would pass unnoticed."""

    path: str

    @model_validator(mode="before")
    @classmethod
    def _drop_unknown(cls, values: Any) -> Any:
        return {k: v for k, v in values.items() if k in cls.model_fields}


class MutableParams(Params):
    model_config = ConfigDict(extra="forbid", frozen=False)

    path: str


def _read(params: PathParams, context: Any) -> pd.DataFrame:
    path = context.resolve_path(params.path)
    if not path.exists():
        raise DataError(f"table source: {path} not found")
    return pd.read_csv(path)


def _source(factory: Callable[..., Any], params: type[Params] = PathParams) -> DataSourceSpec:
    return DataSourceSpec(name="table", description="a table", factory=factory, params=params)


def _read_unchecked(params: PathParams, context: Any) -> pd.DataFrame:
    return pd.read_csv(context.resolve_path(params.path))


def _read_silently(params: PathParams, context: Any) -> pd.DataFrame:
    try:
        return _read(params, context)
    except DataError:
        raise DataError(" ") from None


_MISSING = [{"path": "no.csv"}]

BROKEN_SOURCES = [
    pytest.param(_source(lambda p, c: [{"x": 1}]), [], "not a pandas DataFrame", id="not-a-frame"),
    pytest.param(_source(lambda p, c: pd.DataFrame({"x": []})), [], "has no rows", id="empty"),
    pytest.param(
        _source(lambda p, c: pd.DataFrame([[1, 2]], columns=["x", "x"])),
        [],
        "duplicate column names ['x']",
        id="duplicate-columns",
    ),
    pytest.param(
        _source(_read_unchecked), _MISSING, "raised FileNotFoundError", id="not-a-data-error"
    ),
    pytest.param(
        _source(lambda p, c: pd.DataFrame({"x": [1]})),
        _MISSING,
        "should raise DataError",
        id="no-error",
    ),
    pytest.param(_source(_read_silently), _MISSING, "without a message", id="silent-error"),
    pytest.param(_source(_read, LaxParams), [], "accepted the unknown key", id="lax-params"),
    pytest.param(_source(_read, MutableParams), [], "can be changed", id="mutable-params"),
]


@pytest.fixture
def table(tmp_path: Path) -> Path:
    (tmp_path / "t.csv").write_text("x,y\n1,2\n3,4\n", encoding="utf-8")
    return tmp_path


def test_sound_data_source_passes(table: Path) -> None:
    frame = check_data_source_spec(
        _source(_read), {"path": "t.csv"}, base_dir=table, bad_params=[{"path": "no.csv"}]
    )
    assert list(frame.columns) == ["x", "y"]


@pytest.mark.parametrize(("spec", "bad", "message"), BROKEN_SOURCES)
def test_broken_data_source_is_named(
    spec: DataSourceSpec, bad: list[dict[str, str]], message: str, table: Path
) -> None:
    with pytest.raises(AssertionError, match=re.escape(message)):
        check_data_source_spec(spec, {"path": "t.csv"}, base_dir=table, bad_params=bad)


def test_invalid_params_given_to_the_check_are_reported(table: Path) -> None:
    with pytest.raises(AssertionError, match="the params given to the check are invalid"):
        check_data_source_spec(_source(_read), {"file": "t.csv"}, base_dir=table)


@pytest.mark.parametrize(
    ("source", "good", "bad"),
    [
        pytest.param("csv", {"path": "t.csv"}, [{"path": "no.csv"}, {"path": "e.csv"}], id="csv"),
        pytest.param("tsv", {"path": "t.tsv"}, [{"path": "no.tsv"}], id="tsv"),
        pytest.param("jsonl", {"path": "t.jsonl"}, [{"path": "no.jsonl"}], id="jsonl"),
        pytest.param("sklearn", {"name": "iris"}, [], id="sklearn"),
    ],
)
def test_builtin_data_sources_pass(
    registry: PluginRegistry, tmp_path: Path, source: str, good: dict[str, Any], bad: Any
) -> None:
    (tmp_path / "t.csv").write_text("x,y\n1,2\n", encoding="utf-8")
    (tmp_path / "e.csv").write_text("x,y\n", encoding="utf-8")
    (tmp_path / "t.tsv").write_text("x\ty\n1\t2\n", encoding="utf-8")
    (tmp_path / "t.jsonl").write_text('{"x": 1, "y": 2}\n', encoding="utf-8")
    spec = registry.get("data_source", source).spec
    check_data_source_spec(spec, good, base_dir=tmp_path, bad_params=bad)


# -- metrics -----------------------------------------------------------------------------------


def _accuracy(y_true: Any, y_pred: Any, *, labels: Any = None) -> float:
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def _first_column_auc(y_true: Any, y_proba: Any, *, labels: Any = None) -> float:
    from sklearn.metrics import roc_auc_score

    # Wrong: the positive class is the last label, its probabilities the last column.
    return float(roc_auc_score(np.asarray(y_true) == labels[-1], np.asarray(y_proba)[:, 0]))


def _precision_of_one(y_true: Any, y_pred: Any, *, labels: Any = None) -> float:
    from sklearn.metrics import precision_score

    return float(precision_score(y_true, y_pred))  # ignores labels: fails on text labels


def _metric(
    factory: Callable[..., Any],
    direction: Any = "maximize",
    tasks: frozenset[Task] = CLASSIFICATION_TASKS,
    *,
    needs_proba: bool = False,
) -> MetricSpec:
    return MetricSpec(
        name="m",
        description="a metric",
        factory=factory,
        direction=direction,
        tasks=tasks,
        needs_proba=needs_proba,
    )


BROKEN_METRICS = [
    pytest.param(_metric(_accuracy, "minimize"), "is direction='minimize' right?", id="direction"),
    pytest.param(
        _metric(_first_column_auc, tasks=frozenset({Task.BINARY}), needs_proba=True),
        "is direction='maximize' right?",
        id="wrong-probability-column",
    ),
    pytest.param(
        _metric(_precision_of_one, tasks=frozenset({Task.BINARY})),
        "labels=['no', 'yes']): raised ValueError",
        id="ignores-labels",
    ),
    pytest.param(_metric(lambda t, p: 1.0), "raised TypeError", id="no-labels-argument"),
    pytest.param(_metric(lambda t, p, *, labels: int(np.mean(t == p))), "not a float", id="int"),
    pytest.param(_metric(lambda t, p, *, labels: float("nan")), "returned nan", id="nan"),
    pytest.param(
        _metric(lambda t, p, *, labels: 1.0, tasks=frozenset(Task), needs_proba=True),
        "needs_proba=True but declares the regression task",
        id="proba-for-regression",
    ),
]


@pytest.mark.parametrize(("spec", "message"), BROKEN_METRICS)
def test_broken_metric_is_named(spec: MetricSpec, message: str) -> None:
    with pytest.raises(AssertionError, match=re.escape(message)):
        check_metric_spec(spec)


def test_builtin_and_example_metrics_pass(registry_with_example: PluginRegistry) -> None:
    names = registry_with_example.names("metric")
    assert "max_error" in names
    for name in names:
        check_metric_spec(registry_with_example.get("metric", name).spec)


# -- models ------------------------------------------------------------------------------------


class DepthParams(Params):
    max_depth: int = 3


def _tree(params: DepthParams, *, task: Task, seed: int) -> Any:
    from sklearn.tree import DecisionTreeClassifier

    return DecisionTreeClassifier(max_depth=params.max_depth, random_state=seed)


def _model(search_space: Callable[..., None]) -> ModelSpec:
    return ModelSpec(
        name="tree",
        description="a tree",
        factory=_tree,
        tasks=CLASSIFICATION_TASKS,
        params=DepthParams,
        search_space=search_space,
    )


BROKEN_MODELS = [
    pytest.param(
        _model(lambda s, t: s.suggest_int("depth", 1, 5)),
        "tree: search_space: model 'tree' suggests 'depth', which is not a field of its params "
        "model (fields: max_depth)",
        id="unknown-name",
    ),
    pytest.param(
        _model(lambda s, t: s.suggest_int("max_depth", 5, 9)),
        "defaults outside the search space",
        id="default-outside",
    ),
]


@pytest.mark.parametrize(("spec", "message"), BROKEN_MODELS)
def test_broken_model_is_named(spec: ModelSpec, message: str) -> None:
    with pytest.raises(AssertionError, match=re.escape(message)):
        check_model_spec(spec, trials=1)


def test_example_model_passes(registry_with_example: PluginRegistry) -> None:
    check_model_spec(registry_with_example.get("model", "nearest_centroid").spec, trials=2)


# -- deployers ---------------------------------------------------------------------------------


class TargetParams(Params):
    target: str


def _copy(package_dir: Path, params: TargetParams) -> str:
    if not (package_dir / "MLmodel").is_file():
        raise FileNotFoundError(f"{package_dir} holds no model package (no MLmodel file)")
    shutil.copytree(package_dir, params.target, dirs_exist_ok=True)
    return params.target


def _deployer(factory: Callable[..., Any]) -> DeployerSpec:
    return DeployerSpec(name="copy", description="copies", factory=factory, params=TargetParams)


def _stamp(package_dir: Path, params: TargetParams) -> str:
    location = _copy(package_dir, params)
    (package_dir / "deployed.txt").write_text(location, encoding="utf-8")
    return location


def _fail_silently(package_dir: Path, params: TargetParams) -> str:
    raise RuntimeError


BROKEN_DEPLOYERS = [
    pytest.param(
        _deployer(lambda d, p: (_copy(d, p), None)[1]), "returned NoneType", id="no-location"
    ),
    pytest.param(_deployer(lambda d, p: ""), "instead of raising an error", id="no-error"),
    pytest.param(_deployer(lambda d, p: {}["registry"]), "raised KeyError", id="bug-as-error"),
    pytest.param(
        _deployer(_fail_silently),
        "raised RuntimeError without a message",
        id="silent-error",
    ),
    pytest.param(_deployer(_stamp), "changed the package it deployed", id="changes-package"),
]


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_example_package(tmp_path_factory.mktemp("kit") / "model")


def test_sound_deployer_passes(package: Path, tmp_path: Path) -> None:
    target = tmp_path / "deployed"
    location = check_deployer_spec(_deployer(_copy), {"target": str(target)}, package)
    assert location == str(target)
    assert (target / "MLmodel").read_text() == (package / "MLmodel").read_text()


def test_deployer_check_writes_a_package_when_given_none(tmp_path: Path) -> None:
    target = tmp_path / "deployed"
    assert check_deployer_spec(_deployer(_copy), {"target": str(target)}) == str(target)
    assert (target / "MLmodel").is_file()


@pytest.mark.parametrize(("spec", "message"), BROKEN_DEPLOYERS)
def test_broken_deployer_is_named(
    spec: DeployerSpec, message: str, package: Path, tmp_path: Path
) -> None:
    copy = shutil.copytree(package, tmp_path / "model")  # a broken deployer may change it
    with pytest.raises(AssertionError, match=re.escape(message)):
        check_deployer_spec(spec, {"target": str(tmp_path / "deployed")}, copy)


def test_example_package_loads(package: Path) -> None:
    from automl import load_model

    model = load_model(package)
    rows = pd.DataFrame({"age": [30], "visits": [2.0], "plan": ["pro"]})
    assert set(model.predict(rows)) <= {"no", "yes"}
