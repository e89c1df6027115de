"""scikit-learn estimators that run a whole AutoML search in ``fit``.

:class:`AutoMLClassifier` and :class:`AutoMLRegressor` build a recipe from their parameters
(named like the recipe keys), run it on the data given to ``fit`` (no file, no source plugin),
and predict with the packaged best model. They work in a :class:`~sklearn.pipeline.Pipeline`,
with :func:`~sklearn.model_selection.cross_val_score` and ``clone``::

    from automl import AutoMLClassifier

    model = AutoMLClassifier(time_budget=60).fit(X_train, y_train)
    model.predict(X_test); model.leaderboard_

Each ``fit`` is one run, written to its own run directory (:attr:`run_dir_`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

if TYPE_CHECKING:
    import pandas as pd

    from automl.leaderboard import Leaderboard
    from automl.package import ModelPackage

__all__ = ["AutoMLClassifier", "AutoMLRegressor"]


class AutoMLEstimator(BaseEstimator):  # type: ignore[misc]  # scikit-learn is untyped
    """What the classifier and the regressor share; see :class:`AutoMLClassifier`."""

    def __init__(
        self,
        *,
        time_budget: float | None = 60.0,
        n_trials: int | None = None,
        cv: int | Literal["auto"] = "auto",
        metric: str | None = None,
        metrics: list[str] | None = None,
        models: list[str] | None = None,
        seed: int = 0,
        holdout: float = 0.0,
        workers: int | str | None = None,
        backend: str | None = None,
        run_dir: str | None = None,
        progress: bool | Literal["auto"] = "auto",
    ) -> None:
        self.time_budget = time_budget
        self.n_trials = n_trials
        self.cv = cv
        self.metric = metric
        self.metrics = metrics
        self.models = models
        self.seed = seed
        self.holdout = holdout
        self.workers = workers
        self.backend = backend
        self.run_dir = run_dir
        self.progress = progress

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        # The packaged pipeline imputes missing values itself.
        tags.input_tags.allow_nan = True
        tags.non_deterministic = True  # several workers finish trials in any order
        return tags

    # -- fitting ------------------------------------------------------------------------------

    def _recipe(self, target: str, task: str) -> dict[str, Any]:
        """The recipe this estimator's parameters describe (no data source: data is given)."""
        search: dict[str, Any] = {"cv": self.cv, "seed": self.seed}
        if self.time_budget is not None:
            search["time_budget"] = self.time_budget
        if self.n_trials is not None:
            search["n_trials"] = self.n_trials
        recipe: dict[str, Any] = {
            "name": f"{type(self).__name__.lower()}",
            "task": task,
            "data": {"target": target, "holdout": self.holdout},
            "search": search,
        }
        for key in ("metric", "metrics", "models"):
            if getattr(self, key) is not None:
                recipe[key] = getattr(self, key)
        execution = {"workers": self.workers, "backend": self.backend}
        execution = {key: value for key, value in execution.items() if value is not None}
        if execution:
            recipe["execution"] = execution
        return recipe

    def _frame(self, X: Any, *, reset: bool) -> pd.DataFrame:
        """``X`` as the DataFrame the model sees: its own columns, or ``x0..xn`` for an array."""
        import pandas as pd

        if isinstance(X, pd.DataFrame):
            validate_data(self, X, reset=reset, skip_check_array=True)
            if len(X) == 0:
                raise ValueError(
                    f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 is required."
                )
            return X.rename(columns=str)
        array = validate_data(self, X, reset=reset, ensure_all_finite="allow-nan", dtype=None)
        return pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])

    def _fit(self, frame: pd.DataFrame, y: Any, name: Any, task: str) -> AutoMLEstimator:
        """Run the search on ``frame`` (from :meth:`_frame`) with ``y`` as the target column
        ``name`` (``target`` when ``None`` or taken by a feature)."""
        import pandas as pd
        from sklearn.utils.validation import check_consistent_length

        from automl.api import run
        from automl.package import load_model
        from automl.runner.splits import cv_folds

        check_consistent_length(frame, y)
        # A cv the recipe refuses is reported by the recipe's validation, with its rule.
        folds = (
            cv_folds(self.cv, len(frame)) if isinstance(self.cv, int) or self.cv == "auto" else 0
        )
        if len(frame) < folds:
            # Cross-validation splits the rows into cv folds; say so before any run starts.
            raise ValueError(
                f"n_samples = {len(frame)} is fewer than the cv = {folds} folds of the search"
            )
        target = str(name) if name is not None and str(name) not in frame.columns else "target"
        while target in frame.columns:
            target = f"_{target}"
        frame = frame.reset_index(drop=True)
        frame[target] = pd.Series(np.asarray(y), index=frame.index)
        recipe = self._recipe(target, task)
        self.run_dir_ = new_run_dir(self.run_dir, recipe["name"])
        result = run(recipe, data=frame, run_dir=self.run_dir_, progress=self.progress)
        self.leaderboard_: Leaderboard = result.leaderboard
        self.result_ = result
        self.best_model_: ModelPackage = load_model(result.run_dir / "model")
        return self

    def _predict(self, X: Any) -> np.ndarray[Any, Any]:
        check_is_fitted(self, "best_model_")
        frame = self._frame(X, reset=False)
        return np.asarray(self.best_model_.predict(frame))


def new_run_dir(root: str | None, name: str) -> Path:
    """A fresh ``<root>/<name>/<timestamp>`` (``root``: ``runs`` in the working directory).

    Every ``fit`` gets its own run directory: reusing one would resume the previous study.
    """
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = (Path(root) if root is not None else Path.cwd() / "runs") / name / stamp
    candidate, number = base, 1
    while candidate.exists():
        number += 1
        candidate = base.with_name(f"{stamp}-{number}")
    return candidate


class AutoMLClassifier(ClassifierMixin, AutoMLEstimator):  # type: ignore[misc]
    """A classifier that searches models and their parameters in ``fit``.

    Args:
        time_budget: Seconds for the whole run (``search.time_budget``); ``None`` with
            ``n_trials`` to bound the search by trials only.
        n_trials: Largest number of trials (``search.n_trials``).
        cv: Cross-validation folds per trial (``search.cv``): a number, or ``"auto"`` (5, and 3
            from 10,000 rows on).
        metric: The metric to optimise (default: ``roc_auc`` for two classes, ``log_loss``
            for more; see ``automl plugins``).
        metrics: Further metrics to report.
        models: The models to search (default: every installed one that fits the task).
        seed: Seed of the sampler, the splits and the models.
        holdout: Share of the rows kept aside for a final honest score (``data.holdout``;
            default 0: score on your own test set).
        workers: Parallel trials (``execution.workers``: a number or ``"auto"``).
        backend: ``local`` or ``ray`` (``execution.backend``).
        run_dir: The folder that holds one run directory per ``fit`` (default ``runs``).
        progress: Show live progress: ``True``, ``False`` or ``"auto"`` (in Jupyter only).

    Attributes:
        classes_: The class labels, sorted.
        best_model_: The packaged best model (:class:`~automl.ModelPackage`).
        leaderboard_: The run's :class:`~automl.leaderboard.Leaderboard`.
        result_: The run's :class:`~automl.RunResult`.
        run_dir_: Where the run wrote (open it with :func:`automl.open_run`).
        n_features_in_: The number of columns seen in ``fit``.
        feature_names_in_: The column names seen in ``fit`` (when ``X`` had string names).
    """

    def fit(self, X: Any, y: Any) -> AutoMLClassifier:
        """Run the search on ``X`` and ``y`` and keep the refitted best model."""
        from sklearn.utils import assert_all_finite
        from sklearn.utils.multiclass import check_classification_targets
        from sklearn.utils.validation import column_or_1d

        if y is None:
            raise ValueError("requires y to be passed, but the target y is None")
        frame = self._frame(X, reset=True)
        labels = column_or_1d(y, warn=True)
        if labels.dtype.kind in "fc":
            assert_all_finite(labels, input_name="y")
        check_classification_targets(labels)
        self.classes_ = np.unique(labels)
        if len(self.classes_) < 2:
            raise ValueError(
                f"a classifier needs at least 2 classes in y, found 1 class: {self.classes_[0]!r}"
            )
        task = "binary" if len(self.classes_) == 2 else "multiclass"
        # automl cleans text labels (trims spaces, treats "" as missing); scikit-learn wants
        # them back exactly as given. Labels that cleaning would change are fitted as class
        # codes (0, 1, ...), and predictions are mapped back to the labels.
        self.label_codes_ = labels.dtype.kind in "OUS" and any(
            str(label) != str(label).strip() or str(label) == "" for label in self.classes_
        )
        if self.label_codes_:
            labels = np.searchsorted(self.classes_, labels)
        self._fit(frame, labels, getattr(y, "name", None), task)
        return self

    def predict(self, X: Any) -> np.ndarray[Any, Any]:
        """The predicted class of each row."""
        predicted = self._predict(X)
        if self.label_codes_:
            return self.classes_[predicted.astype(int)]  # type: ignore[no-any-return]
        return predicted.astype(self.classes_.dtype, copy=False)

    def predict_proba(self, X: Any) -> np.ndarray[Any, Any]:
        """Class probabilities: one column per class, in :attr:`classes_` order."""
        check_is_fitted(self, "best_model_")
        frame = self._frame(X, reset=False)
        proba = self.best_model_.predict_proba(frame)
        order: dict[Any, int] = {label: i for i, label in enumerate(proba.columns)}
        labels = range(len(self.classes_)) if self.label_codes_ else self.classes_
        columns = [order[label.item() if hasattr(label, "item") else label] for label in labels]
        return proba.to_numpy(dtype=float)[:, columns]


class AutoMLRegressor(RegressorMixin, AutoMLEstimator):  # type: ignore[misc]
    """A regressor that searches models and their parameters in ``fit``.

    Takes the parameters of :class:`AutoMLClassifier` (the default metric is ``rmse``) and has
    its attributes except ``classes_``.
    """

    def fit(self, X: Any, y: Any) -> AutoMLRegressor:
        """Run the search on ``X`` and ``y`` and keep the refitted best model."""
        from sklearn.utils.validation import check_array, column_or_1d

        if y is None:
            raise ValueError("requires y to be passed, but the target y is None")
        frame = self._frame(X, reset=True)
        values = column_or_1d(check_array(y, ensure_2d=False, dtype="numeric"), warn=True)
        self._fit(frame, values.astype(float), getattr(y, "name", None), "regression")
        return self

    def predict(self, X: Any) -> np.ndarray[Any, Any]:
        """The predicted value of each row."""
        return self._predict(X).astype(float)
