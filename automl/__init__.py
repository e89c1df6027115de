"""automl: a plugin-based AutoML framework.

The public Python API. Plugin authors import everything they need from here::

    from automl import ModelSpec, Params, Task, hookimpl

Attributes other than the plugin-author basics load on first use, so ``import automl`` stays
cheap (no pandas, scikit-learn, torch or Ray).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from automl.errors import (
    AutomlError,
    DataError,
    ExecutorError,
    ExitCode,
    ModelError,
    PackageError,
    PluginError,
    RecipeError,
    RecipeIssue,
    RecipePluginError,
    UsageError,
)
from automl.hookspecs import hookimpl
from automl.lazy import lazy_attributes
from automl.version import __version__

if TYPE_CHECKING:
    from automl.api import run
    from automl.atomic import write_bytes_atomic, write_text_atomic
    from automl.boosting import (
        EarlyStoppingBoosterBase,
        EarlyStoppingClassifierMixin,
        EarlyStoppingRegressorMixin,
        class_sample_weight,
        rounds_on_every_row,
    )
    from automl.estimators import AutoMLClassifier, AutoMLRegressor
    from automl.naming import did_you_mean
    from automl.package import ModelPackage, load_model
    from automl.params import NoParams, Params, ParamSampler
    from automl.recipe import Recipe, ResolvedRecipe, load_recipe
    from automl.records import (
        FailureKind,
        LeaderboardRow,
        Phase,
        RunStatus,
        RunSummary,
        StopReason,
        TrialFailure,
        TrialRecord,
        TrialState,
    )
    from automl.registry import PluginRegistry
    from automl.rundir import Run, RunPredictions, open_run
    from automl.runner import RunResult, with_overrides
    from automl.secrets import SECRET_PLACEHOLDER, Scrubber
    from automl.specs import (
        API_VERSION,
        ComponentKind,
        DataSourceSpec,
        DeployerSpec,
        MetricSpec,
        ModelSpec,
        SourceContext,
    )
    from automl.tasks import ALL_TASKS, CLASSIFICATION_TASKS, Task
    from automl.validation import can_split_validation

_LAZY = {
    "API_VERSION": "automl.specs",
    "ComponentKind": "automl.specs",
    "DataSourceSpec": "automl.specs",
    "DeployerSpec": "automl.specs",
    "MetricSpec": "automl.specs",
    "ModelSpec": "automl.specs",
    "NoParams": "automl.params",
    "ParamSampler": "automl.params",
    "Params": "automl.params",
    "SourceContext": "automl.specs",
    "ALL_TASKS": "automl.tasks",
    "CLASSIFICATION_TASKS": "automl.tasks",
    "Task": "automl.tasks",
    "did_you_mean": "automl.naming",
    "can_split_validation": "automl.validation",
    "EarlyStoppingBoosterBase": "automl.boosting",
    "EarlyStoppingClassifierMixin": "automl.boosting",
    "EarlyStoppingRegressorMixin": "automl.boosting",
    "class_sample_weight": "automl.boosting",
    "rounds_on_every_row": "automl.boosting",
    "PluginRegistry": "automl.registry",
    "Recipe": "automl.recipe",
    "ResolvedRecipe": "automl.recipe",
    "load_recipe": "automl.recipe",
    "SECRET_PLACEHOLDER": "automl.secrets",
    "Scrubber": "automl.secrets",
    "load_model": "automl.package",
    "run": "automl.api",
    "AutoMLClassifier": "automl.estimators",
    "AutoMLRegressor": "automl.estimators",
    "RunResult": "automl.runner",
    "with_overrides": "automl.runner",
    "ModelPackage": "automl.package",
    "write_bytes_atomic": "automl.atomic",
    "write_text_atomic": "automl.atomic",
    "Run": "automl.rundir",
    "RunPredictions": "automl.rundir",
    "open_run": "automl.rundir",
    "FailureKind": "automl.records",
    "LeaderboardRow": "automl.records",
    "Phase": "automl.records",
    "RunStatus": "automl.records",
    "RunSummary": "automl.records",
    "StopReason": "automl.records",
    "TrialFailure": "automl.records",
    "TrialRecord": "automl.records",
    "TrialState": "automl.records",
}


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "ALL_TASKS",
    "API_VERSION",
    "CLASSIFICATION_TASKS",
    "SECRET_PLACEHOLDER",
    "AutoMLClassifier",
    "AutoMLRegressor",
    "AutomlError",
    "ComponentKind",
    "DataError",
    "DataSourceSpec",
    "DeployerSpec",
    "EarlyStoppingBoosterBase",
    "EarlyStoppingClassifierMixin",
    "EarlyStoppingRegressorMixin",
    "ExecutorError",
    "ExitCode",
    "FailureKind",
    "LeaderboardRow",
    "MetricSpec",
    "ModelError",
    "ModelPackage",
    "ModelSpec",
    "NoParams",
    "PackageError",
    "ParamSampler",
    "Params",
    "Phase",
    "PluginError",
    "PluginRegistry",
    "Recipe",
    "RecipeError",
    "RecipeIssue",
    "RecipePluginError",
    "ResolvedRecipe",
    "Run",
    "RunPredictions",
    "RunResult",
    "RunStatus",
    "RunSummary",
    "Scrubber",
    "SourceContext",
    "StopReason",
    "Task",
    "TrialFailure",
    "TrialRecord",
    "TrialState",
    "UsageError",
    "__version__",
    "can_split_validation",
    "class_sample_weight",
    "did_you_mean",
    "hookimpl",
    "load_model",
    "load_recipe",
    "open_run",
    "rounds_on_every_row",
    "run",
    "with_overrides",
    "write_bytes_atomic",
    "write_text_atomic",
]
