"""automl: a plugin-based AutoML framework.

The public Python API. Plugin authors import everything they need from here::

    from automl import ModelSpec, Params, Task, hookimpl

Attributes other than the plugin-author basics load on first use, so ``import automl`` stays
cheap (no pandas, scikit-learn, torch or Ray).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from automl.errors import (
    AutomlError,
    DataError,
    ExecutorError,
    ExitCode,
    PackageError,
    PluginError,
    RecipeError,
    RecipeIssue,
    UsageError,
)
from automl.hookspecs import hookimpl

__version__ = "0.1.0"

if TYPE_CHECKING:
    from automl.package import ModelPackage, load_model
    from automl.recipe import Recipe, ResolvedRecipe, load_recipe
    from automl.registry import PluginRegistry
    from automl.runner import RunResult, run, with_overrides
    from automl.specs import (
        API_VERSION,
        ComponentKind,
        DataSourceSpec,
        DeployerSpec,
        MetricSpec,
        ModelSpec,
        NoParams,
        Params,
        ParamSampler,
        SourceContext,
        Task,
    )

_LAZY = {
    "API_VERSION": "automl.specs",
    "ComponentKind": "automl.specs",
    "DataSourceSpec": "automl.specs",
    "DeployerSpec": "automl.specs",
    "MetricSpec": "automl.specs",
    "ModelSpec": "automl.specs",
    "NoParams": "automl.specs",
    "ParamSampler": "automl.specs",
    "Params": "automl.specs",
    "SourceContext": "automl.specs",
    "Task": "automl.specs",
    "PluginRegistry": "automl.registry",
    "Recipe": "automl.recipe",
    "ResolvedRecipe": "automl.recipe",
    "load_recipe": "automl.recipe",
    "load_model": "automl.package",
    "run": "automl.runner",
    "RunResult": "automl.runner",
    "with_overrides": "automl.runner",
    "ModelPackage": "automl.package",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'automl' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "API_VERSION",
    "AutomlError",
    "ComponentKind",
    "DataError",
    "DataSourceSpec",
    "DeployerSpec",
    "ExecutorError",
    "ExitCode",
    "MetricSpec",
    "ModelPackage",
    "ModelSpec",
    "NoParams",
    "PackageError",
    "ParamSampler",
    "Params",
    "PluginError",
    "PluginRegistry",
    "Recipe",
    "RecipeError",
    "RecipeIssue",
    "ResolvedRecipe",
    "RunResult",
    "SourceContext",
    "Task",
    "UsageError",
    "__version__",
    "hookimpl",
    "load_model",
    "load_recipe",
    "run",
    "with_overrides",
]
