"""One run as phases: directory and lock, overrides, prepare, search, finish (refit and
holdout), package, deploy. :func:`run` is what ``automl run`` calls."""

from automl.runner.directory import default_run_dir
from automl.runner.flow import PhaseCallback, RunResult, make_budget, run, versions
from automl.runner.overrides import with_overrides
from automl.runner.prepare import profile_data

__all__ = [
    "PhaseCallback",
    "RunResult",
    "default_run_dir",
    "make_budget",
    "profile_data",
    "run",
    "versions",
    "with_overrides",
]
