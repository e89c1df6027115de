"""The live progress of ``automl run``: phase, trials, best score and model, time left."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from automl.cli.render.profile import render_profile

if TYPE_CHECKING:
    from rich.console import Console

    from automl.data import DataProfile
    from automl.search import Budget, SearchProgress

_PHASE_LABELS = {
    "load": "Loading data",
    "prepare": "Checking data",
    "search": "Searching",
    "refit": "Refitting the best model",
    "package": "Packaging",
    "deploy": "Deploying",
}


class RunDisplay:
    """The live progress of ``automl run``: trials, best score and model, time left.

    Use it as a context manager around the run, and pass its methods as the run's callbacks
    (``on_progress=display.update``, ``on_phase=display.phase``, ``on_profile=display.profile``).
    """

    def __init__(self, console: Console, budget: Budget) -> None:
        self.console = console
        self.budget = budget
        # A time budget fills the bar with elapsed seconds, a trial budget with finished trials.
        self.by_time = budget.time_budget is not None
        self.total = budget.time_budget if self.by_time else budget.n_trials
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.task = self.progress.add_task("Starting", total=self.total, info="")

    def __enter__(self) -> RunDisplay:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def profile(self, profile: DataProfile) -> None:
        """The data is prepared: show its profile above the progress bar."""
        render_profile(self.progress.console, profile)

    def phase(self, name: str) -> None:
        """A new phase of the run started (a :class:`automl.records.Phase` value)."""
        # The bar follows the run's clock through the finish phases too (None: unchanged).
        completed = self.budget.elapsed() if self.by_time else None
        self.progress.update(
            self.task, description=_PHASE_LABELS.get(name, name), completed=completed
        )

    def update(self, progress: SearchProgress) -> None:
        """The search changed."""
        budget = f"/{progress.n_trials}" if progress.n_trials else ""
        info = (
            f"{progress.finished}{budget} trials · {progress.pruned} pruned · "
            f"{progress.failed} failed · {progress.running}/{progress.workers} running"
        )
        if progress.time_left is not None:
            info += f" · {progress.time_left:.0f} s left"
        if progress.best_value is not None:
            info += (
                f" · best {progress.best_value:.4f} {progress.best_model} #{progress.best_number}"
            )
        completed = progress.elapsed if self.by_time else progress.finished
        self.progress.update(self.task, completed=completed, info=info)
