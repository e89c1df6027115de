"""automl-example: a nearest-centroid model and the max_error metric, as an automl plugin."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from automl import MetricSpec, ModelSpec, Params, Task, hookimpl


class NearestCentroidParams(Params):
    """What a recipe may set under `models: [{type: nearest_centroid, params: {...}}]`."""

    metric: Literal["euclidean", "manhattan"] = "euclidean"
    shrink_threshold: float | None = Field(default=None, gt=0)


def build_nearest_centroid(params: NearestCentroidParams, *, task: Task, seed: int) -> Any:
    # Import the library here, not at module level: discovery must stay fast.
    from sklearn.neighbors import NearestCentroid

    return NearestCentroid(metric=params.metric, shrink_threshold=params.shrink_threshold)


def max_error(y_true: Any, y_pred: Any, *, labels: Any = None) -> float:
    from sklearn.metrics import max_error as sklearn_max_error

    return float(sklearn_max_error(y_true, y_pred))


@hookimpl
def automl_register_models() -> list[ModelSpec]:
    return [
        ModelSpec(
            name="nearest_centroid",
            description="Nearest centroid classifier (scikit-learn)",
            factory=build_nearest_centroid,
            tasks=frozenset({Task.BINARY, Task.MULTICLASS}),
            params=NearestCentroidParams,
        )
    ]


@hookimpl
def automl_register_metrics() -> list[MetricSpec]:
    return [
        MetricSpec(
            name="max_error",
            description="Largest absolute error over all rows",
            factory=max_error,
            direction="minimize",
            tasks=frozenset({Task.REGRESSION}),
        )
    ]
