"""The driver loop: ask Optuna for trials, hand them to an executor, tell the results.

The driver is the only writer of the study. It asks as soon as a slot frees (asynchronous), or,
in deterministic mode, in fixed batches told in trial-number order, which reproduces a search
exactly for a trial-count budget. It answers each fold's report with the pruner's verdict, stops
at the trial budget or before the deadline (keeping time for the refit), cancels what still runs
then, and records every trial's scores, timings and failure reason as trial attributes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from automl.records import FailureKind, StopReason, TrialRecord, TrialState
from automl.search.budget import Budget, LikelyFinals
from automl.search.executor import Executor, ReportEvent, ResultEvent
from automl.search.progress import SearchProgress, SearchResult
from automl.search.schedule import ModelScheduler, observe, observe_study, schedule_next
from automl.search.space import MODEL_PARAM, SearchModel, sample_params
from automl.search.study import DRIVER, driver_id
from automl.search.trial import TrialJob, TrialOutcome
from automl.search.trials import (
    RETRIED,
    ROWS_FRACTION,
    failures,
    log_trial,
    record_from_outcome,
    report_remaining,
    stopped_for_time,
    store_record,
    tell_failed,
    tell_unfinished,
    trial_counts,
)
from automl.specs import Task

if TYPE_CHECKING:
    import numpy as np
    import optuna

__all__ = ["POLL_SECONDS", "Search"]

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.2


@dataclass
class _Running:
    trial: optuna.Trial
    model: str
    params: dict[str, Any]
    reported: set[int] = field(default_factory=set)
    out_of_time: bool = False  # stopped because its remaining folds would miss the deadline
    rows_fraction: float | None = None  # a first, cheap trial's share of each fold's rows
    time_limit: float | None = None  # the seconds its job may take (TrialJob.time_limit)


class Search:
    """One search over a study with an executor.

    Args:
        study: The Optuna study (this object is its only writer).
        executor: Runs the trials; already started.
        models: The models to choose from, by name.
        task: The task.
        metric: The primary metric's name.
        metrics: The secondary metrics' names.
        budget: The run's budget: its trial count (counting the trials already in a resumed
            study), its deadline, the time to keep for the refit, and the clock.
        deterministic: Ask in batches of the executor's slots and tell in trial order; no
            trial gets a time limit (its result must not depend on the machine's speed).
        on_progress: Called after every change with a :class:`SearchProgress`.
        on_trial: Called with each finished trial's record (for lifecycle hooks).
        on_predictions: Called with each complete trial's record and out-of-fold predictions.
        scheduler, folds: Chooses each trial's model (a time budget alone); folds per trial.
        finals: The likely refits after the search, which size its reserve (default: per model).
    """

    def __init__(
        self,
        *,
        study: optuna.Study,
        executor: Executor,
        models: Mapping[str, SearchModel],
        task: Task,
        metric: str,
        metrics: Sequence[str],
        budget: Budget,
        deterministic: bool = False,
        on_progress: Callable[[SearchProgress], None] | None = None,
        on_trial: Callable[[TrialRecord], None] | None = None,
        on_predictions: Callable[[TrialRecord, np.ndarray], None] | None = None,
        scheduler: ModelScheduler | None = None,
        folds: int = 5,
        finals: LikelyFinals | None = None,
    ) -> None:
        self.study = study
        self.executor = executor
        self.models = dict(models)
        self.names = list(models)
        self.task = task
        self.metric = metric
        self.metrics = list(metrics)
        self.budget = budget
        self.n_trials = budget.n_trials
        self.deterministic = deterministic
        self.on_progress = on_progress
        self.on_trial = on_trial
        self.on_predictions = on_predictions
        self.scheduler, self.folds = scheduler, folds
        self.pending: dict[int, _Running] = {}
        self.buffered: dict[int, TrialOutcome] = {}
        self.counted = trial_counts(study).finished
        self.driver = driver_id()
        self._finals = finals or LikelyFinals(study.direction.name == "MAXIMIZE", budget.finals)
        self.progress = SearchProgress.of(trial_counts(study))
        self._resume_progress()
        if scheduler is not None:  # what a resumed study measured before
            observe_study(scheduler, study, folds)

    def _resume_progress(self) -> None:
        from optuna.trial import TrialState as OptunaState

        self.progress.workers, self.progress.n_trials = self.executor.slots, self.n_trials
        for trial in self.study.get_trials(deepcopy=False, states=(OptunaState.COMPLETE,)):
            attrs = trial.user_attrs
            self._update_best(trial.value, attrs.get("model"), trial.number, attrs.get("fit_time"))

    def _update_best(
        self, value: float | None, model: str | None, number: int, fit_time: Any
    ) -> None:
        self._finals.observe(model, value, fit_time)
        if value is not None:
            self.progress.improve(value, model, number, maximize=self._finals.maximize)

    def _emit(self) -> None:
        self.progress.running = len(self.pending)
        self.progress.elapsed = self.budget.elapsed()
        self.progress.time_left = self.budget.remaining()
        if self.on_progress is not None:
            self.on_progress(self.progress)

    def run(self) -> SearchResult:
        """Search until a budget is spent; running trials are cancelled at the deadline.

        Raises:
            KeyboardInterrupt: after cancelling and recording the running trials.
        """
        try:
            stopped_by = self._loop()
        except BaseException:
            self._abandon(FailureKind.INTERRUPTED, "interrupted: the run was stopped while it ran")
            raise
        if stopped_by is StopReason.TIME_BUDGET:
            self._abandon(FailureKind.TIMED_OUT, "interrupted: stopped at the time budget")
        self._emit()
        return SearchResult(
            stopped_by=stopped_by, progress=self.progress, failures=failures(self.study)
        )

    def _time_is_up(self) -> bool:
        left = self.budget.search_left(self._finals.fits())
        return left is not None and left <= 0.0

    def _budget_allows_more(self) -> bool:
        return self.n_trials is None or self.counted + len(self.pending) < self.n_trials

    def _loop(self) -> StopReason:
        self._emit()
        while True:
            if self._time_is_up():
                return StopReason.TIME_BUDGET
            if not self.pending and not self._budget_allows_more():
                return StopReason.N_TRIALS
            if not self.deterministic or not self.pending:
                self._fill_slots()
            if not self.pending:
                return StopReason.TIME_BUDGET if self._time_is_up() else StopReason.N_TRIALS
            timeout = POLL_SECONDS
            remaining = self.budget.remaining()
            if remaining is not None:
                timeout = min(timeout, remaining)
            for event in self.executor.poll(timeout):
                if isinstance(event, ReportEvent):
                    self._on_report(event)
                else:
                    self._on_result(event)
            if self.deterministic and self.pending and set(self.buffered) == set(self.pending):
                for number in sorted(self.buffered):
                    self._finish(self.buffered.pop(number))

    def _fill_slots(self) -> None:
        # Checking the time here ends a search whose every sampling fails at once: with a time
        # budget alone, nothing else would stop it asking.
        while (
            len(self.pending) < self.executor.slots
            and self._budget_allows_more()
            and not self._time_is_up()
        ):
            if self.scheduler is not None:
                schedule_next(self.study, self.scheduler, self.budget, self._finals.fits())
            trial = self.study.ask()
            try:
                model = trial.suggest_categorical(MODEL_PARAM, self.names)
                params = sample_params(trial, self.models[model], self.task)
            except Exception as exc:
                logger.warning("Trial %d: choosing its parameters failed: %s", trial.number, exc)
                chosen = str(trial.params.get(MODEL_PARAM))
                self.pending[trial.number] = _Running(trial=trial, model=chosen, params={})
                why = f"sampling: {type(exc).__name__}: {exc}"
                self._finish(TrialOutcome.failed(trial.number, FailureKind.ERROR, why))
                continue
            trial.set_user_attr(DRIVER, self.driver)
            share = trial.user_attrs.get(ROWS_FRACTION)
            limit = None if self.deterministic else self.budget.search_left(self._finals.fits())
            running = _Running(trial, model, params, rows_fraction=share, time_limit=limit)
            self.pending[trial.number] = running
            self.executor.submit(TrialJob(trial.number, model, params, share, limit))
        self._emit()

    def _on_report(self, event: ReportEvent) -> None:
        running = self.pending.get(event.number)
        if running is None:
            self.executor.decide(event.number, prune=True)
            return
        running.trial.report(event.value, step=event.step)
        running.reported.add(event.step)
        prune = running.trial.should_prune()
        # A trial that cannot end before the deadline would be cut there: stop it now and free
        # its slot, once a trial completed (until then it may be the only chance). The folds
        # left of a trial that keeps to its time limit share what is left of that, if any.
        done, pace, limit = event.step + 1, event.seconds / (event.step + 1), running.time_limit
        if event.limited and limit is not None and event.seconds < limit:
            pace = (limit - event.seconds) / max(1, self.folds - done)
        late = not self.budget.can_finish(pace, self.folds - done, self._finals.fits())
        if not (prune or self.deterministic) and self.progress.complete and late:
            running.out_of_time = prune = True
        self.executor.decide(event.number, prune=prune)

    def _on_result(self, event: ResultEvent) -> None:
        outcome = event.outcome
        if outcome.number not in self.pending:
            return
        if self.deterministic:
            self.buffered[outcome.number] = outcome
        else:
            self._finish(outcome)

    def _finish(self, outcome: TrialOutcome) -> None:
        from optuna.trial import TrialState as OptunaState

        # Pending until told: an interrupt before that leaves it to _abandon, never RUNNING.
        running = self.pending[outcome.number]
        trial = running.trial
        if running.out_of_time and outcome.state is TrialState.PRUNED:
            # Stopped for time, like a trial cut at the deadline: not counted, run on resume.
            how = stopped_for_time(len(outcome.fit_times), self.folds)
            tell_unfinished(self.study, trial, running.model, running.params, *how, logger)
            observe(self.scheduler, running.model, outcome, self.folds, None, running.rows_fraction)
            self.pending.pop(outcome.number)
            self._emit()
            return
        report_remaining(running.trial, running.reported, outcome.scores.get(self.metric, []))
        retry_of = trial.user_attrs.get("retry_of")
        record = record_from_outcome(
            outcome, running.model, running.params, self.metric, retry_of, running.rows_fraction
        )
        store_record(trial, record)
        log_trial(record, self.metric, logger)  # the command line shows this logger's lines
        observe(self.scheduler, running.model, outcome, self.folds, record, running.rows_fraction)
        if record.state is TrialState.COMPLETE:
            self.study.tell(trial, record.value)
            self.progress.complete += 1
            self._update_best(record.value, running.model, trial.number, record.fit_time)
            if self.on_predictions is not None and outcome.oof is not None:
                self.on_predictions(record, outcome.oof)
        elif record.state is TrialState.PRUNED:
            self.study.tell(trial, state=OptunaState.PRUNED)
            self.progress.pruned += 1
        elif tell_failed(self.study, trial, record, logger):  # False: it runs once more
            self.progress.failed += 1
        self.pending.pop(outcome.number)
        if not (record.state is TrialState.FAILED and trial.user_attrs.get(RETRIED)):
            self.counted += 1
        self.progress.finished = self.counted
        if self.on_trial is not None:
            self.on_trial(record)
        self._emit()

    def _abandon(self, kind: FailureKind, reason: str) -> None:
        """Cancel running trials and record them as unfinished (a resume runs them again)."""
        # Outcomes that deterministic mode held back are finished trials: record them first.
        for number in sorted(self.buffered):
            if number in self.pending:
                self._finish(self.buffered[number])
        self.buffered.clear()
        if not self.pending:
            return
        self.executor.cancel(set(self.pending))
        told = {t.number for t in self.study.get_trials(deepcopy=False) if t.state.is_finished()}
        for number, running in sorted(self.pending.items()):
            if number not in told:  # else interrupted right after its tell: already recorded
                tell_unfinished(
                    self.study, running.trial, running.model, running.params, kind, reason, logger
                )
        self.pending.clear()
