"""The :class:`PluginRegistry`: loads plugins each in isolation and looks components up by name."""

from __future__ import annotations

import importlib.metadata
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

from automl import hookspecs
from automl.errors import PluginError
from automl.registry.collect import (
    REGISTRATION_HOOKS,
    ComponentIndex,
    check_hooks,
    collect_components,
    could_provide,
)
from automl.registry.plugins import (
    ENTRY_POINT_GROUP,
    Component,
    PluginInfo,
    PluginProblem,
    autoload_from_env,
    describe_error,
    disabled_from_env,
)
from automl.specs import NAME_PATTERN, ComponentKind, MetricSpec, ModelSpec

if TYPE_CHECKING:
    from automl.records import RunSummary, TrialRecord

__all__ = ["PluginRegistry"]

# One logger for the whole registry package: the CLI quiets "automl.registry" by that name.
logger = logging.getLogger("automl.registry")


class PluginRegistry:
    """Loads plugins and indexes the components they register.

    Create one with :meth:`discover` (entry points) or empty with the constructor and
    :meth:`add_plugin` (tests, embedding).

    Args:
        disabled: Plugin names not to load.
    """

    def __init__(self, *, disabled: Iterable[str] = ()) -> None:
        self._pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self._pm.add_hookspecs(hookspecs)
        self._disabled: frozenset[str] = frozenset(disabled)
        self._plugins: dict[str, PluginInfo] = {}
        self._problems: list[PluginProblem] = []
        self._skipped: list[PluginInfo] = []
        self._index: ComponentIndex | None = None

    # -- building ------------------------------------------------------------------------------

    @classmethod
    def discover(
        cls,
        *,
        disabled: Iterable[str] = (),
        autoload: bool | None = None,
        group: str = ENTRY_POINT_GROUP,
    ) -> PluginRegistry:
        """Build a registry from the installed entry points.

        Args:
            disabled: Plugin names not to load, added to those in ``AUTOML_DISABLE_PLUGINS``.
            autoload: Load third-party plugins too. ``None`` reads the environment:
                ``AUTOML_DISABLE_PLUGIN_AUTOLOAD=1`` means builtins only.
            group: The entry-point group to read.
        """
        if autoload is None:
            autoload = autoload_from_env()
        registry = cls(disabled=[*disabled, *disabled_from_env()])
        registry.load_entry_points(group, builtins_only=not autoload)
        return registry

    def load_entry_points(
        self, group: str = ENTRY_POINT_GROUP, *, builtins_only: bool = False
    ) -> None:
        """Load and register every plugin of an entry-point group, each in isolation."""
        seen: set[str] = set()
        for entry_point in importlib.metadata.entry_points(group=group):
            dist = entry_point.dist
            info = PluginInfo(
                name=entry_point.name,
                distribution=dist.name if dist is not None else None,
                version=dist.version if dist is not None else None,
            )
            seen.add(info.name)
            if builtins_only and not info.builtin:
                self._skipped.append(info)
                continue
            if info.name in self._disabled:
                logger.info("%s is disabled", info)
                self._skipped.append(info)
                continue
            try:
                plugin = entry_point.load()
            except (Exception, SystemExit) as exc:
                self._report(
                    info, "load", f"importing {entry_point.value!r} raised {describe_error(exc)}"
                )
                continue
            self.add_plugin(
                plugin, name=info.name, distribution=info.distribution, version=info.version
            )
        for name in sorted(self._disabled - seen):
            logger.warning(
                "Cannot disable plugin %r: no installed plugin has that name (installed: %s)",
                name,
                ", ".join(sorted(seen)) or "none",
            )

    def add_plugin(
        self,
        plugin: object,
        *,
        name: str,
        distribution: str | None = None,
        version: str | None = None,
    ) -> bool:
        """Register a plugin object (a module or an instance with hook implementations).

        Returns:
            True if the plugin was registered; False if it was rejected (see :attr:`problems`).
        """
        info = PluginInfo(name=name, distribution=distribution, version=version)
        if name in self._disabled:
            self._skipped.append(info)
            return False
        if not NAME_PATTERN.fullmatch(name):
            self._report(
                info,
                "register",
                "plugin names are lowercase letters, digits and underscores, starting with a letter",
            )
            return False
        if name in self._plugins:
            self._report(info, "register", f"the name is already taken by {self._plugins[name]}")
            return False
        try:
            self._pm.register(plugin, name=name)
        except (Exception, SystemExit) as exc:
            self._report(info, "register", describe_error(exc))
            return False
        rejection = check_hooks(self._pm, plugin)
        if rejection:
            self._pm.unregister(plugin, name=name)
            self._report(info, "register", rejection)
            return False
        self._plugins[name] = info
        self._index = None
        return True

    def _report(self, plugin: PluginInfo, stage: str, error: str) -> None:
        problem = PluginProblem(plugin=plugin, stage=stage, error=error)
        self._problems.append(problem)
        logger.warning("%s; it is left out, other plugins still work", problem)

    # -- components ----------------------------------------------------------------------------

    def _collect(self) -> ComponentIndex:
        if self._index is not None:
            return self._index
        # Collecting again (after a plugin was added) reports registration failures afresh.
        hook_names = set(REGISTRATION_HOOKS.values())
        self._problems = [p for p in self._problems if p.stage not in hook_names]
        index = collect_components(self._pm.hook, self._plugins, self._report)
        for kind, name in index.conflicts:
            logger.error("%s", index.conflict_message(kind, name))
        self._index = index
        return index

    def get(self, kind: ComponentKind | str, name: str) -> Component:
        """Return the component ``name`` of ``kind``.

        Raises:
            PluginError: the name is unknown (with "did you mean", the installed names and the
                plugins that failed), unavailable (with the ``pip install`` line) or claimed by
                two plugins (naming both).
        """
        kind = ComponentKind(kind)
        index = self._collect()
        if name not in index.components[kind]:
            raise PluginError(self.unknown_message(kind, name))
        return index.components[kind][name]

    def model(self, name: str) -> ModelSpec:
        """Return the record of the model ``name``.

        Raises:
            PluginError: as :meth:`get` does.
        """
        return self.get(ComponentKind.MODEL, name).spec_as(ModelSpec)

    def metric(self, name: str) -> MetricSpec:
        """Return the record of the metric ``name``.

        Raises:
            PluginError: as :meth:`get` does.
        """
        return self.get(ComponentKind.METRIC, name).spec_as(MetricSpec)

    def unknown_message(self, kind: ComponentKind | str, name: object) -> str:
        """The error text for a name that is not usable: unknown (naming the plugins that
        failed and may provide it), unavailable (with the install line) or a conflict."""
        kind = ComponentKind(kind)
        return self._collect().missing_message(
            kind, str(name), failed=self.failed_providers(kind), skipped=self._skipped
        )

    def is_plugin_problem(self, kind: ComponentKind | str, name: str) -> bool:
        """Whether ``name`` is unusable because of what is installed, not how it is written:
        its component lacks a required module, or a plugin that may provide it failed."""
        kind = ComponentKind(kind)
        return name in self._collect().unavailable[kind] or bool(self.failed_providers(kind))

    def failed_providers(self, kind: ComponentKind | str) -> list[PluginProblem]:
        """Failures that left out components of ``kind`` (load, register or its hook)."""
        kind = ComponentKind(kind)
        return [problem for problem in self.problems if could_provide(problem, kind)]

    def unavailable(self, kind: ComponentKind | str | None = None) -> list[Component]:
        """Components whose required modules are missing, sorted by kind then name."""
        index = self._collect().unavailable
        kinds = list(ComponentKind) if kind is None else [ComponentKind(kind)]
        return [index[k][name] for k in kinds for name in sorted(index[k])]

    def names(self, kind: ComponentKind | str) -> list[str]:
        """Sorted names of the usable components of ``kind``."""
        return sorted(self._collect().components[ComponentKind(kind)])

    def components(self, kind: ComponentKind | str | None = None) -> list[Component]:
        """Usable components, sorted by kind then name (conflicts and unavailable ones left out)."""
        index = self._collect().components
        kinds = list(ComponentKind) if kind is None else [ComponentKind(kind)]
        return [index[k][name] for k in kinds for name in sorted(index[k])]

    @property
    def conflicts(self) -> Mapping[tuple[ComponentKind, str], tuple[Component, ...]]:
        """Names claimed by more than one plugin, with every claimant."""
        return dict(self._collect().conflicts)

    @property
    def plugins(self) -> list[PluginInfo]:
        """The registered plugins, in discovery order."""
        return list(self._plugins.values())

    def plugin_objects(self) -> list[tuple[PluginInfo, object]]:
        """Every registered plugin with its object (module or instance), in discovery order."""
        return [(info, self._pm.get_plugin(info.name)) for info in self._plugins.values()]

    @property
    def skipped(self) -> list[PluginInfo]:
        """Installed plugins not loaded (disabled, or third-party with autoload off)."""
        return list(self._skipped)

    @property
    def problems(self) -> list[PluginProblem]:
        """Every isolated plugin failure so far (registration hooks included)."""
        self._collect()
        return list(self._problems)

    # -- lifecycle observers -------------------------------------------------------------------

    def _notify(self, hook_name: str, **kwargs: Any) -> None:
        caller = getattr(self._pm.hook, hook_name)
        for impl in reversed(caller.get_hookimpls()):
            try:
                impl.function(**{arg: kwargs[arg] for arg in impl.argnames})
            except (Exception, SystemExit) as exc:
                self._report(self._plugins[impl.plugin_name], hook_name, describe_error(exc))

    def before_run(self, *, recipe: Any, run_dir: Path) -> None:
        """Call every ``automl_before_run`` observer, each in isolation."""
        self._notify("automl_before_run", recipe=recipe, run_dir=run_dir)

    def after_trial(self, *, recipe: Any, trial: TrialRecord) -> None:
        """Call every ``automl_after_trial`` observer, each in isolation."""
        self._notify("automl_after_trial", recipe=recipe, trial=trial)

    def after_run(self, *, recipe: Any, run_dir: Path, summary: RunSummary) -> None:
        """Call every ``automl_after_run`` observer, each in isolation."""
        self._notify("automl_after_run", recipe=recipe, run_dir=run_dir, summary=summary)
