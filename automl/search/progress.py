"""What the search reports while it runs (:class:`SearchProgress`) and when it ends
(:class:`SearchResult`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from automl.records import StopReason, TrialCounts, TrialFailure

__all__ = ["SearchProgress", "SearchResult"]


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

    @classmethod
    def of(cls, counts: TrialCounts) -> SearchProgress:
        """Progress with a study's trial counts."""
        return cls(
            finished=counts.finished,
            complete=counts.complete,
            pruned=counts.pruned,
            failed=counts.failed,
        )

    @property
    def counts(self) -> TrialCounts:
        """The trial counts."""
        return TrialCounts(complete=self.complete, pruned=self.pruned, failed=self.failed)

    def improve(self, value: float, model: str | None, number: int, *, maximize: bool) -> bool:
        """Take a complete trial as the best one if its score beats the best so far.

        Returns:
            Whether the trial became the best one.
        """
        best = self.best_value
        if best is not None and not (value > best if maximize else value < best):
            return False
        self.best_value, self.best_model, self.best_number = value, model, number
        return True


@dataclass
class SearchResult:
    """How the search ended."""

    stopped_by: StopReason
    progress: SearchProgress
    failures: list[TrialFailure] = field(default_factory=list)
