"""The plugin registry: discovers plugins, isolates their failures and looks components up.

Builtin plugins and third-party plugins come in the same way, through the entry-point group
``automl``. Each entry point is loaded, and each hook implementation called, on its own: a
plugin that fails to import, implements an unknown hook, or raises is recorded as a
:class:`PluginProblem` (logged as a warning) and every other plugin keeps working.

A registry is an ordinary object owned by its caller (there is no global one), so every run and
every test gets a fresh one::

    registry = PluginRegistry.discover(disabled=["my_plugin"])
    model = registry.get(ComponentKind.MODEL, "random_forest")

Environment variables:
    ``AUTOML_DISABLE_PLUGINS``: comma-separated plugin names not to load.
    ``AUTOML_DISABLE_PLUGIN_AUTOLOAD``: ``1`` loads only the plugins shipped with automl.
"""

from __future__ import annotations

import difflib
import importlib.metadata
import logging
import os
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pluggy

from automl import hookspecs
from automl.errors import PluginError
from automl.specs import NAME_PATTERN, SPEC_TYPES, ComponentKind, ComponentSpec

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = hookspecs.PROJECT_NAME
DISABLE_ENV = "AUTOML_DISABLE_PLUGINS"
NO_AUTOLOAD_ENV = "AUTOML_DISABLE_PLUGIN_AUTOLOAD"
BUILTIN_DISTRIBUTION = "automl"

REGISTRATION_HOOKS: dict[ComponentKind, str] = {
    ComponentKind.DATA_SOURCE: "automl_register_data_sources",
    ComponentKind.MODEL: "automl_register_models",
    ComponentKind.METRIC: "automl_register_metrics",
    ComponentKind.DEPLOYER: "automl_register_deployers",
}


@dataclass(frozen=True)
class PluginInfo:
    """Where a plugin comes from.

    Attributes:
        name: The plugin's name (its entry-point name), used by ``--disable-plugin``.
        distribution: The installed distribution that provides it (``None`` when registered
            in code).
        version: That distribution's version.
    """

    name: str
    distribution: str | None = None
    version: str | None = None

    @property
    def builtin(self) -> bool:
        """True for the plugins shipped inside the automl distribution."""
        return _normalise(self.distribution or "") == BUILTIN_DISTRIBUTION

    def __str__(self) -> str:
        if self.distribution is None:
            return f"plugin {self.name!r}"
        return f"plugin {self.name!r} (distribution {self.distribution} {self.version})"


@dataclass(frozen=True)
class PluginProblem:
    """A plugin failure that was isolated: the plugin (or one of its hooks) is left out.

    Attributes:
        plugin: The failing plugin.
        stage: What was being done: ``load``, ``register``, or the hook's name.
        error: What went wrong.
    """

    plugin: PluginInfo
    stage: str
    error: str

    def __str__(self) -> str:
        return f"{self.plugin} failed at {self.stage}: {self.error}"


@dataclass(frozen=True)
class Component:
    """A component record together with the plugin that provided it."""

    spec: ComponentSpec
    plugin: PluginInfo

    @property
    def kind(self) -> ComponentKind:
        """The component's kind."""
        return self.spec.kind

    @property
    def name(self) -> str:
        """The component's name."""
        return self.spec.name


def _normalise(distribution: str) -> str:
    return distribution.lower().replace("_", "-").replace(".", "-")


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def disabled_from_env() -> list[str]:
    """Plugin names listed in ``AUTOML_DISABLE_PLUGINS`` (comma-separated)."""
    raw = os.environ.get(DISABLE_ENV, "")
    return [part.strip() for part in raw.split(",") if part.strip()]


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """Return ``" Did you mean 'x'?"`` for a close match among ``candidates``, else ``""``."""
    options = list(candidates)
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    if not close and len(name) >= 3:
        # A prefix ("shrink" for "shrink_threshold") is a likely abbreviation.
        close = [option for option in options if option.startswith(name)][:1]
    return f" Did you mean {close[0]!r}?" if close else ""


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
        self._index: dict[ComponentKind, dict[str, Component]] | None = None
        self._conflicts: dict[tuple[ComponentKind, str], tuple[Component, ...]] = {}

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
            autoload = not _env_flag(NO_AUTOLOAD_ENV)
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
                    info, "load", f"importing {entry_point.value!r} raised {_describe(exc)}"
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
            self._report(info, "register", _describe(exc))
            return False
        rejection = self._check_hooks(plugin)
        if rejection:
            self._pm.unregister(plugin, name=name)
            self._report(info, "register", rejection)
            return False
        self._plugins[name] = info
        self._index = None
        return True

    def _check_hooks(self, plugin: object) -> str | None:
        callers = self._pm.get_hookcallers(plugin) or []
        if not callers:
            return "it implements no automl hook (is the entry point pointing at the right module?)"
        known = [name for name in dir(hookspecs) if name.startswith("automl_")]
        for caller in callers:
            if not caller.has_spec():
                return (
                    f"it implements unknown hook {caller.name!r}.{did_you_mean(caller.name, known)}"
                )
            for impl in caller.get_hookimpls():
                if impl.plugin is plugin and (impl.hookwrapper or impl.wrapper):
                    return f"hook {caller.name!r} may not be a wrapper"
        return None

    def _report(self, plugin: PluginInfo, stage: str, error: str) -> None:
        problem = PluginProblem(plugin=plugin, stage=stage, error=error)
        self._problems.append(problem)
        logger.warning("%s; it is left out, other plugins still work", problem)

    # -- components ----------------------------------------------------------------------------

    def _collect(self) -> dict[ComponentKind, dict[str, Component]]:
        if self._index is not None:
            return self._index
        # Collecting again (after a plugin was added) reports registration failures afresh.
        hook_names = set(REGISTRATION_HOOKS.values())
        self._problems = [p for p in self._problems if p.stage not in hook_names]
        claims: dict[tuple[ComponentKind, str], list[Component]] = defaultdict(list)
        for kind, hook_name in REGISTRATION_HOOKS.items():
            caller = getattr(self._pm.hook, hook_name)
            # get_hookimpls() lists the last registered first; report in discovery order.
            for impl in reversed(caller.get_hookimpls()):
                info = self._plugins[impl.plugin_name]
                for spec in self._call_registration(info, kind, hook_name, impl.function):
                    claims[(kind, spec.name)].append(Component(spec=spec, plugin=info))
        index: dict[ComponentKind, dict[str, Component]] = {kind: {} for kind in ComponentKind}
        self._conflicts = {}
        for (kind, name), claimants in claims.items():
            if len(claimants) == 1:
                index[kind][name] = claimants[0]
            else:
                self._conflicts[(kind, name)] = tuple(claimants)
                logger.error("%s", self._conflict_message(kind, name))
        self._index = index
        return index

    def _call_registration(
        self, info: PluginInfo, kind: ComponentKind, hook_name: str, function: Any
    ) -> list[ComponentSpec]:
        try:
            result = function()
            records = [] if result is None else _as_list(result)
        except (Exception, SystemExit) as exc:
            self._report(info, hook_name, _describe(exc))
            return []
        expected = SPEC_TYPES[kind]
        accepted: list[ComponentSpec] = []
        for record in records:
            if not isinstance(record, expected):
                self._report(
                    info,
                    hook_name,
                    f"returned {type(record).__name__} {getattr(record, 'name', record)!r}; "
                    f"this hook must return {expected.__name__} records",
                )
            else:
                accepted.append(record)
        return accepted

    def _conflict_message(self, kind: ComponentKind, name: str) -> str:
        providers = " and ".join(str(c.plugin) for c in self._conflicts[(kind, name)])
        return (
            f"{kind.label} name {name!r} is provided by both {providers}; it cannot be used "
            "until one is disabled (--disable-plugin NAME or AUTOML_DISABLE_PLUGINS) or removed"
        )

    def get(self, kind: ComponentKind | str, name: str) -> Component:
        """Return the component ``name`` of ``kind``.

        Raises:
            PluginError: the name is unknown (with "did you mean" and the installed names) or
                is claimed by two plugins (naming both).
        """
        kind = ComponentKind(kind)
        index = self._collect()
        if (kind, name) in self._conflicts:
            raise PluginError(self._conflict_message(kind, name))
        if name not in index[kind]:
            raise PluginError(self.unknown_message(kind, name))
        return index[kind][name]

    def unknown_message(self, kind: ComponentKind | str, name: object) -> str:
        """The error text for a component name that is not installed."""
        kind = ComponentKind(kind)
        if (kind, name) in self._conflicts:
            return self._conflict_message(kind, str(name))
        installed = self.names(kind)
        message = f"Unknown {kind.label} {name!r}.{did_you_mean(str(name), installed)}"
        message += (
            f" Installed: {', '.join(installed)}."
            if installed
            else f" No {kind.label} is installed."
        )
        if self._skipped:
            message += " Not loaded: " + ", ".join(sorted({p.name for p in self._skipped})) + "."
        return message

    def names(self, kind: ComponentKind | str) -> list[str]:
        """Sorted names of the usable components of ``kind``."""
        return sorted(self._collect()[ComponentKind(kind)])

    def components(self, kind: ComponentKind | str | None = None) -> list[Component]:
        """Usable components, sorted by kind then name (conflicting names are left out)."""
        index = self._collect()
        kinds = list(ComponentKind) if kind is None else [ComponentKind(kind)]
        return [index[k][name] for k in kinds for name in sorted(index[k])]

    @property
    def conflicts(self) -> Mapping[tuple[ComponentKind, str], tuple[Component, ...]]:
        """Names claimed by more than one plugin, with every claimant."""
        self._collect()
        return dict(self._conflicts)

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
                self._report(self._plugins[impl.plugin_name], hook_name, _describe(exc))

    def before_run(self, *, recipe: Any, run_dir: Path) -> None:
        """Call every ``automl_before_run`` observer, each in isolation."""
        self._notify("automl_before_run", recipe=recipe, run_dir=run_dir)

    def after_trial(self, *, recipe: Any, trial: Mapping[str, Any]) -> None:
        """Call every ``automl_after_trial`` observer, each in isolation."""
        self._notify("automl_after_trial", recipe=recipe, trial=trial)

    def after_run(self, *, recipe: Any, run_dir: Path, summary: Mapping[str, Any]) -> None:
        """Call every ``automl_after_run`` observer, each in isolation."""
        self._notify("automl_after_run", recipe=recipe, run_dir=run_dir, summary=summary)


def _as_list(result: object) -> list[object]:
    if isinstance(result, ComponentSpec | str | bytes | Mapping):
        raise TypeError(f"expected an iterable of records, got {type(result).__name__}")
    try:
        return list(result)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError(f"expected an iterable of records, got {type(result).__name__}") from None


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


__all__ = [
    "DISABLE_ENV",
    "ENTRY_POINT_GROUP",
    "NO_AUTOLOAD_ENV",
    "Component",
    "PluginInfo",
    "PluginProblem",
    "PluginRegistry",
    "did_you_mean",
]
