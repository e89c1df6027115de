"""Collecting components: call every registration hook implementation on its own, index the result.

Each plugin's hook implementation is called separately, so one that raises or returns the wrong
record type is reported (through a ``report`` callback) and every other plugin's components still
count. A name claimed by two plugins is a conflict: neither claimant is usable until one is
disabled or removed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from automl.registry.plugins import Component, PluginInfo, describe_error
from automl.specs import SPEC_TYPES, ComponentKind, ComponentSpec

__all__ = ["REGISTRATION_HOOKS", "ComponentIndex", "Report", "collect_components"]

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
    """The usable components by kind and name, and the names claimed by more than one plugin.

    Attributes:
        components: ``components[kind][name]``; every kind has an entry, conflicts are left out.
        conflicts: Each name claimed twice or more, with every claimant in discovery order.
    """

    components: dict[ComponentKind, dict[str, Component]] = field(
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
        The index of usable components and the conflicting names.
    """
    claims: dict[tuple[ComponentKind, str], list[Component]] = defaultdict(list)
    for kind, hook_name in REGISTRATION_HOOKS.items():
        caller = getattr(hooks, hook_name)
        # get_hookimpls() lists the last registered first; report in discovery order.
        for impl in reversed(caller.get_hookimpls()):
            info = plugins[impl.plugin_name]
            for spec in _call_registration(info, kind, hook_name, impl.function, report):
                claims[(kind, spec.name)].append(Component(spec=spec, plugin=info))
    index = ComponentIndex()
    for (kind, name), claimants in claims.items():
        if len(claimants) == 1:
            index.components[kind][name] = claimants[0]
        else:
            index.conflicts[(kind, name)] = tuple(claimants)
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
