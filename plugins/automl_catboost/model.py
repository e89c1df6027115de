"""The ``catboost`` model: parameters, default configuration, search space and factory.

CatBoost grows symmetric (oblivious) trees, so its search space is small: tree depth, learning
rate and the L2 penalty on leaf values (log scales where the effect is multiplicative). The
number of trees is capped by ``iterations`` and not searched: every fit early-stops on an inner
validation split (:mod:`automl_catboost.estimators`). The cap (500 rounds) and the depth range
(4 to 8) keep one fit on 10,000 rows to seconds on the one thread a trial is given: depth 6
took about 4 s and depth 8 about 8 s on 10,000 rows and 48 features, where depth 10 took 69 s.
Under that cap, data that needs many rounds asks for a high learning rate and a light penalty:
on ``car`` the search piled up at the former bounds (0.3 and 1.0), and 0.5 with 0.3 lowered the
cross-validated log loss from 0.030 to 0.023 and the test log loss from 0.012 to 0.007 (means
over two splits, depth 4).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from automl import ALL_TASKS, ModelSpec, Params, ParamSampler, Task


class CatBoostParams(Params):
    """Parameters of ``catboost`` (names of CatBoost's scikit-learn API)."""

    depth: int = Field(default=6, ge=1, le=16, description="Depth of each symmetric tree")
    learning_rate: float = Field(default=0.1, gt=0, le=1, description="Shrinkage of each tree")
    l2_leaf_reg: float = Field(default=3.0, ge=0, description="L2 penalty on leaf values")
    iterations: int = Field(
        default=500,
        ge=1,
        le=10_000,
        description="Maximum boosting rounds (trees); early stopping usually ends sooner",
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
    sampler.suggest_int("depth", 4, 8)
    sampler.suggest_float("learning_rate", 0.01, 0.5, log=True)
    sampler.suggest_float("l2_leaf_reg", 0.1, 30.0, log=True)


def _build(params: CatBoostParams, *, task: Task, seed: int) -> Any:
    from automl_catboost.estimators import CatBoostClassifier, CatBoostRegressor

    arguments = params.model_dump(exclude={"class_weight"})
    if task.is_classification:
        return CatBoostClassifier(**arguments, class_weight=params.class_weight, random_state=seed)
    return CatBoostRegressor(**arguments, random_state=seed)


CATBOOST = ModelSpec(
    name="catboost",
    description="CatBoost gradient boosted symmetric trees, early-stopped on an inner validation split",
    factory=_build,
    tasks=ALL_TASKS,
    params=CatBoostParams,
    search_space=_search_space,
    cost=5.0,
    refit_cost=2.0,  # early stopping, then a fit on every row (refit_full)
    needs_scaling=False,
    # CatBoost is the `catboost` extra: without it the model is listed as unavailable.
    requires=("catboost",),
    install="automl[catboost]",
)
"""The ``catboost`` model record."""
