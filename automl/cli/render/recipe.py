"""The summary of a valid recipe: what it will do, and what automl filled in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from automl.cli.render.cells import plain_value

if TYPE_CHECKING:
    from rich.console import Console

    from automl import ResolvedRecipe


def render_recipe_summary(
    console: Console, resolved: ResolvedRecipe, *, show_defaults: bool = True
) -> None:
    """A valid recipe: what it will do, and (unless ``show_defaults`` is off) the defaults used.

    Values that came from ``${VAR}`` interpolation are replaced by "(from the environment)".
    """
    recipe = resolved.recipe

    def shown(path: str, value: str) -> str:
        return "(from the environment)" if path in resolved.secret_paths else value

    metric = resolved.metric.name if resolved.metric is not None else "by task, at run time"
    source = resolved.data_source.name if resolved.data_source else "a DataFrame given in Python"
    models = ", ".join(m.name for m in resolved.models) or "none installed"
    console.print(
        Text.assemble(("✓ ", "bold green"), (resolved.source, "bold"), " is valid"), soft_wrap=True
    )
    console.print(
        Text(
            f"  name {shown('name', recipe.name)} · task {shown('task', recipe.task)} · "
            f"source {shown('data.source.type', source)} · "
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
        table.add_row(default.path, plain_value(default.value), default.note or "default")
    console.print(table)
