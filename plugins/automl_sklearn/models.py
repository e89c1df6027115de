"""The scikit-learn models: parameters, default configurations, search spaces and factories.

Every model has a :class:`~automl.Params` subclass whose defaults are its default configuration
(the first trial of every search, so each default lies inside the search space), a
``search_space(sampler, task)`` function and a factory. One name serves every task the model
supports: the factory picks the classifier or the regressor; classification-only parameters
(``class_weight``) are not searched, and are ignored, for regression.

The factories import scikit-learn (and :mod:`automl_sklearn.estimators`) when called, never at
import time, so discovering the plugin stays cheap.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from automl import ALL_TASKS, CLASSIFICATION_TASKS, ModelSpec, Params, ParamSampler, Task

_REGRESSION = frozenset({Task.REGRESSION})

ClassWeight = Literal["balanced"] | None
Fraction = Annotated[float, Field(gt=0, le=1)]
MaxFeatures = Fraction | Literal["sqrt", "log2"]

_CLASS_WEIGHT = Field(
    default=None,
    description="Class weights for classification: None (equal) or 'balanced' (inverse class frequency); ignored for regression",
)


# -- logistic regression -------------------------------------------------------------------------


class LogisticRegressionParams(Params):
    """Parameters of ``logistic_regression`` (L2-regularised, lbfgs)."""

    C: float = Field(
        default=1.0,
        gt=0,
        description="Inverse L2 regularisation strength (smaller regularises more)",
    )
    class_weight: ClassWeight = _CLASS_WEIGHT
    max_iter: int = Field(default=1000, ge=1, description="Maximum lbfgs iterations")


def _logistic_regression_space(sampler: ParamSampler, task: Task) -> None:
    sampler.suggest_float("C", 1e-4, 1e3, log=True)
    sampler.suggest_categorical("class_weight", [None, "balanced"])


def _logistic_regression(params: LogisticRegressionParams, *, task: Task, seed: int) -> Any:
    from automl_sklearn.estimators import QuietLogisticRegression

    return QuietLogisticRegression(
        C=params.C,
        class_weight=params.class_weight,
        solver="lbfgs",
        max_iter=params.max_iter,
        random_state=seed,
    )


# -- ridge ---------------------------------------------------------------------------------------


class RidgeParams(Params):
    """Parameters of ``ridge``."""

    alpha: float = Field(
        default=1.0, ge=0, description="L2 regularisation strength (larger regularises more)"
    )


def _ridge_space(sampler: ParamSampler, task: Task) -> None:
    sampler.suggest_float("alpha", 1e-4, 1e3, log=True)


def _ridge(params: RidgeParams, *, task: Task, seed: int) -> Any:
    from sklearn.linear_model import Ridge

    return Ridge(alpha=params.alpha, random_state=seed)


# -- elastic net ---------------------------------------------------------------------------------


class ElasticNetParams(Params):
    """Parameters of ``elastic_net`` (fitted on the standardised target, so alpha is unit-free)."""

    alpha: float = Field(
        default=0.01,
        gt=0,
        description="Regularisation strength on the standardised target (larger regularises more)",
    )
    l1_ratio: float = Field(
        default=0.5, ge=0, le=1, description="Share of L1 in the penalty: 0 is ridge, 1 is lasso"
    )
    max_iter: int = Field(default=10_000, ge=1, description="Maximum coordinate descent passes")


def _elastic_net_space(sampler: ParamSampler, task: Task) -> None:
    sampler.suggest_float("alpha", 1e-4, 10.0, log=True)
    sampler.suggest_float("l1_ratio", 0.0, 1.0)


def _elastic_net(params: ElasticNetParams, *, task: Task, seed: int) -> Any:
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.preprocessing import StandardScaler

    from automl_sklearn.estimators import QuietElasticNet

    return TransformedTargetRegressor(
        regressor=QuietElasticNet(
            alpha=params.alpha,
            l1_ratio=params.l1_ratio,
            max_iter=params.max_iter,
            selection="cyclic",
            random_state=seed,
        ),
        transformer=StandardScaler(),
    )


# -- decision tree -------------------------------------------------------------------------------


class DecisionTreeParams(Params):
    """Parameters of ``decision_tree``."""

    max_depth: int | None = Field(
        default=None,
        ge=1,
        description="Maximum tree depth; None grows until leaves are pure or small",
    )
    min_samples_leaf: int = Field(default=5, ge=1, description="Minimum training rows in a leaf")
    max_features: MaxFeatures | None = Field(
        default=None,
        description="Features considered per split: a fraction, 'sqrt', 'log2', or None for all",
    )
    ccp_alpha: float = Field(
        default=0.0, ge=0, description="Minimal cost-complexity pruning strength (0 prunes nothing)"
    )
    class_weight: ClassWeight = _CLASS_WEIGHT


def _decision_tree_space(sampler: ParamSampler, task: Task) -> None:
    sampler.suggest_categorical("max_depth", [None, 2, 3, 4, 6, 8, 12, 16])
    sampler.suggest_int("min_samples_leaf", 1, 100, log=True)
    sampler.suggest_categorical("max_features", [None, "sqrt", 0.5])
    if task.is_classification:
        sampler.suggest_categorical("class_weight", [None, "balanced"])


def _decision_tree(params: DecisionTreeParams, *, task: Task, seed: int) -> Any:
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    common = {
        "max_depth": params.max_depth,
        "min_samples_leaf": params.min_samples_leaf,
        "max_features": params.max_features,
        "ccp_alpha": params.ccp_alpha,
        "random_state": seed,
    }
    if task.is_classification:
        return DecisionTreeClassifier(class_weight=params.class_weight, **common)
    return DecisionTreeRegressor(**common)


# -- random forest and extra trees ---------------------------------------------------------------


class _ForestParams(Params):
    """What random forests and extra trees share."""

    n_estimators: int = Field(default=300, ge=1, description="Number of trees")
    max_features: MaxFeatures | None = Field(
        default=None,
        description="Features considered per split: a fraction, 'sqrt' or 'log2'; None is "
        "scikit-learn's default for the task: 'sqrt' for classification, every feature for "
        "regression (where 'sqrt' costs much accuracy: RMSE 8.1 against 4.3 on pol)",
    )
    min_samples_leaf: int = Field(default=1, ge=1, description="Minimum training rows in a leaf")
    max_depth: int | None = Field(
        default=None,
        ge=1,
        description="Maximum tree depth; None grows until leaves are pure or small",
    )
    class_weight: Literal["balanced", "balanced_subsample"] | None = Field(
        default=None,
        description="Class weights for classification: None, 'balanced' or 'balanced_subsample' (per bootstrap sample); ignored for regression",
    )
    bootstrap: bool = Field(default=True, description="Train each tree on a bootstrap sample")


class RandomForestParams(_ForestParams):
    """Parameters of ``random_forest``."""


class ExtraTreesParams(_ForestParams):
    """Parameters of ``extra_trees`` (extremely randomised trees)."""

    bootstrap: bool = Field(default=False, description="Train each tree on a bootstrap sample")


_FOREST_MAX_FEATURES = [None, "sqrt", "log2", 0.25, 0.5, 0.75, 1.0]
"""``None`` (the task's default, tried first) is one of the choices, so the default configuration
is a point of the space."""


def _forest_space(sampler: ParamSampler, task: Task) -> None:
    sampler.suggest_int("n_estimators", 50, 500, log=True)
    sampler.suggest_categorical("max_features", _FOREST_MAX_FEATURES)
    sampler.suggest_int("min_samples_leaf", 1, 32, log=True)
    sampler.suggest_categorical("max_depth", [None, 8, 16, 32])
    sampler.suggest_categorical("bootstrap", [True, False])
    if task.is_classification:
        sampler.suggest_categorical("class_weight", [None, "balanced", "balanced_subsample"])


def _forest_max_features(value: float | str | None, task: Task) -> float | str:
    """``None`` is 'sqrt' for classification and every feature (1.0) for regression."""
    if value is None:
        return "sqrt" if task.is_classification else 1.0
    return value


def _forest_arguments(params: _ForestParams, task: Task, seed: int) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "n_estimators": params.n_estimators,
        "max_features": _forest_max_features(params.max_features, task),
        "min_samples_leaf": params.min_samples_leaf,
        "max_depth": params.max_depth,
        "bootstrap": params.bootstrap,
        "random_state": seed,
        "n_jobs": 1,
    }
    if task.is_classification:
        arguments["class_weight"] = params.class_weight
    return arguments


def _random_forest(params: RandomForestParams, *, task: Task, seed: int) -> Any:
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    model = RandomForestClassifier if task.is_classification else RandomForestRegressor
    return model(**_forest_arguments(params, task, seed))


def _extra_trees(params: ExtraTreesParams, *, task: Task, seed: int) -> Any:
    from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor

    model = ExtraTreesClassifier if task.is_classification else ExtraTreesRegressor
    return model(**_forest_arguments(params, task, seed))


# -- histogram gradient boosting -----------------------------------------------------------------


class HistGradientBoostingParams(Params):
    """Parameters of ``hist_gradient_boosting``."""

    learning_rate: float = Field(default=0.1, gt=0, le=1, description="Shrinkage of each tree")
    max_leaf_nodes: int = Field(default=31, ge=2, description="Maximum leaves per tree")
    min_samples_leaf: int = Field(default=20, ge=1, description="Minimum training rows in a leaf")
    l2_regularization: float = Field(
        default=1e-6, ge=0, description="L2 penalty on leaf values (larger regularises more)"
    )
    max_features: float = Field(
        default=1.0, gt=0, le=1, description="Fraction of features considered at each split"
    )
    max_iter: int = Field(
        default=1000,
        ge=1,
        description="Maximum boosting iterations (early stopping usually ends sooner)",
    )
    early_stopping: bool = Field(
        default=True,
        description="Stop when the validation loss stops improving (off automatically on tiny data)",
    )
    validation_fraction: float = Field(
        default=0.1,
        gt=0,
        lt=1,
        description="Share of the training rows held out for early stopping",
    )
    n_iter_no_change: int = Field(
        default=10, ge=1, description="Iterations without improvement before stopping"
    )
    class_weight: ClassWeight = _CLASS_WEIGHT


def _hist_gradient_boosting_space(sampler: ParamSampler, task: Task) -> None:
    sampler.suggest_float("learning_rate", 0.01, 0.3, log=True)
    sampler.suggest_int("max_leaf_nodes", 8, 128, log=True)
    sampler.suggest_int("min_samples_leaf", 5, 100, log=True)
    sampler.suggest_float("l2_regularization", 1e-6, 10.0, log=True)
    sampler.suggest_float("max_features", 0.5, 1.0)
    if task.is_classification:
        sampler.suggest_categorical("class_weight", [None, "balanced"])


def _hist_gradient_boosting(params: HistGradientBoostingParams, *, task: Task, seed: int) -> Any:
    from automl_sklearn.estimators import (
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
    )

    common: dict[str, Any] = {
        "learning_rate": params.learning_rate,
        "max_leaf_nodes": params.max_leaf_nodes,
        "min_samples_leaf": params.min_samples_leaf,
        "l2_regularization": params.l2_regularization,
        "max_features": params.max_features,
        "max_iter": params.max_iter,
        "early_stopping": params.early_stopping,
        "validation_fraction": params.validation_fraction,
        "n_iter_no_change": params.n_iter_no_change,
        "random_state": seed,
    }
    if task.is_classification:
        return HistGradientBoostingClassifier(class_weight=params.class_weight, **common)
    return HistGradientBoostingRegressor(**common)


# -- k nearest neighbours ------------------------------------------------------------------------


class KNNParams(Params):
    """Parameters of ``knn`` (k nearest neighbours on standardised features)."""

    n_neighbors: int = Field(
        default=10, ge=1, description="Neighbours consulted (capped by the training rows)"
    )
    weights: Literal["uniform", "distance"] = Field(
        default="distance", description="Weight neighbours equally or by inverse distance"
    )
    p: Literal[1, 2] = Field(default=2, description="Minkowski power: 1 Manhattan, 2 Euclidean")


def _knn_space(sampler: ParamSampler, task: Task) -> None:
    sampler.suggest_int("n_neighbors", 1, 50, log=True)
    sampler.suggest_categorical("weights", ["uniform", "distance"])
    sampler.suggest_categorical("p", [1, 2])


def _knn(params: KNNParams, *, task: Task, seed: int) -> Any:
    from automl_sklearn.estimators import KNNClassifier, KNNRegressor

    model = KNNClassifier if task.is_classification else KNNRegressor
    return model(n_neighbors=params.n_neighbors, weights=params.weights, p=params.p)


# -- support vector machine ----------------------------------------------------------------------


class SVMParams(Params):
    """Parameters of ``svm`` (support vector machine on standardised features)."""

    C: float = Field(
        default=1.0, gt=0, description="Inverse regularisation strength (smaller regularises more)"
    )
    kernel: Literal["rbf", "linear"] = Field(
        default="rbf",
        description="'rbf' (libsvm SVC / SVR) or 'linear' (liblinear LinearSVC / LinearSVR)",
    )
    gamma_factor: float = Field(
        default=1.0,
        gt=0,
        description="RBF width as a multiple of scikit-learn's gamma='scale' (1 / (n_features * X.var())); 1.0 is 'scale'",
    )
    epsilon: float = Field(
        default=0.1,
        ge=0,
        description="Regression only: error tolerated without penalty, in standard deviations of the target",
    )
    class_weight: ClassWeight = _CLASS_WEIGHT


def _svm_space(sampler: ParamSampler, task: Task) -> None:
    sampler.suggest_float("C", 1e-2, 1e3, log=True)
    if sampler.suggest_categorical("kernel", ["rbf", "linear"]) == "rbf":
        sampler.suggest_float("gamma_factor", 1e-3, 1e2, log=True)
    if task.is_classification:
        sampler.suggest_categorical("class_weight", [None, "balanced"])
    else:
        sampler.suggest_float("epsilon", 1e-3, 1.0, log=True)


def _svm(params: SVMParams, *, task: Task, seed: int) -> Any:
    from automl_sklearn.estimators import SVMClassifier, SVMRegressor

    if task.is_classification:
        return SVMClassifier(
            C=params.C,
            kernel=params.kernel,
            gamma_factor=params.gamma_factor,
            class_weight=params.class_weight,
            random_state=seed,
        )
    return SVMRegressor(
        C=params.C,
        kernel=params.kernel,
        gamma_factor=params.gamma_factor,
        epsilon=params.epsilon,
        random_state=seed,
    )


MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        name="logistic_regression",
        description="L2-regularised logistic regression (scikit-learn, lbfgs)",
        factory=_logistic_regression,
        tasks=CLASSIFICATION_TASKS,
        params=LogisticRegressionParams,
        search_space=_logistic_regression_space,
        cost=1.0,
        needs_scaling=True,
    ),
    ModelSpec(
        name="ridge",
        description="Ridge regression: least squares with an L2 penalty (scikit-learn)",
        factory=_ridge,
        tasks=_REGRESSION,
        params=RidgeParams,
        search_space=_ridge_space,
        cost=1.0,
        needs_scaling=True,
    ),
    ModelSpec(
        name="elastic_net",
        description="Elastic net regression: least squares with L1 and L2 penalties (scikit-learn)",
        factory=_elastic_net,
        tasks=_REGRESSION,
        params=ElasticNetParams,
        search_space=_elastic_net_space,
        cost=1.0,
        needs_scaling=True,
    ),
    ModelSpec(
        name="decision_tree",
        description="A single CART decision tree (scikit-learn)",
        factory=_decision_tree,
        tasks=ALL_TASKS,
        params=DecisionTreeParams,
        search_space=_decision_tree_space,
        cost=1.0,
    ),
    ModelSpec(
        name="random_forest",
        description="Random forest of bootstrapped decision trees (scikit-learn)",
        factory=_random_forest,
        tasks=ALL_TASKS,
        params=RandomForestParams,
        search_space=_forest_space,
        cost=8.0,
    ),
    ModelSpec(
        name="extra_trees",
        description="Extremely randomised trees (scikit-learn)",
        factory=_extra_trees,
        tasks=ALL_TASKS,
        params=ExtraTreesParams,
        search_space=_forest_space,
        cost=6.0,
    ),
    ModelSpec(
        name="hist_gradient_boosting",
        description="Histogram-based gradient boosted trees with early stopping (scikit-learn)",
        factory=_hist_gradient_boosting,
        tasks=ALL_TASKS,
        params=HistGradientBoostingParams,
        search_space=_hist_gradient_boosting_space,
        cost=3.0,
        refit_cost=2.0,  # early stopping, then a fit on every row (refit_full)
    ),
    ModelSpec(
        name="knn",
        description="k nearest neighbours (scikit-learn)",
        factory=_knn,
        tasks=ALL_TASKS,
        params=KNNParams,
        search_space=_knn_space,
        cost=1.5,
        needs_scaling=True,
    ),
    ModelSpec(
        name="svm",
        description="Support vector machine: RBF kernel (libsvm) or linear (liblinear) (scikit-learn)",
        factory=_svm,
        tasks=ALL_TASKS,
        params=SVMParams,
        search_space=_svm_space,
        cost=5.0,
        needs_scaling=True,
    ),
)
"""The scikit-learn models, in registration order."""
