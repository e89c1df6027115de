"""Rich renderings of automl objects for the command line. Every function takes the console."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text

from automl.specs import ComponentKind

if TYPE_CHECKING:
    from rich.console import Console

    from automl.recipe import ResolvedRecipe
    from automl.registry import PluginRegistry


def render_plugins(console: Console, registry: PluginRegistry) -> None:
    """The components by kind, then conflicts, failed and skipped plugins."""
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
    for (kind, name), claimants in registry.conflicts.items():
        providers = " and ".join(str(c.plugin) for c in claimants)
        console.print(
            Text(
                f"Conflict: {kind.label} {name!r} is provided by {providers}; it is unusable "
                "until one plugin is disabled (--disable-plugin NAME).",
                style="bold red",
            )
        )
    problems = registry.problems
    if problems:
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
    skipped = registry.skipped
    if skipped:
        console.print(
            Text(
                "Not loaded (disabled, or autoload is off): "
                + ", ".join(sorted(p.name for p in skipped)),
                style="dim",
            )
        )


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, default=str)
    except (TypeError, ValueError):
        return repr(value)


def render_recipe_summary(
    console: Console, resolved: ResolvedRecipe, *, show_defaults: bool = True
) -> None:
    """A valid recipe: what it will do, and what automl filled in."""
    recipe = resolved.recipe

    def shown(path: str, value: str) -> str:
        return "(from the environment)" if path in resolved.secret_paths else value

    metric = resolved.metric.name if resolved.metric is not None else "by task, at run time"
    models = ", ".join(m.name for m in resolved.models) or "none installed"
    console.print(
        Text.assemble(("✓ ", "bold green"), (resolved.source, "bold"), " is valid"), soft_wrap=True
    )
    console.print(
        Text(
            f"  name {shown('name', recipe.name)} · task {shown('task', recipe.task)} · "
            f"source {shown('data.source.type', resolved.data_source.name)} · "
            f"target {shown('data.target', recipe.data.target)} · "
            f"metric {shown('metric', metric)}\n  models: {models}"
        ),
        soft_wrap=True,
    )
    if not resolved.models:
        console.print(
            Text(
                "  Warning: no installed model fits this recipe; a run needs at least one "
                "(see `automl plugins`).",
                style="yellow",
            ),
            soft_wrap=True,
        )
    if not show_defaults or not resolved.defaults:
        return
    table = Table(title="Filled in by automl", title_justify="left", box=None, padding=(0, 2))
    table.add_column("key", style="cyan")
    table.add_column("value")
    table.add_column("why", style="dim")
    for default in resolved.defaults:
        table.add_row(default.path, _show(default.value), default.note or "default")
    console.print(table)
