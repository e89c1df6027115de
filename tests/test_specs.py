"""Component records check themselves when a plugin creates them."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from automl import DataSourceSpec, MetricSpec, ModelSpec, NoParams, Params, Task
from automl.specs import ComponentKind, SourceContext


def _noop(*args: Any, **kwargs: Any) -> None:
    return None


class LooseParams(BaseModel):
    alpha: float = 1.0


class TypedParams(Params):
    type: str = "x"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param(
            {"name": "RandomForest"}, "name 'RandomForest' is invalid", id="uppercase-name"
        ),
        pytest.param({"name": "1tree"}, "name '1tree' is invalid", id="digit-first"),
        pytest.param({"name": "random-forest"}, "is invalid", id="dash"),
        pytest.param(
            {"description": "  "}, "needs a non-empty description", id="blank-description"
        ),
        pytest.param(
            {"factory": "not callable"}, "factory must be callable", id="factory-not-callable"
        ),
        pytest.param({"tasks": frozenset()}, "supports no task", id="no-task"),
        pytest.param(
            {"tasks": {"clustering"}}, "'clustering' is not a valid Task", id="unknown-task"
        ),
        pytest.param(
            {"params": dict}, "params must be a pydantic model class", id="params-not-model"
        ),
        pytest.param({"params": LooseParams}, "must forbid unknown keys", id="params-allow-extra"),
        pytest.param(
            {"params": TypedParams}, "may not have a field named 'type'", id="params-type-field"
        ),
        pytest.param({"api_version": 3}, "targets plugin API version 3", id="future-api"),
        pytest.param({"cost": 0}, "cost must be > 0, got 0", id="zero-cost"),
        pytest.param({"refit_cost": -1.0}, "refit_cost must be > 0, got -1.0", id="refit-cost"),
        pytest.param({"warmup": "torch"}, "warmup must be callable or None", id="warmup"),
    ],
)
def test_invalid_records_are_refused(fields: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {
        "name": "my_model",
        "description": "A model",
        "factory": _noop,
        **fields,
    }
    with pytest.raises((ValueError, TypeError), match=message):
        ModelSpec(**arguments)


def test_record_defaults_and_task_support() -> None:
    spec = DataSourceSpec(name="my_source", description="Reads things", factory=_noop)
    assert spec.kind is ComponentKind.DATA_SOURCE
    assert spec.params is NoParams
    assert spec.api_version == 2
    assert spec.tasks == frozenset(Task)
    only_binary = ModelSpec(name="m", description="d", factory=_noop, tasks={"binary"})
    assert only_binary.tasks == frozenset({Task.BINARY})
    assert only_binary.supports("binary")
    assert not only_binary.supports(Task.REGRESSION)


def test_records_are_frozen() -> None:
    spec = DataSourceSpec(name="my_source", description="Reads things", factory=_noop)
    with pytest.raises(AttributeError):
        spec.name = "other"  # type: ignore[misc]


def test_metric_direction() -> None:
    spec = MetricSpec(name="m", description="d", factory=_noop, direction="minimize")
    assert not spec.greater_is_better
    with pytest.raises(ValueError, match="direction must be 'maximize' or 'minimize'"):
        MetricSpec(name="m", description="d", factory=_noop, direction="up")  # type: ignore[arg-type]


def test_source_context_resolves_relative_paths(tmp_path: Any) -> None:
    context = SourceContext(base_dir=tmp_path)
    assert context.resolve_path("data/x.csv") == tmp_path / "data" / "x.csv"
    assert context.resolve_path("/abs/x.csv").as_posix() == "/abs/x.csv"


def test_one_task_type() -> None:
    """Records, the model package and the public API share the one Task enum."""
    import automl
    from automl import package, specs, tasks

    assert automl.Task is specs.Task is package.Task is tasks.Task
    assert package.TASKS == ("binary", "multiclass", "regression")
    assert specs.ALL_TASKS == automl.ALL_TASKS == frozenset(Task)
    assert automl.CLASSIFICATION_TASKS == {Task.BINARY, Task.MULTICLASS}


def test_specs_reexports_params_and_tasks() -> None:
    """``automl.specs`` keeps exporting what moved to ``automl.params`` and ``automl.tasks``."""
    from automl import params, specs, tasks

    for name in params.__all__:
        assert getattr(specs, name) is getattr(params, name)
    for name in tasks.__all__:
        assert getattr(specs, name) is getattr(tasks, name)
