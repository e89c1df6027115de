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


# -- the first trials on a share of the rows (search.warmup_rows) ---------------------------------


def test_observe_scales_a_first_trial_on_a_share_of_the_rows_to_every_row() -> None:
    scheduler = _scheduler(m=1.0)
    outcome = TrialOutcome(
        number=0, state=TrialState.COMPLETE, fit_times=[1.0], predict_times=[0.5]
    )
    record = TrialRecord(number=0, state=TrialState.COMPLETE, model="m", value=0.7)
    observe(scheduler, "m", outcome, folds=1, record=record, rows_fraction=0.25)
    assert scheduler.families["m"].seconds == [6.0]
    assert scheduler.families["m"].best == 0.7


def test_each_models_defaults_run_on_every_row_the_first_time_it_is_chosen() -> None:
    defaults = {"a": {"model": "a", "a.depth": 3}, "b": {"model": "b"}}
    scheduler = ModelScheduler({"a": 1.0, "b": 1.0}, maximize=True, seed=0, defaults=defaults)
    assert scheduler.next_params("a") == {"model": "a", "a.depth": 3}
    assert scheduler.next_params("a") == {"model": "a"}  # then the sampler's parameters
    assert scheduler.next_params("b") == {"model": "b"}
    plain = _scheduler(a=1.0)
    assert plain.next_params("a") == {"model": "a"}


def test_a_search_measures_every_model_on_a_share_then_runs_the_chosen_ones_in_full() -> None:
    """The defaults queued on a quarter of the rows run first, each as a job with that share;
    every model the scheduler then chooses runs its defaults on every row once, then the
    sampler's configurations; their records and the study say which trials used a share."""
    from automl.search import enqueue_defaults
    from automl.search.trials import ROWS_FRACTION, records_of
    from tests.test_engine import COIN, PLAIN, good, memory_study, search

    defaults = {"coin": {"model": "coin", "coin.flip": 0.2}, "plain": {"model": "plain"}}
    study = memory_study()
    enqueue_defaults(study, list(defaults.values()), 0.25)
    costs = {"coin": 1.0, "plain": 1.0}
    scheduler = ModelScheduler(costs, maximize=True, seed=0, defaults=defaults)
    run = search(study, good, time_budget=40, models=[COIN, PLAIN], scheduler=scheduler)
    jobs = [job for _, job in run.executor.submitted]
    assert [(job.model, job.rows_fraction) for job in jobs[:2]] == [
        ("coin", 0.25),
        ("plain", 0.25),
    ]
    assert all(job.rows_fraction is None for job in jobs[2:])
    full = {}
    for job in jobs[2:]:
        full.setdefault(job.model, dict(job.params))
    assert full == {"coin": {"flip": 0.2}, "plain": {}}  # its defaults first, on every row
    assert len(jobs) > 4
    records = {record.number: record for record in records_of(study)}
    assert [records[job.number].rows_fraction for job in jobs[:3]] == [0.25, 0.25, None]
    assert study.trials[0].user_attrs[ROWS_FRACTION] == 0.25
