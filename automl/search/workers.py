"""What a worker process (local or Ray) does: rebuild the plugins, then run trials.

A worker gets the driver's exact plugin set (modules are sent by name and imported, so every
plugin must be installed where trials run), the data once, then one trial at a time.
"""

from __future__ import annotations

import importlib
import logging
import os
import pickle
from dataclasses import dataclass
from types import ModuleType

from automl.errors import PluginError
from automl.registry import PluginInfo, PluginRegistry
from automl.search.trial import SearchData
from automl.specs import MetricSpec, ModelSpec

# One thread per trial: trials run in parallel processes, and oversubscribed BLAS or OpenMP
# threads make every trial slower.
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def limit_threads() -> None:
    """One BLAS/OpenMP thread in this worker, unless the environment asks for more."""
    if any(name in os.environ for name in THREAD_VARIABLES):
        return
    for name in THREAD_VARIABLES:
        os.environ[name] = "1"
    # Libraries already imported (the fork server preloads numpy) read the variables at import.
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


@dataclass(frozen=True)
class PluginRef:
    """A plugin as a worker rebuilds it: a module name to import, or the pickled object."""

    info: PluginInfo
    module: str | None
    pickled: bytes | None


def plugin_refs(registry: PluginRegistry) -> list[PluginRef]:
    """The driver's plugins, in a form a worker process can rebuild."""
    refs = []
    for info, plugin in registry.plugin_objects():
        if isinstance(plugin, ModuleType):
            refs.append(PluginRef(info=info, module=plugin.__name__, pickled=None))
        else:
            refs.append(PluginRef(info=info, module=None, pickled=pickle.dumps(plugin)))
    return refs


@dataclass(frozen=True)
class WorkerSetup:
    """Everything a worker needs before its first trial."""

    data: SearchData
    plugins: list[PluginRef]
    models: list[str]


@dataclass
class WorkerState:
    """A worker's data and the components it resolved."""

    data: SearchData
    models: dict[str, ModelSpec]
    metrics: dict[str, MetricSpec]


def rebuild(setup: WorkerSetup, where: str = "this worker") -> WorkerState:
    """Import the plugins and resolve the models and metrics a run uses.

    Raises:
        PluginError: a plugin cannot be imported here, or a component is missing.
    """
    # The driver logged what went wrong when it discovered the plugins; every worker that
    # rebuilds them would log it once more.
    registry_logger = logging.getLogger("automl.registry")
    quiet, registry_logger.disabled = registry_logger.disabled, True
    try:
        return _rebuild(setup, where)
    finally:
        registry_logger.disabled = quiet


def _rebuild(setup: WorkerSetup, where: str) -> WorkerState:
    registry = PluginRegistry()
    for ref in setup.plugins:
        try:
            plugin = (
                importlib.import_module(ref.module)
                if ref.module
                else pickle.loads(ref.pickled or b"")
            )
        except Exception as exc:
            raise PluginError(
                f"{ref.info} is not installed on {where} ({type(exc).__name__}: {exc}); "
                "plugins must be installed on every machine that runs trials"
            ) from exc
        registry.add_plugin(
            plugin, name=ref.info.name, distribution=ref.info.distribution, version=ref.info.version
        )
    names = [setup.data.metric, *setup.data.metrics]
    try:
        models = {name: registry.model(name) for name in setup.models}
        metrics = {name: registry.metric(name) for name in names}
    except PluginError as exc:
        raise PluginError(f"on {where}: {exc}") from exc
    return WorkerState(data=setup.data, models=models, metrics=metrics)
