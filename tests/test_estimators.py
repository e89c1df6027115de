"""The scikit-learn estimators: parameters, the recipe they build, scikit-learn's own estimator
checks, and use in a Pipeline and with cross_val_score."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from automl import AutoMLClassifier, AutoMLRegressor
from automl.estimators import new_run_dir
from tests.run_helpers import CHURN

# Small enough for scikit-learn's checks to fit dozens of times within a minute or two.
TINY = {"n_trials": 1, "time_budget": None, "cv": 2, "workers": 1, "progress": False}

# The checks these estimators fail by design, and why (docs/python.md lists them too).
EXPECTED_FAILED_CHECKS = {
    "check_dtype_object": (
        "object columns are categorical or text features for automl, so a dict among them "
        "fails with automl's own data error, not scikit-learn's 'argument must be a string or "
        "a number'"
    ),
}


def expected_failed_checks(estimator: Any) -> dict[str, str]:
    return EXPECTED_FAILED_CHECKS


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # the run directories land under tmp_path/runs
    return tmp_path


@pytest.mark.parametrize(
    ("estimator", "task", "expected"),
    [
        pytest.param(
            AutoMLClassifier(),
            "binary",
            {"search": {"cv": "auto", "seed": 0, "time_budget": 60.0}},
            id="classifier-defaults",
        ),
        pytest.param(
            AutoMLRegressor(
                n_trials=3,
                time_budget=None,
                metric="mae",
                metrics=["r2"],
                models=["ridge"],
                workers=2,
                backend="local",
                holdout=0.1,
            ),
            "regression",
            {
                "search": {"cv": "auto", "seed": 0, "n_trials": 3},
                "metric": "mae",
                "metrics": ["r2"],
                "models": ["ridge"],
                "execution": {"workers": 2, "backend": "local"},
            },
            id="regressor-all-keys",
        ),
    ],
)
def test_the_parameters_make_a_recipe(estimator: Any, task: str, expected: dict[str, Any]) -> None:
    recipe = estimator._recipe("y", task)
    assert recipe["task"] == task
    assert recipe["data"] == {"target": "y", "holdout": estimator.holdout}
    assert {key: recipe[key] for key in expected} == expected
    assert set(recipe) - set(expected) == {"name", "task", "data"}


def test_parameters_follow_scikit_learn_rules() -> None:
    model = AutoMLClassifier(n_trials=5, models=["logistic_regression"])
    assert model.get_params()["n_trials"] == 5
    twin = clone(model).set_params(cv=3)
    assert twin.cv == 3
    assert twin.models == ["logistic_regression"]
    assert model.cv == "auto"


def test_predicting_before_fit_is_a_not_fitted_error() -> None:
    with pytest.raises(NotFittedError):
        AutoMLRegressor().predict(np.zeros((2, 2)))


def test_each_fit_gets_its_own_run_directory(tmp_path: Path) -> None:
    first = new_run_dir(str(tmp_path), "m")
    first.mkdir(parents=True)
    second = new_run_dir(str(tmp_path), "m")
    assert first.parent == second.parent == tmp_path / "m"
    assert first != second


@pytest.mark.parametrize(
    ("y", "message"),
    [
        pytest.param([1, 1, 1, 1], "at least 2 classes", id="one-class"),
        pytest.param([0.5, 1.5, 2.5, 3.5], "Unknown label type", id="continuous"),
        pytest.param([0, 1, 0], "inconsistent numbers of samples", id="length"),
    ],
)
def test_unusable_targets_fail_before_running(y: list[Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AutoMLClassifier(**TINY).fit(np.zeros((4, 2)), y)


# -- end to end ------------------------------------------------------------------------------


@pytest.mark.slow
@parametrize_with_checks(
    [
        AutoMLClassifier(models=["logistic_regression"], **TINY),
        AutoMLRegressor(models=["ridge"], **TINY),
    ],
    expected_failed_checks=expected_failed_checks,
)
def test_scikit_learn_estimator_checks(estimator: Any, check: Any, in_tmp: Path) -> None:
    check(estimator)


@pytest.fixture(scope="module")
def churn() -> tuple[pd.DataFrame, pd.Series]:
    frame = pd.read_csv(CHURN).head(300)
    return frame.drop(columns="churned"), frame["churned"]


@pytest.mark.slow
def test_fit_on_a_dataframe_keeps_its_names(
    in_tmp: Path, churn: tuple[pd.DataFrame, pd.Series]
) -> None:
    import automl

    X, y = churn
    model = AutoMLClassifier(models=["logistic_regression"], **{**TINY, "n_trials": 2})
    assert model.fit(X, y) is model
    assert list(model.feature_names_in_) == list(X.columns)
    assert model.n_features_in_ == X.shape[1]
    assert model.best_model_.target == "churned"  # y's name
    assert model.run_dir_.parent.parent == in_tmp / "runs"
    assert automl.open_run(model.run_dir_).summary.status.value == "finished"
    assert list(model.classes_) == sorted(y.unique())
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 2)
    assert np.allclose(proba.sum(axis=1), 1)
    # the package's own predictions, in the estimator's class order
    assert list(model.predict(X)) == list(model.best_model_.predict(X))
    assert 0.5 < model.score(X, y) <= 1
    assert model.leaderboard_.best is not None


@pytest.mark.slow
@pytest.mark.parametrize(
    "mapping",
    [{"no": " no", "yes": "yes "}, {"no": "", "yes": "yes"}, {"no": "no", "yes": "no "}],
    ids=["surrounding-spaces", "empty-string", "differ-only-by-a-space"],
)
def test_labels_come_back_exactly_as_given(
    in_tmp: Path, churn: tuple[pd.DataFrame, pd.Series], mapping: dict[str, str]
) -> None:
    X, y = churn
    y = y.map(mapping)
    model = AutoMLClassifier(models=["logistic_regression"], **{**TINY, "n_trials": 2})
    model.fit(X, y)
    assert list(model.classes_) == sorted(set(mapping.values()))
    assert set(model.predict(X)) <= set(mapping.values())
    assert model.predict_proba(X).shape == (len(X), 2)
    assert model.score(X, y) > 0.5


@pytest.mark.slow
def test_in_a_pipeline_and_with_cross_val_score(
    in_tmp: Path, churn: tuple[pd.DataFrame, pd.Series]
) -> None:
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = churn
    numeric = X.select_dtypes("number")
    pipeline = make_pipeline(
        StandardScaler(), AutoMLClassifier(models=["logistic_regression"], **TINY)
    )
    scores = cross_val_score(pipeline, numeric, y, cv=2)
    assert scores.shape == (2,)
    assert (scores > 0.5).all()
    runs = list((in_tmp / "runs" / "automlclassifier").iterdir())
    assert len(runs) == 2  # one run per fit
