"""scikit-learn-compatible XGBoost estimators that early-stop on an inner validation split.

The split, the fallback on tiny data, the label encoding (XGBoost requires the class codes
``0 .. n_classes - 1``), the class weights and the fitted attributes are ``automl``'s
early-stopping booster base (:class:`automl.EarlyStoppingBoosterBase`); this module holds
XGBoost's parameters and how XGBoost is fitted. Predictions use XGBoost's best round
(``best_iteration``).

XGBoost itself is imported inside ``fit``; this module is imported by the model factory only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from automl import (
    EarlyStoppingBoosterBase,
    EarlyStoppingClassifierMixin,
    EarlyStoppingRegressorMixin,
)

THREADS = 1
"""Threads per fit: trials run in parallel worker processes, one CPU each."""


class _XGBoostBase(EarlyStoppingBoosterBase):
    """Parameters and fitting shared by the classifier and the regressor."""

    def __init__(
        self,
        *,
        max_depth: int = 6,
        learning_rate: float = 0.05,
        min_child_weight: float = 1.0,
        subsample: float = 0.8,
        colsample_bytree: float = 0.8,
        reg_alpha: float = 1e-8,
        reg_lambda: float = 1.0,
        n_estimators: int = 2000,
        early_stopping_rounds: int = 50,
        validation_fraction: float = 0.1,
        random_state: int | None = None,
        refit_full: bool = False,
    ) -> None:
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.min_child_weight = min_child_weight
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_alpha = reg_alpha
        self.reg_lambda = reg_lambda
        self.n_estimators = n_estimators
        self.early_stopping_rounds = early_stopping_rounds
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.refit_full = refit_full

    def _xgboost_params(self) -> dict[str, Any]:
        return {
            "max_depth": self.max_depth,
            "learning_rate": self.learning_rate,
            "min_child_weight": self.min_child_weight,
            "subsample": self.subsample,
            "colsample_bytree": self.colsample_bytree,
            "reg_alpha": self.reg_alpha,
            "reg_lambda": self.reg_lambda,
            "tree_method": "hist",
            "random_state": self.random_state,
            "n_jobs": THREADS,
            "verbosity": 0,
        }

    def _new_model(self, xgboost: Any, n_estimators: int, early_stopping: int | None) -> Any:
        raise NotImplementedError

    def _fit_with_validation(
        self,
        x_train: np.ndarray,
        y_train: np.ndarray,
        w_train: np.ndarray | None,
        x_valid: np.ndarray,
        y_valid: np.ndarray,
        w_valid: np.ndarray | None,
    ) -> tuple[Any, int]:
        import xgboost

        model = self._new_model(xgboost, self.n_estimators, self.early_stopping_rounds)
        model.fit(
            x_train,
            y_train,
            sample_weight=w_train,
            eval_set=[(x_valid, y_valid)],
            sample_weight_eval_set=None if w_valid is None else [w_valid],
            verbose=False,
        )
        # `best_iteration` counts from 0; predictions use rounds 0 .. best_iteration.
        return model, int(model.best_iteration) + 1

    def _fit_rounds(
        self, X: np.ndarray, y: np.ndarray, weight: np.ndarray | None, rounds: int
    ) -> Any:
        import xgboost

        model = self._new_model(xgboost, rounds, None)
        model.fit(X, y, sample_weight=weight, verbose=False)
        return model


class XGBoostClassifier(EarlyStoppingClassifierMixin, _XGBoostBase):
    """XGBoost classifier (binary or multiclass; any sortable labels) with early stopping.

    Attributes:
        classes_: The sorted class labels; ``predict_proba`` columns follow them.
        best_iteration_: Boosting rounds used for prediction.
        early_stopped_: Whether a validation split and early stopping were used (not on tiny
            data).
        model_: The fitted ``xgboost.XGBClassifier``, trained on the class codes
            ``0 .. len(classes_) - 1``.
    """

    def __init__(
        self,
        *,
        max_depth: int = 6,
        learning_rate: float = 0.05,
        min_child_weight: float = 1.0,
        subsample: float = 0.8,
        colsample_bytree: float = 0.8,
        reg_alpha: float = 1e-8,
        reg_lambda: float = 1.0,
        n_estimators: int = 2000,
        early_stopping_rounds: int = 50,
        validation_fraction: float = 0.1,
        class_weight: str | dict[Any, float] | None = None,
        random_state: int | None = None,
        refit_full: bool = False,
    ) -> None:
        super().__init__(
            max_depth=max_depth,
            learning_rate=learning_rate,
            min_child_weight=min_child_weight,
            subsample=subsample,
            colsample_bytree=colsample_bytree,
            reg_alpha=reg_alpha,
            reg_lambda=reg_lambda,
            n_estimators=n_estimators,
            early_stopping_rounds=early_stopping_rounds,
            validation_fraction=validation_fraction,
            random_state=random_state,
            refit_full=refit_full,
        )
        self.class_weight = class_weight

    def _new_model(self, xgboost: Any, n_estimators: int, early_stopping: int | None) -> Any:
        return xgboost.XGBClassifier(
            n_estimators=n_estimators,
            early_stopping_rounds=early_stopping,
            **self._xgboost_params(),
        )


class XGBoostRegressor(EarlyStoppingRegressorMixin, _XGBoostBase):
    """XGBoost regressor (squared error) with early stopping.

    Attributes:
        best_iteration_: Boosting rounds used for prediction.
        early_stopped_: Whether a validation split and early stopping were used (not on tiny
            data).
        model_: The fitted ``xgboost.XGBRegressor``.
    """

    def _new_model(self, xgboost: Any, n_estimators: int, early_stopping: int | None) -> Any:
        return xgboost.XGBRegressor(
            n_estimators=n_estimators,
            early_stopping_rounds=early_stopping,
            **self._xgboost_params(),
        )
