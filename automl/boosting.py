"""A base for scikit-learn-compatible boosted-tree estimators that early-stop on held-out rows.

``fit`` holds out ``validation_fraction`` of the training rows (stratified for classification,
drawn with ``random_state``), boosts up to the round cap and stops once the validation loss has
not improved for ``early_stopping_rounds`` rounds; predictions use the best round
(``best_iteration_``). With ``refit_full`` (automl sets it for the final fit on every training
row when time allows), the rows held out are not lost: after early stopping the model is fitted
again on every row for ``best_iteration / (1 - validation_fraction)`` rounds. When the rows are
too few for a validation split (:func:`~automl.validation.can_split_validation` says no, or a
stratified split would leave a class out of the training part), it trains
:data:`FALLBACK_ROUNDS` rounds (at most the cap) on every row instead.

A library's estimators subclass :class:`EarlyStoppingBoosterBase` once for what the classifier
and the regressor share (their parameters and the two fitting hooks), and combine that class with
:class:`EarlyStoppingClassifierMixin` or :class:`EarlyStoppingRegressorMixin`, placed first::

    class _MyBoosterBase(EarlyStoppingBoosterBase):
        def _fit_with_validation(self, x_train, y_train, w_train, x_valid, y_valid, w_valid): ...
        def _fit_rounds(self, X, y, weight, rounds): ...

    class MyBoosterClassifier(EarlyStoppingClassifierMixin, _MyBoosterBase): ...

The classifier encodes the labels itself (any sortable labels) and the library sees only the
class codes ``0 .. n_classes - 1``, in the training and the validation part alike.

Plugins import these names from ``automl``; the boosting library itself is imported inside the
hooks, so that only ``fit`` loads it.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any, ClassVar, Self

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from automl.validation import can_split_validation

__all__ = [
    "FALLBACK_ROUNDS",
    "EarlyStoppingBoosterBase",
    "EarlyStoppingClassifierMixin",
    "EarlyStoppingRegressorMixin",
    "class_sample_weight",
    "rounds_on_every_row",
]

FALLBACK_ROUNDS = 100
"""Boosting rounds when the training rows are too few to split off a validation set."""


def rounds_on_every_row(best_iteration: int, validation_fraction: float) -> int:
    """Rounds for a refit on every row after early stopping found ``best_iteration`` on the
    rows left by ``validation_fraction``: as many rounds per row seen."""
    return max(1, round(best_iteration / (1.0 - validation_fraction)))


def class_sample_weight(class_weight: Any, y: np.ndarray) -> np.ndarray | None:
    """Row weights for the labels ``y`` under scikit-learn's ``class_weight``.

    Computed once from every training row, so the training and validation parts weigh alike.

    Args:
        class_weight: ``None`` (equal weights), a ``{label: weight}`` mapping, or
            ``"balanced"`` (rows / (classes * rows of the class)).
        y: The original labels of every training row.

    Returns:
        One weight per row, or ``None`` when ``class_weight`` is ``None``.
    """
    if class_weight is None:
        return None
    weight: np.ndarray = compute_sample_weight(class_weight, y)
    return weight


class EarlyStoppingBoosterBase(BaseEstimator, metaclass=ABCMeta):  # type: ignore[misc]  # untyped
    """Validation, inner split, fallback and fit orchestration of an early-stopping booster.

    A subclass's ``__init__`` takes every parameter as an explicit keyword argument and stores it
    unchanged (scikit-learn reads the parameters from its signature); it must include
    ``early_stopping_rounds``, ``validation_fraction``, ``random_state`` and the round cap named
    by :attr:`rounds_parameter`, and should include ``refit_full: bool = False`` (without it, the
    final fit keeps the model trained on the rows left after the validation split). It
    implements :meth:`_fit_with_validation` and :meth:`_fit_rounds`.

    Attributes:
        rounds_parameter: The name of the parameter that caps the boosting rounds.
        fallback_rounds: Rounds trained on every row when no validation split is possible.
        best_iteration_: Boosting rounds used for prediction.
        early_stopped_: Whether a validation split and early stopping were used (not on tiny
            data).
        stopped_iteration_: The best round early stopping found (``best_iteration_`` unless
            ``refit_full`` refitted on every row).
        model_: The fitted model of the boosting library.
    """

    _classification: ClassVar[bool] = False
    rounds_parameter: ClassVar[str] = "n_estimators"
    fallback_rounds: ClassVar[int] = FALLBACK_ROUNDS

    early_stopping_rounds: int
    validation_fraction: float
    random_state: int | None
    best_iteration_: int
    stopped_iteration_: int
    early_stopped_: bool
    model_: Any

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # boosted trees route missing values themselves
        return tags

    @abstractmethod
    def _fit_with_validation(
        self,
        x_train: np.ndarray,
        y_train: np.ndarray,
        w_train: np.ndarray | None,
        x_valid: np.ndarray,
        y_valid: np.ndarray,
        w_valid: np.ndarray | None,
    ) -> tuple[Any, int]:
        """Boost up to the round cap on the training part, early-stopping on the validation part.

        Args:
            x_train: Features of the training part.
            y_train: Targets of the training part (class codes for classification).
            w_train: Row weights of the training part, or ``None`` (equal weights).
            x_valid: Features of the validation part.
            y_valid: Targets of the validation part.
            w_valid: Row weights of the validation part, or ``None``.

        Returns:
            The fitted model, predicting with its best round, and the number of rounds that
            best round makes (counted from 1).
        """

    @abstractmethod
    def _fit_rounds(
        self, X: np.ndarray, y: np.ndarray, weight: np.ndarray | None, rounds: int
    ) -> Any:
        """Boost exactly ``rounds`` rounds on every row, without early stopping.

        Args:
            X: Features of every training row.
            y: Targets (class codes for classification).
            weight: Row weights, or ``None`` (equal weights).
            rounds: The number of boosting rounds.

        Returns:
            The fitted model.
        """

    def _validate_fit(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        """``X`` (float, NaN allowed) and ``y`` checked as scikit-learn does; sets
        ``n_features_in_`` (and ``feature_names_in_`` for a data frame)."""
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
        """``(x_train, y_train, w_train, x_valid, y_valid, w_valid)``, or ``None`` when no usable
        split exists; the weights are ``None`` when ``weight`` is."""
        if not can_split_validation(
            y, self.validation_fraction, classification=self._classification
        ):
            return None
        from sklearn.model_selection import train_test_split

        # The split depends on the rows, the labels and the seed only, not on the weights.
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
            return x_train, y_train, None, x_valid, y_valid, None
        return x_train, y_train, w_train, x_valid, y_valid, w_valid

    def _fit(self, X: np.ndarray, y: np.ndarray, weight: np.ndarray | None = None) -> None:
        """Fit ``model_`` on numeric targets (class codes for classification), rows weighted by
        ``weight`` (``None``: equally)."""
        parts = self._split(X, y, weight)
        if parts is not None:
            model, best_iteration = self._fit_with_validation(*parts)
            self.best_iteration_ = self.stopped_iteration_ = int(best_iteration)
            self.early_stopped_ = True
            if getattr(self, "refit_full", False):
                rounds = rounds_on_every_row(best_iteration, self.validation_fraction)
                model = self._fit_rounds(X, y, weight, rounds)
                self.best_iteration_ = rounds
        else:
            rounds = min(int(getattr(self, self.rounds_parameter)), self.fallback_rounds)
            model = self._fit_rounds(X, y, weight, rounds)
            self.best_iteration_ = self.stopped_iteration_ = rounds
            self.early_stopped_ = False
        self.model_ = model

    def predict(self, X: Any) -> Any:
        """Predictions of the best boosting round."""
        X = self._validate_predict(X)
        return self.model_.predict(X)


class EarlyStoppingClassifierMixin(ClassifierMixin, EarlyStoppingBoosterBase):  # type: ignore[misc]
    """The classifier half: label encoding, class weights, probabilities in ``classes_`` order.

    Put it first among the bases. The library is trained on the class codes
    ``0 .. len(classes_) - 1``; a ``class_weight`` parameter (``None``, ``"balanced"`` or a
    ``{label: weight}`` mapping) becomes row weights computed from every training row.

    Attributes:
        classes_: The sorted class labels; ``predict_proba`` columns follow them.
    """

    _classification: ClassVar[bool] = True

    classes_: np.ndarray

    def _sample_weight(self, y: np.ndarray) -> np.ndarray | None:
        """Row weights for the original labels ``y``, from ``class_weight`` if the estimator has
        that parameter; override to return ``None`` when the library weighs classes itself."""
        return class_sample_weight(getattr(self, "class_weight", None), y)

    def fit(self, X: Any, y: Any) -> Self:
        """Fit, early-stopping on a stratified validation split when it is large enough.

        Args:
            X: The feature matrix (NaN allowed).
            y: The labels: any sortable values, at least two distinct ones.

        Returns:
            The fitted estimator.
        """
        X, y = self._validate_fit(X, y)
        # Encoded here, so that the training and validation labels share one encoding.
        self.classes_, codes = np.unique(y, return_inverse=True)
        self._fit(X, codes, self._sample_weight(y))
        return self

    def predict_proba(self, X: Any) -> Any:
        """Class probabilities, columns in ``classes_`` order."""
        X = self._validate_predict(X)
        return self.model_.predict_proba(X)

    def predict(self, X: Any) -> Any:
        """The most probable class of each row, as an original label."""
        proba = self.predict_proba(X)  # first: it raises NotFittedError before fit
        return self.classes_[np.argmax(proba, axis=1)]


class EarlyStoppingRegressorMixin(RegressorMixin, EarlyStoppingBoosterBase):  # type: ignore[misc]
    """The regressor half: a float target, rows weighted equally. Put it first among the bases."""

    def fit(self, X: Any, y: Any) -> Self:
        """Fit, early-stopping on a validation split when it is large enough.

        Args:
            X: The feature matrix (NaN allowed).
            y: The numeric target.

        Returns:
            The fitted estimator.
        """
        X, y = self._validate_fit(X, y)
        self._fit(X, np.asarray(y, dtype=float))
        return self
