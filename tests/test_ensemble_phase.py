"""The ensemble phase of a run, in process: selection from kept out-of-fold predictions, its
leaderboard row, and the refit of its members under the run's clock."""

from __future__ import annotations

from dataclasses import replace
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
    from automl.runner.ensemble import diverse

    models = {t: "a" if t < 10 else "b" for t in range(14)}
    ranked = [Candidate(t, np.array([float(t)])) for t in range(14)]  # all a's first
    chosen = diverse(ranked, models, 4)
    assert [c.trial for c in chosen] == [0, 1, 2, 3, 10, 11, 12]


# -- the selection followed during the search (automl.runner.live) -------------------------------


def _record(number: int, value: float, fit_time: float) -> Any:
    from automl.records import TrialRecord, TrialState

    return TrialRecord(
        number=number,
        state=TrialState.COMPLETE,
        model="logistic_regression",
        value=value,
        fit_time=fit_time,
        predict_time_per_1000=0.002,
    )


def _folds(prepared: Any) -> Any:
    from automl.runner.splits import folds

    return folds(prepared.table, prepared.split.train_rows, prepared.cv, 0)


def _live(setup: Any, time_budget: float = 100.0) -> tuple[Any, Any, Any]:
    from automl.runner.live import LiveSelection
    from automl.search import LikelyFinals
    from tests.fake_executor import FakeClock

    resolved, prepared, _ = setup
    clock = FakeClock()
    budget = Budget(time_budget=time_budget, cv=3, clock=clock, finals=1, members=5.0, started=0.0)
    finals = LikelyFinals(maximize=True, limit=budget.finals)
    return LiveSelection(resolved, prepared, budget, finals, _folds(prepared)), finals, clock


def test_the_reserve_follows_the_members_the_selection_chooses(setup: Any) -> None:
    """A slow trial that is not the best but joins the ensemble: the search keeps time for its
    refit (planned per model, only the best trial's refit was kept)."""
    live, finals, clock = _live(setup)
    _, prepared, _ = setup
    budget = live.budget
    live.add(_record(1, 0.80, 0.1), _noisy(prepared, 1))
    assert finals.members is None  # one candidate: nothing to select
    assert live.models == ()
    assert finals.fits() == ()  # nothing observed by the engine in this test either
    finals.observe("logistic_regression", 0.80, 0.1)
    planned_per_model = budget.reserve(finals.fits())
    clock.advance(live.every)
    live.add(_record(2, 0.79, 6.0), _noisy(prepared, 2))  # independent errors: a good partner
    assert finals.members is not None
    assert sorted(finals.members) == [0.1, 6.0]
    assert live.models == ("logistic_regression",)  # their models, once each: to preload
    assert finals.fits() == finals.members
    # The members' refits on one lane; of the share for members not known yet (5 s), 1 % of
    # the time budget is kept for a change of them by the last trials.
    reserve = budget.reserve(finals.fits())
    assert reserve == pytest.approx(planned_per_model - 5.0 + 1.0 - 1.5 * 0.15 + 1.5 * (0.15 + 9.0))


def test_the_selection_runs_again_only_every_so_often(setup: Any) -> None:
    live, finals, clock = _live(setup, time_budget=300.0)
    _, prepared, _ = setup
    assert live.every == pytest.approx(6.0)  # 2 % of 300 s
    live.add(_record(1, 0.80, 0.1), _noisy(prepared, 1))
    live.add(_record(2, 0.79, 0.2), _noisy(prepared, 2))
    first = finals.members
    assert first is not None
    live.add(_record(3, 0.81, 9.0), _noisy(prepared, 3))  # too soon: not selected again yet
    assert finals.members == first
    assert live.changed
    clock.advance(6.0)
    live.add(_record(4, 0.50, 0.3), _noisy(prepared, 4, noise=9.0))  # noise: not a member
    assert finals.members is not None
    assert 9.0 in finals.members
    assert 0.3 not in finals.members
    assert not live.changed


def test_a_selection_of_one_model_plans_per_model(setup: Any) -> None:
    live, finals, clock = _live(setup)
    _, prepared, _ = setup
    table, split = prepared.table, prepared.split
    truth = np.asarray(table.target[split.train_rows] == table.classes[1], dtype=float)
    perfect = np.c_[1 - truth, truth]
    live.add(_record(1, 0.6, 0.1), _noisy(prepared, 1))
    live.add(_record(2, 0.7, 0.2), _noisy(prepared, 2))
    assert finals.members is not None
    clock.advance(live.every)
    assert live.budget.members == 1.0  # members known: 1 % of 100 s kept for a late change
    live.add(_record(3, 1.0, 5.0), perfect)  # nothing improves on it: a single model
    assert finals.members is None
    assert live.budget.members == 5.0  # members unknown again: their share is kept again
    finals.observe("logistic_regression", 1.0, 5.0)
    assert finals.fits() == (5.0,)


def test_candidates_are_held_like_the_ensemble_phase_holds_them(
    setup: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import automl.runner.live as live_module

    live, _, _ = _live(setup)
    _, prepared, _ = setup
    live.spec = live.spec.model_copy(update={"candidates": 2})
    for trial in range(1, 6):  # one model: the best two and PER_MODEL (3) of it
        live.add(_record(trial, 0.5 + trial / 100, 0.1), _noisy(prepared, trial))
    assert sorted(live.kept) == [3, 4, 5]
    cut = _noisy(prepared, 9)
    cut[0] = np.nan  # a trial cut short: never a candidate
    live.add(_record(9, 0.99, 0.1), cut)
    assert 9 not in live.kept
    monkeypatch.setattr(live_module, "LIVE_BYTES", 1000)
    live.add(_record(10, 0.99, 0.1), _noisy(prepared, 10))
    assert not live.enabled  # too many bytes to hold: planned per model from here on
    assert 10 not in live.kept


def test_no_live_selection_without_a_deadline_or_an_ensemble(setup: Any) -> None:
    from automl.runner.live import live_selection
    from automl.search import LikelyFinals

    resolved, prepared, _ = setup
    finals = LikelyFinals(maximize=True)
    folds = _folds(prepared)
    assert live_selection(resolved, prepared, Budget(n_trials=4), finals, folds) is None
    timed = Budget(time_budget=60)
    assert live_selection(resolved, prepared, timed, finals, folds) is not None
    recipe = resolved.recipe
    off = recipe.model_copy(
        update={"ensemble": recipe.ensemble.model_copy(update={"enabled": False})}
    )
    assert live_selection(replace(resolved, recipe=off), prepared, timed, finals, folds) is None
