"""Resolving a recipe's components: names against the plugins, parameters against their models.

Every problem is recorded in an :class:`~automl.recipe.issues.IssueCollector` rather than
raised, so that one error lists them all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from automl.recipe.components import ComponentLookup
from automl.recipe.dimensions import check_search_space
from automl.recipe.issues import IssueCollector, Loc, format_loc
from automl.recipe.resolved import FilledDefault, ResolvedComponent, ResolvedModel
from automl.recipe.schema import DEFAULT_METRICS, ModelConfig, Recipe
from automl.registry import Component, PluginRegistry
from automl.specs import ComponentKind
from automl.tasks import Task

__all__ = ["RecipeResolver"]


def _dig(raw: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(raw, dict):
            return None
        raw = raw.get(key)
    return raw


class RecipeResolver:
    """Resolves every component a recipe names, collecting every problem.

    Args:
        raw: The recipe as interpolated (before validation, so that every section is checked
            even when another one is invalid).
        issues: Where problems are recorded.
        registry: The plugins to resolve names with.
        base_dir: The folder relative paths resolve against.
        source_required: Whether ``data.source`` must be set (not when the data is given in
            Python).

    Attributes:
        filled: The component parameters (and models) automl filled in, once resolved.
    """

    def __init__(
        self,
        *,
        raw: dict[str, Any],
        issues: IssueCollector,
        registry: PluginRegistry,
        base_dir: Path,
        source_required: bool = True,
    ) -> None:
        self.raw = raw
        self.source_required = source_required
        self.issues = issues
        self.registry = registry
        self.base_dir = base_dir
        self.filled: list[FilledDefault] = []
        task = raw.get("task", "auto")
        self.task: Task | None = Task(task) if task in set(Task) else None
        self.components = ComponentLookup(
            issues=issues, registry=registry, base_dir=base_dir, task=self.task, filled=self.filled
        )

    def resolve(self, recipe: Recipe | None) -> dict[str, Any] | None:
        """Resolve every component of the recipe.

        Args:
            recipe: The validated sections, or ``None`` if they did not validate (the
                components are still checked, to report every problem at once).

        Returns:
            The :class:`ResolvedRecipe` fields ``data_source``, ``test_source``, ``metric``,
            ``metrics``, ``models`` and ``deployers``, or ``None`` if a problem was recorded.
        """
        source = self._data_source()
        raw_test = _dig(self.raw, "data", "test_source")
        test_source = None
        if raw_test is not None:
            test_source = self.components.inline(
                ComponentKind.DATA_SOURCE, raw_test, ("data", "test_source")
            )
        metric = self.components.named(ComponentKind.METRIC, self.raw.get("metric"), ("metric",))
        metrics = self._secondary_metrics()
        models = self._models()
        deployers = self._deployers()
        self._check_shared_task(metric, metrics, models)
        if (
            recipe is None
            or (source is None and self.source_required)
            or metrics is None
            or models is None
            or deployers is None
            or (raw_test is not None and test_source is None)
        ):
            return None
        if "metric" in self.raw and metric is None:
            return None
        if metric is None and self.task is not None:
            metric = self._default_metric(self.task)
        elif metric is None:
            self.filled.append(
                FilledDefault(
                    "metric",
                    None,
                    "chosen from the inferred task at run time: "
                    + ", ".join(f"{task}: {name}" for task, name in DEFAULT_METRICS.items()),
                )
            )
        if recipe.models is None:
            models = self._all_models()
        return {
            "data_source": source,
            "test_source": test_source,
            "metric": metric,
            "metrics": tuple(metrics),
            "models": tuple(models),
            "deployers": tuple(deployers),
        }

    def _data_source(self) -> ResolvedComponent | None:
        raw = _dig(self.raw, "data", "source")
        if raw is None:
            if self.source_required and isinstance(self.raw.get("data"), dict):
                self.issues.add(
                    ("data", "source"),
                    "required key is missing: data.source is required unless you pass data= "
                    "in Python (automl.run(recipe, data=frame))",
                )
            return None
        return self.components.inline(ComponentKind.DATA_SOURCE, raw, ("data", "source"))

    def _deployers(self) -> list[ResolvedComponent] | None:
        raw = self.raw.get("deploy", [])
        if not isinstance(raw, list):
            return None
        resolved = [
            self.components.inline(ComponentKind.DEPLOYER, item, ("deploy", i))
            for i, item in enumerate(raw)
        ]
        return (
            None
            if any(item is None for item in resolved)
            else [r for r in resolved if r is not None]
        )

    def _secondary_metrics(self) -> list[Component] | None:
        raw = self.raw.get("metrics", [])
        if not isinstance(raw, list):
            return None
        found: list[Component] = []
        ok = True
        seen: dict[str, int] = {}
        primary = self.raw.get("metric")
        for index, name in enumerate(raw):
            loc: Loc = ("metrics", index)
            if isinstance(name, str) and name in seen:
                self.issues.add(
                    loc, f"metric {name!r} is listed twice (also metrics[{seen[name]}])"
                )
                ok = False
                continue
            if isinstance(name, str):
                seen[name] = index
            if isinstance(name, str) and name == primary:
                self.issues.add(
                    loc, f"{name!r} is already the primary metric; remove it from metrics"
                )
                ok = False
                continue
            component = self.components.lookup(ComponentKind.METRIC, name, loc)
            if component is None:
                ok = False
            else:
                found.append(component)
        return found if ok else None

    def _default_metric(self, task: Task) -> Component | None:
        name = DEFAULT_METRICS[task]
        component = self.components.lookup(ComponentKind.METRIC, name, ("metric",))
        if component is not None:
            self.filled.append(FilledDefault("metric", name, f"the default for {task.value}"))
        return component

    # -- models --------------------------------------------------------------------------------

    def _models(self) -> list[ResolvedModel] | None:
        raw = self.raw.get("models")
        if raw is None:
            return []
        if not isinstance(raw, list):
            return None
        resolved = [self._model(item, index) for index, item in enumerate(raw)]
        names = [m.name for m in resolved if m is not None]
        for name in sorted({n for n in names if names.count(n) > 1}):
            self.issues.add(
                ("models",), f"model {name!r} is listed more than once; list each model once"
            )
            return None
        return None if any(m is None for m in resolved) else [m for m in resolved if m is not None]

    def _model(self, raw: Any, index: int) -> ResolvedModel | None:
        loc: Loc = ("models", index)
        try:
            config = ModelConfig.model_validate(raw)
        except ValidationError:
            return None  # the schema reports it
        component = self.components.lookup(
            ComponentKind.MODEL, config.type, loc if isinstance(raw, str) else (*loc, "type")
        )
        if component is None:
            return None
        params = self.components.validate_params(component, config.params, (*loc, "params"))
        space = check_search_space(
            component,
            config.params,
            config.search_space,
            loc=loc,
            issues=self.issues,
            base_dir=self.base_dir,
        )
        if params is None or space is None:
            return None
        return ResolvedModel(
            component=component, params=params, path=format_loc(loc), search_space=space
        )

    def _all_models(self) -> list[ResolvedModel]:
        fitting = [
            c
            for c in self.registry.components(ComponentKind.MODEL)
            if self.task is None or c.spec.supports(self.task)
        ]
        note = "every installed model" + (
            f" that supports {self.task.value}"
            if self.task
            else " (filtered by the inferred task at run time)"
        )
        self.filled.append(FilledDefault("models", [c.name for c in fitting], note))
        return [
            ResolvedModel(
                component=c, params=c.spec.params.model_validate({}), path=f"models[{c.name}]"
            )
            for c in fitting
        ]

    def _check_shared_task(
        self,
        metric: Component | None,
        metrics: list[Component] | None,
        models: list[ResolvedModel] | None,
    ) -> None:
        """With task auto, the named metrics and models must share at least one task."""
        if self.task is not None:
            return
        named: list[tuple[str, Component]] = []
        if metric is not None:
            named.append(("metric", metric))
        named += [(f"metrics[{i}]", m) for i, m in enumerate(metrics or [])]
        named += [(m.path, m.component) for m in models or []]
        if len(named) < 2:
            return
        shared = set(Task)
        for _, component in named:
            shared &= component.spec.tasks
        if not shared:
            detail = "; ".join(
                f"{path} {c.name!r}: {', '.join(sorted(c.spec.tasks))}" for path, c in named
            )
            self.issues.add(
                ("task",),
                f"the metrics and models named share no task ({detail}); fix the names or set task",
            )
