"""The plugin registry: discovers plugins, isolates their failures and looks components up.

Builtin plugins and third-party plugins come in the same way, through the entry-point group
``automl``. Each entry point is loaded, and each hook implementation called, on its own: a
plugin that fails to import, implements an unknown hook, or raises is recorded as a
:class:`PluginProblem` (logged as a warning) and every other plugin keeps working. A component
whose record ``requires`` a module that is not installed is *unavailable*: listed with its
``pip install`` line (:meth:`PluginRegistry.unavailable`), never used.

A registry is an ordinary object owned by its caller (there is no global one), so every run and
every test gets a fresh one::

    registry = PluginRegistry.discover(disabled=["my_plugin"])
    model = registry.get(ComponentKind.MODEL, "random_forest")

Environment variables:
    ``AUTOML_DISABLE_PLUGINS``: comma-separated plugin names not to load.
    ``AUTOML_DISABLE_PLUGIN_AUTOLOAD``: ``1`` loads only the plugins shipped with automl.

Modules: :mod:`~automl.registry.plugins` (plugin and component records, environment switches),
:mod:`~automl.registry.collect` (calling registration hooks in isolation, indexing names) and
:mod:`~automl.registry.manager` (the :class:`PluginRegistry`).
"""

from __future__ import annotations

from automl.registry.manager import PluginRegistry
from automl.registry.plugins import (
    DISABLE_ENV,
    ENTRY_POINT_GROUP,
    NO_AUTOLOAD_ENV,
    Component,
    PluginInfo,
    PluginProblem,
)

__all__ = [
    "DISABLE_ENV",
    "ENTRY_POINT_GROUP",
    "NO_AUTOLOAD_ENV",
    "Component",
    "PluginInfo",
    "PluginProblem",
    "PluginRegistry",
]
