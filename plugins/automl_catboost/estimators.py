"""scikit-learn-compatible CatBoost estimators that early-stop on an inner validation split.

The split, the fallback on tiny data, the label encoding, the class weights and the fitted
attributes are ``automl``'s early-stopping booster base (:class:`automl.EarlyStoppingBoosterBase`,
its round cap here is ``iterations``); this module holds CatBoost's parameters, how CatBoost is
fitted (the model keeps the trees up to the best round: ``use_best_model``) and the data CatBoost
refuses. CatBoost runs silent, on one thread, and writes no files: by default it would create a
``catboost_info/`` folder in the current directory.

CatBoost itself is imported inside ``fit``; this module is imported by the model factory only.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from automl import (
    EarlyStoppingBoosterBase,
    EarlyStoppingClassifierMixin,
    EarlyStoppingRegressorMixin,
)

THREADS = 1
"""Threads per fit: trials run in parallel worker processes, one CPU each."""


class _CatBoostBase(EarlyStoppingBoosterBase):
    """Parameters and fitting shared by the classifier and the regressor."""

    rounds_parameter: ClassVar[str] = "iterations"

    def __init__(
        self,
        *,
        depth: int = 6,
        learning_rate: float = 0.1,
        l2_leaf_reg: float = 3.0,
        iterations: int = 500,
        early_stopping_rounds: int = 50,
        validation_fraction: float = 0.1,
        random_state: int | None = None,
        refit_full: bool = False,
    ) -> None:
        self.depth = depth
        self.learning_rate = learning_rate
        self.l2_leaf_reg = l2_leaf_reg
        self.iterations = iterations
        self.early_stopping_rounds = early_stopping_rounds
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.refit_full = refit_full

    def _catboost_params(self, iterations: int) -> dict[str, Any]:
        return {
            "iterations": iterations,
            "depth": self.depth,
            "learning_rate": self.learning_rate,
            "l2_leaf_reg": self.l2_leaf_reg,
            "random_seed": self.random_state,
            "thread_count": THREADS,
            "verbose": 0,
            # Otherwise CatBoost writes catboost_info/ (logs, snapshots) into the current folder.
            "allow_writing_files": False,
        }

    def _new_model(self, catboost: Any, iterations: int) -> Any:
        raise NotImplementedError

    def _validate_fit(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        X, y = super()._validate_fit(X, y)
        # CatBoost refuses such data ("All features are either constant or ignored").
        # fmax/fmin skip NaN without warning about all-missing columns, as nanmax does.
        if not np.any(np.fmax.reduce(X, axis=0) > np.fmin.reduce(X, axis=0)):
            rows = f"{len(X)} sample" if len(X) == 1 else f"{len(X)} samples"
            raise ValueError(
                f"{type(self).__name__} needs a feature that varies, but every feature is "
                f"constant (or missing) in the {rows} it was given"
            )
        return X, y

    def _fit_with_validation(
        self,
        x_train: np.ndarray,
        y_train: np.ndarray,
        w_train: np.ndarray | None,
        x_valid: np.ndarray,
        y_valid: np.ndarray,
        w_valid: np.ndarray | None,
    ) -> tuple[Any, int]:
        import catboost  # type: ignore[import-untyped]  # CatBoost ships no type hints

        model = self._new_model(catboost, self.iterations)
        model.fit(
            x_train,
            y_train,
            sample_weight=w_train,
            eval_set=catboost.Pool(x_valid, y_valid, weight=w_valid),
            early_stopping_rounds=self.early_stopping_rounds,
            use_best_model=True,
        )
        # `get_best_iteration` counts from 0; the model keeps trees 0 .. best.
        return model, int(model.get_best_iteration()) + 1

    def _fit_rounds(
        self, X: np.ndarray, y: np.ndarray, weight: np.ndarray | None, rounds: int
    ) -> Any:
        import catboost

        model = self._new_model(catboost, rounds)
        model.fit(X, y, sample_weight=weight)
        return model


class CatBoostClassifier(EarlyStoppingClassifierMixin, _CatBoostBase):
    """CatBoost classifier (binary or multiclass; any sortable labels) with early stopping.

    Attributes:
        classes_: The sorted class labels; ``predict_proba`` columns follow them.
        best_iteration_: Boosting rounds (trees) used for prediction.
        early_stopped_: Whether a validation split and early stopping were used (not on tiny
            data).
        model_: The fitted ``catboost.CatBoostClassifier``, trained on the class codes
            ``0 .. len(classes_) - 1``.
    """

    def __init__(
        self,
        *,
        depth: int = 6,
        learning_rate: float = 0.1,
        l2_leaf_reg: float = 3.0,
        iterations: int = 500,
        early_stopping_rounds: int = 50,
        validation_fraction: float = 0.1,
        class_weight: str | dict[Any, float] | None = None,
        random_state: int | None = None,
        refit_full: bool = False,
    ) -> None:
        super().__init__(
            depth=depth,
            learning_rate=learning_rate,
            l2_leaf_reg=l2_leaf_reg,
            iterations=iterations,
            early_stopping_rounds=early_stopping_rounds,
            validation_fraction=validation_fraction,
            random_state=random_state,
            refit_full=refit_full,
        )
        self.class_weight = class_weight

    def _new_model(self, catboost: Any, iterations: int) -> Any:
        return catboost.CatBoostClassifier(
            # Chosen from the classes of all rows, never guessed from a part of them.
            loss_function="MultiClass" if len(self.classes_) > 2 else "Logloss",
            **self._catboost_params(iterations),
        )


class CatBoostRegressor(EarlyStoppingRegressorMixin, _CatBoostBase):
    """CatBoost regressor (squared error, ``RMSE``) with early stopping.

    Attributes:
        best_iteration_: Boosting rounds (trees) used for prediction.
        early_stopped_: Whether a validation split and early stopping were used (not on tiny
            data).
        model_: The fitted ``catboost.CatBoostRegressor``.
    """

    def _new_model(self, catboost: Any, iterations: int) -> Any:
        return catboost.CatBoostRegressor(loss_function="RMSE", **self._catboost_params(iterations))
