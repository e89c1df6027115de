"""What :func:`automl.runner.run` returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from automl.leaderboard import Leaderboard
from automl.records import RunSummary, StopReason

__all__ = ["RunResult"]


@dataclass
class RunResult:
    """What a finished run produced.

    In Jupyter it shows as a table of the best trial and the leaderboard.
    """

    run_dir: Path
    summary: RunSummary
    leaderboard: Leaderboard
    resumed: bool = False
    stopped_by: StopReason | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def _repr_html_(self) -> str:
        """The best trial and the leaderboard as tables (IPython's rich display protocol)."""
        from automl.notebook import summary_html

        return summary_html(self.summary, self.leaderboard, str(self.run_dir))

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """The run directory and the leaderboard as text in IPython's terminal shell."""
        from automl.notebook import leaderboard_text

        if cycle:
            printer.text("RunResult(...)")
            return
        printer.text(f"RunResult: {self.run_dir} ({self.summary.status.value})\n")
        printer.text(leaderboard_text(self.leaderboard))
