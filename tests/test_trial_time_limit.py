"""A trial's time limit (``TrialJob.time_limit``): each fold's fit of an estimator with a
``max_time`` parameter gets an equal share of what is left of it; other estimators ignore it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, ClassVar

import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin

from automl import ModelSpec, Params
from automl.records import TrialState
from automl.search import TrialJob, run_trial
from automl.search import trial as trial_module
from tests.run_helpers import line_data


class Clock:
    """A fake ``perf_counter``: a fit advances it by its seconds."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


CLOCK = Clock()
FIT_SECONDS = 3.0


class Timed(RegressorMixin, BaseEstimator):
    """Takes :data:`FIT_SECONDS` of the fake clock to fit; records the limit it was given."""

    seen: ClassVar[list[float | None]] = []

    def __init__(self, max_time: float | None = None) -> None:
        self.max_time = max_time

    def fit(self, features: Any, target: Any) -> Timed:
        Timed.seen.append(self.max_time)
        CLOCK.now += FIT_SECONDS
        self.value_ = float(np.mean(target))
        return self

    def predict(self, features: Any) -> Any:
        return np.full(len(features), self.value_)


class Plain(Timed):
    """The same fit, without a ``max_time`` parameter."""

    def __init__(self) -> None:
        self.max_time = None


def _spec(estimator: type[Timed]) -> ModelSpec:
    return ModelSpec(
        name="timed",
        description="a model that takes 3 s to fit",
        factory=lambda params, task, seed: estimator(),
        params=Params,
    )


def _data(folds: int = 3) -> tuple[Any, Any]:
    rows = 90
    parts = np.array_split(np.arange(rows), folds)
    return line_data(rows, [(np.setdiff1d(np.arange(rows), part), part) for part in parts])


@pytest.fixture(autouse=True)
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trial_module, "time", SimpleNamespace(perf_counter=CLOCK))
    Timed.seen = []


def _run(estimator: type[Timed], limit: float | None) -> tuple[Any, list[bool]]:
    reports: list[bool] = []

    def report(step: int, value: float, seconds: float, limited: bool) -> bool:
        reports.append(limited)
        return False

    job = TrialJob(number=0, model="timed", params={}, time_limit=limit)
    data, metrics = _data()
    return run_trial(job, data, _spec(estimator), metrics, report), reports


def test_each_fold_gets_an_equal_share_of_what_is_left_of_the_limit() -> None:
    outcome, reports = _run(Timed, 12.0)

    assert outcome.state is TrialState.COMPLETE, outcome.error
    # 12 s over 3 folds; then 9 s left over 2; then 6 s over 1 (each fit took 3 s).
    assert Timed.seen == [4.0, 4.5, 6.0]
    assert outcome.time_limited is True
    assert reports == [True, True]  # the driver reads it from each fold's report


def test_a_limit_spent_gives_the_last_folds_zero_seconds() -> None:
    outcome, _ = _run(Timed, 5.0)
    assert Timed.seen == [pytest.approx(5 / 3), 1.0, 0.0]  # 5 - 3 over 2, then nothing
    assert outcome.state is TrialState.COMPLETE


def test_no_limit_and_estimators_without_max_time_are_left_alone() -> None:
    outcome, reports = _run(Timed, None)
    assert Timed.seen == [None, None, None]
    assert (outcome.time_limited, reports) == (False, [False, False])

    Timed.seen = []
    outcome, reports = _run(Plain, 12.0)
    assert outcome.state is TrialState.COMPLETE, outcome.error
    assert Timed.seen == [None, None, None]
    assert (outcome.time_limited, reports) == (False, [False, False])
