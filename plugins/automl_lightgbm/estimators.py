"""scikit-learn-compatible LightGBM estimators that early-stop on an inner validation split.

``fit`` holds out ``validation_fraction`` of the training rows (stratified for classification,
drawn with ``random_state``), boosts up to ``n_estimators`` rounds and stops once the validation
loss has not improved for ``early_stopping_rounds`` rounds; predictions use the best round
(``best_iteration_``). When the rows are too few for a validation split (fewer than 20, or a
class with fewer than 2 rows), it trains :data:`FALLBACK_ROUNDS` rounds on every row instead.

LightGBM itself is imported inside ``fit``; this module is imported by the model factory only.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from automl import can_split_validation

FALLBACK_ROUNDS = 100
"""Boosting rounds when the training rows are too few to split off a validation set."""


def _validation_arguments(model: Any, x_valid: Any, y_valid: Any) -> dict[str, Any]:
    """The validation set as ``fit`` takes it: ``eval_X``/``eval_y`` from LightGBM 4.7 on."""
    if "eval_X" in inspect.signature(model.fit).parameters:
        return {"eval_X": (x_valid,), "eval_y": (y_valid,)}
    return {"eval_set": [(x_valid, y_valid)]}  # LightGBM < 4.7


class _LightGBMBase(BaseEstimator):
    """Parameters and fitting shared by the classifier and the regressor."""

    _classification: ClassVar[bool] = False

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

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # LightGBM routes missing values itself
        return tags

    def _new_model(self, lightgbm: Any, n_estimators: int) -> Any:
        raise NotImplementedError

    def _validate_fit(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        """``X`` (float, NaN allowed) and ``y`` checked as scikit-learn does; sets
        ``n_features_in_``."""
        X, y = validate_data(
            self,
            X,
            y,
            dtype=np.float64,
            ensure_all_finite="allow-nan",
            y_numeric=not self._classification,
        )
        if self._classification:
            check_classification_targets(y)
        return X, y

    def _validate_predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "model_")
        X_checked: np.ndarray = validate_data(
            self, X, dtype=np.float64, ensure_all_finite="allow-nan", reset=False
        )
        return X_checked

    def _fit(self, X: Any, y: Any) -> None:
        """Fit ``model_`` on numeric targets (class codes for classification)."""
        import lightgbm

        if can_split_validation(y, self.validation_fraction, classification=self._classification):
            from sklearn.model_selection import train_test_split

            x_train, x_valid, y_train, y_valid = train_test_split(
                X,
                y,
                test_size=self.validation_fraction,
                random_state=self.random_state,
                stratify=y if self._classification else None,
            )
            model = self._new_model(lightgbm, self.n_estimators)
            model.fit(
                x_train,
                y_train,
                **_validation_arguments(model, x_valid, y_valid),
                callbacks=[lightgbm.early_stopping(self.early_stopping_rounds, verbose=False)],
            )
            self.best_iteration_ = int(model.best_iteration_)
            self.early_stopped_ = True
        else:
            rounds = min(self.n_estimators, FALLBACK_ROUNDS)
            model = self._new_model(lightgbm, rounds)
            model.fit(X, y)
            self.best_iteration_ = rounds
            self.early_stopped_ = False
        self.model_ = model

    def predict(self, X: Any) -> Any:
        """Predictions of the best boosting round."""
        X = self._validate_predict(X)
        return self.model_.predict(X)


class LightGBMClassifier(ClassifierMixin, _LightGBMBase):
    """LightGBM classifier (binary or multiclass; any sortable labels) with early stopping.

    Attributes:
        classes_: The sorted class labels; ``predict_proba`` columns follow them.
        best_iteration_: Boosting rounds used for prediction.
        early_stopped_: Whether a validation split and early stopping were used (not on tiny
            data).
        model_: The fitted ``lightgbm.LGBMClassifier``, trained on the class codes
            ``0 .. len(classes_) - 1``.
    """

    _classification: ClassVar[bool] = True

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
        )
        self.class_weight = class_weight

    def _new_model(self, lightgbm: Any, n_estimators: int) -> Any:
        return lightgbm.LGBMClassifier(
            n_estimators=n_estimators, class_weight=self.class_weight, **self._lightgbm_params()
        )

    def fit(self, X: Any, y: Any) -> LightGBMClassifier:
        """Fit, early-stopping on a stratified validation split when it is large enough."""
        X, y = self._validate_fit(X, y)
        # Encoded here: LightGBM's own encoder does not reach the validation labels (eval_y).
        self.classes_, codes = np.unique(y, return_inverse=True)
        self._fit(X, codes)
        return self

    def predict_proba(self, X: Any) -> Any:
        """Class probabilities, columns in ``classes_`` order."""
        X = self._validate_predict(X)
        return self.model_.predict_proba(X)

    def predict(self, X: Any) -> Any:
        """The most probable class of each row, as an original label."""
        proba = self.predict_proba(X)  # first: it raises NotFittedError before fit
        return self.classes_[np.argmax(proba, axis=1)]


class LightGBMRegressor(RegressorMixin, _LightGBMBase):
    """LightGBM regressor (squared error) with early stopping.

    Attributes:
        best_iteration_: Boosting rounds used for prediction.
        early_stopped_: Whether a validation split and early stopping were used (not on tiny
            data).
        model_: The fitted ``lightgbm.LGBMRegressor``.
    """

    def _new_model(self, lightgbm: Any, n_estimators: int) -> Any:
        return lightgbm.LGBMRegressor(n_estimators=n_estimators, **self._lightgbm_params())

    def fit(self, X: Any, y: Any) -> LightGBMRegressor:
        """Fit, early-stopping on a validation split when it is large enough."""
        X, y = self._validate_fit(X, y)
        self._fit(X, np.asarray(y, dtype=float))
        return self
