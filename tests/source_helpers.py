"""Reading a data source the way a recipe names it, for the source plugins' tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from automl import PluginRegistry
from automl.recipe import parse_recipe
from automl.specs import SourceContext


def load_source(
    registry: PluginRegistry,
    source: str,
    *,
    base_dir: Path | None = None,
    env: dict[str, str] | None = None,
    target: str = "y",
) -> pd.DataFrame:
    """Validate ``data.source: SOURCE`` like a recipe does, then call the source's factory."""
    resolved = parse_recipe(
        f"data:\n  source: {source}\n  target: {target}\n",
        base_dir=base_dir if base_dir is not None else Path.cwd(),
        registry=registry,
        env=env or {},
    )
    spec = resolved.data_source.component.spec
    return spec.factory(resolved.data_source.params, SourceContext(base_dir=resolved.base_dir))
