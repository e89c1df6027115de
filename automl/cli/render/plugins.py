"""The installed components by kind, then unavailable ones, conflicts, failed and skipped plugins."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from automl import ComponentKind

if TYPE_CHECKING:
    from rich.console import Console

    from automl import PluginRegistry


def render_plugins(console: Console, registry: PluginRegistry) -> None:
    """The components by kind, then unavailable ones, conflicts, failed and skipped plugins."""
    table = Table(title="Installed components", title_justify="left", show_lines=False)
    for column in ("kind", "name", "plugin", "distribution", "version"):
        table.add_column(column, no_wrap=True)
    table.add_column("description", overflow="fold", ratio=1)
    for kind in ComponentKind:
        components = registry.components(kind)
        for index, component in enumerate(components):
            plugin = component.plugin
            table.add_row(
                kind.label if index == 0 else "",
                component.name,
                plugin.name,
                plugin.distribution or "-",
                plugin.version or "-",
                component.spec.description,
                end_section=index == len(components) - 1,
            )
    console.print(table)
    _render_unavailable(console, registry)
    for (kind, name), claimants in registry.conflicts.items():
        providers = " and ".join(str(c.plugin) for c in claimants)
        console.print(
            Text(
                f"Conflict: {kind.label} {name!r} is provided by {providers}; it is unusable "
                "until one plugin is disabled (--disable-plugin NAME).",
                style="bold red",
            )
        )
    _render_problems(console, registry)
    skipped = registry.skipped
    if skipped:
        console.print(
            Text(
                "Not loaded (disabled, or autoload is off): "
                + ", ".join(sorted(p.name for p in skipped)),
                style="dim",
            )
        )


def _render_unavailable(console: Console, registry: PluginRegistry) -> None:
    unavailable = registry.unavailable()
    if not unavailable:
        return
    table = Table(
        title="Unavailable components (a library they need is not installed)",
        title_justify="left",
    )
    for column in ("kind", "name", "plugin", "needs"):
        table.add_column(column, no_wrap=True)
    table.add_column("install with", overflow="fold", ratio=1)
    for component in unavailable:
        table.add_row(
            component.kind.label,
            component.name,
            component.plugin.name,
            ", ".join(component.missing),
            Text(component.install_command),  # not markup: "[lightgbm]" is part of the line
        )
    console.print(table)


def _render_problems(console: Console, registry: PluginRegistry) -> None:
    problems = registry.problems
    if not problems:
        return
    failed = Table(
        title="Plugins that failed (left out; everything else works)", title_justify="left"
    )
    for column in ("plugin", "distribution", "version", "stage", "error"):
        failed.add_column(column, overflow="fold")
    for problem in problems:
        info = problem.plugin
        failed.add_row(
            info.name,
            info.distribution or "-",
            info.version or "-",
            problem.stage,
            problem.error,
        )
    console.print(failed)
