"""Reading a run directory back: :func:`open_run` returns a typed :class:`Run`.

Works for finished, failed and interrupted runs alike: what the run wrote before it stopped is
there; what it never wrote is ``None`` (or empty). Phase-2 commands (reports, monitoring,
retraining, benchmarks) read runs only through this module.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from automl.errors import UsageError
from automl.leaderboard import Leaderboard
from automl.records import RunStatus, RunSummary, TrialRecord, TrialState
from automl.rundir.layout import RunLayout
from automl.rundir.predictions import RunPredictions

if TYPE_CHECKING:
    from automl.package import ModelPackage

__all__ = ["Run", "open_run", "read_leaderboard"]


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path} is not a readable {what}: {exc}") from exc


def read_leaderboard(run_dir: str | os.PathLike[str]) -> Leaderboard:
    """The leaderboard a run wrote.

    Raises:
        UsageError: the folder holds no leaderboard, or an unreadable one.
    """
    layout = RunLayout(Path(run_dir))
    path = layout.leaderboard_json
    if not path.is_file():
        hint = ""
        if (layout.root / "MLmodel").is_file():
            hint = " (this is a model package; give the run directory above it)"
        elif not layout.root.exists():
            hint = " (the folder does not exist)"
        raise UsageError(
            f"{run_dir} holds no {path.name}{hint}: give the folder of a finished run "
            "(the run directory that `automl run` printed)"
        )
    try:
        return Leaderboard.from_dict(_read_json(path, "leaderboard"))
    except ValueError as exc:
        raise UsageError(f"{path} is not a leaderboard written by automl: {exc}") from exc


@dataclass(frozen=True)
class Run:
    """A run directory, read back. Parts are read when first used.

    Attributes:
        path: The run directory.
        layout: Its file paths.
    """

    path: Path
    layout: RunLayout

    @cached_property
    def summary(self) -> RunSummary:
        """``run.json``: status, budget, stop reason, best trial, holdout scores, timings."""
        document = _read_json(self.layout.summary, "run summary")
        if not isinstance(document, dict):
            raise UsageError(f"{self.layout.summary}: not a run summary written by automl")
        try:
            return RunSummary.from_dict(document)
        except ValueError as exc:
            raise UsageError(f"{self.layout.summary}: {exc}") from exc

    @property
    def status(self) -> RunStatus:
        """``running``, ``finished``, ``failed`` or ``interrupted``."""
        return self.summary.status

    @cached_property
    def recipe_text(self) -> str | None:
        """The recipe as run (``${VAR}`` references, not their values)."""
        path = self.layout.recipe
        return path.read_text(encoding="utf-8") if path.is_file() else None

    @cached_property
    def recipe(self) -> dict[str, Any] | None:
        """The recipe as run, parsed (a mapping of the YAML document)."""
        import yaml

        text = self.recipe_text
        if text is None:
            return None
        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise UsageError(f"{self.layout.recipe} is not readable YAML: {exc}") from exc
        return loaded if isinstance(loaded, dict) else None

    @cached_property
    def leaderboard(self) -> Leaderboard | None:
        """The ranked completed trials, or ``None`` if the run stopped before any was written."""
        if not self.layout.leaderboard_json.is_file():
            return None
        return read_leaderboard(self.path)

    @cached_property
    def trials(self) -> list[TrialRecord]:
        """Every finished trial's record (complete, pruned, failed) in trial order."""
        if not self.layout.trials.is_file():
            return []
        document = _read_json(self.layout.trials, "trial list")
        try:
            return [TrialRecord.from_dict(item) for item in document["trials"]]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise UsageError(
                f"{self.layout.trials} is not a trial list written by automl: {exc}"
            ) from exc

    @property
    def failed_trials(self) -> list[TrialRecord]:
        """The trials that failed, with their failure kind, message and traceback."""
        return [trial for trial in self.trials if trial.state is TrialState.FAILED]

    @cached_property
    def predictions(self) -> RunPredictions | None:
        """Kept out-of-fold and holdout predictions, aligned with the target."""
        return RunPredictions.read(self.layout)

    @cached_property
    def profile(self) -> dict[str, Any] | None:
        """The data profile (columns, kinds, cleaning steps)."""
        path = self.layout.profile
        return _read_json(path, "data profile") if path.is_file() else None

    @property
    def model_dir(self) -> Path | None:
        """The model package folder, if the run wrote one."""
        return self.layout.model if self.layout.model.is_dir() else None

    def load_model(self) -> ModelPackage:
        """The packaged best model, its checksums verified first.

        Raises:
            UsageError: the run wrote no model package.
            PackageError: the package is damaged or was changed.
        """
        from automl.package import load_model

        if self.model_dir is None:
            raise UsageError(
                f"{self.path} holds no model package (the run's status is {self.status.value})"
            )
        return load_model(self.model_dir, expected_digest=self.summary.model_sha256)


def open_run(path: str | os.PathLike[str]) -> Run:
    """Open a run directory written by ``automl run`` (finished, failed or interrupted).

    Raises:
        UsageError: ``path`` is not a run directory.
    """
    root = Path(path)
    layout = RunLayout(root)
    if not layout.summary.is_file():
        hint = ""
        if (root / "MLmodel").is_file() or root.name == "model":
            hint = " (this looks like a model package; give the run directory above it)"
        raise UsageError(
            f"{root} is not a run directory: it holds no {layout.summary.name}{hint}; give the "
            "folder that `automl run` printed"
        )
    run = Run(path=root, layout=layout)
    _ = run.summary  # fail now on a damaged run.json, not on first use
    return run
