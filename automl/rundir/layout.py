"""The run directory's layout: the one place that knows its file names.

::

    <run_dir>/
      recipe.yaml        the recipe as written (``${VAR}`` references, not their values)
      run.json           the run summary (:class:`automl.records.RunSummary`)
      run.log            the log of the run, tracebacks of failed trials included
      study.journal      the Optuna study (resumable)
      trials.json        every finished trial's record (scores, timings, failure and traceback)
      leaderboard.csv    one row per completed trial, ranked; also leaderboard.json
      profile.json       the data profile
      predictions/       out-of-fold predictions of the best trials, holdout predictions
      model/             the packaged best model
      .automl.lock       locked while a run writes here (a second run into it is refused)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["RunLayout"]


@dataclass(frozen=True)
class RunLayout:
    """The paths of one run directory."""

    root: Path

    @property
    def recipe(self) -> Path:
        return self.root / "recipe.yaml"

    @property
    def summary(self) -> Path:
        return self.root / "run.json"

    @property
    def log(self) -> Path:
        return self.root / "run.log"

    @property
    def lock(self) -> Path:
        return self.root / ".automl.lock"

    @property
    def journal(self) -> Path:
        return self.root / "study.journal"

    @property
    def trials(self) -> Path:
        return self.root / "trials.json"

    @property
    def leaderboard_json(self) -> Path:
        return self.root / "leaderboard.json"

    @property
    def leaderboard_csv(self) -> Path:
        return self.root / "leaderboard.csv"

    @property
    def profile(self) -> Path:
        return self.root / "profile.json"

    @property
    def model(self) -> Path:
        return self.root / "model"

    @property
    def predictions(self) -> Path:
        return self.root / "predictions"

    @property
    def predictions_meta(self) -> Path:
        return self.predictions / "meta.json"

    def oof(self, trial: int) -> Path:
        """The out-of-fold predictions of ``trial``."""
        return self.predictions / "oof" / f"trial-{trial:06d}.npy"

    def array(self, name: str) -> Path:
        """A named array of the predictions folder (``target``, ``holdout``...)."""
        return self.predictions / f"{name}.npy"
