"""Collecting components: call every registration hook implementation on its own, index the result.

Each plugin's hook implementation is called separately, so one that raises or returns the wrong
record type is reported (through a ``report`` callback) and every other plugin's components still
count. A name claimed by two plugins is a conflict: neither claimant is usable until one is
disabled or removed. A component whose required modules are not installed is indexed as
unavailable: listed, with what to install, but not usable. :func:`check_hooks` vets a plugin's
hook implementations when it registers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pluggy

from automl import hookspecs
from automl.naming import did_you_mean
from automl.registry.plugins import (
    Component,
    PluginInfo,
    PluginProblem,
    describe_error,
    missing_modules,
)
from automl.specs import SPEC_TYPES, ComponentKind, ComponentSpec

__all__ = [
    "REGISTRATION_HOOKS",
    "ComponentIndex",
    "Report",
    "check_hooks",
    "collect_components",
    "could_provide",
]

REGISTRATION_HOOKS: dict[ComponentKind, str] = {
    ComponentKind.DATA_SOURCE: "automl_register_data_sources",
    ComponentKind.MODEL: "automl_register_models",
    ComponentKind.METRIC: "automl_register_metrics",
    ComponentKind.DEPLOYER: "automl_register_deployers",
}
"""The registration hook of each component kind."""

Report = Callable[[PluginInfo, str, str], None]
"""Records an isolated failure: ``report(plugin, stage, error)``."""


@dataclass(frozen=True)
class ComponentIndex:
    """The components by kind and name: usable, unavailable, and claimed by several plugins.

    Attributes:
        components: ``components[kind][name]``, the usable ones; every kind has an entry.
        unavailable: ``unavailable[kind][name]``, those whose required modules are missing.
        conflicts: Each name claimed twice or more, with every claimant in discovery order.
    """

    components: dict[ComponentKind, dict[str, Component]] = field(
        default_factory=lambda: {kind: {} for kind in ComponentKind}
    )
    unavailable: dict[ComponentKind, dict[str, Component]] = field(
        default_factory=lambda: {kind: {} for kind in ComponentKind}
    )
    conflicts: dict[tuple[ComponentKind, str], tuple[Component, ...]] = field(default_factory=dict)

    def conflict_message(self, kind: ComponentKind, name: str) -> str:
        """The error text for a name claimed by several plugins (it must be in :attr:`conflicts`)."""
        providers = " and ".join(str(c.plugin) for c in self.conflicts[(kind, name)])
        return (
            f"{kind.label} name {name!r} is provided by both {providers}; it cannot be used "
            "until one is disabled (--disable-plugin NAME or AUTOML_DISABLE_PLUGINS) or removed"
        )

    def missing_message(
        self,
        kind: ComponentKind,
        name: str,
        *,
        failed: Sequence[PluginProblem] = (),
        skipped: Sequence[PluginInfo] = (),
    ) -> str:
        """The error text for a name that is not usable: a conflict, unavailable, or unknown.

        Args:
            kind: The kind looked up.
            name: The name looked up.
            failed: Failures of plugins that may provide components of ``kind``: an unknown
                name may be theirs, so the message leads with them.
            skipped: Plugins not loaded (disabled, or autoload off).
        """
        if (kind, name) in self.conflicts:
            return self.conflict_message(kind, name)
        if name in self.unavailable[kind]:
            return self.unavailable[kind][name].unavailable_message()
        message = f"Unknown {kind.label} {name!r}"
        if failed:
            message += ": " + "; ".join(str(problem) for problem in failed)
            message += (
                f"; {'that plugin' if len(failed) == 1 else 'those plugins'} may provide "
                f"{kind.label} {name!r}. Fix or reinstall it (the error says why; `automl "
                "plugins` lists every failure), or disable it with --disable-plugin NAME."
            )
        else:
            message += "."
        installed = sorted(self.components[kind])
        message += did_you_mean(name, [*installed, *self.unavailable[kind]])
        message += (
            f" Installed: {', '.join(installed)}."
            if installed
            else f" No {kind.label} is installed."
        )
        if skipped:
            message += " Not loaded: " + ", ".join(sorted({p.name for p in skipped})) + "."
        return message


def could_provide(problem: PluginProblem, kind: ComponentKind) -> bool:
    """Whether the failure left out components of ``kind``: its plugin did not load or register,
    or that kind's registration hook failed."""
    return problem.stage in ("load", "register", REGISTRATION_HOOKS[kind])


def collect_components(
    hooks: Any, plugins: Mapping[str, PluginInfo], report: Report
) -> ComponentIndex:
    """Call every registration hook implementation in isolation and index what they return.

    Args:
        hooks: The plugin manager's hook relay (``PluginManager.hook``).
        plugins: The registered plugins by name.
        report: Called for each implementation that raised or returned something other than
            its kind's record type; the rest of that plugin's records still count.

    Returns:
        The index of usable and unavailable components and the conflicting names.
    """
    claims: dict[tuple[ComponentKind, str], list[Component]] = defaultdict(list)
    for kind, hook_name in REGISTRATION_HOOKS.items():
        caller = getattr(hooks, hook_name)
        # get_hookimpls() lists the last registered first; report in discovery order.
        for impl in reversed(caller.get_hookimpls()):
            info = plugins[impl.plugin_name]
            for spec in _call_registration(info, kind, hook_name, impl.function, report):
                missing = missing_modules(spec.requires)
                claims[(kind, spec.name)].append(Component(spec=spec, plugin=info, missing=missing))
    index = ComponentIndex()
    for (kind, name), claimants in claims.items():
        if len(claimants) > 1:
            index.conflicts[(kind, name)] = tuple(claimants)
        elif claimants[0].available:
            index.components[kind][name] = claimants[0]
        else:
            index.unavailable[kind][name] = claimants[0]
    return index


def _call_registration(
    info: PluginInfo,
    kind: ComponentKind,
    hook_name: str,
    function: Callable[[], object],
    report: Report,
) -> list[ComponentSpec]:
    try:
        result = function()
        records = [] if result is None else _as_list(result)
    except (Exception, SystemExit) as exc:
        report(info, hook_name, describe_error(exc))
        return []
    expected = SPEC_TYPES[kind]
    accepted: list[ComponentSpec] = []
    for record in records:
        if not isinstance(record, expected):
            report(
                info,
                hook_name,
                f"returned {type(record).__name__} {getattr(record, 'name', record)!r}; "
                f"this hook must return {expected.__name__} records",
            )
        else:
            accepted.append(record)
    return accepted


def _as_list(result: object) -> list[object]:
    if isinstance(result, ComponentSpec | str | bytes | Mapping):
        raise TypeError(f"expected an iterable of records, got {type(result).__name__}")
    try:
        # Any iterable will do; whether `result` is one shows only by trying.
        records: list[object] = list(result)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError(f"expected an iterable of records, got {type(result).__name__}") from None
    return records


def check_hooks(manager: pluggy.PluginManager, plugin: object) -> str | None:
    """Why a just-registered plugin must be rejected, or ``None`` if its hooks are fine."""
    callers = manager.get_hookcallers(plugin) or []
    if not callers:
        return "it implements no automl hook (is the entry point pointing at the right module?)"
    known = [name for name in dir(hookspecs) if name.startswith("automl_")]
    for caller in callers:
        if not caller.has_spec():
            return f"it implements unknown hook {caller.name!r}.{did_you_mean(caller.name, known)}"
        for impl in caller.get_hookimpls():
            if impl.plugin is plugin and (impl.hookwrapper or impl.wrapper):
                return f"hook {caller.name!r} may not be a wrapper"
    return None
