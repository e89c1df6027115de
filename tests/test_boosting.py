"""automl.boosting on a fake booster: the split, the fallback, the class guard, label encoding.

The fake "booster" remembers the rows it was given and predicts the target of the nearest
training row, so every test sees exactly what the base passed to the hooks; no boosting
library is imported.
"""

from __future__ import annotations

import math
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
import sklearn.model_selection
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.class_weight import compute_sample_weight

from automl import (
    EarlyStoppingBoosterBase,
    EarlyStoppingClassifierMixin,
    EarlyStoppingRegressorMixin,
    class_sample_weight,
)
from automl.boosting import FALLBACK_ROUNDS

BEST = 7
"""The best round the fake reports after early stopping."""


class NearestRow:
    """A fitted fake model: the rows, targets and weights it saw, and 1-nearest-row predictions."""

    def __init__(self, X: Any, y: Any, weight: Any, n_classes: int, rounds: int | None) -> None:
        self.X, self.y, self.weight, self.n_classes, self.rounds = X, y, weight, n_classes, rounds
        self.valid: tuple[Any, Any, Any] | None = None

    def _nearest(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.y)[np.argmin(((X[:, None, :] - self.X[None]) ** 2).sum(-1), axis=1)]

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self._nearest(X)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return np.eye(self.n_classes)[self._nearest(X).astype(int)]


class _FakeBooster(EarlyStoppingBoosterBase):
    def __init__(
        self,
        *,
        n_estimators: int = 500,
        early_stopping_rounds: int = 5,
        validation_fraction: float = 0.25,
        random_state: int | None = None,
        refit_full: bool = False,
    ) -> None:
        self.n_estimators = n_estimators
        self.early_stopping_rounds = early_stopping_rounds
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.refit_full = refit_full

    def _classes(self) -> int:
        return len(getattr(self, "classes_", []))

    def _fit_with_validation(
        self, x_train: Any, y_train: Any, w_train: Any, x_valid: Any, y_valid: Any, w_valid: Any
    ) -> tuple[Any, int]:
        model = NearestRow(x_train, y_train, w_train, self._classes(), None)
        model.valid = (x_valid, y_valid, w_valid)
        return model, BEST

    def _fit_rounds(self, X: Any, y: Any, weight: Any, rounds: int) -> Any:
        return NearestRow(X, y, weight, self._classes(), rounds)


class FakeClassifier(EarlyStoppingClassifierMixin, _FakeBooster):
    def __init__(
        self,
        *,
        n_estimators: int = 500,
        early_stopping_rounds: int = 5,
        validation_fraction: float = 0.25,
        class_weight: Any = None,
        random_state: int | None = None,
        refit_full: bool = False,
    ) -> None:
        super().__init__(
            n_estimators=n_estimators,
            early_stopping_rounds=early_stopping_rounds,
            validation_fraction=validation_fraction,
            random_state=random_state,
            refit_full=refit_full,
        )
        self.class_weight = class_weight


class FakeRegressor(EarlyStoppingRegressorMixin, _FakeBooster):
    pass


def data(labels: list[Any], rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three features; ``labels`` in ascending bands of the first (each band equally full)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 3))
    bands = np.quantile(x[:, 0], np.linspace(0, 1, len(labels) + 1)[1:-1])
    return x, np.asarray(labels)[np.digitize(x[:, 0], bands)]


def test_the_validation_split_is_stratified_seeded_and_covers_every_row() -> None:
    x, y = data(["a", "b", "c"], rows=120)
    model = FakeClassifier(random_state=3).fit(x, y)
    assert (model.early_stopped_, model.best_iteration_) == (True, BEST)
    inner = model.model_
    x_valid, y_valid, w_valid = inner.valid
    assert len(y_valid) == math.ceil(0.25 * 120)
    assert len(inner.y) == 120 - len(y_valid)
    assert np.bincount(y_valid).tolist() == [10, 10, 10]  # stratified class codes
    rows = {tuple(row) for row in np.vstack([inner.X, x_valid])}
    assert rows == {tuple(row) for row in x}
    assert inner.weight is None
    assert w_valid is None
    again = FakeClassifier(random_state=3).fit(x, y).model_
    assert np.array_equal(again.X, inner.X)
    other = FakeClassifier(random_state=4).fit(x, y).model_
    assert not np.array_equal(other.X, inner.X)


@pytest.mark.parametrize("estimator", [FakeClassifier, FakeRegressor])
def test_refit_full_refits_every_row_for_the_rounds_scaled_to_them(estimator: Any) -> None:
    """After early stopping (best round 7 on 75 % of the rows), ``refit_full`` fits again on
    every row, weights kept, for round(7 / 0.75) = 9 rounds."""
    x, y = data(["a", "b"], rows=80)
    target = y if estimator is FakeClassifier else x[:, 0]
    kept = estimator(random_state=1).fit(x, target)
    assert (kept.best_iteration_, kept.stopped_iteration_, kept.model_.rounds) == (BEST, BEST, None)
    assert len(kept.model_.y) == 60
    full = estimator(random_state=1, refit_full=True).fit(x, target)
    assert (full.best_iteration_, full.stopped_iteration_) == (9, BEST)
    assert (full.model_.rounds, len(full.model_.y), full.model_.valid) == (9, 80, None)
    assert full.early_stopped_
    assert np.array_equal(full.model_.X, x)


def test_refit_full_weighs_every_row_and_leaves_the_fallback_alone() -> None:
    x, y = data(["a", "b"], rows=80)
    full = FakeClassifier(class_weight="balanced", refit_full=True).fit(x, y)
    assert np.array_equal(full.model_.weight, compute_sample_weight("balanced", y))
    tiny_x, tiny_y = data(["a", "b"], rows=15)
    tiny = FakeClassifier(refit_full=True).fit(tiny_x, tiny_y)
    assert (tiny.early_stopped_, tiny.best_iteration_, tiny.stopped_iteration_) == (
        False,
        FALLBACK_ROUNDS,
        FALLBACK_ROUNDS,
    )


def test_the_regressor_splits_unstratified_on_a_float_target() -> None:
    x, _ = data(["any"], rows=40)
    model = FakeRegressor(random_state=0).fit(x, (x[:, 0] > 0).astype(int))
    assert model.early_stopped_
    assert model.model_.y.dtype == np.float64
    assert len(model.model_.valid[1]) == 10
    assert np.array_equal(model.predict(model.model_.X), model.model_.y)


@pytest.mark.parametrize(
    ("rows", "labels", "n_estimators", "rounds"),
    [(15, ["a", "b"], 500, FALLBACK_ROUNDS), (15, ["a", "b"], 30, 30), (19, [0, 1], 500, 100)],
    ids=["capped-by-fallback", "capped-by-n_estimators", "19-rows"],
)
def test_too_few_rows_train_fallback_rounds_on_every_row(
    rows: int, labels: list[Any], n_estimators: int, rounds: int
) -> None:
    x, y = data(labels, rows=rows)
    model = FakeClassifier(n_estimators=n_estimators, class_weight="balanced").fit(x, y)
    assert (model.early_stopped_, model.best_iteration_) == (False, rounds)
    assert (model.model_.rounds, len(model.model_.y)) == (rounds, rows)
    assert np.array_equal(model.model_.weight, compute_sample_weight("balanced", y))
    regressor = FakeRegressor(n_estimators=n_estimators).fit(x, x[:, 0])
    assert (regressor.early_stopped_, regressor.best_iteration_) == (False, rounds)


def test_a_class_with_one_row_falls_back() -> None:
    x, y = data(["a", "b"], rows=40)
    y[0] = "c"
    model = FakeClassifier().fit(x, y)
    assert not model.early_stopped_
    assert model.predict_proba(x).shape == (40, 3)


def test_the_round_cap_parameter_and_fallback_rounds_can_be_renamed() -> None:
    class Iterations(FakeRegressor):
        rounds_parameter = "iterations"
        fallback_rounds = 12

        def __init__(self, *, iterations: int = 40, random_state: int | None = None) -> None:
            super().__init__(random_state=random_state)
            self.iterations = iterations

    x, _ = data(["any"], rows=10)
    assert Iterations().fit(x, x[:, 0]).best_iteration_ == 12
    assert Iterations(iterations=5).fit(x, x[:, 0]).best_iteration_ == 5


def test_a_split_that_leaves_a_class_out_of_training_falls_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stratified split of a class with two rows can, rarely, put both in the validation part."""
    x, y = data(["a", "b"], rows=40)
    y[[0, 1]] = "c"
    split = sklearn.model_selection.train_test_split

    def without_c_in_training(*arrays: Any, **options: Any) -> list[Any]:
        parts = split(*arrays, **options)
        codes_train = parts[2]
        keep = codes_train != 2  # move class "c" (code 2) out of the training part
        return [part[keep] if i % 2 == 0 else part for i, part in enumerate(parts)]

    monkeypatch.setattr(sklearn.model_selection, "train_test_split", without_c_in_training)
    model = FakeClassifier(random_state=0).fit(x, y)
    assert (model.early_stopped_, model.best_iteration_) == (False, 100)
    assert list(model.classes_) == ["a", "b", "c"]
    assert model.predict(x[[0, 1]]).tolist() == ["c", "c"]


@pytest.mark.parametrize(
    "labels",
    [["yes", "no"], ["emu", "cat", "dog"], [3, -1], [10, 20, 5], [True, False]],
    ids=["strings", "three-strings", "ints", "three-ints", "bools"],
)
def test_labels_are_encoded_to_codes_and_decoded_back(labels: list[Any]) -> None:
    x, y = data(labels, rows=60)
    model = FakeClassifier(random_state=0).fit(x, y)
    assert model.classes_.dtype == y.dtype
    assert list(model.classes_) == sorted(labels)
    inner = model.model_
    codes = inner.y
    assert codes.dtype.kind == "i"
    assert set(codes) == set(range(len(labels)))
    rows = [int(np.flatnonzero((x == row).all(axis=1))[0]) for row in inner.X]
    assert np.array_equal(model.classes_[codes], y[rows])  # code j stands for classes_[j]
    predictions = model.predict(inner.X)
    assert predictions.dtype == y.dtype
    assert np.array_equal(predictions, y[rows])
    # Column j is the probability of classes_[j].
    assert np.array_equal(np.argmax(model.predict_proba(inner.X), axis=1), codes)


def test_class_weights_are_computed_once_from_every_row() -> None:
    x, y = data(["a", "b"], rows=60)
    y[:40] = "a"
    weights = {"a": 1.0, "b": 4.0}
    model = FakeClassifier(class_weight=weights, random_state=0).fit(x, y)
    inner = model.model_
    for part_y, part_w in [(inner.y, inner.weight), inner.valid[1:]]:
        assert np.array_equal(part_w, np.where(part_y == 1, 4.0, 1.0))
    balanced = class_sample_weight("balanced", y)
    counts = {label: int(np.sum(y == label)) for label in ("a", "b")}
    assert balanced is not None
    assert counts["b"] > 0
    assert np.allclose(balanced, [60 / (2 * counts[label]) for label in y])
    assert class_sample_weight(None, y) is None


def test_one_class_is_refused_with_a_message() -> None:
    with pytest.raises(ValueError, match="FakeClassifier needs at least two classes in y, got"):
        FakeClassifier().fit(np.eye(4), np.array(["a"] * 4))


def test_missing_values_are_allowed_and_input_is_checked() -> None:
    x, y = data(["a", "b"], rows=30)
    x[::5, 1] = np.nan
    model = FakeClassifier().fit(x, y)
    assert model.__sklearn_tags__().input_tags.allow_nan
    assert model.n_features_in_ == 3
    with pytest.raises(ValueError, match="Input X contains infinity"):
        FakeClassifier().fit(np.where(np.isnan(x), np.inf, x), y)
    with pytest.raises(ValueError, match=r"has 2 features, but .* is expecting 3 features"):
        model.predict(x[:, :2])


@pytest.mark.parametrize(
    "estimator", [FakeClassifier(), FakeRegressor()], ids=["classifier", "regressor"]
)
def test_unfitted_estimators_raise_not_fitted(estimator: Any) -> None:
    with pytest.raises(NotFittedError):
        clone(estimator).predict(np.zeros((2, 3)))


def test_the_base_wants_both_hooks() -> None:
    class NoHooks(EarlyStoppingRegressorMixin):
        pass

    with pytest.raises(TypeError, match="_fit_rounds"):
        NoHooks()


@pytest.mark.slow  # a fresh interpreter
def test_importing_the_base_imports_no_boosting_library() -> None:
    code = (
        "import sys, automl\n"
        "assert 'automl.boosting' not in sys.modules\n"
        "automl.EarlyStoppingBoosterBase\n"
        "heavy = ['torch', 'ray', 'lightgbm', 'xgboost', 'catboost']\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
