"""scikit-learn estimators adjusted for unattended search; imported only by the model factories.

Each class is an ordinary scikit-learn estimator (``get_params``/``set_params``, clone-able,
picklable) whose ``fit`` copes with what a search throws at it:

* :class:`QuietLogisticRegression`, :class:`QuietElasticNet`: a solver that stops at
  ``max_iter`` still gives a usable model; the search judges it by its score, so the
  ``ConvergenceWarning`` is silenced rather than turned into a failed trial.
* :class:`HistGradientBoostingClassifier`, :class:`HistGradientBoostingRegressor`:
  when the training rows are too few to split off a (stratified) validation set, early stopping
  gives way to at most :data:`FALLBACK_ITERATIONS` iterations instead of failing; with
  ``refit_full`` (automl's final fit) an early-stopped model is fitted again on every row for
  its iterations scaled to them, as :mod:`automl.boosting` does.
* :class:`KNNClassifier`, :class:`KNNRegressor`: ``n_neighbors`` is capped by the training rows.
* :class:`SVMClassifier`, :class:`SVMRegressor`: the RBF kernel runs on libsvm, the linear one
  on liblinear (fast for any ``C``); ``gamma_factor`` scales scikit-learn's
  ``gamma="scale"``; the classifier's probabilities are Platt-calibrated out of fold
  (``CalibratedClassifierCV``, which replaces the deprecated ``SVC(probability=True)``) and
  ``predict`` is their arg-max, so labels and probabilities agree; the regressor fits a
  standardised target, so ``C`` and ``epsilon`` do not depend on the target's unit.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.ensemble import HistGradientBoostingClassifier as _HGBClassifier
from sklearn.ensemble import HistGradientBoostingRegressor as _HGBRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, LogisticRegression
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from automl import can_split_validation, rounds_on_every_row


class QuietLogisticRegression(LogisticRegression):
    """``LogisticRegression`` whose ``fit`` does not warn when ``max_iter`` is reached."""

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> QuietLogisticRegression:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return super().fit(X, y, sample_weight=sample_weight)


class QuietElasticNet(ElasticNet):
    """``ElasticNet`` whose ``fit`` does not warn when ``max_iter`` is reached."""

    def fit(
        self, X: Any, y: Any, sample_weight: Any = None, check_input: bool = True
    ) -> QuietElasticNet:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return super().fit(X, y, sample_weight=sample_weight, check_input=check_input)


FALLBACK_ITERATIONS = 100
"""Boosting iterations (at most) when the rows are too few to split off a validation set."""


def _fit_hgb(
    estimator: Any, parent: type[Any], X: Any, y: Any, sample_weight: Any, *, classification: bool
) -> Any:
    requested = estimator.early_stopping, estimator.max_iter
    early = requested[0] is True and can_split_validation(
        y, estimator.validation_fraction, classification=classification
    )
    if requested[0] is True and not early:
        # Too few rows for a validation set: a fixed, moderate number of iterations instead.
        estimator.early_stopping = False
        estimator.max_iter = min(estimator.max_iter, FALLBACK_ITERATIONS)
    try:
        parent.fit(estimator, X, y, sample_weight=sample_weight)
        estimator.stopped_iteration_ = estimator.n_iter_
        if early and estimator.refit_full:
            # Every row, the validation part included, for as many iterations per row seen.
            estimator.early_stopping = False
            fraction = estimator.validation_fraction
            estimator.max_iter = rounds_on_every_row(estimator.n_iter_, fraction)
            parent.fit(estimator, X, y, sample_weight=sample_weight)
        return estimator
    finally:
        estimator.early_stopping, estimator.max_iter = requested


def _with_refit_full(parent: type[Any]) -> inspect.Signature:
    """``parent.__init__``'s signature and ``refit_full=False``: scikit-learn reads an
    estimator's parameters from its ``__init__``'s signature."""
    signature = inspect.signature(parent.__init__)
    refit_full = inspect.Parameter(
        "refit_full", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=bool
    )
    return signature.replace(parameters=[*signature.parameters.values(), refit_full])


class HistGradientBoostingClassifier(_HGBClassifier):
    """scikit-learn's, without early stopping when the rows are too few to split, and with
    ``refit_full``.

    Attributes:
        stopped_iteration_: The iterations early stopping kept (``n_iter_`` unless
            ``refit_full`` refitted on every row).
    """

    def __init__(self, *, refit_full: bool = False, **params: Any) -> None:
        super().__init__(**params)
        self.refit_full = refit_full

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> HistGradientBoostingClassifier:
        return _fit_hgb(self, _HGBClassifier, X, y, sample_weight, classification=True)


class HistGradientBoostingRegressor(_HGBRegressor):
    """scikit-learn's, without early stopping when the rows are too few to split, and with
    ``refit_full`` (see :class:`HistGradientBoostingClassifier`)."""

    def __init__(self, *, refit_full: bool = False, **params: Any) -> None:
        super().__init__(**params)
        self.refit_full = refit_full

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> HistGradientBoostingRegressor:
        return _fit_hgb(self, _HGBRegressor, X, y, sample_weight, classification=False)


HistGradientBoostingClassifier.__init__.__signature__ = _with_refit_full(_HGBClassifier)  # type: ignore[attr-defined]
HistGradientBoostingRegressor.__init__.__signature__ = _with_refit_full(_HGBRegressor)  # type: ignore[attr-defined]


class _Delegating(BaseEstimator):
    """Fits an inner estimator (``estimator_``) built from the parameters and the data.

    ``fit`` and ``predict`` check their input as scikit-learn's own estimators do (dense,
    finite, 2-D, the fitted number of features), so a wrong input gets scikit-learn's message
    rather than an error from deep inside the inner estimator.
    """

    _classification = False

    def _validate_fit(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        """``X`` and ``y`` checked and converted; sets ``n_features_in_``."""
        X, y = validate_data(self, X, y, y_numeric=not self._classification)
        if self._classification:
            check_classification_targets(y)
        return X, y

    def _validate_predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "estimator_")
        X_checked: np.ndarray = validate_data(self, X, reset=False)
        return X_checked

    def predict(self, X: Any) -> Any:
        """Predict with the fitted inner estimator."""
        X = self._validate_predict(
            X
        )  # before estimator_ is read: NotFittedError, not AttributeError
        return self.estimator_.predict(X)


class _DelegatingClassifier(ClassifierMixin, _Delegating):
    _classification = True

    def predict_proba(self, X: Any) -> Any:
        """Class probabilities, columns in ``classes_`` order."""
        X = self._validate_predict(X)
        return self.estimator_.predict_proba(X)

    def _set_fitted(self, estimator: Any) -> None:
        self.estimator_ = estimator
        self.classes_ = estimator.classes_


class KNNClassifier(_DelegatingClassifier):
    """k-nearest-neighbours classifier; ``n_neighbors`` is capped by the training rows."""

    def __init__(self, n_neighbors: int = 10, weights: str = "distance", p: int = 2) -> None:
        self.n_neighbors = n_neighbors
        self.weights = weights
        self.p = p

    def fit(self, X: Any, y: Any) -> KNNClassifier:
        from sklearn.neighbors import KNeighborsClassifier

        X, y = self._validate_fit(X, y)
        neighbors = max(1, min(self.n_neighbors, len(y)))
        model = KNeighborsClassifier(neighbors, weights=self.weights, p=self.p, n_jobs=1)
        self._set_fitted(model.fit(X, y))
        return self


class KNNRegressor(RegressorMixin, _Delegating):
    """k-nearest-neighbours regressor; ``n_neighbors`` is capped by the training rows."""

    def __init__(self, n_neighbors: int = 10, weights: str = "distance", p: int = 2) -> None:
        self.n_neighbors = n_neighbors
        self.weights = weights
        self.p = p

    def fit(self, X: Any, y: Any) -> KNNRegressor:
        from sklearn.neighbors import KNeighborsRegressor

        X, y = self._validate_fit(X, y)
        neighbors = max(1, min(self.n_neighbors, len(y)))
        model = KNeighborsRegressor(neighbors, weights=self.weights, p=self.p, n_jobs=1)
        self.estimator_ = model.fit(X, y)
        return self


def _rbf_gamma(X: Any, factor: float) -> float:
    """``factor`` times scikit-learn's ``gamma="scale"``: ``1 / (n_features * X.var())``."""
    X = np.asarray(X, dtype=float)
    variance = float(X.var())
    return factor / (X.shape[1] * variance) if variance > 0 else factor


def _quiet_fit(model: Any, X: Any, y: Any) -> Any:
    """``model.fit(X, y)`` without the ``ConvergenceWarning`` of an iteration cap."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


class SVMClassifier(_DelegatingClassifier):
    """Support vector classifier with out-of-fold Platt-calibrated probabilities.

    ``kernel="rbf"`` uses libsvm (``SVC``); ``kernel="linear"`` uses liblinear (``LinearSVC``,
    squared hinge loss), which stays fast for large ``C`` where libsvm's linear kernel can take
    minutes. ``predict`` returns the most probable class, so it agrees with ``predict_proba``.
    """

    def __init__(
        self,
        C: float = 1.0,
        kernel: str = "rbf",
        gamma_factor: float = 1.0,
        class_weight: str | None = None,
        random_state: int | None = None,
    ) -> None:
        self.C = C
        self.kernel = kernel
        self.gamma_factor = gamma_factor
        self.class_weight = class_weight
        self.random_state = random_state

    def _svm(self, X: Any) -> Any:
        from sklearn.svm import SVC, LinearSVC

        if self.kernel == "linear":
            return LinearSVC(
                C=self.C,
                dual="auto",
                class_weight=self.class_weight,
                random_state=self.random_state,
            )
        return SVC(
            C=self.C,
            kernel="rbf",
            gamma=_rbf_gamma(X, self.gamma_factor),
            class_weight=self.class_weight,
            random_state=self.random_state,
        )

    def fit(self, X: Any, y: Any) -> SVMClassifier:
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.frozen import FrozenEstimator
        from sklearn.model_selection import StratifiedKFold

        X, y = self._validate_fit(X, y)
        svm = self._svm(X)
        _, counts = np.unique(np.asarray(y), return_counts=True)
        folds = int(min(5, counts.min()))
        if folds >= 2:
            cv = StratifiedKFold(folds, shuffle=True, random_state=self.random_state)
            model = CalibratedClassifierCV(svm, method="sigmoid", cv=cv, ensemble=False)
        else:  # a class with one row: calibrate on the training rows themselves
            every_row = np.arange(len(y))
            frozen = FrozenEstimator(_quiet_fit(svm, X, y))
            model = CalibratedClassifierCV(frozen, method="sigmoid", cv=[(every_row, every_row)])
        self._set_fitted(_quiet_fit(model, X, y))
        return self

    def predict(self, X: Any) -> Any:
        """The most probable class of each row."""
        proba = self.predict_proba(X)  # first: it raises NotFittedError before fit
        return self.classes_[np.argmax(proba, axis=1)]


class SVMRegressor(RegressorMixin, _Delegating):
    """Support vector regressor fitted on the standardised target (``C``, ``epsilon`` unit-free).

    ``kernel="rbf"`` uses libsvm (``SVR``); ``kernel="linear"`` uses liblinear (``LinearSVR``,
    squared epsilon-insensitive loss, solved in the primal when rows outnumber features).
    """

    def __init__(
        self,
        C: float = 1.0,
        kernel: str = "rbf",
        gamma_factor: float = 1.0,
        epsilon: float = 0.1,
        random_state: int | None = None,
    ) -> None:
        self.C = C
        self.kernel = kernel
        self.gamma_factor = gamma_factor
        self.epsilon = epsilon
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> SVMRegressor:
        from sklearn.svm import SVR, LinearSVR

        X, y = self._validate_fit(X, y)
        y = np.asarray(y, dtype=float)
        self.y_mean_ = float(y.mean())
        self.y_scale_ = float(y.std()) or 1.0
        if self.kernel == "linear":
            model = LinearSVR(
                C=self.C,
                epsilon=self.epsilon,
                loss="squared_epsilon_insensitive",
                dual="auto",
                random_state=self.random_state,
            )
        else:
            model = SVR(
                C=self.C, kernel="rbf", gamma=_rbf_gamma(X, self.gamma_factor), epsilon=self.epsilon
            )
        self.estimator_ = _quiet_fit(model, X, (y - self.y_mean_) / self.y_scale_)
        return self

    def predict(self, X: Any) -> Any:
        """Predicted values, in the target's unit."""
        return super().predict(X) * self.y_scale_ + self.y_mean_
