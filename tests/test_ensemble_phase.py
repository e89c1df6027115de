"""The ensemble phase of a run, in process: selection from kept out-of-fold predictions, its
leaderboard row, and the refit of its members under the run's clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from automl.leaderboard import Leaderboard
from automl.records import EnsembleRecord, LeaderboardRow, MemberRecord, MetricScores, RunSummary
from automl.rundir import PredictionStore, RunLayout
from automl.search.budget import Budget
from tests.run_helpers import churn_recipe


@pytest.fixture
def setup(tmp_path: Path) -> Any:
    """A prepared churn run (400 rows) and its run directory, no search run."""
    from automl import PluginRegistry, load_recipe
    from automl.runner.prepare import load_and_prepare

    extra = "models: [logistic_regression]\nsearch: {n_trials: 4, cv: 3, seed: 1}\n"
    resolved = load_recipe(churn_recipe(tmp_path, extra=extra), PluginRegistry.discover())
    prepared = load_and_prepare(
        resolved, RunSummary(recipe="t"), Budget(), lambda phase: None, None, lambda p: None
    )
    layout = RunLayout(tmp_path / "run")
    layout.root.mkdir()
    return resolved, prepared, layout


def _store(prepared: Any, layout: RunLayout, oofs: dict[int, np.ndarray]) -> None:
    table, split = prepared.table, prepared.split
    store = PredictionStore(layout, task="binary", classes=table.classes, maximize=True, keep=50)
    store.start(table.target[split.train_rows], split.train_rows, split.holdout_rows)
    for trial, oof in oofs.items():
        store.add(trial, 0.5 + trial / 100, oof)


def _noisy(prepared: Any, seed: int, noise: float = 1.2) -> np.ndarray:
    """Probabilities that know the truth, blurred by independent noise."""
    table, split = prepared.table, prepared.split
    truth = np.asarray(table.target[split.train_rows] == table.classes[1], dtype=float)
    score = truth + np.random.default_rng(seed).normal(0, noise, len(truth))
    p = 1 / (1 + np.exp(-(score - 0.5) * 2))
    return np.c_[1 - p, p]


def _board(values: dict[int, float], fit_times: dict[int, float] | None = None) -> Leaderboard:
    rows = [
        LeaderboardRow(
            rank=0,
            trial=trial,
            model="logistic_regression",
            scores={"roc_auc": MetricScores.of([value])},
            fit_time=(fit_times or {}).get(trial, 0.01),
            predict_time_per_1000=0.002,
        )
        for trial, value in values.items()
    ]
    board = Leaderboard(metric="roc_auc", direction="maximize", metrics=["accuracy", "log_loss"])
    board.rows = rows
    board.rank()
    return board


def test_an_ensemble_that_beats_the_best_trial_is_chosen(setup: Any) -> None:
    from automl.runner.ensemble import build_ensemble

    resolved, prepared, layout = setup
    _store(prepared, layout, {t: _noisy(prepared, t) for t in (1, 2, 3, 4)})
    board = _board({1: 0.55, 2: 0.56, 3: 0.57, 4: 0.58})
    plan = build_ensemble(resolved, prepared, board, layout, Budget())
    assert plan is not None
    record = plan.record
    assert record.chosen
    assert record.reason is None
    assert len(record.members) >= 2
    assert sum(m.weight for m in record.members) == pytest.approx(1.0)
    assert record.candidates == 4
    assert record.best_single_cv == 0.58
    row = board.rows[0]
    assert row is plan.row
    assert row.trial is None
    assert row.model == "ensemble"
    assert set(row.scores) == {"roc_auc", "accuracy", "log_loss"}  # every metric, by fold
    assert len(row.scores["roc_auc"].folds) == 3
    assert row.mean("roc_auc") == record.cv_mean
    assert [m["trial"] for m in row.params["members"]] == [m.trial for m in record.members]
    assert row.predict_time_per_1000 == pytest.approx(0.002 * len(record.members))


def test_an_ensemble_worse_than_the_best_trial_is_listed_not_chosen(setup: Any) -> None:
    from automl.runner.ensemble import build_ensemble

    resolved, prepared, layout = setup
    _store(prepared, layout, {t: _noisy(prepared, t) for t in (1, 2, 3)})
    board = _board({1: 0.55, 2: 0.56, 3: 0.999})
    plan = build_ensemble(resolved, prepared, board, layout, Budget())
    assert plan is not None
    assert not plan.record.chosen
    assert "not better" in (plan.record.reason or "")
    assert next(r.trial for r in board.rows) == 3
    assert board.ensemble is plan.row


def test_no_ensemble_without_two_kept_trials(setup: Any, caplog: Any) -> None:
    from automl.runner.ensemble import build_ensemble

    resolved, prepared, layout = setup
    _store(prepared, layout, {1: _noisy(prepared, 1)})
    board = _board({1: 0.6, 2: 0.5})
    with caplog.at_level("INFO", logger="automl"):
        assert build_ensemble(resolved, prepared, board, layout, Budget()) is None
    assert "an ensemble needs two" in caplog.text
    assert board.ensemble is None


def _plan(prepared: Any, board: Leaderboard, weights: dict[int, float]) -> Any:
    from automl.runner.ensemble import EnsemblePlan
    from automl.runner.splits import folds

    plan = EnsemblePlan(
        record=EnsembleRecord(
            members=[MemberRecord(t, "logistic_regression", w) for t, w in weights.items()],
            steps=10,
            candidates=len(weights),
            cv_mean=0.9,
            cv_std=0.0,
            best_single_cv=0.5,
            chosen=True,
        ),
        row=LeaderboardRow(
            rank=0, trial=None, model="ensemble", scores={"roc_auc": MetricScores.of([0.9])}
        ),
        oof={t: _noisy(prepared, t, noise=0.3) for t in weights},
        folds=folds(prepared.table, prepared.split.train_rows, 3, 1),
    )
    board.add(plan.row)
    return plan


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_members_whose_refit_would_break_the_budget_are_dropped(setup: Any, caplog: Any) -> None:
    from automl.ensemble import EnsembleModel
    from automl.runner.refit_ensemble import refit_ensemble

    resolved, prepared, _layout = setup
    board = _board({1: 0.5, 2: 0.49, 3: 0.48}, fit_times={1: 0.01, 2: 60.0, 3: 0.01})
    plan = _plan(prepared, board, {1: 0.5, 2: 0.3, 3: 0.2})
    clock = FakeClock()
    budget = Budget(time_budget=30, clock=clock)  # 30 s left: trial 2 needs about 90 s
    with caplog.at_level("WARNING", logger="automl"):
        refit = refit_ensemble(resolved, prepared, board, plan, budget)
    assert refit is not None
    model = refit.pipeline
    assert isinstance(model, EnsembleModel)
    assert model.weights == pytest.approx({1: 0.5 / 0.7, 3: 0.2 / 0.7})
    assert plan.record.dropped == [2]
    assert [m.trial for m in plan.record.members] == [1, 3]
    assert "dropped" in (plan.record.reason or "")
    assert "trial 2 (logistic_regression) dropped" in caplog.text
    assert set(refit.holdout) == {"roc_auc", "accuracy", "log_loss"}
    assert refit.predictions is not None
    assert refit.predictions.shape[1] == 2
    assert [m["trial"] for m in plan.row.params["members"]] == [1, 3]  # the row says so too


def test_an_ensemble_left_with_one_member_gives_way_to_the_best_trial(setup: Any) -> None:
    from automl.runner.refit_ensemble import refit_ensemble

    resolved, prepared, _layout = setup
    board = _board({1: 0.5, 2: 0.49}, fit_times={1: 0.01, 2: 60.0})
    plan = _plan(prepared, board, {1: 0.6, 2: 0.4})
    budget = Budget(time_budget=30, clock=FakeClock())
    refit = refit_ensemble(resolved, prepared, board, plan, budget)
    # The best trial was refitted as the first member: it is packaged without a second fit.
    assert refit is not None
    assert refit.row.trial == 1
    assert set(refit.holdout) == {"roc_auc", "accuracy", "log_loss"}
    assert not plan.record.chosen
    assert "no longer beat" in (plan.record.reason or "")
    assert board.ensemble is None
    assert board.rows[0].trial == 1


def test_a_best_trial_outside_the_dropped_ensemble_is_left_to_the_caller(setup: Any) -> None:
    from automl.runner.refit_ensemble import refit_ensemble

    resolved, prepared, _layout = setup
    board = _board({1: 0.5, 2: 0.49, 3: 0.51}, fit_times={1: 0.01, 2: 60.0, 3: 0.01})
    plan = _plan(prepared, board, {1: 0.6, 2: 0.4})
    budget = Budget(time_budget=30, clock=FakeClock())
    assert refit_ensemble(resolved, prepared, board, plan, budget) is None
    assert board.rows[0].trial == 3


def test_without_a_time_budget_every_member_is_refitted(setup: Any) -> None:
    from automl.runner.refit_ensemble import refit_ensemble

    resolved, prepared, _layout = setup
    board = _board({1: 0.5, 2: 0.49}, fit_times={1: 0.01, 2: 600.0})
    plan = _plan(prepared, board, {1: 0.6, 2: 0.4})
    refit = refit_ensemble(resolved, prepared, board, plan, Budget())
    assert refit is not None
    assert plan.record.dropped == []
    assert refit.pipeline.weights == pytest.approx({1: 0.6, 2: 0.4})


def test_the_selection_keeps_going_while_the_best_trial_can_still_be_refitted(
    setup: Any,
) -> None:
    from automl.runner.ensemble import build_ensemble

    resolved, prepared, layout = setup
    _store(prepared, layout, {t: _noisy(prepared, t) for t in (1, 2, 3, 4)})
    clock = FakeClock()
    budget = Budget(time_budget=10, cv=3, clock=clock, finals=4)
    clock.now += 7.5  # 2.5 s left: less than the search's reserve, enough for one refit
    assert budget.remaining() < budget.reserve((0.3,) * 4)
    board = _board({1: 0.55, 2: 0.56, 3: 0.57, 4: 0.58}, fit_times=dict.fromkeys((1, 2, 3, 4), 0.3))
    plan = build_ensemble(resolved, prepared, board, layout, budget)
    assert plan is not None
    assert len(plan.record.members) >= 2
    clock.now += 2.0  # 0.5 s left: the selection stops after its first step
    board = _board({1: 0.55, 2: 0.56, 3: 0.57, 4: 0.58}, fit_times=dict.fromkeys((1, 2, 3, 4), 0.3))
    assert build_ensemble(resolved, prepared, board, layout, budget) is None


def test_candidates_include_the_best_of_every_model() -> None:
    from automl.ensemble import Candidate
    from automl.runner.ensemble import _diverse

    rows = {t: LeaderboardRow(rank=0, trial=t, model="a" if t < 10 else "b") for t in range(14)}
    ranked = [Candidate(t, np.array([float(t)])) for t in range(14)]  # all a's first
    chosen = _diverse(ranked, rows, 4)
    assert [c.trial for c in chosen] == [0, 1, 2, 3, 10, 11, 12]
