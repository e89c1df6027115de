"""Every hook a plugin can implement.

Plugins implement hooks with :data:`automl.hookimpl` and are found through the entry-point group
``automl``. Hooks take keyword arguments only, and an implementation may accept any subset of a
hook's arguments, so hooks can gain arguments without breaking plugins.

automl calls each plugin's implementation on its own: if one raises, the error is reported
(naming the plugin, its distribution and version) and every other plugin's result is still used.

Registration hooks (called once per plugin manager, at discovery)
    :func:`automl_register_data_sources`, :func:`automl_register_models`,
    :func:`automl_register_metrics`, :func:`automl_register_deployers`.

Lifecycle observer hooks (called in the driver process during ``automl run``)
    :func:`automl_before_run`, :func:`automl_after_trial`, :func:`automl_after_run`.
    Their return values are ignored; an observer that raises is reported and the run goes on.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from automl.records import RunSummary, TrialRecord
    from automl.specs import DataSourceSpec, DeployerSpec, MetricSpec, ModelSpec

PROJECT_NAME = "automl"
"""The pluggy project name and the entry-point group plugins register under."""

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# -- registration ------------------------------------------------------------------------------


@hookspec
def automl_register_data_sources() -> Iterable[DataSourceSpec] | None:
    """Return the data sources this plugin provides.

    Called once per plugin when a plugin manager collects components (at start-up of every
    command that needs them). Return an iterable of :class:`automl.DataSourceSpec`; an empty
    iterable or ``None`` means none. Each record's name must be unique among data sources.
    """


@hookspec
def automl_register_models() -> Iterable[ModelSpec] | None:
    """Return the models this plugin provides.

    Called once per plugin when a plugin manager collects components. Return an iterable of
    :class:`automl.ModelSpec`; an empty iterable or ``None`` means none. Importing the model's
    library (torch, lightgbm, ...) belongs in the record's factory, not here.
    """


@hookspec
def automl_register_metrics() -> Iterable[MetricSpec] | None:
    """Return the metrics this plugin provides.

    Called once per plugin when a plugin manager collects components. Return an iterable of
    :class:`automl.MetricSpec`; an empty iterable or ``None`` means none.
    """


@hookspec
def automl_register_deployers() -> Iterable[DeployerSpec] | None:
    """Return the deployers this plugin provides.

    Called once per plugin when a plugin manager collects components. Return an iterable of
    :class:`automl.DeployerSpec`; an empty iterable or ``None`` means none.
    """


# -- lifecycle observers -----------------------------------------------------------------------


@hookspec
def automl_before_run(recipe: Any, run_dir: Path) -> None:
    """Observe the start of a run, after the recipe is validated and before data is loaded.

    Called once per run, in the driver process.

    Args:
        recipe: The validated recipe (:class:`automl.recipe.ResolvedRecipe`). Values that came
            from ``${ENV}`` interpolation are present; never log or send them.
        run_dir: The folder the run writes to.
    """


@hookspec
def automl_after_trial(recipe: Any, trial: TrialRecord) -> None:
    """Observe a finished trial (complete, pruned or failed).

    Called once per trial, in the driver process, after the trial is recorded in the study.

    Args:
        recipe: The validated recipe.
        trial: The trial's :class:`automl.TrialRecord`: ``number``, ``state``, ``model``,
            ``params``, ``value``, ``scores`` (per metric), ``fit_time``,
            ``predict_time_per_1000`` and, unless it completed, ``failure`` (kind, message,
            traceback). Since plugin API version 2 (a mapping before); ``trial.to_dict()``
            gives the JSON form.
    """


@hookspec
def automl_after_run(recipe: Any, run_dir: Path, summary: RunSummary) -> None:
    """Observe the end of a run, successful or not.

    Called once per run, in the driver process, after the run directory is complete.

    Args:
        recipe: The validated recipe.
        run_dir: The folder the run wrote to (read it with :func:`automl.open_run`).
        summary: The :class:`automl.RunSummary` that ``run.json`` holds (status, budget, stop
            reason, best trial, scores, timings). Since plugin API version 2 (a mapping
            before); ``summary.to_dict()`` gives the JSON form.
    """
