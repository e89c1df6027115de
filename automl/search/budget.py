"""The run's budget: one owner of the clock for the search, the finish phases and the display.

A :class:`Budget` is built once per run from the recipe and the command-line overrides. The
search engine stops asking for trials when the time left is what the refit and packaging need
(:meth:`Budget.search_deadline`); the refit, packaging and deployers run under the same clock
and record the time they used (:meth:`Budget.phase`); ``run.json`` holds the result
(:meth:`Budget.record`). Tests pass a fake ``clock``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from automl.records import BudgetRecord

__all__ = [
    "EXIT_SECONDS",
    "FINISH_SAFETY",
    "PACKAGE_SECONDS",
    "PACKAGE_SECONDS_PER_MB",
    "TIME_STOP_SLACK",
    "Budget",
    "LikelyFinals",
    "process_started",
]

PACKAGE_SECONDS = 2.0
"""Seconds kept before the deadline for timing the model's predictions and writing the package
and the leaderboard (an ensemble of three forests took 1.4 to 1.7 s to package on phoneme)."""
PACKAGE_SECONDS_PER_MB = 0.015
"""Seconds to package a megabyte of pickled pipeline (pickle, checksum, write, load back and
check): 9.2 s for a 683 MB ensemble holding 300 extra trees on house_16H's 12,800 rows."""
FINISH_SAFETY = 1.5
"""The refits the search leaves time for are planned at this many times their estimate (a busy
machine; a refit on every row can be slower than its folds suggest)."""
EXIT_SECONDS = 1.5
"""Seconds a budget that covers its whole process (the command line's) keeps for the process's
end after the run (at most a tenth of the budget): on a 2-core machine the interpreter's
teardown after a 60 s run took 0.7 to 1.7 s, and 1.7 to 2.6 s with PyTorch loaded."""
TIME_STOP_SLACK = 2.0
"""A trial is stopped for time only if it would miss the search's deadline even this many times
faster than its folds ran so far."""


def process_started() -> float:
    """The :func:`time.monotonic` value at which this process started.

    A command's time budget covers its whole process, interpreter start-up and imports
    included; on Linux the process's age comes from ``/proc/self/stat``. Elsewhere (or if that
    cannot be read) it is now.
    """
    import os

    now = time.monotonic()
    try:
        with open("/proc/self/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        ticks = int(fields[19])  # starttime: clock ticks after boot (field 22 of stat)
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError, AttributeError):
        return now
    return now - age if 0.0 <= age < 3600.0 else now


@dataclass
class Budget:
    """The time and trial budget of one run.

    Attributes:
        time_budget: Seconds of wall clock for the whole run (refit and packaging included).
        n_trials: Trials to count (complete, pruned, failed), counting a resumed study's.
        cv: Cross-validation folds (the refit on all training rows costs about
            ``cv / (cv - 1)`` of a fold's fit).
        requested: The budget as the recipe file states it (before overrides).
        finals: Configurations refitted after the search whose time it leaves, until an
            ensemble's members are known (:attr:`LikelyFinals.members`): 1 (the best trial), or
            the best trial of as many models.
        lanes: Refits that run at once.
        extra: Further seconds the search leaves for what follows it (the ensemble selection).
        members: Further seconds left once a trial has completed (an ensemble's members slower
            than the best trial); none before, when there is nothing to ensemble yet.
        clock: A monotonic clock in seconds.
        started: The clock's value when the run started.
        exit: Seconds kept after the run for its process to end (:data:`EXIT_SECONDS` when the
            budget covers the process), so that the process ends within the time budget.
    """

    time_budget: float | None = None
    n_trials: int | None = None
    cv: int = 5
    requested: Mapping[str, Any] = field(default_factory=dict)
    finals: int = 1
    lanes: int = 1
    extra: float = 0.0
    members: float = 0.0
    clock: Callable[[], float] = time.monotonic
    started: float = field(default=-1.0)
    exit: float = 0.0
    used: dict[str, float] = field(default_factory=dict)
    finished: float | None = None

    def __post_init__(self) -> None:
        if self.started < 0:
            self.started = self.clock()

    @property
    def deadline(self) -> float | None:
        """The clock value by which the run must end, if it has a time budget (its process's
        end kept after it)."""
        if self.time_budget is None:
            return None
        return self.started + self.time_budget - min(self.exit, 0.1 * self.time_budget)

    def elapsed(self) -> float:
        """Seconds since the run started."""
        return self.clock() - self.started

    def remaining(self) -> float | None:
        """Seconds left of the time budget (never negative), or ``None`` without one."""
        deadline = self.deadline
        return None if deadline is None else max(0.0, deadline - self.clock())

    def expired(self) -> bool:
        """Whether the time budget is spent."""
        remaining = self.remaining()
        return remaining is not None and remaining <= 0.0

    def reserve(self, fits: Sequence[float]) -> float:
        """Seconds to keep for the refits and packaging, given the mean fold fit times of the
        configurations likely refitted after the search (:meth:`LikelyFinals.fits`; none before
        a trial completed): refitted :attr:`lanes` at a time, longest first, at
        :data:`FINISH_SAFETY` times their estimate; plus :attr:`extra` and :attr:`members`.
        """
        if not fits:
            return PACKAGE_SECONDS + 1.0 + self.extra
        ends = [0.0] * max(1, self.lanes)
        for seconds in sorted(map(self.refit_seconds, fits), reverse=True):
            ends[ends.index(min(ends))] += seconds
        return PACKAGE_SECONDS + self.extra + self.members + FINISH_SAFETY * max(ends)

    def refit_seconds(self, fold_fit_time: float | None) -> float:
        """About how long a refit on every training row takes, given a trial's mean fold fit
        time: ``cv / (cv - 1)`` of it (a fold fits on that share of the rows)."""
        return (fold_fit_time or 0.0) * self.cv / max(1, self.cv - 1)

    def time_for(self, seconds: float) -> bool:
        """Whether ``seconds`` of work started now should end in the time left with
        :data:`PACKAGE_SECONDS` kept for packaging (always, without a time budget)."""
        left = self.remaining()
        return left is None or seconds <= left - PACKAGE_SECONDS

    def search_deadline(self, fits: Sequence[float]) -> float | None:
        """The clock value at which the search stops asking for trials (``fits`` as for
        :meth:`reserve`)."""
        deadline = self.deadline
        return None if deadline is None else deadline - self.reserve(fits)

    def search_left(self, fits: Sequence[float]) -> float | None:
        """Seconds to the search's deadline (never negative), or ``None`` without a time
        budget (``fits`` as for :meth:`reserve`)."""
        deadline = self.search_deadline(fits)
        return None if deadline is None else max(0.0, deadline - self.clock())

    def can_finish(self, fold_seconds: float, folds_left: int, fits: Sequence[float]) -> bool:
        """Whether a trial whose folds took ``fold_seconds`` each so far, with ``folds_left`` to
        go, can end before the search's deadline even at :data:`TIME_STOP_SLACK` times its pace
        (a first fold also pays one-time costs: a library's import, a worker's warm-up).

        Always true without a time budget: a trial budget alone never stops a trial for time,
        so such searches repeat exactly.
        """
        deadline = self.search_deadline(fits)
        if deadline is None or folds_left <= 0:
            return True
        return self.clock() + fold_seconds * folds_left / TIME_STOP_SLACK <= deadline

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time a phase of the run (its seconds land in :attr:`used`)."""
        started = self.clock()
        try:
            yield
        finally:
            key = str(name)
            self.used[key] = round(self.used.get(key, 0.0) + self.clock() - started, 3)

    def account_startup(self) -> None:
        """Record the seconds since the start not spent in a phase yet as ``startup``
        (interpreter start-up and imports, when the clock started with the process)."""
        self.used["startup"] = round(max(0.0, self.elapsed() - sum(self.used.values())), 3)

    def finish(self) -> float:
        """Mark the end of the run; returns the seconds it took."""
        self.finished = self.clock()
        return round(self.finished - self.started, 3)

    def record(self) -> BudgetRecord:
        """The budget as ``run.json`` keeps it."""
        total = None if self.finished is None else round(self.finished - self.started, 3)
        return BudgetRecord(
            requested=dict(self.requested),
            time_budget=self.time_budget,
            n_trials=self.n_trials,
            used=dict(self.used),
            total=total,
        )


@dataclass
class LikelyFinals:
    """The configurations likely refitted after the search, for :meth:`Budget.reserve`.

    Once a run knows the ensemble its kept predictions select (:attr:`members`, set as trials
    complete), those members. Before that, the best complete trial of each model so far, the
    best ``limit`` of them: an ensemble's members are mostly the best trials of several models,
    so their fold fit times estimate the refits better than the best trial's alone.
    """

    maximize: bool
    limit: int | None = None
    best: dict[str, tuple[float, float]] = field(default_factory=dict)
    members: tuple[float, ...] | None = None
    """The mean fold fit seconds of the selected ensemble's members, the heaviest weight
    first, or ``None`` while no ensemble is known."""

    def observe(self, model: object, value: float | None, fit_time: object) -> None:
        """Note a complete trial's model, score and mean fold fit seconds."""
        if not isinstance(model, str) or value is None:
            return
        seconds = float(fit_time) if isinstance(fit_time, int | float) else 0.0
        known = self.best.get(model)
        if known is None or (value > known[0] if self.maximize else value < known[0]):
            self.best[model] = (value, seconds)

    def fits(self) -> tuple[float, ...]:
        """The known members' fold fit seconds, else the models' best trials', best first."""
        if self.members:
            return self.members
        ranked = sorted(self.best.values(), key=lambda pair: pair[0], reverse=self.maximize)
        return tuple(seconds for _, seconds in ranked)[: self.limit]
