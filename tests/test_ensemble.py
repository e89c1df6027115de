"""Greedy ensemble selection on hand-made predictions with known answers, the fast metrics,
the fitted ensemble, and the records that carry it."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, log_loss, mean_absolute_error, roc_auc_score

from automl.ensemble import (
    Candidate,
    EnsembleMember,
    EnsembleModel,
    blend,
    checked_fast_scorer,
    distinct,
    greedy_selection,
)
from automl.ensemble.fast import fast_scorer
from automl.leaderboard import Leaderboard
from automl.records import (
    BestTrial,
    EnsembleRecord,
    LeaderboardRow,
    MemberRecord,
    MetricScores,
    RunSummary,
)


def rmse_of(truth: np.ndarray):  # type: ignore[no-untyped-def]
    return lambda p: float(np.sqrt(np.mean((truth - p) ** 2)))


def auc_of(truth: np.ndarray):  # type: ignore[no-untyped-def]
    return lambda p: float(roc_auc_score(truth, p[:, 1]))


TRUTH = np.linspace(0.0, 10.0, 40)
NOISE = np.where(np.arange(40) % 2 == 0, 1.0, -1.0)


def test_opposite_errors_are_blended_equally() -> None:
    # A is high where B is low: their average is exact, and a third model is worse than both.
    candidates = [
        Candidate(1, TRUTH + NOISE),
        Candidate(2, TRUTH - NOISE),
        Candidate(3, TRUTH + 3 * NOISE),
    ]
    selection = greedy_selection(candidates, rmse_of(TRUTH), maximize=False, size=10)
    assert selection is not None
    assert selection.weights == {1: 0.5, 2: 0.5}
    assert selection.steps == 2
    assert selection.score == pytest.approx(0.0)
    assert len(selection.trajectory) == 10


def test_the_best_prefix_is_kept_not_the_last_step() -> None:
    # After A and B (exact), any third step makes it worse: the kept prefix is two steps.
    candidates = [Candidate(1, TRUTH + NOISE), Candidate(2, TRUTH - NOISE)]
    selection = greedy_selection(candidates, rmse_of(TRUTH), maximize=False, size=3)
    assert selection is not None
    assert selection.trajectory[1] == pytest.approx(0.0)
    assert selection.trajectory[2] > selection.trajectory[1]
    assert selection.steps == 2
    assert selection.weights == {1: 0.5, 2: 0.5}


def test_uneven_weights_are_counts_over_steps() -> None:
    # The truth is 2/3 of A plus 1/3 of B: A twice, B once, at step 3.
    a, b = TRUTH + NOISE, TRUTH - 2 * NOISE
    selection = greedy_selection(
        [Candidate(7, a), Candidate(9, b)], rmse_of(TRUTH), maximize=False, size=6
    )
    assert selection is not None
    assert selection.weights == pytest.approx({7: 2 / 3, 9: 1 / 3})
    assert list(selection.weights) == [7, 9]  # largest weight first
    assert selection.steps == 3


def test_ties_go_to_a_member_already_chosen() -> None:
    # A perfect model: every later step ties between "A again" and "A plus an equal copy".
    perfect = Candidate(1, TRUTH.copy())
    twin = Candidate(2, TRUTH.copy() + 0.0)
    selection = greedy_selection([perfect, twin], rmse_of(TRUTH), maximize=False, size=5, seed=3)
    assert selection is not None
    assert len(selection.weights) == 1
    assert selection.steps == 1  # the best prefix: the first step (ties keep the shortest)


def test_ties_between_new_models_are_broken_by_the_seed() -> None:
    # Two different models with the same score: which comes first depends on the seed only.
    a, b = TRUTH + NOISE, TRUTH - NOISE
    firsts = set()
    for seed in range(12):
        runs = {
            tuple(
                greedy_selection(
                    [Candidate(1, a), Candidate(2, b)],
                    rmse_of(TRUTH),
                    maximize=False,
                    size=1,
                    seed=seed,
                ).weights  # type: ignore[union-attr]
            )
            for _ in range(3)
        }
        assert len(runs) == 1  # the same seed, the same choice
        firsts |= runs
    assert firsts == {(1,), (2,)}


def test_maximised_metric_on_probabilities() -> None:
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 2, 300)
    signal = truth + rng.normal(0, 1.0, 300)
    other = truth + rng.normal(0, 1.0, 300)  # independent errors: the blend is better

    def proba(score: np.ndarray) -> np.ndarray:
        p = 1 / (1 + np.exp(-(score - 0.5) * 2))
        return np.c_[1 - p, p]

    candidates = [Candidate(1, proba(signal)), Candidate(2, proba(other))]
    selection = greedy_selection(candidates, auc_of(truth), maximize=True, size=10)
    assert selection is not None
    assert len(selection.weights) == 2
    single = max(auc_of(truth)(c.predictions) for c in candidates)
    assert selection.score > single


def test_multiclass_blends_are_renormalised() -> None:
    unnormalised = np.array([[0.5, 0.3, 0.1], [0.2, 0.2, 0.2]])
    mixed = blend([unnormalised, unnormalised], [1.0, 3.0])
    assert np.allclose(mixed.sum(axis=1), 1.0)
    assert mixed[1] == pytest.approx([1 / 3, 1 / 3, 1 / 3])
    seen: list[np.ndarray] = []

    def score(p: np.ndarray) -> float:
        seen.append(p)
        return float(log_loss([0, 1], p, labels=[0, 1, 2]))

    good = np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1]])
    greedy_selection([Candidate(1, unnormalised), Candidate(2, good)], score, maximize=False)
    assert all(np.allclose(p.sum(axis=1), 1.0) for p in seen)


def test_member_and_latency_caps() -> None:
    candidates = [
        Candidate(1, TRUTH + NOISE, latency_ms=1.0),
        Candidate(2, TRUTH - NOISE, latency_ms=5.0),
        Candidate(3, TRUTH - 0.9 * NOISE, latency_ms=0.5),
    ]
    capped = greedy_selection(candidates, rmse_of(TRUTH), maximize=False, max_members=1)
    assert capped is not None
    assert len(capped.weights) == 1
    fast = greedy_selection(candidates, rmse_of(TRUTH), maximize=False, max_latency_ms=2.0)
    assert fast is not None
    assert set(fast.weights) == {1, 3}  # trial 2 alone would take 5 ms per row
    unknown = [Candidate(1, TRUTH, latency_ms=None)]
    assert greedy_selection(unknown, rmse_of(TRUTH), maximize=False, max_latency_ms=9) is None


def test_nothing_to_choose_and_bad_sizes() -> None:
    assert greedy_selection([], rmse_of(TRUTH), maximize=False) is None
    nan = greedy_selection([Candidate(1, TRUTH)], lambda p: float("nan"), maximize=False)
    assert nan is None
    with pytest.raises(ValueError, match="size"):
        greedy_selection([Candidate(1, TRUTH)], rmse_of(TRUTH), maximize=False, size=0)


def test_should_stop_ends_the_selection_early() -> None:
    calls = iter([False, True])
    candidates = [Candidate(1, TRUTH + NOISE), Candidate(2, TRUTH - NOISE)]
    selection = greedy_selection(
        candidates, rmse_of(TRUTH), maximize=False, size=25, should_stop=lambda: next(calls)
    )
    assert selection is not None
    assert len(selection.trajectory) == 2


def test_distinct_keeps_the_first_of_equal_predictions() -> None:
    a = Candidate(4, TRUTH.copy())
    kept = distinct([a, Candidate(5, TRUTH.copy()), Candidate(6, TRUTH + 1)])
    assert [c.trial for c in kept] == [4, 6]


@pytest.mark.parametrize("seed", [0, 1])
def test_fast_scorers_agree_with_scikit_learn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    labels = np.array(["no", "yes"])[rng.integers(0, 2, 500)]
    p = rng.random(500).round(2)  # ties
    proba = np.c_[1 - p, p]
    auc = fast_scorer("roc_auc", labels, ["no", "yes"])
    assert auc is not None
    assert auc(proba) == pytest.approx(roc_auc_score(labels == "yes", p))
    three = rng.integers(0, 3, 500)
    q = rng.dirichlet([1, 1, 1], 500)
    loss = fast_scorer("log_loss", three, [0, 1, 2])
    assert loss is not None
    assert loss(q) == pytest.approx(log_loss(three, q, labels=[0, 1, 2]))
    accuracy = fast_scorer("accuracy", three, [0, 1, 2])
    assert accuracy is not None
    assert accuracy(q) == pytest.approx(accuracy_score(three, q.argmax(axis=1)))
    values = rng.normal(size=500)
    guess = values + rng.normal(size=500)
    mae = fast_scorer("mae", values, None)
    assert mae is not None
    assert mae(guess) == pytest.approx(mean_absolute_error(values, guess))
    assert fast_scorer("f1", three, [0, 1, 2]) is None
    assert fast_scorer("roc_auc", three, [0, 1, 2]) is None  # multiclass: the plugin's


def test_a_plugin_that_disagrees_keeps_its_own_scorer() -> None:
    values = np.arange(10.0)
    sample = values + 1

    def plugin(p: np.ndarray) -> float:  # an "rmse" that means something else
        return float(np.mean(np.abs(values - p)) * 2)

    assert checked_fast_scorer("rmse", values, None, plugin, [sample]) is None
    honest = fast_scorer("rmse", values, None)
    assert honest is not None
    agreed = checked_fast_scorer("rmse", values, None, honest, [sample])
    assert agreed is not None
    assert agreed(sample) == honest(sample)


def test_ensemble_model_averages_its_members() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 3))
    y = np.where(x[:, 0] + 0.3 * rng.normal(size=120) > 0, "yes", "no")
    a = LogisticRegression().fit(x, y)
    b = LogisticRegression(C=0.01).fit(x[:, :2], y)

    class FirstTwo:  # a member with its own preprocessing
        classes_ = b.classes_

        def predict_proba(self, rows: np.ndarray) -> np.ndarray:
            return b.predict_proba(rows[:, :2])

    model = EnsembleModel(
        [EnsembleMember(3, "lr", 3.0, a), EnsembleMember(8, "lr_small", 1.0, FirstTwo())],
        ["no", "yes"],
    )
    expected = 0.75 * a.predict_proba(x) + 0.25 * b.predict_proba(x[:, :2])
    assert model.weights == {3: 0.75, 8: 0.25}
    assert np.allclose(model.predict_proba(x), expected)
    assert list(model.predict(x)) == list(np.array(["no", "yes"])[expected.argmax(axis=1)])
    assert list(model.classes_) == ["no", "yes"]
    assert "lr (trial 3) 0.75" in repr(model)
    with pytest.raises(ValueError, match="at least one"):
        EnsembleModel([], None)


class _Centring(TransformerMixin, BaseEstimator):
    """A preprocessing step that counts its transforms (over every instance)."""

    transforms = 0

    def fit(self, rows: np.ndarray, target: object = None) -> _Centring:
        self.mean_ = np.asarray(rows).mean(axis=0)
        return self

    def transform(self, rows: np.ndarray) -> np.ndarray:
        type(self).transforms += 1
        return np.asarray(rows) - self.mean_


def test_members_with_identical_preprocessing_share_one_copy() -> None:
    from sklearn.pipeline import make_pipeline

    from automl.evaluation import aligned_proba

    rng = np.random.default_rng(1)
    x = rng.normal(size=(150, 3))
    y = np.where(x[:, 0] - x[:, 2] + 0.5 * rng.normal(size=150) > 0, "yes", "no")
    pipelines = [
        make_pipeline(_Centring(), LogisticRegression(C=1.0)).fit(x, y),
        make_pipeline(_Centring(), LogisticRegression(C=0.05)).fit(x, y),
        make_pipeline(_Centring(), LogisticRegression()).fit(x[:100], y[:100]),  # other rows
    ]
    expected = sum(aligned_proba(p, x, ["no", "yes"]) for p in pipelines) / 3
    model = EnsembleModel(
        [EnsembleMember(n, "lr", 1.0, p) for n, p in enumerate(pipelines)], ["no", "yes"]
    )
    steps = [member.pipeline.steps[0][1] for member in model.members]
    assert steps[0] is steps[1]
    assert steps[2] is not steps[0]
    assert [m.pipeline.steps[-1][1] for m in model.members] == [p[-1] for p in pipelines]
    _Centring.transforms = 0
    assert np.allclose(model.predict_proba(x), expected, rtol=0, atol=1e-12)
    assert _Centring.transforms == 2  # once per copy, not once per member
    back = pickle.loads(pickle.dumps(model))
    assert back.members[0].pipeline.steps[0][1] is back.members[1].pipeline.steps[0][1]
    assert np.allclose(back.predict_proba(x), expected, rtol=0, atol=1e-12)

    values = x @ np.array([1.0, 2.0, -1.0])
    regressors = [make_pipeline(_Centring(), Ridge(alpha=a)).fit(x, values) for a in (0.1, 50)]
    ensemble = EnsembleModel(
        [EnsembleMember(n, "ridge", 1, r) for n, r in enumerate(regressors)], None
    )
    mean = (regressors[0].predict(x) + regressors[1].predict(x)) / 2
    _Centring.transforms = 0
    assert np.allclose(ensemble.predict(x), mean, rtol=0, atol=1e-9)
    assert _Centring.transforms == 1


def test_regression_ensemble_pickles_and_predicts_the_weighted_mean() -> None:
    x = np.arange(20.0).reshape(-1, 1)
    a = LinearRegression().fit(x, 2 * x[:, 0])
    b = LinearRegression().fit(x, 4 * x[:, 0])
    model = EnsembleModel([EnsembleMember(1, "a", 1, a), EnsembleMember(2, "b", 1, b)], None)
    back = pickle.loads(pickle.dumps(model))
    assert np.allclose(back.predict(x), 3 * x[:, 0])
    with pytest.raises(AttributeError):
        back.predict_proba(x)


def test_records_read_back() -> None:
    record = EnsembleRecord(
        members=[MemberRecord(4, "lightgbm", 0.6), MemberRecord(2, "svm", 0.4)],
        steps=5,
        candidates=12,
        cv_mean=0.91,
        cv_std=0.01,
        best_single_cv=0.9,
        chosen=True,
        dropped=[7],
        predict_ms_per_row=0.02,
    )
    assert EnsembleRecord.from_dict(record.to_dict()) == record
    assert record.describe() == "ensemble of 2 (lightgbm 0.60, svm 0.40)"
    record.members.append(MemberRecord(9, "svm", 0.3))
    assert record.describe() == "ensemble of 3 (svm (2) 0.70, lightgbm 0.60)"
    record.members.pop()
    best = BestTrial(
        number=None, model="ensemble", params={"members": [{}, {}]}, cv_mean=0.9, cv_std=0.0
    )
    summary = RunSummary(recipe="r", best_trial=best, ensemble=record)
    back = RunSummary.from_dict(summary.to_dict())
    assert back.ensemble == record
    assert back.best_trial == best
    assert best.describe() == "ensemble of 2 members"
    assert RunSummary.from_dict(RunSummary(recipe="r").to_dict()).ensemble is None


def test_the_ensemble_row_ranks_like_a_trial() -> None:
    def row(trial: int | None, value: float) -> LeaderboardRow:
        return LeaderboardRow(
            rank=0, trial=trial, model="m", scores={"auc": MetricScores.of([value])}
        )

    board = Leaderboard(metric="auc", direction="maximize", metrics=[], rows=[row(1, 0.8)])
    board.add(row(None, 0.8))  # a tie: the trial stays first
    assert [r.trial for r in board.rows] == [1, None]
    assert board.ensemble is board.rows[1]
    board.rows[1].scores = {"auc": MetricScores.of([0.85])}
    board.rank()
    assert [(r.rank, r.trial) for r in board.rows] == [(1, None), (2, 1)]
    back = Leaderboard.from_dict(board.to_dict())
    assert back.rows[0].trial is None
    assert "\n2,1," in board.to_csv().replace("\r\n", "\n")
    board.remove_ensemble()
    assert [r.trial for r in board.rows] == [1]
    assert board.ensemble is None


def test_with_folds_the_selection_scores_as_the_leaderboard_does() -> None:
    """Scored over all rows at once, ROC AUC rewards a model whose scale agrees across folds;
    the leaderboard averages the folds' scores. With the folds, the selection's first pick is
    the model the leaderboard ranks first, so the ensemble it keeps is never below it."""
    from automl.ensemble import selection_scorer
    from automl.specs import Task
    from automl_sklearn.metrics import METRICS

    roc_auc = next(spec for spec in METRICS if spec.name == "roc_auc")
    rng = np.random.default_rng(0)
    truth = np.tile([0, 1], 100)
    folds = [np.arange(0, 100), np.arange(100, 200)]
    # "ranked": perfect within each fold, on a different scale in each (fold 1 low, fold 2 high).
    ranked = truth * 0.05 + np.where(np.arange(200) < 100, 0.0, 0.9)
    # "steady": one scale everywhere, a few rows out of order in each fold.
    steady = np.clip(truth * 0.6 + 0.2 + rng.normal(0, 0.15, 200), 0, 1)

    def proba(p: np.ndarray) -> np.ndarray:
        return np.c_[1 - p, p]

    candidates = [Candidate(1, proba(ranked)), Candidate(2, proba(steady))]
    classes = [0, 1]
    pooled = selection_scorer(roc_auc, truth, Task.BINARY, classes, candidates)
    by_fold = selection_scorer(roc_auc, truth, Task.BINARY, classes, candidates, folds)
    fold_mean = [np.mean([roc_auc_score(truth[v], p[v]) for v in folds]) for p in (ranked, steady)]
    assert by_fold(proba(ranked)) == pytest.approx(fold_mean[0]) == pytest.approx(1.0)
    assert by_fold(proba(steady)) == pytest.approx(fold_mean[1])
    assert pooled(proba(ranked)) < pooled(proba(steady))  # the two measures disagree
    picks = [greedy_selection(candidates, s, maximize=True, size=1) for s in (by_fold, pooled)]
    assert [list(pick.weights) if pick else None for pick in picks] == [[1], [2]]
