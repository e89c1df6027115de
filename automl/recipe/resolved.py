"""What loading a recipe gives: the validated sections with every component name resolved."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from automl.params import Params
from automl.recipe.dimensions import Dimension
from automl.recipe.schema import Recipe
from automl.registry import Component, PluginRegistry
from automl.secrets import Scrubber
from automl.specs import ModelSpec

__all__ = ["FilledDefault", "ResolvedComponent", "ResolvedModel", "ResolvedRecipe"]


@dataclass(frozen=True)
class ResolvedComponent:
    """A component named in the recipe, with its validated parameters.

    Attributes:
        component: The registered component (record and providing plugin).
        params: The parameters, validated by the component's params model.
        path: Where the component is written in the recipe (``data.source``, ``deploy[0]``).
    """

    component: Component
    params: Params
    path: str

    @property
    def name(self) -> str:
        """The component's name."""
        return self.component.name


@dataclass(frozen=True)
class ResolvedModel(ResolvedComponent):
    """A model to search, with its fixed parameters and search-space overrides."""

    search_space: Mapping[str, Dimension] = field(default_factory=dict)

    @property
    def spec(self) -> ModelSpec:
        """The model's record (its factory, search space, cost and resources)."""
        return self.component.spec_as(ModelSpec)


@dataclass(frozen=True)
class FilledDefault:
    """A value the recipe left out and automl filled in."""

    path: str
    value: Any
    note: str = ""


@dataclass(frozen=True, eq=False)
class ResolvedRecipe:
    """A validated recipe whose component names are resolved against a registry.

    Attributes:
        recipe: The validated recipe sections.
        text: The recipe text as written (``${VAR}`` references not expanded; safe to store).
        source: Where the recipe came from (its path, or a label).
        base_dir: The folder relative paths resolve against.
        data_source: The data source and its parameters (``None`` when the data is given in
            Python).
        test_source: The separate test set's source (``data.test_source``), if any.
        metric: The primary metric, or ``None`` while the task is ``auto`` and no metric is named.
        metrics: The secondary metrics.
        models: The models to search (every installed one fitting the task when not listed).
        deployers: The deployers to run on the packaged model.
        defaults: What automl filled in.
        secret_paths: Recipe paths whose values came from the environment.
        secret_values: The values that came from the environment (never shown; see :meth:`scrub`).
        registry: The registry the names were resolved with.
    """

    recipe: Recipe
    text: str
    source: str
    base_dir: Path
    data_source: ResolvedComponent | None
    test_source: ResolvedComponent | None
    metric: Component | None
    metrics: tuple[Component, ...]
    models: tuple[ResolvedModel, ...]
    deployers: tuple[ResolvedComponent, ...]
    defaults: tuple[FilledDefault, ...]
    secret_paths: frozenset[str]
    registry: PluginRegistry
    secret_values: frozenset[str] = field(default=frozenset(), repr=False)

    @property
    def name(self) -> str:
        """The recipe's name."""
        return self.recipe.name

    @property
    def scrubber(self) -> Scrubber:
        """A :class:`~automl.secrets.Scrubber` of the values that came from the environment."""
        return Scrubber(self.secret_values)

    def scrub(self, text: str) -> str:
        """``text`` with every value that came from the environment replaced by ``***``."""
        return self.scrubber(text)

    @property
    def task(self) -> str:
        """The task as written: ``auto``, ``binary``, ``multiclass`` or ``regression``."""
        return self.recipe.task
