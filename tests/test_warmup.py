"""The first trial of each model on a share of the rows (``search.warmup_rows``): the rows a
fold's fit keeps, which data gets it, the trial, the refit and the records that carry it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from automl.leaderboard import Leaderboard
from automl.records import LeaderboardRow, MetricScores, TrialRecord, TrialState
from automl.runner.splits import warmup_fraction
from automl.search import subsample
from tests.run_helpers import line_data


def test_a_share_of_the_rows_is_drawn_at_random_in_their_order_and_repeats() -> None:
    rows = np.arange(100, 1100)
    target = np.zeros(1100)
    kept = subsample(rows, target, 0.2, 7, None)
    assert len(kept) == 200
    assert set(kept) <= set(rows)
    assert list(kept) == sorted(set(kept))
    assert np.array_equal(kept, subsample(rows, target, 0.2, 7, None))
    assert not np.array_equal(kept, subsample(rows, target, 0.2, 8, None))
    assert subsample(rows, target, 1.0, 7, None) is rows


def test_every_class_keeps_its_share_and_at_least_two_rows() -> None:
    target = np.array(["a"] * 900 + ["b"] * 97 + ["c"] * 3)
    kept = subsample(np.arange(1000), target, 0.1, 0, ["a", "b", "c"])
    labels = list(target[kept])
    assert (labels.count("a"), labels.count("b"), labels.count("c")) == (90, 10, 2)
    # A class with no row in this fold is no error.
    none_of_c = subsample(np.arange(997), target, 0.1, 0, ["a", "b", "c"])
    assert "c" not in set(target[none_of_c])


@pytest.mark.parametrize(
    ("rows", "fold_rows", "share"),
    [
        (500, [1000, 1005], 0.5),  # over the fewest rows of a fold
        (2000, [20000], 0.1),
        (0, [20000], None),  # off, the default
        (1000, [1000], None),  # a share as large as the fold: every row
    ],
)
def test_which_data_gets_first_trials_on_a_share(
    rows: int, fold_rows: list[int], share: float | None
) -> None:
    folds = [(np.arange(n), np.arange(3)) for n in fold_rows]
    assert warmup_fraction(rows, folds) == share


def test_a_trial_on_a_share_fits_on_it_and_predicts_every_row() -> None:
    """Each fold's fit sees a quarter of its training rows (drawn per fold); the out-of-fold
    predictions still cover every row, and the trial's score describes that model."""
    from sklearn.base import BaseEstimator, RegressorMixin

    from automl import ModelSpec, Params
    from automl.search import TrialJob, run_trial

    seen: list[int] = []

    class Mean(RegressorMixin, BaseEstimator):
        def fit(self, features: Any, target: Any) -> Mean:
            seen.append(len(features))
            self.value_ = float(np.mean(target))
            return self

        def predict(self, features: Any) -> Any:
            return np.full(len(features), self.value_)

    spec = ModelSpec(
        name="mean", description="the mean", factory=lambda p, task, seed: Mean(), params=Params
    )
    rows = 400
    order = np.random.default_rng(0).permutation(rows)
    halves = np.sort(order[:200]), np.sort(order[200:])
    data, metrics = line_data(rows, [(halves[1], halves[0]), (halves[0], halves[1])])
    job = TrialJob(number=0, model="mean", params={}, rows_fraction=0.25)
    outcome = run_trial(job, data, spec, metrics, lambda *args: False)
    assert outcome.state is TrialState.COMPLETE, outcome.error
    assert seen == [50, 50]
    assert outcome.oof is not None
    assert not np.isnan(outcome.oof).any()
    seen.clear()
    run_trial(TrialJob(number=1, model="mean", params={}), data, spec, metrics, lambda *a: False)
    assert seen == [200, 200]


def test_records_and_leaderboards_carry_the_share(tmp_path: Path) -> None:
    record = TrialRecord(number=3, state=TrialState.COMPLETE, model="m", rows_fraction=0.25)
    assert TrialRecord.from_dict(record.to_dict()).rows_fraction == 0.25
    assert TrialRecord.from_dict({**record.to_dict(), "rows_fraction": None}).rows_fraction is None
    scores = {"auc": MetricScores(mean=0.8, std=0.01)}
    board = Leaderboard(
        metric="auc",
        direction="maximize",
        metrics=[],
        rows=[
            LeaderboardRow(rank=1, trial=3, model="m", scores=scores, rows_fraction=0.25),
            LeaderboardRow(rank=2, trial=4, model="m", scores=scores),
        ],
    )
    assert board.columns()[-1] == "rows_fraction"
    again = Leaderboard.from_dict(board.to_dict())
    assert [row.rows_fraction for row in again.rows] == [0.25, None]
    assert "rows_fraction" in board.to_csv().splitlines()[0]
    every_row = Leaderboard(metric="auc", direction="maximize", metrics=[], rows=board.rows[1:])
    assert "rows_fraction" not in every_row.columns()


def test_the_refit_of_a_trial_on_a_share_fits_on_that_share(tmp_path: Path) -> None:
    """The model a trial's score describes is the one packaged: its refit keeps the share."""
    from automl import load_recipe
    from automl.records import RunSummary
    from automl.registry import PluginRegistry
    from automl.runner.finish import fit_row, training_part
    from automl.runner.prepare import load_and_prepare
    from automl.search import Budget
    from tests.run_helpers import churn_recipe

    extra = "models: [decision_tree]\nsearch: {n_trials: 2, cv: 3}\n"
    resolved = load_recipe(churn_recipe(tmp_path, extra=extra), PluginRegistry.discover())
    prepared = load_and_prepare(
        resolved, RunSummary(recipe="t"), Budget(), lambda phase: None, None, lambda p: None
    )
    part = training_part(prepared)
    row = LeaderboardRow(rank=1, trial=0, model="decision_tree", rows_fraction=0.5)
    pipeline = fit_row(resolved, prepared, row, part)
    fitted = pipeline.named_steps["model"].tree_.n_node_samples[0]
    assert fitted == pytest.approx(len(part.target) / 2, abs=2)
    row.rows_fraction = None
    every = fit_row(resolved, prepared, row, part).named_steps["model"].tree_.n_node_samples[0]
    assert every == len(part.target)


@pytest.mark.slow
def test_a_timed_run_measures_every_model_on_a_share_first(tmp_path: Path) -> None:
    """Under a time budget, with ``warmup_rows`` below the folds' rows, each model's defaults
    run first on that share (the log and the leaderboard say so), then on every row; the run
    ends with a package as always."""
    import json

    from automl.rundir import RunLayout, read_leaderboard
    from tests.run_helpers import churn_recipe, run_recipe

    extra = (
        "models: [logistic_regression, decision_tree]\n"
        "search: {time_budget: 12, cv: 3, warmup_rows: 60}\n"
        "ensemble: {enabled: false}\n"
    )
    result = run_recipe(churn_recipe(tmp_path, extra=extra), tmp_path / "run")
    layout = RunLayout(result.run_dir)
    log = layout.log.read_text(encoding="utf-8")
    assert "First trials: each model's default configuration on 28% of each fold's rows" in log
    board = read_leaderboard(result.run_dir)
    shares = {row.model: row.rows_fraction for row in board.rows if row.rows_fraction}
    assert set(shares) == {"decision_tree", "logistic_regression"}
    assert all(0.25 < share < 0.31 for share in shares.values()), shares  # 60 of ~213 rows
    assert any(row.rows_fraction is None for row in board.rows), "no trial ran on every row"
    trials = json.loads(layout.trials.read_text(encoding="utf-8"))["trials"]
    first = [t for t in trials if t["rows_fraction"] is not None]
    assert sorted(t["model"] for t in first) == ["decision_tree", "logistic_regression"]
    assert (layout.model / "MLmodel").exists()
