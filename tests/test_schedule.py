"""The time-aware choice of each trial's model under a time budget."""

from __future__ import annotations

from collections import Counter

import pytest

from automl.records import TrialRecord, TrialState
from automl.search.schedule import FLOOR, ModelScheduler, observe
from automl.search.trial import TrialOutcome


def _scheduler(**costs: float) -> ModelScheduler:
    return ModelScheduler(costs, maximize=True, seed=0)


def test_cheap_strong_families_get_most_trials_and_none_starves() -> None:
    scheduler = _scheduler(fast=1.0, slow=1.0, weak=1.0)
    scheduler.observe("fast", 0.90, 1.0)
    scheduler.observe("slow", 0.90, 20.0)  # as good, twenty times the cost
    scheduler.observe("weak", 0.70, 1.0)  # as cheap, the worst score
    counts = Counter(scheduler.choose(number, None) for number in range(2000))
    assert counts["fast"] > 10 * counts["slow"]
    assert counts["fast"] > 10 * counts["weak"]
    assert counts["slow"] > 0
    assert counts["weak"] > 0
    weights = scheduler.weights(None)
    assert min(weights.values()) >= FLOOR * max(weights.values()) - 1e-12


def test_a_family_that_cannot_finish_in_the_time_left_is_not_chosen() -> None:
    scheduler = _scheduler(fast=1.0, slow=1.0)
    scheduler.observe("fast", 0.80, 2.0)
    scheduler.observe("slow", 0.95, 30.0)
    assert set(scheduler.weights(10.0)) == {"fast"}
    assert {scheduler.choose(n, 10.0) for n in range(50)} == {"fast"}
    assert set(scheduler.weights(60.0)) == {"fast", "slow"}
    # When nothing fits, the choice is left to the scores rather than stopping.
    assert set(scheduler.weights(0.5)) == {"fast", "slow"}


def test_minimised_metrics_and_unmeasured_families() -> None:
    scheduler = ModelScheduler({"a": 1.0, "b": 1.0, "c": 10.0}, maximize=False, seed=3)
    scheduler.observe("a", 2.0, 1.0)  # lower is better: a is best
    scheduler.observe("b", 4.0, 1.0)
    weights = scheduler.weights(None)
    assert weights["a"] > weights["b"]
    # c never ran: its seconds come from its cost (10x a's), its score counts as the worst.
    assert weights["c"] == pytest.approx(max(FLOOR * weights["a"], weights["b"] / 10))


def test_families_that_only_fail_are_left_alone() -> None:
    scheduler = _scheduler(good=1.0, broken=1.0)
    scheduler.observe("good", 0.8, 1.0)
    scheduler.observe("broken", None, None, failed=True)
    assert "broken" in scheduler.weights(None)
    scheduler.observe("broken", None, None, failed=True)
    assert set(scheduler.weights(None)) == {"good"}
    only = _scheduler(broken=1.0)
    for _ in range(2):
        only.observe("broken", None, None, failed=True)
    assert only.choose(0, None) is None


def test_the_choice_is_seeded() -> None:
    def picks(seed: int) -> list[str | None]:
        scheduler = ModelScheduler({"a": 1.0, "b": 1.0}, maximize=True, seed=seed)
        return [scheduler.choose(n, None) for n in range(40)]

    assert picks(1) == picks(1)
    assert picks(1) != picks(2)


def test_observe_scales_a_pruned_trial_to_a_whole_one() -> None:
    scheduler = _scheduler(m=1.0)
    outcome = TrialOutcome(number=0, state=TrialState.PRUNED, fit_times=[1.0], predict_times=[0.5])
    record = TrialRecord(number=0, state=TrialState.PRUNED, model="m")
    observe(scheduler, "m", outcome, folds=5, record=record)
    assert scheduler.families["m"].seconds == [7.5]
    assert scheduler.families["m"].best is None


def test_a_trial_stopped_for_time_tells_its_pace_but_is_no_failure() -> None:
    scheduler = _scheduler(m=1.0)
    outcome = TrialOutcome(number=0, state=TrialState.PRUNED, fit_times=[2.0], predict_times=[1.0])
    for _ in range(3):
        observe(scheduler, "m", outcome, folds=3)
    assert scheduler.families["m"].seconds == [9.0, 9.0, 9.0]
    assert scheduler.families["m"].failed == 0
    observe(None, "m", outcome, folds=3)  # no scheduler (a trial budget): nothing to tell
