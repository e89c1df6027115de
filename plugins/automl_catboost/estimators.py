"""scikit-learn-compatible CatBoost estimators that early-stop on an inner validation split.

``fit`` holds out ``validation_fraction`` of the training rows (stratified for classification,
drawn with ``random_state``), boosts up to ``iterations`` rounds and stops once the validation
loss has not improved for ``early_stopping_rounds`` rounds; the model keeps the trees up to the
best round (``use_best_model``). When the rows are too few for a validation split (fewer than
20, or a class with fewer than 2 rows), it trains :data:`FALLBACK_ROUNDS` rounds on every row.

The classifier encodes the labels itself (any sortable labels: strings, integers, booleans) and
trains CatBoost on the class codes ``0 .. n_classes - 1``, so ``predict_proba`` columns follow
``classes_``. CatBoost runs silent, on one thread, and writes no files: by default it would
create a ``catboost_info/`` folder in the current directory.

CatBoost itself is imported inside ``fit``; this module is imported by the model factory only.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from automl import can_split_validation

FALLBACK_ROUNDS = 100
"""Boosting rounds when the training rows are too few to split off a validation set."""

THREADS = 1
"""Threads per fit: trials run in parallel worker processes, one CPU each."""


def class_sample_weight(class_weight: Any, y: np.ndarray) -> np.ndarray | None:
    """Row weights for the labels ``y`` under scikit-learn's ``class_weight`` (``None``, a
    ``{label: weight}`` mapping, or ``"balanced"``: rows / (classes * rows of the class)).

    Computed once from every training row, so the training and validation parts weigh alike.
    """
    if class_weight is None:
        return None
    weight: np.ndarray = compute_sample_weight(class_weight, y)
    return weight


class _CatBoostBase(BaseEstimator):
    """Parameters and fitting shared by the classifier and the regressor."""

    _classification: ClassVar[bool] = False

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
    ) -> None:
        self.depth = depth
        self.learning_rate = learning_rate
        self.l2_leaf_reg = l2_leaf_reg
        self.iterations = iterations
        self.early_stopping_rounds = early_stopping_rounds
        self.validation_fraction = validation_fraction
        self.random_state = random_state

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

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # CatBoost routes missing values itself
        return tags

    def _new_model(self, catboost: Any, iterations: int) -> Any:
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
            if len(np.unique(y)) < 2:
                raise ValueError(
                    f"{type(self).__name__} needs at least two classes in y, got one class: "
                    f"{y[0]!r}"
                )
        # CatBoost refuses such data ("All features are either constant or ignored").
        # fmax/fmin skip NaN without warning about all-missing columns, as nanmax does.
        if not np.any(np.fmax.reduce(X, axis=0) > np.fmin.reduce(X, axis=0)):
            rows = f"{len(X)} sample" if len(X) == 1 else f"{len(X)} samples"
            raise ValueError(
                f"{type(self).__name__} needs a feature that varies, but every feature is "
                f"constant (or missing) in the {rows} it was given"
            )
        return X, y

    def _validate_predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "model_")
        X_checked: np.ndarray = validate_data(
            self, X, dtype=np.float64, ensure_all_finite="allow-nan", reset=False
        )
        return X_checked

    def _split(
        self, X: np.ndarray, y: np.ndarray, weight: np.ndarray | None
    ) -> tuple[Any, ...] | None:
        """The training and validation parts of ``X``, ``y`` and ``weight``, or ``None`` when
        no usable split exists."""
        if not can_split_validation(
            y, self.validation_fraction, classification=self._classification
        ):
            return None
        from sklearn.model_selection import train_test_split

        x_train, x_valid, y_train, y_valid, w_train, w_valid = train_test_split(
            X,
            y,
            np.ones(len(y)) if weight is None else weight,
            test_size=self.validation_fraction,
            random_state=self.random_state,
            stratify=y if self._classification else None,
        )
        # Every class must be in the training part, or the model would not know it; a stratified
        # split of a class with two rows can, rarely, leave it out.
        if self._classification and len(np.unique(y_train)) < len(np.unique(y)):
            return None
        if weight is None:
            return x_train, x_valid, y_train, y_valid, None, None
        return x_train, x_valid, y_train, y_valid, w_train, w_valid

    def _fit(self, X: np.ndarray, y: np.ndarray, weight: np.ndarray | None = None) -> None:
        """Fit ``model_`` on numeric targets (class codes for classification), rows weighted by
        ``weight`` (``None``: equally)."""
        import catboost  # type: ignore[import-untyped]  # CatBoost ships no type hints

        parts = self._split(X, y, weight)
        if parts is not None:
            x_train, x_valid, y_train, y_valid, w_train, w_valid = parts
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
            self.best_iteration_ = int(model.get_best_iteration()) + 1
            self.early_stopped_ = True
        else:
            rounds = min(self.iterations, FALLBACK_ROUNDS)
            model = self._new_model(catboost, rounds)
            model.fit(X, y, sample_weight=weight)
            self.best_iteration_ = rounds
            self.early_stopped_ = False
        self.model_ = model

    def predict(self, X: Any) -> Any:
        """Predictions of the model cut at the best round."""
        X = self._validate_predict(X)
        return self.model_.predict(X)


class CatBoostClassifier(ClassifierMixin, _CatBoostBase):
    """CatBoost classifier (binary or multiclass; any sortable labels) with early stopping.

    Attributes:
        classes_: The sorted class labels; ``predict_proba`` columns follow them.
        best_iteration_: Boosting rounds (trees) used for prediction.
        early_stopped_: Whether a validation split and early stopping were used (not on tiny
            data).
        model_: The fitted ``catboost.CatBoostClassifier``, trained on the class codes
            ``0 .. len(classes_) - 1``.
    """

    _classification: ClassVar[bool] = True

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
    ) -> None:
        super().__init__(
            depth=depth,
            learning_rate=learning_rate,
            l2_leaf_reg=l2_leaf_reg,
            iterations=iterations,
            early_stopping_rounds=early_stopping_rounds,
            validation_fraction=validation_fraction,
            random_state=random_state,
        )
        self.class_weight = class_weight

    def _new_model(self, catboost: Any, iterations: int) -> Any:
        return catboost.CatBoostClassifier(
            # Chosen from the classes of all rows, never guessed from a part of them.
            loss_function="MultiClass" if len(self.classes_) > 2 else "Logloss",
            **self._catboost_params(iterations),
        )

    def fit(self, X: Any, y: Any) -> CatBoostClassifier:
        """Fit, early-stopping on a stratified validation split when it is large enough."""
        X, y = self._validate_fit(X, y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        self._fit(X, codes, class_sample_weight(self.class_weight, y))
        return self

    def predict_proba(self, X: Any) -> Any:
        """Class probabilities, columns in ``classes_`` order."""
        X = self._validate_predict(X)
        return self.model_.predict_proba(X)

    def predict(self, X: Any) -> Any:
        """The most probable class of each row, as an original label."""
        proba = self.predict_proba(X)  # first: it raises NotFittedError before fit
        return self.classes_[np.argmax(proba, axis=1)]


class CatBoostRegressor(RegressorMixin, _CatBoostBase):
    """CatBoost regressor (squared error, ``RMSE``) with early stopping.

    Attributes:
        best_iteration_: Boosting rounds (trees) used for prediction.
        early_stopped_: Whether a validation split and early stopping were used (not on tiny
            data).
        model_: The fitted ``catboost.CatBoostRegressor``.
    """

    def _new_model(self, catboost: Any, iterations: int) -> Any:
        return catboost.CatBoostRegressor(loss_function="RMSE", **self._catboost_params(iterations))

    def fit(self, X: Any, y: Any) -> CatBoostRegressor:
        """Fit, early-stopping on a validation split when it is large enough."""
        X, y = self._validate_fit(X, y)
        self._fit(X, np.asarray(y, dtype=float))
        return self
