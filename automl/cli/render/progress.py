"""The progress of ``automl run``: phase, trials, best score and model, time left.

On a terminal it is a live bar; anywhere else (a CI log, ``nohup``, a file) it is a plain line
every few seconds and at each phase, with no colour codes. Either way, the last line says how the
run ended.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.progress import BarColumn, Progress, ProgressColumn, SpinnerColumn, Task, TextColumn
from rich.table import Column
from rich.text import Text

from automl.cli.render.cells import plural
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

WIDE = 120
"""Columns from which the live display has a bar."""
PLAIN_EVERY = 5.0
"""Seconds between two progress lines when the output is not a terminal."""


def progress_text(progress: SearchProgress, *, time_left: bool = True) -> str:
    """Trials done, pruned, failed and running, the time left and the best trial so far."""
    done = progress.finished
    trials = f"{done}/{progress.n_trials} trials" if progress.n_trials else plural(done, "trial")
    text = f"{trials} · {progress.pruned} pruned · {progress.failed} failed"
    if progress.running:
        text += f" · {progress.running}/{progress.workers} running"
    if time_left and progress.time_left is not None:
        text += f" · {progress.time_left:.0f} s left"
    if progress.best_value is not None:
        text += f" · best {progress.best_value:.4f} {progress.best_model} #{progress.best_number}"
    return text


class _RunClock(ProgressColumn):
    """Seconds since the run started (by the run's clock, which started with the process); blank
    once the run ended, since the last line then says how long it took."""

    def __init__(self, budget: Budget) -> None:
        super().__init__()
        self.budget = budget

    def render(self, task: Task) -> Text:
        if self.budget.finished is not None:
            return Text("")
        return Text(f"{self.budget.elapsed():.0f} s", style="progress.elapsed")


class RunDisplay:
    """The progress of ``automl run``: trials, best score and model, time left.

    Use it as a context manager around the run, and pass its methods as the run's callbacks
    (``on_progress=display.update``, ``on_phase=display.phase``, ``on_profile=display.profile``).

    Args:
        console: Where to draw; a live bar if it is a terminal, else plain lines.
        budget: The run's budget (its clock and limits).
        every: Seconds between two plain progress lines.
        clock: The clock for ``every`` (tests pass a fake one).
    """

    def __init__(
        self,
        console: Console,
        budget: Budget,
        *,
        every: float = PLAIN_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.console = console
        self.budget = budget
        self.live = console.is_terminal and not console.is_dumb_terminal
        self.every, self.clock = every, clock
        self.last_line: float | None = None
        self.last: SearchProgress | None = None
        self.label = "Starting"
        # A time budget fills the bar with elapsed seconds, a trial budget with finished trials.
        self.by_time = budget.time_budget is not None
        self.total = budget.time_budget if self.by_time else budget.n_trials
        # On a narrow terminal the bar goes, and the counts wrap rather than being cut short.
        bar = [BarColumn()] if console.width >= WIDE else []
        self.progress = Progress(
            SpinnerColumn(finished_text="✓"),
            TextColumn("{task.description}", table_column=Column(no_wrap=True)),
            *bar,
            TextColumn("{task.fields[info]}", table_column=Column(ratio=1, overflow="fold")),
            _RunClock(budget),
            console=console,
            transient=False,
            disable=not self.live,
        )
        self.task = self.progress.add_task(self.label, total=self.total, info="")

    def __enter__(self) -> RunDisplay:
        self.progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        seconds = (self.budget.finished or self.budget.clock()) - self.budget.started
        if kind is None:
            ending = f"Done in {seconds:.1f} s"
        elif issubclass(kind, KeyboardInterrupt):
            ending = f"Interrupted after {seconds:.1f} s"
        else:
            ending = f"Failed after {seconds:.1f} s"
        info = progress_text(self.last, time_left=False) if self.last is not None else ""
        if self.live:
            # The last line of the bar tells how the run ended, not the phase it was in.
            self.progress.update(
                self.task, description=ending, info=info, completed=self.total, refresh=True
            )
            self.progress.stop()
        else:
            self._line(ending + (f" · {info}" if info else ""))

    def _line(self, text: str) -> None:
        self.last_line = self.clock()
        self.console.print(Text(text), soft_wrap=True, markup=False, highlight=False)

    def profile(self, profile: DataProfile) -> None:
        """The data is prepared: show its profile above the progress bar."""
        render_profile(self.progress.console, profile)

    def phase(self, name: str) -> None:
        """A new phase of the run started (a :class:`automl.records.Phase` value)."""
        self.label = _PHASE_LABELS.get(name, name)
        if not self.live:
            left = self.budget.remaining()
            self._line(self.label + ("" if left is None else f" · {left:.0f} s left"))
            return
        # The bar follows the run's clock through the finish phases too (None: unchanged).
        completed = self.budget.elapsed() if self.by_time else None
        self.progress.update(self.task, description=self.label, completed=completed)

    def update(self, progress: SearchProgress) -> None:
        """The search changed."""
        self.last = progress
        info = progress_text(progress)
        if not self.live:
            if self.last_line is None or self.clock() - self.last_line >= self.every:
                self._line(f"{self.label} · {info}")
            return
        completed = progress.elapsed if self.by_time else progress.finished
        self.progress.update(self.task, completed=completed, info=info)
