"""Ensembles and the time-aware model choice at their edges: label metrics on labels that are
not text, a slow or broken member at the refit, members that predict a column, a resumed
search, and runs that keep no predictions."""

from __future__ import annotations

import logging
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import automl.runner.refit_ensemble as refit_module
from automl.leaderboard import Leaderboard
from automl.records import EnsembleRecord, LeaderboardRow, MemberRecord, MetricScores, RunSummary
from automl.registry import PluginRegistry
from automl.search.budget import Budget
from automl.specs import Task
from tests.run_helpers import churn_recipe, run_recipe

# --- Label metrics (accuracy, f1, ...) of blends, whatever the labels' type -----------------


@pytest.mark.parametrize(
    ("truth", "classes", "task"),
    [
        (np.array([0, 1, 1, 0, 1]), [0, 1], Task.BINARY),  # the usual 0/1 target
        (np.array([False, True, True, False, True]), [False, True], Task.BINARY),
        (np.array([0, 2, 1, 0, 2]), [0, 1, 2], Task.MULTICLASS),
        (np.array(["b", "a", "a", "b", "a"]), ["a", "b"], Task.BINARY),
    ],
    ids=["int", "bool", "int-multiclass", "text"],
)
@pytest.mark.parametrize("name", ["accuracy", "f1", "balanced_accuracy"])
def test_label_metrics_score_blends_of_non_text_labels(
    registry: PluginRegistry, truth: np.ndarray, classes: list[Any], task: Task, name: str
) -> None:
    """The most probable class is scored as a label of its own type (scikit-learn reads an object
    array of numbers as an "unknown" target)."""
    from automl.ensemble import metric_scorer as _scorer

    spec = registry.metric(name)
    proba = np.random.default_rng(0).dirichlet(np.ones(len(classes)), size=len(truth))
    labels = np.asarray(classes)[proba.argmax(axis=1)]
    expected = spec.factory(truth, labels, labels=classes)
    assert _scorer(spec, truth, task, classes)(proba) == pytest.approx(expected)


@pytest.mark.slow
def test_a_run_with_accuracy_on_a_zero_one_target_finishes(tmp_path: Path) -> None:
    """A label metric on a 0/1 target, primary or secondary, scores the ensemble like a trial."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 4))
    frame = pd.DataFrame(x, columns=list("abcd"))
    frame["y"] = ((x @ [1.0, -1.0, 0.5, 0.0] + rng.normal(0, 1, 300)) > 0).astype(int)
    frame.to_csv(tmp_path / "binary.csv", index=False)
    recipe = tmp_path / "binary.yaml"
    recipe.write_text(
        textwrap.dedent(
            """
            name: binary
            task: binary
            data: {source: {type: csv, path: binary.csv}, target: y, holdout: 0.2}
            metric: roc_auc
            metrics: [accuracy, f1]
            models: [logistic_regression, random_forest]
            search: {n_trials: 6, cv: 3, seed: 0, sampler: random}
            execution: {workers: 1}
            """
        ),
        encoding="utf-8",
    )
    result = run_recipe(recipe, tmp_path / "run")
    assert result.summary.ensemble is not None
    row = result.leaderboard.ensemble
    assert row is not None
    assert set(row.scores) == {"roc_auc", "accuracy", "f1"}


# --- The ensemble refit keeps to the time budget, its first member included ---------------


@pytest.fixture
def prepared_churn(tmp_path: Path) -> Any:
    from automl import load_recipe
    from automl.runner.prepare import load_and_prepare

    extra = "models: [logistic_regression]\nsearch: {n_trials: 4, cv: 3, seed: 1}\n"
    resolved = load_recipe(churn_recipe(tmp_path, extra=extra), PluginRegistry.discover())
    prepared = load_and_prepare(
        resolved, RunSummary(recipe="t"), Budget(), lambda phase: None, None, lambda p: None
    )
    return resolved, prepared


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _plan(prepared: Any, fits: dict[int, float], weights: dict[int, float]) -> tuple[Any, Any]:
    """A leaderboard of logistic-regression trials with the given mean fold fit seconds (the
    first one best), and a chosen ensemble plan of them with ``weights``."""
    from automl.runner.ensemble import EnsemblePlan
    from automl.runner.splits import folds

    board = Leaderboard(metric="roc_auc", direction="maximize", metrics=["accuracy", "log_loss"])
    board.rows = [
        LeaderboardRow(
            rank=0,
            trial=trial,
            model="logistic_regression",
            scores={"roc_auc": MetricScores.of([0.5 - trial / 100])},
            fit_time=fit,
            predict_time_per_1000=0.002,
        )
        for trial, fit in fits.items()
    ]
    board.rank()
    truth = np.asarray(prepared.table.target[prepared.split.train_rows] == "yes", dtype=float)
    oof = np.c_[1 - truth * 0.8, truth * 0.8 + 0.1]
    oof = oof / oof.sum(axis=1, keepdims=True)
    plan = EnsemblePlan(
        record=EnsembleRecord(
            members=[MemberRecord(t, "logistic_regression", w) for t, w in weights.items()],
            steps=5,
            candidates=len(fits),
            cv_mean=0.9,
            cv_std=0.0,
            best_single_cv=0.5,
            chosen=True,
        ),
        row=LeaderboardRow(
            rank=0, trial=None, model="ensemble", scores={"roc_auc": MetricScores.of([0.9])}
        ),
        oof=dict.fromkeys(fits, oof),
        folds=folds(prepared.table, prepared.split.train_rows, 3, 1),
    )
    board.add(plan.row)
    return board, plan


def _recording_fit_row(
    monkeypatch: pytest.MonkeyPatch,
    wait: Any = None,
    fulls: dict[int | None, bool] | None = None,
    limits: dict[int | None, float | None] | None = None,
) -> list[int | None]:
    """Record the trials the ensemble refit fits (``wait()`` is called in each fit), in
    ``fulls`` whether each refits in full, and in ``limits`` the seconds each fit may take."""
    refitted: list[int | None] = []
    real_fit_row = refit_module.fit_row

    def recording_fit_row(
        resolved: Any, prepared: Any, row: LeaderboardRow, part: Any, **kwargs: Any
    ) -> Any:
        refitted.append(row.trial)
        if fulls is not None:
            fulls[row.trial] = kwargs["full"]
        if limits is not None:
            limits[row.trial] = kwargs["max_time"]
        if wait is not None:
            wait()
        return real_fit_row(resolved, prepared, row, part, **kwargs)

    monkeypatch.setattr(refit_module, "fit_row", recording_fit_row)
    return refitted


def test_the_first_member_is_not_refitted_when_its_refit_would_break_the_budget(
    prepared_churn: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every member's refit is checked against the time left, the largest-weight one too: the
    best trial (a fast member) is refitted first, and a member whose refit takes about 90 s
    with 30 s left is dropped."""
    resolved, prepared = prepared_churn
    board, plan = _plan(prepared, {1: 0.01, 2: 60.0}, {2: 0.6, 1: 0.4})
    refitted = _recording_fit_row(monkeypatch)
    budget = Budget(time_budget=30, cv=3, clock=_Clock())  # 30 s left; trial 2 needs ~90 s
    refit_module.refit_ensemble(resolved, prepared, board, plan, budget)
    assert refitted == [1], f"refitted {refitted} with 30 s left; trial 2 needs about 90 s"
    assert plan.record.dropped == [2]


@pytest.mark.parametrize(("lanes", "kept"), [(1, [1, 2]), (2, [1, 2, 3, 4])])
def test_members_refit_in_parallel_lanes_within_the_time_left(
    prepared_churn: Any, monkeypatch: pytest.MonkeyPatch, lanes: int, kept: list[int]
) -> None:
    """Four members whose refits take about 10 s each, 25 s left: one lane has time for two
    of them, two lanes for all four, and two lanes really fit at the same time."""
    import threading

    resolved, prepared = prepared_churn
    fits = dict.fromkeys((1, 2, 3, 4), 10.0 * 2 / 3)  # refit = fold fit * cv / (cv - 1)
    board, plan = _plan(prepared, fits, {1: 0.4, 2: 0.3, 3: 0.2, 4: 0.1})
    monkeypatch.setattr(refit_module, "refit_lanes", lambda resolved: lanes)
    meet = threading.Barrier(lanes, timeout=10)  # with two lanes, both fits wait for each other
    refitted = _recording_fit_row(monkeypatch, meet.wait)
    budget = Budget(time_budget=25, cv=3, clock=_Clock())
    refit = refit_module.refit_ensemble(resolved, prepared, board, plan, budget)
    assert sorted(refitted) == kept
    assert refit is not None
    assert [member.trial for member in refit.pipeline.members] == kept
    assert plan.record.dropped == [t for t in (1, 2, 3, 4) if t not in kept]


def test_each_refit_lane_fits_on_one_openmp_thread(
    prepared_churn: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OpenMP's thread count is each thread's own: the lanes set it themselves. With the limit
    set only in the calling thread, two lanes of histogram gradient boosting (OpenMP on every
    core in each lane) refitted 3 times slower than with one thread per lane."""
    import threading

    import sklearn.ensemble  # noqa: F401  (loads scikit-learn's OpenMP runtime)
    from threadpoolctl import threadpool_info

    if not any(info["user_api"] == "openmp" for info in threadpool_info()):
        pytest.skip("no OpenMP runtime is loaded in this process")
    resolved, prepared = prepared_churn
    board, plan = _plan(prepared, dict.fromkeys((1, 2), 0.01), {1: 0.6, 2: 0.4})
    monkeypatch.setattr(refit_module, "refit_lanes", lambda resolved: 2)
    meet = threading.Barrier(2, timeout=10)  # both lanes run at once
    seen: list[int] = []

    def count_threads() -> None:
        meet.wait()
        seen.extend(i["num_threads"] for i in threadpool_info() if i["user_api"] == "openmp")

    _recording_fit_row(monkeypatch, count_threads)
    refit_module.refit_ensemble(resolved, prepared, board, plan, Budget(cv=3, clock=_Clock()))
    assert seen, "no refit ran"
    assert set(seen) == {1}, f"OpenMP threads in the refit lanes: {seen}"


def test_a_member_too_large_to_package_in_the_time_left_is_dropped(
    prepared_churn: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Refitted members whose pickles would take longer to package than the time left lose
    the member with the most megabytes per unit of weight (a forest of 683 MB at 0.04 of the
    weight took 9 s to package): here 700 MB at 0.4 with 6 s left."""
    from automl.package import pickling

    resolved, prepared = prepared_churn
    board, plan = _plan(prepared, dict.fromkeys((1, 2, 3), 0.01), {1: 0.4, 2: 0.4, 3: 0.2})
    sizes = {1: 1.0, 2: 700.0, 3: 2.0}
    by_pipeline: dict[int, float] = {}
    real_fit_row = refit_module.fit_row

    def sized_fit_row(resolved: Any, prepared: Any, row: Any, part: Any, **kwargs: Any) -> Any:
        pipeline = real_fit_row(resolved, prepared, row, part, **kwargs)
        by_pipeline[id(pipeline)] = sizes[row.trial]
        return pipeline

    monkeypatch.setattr(refit_module, "fit_row", sized_fit_row)
    monkeypatch.setattr(pickling, "pickled_megabytes", lambda obj: by_pipeline[id(obj)])
    budget = Budget(time_budget=6, cv=3, clock=_Clock())
    with caplog.at_level(logging.WARNING, logger="automl.runner.refit_ensemble"):
        refit = refit_module.refit_ensemble(resolved, prepared, board, plan, budget)
    assert plan.record.dropped == [2]
    assert "trial 2 (logistic_regression) dropped, its 700 MB pickled" in caplog.text
    assert refit is not None
    if refit.row is plan.row:  # still better than the best single model: two members left
        assert sorted(m.trial for m in refit.pipeline.members) == [1, 3]
    # With time to spare, nothing is dropped for its size.
    board, plan = _plan(prepared, dict.fromkeys((1, 2, 3), 0.01), {1: 0.4, 2: 0.4, 3: 0.2})
    refit_module.refit_ensemble(resolved, prepared, board, plan, Budget(cv=3, clock=_Clock()))
    assert plan.record.dropped == []


def test_each_member_refit_may_take_the_time_left_before_packaging(
    prepared_churn: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An estimator with a max_time parameter (the network) gets the seconds left before the
    package's when its refit starts: its epochs on every row are not its folds'."""
    from automl.search.budget import PACKAGE_SECONDS

    resolved, prepared = prepared_churn
    board, plan = _plan(prepared, dict.fromkeys((1, 2), 0.01), {1: 0.6, 2: 0.4})
    limits: dict[int | None, float | None] = {}
    _recording_fit_row(monkeypatch, limits=limits)
    budget = Budget(time_budget=30, cv=3, clock=_Clock())
    refit_module.refit_ensemble(resolved, prepared, board, plan, budget)
    assert limits == {1: 30 - PACKAGE_SECONDS, 2: 30 - PACKAGE_SECONDS}
    refit_module.refit_ensemble(
        resolved, prepared, *_plan(prepared, {1: 0.01}, {1: 1.0}), Budget(cv=3)
    )
    assert limits[1] is None  # no time budget: no limit


@pytest.mark.parametrize(("time_budget", "expected"), [(30.0, 28.0), (None, None)])
def test_the_best_trials_refit_may_take_the_time_left_before_packaging(
    prepared_churn: Any,
    monkeypatch: pytest.MonkeyPatch,
    time_budget: float | None,
    expected: float | None,
) -> None:
    import automl.runner.finish as finish_module
    from automl.search.budget import PACKAGE_SECONDS

    resolved, prepared = prepared_churn
    board, _ = _plan(prepared, {1: 0.01}, {1: 1.0})
    seen: list[float | None] = []
    real_fit_row = finish_module.fit_row

    def fit_row(*args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs["max_time"])
        return real_fit_row(*args, **kwargs)

    monkeypatch.setattr(finish_module, "fit_row", fit_row)
    budget = Budget(time_budget=time_budget, cv=3, clock=_Clock())
    assert finish_module.refit_best(resolved, prepared, board, budget).row.trial == 1
    assert PACKAGE_SECONDS == 2.0
    assert seen == [expected]


def test_fit_row_gives_an_estimator_with_max_time_its_seconds(
    prepared_churn: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from types import SimpleNamespace

    from automl.registry import PluginRegistry
    from automl.runner.finish import fit_row
    from automl.specs import ComponentKind

    pytest.importorskip("torch")
    resolved, prepared = prepared_churn
    registry = PluginRegistry()
    registry.load_entry_points()
    mlp = registry.get(ComponentKind.MODEL, "mlp").spec
    monkeypatch.setitem(prepared.models, "mlp", SimpleNamespace(spec=mlp))
    row = LeaderboardRow(rank=1, trial=0, model="mlp", params={"max_epochs": 50})
    network = fit_row(resolved, prepared, row, max_time=0.0).named_steps["model"]
    assert (network.max_time, network.n_epochs_, network.timed_out_) == (0.0, 1, True)
    row = LeaderboardRow(rank=1, trial=0, model="logistic_regression", params={"C": 1.0})
    plain = fit_row(resolved, prepared, row, max_time=3.0)  # no such parameter: ignored
    assert "max_time" not in plain.named_steps["model"].get_params()


def _sized(
    monkeypatch: pytest.MonkeyPatch, sizes: dict[int, float], clock: _Clock | None = None
) -> list[int | None]:
    """Refitted pipelines pickle to ``sizes[trial]`` MB (each fit moves ``clock`` on 2.1 s);
    returns the trials refitted."""
    from automl.package import pickling

    by_pipeline: dict[int, float] = {}
    refitted: list[int | None] = []
    real_fit_row = refit_module.fit_row

    def sized_fit_row(resolved: Any, prepared: Any, row: Any, part: Any, **kwargs: Any) -> Any:
        pipeline = real_fit_row(resolved, prepared, row, part, **kwargs)
        by_pipeline[id(pipeline)] = sizes[row.trial]
        refitted.append(row.trial)
        if clock is not None:
            clock.now += 2.1
        return pipeline

    monkeypatch.setattr(refit_module, "fit_row", sized_fit_row)
    monkeypatch.setattr(pickling, "pickled_megabytes", lambda obj: by_pipeline[id(obj)])
    return refitted


def test_no_member_is_dropped_for_its_size_when_no_drop_would_make_the_package_fit(
    prepared_churn: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With less time left than the package's fixed part (the refits took longer than
    planned: 6.3 s of 8), dropping a member of a few MB gains nothing: seen on house_16H,
    where two members of 0 and 1 MB were dropped with 1.1 s left, the ensemble fell apart and
    its best member was refitted a second time."""
    resolved, prepared = prepared_churn
    clock = _Clock()
    _sized(monkeypatch, {1: 1.0, 2: 0.4, 3: 2.0}, clock)
    monkeypatch.setattr(refit_module, "refit_lanes", lambda resolved: 1)
    board, plan = _plan(prepared, dict.fromkeys((1, 2, 3), 0.01), {1: 0.4, 2: 0.4, 3: 0.2})
    budget = Budget(time_budget=8.0, cv=3, clock=clock)
    refit = refit_module.refit_ensemble(resolved, prepared, board, plan, budget)
    assert plan.record.dropped == []
    assert refit is not None
    assert refit.row is plan.row


def test_the_best_member_dropped_for_its_size_is_packaged_without_a_second_refit(
    prepared_churn: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the members left after the drops lose to the best single model, the best trial's
    refit as a member is packaged, even if the drop was its own."""
    resolved, prepared = prepared_churn
    refitted = _sized(monkeypatch, {1: 700.0, 2: 1.0, 3: 1.0})
    monkeypatch.setattr(refit_module, "_still_wins", lambda *args: False)
    board, plan = _plan(prepared, dict.fromkeys((1, 2, 3), 0.01), {1: 0.4, 2: 0.4, 3: 0.2})
    budget = Budget(time_budget=6, cv=3, clock=_Clock())
    refit = refit_module.refit_ensemble(resolved, prepared, board, plan, budget)
    assert plan.record.dropped == [1]
    assert refit is not None
    assert refit.row.trial == 1
    assert sorted(t for t in refitted if t is not None) == [1, 2, 3]  # trial 1 once


def test_pickled_megabytes_counts_without_copying() -> None:
    from automl.package.pickling import pickled_megabytes

    size = pickled_megabytes({"weights": np.zeros(1_000_000)})  # 8 MB of float64
    assert size is not None
    assert 8.0 <= size < 8.01
    assert pickled_megabytes(lambda: 0) is None  # the package says why it cannot be written


def test_a_member_starts_only_if_its_refit_still_ends_in_time(
    prepared_churn: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plan is checked again when a member's turn comes: the first refit took 20 s where
    10 s were expected, so the second (planned) no longer fits in the 5 s left and is dropped."""
    resolved, prepared = prepared_churn
    board, plan = _plan(prepared, dict.fromkeys((1, 2), 10.0 * 2 / 3), {1: 0.6, 2: 0.4})
    monkeypatch.setattr(refit_module, "refit_lanes", lambda resolved: 1)
    clock = _Clock()

    def slow() -> None:
        clock.now += 20.0

    refitted = _recording_fit_row(monkeypatch, slow)
    budget = Budget(time_budget=25, cv=3, clock=clock)
    refit = refit_module.refit_ensemble(resolved, prepared, board, plan, budget)
    assert refitted == [1]
    assert plan.record.dropped == [2]
    assert refit is not None
    assert refit.row.trial == 1


def _with_spec(prepared: Any, **changes: Any) -> None:
    """Change the record of the run's (only) model, ``logistic_regression``."""
    from dataclasses import replace

    model = prepared.models["logistic_regression"]
    spec = replace(model.component.spec, **changes)
    prepared.models["logistic_regression"] = replace(
        model, component=replace(model.component, spec=spec)
    )


@pytest.mark.parametrize(
    ("time_budget", "full"),
    [(60, {1: True, 2: True}), (50, {1: False, 2: True}), (25, {1: False, 2: False})],
)
def test_members_refit_in_full_only_with_the_time_their_refit_cost_asks(
    prepared_churn: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    time_budget: float,
    full: Any,
) -> None:
    """Two members whose plain refits take about 10 s each, on one lane, with ``refit_cost`` 3:
    a full refit (30 s, planned at 45 s) is chosen only when it leaves time for the plain refit
    of the member after it and for packaging; the members are kept either way."""
    resolved, prepared = prepared_churn
    _with_spec(prepared, refit_cost=3.0)
    board, plan = _plan(prepared, dict.fromkeys((1, 2), 10.0 * 2 / 3), {1: 0.6, 2: 0.4})
    monkeypatch.setattr(refit_module, "refit_lanes", lambda resolved: 1)
    seen: dict[int | None, bool] = {}
    refitted = _recording_fit_row(monkeypatch, fulls=seen)
    budget = Budget(time_budget=time_budget, cv=3, clock=_Clock())
    with caplog.at_level(logging.INFO, logger="automl"):
        refit_module.refit_ensemble(resolved, prepared, board, plan, budget)
    assert refitted == [1, 2]
    assert seen == full
    for trial in full:  # each refit's time is logged beside its plan (no refit_full here)
        line = (
            f"Trial {trial} (logistic_regression) refitted on every training row in 0.0 s "
            "(planned: 10.0 s)"
        )
        assert line in caplog.messages


@pytest.mark.parametrize(("refit_full", "said"), [(True, True), (False, False), (None, False)])
def test_a_refit_log_says_when_the_model_fitted_twice(
    caplog: pytest.LogCaptureFixture, refit_full: bool | None, said: bool
) -> None:
    from types import SimpleNamespace

    from automl.runner.finish import log_refit

    model = SimpleNamespace() if refit_full is None else SimpleNamespace(refit_full=refit_full)
    pipeline = SimpleNamespace(named_steps={"model": model})
    row = LeaderboardRow(rank=1, trial=7, model="lightgbm", fit_time=0.8)
    budget = Budget(time_budget=60, cv=5, clock=_Clock())
    with caplog.at_level(logging.INFO, logger="automl"):
        log_refit(budget, row, 2.5, pipeline)
    (message,) = caplog.messages
    assert message.startswith("Trial 7 (lightgbm) refitted on every training row in 2.5 s")
    assert ("(planned: 1.0 s a fit, and it fitted twice: refit_full)" in message) is said
    assert message.endswith("(planned: 1.0 s)") is not said


def test_the_best_trial_refits_in_full_when_time_allows(prepared_churn: Any) -> None:
    from automl.runner.finish import full_refit_in_time

    _, prepared = prepared_churn
    _with_spec(prepared, refit_cost=2.0)
    board, _ = _plan(prepared, {1: 10.0 * 2 / 3}, {1: 1.0})
    row = board.row(1)
    assert full_refit_in_time(Budget(), prepared, row)  # no time budget
    # A plain refit of 10 s, twice at refit_cost 2, planned at 1.5 times: 30 s, packaging kept.
    assert full_refit_in_time(Budget(time_budget=32, cv=3, clock=_Clock()), prepared, row)
    assert not full_refit_in_time(Budget(time_budget=31, cv=3, clock=_Clock()), prepared, row)
    assert not full_refit_in_time(
        Budget(time_budget=40, cv=3, clock=_Clock()), prepared, row, kept=9.0
    )


def test_the_final_fit_turns_on_refit_full_where_the_estimator_has_it(
    prepared_churn: Any,
) -> None:
    from sklearn.base import BaseEstimator, ClassifierMixin

    from automl.runner.finish import fit_row

    class Recorder(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
        def __init__(self, refit_full: bool = False) -> None:
            self.refit_full = refit_full

        def fit(self, X: Any, y: Any) -> Any:
            self.classes_, self.fitted_full_ = np.unique(y), self.refit_full
            return self

    resolved, prepared = prepared_churn
    _with_spec(prepared, factory=lambda params, *, task, seed: Recorder())
    board, _ = _plan(prepared, {1: 0.01}, {1: 1.0})
    pipeline = fit_row(resolved, prepared, board.row(1))
    assert pipeline.named_steps["model"].fitted_full_ is True
    _with_spec(prepared, factory=lambda params, *, task, seed: _NoRefitFull())
    assert fit_row(resolved, prepared, board.row(1)).named_steps["model"].fitted_


class _NoRefitFull:
    """An estimator without ``refit_full``: the final fit leaves its parameters alone."""

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {}

    def set_params(self, **params: Any) -> Any:
        raise AssertionError(f"set_params({params}) on an estimator without refit_full")

    def fit(self, X: Any, y: Any) -> Any:
        self.fitted_ = True
        return self


def test_refit_lanes_follow_the_cpus_and_the_recipes_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Lanes are this process's CPUs, capped by a numeric ``execution.workers``; the search
    shares the time it leaves for the members' refits among them."""
    import os
    from types import SimpleNamespace

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    for workers, lanes in [("auto", 4), (1, 1), (2, 2), (8, 4)]:
        resolved: Any = SimpleNamespace(
            recipe=SimpleNamespace(execution=SimpleNamespace(workers=workers))
        )
        assert refit_module.refit_lanes(resolved) == lanes


# --- The time-aware model choice remembers what a resumed study measured -----------------


def test_a_resumed_search_tells_the_scheduler_what_earlier_trials_measured() -> None:
    """A resumed search's model choice starts from what the study measured before (timings,
    scores, failures), not from the plugins' prior costs alone."""
    from automl.search import Search
    from automl.search.schedule import ModelScheduler
    from tests.fake_executor import FakeClock, FakeExecutor, Script
    from tests.test_engine import COIN, PLAIN, memory_study, search, search_models

    study = memory_study()
    slow = {"plain": 100.0}
    first = search(
        study,
        lambda job: Script(scores=[0.5, 0.5, 0.5], seconds=slow.get(job.model, 1.0)),
        n_trials=6,
        models=(COIN, PLAIN),
    )
    assert {record.model for record in first.trials} == {"coin", "plain"}

    scheduler = ModelScheduler({"coin": 1.0, "plain": 1.0}, maximize=True, seed=0)
    clock = FakeClock()
    Search(
        study=study,
        executor=FakeExecutor(
            script=lambda job: Script(scores=[0.5, 0.5, 0.5]),
            clock=clock,
            cv=3,
            workers=1,
            metric="score",
        ),
        models=search_models(COIN, PLAIN),
        task=Task.BINARY,
        metric="score",
        metrics=[],
        budget=Budget(time_budget=1000, cv=3, clock=clock, started=0.0),
        scheduler=scheduler,
        folds=3,
    )
    assert scheduler.families["plain"].seconds, "the resumed scheduler knows no timings"
    assert scheduler.families["plain"].best is not None


# --- A member that fails on the holdout gives way to the best trial ------------------------


class _HoldoutBomb:
    """A fitted pipeline that predicts the training rows but fails on any other batch (the
    test models' ``holdout_bomb``: fine in cross-validation, broken once refitted)."""

    def __init__(self, pipeline: Any) -> None:
        self.pipeline = pipeline
        self.classes_ = pipeline.classes_

    def predict(self, rows: Any) -> Any:
        raise RuntimeError("boom on holdout")

    def predict_proba(self, rows: Any) -> Any:
        raise RuntimeError("boom on holdout")


def test_a_member_failing_on_the_holdout_falls_back_to_the_best_trial(
    prepared_churn: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A member that fits but breaks on new rows does not fail the run: the best trial is
    packaged instead, as when a single configuration fails on the holdout."""
    import automl.runner.finish as finish_module
    from automl.rundir import PredictionStore, RunLayout

    resolved, prepared = prepared_churn
    table, split = prepared.table, prepared.split
    layout = RunLayout(tmp_path / "run")
    layout.root.mkdir()
    store = PredictionStore(layout, task="binary", classes=table.classes, maximize=True, keep=50)
    store.start(table.target[split.train_rows], split.train_rows, split.holdout_rows)
    truth = np.asarray(table.target[split.train_rows] == table.classes[1], dtype=float)
    for trial in (1, 2, 3, 4):
        score = truth + np.random.default_rng(trial).normal(0, 1.2, len(truth))
        p = 1 / (1 + np.exp(-(score - 0.5) * 2))
        store.add(trial, 0.5 + trial / 100, np.c_[1 - p, p])
    board = Leaderboard(metric="roc_auc", direction="maximize", metrics=["accuracy", "log_loss"])
    board.rows = [
        LeaderboardRow(
            rank=0,
            trial=trial,
            model="logistic_regression",
            scores={"roc_auc": MetricScores.of([value])},
            fit_time=0.01,
            predict_time_per_1000=0.002,
        )
        for trial, value in {1: 0.55, 2: 0.56, 3: 0.57, 4: 0.58}.items()
    ]
    board.rank()
    real_fit_row = finish_module.fit_row

    def fit_row(resolved: Any, prepared: Any, row: LeaderboardRow, part: Any = None) -> Any:
        pipeline = real_fit_row(resolved, prepared, row, part)
        return pipeline if row.trial == 4 else _HoldoutBomb(pipeline)  # 4: the best trial

    monkeypatch.setattr(refit_module, "fit_row", fit_row)
    summary = RunSummary(recipe="t")
    refit = finish_module.finish(
        resolved, prepared, board, store, summary, Budget(), lambda phase: None
    )
    assert summary.ensemble is not None
    assert refit.row.trial == 4
    assert set(refit.holdout) == {"roc_auc", "accuracy", "log_loss"}


# --- A regression ensemble of members that predict a column averages their values --------


class _ColumnRegressor:
    """A fitted regressor whose ``predict`` returns one column, ``(rows, 1)``, as some
    third-party regressors do (the model package accepts that: ``PackagedModel._predict``)."""

    def __init__(self, value: float) -> None:
        self.value = value

    def predict(self, rows: Any) -> np.ndarray:
        return np.full((len(rows), 1), self.value)


def test_a_regression_ensemble_averages_members_that_predict_a_column() -> None:
    """Members that predict a ``(rows, 1)`` column are averaged as values (never renormalised
    like probabilities)."""
    from automl.ensemble import EnsembleMember, EnsembleModel

    model = EnsembleModel(
        [
            EnsembleMember(1, "a", 0.5, _ColumnRegressor(10.0)),
            EnsembleMember(2, "b", 0.5, _ColumnRegressor(20.0)),
        ],
        classes=None,
    )
    made = np.asarray(model.predict(pd.DataFrame({"x": [1.0, 2.0, 3.0]})), dtype=float)
    assert made.reshape(-1) == pytest.approx([15.0, 15.0, 15.0])


# --- keep_predictions: 0 reserves no search time for ensemble refits ---------------------


def test_no_kept_predictions_reserves_no_time_for_ensemble_refits(tmp_path: Path) -> None:
    """With ``search.keep_predictions: 0`` no ensemble can be built, so the search keeps the
    usual reserve (the best trial's refit alone, no selection time)."""
    from automl import load_recipe
    from automl.runner.flow import make_budget

    extra = "search: {time_budget: 60, keep_predictions: 0}\n"
    resolved = load_recipe(churn_recipe(tmp_path, extra=extra), PluginRegistry.discover())
    assert resolved.recipe.ensemble.enabled
    budget = make_budget(resolved)
    assert (budget.extra, budget.members, budget.finals, budget.lanes) == (0.0, 0.0, 1, 1)


@pytest.mark.parametrize(("time_budget", "members"), [(60, 3.0), (300, 15.0)])
def test_the_search_leaves_a_share_of_the_budget_for_the_members(
    tmp_path: Path, time_budget: float, members: float
) -> None:
    """Beyond the refits of the best trial, the search leaves 1 s for the selection and, once a
    trial has completed, 5 % of the budget for members slower than the best (a cheap best model
    with costly partners); before that, nothing (a small budget still gets its first trial)."""
    from automl import load_recipe
    from automl.runner.flow import make_budget

    recipe = churn_recipe(tmp_path, extra=f"search: {{time_budget: {time_budget}}}\n")
    budget = make_budget(load_recipe(recipe, PluginRegistry.discover()))
    assert (budget.extra, budget.members) == (1.0, members)
    assert budget.reserve(()) == 2.0 + 1.0 + 1.0  # packaging, a refit of unknown length, selection
    refit = 0.1 * 5 / 4  # a fold fit of 0.1 s on 4/5 of the rows
    assert budget.reserve((0.1,)) == pytest.approx(3.0 + members + 1.5 * refit)
