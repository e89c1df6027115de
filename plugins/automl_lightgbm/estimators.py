"""scikit-learn-compatible LightGBM estimators that early-stop on an inner validation split.

The split, the fallback on tiny data, the label encoding and the fitted attributes are
``automl``'s early-stopping booster base (:class:`automl.EarlyStoppingBoosterBase`); this module
holds LightGBM's parameters and how LightGBM is fitted. ``class_weight`` is LightGBM's own: it
weighs the classes of the training part.

LightGBM itself is imported inside ``fit``; this module is imported by the model factory only.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from automl import (
    EarlyStoppingBoosterBase,
    EarlyStoppingClassifierMixin,
    EarlyStoppingRegressorMixin,
)


def _validation_arguments(model: Any, x_valid: Any, y_valid: Any) -> dict[str, Any]:
    """The validation set as ``fit`` takes it: ``eval_X``/``eval_y`` from LightGBM 4.7 on."""
    if "eval_X" in inspect.signature(model.fit).parameters:
        return {"eval_X": (x_valid,), "eval_y": (y_valid,)}
    return {"eval_set": [(x_valid, y_valid)]}  # LightGBM < 4.7


class _LightGBMBase(EarlyStoppingBoosterBase):
    """Parameters and fitting shared by the classifier and the regressor."""

    def __init__(
        self,
        *,
        num_leaves: int = 31,
        learning_rate: float = 0.05,
        min_child_samples: int = 20,
        colsample_bytree: float = 0.8,
        subsample: float = 0.8,
        reg_alpha: float = 1e-8,
        reg_lambda: float = 1e-8,
        n_estimators: int = 2000,
        early_stopping_rounds: int = 50,
        validation_fraction: float = 0.1,
        random_state: int | None = None,
        refit_full: bool = False,
    ) -> None:
        self.num_leaves = num_leaves
        self.learning_rate = learning_rate
        self.min_child_samples = min_child_samples
        self.colsample_bytree = colsample_bytree
        self.subsample = subsample
        self.reg_alpha = reg_alpha
        self.reg_lambda = reg_lambda
        self.n_estimators = n_estimators
        self.early_stopping_rounds = early_stopping_rounds
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.refit_full = refit_full

    def _lightgbm_params(self) -> dict[str, Any]:
        return {
            "num_leaves": self.num_leaves,
            "learning_rate": self.learning_rate,
            "min_child_samples": self.min_child_samples,
            "colsample_bytree": self.colsample_bytree,
            "subsample": self.subsample,
            "subsample_freq": 1 if self.subsample < 1 else 0,
            "reg_alpha": self.reg_alpha,
            "reg_lambda": self.reg_lambda,
            "random_state": self.random_state,
            "n_jobs": 1,
            "verbose": -1,
            "deterministic": True,
            "force_row_wise": True,
        }

    def _new_model(self, lightgbm: Any, n_estimators: int) -> Any:
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
        import lightgbm

        model = self._new_model(lightgbm, self.n_estimators)
        model.fit(
            x_train,
            y_train,
            sample_weight=w_train,
            **_validation_arguments(model, x_valid, y_valid),
            callbacks=[lightgbm.early_stopping(self.early_stopping_rounds, verbose=False)],
        )
        # LightGBM counts `best_iteration_` from 1 and predicts with it by default.
        return model, int(model.best_iteration_)

    def _fit_rounds(
        self, X: np.ndarray, y: np.ndarray, weight: np.ndarray | None, rounds: int
    ) -> Any:
        import lightgbm

        model = self._new_model(lightgbm, rounds)
        model.fit(X, y, sample_weight=weight)
        return model


class LightGBMClassifier(EarlyStoppingClassifierMixin, _LightGBMBase):
    """LightGBM classifier (binary or multiclass; any sortable labels) with early stopping.

    Attributes:
        classes_: The sorted class labels; ``predict_proba`` columns follow them.
        best_iteration_: Boosting rounds used for prediction.
        early_stopped_: Whether a validation split and early stopping were used (not on tiny
            data).
        model_: The fitted ``lightgbm.LGBMClassifier``, trained on the class codes
            ``0 .. len(classes_) - 1``.
    """

    def __init__(
        self,
        *,
        num_leaves: int = 31,
        learning_rate: float = 0.05,
        min_child_samples: int = 20,
        colsample_bytree: float = 0.8,
        subsample: float = 0.8,
        reg_alpha: float = 1e-8,
        reg_lambda: float = 1e-8,
        n_estimators: int = 2000,
        early_stopping_rounds: int = 50,
        validation_fraction: float = 0.1,
        class_weight: str | None = None,
        random_state: int | None = None,
        refit_full: bool = False,
    ) -> None:
        super().__init__(
            num_leaves=num_leaves,
            learning_rate=learning_rate,
            min_child_samples=min_child_samples,
            colsample_bytree=colsample_bytree,
            subsample=subsample,
            reg_alpha=reg_alpha,
            reg_lambda=reg_lambda,
            n_estimators=n_estimators,
            early_stopping_rounds=early_stopping_rounds,
            validation_fraction=validation_fraction,
            random_state=random_state,
            refit_full=refit_full,
        )
        self.class_weight = class_weight

    def _sample_weight(self, y: np.ndarray) -> np.ndarray | None:
        return None  # LightGBM applies `class_weight` itself (_new_model)

    def _new_model(self, lightgbm: Any, n_estimators: int) -> Any:
        return lightgbm.LGBMClassifier(
            n_estimators=n_estimators, class_weight=self.class_weight, **self._lightgbm_params()
        )


class LightGBMRegressor(EarlyStoppingRegressorMixin, _LightGBMBase):
    """LightGBM regressor (squared error) with early stopping.

    Attributes:
        best_iteration_: Boosting rounds used for prediction.
        early_stopped_: Whether a validation split and early stopping were used (not on tiny
            data).
        model_: The fitted ``lightgbm.LGBMRegressor``.
    """

    def _new_model(self, lightgbm: Any, n_estimators: int) -> Any:
        return lightgbm.LGBMRegressor(n_estimators=n_estimators, **self._lightgbm_params())
