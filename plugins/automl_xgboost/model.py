"""The ``xgboost`` model: parameters, default configuration, search space and factory.

The search space is modelled on FLAML's depth-limited XGBoost (depth from 1 to log2 of the rows,
minimum child weight 0.001 to 128, learning rate, row and column subsampling and L1/L2
penalties, log scales where the effect is multiplicative), with narrower ranges that a TPE
search covers in a few dozen trials. The number of trees is not searched: every fit early-stops
on an inner validation split (:mod:`automl_xgboost.estimators`). Trees are grown depth-wise with
the histogram method (``tree_method="hist"``) on one thread, the CPU each trial is given. Depth
stops at 10: on 10,000 rows and 48 features depth 6 took 6 s and depth 12 took 23 s.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from automl import ALL_TASKS, ModelSpec, Params, ParamSampler, Task


class XGBoostParams(Params):
    """Parameters of ``xgboost`` (names of XGBoost's scikit-learn API; native aliases noted)."""

    max_depth: int = Field(default=6, ge=1, le=20, description="Maximum depth of a tree")
    learning_rate: float = Field(
        default=0.05, gt=0, le=1, description="Shrinkage of each tree (eta)"
    )
    min_child_weight: float = Field(
        default=1.0, ge=0, description="Minimum sum of instance weight (hessian) in a child"
    )
    subsample: float = Field(
        default=0.8, gt=0, le=1, description="Fraction of rows sampled per tree"
    )
    colsample_bytree: float = Field(
        default=0.8, gt=0, le=1, description="Fraction of features sampled per tree"
    )
    reg_alpha: float = Field(default=1e-8, ge=0, description="L1 penalty on leaf weights (alpha)")
    reg_lambda: float = Field(default=1.0, ge=0, description="L2 penalty on leaf weights (lambda)")
    n_estimators: int = Field(
        default=2000,
        ge=1,
        description="Maximum boosting rounds; early stopping usually ends sooner",
    )
    early_stopping_rounds: int = Field(
        default=50, ge=1, description="Rounds without validation improvement before stopping"
    )
    validation_fraction: float = Field(
        default=0.1,
        gt=0,
        lt=1,
        description="Share of the training rows held out (stratified) for early stopping",
    )
    class_weight: Literal["balanced"] | None = Field(
        default=None,
        description="Class weights for classification: None (equal) or 'balanced'; ignored for regression",
    )


def _search_space(sampler: ParamSampler, task: Task) -> None:
    sampler.suggest_int("max_depth", 2, 10)
    sampler.suggest_float("learning_rate", 0.01, 0.3, log=True)
    sampler.suggest_float("min_child_weight", 0.01, 100.0, log=True)
    sampler.suggest_float("subsample", 0.5, 1.0)
    sampler.suggest_float("colsample_bytree", 0.5, 1.0)
    sampler.suggest_float("reg_alpha", 1e-8, 10.0, log=True)
    sampler.suggest_float("reg_lambda", 1e-3, 100.0, log=True)


def _build(params: XGBoostParams, *, task: Task, seed: int) -> Any:
    from automl_xgboost.estimators import XGBoostClassifier, XGBoostRegressor

    arguments = params.model_dump(exclude={"class_weight"})
    if task.is_classification:
        return XGBoostClassifier(**arguments, class_weight=params.class_weight, random_state=seed)
    return XGBoostRegressor(**arguments, random_state=seed)


XGBOOST = ModelSpec(
    name="xgboost",
    description="XGBoost gradient boosted trees (hist), early-stopped on an inner validation split",
    factory=_build,
    tasks=ALL_TASKS,
    params=XGBoostParams,
    search_space=_search_space,
    cost=4.0,
    refit_cost=2.0,  # early stopping, then a fit on every row (refit_full)
    needs_scaling=False,
    # XGBoost is the `xgboost` extra: without it the model is listed as unavailable.
    requires=("xgboost",),
    install="automl[xgboost]",
)
"""The ``xgboost`` model record."""
