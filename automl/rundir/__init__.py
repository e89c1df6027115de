"""The run directory: its layout (the only code that knows its file names), the predictions it
keeps, and the typed reader :func:`open_run`."""

from automl.rundir.layout import RunLayout
from automl.rundir.listing import find_runs, is_resumable, latest_resumable
from automl.rundir.predictions import PER_MODEL, PredictionStore, RunPredictions
from automl.rundir.reader import Run, open_run, read_leaderboard

__all__ = [
    "PER_MODEL",
    "PredictionStore",
    "Run",
    "RunLayout",
    "RunPredictions",
    "find_runs",
    "is_resumable",
    "latest_resumable",
    "open_run",
    "read_leaderboard",
]
