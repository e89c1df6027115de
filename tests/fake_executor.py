"""A deterministic, in-process executor on a fake clock, for testing the search engine.

Every submitted job follows a :class:`Script` (chosen per job by a function the test passes):
its primary metric per fold, each fold's duration on the fake clock, and how it ends (complete,
an error, a dead worker, or a hang that lasts until the engine cancels it). Like the real
executors, it sends a :class:`ReportEvent` after every fold but the last and waits for the
engine's verdict; a pruned trial ends PRUNED. ``poll(timeout)`` moves the clock to the next
event due (never further than ``timeout``) and returns the events due then.

It also checks the protocol: a submit beyond the free slots, a poll while a report is
unanswered, or a decision nobody asked for fail the test.
"""

from __future__ import annotations

import enum
import math
import statistics
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from automl.records import FailureKind, TrialFailure, TrialState
from automl.search.executor import Event, Executor, ReportEvent, ResultEvent
from automl.search.trial import TrialJob, TrialOutcome
from automl.search.workers import WorkerSetup

ROWS = 12
"""Training rows: the length of a complete trial's out-of-fold predictions."""
FIT_SHARE = 0.8
"""The share of a fold's duration spent fitting (the rest predicts)."""


class FakeClock:
    """A clock that moves only when told (a :class:`~automl.search.Budget` reads it)."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        self.now += seconds


class Ending(enum.Enum):
    """How a scripted trial ends after its scored folds."""

    COMPLETE = "complete"
    ERROR = "error"
    """The model raises in the next fold (a FAILED outcome with a traceback)."""
    DIED = "died"
    """The worker dies in the next fold."""
    HANG = "hang"
    """The trial never ends (until cancelled)."""


@dataclass(frozen=True)
class Script:
    """What one trial does.

    Attributes:
        scores: The primary metric of each fold that runs to the end (all ``cv`` folds for a
            complete trial; the folds before the failure or the hang otherwise).
        seconds: Each fold's duration on the fake clock (one value for every fold, or one per
            fold, the failing fold included).
        ending: How the trial ends.
        message: The error or the death's message.
        limited: Whether its reports say that it keeps to its job's time limit (a model with
            a ``max_time`` parameter); the script's durations are what it does.
    """

    scores: Sequence[float]
    seconds: float | Sequence[float] = 1.0
    ending: Ending = Ending.COMPLETE
    message: str = "boom"
    limited: bool = False

    def duration(self, fold: int) -> float:
        """The duration of fold ``fold`` (0-based)."""
        if isinstance(self.seconds, int | float):
            return float(self.seconds)
        return float(self.seconds[fold])


ScriptFor = Callable[[TrialJob], Script]


@dataclass
class _Run:
    job: TrialJob
    script: Script
    due: float
    folds: int = 0
    waiting: bool = False
    pruned: bool = False


@dataclass
class FakeExecutor(Executor):
    """Runs scripted trials on a fake clock; records what the engine asked of it.

    Args:
        script: Decides each submitted job's script.
        clock: The fake clock (the same one the run's budget reads).
        cv: Folds per trial.
        workers: Slots (trials at once).
        metric: The primary metric's name.
        secondary: Secondary metrics' names (each scores ``1 - primary`` per fold).
        report: Whether trials report after each fold (the real ones do unless the pruner is
            ``none``).
        interrupt: Checked at every poll; when it returns True, the poll raises
            ``KeyboardInterrupt`` (once), as Ctrl-C would.
        limit: Fake seconds after which a poll fails the test (an engine that never stops).
    """

    script: ScriptFor = field(repr=False)
    clock: FakeClock = field(repr=False)
    cv: int = 3
    workers: int = 1
    metric: str = "score"
    secondary: Sequence[str] = ("loss",)
    report: bool = True
    interrupt: Callable[[FakeExecutor], bool] | None = field(default=None, repr=False)
    limit: float = 3600.0
    submitted: list[tuple[float, TrialJob]] = field(default_factory=list)
    finished: list[int] = field(default_factory=list)
    decisions: list[tuple[int, int, bool]] = field(default_factory=list)
    cancelled: dict[int, float] = field(default_factory=dict)
    busiest: int = 0
    setup: WorkerSetup | None = None
    closed: bool = False
    runs: dict[int, _Run] = field(default_factory=dict, repr=False)

    @property
    def slots(self) -> int:
        return self.workers

    @property
    def running(self) -> set[int]:
        return set(self.runs)

    def start(self, setup: WorkerSetup) -> None:
        self.setup = setup

    def submit(self, job: TrialJob) -> None:
        assert len(self.runs) < self.workers, f"trial {job.number} submitted with no free slot"
        assert job.number not in self.runs, f"trial {job.number} submitted twice"
        script = self.script(job)
        if script.ending is Ending.COMPLETE:
            assert len(script.scores) == self.cv, f"a complete trial scores {self.cv} folds"
        else:
            assert len(script.scores) < self.cv, "a trial that fails scores fewer than cv folds"
        run = _Run(job=job, script=script, due=math.inf)
        run.due = self._next_due(run)
        self.runs[job.number] = run
        self.submitted.append((self.clock.now, job))
        self.busiest = max(self.busiest, len(self.runs))

    def _next_due(self, run: _Run) -> float:
        """When the trial's next event comes, from now (a hang after its folds: never)."""
        if run.folds < len(run.script.scores) or run.script.ending in (Ending.ERROR, Ending.DIED):
            return self.clock.now + run.script.duration(run.folds)
        return math.inf

    def poll(self, timeout: float) -> list[Event]:
        if self.interrupt is not None and self.interrupt(self):
            self.interrupt = None
            raise KeyboardInterrupt
        assert self.clock.now <= self.limit, "the engine did not stop (fake clock past its limit)"
        unanswered = [number for number, run in self.runs.items() if run.waiting]
        assert not unanswered, f"polled before deciding on the reports of trials {unanswered}"
        due = min((run.due for run in self.runs.values()), default=math.inf)
        until = self.clock.now + max(0.0, timeout)
        if due > until:
            self.clock.now = until
            return []
        self.clock.now = max(self.clock.now, due)
        events: list[Event] = []
        while ready := sorted(
            (run for run in self.runs.values() if run.due <= self.clock.now),
            key=lambda run: (run.due, run.job.number),
        ):
            events += [event for run in ready if (event := self._step(run)) is not None]
        return events

    def _step(self, run: _Run) -> Event | None:
        """The trial's next event, due now (``None`` when a fold ends without a report)."""
        script, number = run.script, run.job.number
        if run.pruned:
            return self._end(run, TrialState.PRUNED)
        if run.folds < len(script.scores):
            run.folds += 1
            if script.ending is Ending.COMPLETE and run.folds == self.cv:
                return self._end(run, TrialState.COMPLETE)
            if self.report:
                run.waiting, run.due = True, math.inf
                value = statistics.fmean(script.scores[: run.folds])
                took = sum(script.duration(fold) for fold in range(run.folds))
                step, limited = run.folds - 1, script.limited
                return ReportEvent(number, step, value, seconds=took, limited=limited)
            run.due = self._next_due(run)
            return None
        if script.ending is Ending.DIED:
            outcome = TrialOutcome.failed(
                number, FailureKind.WORKER_DIED, f"worker died: {script.message}"
            )
            return self._finish(run, outcome)
        return self._end(run, TrialState.FAILED)

    def _end(self, run: _Run, state: TrialState) -> ResultEvent:
        script, folds = run.script, run.folds
        scores = list(script.scores[:folds])
        outcome = TrialOutcome(
            number=run.job.number,
            state=state,
            scores={
                self.metric: scores,
                **{name: [1.0 - value for value in scores] for name in self.secondary},
            },
            fit_times=[FIT_SHARE * script.duration(fold) for fold in range(folds)],
            predict_times=[(1 - FIT_SHARE) * script.duration(fold) for fold in range(folds)],
            predicted_rows=folds * ROWS // self.cv,
        )
        if state is TrialState.COMPLETE:
            outcome.oof = oof_of(run.job.number)
        elif state is TrialState.FAILED:
            outcome.failure = _error(script.message)
        return self._finish(run, outcome)

    def _finish(self, run: _Run, outcome: TrialOutcome) -> ResultEvent:
        del self.runs[run.job.number]
        self.finished.append(run.job.number)
        return ResultEvent(outcome)

    def decide(self, number: int, prune: bool) -> None:
        run = self.runs.get(number)
        if run is None:
            return  # the trial ended or was cancelled meanwhile, as with a real worker
        assert run.waiting, f"a decision on trial {number}, which sent no report"
        self.decisions.append((number, run.folds - 1, prune))
        run.waiting = False
        if prune:
            run.pruned, run.due = True, self.clock.now
        else:
            run.due = self._next_due(run)

    def cancel(self, numbers: set[int]) -> None:
        for number in sorted(numbers):
            if self.runs.pop(number, None) is not None:
                self.cancelled[number] = self.clock.now

    def close(self) -> None:
        self.closed = True


def oof_of(number: int) -> np.ndarray:
    """The out-of-fold predictions the fake gives complete trial ``number``."""
    return np.full(ROWS, float(number))


def _error(message: str) -> TrialFailure:
    """A failure as a model that raises produces it, with a real traceback."""
    try:
        raise ValueError(message)
    except ValueError as exc:
        text = "".join(traceback.format_exception(exc))
        return TrialFailure(FailureKind.ERROR, f"ValueError: {message}", traceback=text)
