"""Loading a recipe: YAML, interpolation, the schema, then component names and parameters.

Every problem is collected before anything is raised, so one :class:`~automl.RecipeError`
lists them all, each with its dotted path and line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from automl.errors import PluginError, RecipeError, RecipeIssue
from automl.recipe.interpolate import interpolate
from automl.recipe.issues import IssueCollector, Loc, format_loc
from automl.recipe.schema import (
    DEFAULT_METRICS,
    ComponentConfig,
    Dimension,
    ModelConfig,
    Recipe,
    RecipeSection,
    dimension_model,
)
from automl.recipe.yamlio import parse_yaml
from automl.registry import Component, PluginRegistry, did_you_mean
from automl.specs import ComponentKind, Params, Task


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
        data_source: The data source and its parameters.
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
    data_source: ResolvedComponent
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

    def scrub(self, text: str) -> str:
        """``text`` with every value that came from the environment replaced by ``***``."""
        for value in sorted(self.secret_values, key=len, reverse=True):
            if len(value) >= 3:
                text = text.replace(value, "***")
        return text

    @property
    def task(self) -> str:
        """The task as written: ``auto``, ``binary``, ``multiclass`` or ``regression``."""
        return self.recipe.task


def load_recipe(
    path: str | os.PathLike[str],
    registry: PluginRegistry | None = None,
    *,
    env: Mapping[str, str] | None = None,
) -> ResolvedRecipe:
    """Load, validate and resolve a recipe file.

    Args:
        path: The YAML file. Relative paths inside it resolve against its folder.
        registry: The plugins to resolve names with; discovered from entry points if omitted.
        env: Variables for ``${VAR}`` interpolation (default: the process environment).

    Raises:
        RecipeError: listing every problem found, each with its path and line.
    """
    file = Path(path)
    source = str(path)
    if not file.exists():
        raise RecipeError(source, [RecipeIssue("", f"file not found: {file.absolute()}")])
    if not file.is_file():
        raise RecipeError(
            source, [RecipeIssue("", f"{file} is not a file; give the path of a YAML recipe")]
        )
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise RecipeError(
            source, [RecipeIssue("", f"not a UTF-8 text file ({exc.reason} at byte {exc.start})")]
        ) from exc
    except OSError as exc:
        raise RecipeError(
            source, [RecipeIssue("", f"cannot read the file: {exc.strerror}")]
        ) from exc
    return parse_recipe(
        text,
        source=source,
        base_dir=file.parent.resolve(),
        default_name=file.stem,
        registry=registry,
        env=env,
    )


def parse_recipe(
    text: str,
    *,
    source: str = "<recipe>",
    base_dir: str | os.PathLike[str] | None = None,
    default_name: str | None = "recipe",
    registry: PluginRegistry | None = None,
    env: Mapping[str, str] | None = None,
) -> ResolvedRecipe:
    """Validate and resolve recipe text (see :func:`load_recipe`).

    Args:
        text: The YAML text.
        source: A label for error messages (usually the file path).
        base_dir: The folder relative paths resolve against (default: the working directory).
        default_name: The recipe name to use when the text sets none.
        registry: The plugins to resolve names with; discovered from entry points if omitted.
        env: Variables for ``${VAR}`` interpolation (default: the process environment).
    """
    try:
        document = parse_yaml(text)
    except ValueError as exc:
        issue = (
            exc.args[0]
            if exc.args and isinstance(exc.args[0], RecipeIssue)
            else RecipeIssue("", str(exc))
        )
        raise RecipeError(source, [issue]) from None
    if document.data is None:
        raise RecipeError(
            source,
            [RecipeIssue("", "the recipe is empty; it needs at least data.source and data.target")],
        )
    if not isinstance(document.data, dict):
        kind = type(document.data).__name__
        raise RecipeError(
            source,
            [
                RecipeIssue(
                    "",
                    f"a recipe is a mapping of keys (name, task, data, ...), but this file holds a {kind}",
                    1,
                )
            ],
        )
    interpolated = interpolate(document.data, os.environ if env is None else env)
    issues = IssueCollector(
        source, document.line_of, interpolated.secret_locs, interpolated.secret_values
    )
    for loc, message in interpolated.issues:
        issues.add_root_cause(loc, message)
    raw: dict[str, Any] = dict(interpolated.data)
    name_filled = "name" not in raw and default_name is not None
    if name_filled:
        raw["name"] = _safe_name(str(default_name))

    recipe: Recipe | None = None
    try:
        recipe = Recipe.model_validate(raw)
    except ValidationError as exc:
        issues.add_validation_error(exc, (), Recipe)

    resolver = _Resolver(
        raw=raw,
        issues=issues,
        registry=registry if registry is not None else PluginRegistry.discover(),
        base_dir=Path(base_dir) if base_dir is not None else Path.cwd(),
    )
    resolved = resolver.resolve(recipe)
    issues.raise_if_any()
    # No issue was collected, so both the sections and the components validated.
    assert recipe is not None
    assert resolved is not None

    defaults = _filled_defaults(recipe, raw, ())
    if name_filled:
        defaults.insert(0, FilledDefault("name", recipe.name, "from the file name"))
    defaults.extend(resolver.filled)
    return ResolvedRecipe(
        recipe=recipe,
        text=text,
        source=source,
        base_dir=resolver.base_dir,
        defaults=tuple(defaults),
        secret_paths=frozenset(format_loc(loc) for loc in interpolated.secret_locs),
        registry=resolver.registry,
        secret_values=frozenset(interpolated.secret_values),
        **resolved,
    )


def _safe_name(stem: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-.") or "recipe"
    return name if name[0].isalnum() else f"r{name}"


def _dig(raw: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(raw, dict):
            return None
        raw = raw.get(key)
    return raw


class _Resolver:
    """Resolves component names and validates their parameters, collecting every problem."""

    def __init__(
        self,
        *,
        raw: dict[str, Any],
        issues: IssueCollector,
        registry: PluginRegistry,
        base_dir: Path,
    ) -> None:
        self.raw = raw
        self.issues = issues
        self.registry = registry
        self.base_dir = base_dir
        self.filled: list[FilledDefault] = []
        task = raw.get("task", "auto")
        self.task: Task | None = Task(task) if task in set(Task) else None

    def resolve(self, recipe: Recipe | None) -> dict[str, Any] | None:
        source = self._data_source()
        raw_test = _dig(self.raw, "data", "test_source")
        test_source = None
        if raw_test is not None:
            test_source = self._inline(ComponentKind.DATA_SOURCE, raw_test, ("data", "test_source"))
        metric = self._named(ComponentKind.METRIC, self.raw.get("metric"), ("metric",))
        metrics = self._secondary_metrics()
        models = self._models()
        deployers = self._deployers()
        self._check_shared_task(metric, metrics, models)
        if (
            recipe is None
            or source is None
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

    # -- single components ---------------------------------------------------------------------

    def _lookup(self, kind: ComponentKind, name: Any, name_loc: Loc) -> Component | None:
        if not isinstance(name, str):
            return None  # the schema reports wrong types
        try:
            component = self.registry.get(kind, name)
        except PluginError:
            self.issues.add(name_loc, self.registry.unknown_message(kind, name))
            return None
        if self.task is not None and not component.spec.supports(self.task):
            fitting = [c.name for c in self.registry.components(kind) if c.spec.supports(self.task)]
            self.issues.add(
                name_loc,
                f"{kind.label} {name!r} does not support task {self.task.value!r} (it supports "
                f"{', '.join(sorted(component.spec.tasks))}). {kind.label.capitalize()}s for "
                f"{self.task.value}: {', '.join(fitting) or 'none installed'}.",
            )
            return None
        return component

    def _named(self, kind: ComponentKind, name: Any, loc: Loc) -> Component | None:
        return self._lookup(kind, name, loc) if name is not None else None

    def _validate_params(
        self, component: Component, params: dict[str, Any], loc: Loc
    ) -> Params | None:
        model = component.spec.params
        try:
            return model.model_validate(params, context={"base_dir": self.base_dir})
        except ValidationError as exc:
            self.issues.add_validation_error(exc, loc, model)
        except Exception as exc:
            self.issues.add(
                loc,
                f"checking the parameters of {component.kind.label} {component.name!r} raised "
                f"{type(exc).__name__}: {exc} (a bug in {component.plugin})",
            )
        return None

    def _inline(self, kind: ComponentKind, raw: Any, loc: Loc) -> ResolvedComponent | None:
        if not isinstance(raw, dict):
            return None
        try:
            config = ComponentConfig.model_validate(raw)
        except ValidationError:
            return None  # the schema reports it
        component = self._lookup(kind, config.type, (*loc, "type"))
        if component is None:
            return None
        params = self._validate_params(component, config.params, loc)
        if params is None:
            return None
        self._record_param_defaults(params, loc)
        return ResolvedComponent(component=component, params=params, path=format_loc(loc))

    def _record_param_defaults(self, params: BaseModel, loc: Loc) -> None:
        for name, field_info in type(params).model_fields.items():
            if name not in params.model_fields_set:
                key = field_info.alias or name  # as written in recipes
                self.filled.append(FilledDefault(format_loc((*loc, key)), getattr(params, name)))

    def _data_source(self) -> ResolvedComponent | None:
        return self._inline(
            ComponentKind.DATA_SOURCE, _dig(self.raw, "data", "source"), ("data", "source")
        )

    def _deployers(self) -> list[ResolvedComponent] | None:
        raw = self.raw.get("deploy", [])
        if not isinstance(raw, list):
            return None
        resolved = [
            self._inline(ComponentKind.DEPLOYER, item, ("deploy", i)) for i, item in enumerate(raw)
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
            component = self._lookup(ComponentKind.METRIC, name, loc)
            if component is None:
                ok = False
            else:
                found.append(component)
        return found if ok else None

    def _default_metric(self, task: Task) -> Component | None:
        name = DEFAULT_METRICS[task.value]
        component = self._lookup(ComponentKind.METRIC, name, ("metric",))
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
        component = self._lookup(
            ComponentKind.MODEL, config.type, loc if isinstance(raw, str) else (*loc, "type")
        )
        if component is None:
            return None
        params = self._validate_params(component, config.params, (*loc, "params"))
        space = self._search_space(component, config, loc)
        if params is None or space is None:
            return None
        return ResolvedModel(
            component=component, params=params, path=format_loc(loc), search_space=space
        )

    def _search_space(
        self, component: Component, config: ModelConfig, loc: Loc
    ) -> dict[str, Dimension] | None:
        model = component.spec.params
        fields = list(model.model_fields)
        space: dict[str, Dimension] = {}
        ok = True
        for key, raw in config.search_space.items():
            key_loc: Loc = (*loc, "search_space", key)
            if key not in model.model_fields:
                self.issues.add(
                    key_loc,
                    f"model {component.name!r} has no parameter {key!r}.{did_you_mean(key, fields)} "
                    f"Parameters: {', '.join(fields) or 'none'}.",
                )
                ok = False
                continue
            if key in config.params:
                self.issues.add(
                    key_loc, f"{key!r} is set in both params and search_space; keep one of them"
                )
                ok = False
                continue
            dimension_cls, normalised = dimension_model(raw)
            try:
                dimension = dimension_cls.model_validate(normalised)
            except ValidationError as exc:
                self.issues.add_validation_error(exc, key_loc, dimension_cls)
                ok = False
                continue
            if not self._values_fit(model, config.params, key, dimension, key_loc):
                ok = False
                continue
            space[key] = dimension  # type: ignore[assignment]
        return space if ok else None

    def _values_fit(
        self,
        model: type[Params],
        params: dict[str, Any],
        key: str,
        dimension: RecipeSection,
        loc: Loc,
    ) -> bool:
        """Check a dimension's values (bounds, choices, the fixed value) against the parameter."""
        values = [
            getattr(dimension, name)
            for name in ("low", "high", "value")
            if hasattr(dimension, name)
        ]
        values += list(getattr(dimension, "choices", []))
        ok = True
        for value in values:
            try:
                model.model_validate({**params, key: value}, context={"base_dir": self.base_dir})
            except ValidationError as exc:
                for detail in exc.errors(include_url=False):
                    if tuple(detail["loc"][:1]) == (key,):
                        message = str(detail["msg"]).removeprefix("Value error, ")
                        self.issues.add(
                            loc, f"{value!r} is not a valid value for {key!r}: {message}"
                        )
                        ok = False
        return ok

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


def _filled_defaults(model: BaseModel, raw: Any, loc: Loc) -> list[FilledDefault]:
    filled: list[FilledDefault] = []
    given = raw if isinstance(raw, dict) else {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        field_loc = (*loc, name)
        if isinstance(value, ComponentConfig | ModelConfig):
            continue  # a component's parameters are listed by the resolver
        if isinstance(value, RecipeSection):
            filled += _filled_defaults(value, given.get(name), field_loc)
        elif field_loc == ("search", "time_budget") and given.get(name) is None:
            note = (
                "no time limit: n_trials bounds the search"
                if value is None
                else "neither time_budget nor n_trials was set"
            )
            filled.append(FilledDefault("search.time_budget", value, note))
        elif name not in given and name not in ("metric", "models", "name"):
            filled.append(FilledDefault(format_loc(field_loc), value))
    return filled
