"""The driver loop: ask Optuna for trials, hand them to an executor, tell the results.

The driver is the only writer of the study. It asks as soon as a slot frees (asynchronous), or,
in deterministic mode, in fixed batches told in trial-number order, which reproduces a search
exactly for a trial-count budget. It answers each fold's report with the pruner's verdict, stops
at the trial budget or before the deadline (keeping time for the refit), cancels what still runs
then, and records every trial's scores, timings and failure reason as trial attributes.
"""

from __future__ import annotations

import logging
import math
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from automl.search.executor import Executor, ReportEvent, ResultEvent
from automl.search.space import MODEL_PARAM, sample_params
from automl.search.study import DRIVER, INTERRUPTED, driver_id
from automl.search.trial import TrialJob, TrialOutcome
from automl.specs import Task

if TYPE_CHECKING:
    import optuna

    from automl.recipe import ResolvedModel

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.2
RETRIED = "retried"
"""User attribute of a failed trial whose parameters were run again (its worker died)."""
WORKER_DIED = "worker died"
"""How the failure reason of a trial whose worker process (or Ray worker) died begins."""


@dataclass
class SearchProgress:
    """A snapshot of the search, for progress displays.

    Attributes:
        finished: Trials counted toward the budget (complete, pruned, failed).
        complete: Completed trials.
        pruned: Pruned trials.
        failed: Failed trials.
        running: Trials running now.
        workers: Trials that can run at once.
        n_trials: The trial budget, if any.
        elapsed: Seconds since the run started.
        time_left: Seconds left of the time budget, if any.
        best_value: The best cross-validated score so far.
        best_model: The model of the best trial.
        best_number: The number of the best trial.
    """

    finished: int = 0
    complete: int = 0
    pruned: int = 0
    failed: int = 0
    running: int = 0
    workers: int = 1
    n_trials: int | None = None
    elapsed: float = 0.0
    time_left: float | None = None
    best_value: float | None = None
    best_model: str | None = None
    best_number: int | None = None


@dataclass
class SearchResult:
    """How the search ended."""

    stopped_by: str
    progress: SearchProgress
    failures: list[str] = field(default_factory=list)


@dataclass
class _Running:
    trial: optuna.Trial
    model: str
    params: dict[str, Any]
    reported: set[int] = field(default_factory=set)


class Search:
    """One search over a study with an executor.

    Args:
        study: The Optuna study (this object is its only writer).
        executor: Runs the trials; already started.
        models: The models to choose from, by name.
        task: The task.
        metric: The primary metric's name.
        metrics: The secondary metrics' names.
        n_trials: Trial budget (counting the trials already in a resumed study).
        deadline: ``time.monotonic()`` value by which the search must stop, if any.
        reserve: Seconds to keep before the deadline for the refit and packaging; called with
            the best trial's mean fold fit time (``None`` before any trial completed).
        started: ``time.monotonic()`` value when the run started (for elapsed time).
        deterministic: Ask in batches of the executor's slots and tell in trial order.
        on_progress: Called after every change with a :class:`SearchProgress`.
        on_trial: Called with each finished trial's record (for lifecycle hooks).
    """

    def __init__(
        self,
        *,
        study: optuna.Study,
        executor: Executor,
        models: Mapping[str, ResolvedModel],
        task: Task,
        metric: str,
        metrics: Sequence[str],
        n_trials: int | None,
        deadline: float | None,
        reserve: Callable[[float | None], float],
        started: float,
        deterministic: bool = False,
        on_progress: Callable[[SearchProgress], None] | None = None,
        on_trial: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.study = study
        self.executor = executor
        self.models = dict(models)
        self.names = list(models)
        self.task = task
        self.metric = metric
        self.metrics = list(metrics)
        self.n_trials = n_trials
        self.deadline = deadline
        self.reserve = reserve
        self.started = started
        self.deterministic = deterministic
        self.on_progress = on_progress
        self.on_trial = on_trial
        self.pending: dict[int, _Running] = {}
        self.buffered: dict[int, TrialOutcome] = {}
        self.counted = trial_counts(study).finished
        self.driver = driver_id()
        self._best_fit_time: float | None = None
        self.progress = self._initial_progress()

    # -- progress ------------------------------------------------------------------------------

    def _initial_progress(self) -> SearchProgress:
        from optuna.trial import TrialState

        progress = trial_counts(self.study)
        progress.workers, progress.n_trials = self.executor.slots, self.n_trials
        for trial in self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
            attrs = trial.user_attrs
            self._update_best(
                progress, trial.value, attrs.get("model"), trial.number, attrs.get("fit_time")
            )
        return progress

    def _update_best(
        self,
        progress: SearchProgress,
        value: float | None,
        model: str | None,
        number: int,
        fit_time: Any,
    ) -> None:
        if value is None:
            return
        maximize = self.study.direction.name == "MAXIMIZE"
        best = progress.best_value
        if best is None or (value > best if maximize else value < best):
            progress.best_value, progress.best_model, progress.best_number = value, model, number
            self._best_fit_time = fit_time if isinstance(fit_time, int | float) else None

    def _emit(self) -> None:
        now = time.monotonic()
        self.progress.running = len(self.pending)
        self.progress.elapsed = now - self.started
        self.progress.time_left = None if self.deadline is None else max(0.0, self.deadline - now)
        if self.on_progress is not None:
            self.on_progress(self.progress)

    # -- the loop ------------------------------------------------------------------------------

    def run(self) -> SearchResult:
        """Search until a budget is spent; running trials are cancelled at the deadline.

        Raises:
            KeyboardInterrupt: after cancelling and recording the running trials.
        """
        try:
            stopped_by = self._loop()
        except BaseException:
            self._abandon("interrupted: the run was stopped while it ran")
            raise
        if stopped_by == "time_budget":
            self._abandon("interrupted: stopped at the time budget")
        self._emit()
        return SearchResult(
            stopped_by=stopped_by, progress=self.progress, failures=self._failures()
        )

    def _time_is_up(self) -> bool:
        if self.deadline is None:
            return False
        return time.monotonic() >= self.deadline - self.reserve(self._best_fit_time)

    def _budget_allows_more(self) -> bool:
        return self.n_trials is None or self.counted + len(self.pending) < self.n_trials

    def _loop(self) -> str:
        self._emit()
        while True:
            if self._time_is_up():
                return "time_budget"
            if not self.pending and not self._budget_allows_more():
                return "n_trials"
            if not self.deterministic or not self.pending:
                self._fill_slots()
            if not self.pending:
                return "n_trials"
            timeout = POLL_SECONDS
            if self.deadline is not None:
                timeout = min(timeout, max(0.0, self.deadline - time.monotonic()))
            for event in self.executor.poll(timeout):
                if isinstance(event, ReportEvent):
                    self._on_report(event)
                else:
                    self._on_result(event)
            if self.deterministic and self.pending and set(self.buffered) == set(self.pending):
                for number in sorted(self.buffered):
                    self._finish(self.buffered.pop(number))

    def _fill_slots(self) -> None:
        while len(self.pending) < self.executor.slots and self._budget_allows_more():
            trial = self.study.ask()
            try:
                model = trial.suggest_categorical(MODEL_PARAM, self.names)
                params = sample_params(trial, self.models[model], self.task)
            except Exception as exc:
                logger.warning("Trial %d: choosing its parameters failed: %s", trial.number, exc)
                self.pending[trial.number] = _Running(
                    trial=trial, model=str(trial.params.get(MODEL_PARAM)), params={}
                )
                self._finish(
                    TrialOutcome(
                        number=trial.number,
                        state="failed",
                        error=f"sampling: {type(exc).__name__}: {exc}",
                    )
                )
                continue
            trial.set_user_attr(DRIVER, self.driver)
            self.pending[trial.number] = _Running(trial=trial, model=model, params=params)
            self.executor.submit(TrialJob(number=trial.number, model=model, params=params))
        self._emit()

    def _on_report(self, event: ReportEvent) -> None:
        running = self.pending.get(event.number)
        if running is None:
            self.executor.decide(event.number, prune=True)
            return
        running.trial.report(event.value, step=event.step)
        running.reported.add(event.step)
        self.executor.decide(event.number, prune=running.trial.should_prune())

    def _on_result(self, event: ResultEvent) -> None:
        outcome = event.outcome
        if outcome.number not in self.pending:
            return
        if self.deterministic:
            self.buffered[outcome.number] = outcome
        else:
            self._finish(outcome)

    def _finish(self, outcome: TrialOutcome) -> None:
        from optuna.trial import TrialState

        running = self.pending.pop(outcome.number)
        trial = running.trial
        self._report_remaining(running, outcome)
        record = trial_record(outcome, running.model, running.params, self.metric)
        for key, value in record.items():
            if key not in ("number", "state"):
                trial.set_user_attr(key, value)
        if outcome.state == "complete":
            self.study.tell(trial, record["value"])
            self.progress.complete += 1
            self._update_best(
                self.progress, record["value"], running.model, trial.number, record["fit_time"]
            )
        elif outcome.state == "pruned":
            self.study.tell(trial, state=TrialState.PRUNED)
            self.progress.pruned += 1
        else:
            logger.info("Trial %d (%s) failed: %s", trial.number, running.model, outcome.error)
            # A dead worker says little about the configuration: run it once more. The retry,
            # not this attempt, counts toward the trial budget.
            retried = (outcome.error or "").startswith(
                WORKER_DIED
            ) and "retry_of" not in trial.user_attrs
            if retried:
                trial.set_user_attr(RETRIED, True)
            self.study.tell(trial, state=TrialState.FAIL)
            if retried:
                self.study.enqueue_trial(dict(trial.params), user_attrs={"retry_of": trial.number})
                logger.info("Trial %d will run once more (its worker died)", trial.number)
            else:
                self.progress.failed += 1
        if not (outcome.state == "failed" and trial.user_attrs.get(RETRIED)):
            self.counted += 1
        self.progress.finished = self.counted
        if self.on_trial is not None:
            self.on_trial(record)
        self._emit()

    def _report_remaining(self, running: _Running, outcome: TrialOutcome) -> None:
        """Record the running mean after every fold that was not reported during the trial."""
        folds = outcome.scores.get(self.metric, [])
        for step in range(len(folds)):
            if step not in running.reported:
                running.trial.report(statistics.fmean(folds[: step + 1]), step=step)

    def _abandon(self, reason: str) -> None:
        """Cancel running trials and record them as unfinished (a resume runs them again)."""
        from optuna.trial import TrialState

        # Outcomes that deterministic mode held back are finished trials: record them first.
        for number in sorted(self.buffered):
            if number in self.pending:
                self._finish(self.buffered[number])
        self.buffered.clear()
        if not self.pending:
            return
        self.executor.cancel(set(self.pending))
        for number, running in sorted(self.pending.items()):
            running.trial.set_user_attr("model", running.model)
            running.trial.set_user_attr(INTERRUPTED, True)
            running.trial.set_user_attr("error", reason)
            self.study.tell(running.trial, state=TrialState.FAIL)
            logger.info("Trial %d (%s): %s", number, running.model, reason)
        self.pending.clear()
        self.buffered.clear()

    def _failures(self) -> list[str]:
        from optuna.trial import TrialState

        return [
            str(trial.user_attrs.get("error", "unknown error"))
            for trial in self.study.get_trials(deepcopy=False)
            if trial.state == TrialState.FAIL and not trial.user_attrs.get(INTERRUPTED)
        ]


def trial_counts(study: optuna.Study) -> SearchProgress:
    """Complete, pruned and failed trials of a study (interrupted ones are not counted)."""
    from optuna.trial import TrialState

    progress = SearchProgress()
    for trial in study.get_trials(deepcopy=False):
        if trial.state == TrialState.COMPLETE:
            progress.complete += 1
        elif trial.state == TrialState.PRUNED:
            progress.pruned += 1
        elif trial.state == TrialState.FAIL and not (
            trial.user_attrs.get(INTERRUPTED) or trial.user_attrs.get(RETRIED)
        ):
            progress.failed += 1
    progress.finished = progress.complete + progress.pruned + progress.failed
    return progress


def trial_record(
    outcome: TrialOutcome, model: str, params: Mapping[str, Any], metric: str
) -> dict[str, Any]:
    """A finished trial as stored in the study's trial attributes (JSON-able)."""
    scores = {
        name: {
            "mean": _finite(statistics.fmean(values)) if values else None,
            "std": _finite(statistics.pstdev(values))
            if len(values) > 1
            else 0.0
            if values
            else None,
            "folds": [_finite(v) for v in values],
        }
        for name, values in outcome.scores.items()
    }
    fit = statistics.fmean(outcome.fit_times) if outcome.fit_times else None
    predict_per_1000 = (
        1000.0 * math.fsum(outcome.predict_times) / outcome.predicted_rows
        if outcome.predicted_rows
        else None
    )
    return {
        "number": outcome.number,
        "state": outcome.state,
        "model": model,
        "params": dict(params),
        "value": scores.get(metric, {}).get("mean"),
        "scores": scores,
        "folds_done": len(outcome.fit_times),
        "fit_time": fit,
        "predict_time_per_1000": predict_per_1000,
        "error": outcome.error,
    }


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def most_common_failure(failures: Sequence[str]) -> tuple[str, int]:
    """The most frequent failure reason and how often it occurred."""
    counts: dict[str, int] = {}
    for reason in failures:
        counts[reason] = counts.get(reason, 0) + 1
    reason = max(counts, key=lambda key: counts[key])
    return reason, counts[reason]
