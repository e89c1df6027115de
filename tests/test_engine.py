"""The search engine driven in-process by a scripted executor on a fake clock (no processes).

Each test is a table: a budget, a slot count and a script per trial (scores, fold durations,
errors, dead workers, hangs) go in; the study's trials, their records and the engine's
callbacks come out.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pytest
from optuna.trial import TrialState as OptunaState
from pydantic import Field

from automl import ModelSpec, Params, Task
from automl.records import FailureKind, StopReason, TrialRecord, TrialState
from automl.search import (
    Budget,
    Search,
    SearchModel,
    SearchProgress,
    SearchResult,
    TrialJob,
    make_pruner,
    make_sampler,
    make_storage,
    open_study,
    records_of,
    recover_unfinished,
    trial_counts,
)
from automl.search.budget import PACKAGE_SECONDS, LikelyFinals
from automl.search.engine import POLL_SECONDS
from automl.search.schedule import ModelScheduler
from tests.fake_executor import ROWS, Ending, FakeClock, FakeExecutor, Script, oof_of

CV = 3
METRIC = "score"


# -- test models (never built: the fake executor only reads their parameters) -------------------


class CoinParams(Params):
    flip: float = Field(default=0.0, ge=0, le=1)


def _never(params: Any, *, task: Task, seed: int) -> Any:
    raise AssertionError("the fake executor builds no model")


def _coin_space(sampler: Any, task: Task) -> None:
    sampler.suggest_float("flip", 0.0, 1.0)


def _broken_space(sampler: Any, task: Task) -> None:
    raise ValueError("no space")


COIN = ModelSpec(
    name="coin",
    description="good or bad",
    factory=_never,
    params=CoinParams,
    search_space=_coin_space,
)
PLAIN = ModelSpec(name="plain", description="no parameters", factory=_never)
BROKEN = ModelSpec(
    name="broken", description="its space raises", factory=_never, search_space=_broken_space
)


def search_models(*specs: ModelSpec) -> dict[str, SearchModel]:
    return {spec.name: SearchModel(name=spec.name, spec=spec) for spec in specs}


# -- scripts -------------------------------------------------------------------------------------


def quality(job: TrialJob) -> float:
    """A configuration's true score: coins with a small ``flip`` are good."""
    return 1.0 - float(job.params.get("flip", 0.5))


def good(job: TrialJob, seconds: float | Sequence[float] = 1.0) -> Script:
    """A complete trial scoring its configuration's quality (folds vary a little)."""
    value = quality(job)
    return Script(scores=[value - 0.01, value, value + 0.01], seconds=seconds)


def by_number(scripts: dict[int, Script], default: Callable[[TrialJob], Script] = good) -> Any:
    """Scripts for some trial numbers, ``default`` for the others."""
    return lambda job: scripts.get(job.number) or default(job)


def params_key(job: TrialJob) -> tuple[Any, ...]:
    return (job.model, tuple(sorted(job.params.items())))


# -- running a search ----------------------------------------------------------------------------


@dataclasses.dataclass
class Run:
    """One search and what it produced."""

    study: optuna.Study
    executor: FakeExecutor
    clock: FakeClock
    result: SearchResult | None = None
    trials: list[TrialRecord] = dataclasses.field(default_factory=list)
    predictions: list[tuple[TrialRecord, np.ndarray]] = dataclasses.field(default_factory=list)
    progress: list[SearchProgress] = dataclasses.field(default_factory=list)

    def frozen(self, number: int) -> optuna.trial.FrozenTrial:
        return self.study.get_trials(deepcopy=False)[number]

    def numbers(self, state: OptunaState) -> set[int]:
        return {t.number for t in self.study.get_trials(deepcopy=False, states=(state,))}


def memory_study(sampler: str = "random", pruner: str = "none", seed: int = 0) -> optuna.Study:
    return optuna.create_study(
        direction="maximize",
        sampler=make_sampler(sampler, seed),
        pruner=make_pruner(pruner, CV),
    )


def journal_study(path: Path, sampler: str = "random", pruner: str = "none") -> optuna.Study:
    study, _ = open_study(
        storage=make_storage(path, None),
        direction="maximize",
        sampler=make_sampler(sampler, 0),
        pruner=make_pruner(pruner, CV),
        signature={"metric": METRIC},
        run_dir=path.parent,
    )
    return study


def search(
    study: optuna.Study,
    script: Callable[[TrialJob], Script],
    *,
    slots: int = 1,
    n_trials: int | None = None,
    time_budget: float | None = None,
    models: Sequence[ModelSpec] = (COIN,),
    deterministic: bool = False,
    interrupt: Callable[[FakeExecutor], bool] | None = None,
    clock: FakeClock | None = None,
    report: bool = True,
    finals: LikelyFinals | None = None,
    scheduler: ModelScheduler | None = None,
) -> Run:
    """Run a search on ``study`` with a fake executor; a ``KeyboardInterrupt`` propagates."""
    clock = clock or FakeClock()
    executor = FakeExecutor(
        script=script,
        clock=clock,
        cv=CV,
        workers=slots,
        metric=METRIC,
        interrupt=interrupt,
        report=report,
    )
    run = Run(study=study, executor=executor, clock=clock)
    budget = Budget(time_budget=time_budget, n_trials=n_trials, cv=CV, clock=clock, started=0.0)
    engine = Search(
        study=study,
        executor=executor,
        models=search_models(*models),
        task=Task.BINARY,
        metric=METRIC,
        metrics=["loss"],
        budget=budget,
        deterministic=deterministic,
        on_progress=lambda progress: run.progress.append(dataclasses.replace(progress)),
        on_trial=run.trials.append,
        on_predictions=lambda record, oof: run.predictions.append((record, oof)),
        folds=CV,
        finals=finals,
        scheduler=scheduler,
    )
    run.result = engine.run()
    return run


# -- the trial budget ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n_trials", "slots", "previous"),
    [
        pytest.param(1, 1, 0, id="one-trial"),
        pytest.param(4, 1, 0, id="one-slot"),
        pytest.param(2, 2, 0, id="n-equals-slots"),
        pytest.param(5, 2, 0, id="n-above-slots"),
        pytest.param(7, 3, 0, id="n-not-a-multiple-of-slots"),
        pytest.param(2, 4, 0, id="n-below-slots"),
        pytest.param(5, 2, 3, id="resumed-trials-count"),
        pytest.param(3, 2, 3, id="resumed-budget-spent"),
        pytest.param(2, 2, 3, id="resumed-over-budget"),
    ],
)
def test_trial_budget_counts_exactly_n_trials(n_trials: int, slots: int, previous: int) -> None:
    study = memory_study()
    if previous:
        search(study, good, n_trials=previous)
    # Uneven fold durations: trials end out of submission order.
    jittered = lambda job: good(job, seconds=1.0 + (job.number % 3) * 0.7)  # noqa: E731
    run = search(study, jittered, slots=slots, n_trials=n_trials)

    total = max(n_trials, previous)
    assert run.result is not None
    assert run.result.stopped_by is StopReason.N_TRIALS
    assert len(run.executor.submitted) == total - previous
    assert len(study.trials) == total  # nothing asked beyond the budget
    assert trial_counts(study).finished == total
    assert run.result.progress.finished == total
    assert run.result.progress.complete == total
    assert run.executor.busiest == min(slots, total - previous)  # every free slot is used
    assert not run.executor.running
    assert bool(run.executor.decisions) == (total > previous)  # reports were answered
    assert all(not prune for _, _, prune in run.executor.decisions)


# -- the time budget -----------------------------------------------------------------------------


def _reserve(fit: float | None) -> float:
    return Budget(cv=CV, clock=FakeClock(), started=0.0).reserve(() if fit is None else (fit,))


@pytest.mark.parametrize(
    ("script", "deterministic", "stop_at", "timed_out", "stopped"),
    [
        # Trials of 3 s (2.4 s of fit) on one slot; trial 1 hangs on the other. Trial 6 (from
        # 15 s) is stopped after its first fold, too late to end in time; trial 7 is running
        # when the deadline (which keeps time for the refit) comes.
        pytest.param(
            by_number({1: Script(scores=[0.5], ending=Ending.HANG)}),
            False,
            20.0 - _reserve(0.8),
            {1, 7},
            {6},
            id="one-trial-hangs",
        ),
        # Deterministic: trial 0 waits for trial 1 to be told, so the deadline knows no fit
        # time; at the deadline trial 0 is recorded COMPLETE, trial 1 cut.
        pytest.param(
            by_number({1: Script(scores=[0.5], ending=Ending.HANG)}),
            True,
            20.0 - _reserve(None),
            {1},
            set(),
            id="deterministic-one-trial-hangs",
        ),
        # Nothing completes: the deadline keeps the time for a refit of unknown length.
        pytest.param(
            lambda job: Script(scores=[], ending=Ending.HANG),
            False,
            20.0 - _reserve(None),
            {0, 1},
            set(),
            id="every-trial-hangs",
        ),
        # The first trial to complete shows fits take 4 s: the refit needs more time than is
        # left, so the search stops then and cancels the other one. (Trial 1 is not stopped for
        # time before it: until a trial completed, it may be the only chance.)
        pytest.param(
            by_number({0: Script(scores=[0.5, 0.5, 0.5], seconds=5.0)}, lambda job: good(job, 6.0)),
            False,
            15.0,
            {1},
            set(),
            id="slow-best-trial-moves-the-deadline",
        ),
    ],
)
def test_time_budget_stops_at_the_search_deadline(
    script: Callable[[TrialJob], Script],
    deterministic: bool,
    stop_at: float,
    timed_out: set[int],
    stopped: set[int],
) -> None:
    study = memory_study()
    run = search(study, script, slots=2, time_budget=20.0, deterministic=deterministic)

    assert run.result is not None
    assert run.result.stopped_by is StopReason.TIME_BUDGET
    assert stop_at <= run.clock.now <= stop_at + POLL_SECONDS
    assert all(at < stop_at for at, _ in run.executor.submitted)  # no trial asked after it
    assert set(run.executor.cancelled) == timed_out
    assert all(stop_at <= at <= stop_at + POLL_SECONDS for at in run.executor.cancelled.values())
    assert not run.executor.running
    assert run.numbers(OptunaState.RUNNING) == set()
    for number in timed_out:
        frozen = run.frozen(number)
        assert frozen.state == OptunaState.FAIL
        assert frozen.user_attrs["interrupted"] is True
    records = {record.number: record for record in records_of(study)}
    timed = {n for n, r in records.items() if r.failure and r.failure.kind is FailureKind.TIMED_OUT}
    assert timed == timed_out | stopped
    for number in stopped:  # stopped before the deadline: it could not end in time
        failure = records[number].failure
        assert failure is not None
        assert "would not end before the search's deadline" in failure.message
    # A trial cut short keeps what it was running: its model and parameters.
    jobs = {job.number: job for _, job in run.executor.submitted}
    for number in timed_out:
        assert records[number].params == dict(jobs[number].params)
        assert records[number].model == jobs[number].model
    # Cut short by the run, not by their configuration: not counted, not failures.
    assert trial_counts(study).failed == 0
    assert run.result.failures == []
    assert run.result.progress.failed == 0
    assert run.result.progress.complete == len(run.numbers(OptunaState.COMPLETE))
    # Every trial that ended before the deadline is recorded as it ended.
    ended = run.numbers(OptunaState.COMPLETE) | run.numbers(OptunaState.PRUNED)
    assert ended | stopped == set(run.executor.finished)
    assert run.numbers(OptunaState.FAIL) == timed_out | stopped


# -- pruning -------------------------------------------------------------------------------------

BAD = Script(scores=[0.1, 0.1, 0.1])


@pytest.mark.parametrize(
    ("pruner", "bad", "pruned"),
    [
        pytest.param("median", {6}, {6}, id="median-prunes-a-bad-trial"),
        pytest.param("median", {5, 7}, {5, 7}, id="median-prunes-two"),
        pytest.param("median", {2}, set(), id="median-waits-for-5-complete-trials"),
        pytest.param("none", {6}, set(), id="no-pruner"),
    ],
)
def test_pruning_stops_bad_trials_after_a_report(
    pruner: str, bad: set[int], pruned: set[int]
) -> None:
    study = memory_study(pruner=pruner)
    steady = lambda job: Script(scores=[0.8, 0.8, 0.8])  # noqa: E731
    # As with real workers, trials send no reports when nothing prunes.
    reports = pruner != "none"
    run = search(study, by_number(dict.fromkeys(bad, BAD), steady), n_trials=8, report=reports)

    assert run.numbers(OptunaState.PRUNED) == pruned
    assert run.numbers(OptunaState.COMPLETE) == set(range(8)) - pruned
    records = {record.number: record for record in records_of(study)}
    for number in pruned:
        # Judged after the second fold (the first is warm-up), then stopped.
        assert [(step, prune) for n, step, prune in run.executor.decisions if n == number] == [
            (0, False),
            (1, True),
        ]
        assert records[number].state is TrialState.PRUNED
        assert records[number].folds_done == 2
        assert run.frozen(number).intermediate_values == {0: 0.1, 1: 0.1}
    assert bool(run.executor.decisions) == reports
    for number in set(range(8)) - pruned:
        # Folds that sent no report (the last one, or all): the engine records their running
        # means itself.
        assert set(run.frozen(number).intermediate_values) == {0, 1, 2}
        assert records[number].folds_done == CV
    assert run.result is not None
    progress = run.result.progress
    assert (progress.finished, progress.complete, progress.pruned, progress.failed) == (
        8,
        8 - len(pruned),
        len(pruned),
        0,
    )
    assert trial_counts(study).pruned == len(pruned)
    assert sum(1 for record in run.trials if record.state is TrialState.PRUNED) == len(pruned)


# -- a trial that would overrun the deadline ----------------------------------------------------

SLOW = Script(scores=[0.9, 0.9, 0.9], seconds=20.0)


@pytest.mark.parametrize("pruner", ["median", "none"])
def test_a_trial_that_cannot_end_before_the_deadline_is_stopped_after_a_fold(pruner: str) -> None:
    study = memory_study(pruner=pruner)
    # Trial 0 takes 3 s; trial 1's folds take 20 s each: after its first fold (at 23 s) the
    # other two would end at 63 s, or 43 s at twice the pace: past the search deadline (40 s
    # less the refit reserve).
    run = search(study, by_number({1: SLOW}), time_budget=40.0)

    assert (1, 0, True) in run.executor.decisions
    records = {record.number: record for record in records_of(study)}
    slow = records[1]
    # Recorded like a trial cut at the deadline: not a verdict on its configuration, not
    # counted, run again by a resume.
    assert slow.state is TrialState.FAILED
    assert slow.failure is not None
    assert slow.failure.kind is FailureKind.TIMED_OUT
    assert slow.error == (
        "stopped after 1 of 3 folds: the rest would not end before the search's deadline, "
        "even twice as fast"
    )
    assert run.frozen(1).state == OptunaState.FAIL
    assert run.frozen(1).user_attrs["interrupted"] is True
    assert trial_counts(study).failed == 0
    assert run.result is not None
    assert run.result.failures == []
    # Its slot went to the next trial at once, which completed.
    submitted = {job.number: at for at, job in run.executor.submitted}
    assert submitted[2] == pytest.approx(23.0)
    assert records[2].state is TrialState.COMPLETE


def test_a_trial_that_can_end_at_twice_its_pace_goes_on() -> None:
    # Folds of 10 s: after the first (13 s) the rest would end at 33 s at this pace, 23 s at
    # twice it: before the deadline (30 s less the refit reserve), so the trial goes on; after
    # the second (23 s) the last fold would end at 28 s even at twice the pace: stopped.
    study = memory_study()
    run = search(study, by_number({1: dataclasses.replace(SLOW, seconds=10.0)}), time_budget=30.0)

    assert [(step, prune) for n, step, prune in run.executor.decisions if n == 1] == [
        (0, False),
        (1, True),
    ]
    (slow,) = [record for record in records_of(study) if record.number == 1]
    assert slow.error is not None
    assert slow.error.startswith("stopped after 2 of 3 folds")


@pytest.mark.parametrize("limited", [True, False])
def test_a_trial_that_keeps_to_its_time_limit_is_not_stopped_for_time(limited: bool) -> None:
    # Trial 1's first fold takes 20 s (a library's import, say): at that pace the other two
    # would miss the deadline even at twice the pace. A trial whose model keeps to its time
    # limit (the time to the search's deadline when it started) shares what is left of it
    # between its last two folds: it goes on, and completes.
    study = memory_study()
    slow = Script(scores=[0.9, 0.9, 0.9], seconds=[20.0, 4.5, 4.5], limited=limited)
    run = search(study, by_number({1: slow}), time_budget=40.0)

    submitted = {job.number: (at, job) for at, job in run.executor.submitted}
    at, job = submitted[1]
    assert job.time_limit is not None
    assert at + job.time_limit == pytest.approx(40.0 - _reserve(0.8))  # the search's deadline
    (record,) = [record for record in records_of(study) if record.number == 1]
    decisions = [prune for n, _, prune in run.executor.decisions if n == 1]
    if limited:
        assert decisions == [False, False]
        assert record.state is TrialState.COMPLETE
    else:
        assert decisions == [True]
        assert record.error is not None
        assert record.error.startswith("stopped after 1 of 3 folds")


def test_trials_get_the_time_to_the_search_deadline_as_their_limit() -> None:
    run = search(memory_study(), good, time_budget=40.0)
    at, first = run.executor.submitted[0]
    assert (at, first.time_limit) == (0.0, pytest.approx(40.0 - _reserve(None)))
    limits = [job.time_limit for _, job in run.executor.submitted]
    assert all(limit is not None and limit >= 0 for limit in limits)
    # Deterministic searches and trial budgets give none: results must not depend on speed.
    fixed = search(memory_study(), good, time_budget=40.0, deterministic=True)
    assert {job.time_limit for _, job in fixed.executor.submitted} == {None}
    counted = search(memory_study(), good, n_trials=3)
    assert {job.time_limit for _, job in counted.executor.submitted} == {None}


def test_no_trial_is_stopped_for_time_before_one_completed() -> None:
    study = memory_study()
    run = search(study, by_number({0: SLOW}), time_budget=30.0)

    assert all(not prune for _, _, prune in run.executor.decisions)
    (record,) = records_of(study)
    assert record.failure is not None
    assert record.failure.kind is FailureKind.TIMED_OUT  # cut at the deadline, as before


def test_a_trial_budget_alone_never_stops_a_slow_trial() -> None:
    study = memory_study(pruner="none")
    run = search(study, by_number({1: SLOW}), n_trials=3)

    assert all(not prune for _, _, prune in run.executor.decisions)
    assert run.numbers(OptunaState.COMPLETE) == {0, 1, 2}


def test_can_finish_allows_twice_the_pace_of_the_folds_run() -> None:
    clock = FakeClock(10.0)
    budget = Budget(time_budget=20.0, cv=CV, clock=clock, started=0.0)
    deadline = budget.search_deadline(None)
    assert deadline is not None
    left = deadline - 10.0
    assert budget.can_finish(left, 2, None) is True  # 2 folds at twice the pace: just in time
    assert budget.can_finish(left * 1.01, 2, None) is False
    assert budget.can_finish(1000.0, 0, None) is True  # every fold done
    assert Budget(n_trials=5, clock=clock).can_finish(1000.0, 1000, None) is True


def test_time_for_keeps_the_packaging_seconds() -> None:
    clock = FakeClock(10.0)
    budget = Budget(time_budget=20.0, clock=clock, started=0.0)
    room = 10.0 - PACKAGE_SECONDS
    assert budget.time_for(room) is True
    assert budget.time_for(room + 0.01) is False
    clock.advance(20.0)  # past the deadline: nothing fits, not even nothing
    assert budget.time_for(0.0) is False
    assert Budget(n_trials=5, clock=clock).time_for(1e9) is True  # no time budget


def test_the_reserve_plans_the_likely_members_refits_on_the_lanes() -> None:
    """The best trial of each model, best first: the first ``finals`` are refitted ``lanes`` at
    a time, longest first, at 1.5 times their estimate (fold fit x cv/(cv-1))."""
    finals = LikelyFinals(maximize=False, limit=4)
    for model, value, fit in [
        ("mlp", 3.4, 40.0),  # pol at 300 s: a slow, far better network...
        ("extra_trees", 4.8, 7.0),  # ...and faster partners
        ("lightgbm", 4.9, 2.0),
        ("random_forest", 5.2, 13.0),
        ("svm", 6.0, 30.0),  # the fifth model: beyond the limit
        ("lightgbm", 5.0, 99.0),  # not its model's best: ignored
        ("ridge", None, 0.1),  # not complete: ignored
        (None, 1.0, 0.1),
    ]:
        finals.observe(model, value, fit)
    assert finals.fits() == (40.0, 7.0, 2.0, 13.0)
    budget = Budget(time_budget=300, cv=3, finals=4, lanes=2, clock=FakeClock(), started=0.0)
    # Lanes: the network alone (60 s) against the three others (19.5 + 10.5 + 3 = 33 s).
    assert budget.reserve(finals.fits()) == pytest.approx(PACKAGE_SECONDS + 1.5 * 60.0)
    # A cheap best trial with costly partners keeps time for them.
    cheap = (0.1, 8.0, 8.0, 8.0)
    assert budget.reserve(cheap) == pytest.approx(PACKAGE_SECONDS + 1.5 * 24.0)
    single = Budget(time_budget=300, cv=3, clock=FakeClock(), started=0.0)
    assert single.reserve(cheap[:1]) == pytest.approx(PACKAGE_SECONDS + 1.5 * 0.15)
    assert dataclasses.replace(finals, limit=1).fits() == (40.0,)
    # Once the run knows the ensemble's members, they are the plan, whatever their models.
    known = dataclasses.replace(finals, members=(2.0, 30.0))
    assert known.fits() == (2.0, 30.0)
    assert budget.reserve(known.fits()) == pytest.approx(PACKAGE_SECONDS + 1.5 * 45.0)


def test_a_search_keeps_the_time_its_finals_need() -> None:
    """The finals the runner passes size the search's reserve: members whose refits need more
    than the whole budget leave no time to start a trial; planned per model, trials run."""
    slow = LikelyFinals(maximize=True, members=(100.0,))
    run = search(memory_study(), good, time_budget=100, finals=slow)
    assert run.executor.submitted == []
    assert search(memory_study(), good, time_budget=100).executor.submitted


# -- a dead worker is retried once ---------------------------------------------------------------


def dying(deaths: int, first: int = 1) -> Callable[[TrialJob], Script]:
    """Trial ``first``'s configuration kills its worker on its first ``deaths`` attempts."""
    attempts: dict[tuple[Any, ...], int] = {}

    def script(job: TrialJob) -> Script:
        key = params_key(job)
        if job.number == first:
            attempts[key] = 0
        if key in attempts and attempts[key] < deaths:
            attempts[key] += 1
            return Script(scores=[0.7], ending=Ending.DIED, message="exit code -9")
        return good(job)

    return script


@pytest.mark.parametrize("slots", [1, 2], ids=["one-slot", "two-slots"])
@pytest.mark.parametrize(
    ("deaths", "complete", "failed"),
    [
        pytest.param(1, 4, 0, id="retry-completes"),
        pytest.param(2, 3, 1, id="retry-dies-too"),
    ],
)
def test_a_dead_worker_is_retried_once(slots: int, deaths: int, complete: int, failed: int) -> None:
    study = memory_study()
    run = search(study, dying(deaths), slots=slots, n_trials=4)

    died = run.frozen(1)
    assert died.state == OptunaState.FAIL
    assert died.user_attrs["retried"] is True
    retries = [t for t in study.get_trials(deepcopy=False) if t.user_attrs.get("retry_of") == 1]
    assert len(retries) == 1
    retry = retries[0]
    assert retry.params == died.params
    assert retry.number > died.number
    records = {record.number: record for record in records_of(study)}
    assert records[1].failure is not None
    assert records[1].failure.kind is FailureKind.WORKER_DIED
    assert records[retry.number].retry_of == 1
    if deaths == 1:
        assert retry.state == OptunaState.COMPLETE
    else:
        # A second death says the configuration kills workers: it fails for good.
        assert retry.state == OptunaState.FAIL
        assert "retried" not in retry.user_attrs
        assert records[retry.number].failure.kind is FailureKind.WORKER_DIED  # type: ignore[union-attr]
        assert not any(t.user_attrs.get("retry_of") == retry.number for t in study.trials)
    # The retry counts toward the budget, the death does not.
    assert len(study.trials) == 4 + 1
    counts = trial_counts(study)
    assert (counts.finished, counts.complete, counts.failed) == (4, complete, failed)
    assert run.result is not None
    assert run.result.stopped_by is StopReason.N_TRIALS
    assert (run.result.progress.finished, run.result.progress.failed) == (4, failed)
    # The result lists counted failures only: a death that ran again is not one.
    assert [f.kind for f in run.result.failures] == [FailureKind.WORKER_DIED] * failed
    assert len(run.executor.submitted) == 5


# -- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("models", "script", "failing", "message", "traceback"),
    [
        pytest.param(
            (COIN,),
            by_number({1: Script(scores=[0.6], ending=Ending.ERROR, message="bad fit")}),
            {1},
            "ValueError: bad fit",
            True,
            id="model-raises",
        ),
        pytest.param(
            (COIN,),
            by_number(
                {
                    0: Script(scores=[], ending=Ending.ERROR),
                    2: Script(scores=[0.5, 0.5], ending=Ending.ERROR),
                }
            ),
            {0, 2},
            "ValueError: boom",
            True,
            id="raises-in-the-first-and-the-last-fold",
        ),
        pytest.param(
            (BROKEN,),
            good,
            {0, 1, 2},
            "sampling: ValueError: no space",
            False,
            id="search-space-raises",
        ),
    ],
)
def test_a_failing_trial_keeps_its_error(
    models: Sequence[ModelSpec],
    script: Callable[[TrialJob], Script],
    failing: set[int],
    message: str,
    traceback: bool,
) -> None:
    study = memory_study()
    run = search(study, script, slots=2, n_trials=3, models=models)

    assert run.numbers(OptunaState.FAIL) == failing
    records = {record.number: record for record in records_of(study)}
    for number in failing:
        failure = records[number].failure
        assert failure is not None
        assert failure.kind is FailureKind.ERROR
        assert failure.message == message
        if traceback:
            assert failure.traceback is not None
            assert failure.traceback.startswith("Traceback")
            assert failure.traceback.rstrip().endswith(message)
        else:
            assert failure.traceback is None
        assert "retried" not in run.frozen(number).user_attrs
    # A configuration's error is not retried, and it counts toward the budget.
    assert len(study.trials) == 3
    assert not any("retry_of" in t.user_attrs for t in study.trials)
    assert trial_counts(study).failed == len(failing)
    assert run.result is not None
    assert run.result.progress.failed == len(failing)
    assert [f.message for f in run.result.failures] == [message] * len(failing)
    assert {record.number for record in run.trials if record.state is TrialState.FAILED} == failing


def test_sampling_errors_end_at_the_time_budget() -> None:
    """A search space that always raises fails every trial until the deadline, then stops."""
    clock = FakeClock()

    def slow_broken(sampler: Any, task: Task) -> None:
        clock.advance(0.5)  # sampling takes time, like everything else
        if clock.now > 100:
            pytest.fail("the engine kept asking past the deadline")  # not caught as an Exception
        raise ValueError("no space")

    broken = dataclasses.replace(BROKEN, search_space=slow_broken)
    study = memory_study()
    run = search(study, good, slots=2, time_budget=10.0, models=[broken], clock=clock)

    assert run.result is not None
    assert run.result.stopped_by is StopReason.TIME_BUDGET
    assert run.executor.submitted == []
    assert clock.now <= 10.0
    assert 0 < trial_counts(study).failed == len(study.trials) <= 20


# -- deterministic mode --------------------------------------------------------------------------


def jittered(timing: int) -> Callable[[TrialJob], Script]:
    """Trials (bad ones when ``flip`` > 0.7) whose fold durations depend on ``timing``: they
    end in a shuffled order."""

    def script(job: TrialJob) -> Script:
        rng = random.Random(timing * 1000 + job.number)
        seconds = [rng.uniform(0.3, 3.0) for _ in range(CV)]
        return BAD if quality(job) < 0.3 else good(job, seconds)

    return script


def sequence(study: optuna.Study) -> list[tuple[int, str, dict[str, Any], float | None, str]]:
    return [(r.number, r.model, dict(r.params), r.value, r.state.value) for r in records_of(study)]


@pytest.mark.parametrize(
    ("sampler", "pruner"),
    [
        pytest.param("tpe", "median", id="tpe-median"),
        pytest.param("tpe", "none", id="tpe-no-pruner"),
        pytest.param("random", "median", id="random-median"),
    ],
)
def test_deterministic_mode_repeats_a_search_exactly(sampler: str, pruner: str) -> None:
    runs = [
        search(
            memory_study(sampler, pruner, seed=7),
            jittered(timing),
            slots=2,
            n_trials=14,  # past TPE's 10 random start-up trials
            models=(COIN, PLAIN),
            deterministic=True,
        )
        for timing in (1, 2)
    ]

    first, second = (sequence(run.study) for run in runs)
    assert len(first) == 14
    assert first == second
    for run in runs:
        assert run.executor.finished != sorted(run.executor.finished)  # out of order
        assert [record.number for record in run.trials] == list(range(14))  # told in order
    # The two timings really differ, so equal sequences are not a coincidence of timing.
    assert runs[0].executor.finished != runs[1].executor.finished


# -- resume after an interruption ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("slots", "deterministic", "after", "complete", "interrupted"),
    [
        pytest.param(1, False, 2, 2, 1, id="one-slot"),
        pytest.param(2, False, 2, 2, 2, id="two-slots"),
        pytest.param(2, True, 2, 2, 2, id="two-slots-deterministic"),
        # Trial 2 ended but waits for trial 3 (told in order): it is recorded, 3 is cut.
        pytest.param(2, True, 3, 3, 1, id="deterministic-with-a-held-result"),
    ],
)
def test_resume_after_an_interruption(
    tmp_path: Path, slots: int, deterministic: bool, after: int, complete: int, interrupted: int
) -> None:
    journal = tmp_path / "study.journal"
    script = lambda job: good(job, seconds=1.0 + (job.number % 2) * 0.5)  # noqa: E731
    with pytest.raises(KeyboardInterrupt):
        search(
            journal_study(journal),
            script,
            slots=slots,
            n_trials=6,
            deterministic=deterministic,
            interrupt=lambda executor: len(executor.finished) >= after,
        )

    study = journal_study(journal)  # a new driver reads the journal
    cut = {t.number for t in study.trials if t.user_attrs.get("interrupted")}
    assert len(cut) == interrupted
    records = {record.number: record for record in records_of(study)}
    for number in cut:
        assert records[number].state is TrialState.FAILED
        assert records[number].failure.kind is FailureKind.INTERRUPTED  # type: ignore[union-attr]
    done = {t.number: t.params for t in study.trials if t.state == OptunaState.COMPLETE}
    assert len(done) == complete
    assert trial_counts(study).finished == complete

    assert recover_unfinished(study) == interrupted
    run = search(study, script, slots=slots, n_trials=6, deterministic=deterministic)

    assert run.result is not None
    assert run.result.stopped_by is StopReason.N_TRIALS
    assert trial_counts(study).finished == 6
    assert trial_counts(study).complete == 6
    # The finished trials stay as they were and are not run again; the cut ones are.
    assert len(run.executor.submitted) == 6 - complete
    assert min(job.number for _, job in run.executor.submitted) > max(set(done) | cut)
    assert {t.number: t.params for t in study.trials if t.number in done} == done
    again = {t.user_attrs["retry_of"]: t for t in study.trials if "retry_of" in t.user_attrs}
    assert set(again) == cut
    for number, trial in again.items():
        assert trial.state == OptunaState.COMPLETE
        assert trial.params == study.trials[number].params
    assert run.result.progress.finished == 6
    assert run.result.progress.failed == 0


@pytest.mark.parametrize("where", ["store_record", "record_from_outcome"])
def test_an_interrupt_while_a_result_is_recorded_leaves_no_trial_running(
    monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """Ctrl-C (or SIGTERM) may land while a finished trial is being recorded, before it is
    told: it is then recorded as interrupted, never left RUNNING in the study."""
    from automl.search import engine

    original = getattr(engine, where)
    calls = {"n": 0}

    def interrupted_on_the_third(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(engine, where, interrupted_on_the_third)
    study = memory_study()
    with pytest.raises(KeyboardInterrupt):
        search(study, good, n_trials=6)
    assert {t.state for t in study.trials} <= {OptunaState.COMPLETE, OptunaState.FAIL}
    cut = [t for t in study.trials if t.state == OptunaState.FAIL]
    assert [t.number for t in cut] == [2]
    assert cut[0].user_attrs["interrupted"] is True


# -- callbacks -----------------------------------------------------------------------------------


def mixed(job: TrialJob) -> Script:
    """Complete, pruned, failing and dying trials."""
    scripts = {
        2: Script(scores=[0.7], ending=Ending.ERROR),
        3: Script(scores=[], ending=Ending.DIED),
        7: BAD,
        9: BAD,
    }
    return scripts.get(job.number) or good(job, seconds=1.0 + (job.number % 3) * 0.4)


@pytest.mark.parametrize("deterministic", [False, True], ids=["async", "deterministic"])
def test_callbacks_see_every_trial(deterministic: bool) -> None:
    study = memory_study(pruner="median")
    run = search(study, mixed, slots=2, n_trials=10, deterministic=deterministic)

    # on_trial: every finished trial, as the study keeps it (the death included).
    stored = records_of(study)
    assert sorted(run.trials, key=lambda record: record.number) == stored
    assert len(stored) == 11
    states = [record.state for record in stored]
    assert states.count(TrialState.FAILED) == 2
    assert states.count(TrialState.PRUNED) >= 1

    # on_predictions: each complete trial's record and its out-of-fold predictions.
    complete = [record for record in stored if record.state is TrialState.COMPLETE]
    assert sorted(record.number for record, _ in run.predictions) == [r.number for r in complete]
    for record, oof in run.predictions:
        assert record.state is TrialState.COMPLETE
        assert record.value is not None
        assert oof.shape == (ROWS,)
        np.testing.assert_array_equal(oof, oof_of(record.number))

    # on_progress: consistent snapshots, ending with the study's counts.
    assert len(run.progress) > len(stored)
    for before, after in zip(run.progress, run.progress[1:], strict=False):
        assert before.finished <= after.finished
        assert before.elapsed <= after.elapsed
    for progress in run.progress:
        assert progress.finished == progress.complete + progress.pruned + progress.failed
        assert 0 <= progress.running <= progress.workers == 2
        assert progress.n_trials == 10
        assert progress.time_left is None
    last = run.progress[-1]
    assert last.counts == trial_counts(study)
    assert (last.finished, last.running, last.elapsed) == (10, 0, run.clock.now)
    assert last.best_value == pytest.approx(study.best_value)
    assert last.best_number == study.best_trial.number
    assert last.best_model == "coin"
    assert run.result is not None
    assert run.result.progress == last


def test_a_pruned_trial_has_the_same_record_in_the_hook_and_the_study() -> None:
    study = memory_study(pruner="median")
    run = search(study, by_number({6: BAD}, lambda job: Script(scores=[0.8] * CV)), n_trials=7)

    pruned = [record for record in run.trials if record.state is TrialState.PRUNED]
    assert [record.number for record in pruned] == [6]
    assert pruned[0].failure is not None
    assert pruned[0].failure.kind is FailureKind.PRUNED
    assert pruned == [r for r in records_of(study) if r.state is TrialState.PRUNED]


def test_a_resume_with_another_signature_is_refused_and_says_what_changed(tmp_path: Path) -> None:
    from automl import RecipeError

    def reopen(signature: dict[str, Any], kept: tuple[str, ...] = ()) -> None:
        open_study(
            storage=make_storage(tmp_path / "study.journal", None),
            direction="maximize",
            sampler=make_sampler("random", 0),
            pruner=make_pruner("none", CV),
            signature=signature,
            run_dir=tmp_path,
            kept=kept,
        )

    reopen({"cv": 5, "seed": 0})
    reopen({"cv": 5, "seed": 0, "grouped_folds": False})  # a missing flag reads as false
    reopen({"cv": 3, "seed": 0}, kept=("cv",))  # cv: auto keeps the study's folds
    with pytest.raises(RecipeError) as caught:
        reopen({"cv": 3, "seed": 0, "grouped_folds": True})
    problems = [f"{issue.path}: {issue.message}" for issue in caught.value.issues]
    assert problems == [
        f"cv: was 5 when the run in {tmp_path} started, now 3; resuming would mix incomparable "
        "trials: use a new --run-dir, or restore the recipe and data",
        f"grouped_folds: is True now, and the study of the run in {tmp_path} does not record it "
        "(an earlier version of automl started that run); resuming would mix incomparable "
        "trials: use a new --run-dir, or restore the recipe and data",
    ]
