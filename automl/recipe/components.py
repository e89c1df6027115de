"""Finding the components a recipe names and validating their parameters.

Problems are recorded in an :class:`~automl.recipe.issues.IssueCollector` rather than raised, so
that one error lists them all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from automl.errors import PluginError
from automl.params import Params
from automl.recipe.issues import IssueCollector, Loc, format_loc
from automl.recipe.resolved import FilledDefault, ResolvedComponent
from automl.recipe.schema import ComponentConfig
from automl.registry import Component, PluginRegistry
from automl.specs import ComponentKind
from automl.tasks import Task

__all__ = ["ComponentLookup"]


class ComponentLookup:
    """Finds named components and validates their parameters, recording every problem.

    Args:
        issues: Where problems are recorded.
        registry: The plugins to look names up in.
        base_dir: The folder relative paths resolve against (given to params models).
        task: The recipe's task, or ``None`` for ``auto`` (then any task fits).
        filled: Where the parameters left out are recorded as filled in.
    """

    def __init__(
        self,
        *,
        issues: IssueCollector,
        registry: PluginRegistry,
        base_dir: Path,
        task: Task | None,
        filled: list[FilledDefault],
    ) -> None:
        self.issues = issues
        self.registry = registry
        self.base_dir = base_dir
        self.task = task
        self.filled = filled

    def lookup(self, kind: ComponentKind, name: Any, name_loc: Loc) -> Component | None:
        """The component ``name`` of ``kind``, if installed and fitting the task.

        Args:
            kind: The kind of component.
            name: The name as written (anything else than a string is left to the schema).
            name_loc: Where the name is written, for the problem reported.
        """
        if not isinstance(name, str):
            return None  # the schema reports wrong types
        try:
            component = self.registry.get(kind, name)
        except PluginError:
            self.issues.add(
                name_loc,
                self.registry.unknown_message(kind, name),
                plugin=self.registry.is_plugin_problem(kind, name),
            )
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

    def named(self, kind: ComponentKind, name: Any, loc: Loc) -> Component | None:
        """:meth:`lookup` of a name the recipe may leave out (``None``)."""
        return self.lookup(kind, name, loc) if name is not None else None

    def validate_params(
        self, component: Component, params: dict[str, Any], loc: Loc
    ) -> Params | None:
        """``params`` validated by the component's params model (``None`` after a problem)."""
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

    def inline(self, kind: ComponentKind, raw: Any, loc: Loc) -> ResolvedComponent | None:
        """A component written inline as ``{type: NAME, ...its parameters}``, resolved.

        Args:
            kind: The kind of component.
            raw: The mapping as written.
            loc: Where it is written (``("data", "source")``).
        """
        if not isinstance(raw, dict):
            return None
        try:
            config = ComponentConfig.model_validate(raw)
        except ValidationError:
            return None  # the schema reports it
        component = self.lookup(kind, config.type, (*loc, "type"))
        if component is None:
            return None
        params = self.validate_params(component, config.params, loc)
        if params is None:
            return None
        self.record_param_defaults(params, loc)
        return ResolvedComponent(component=component, params=params, path=format_loc(loc))

    def record_param_defaults(self, params: BaseModel, loc: Loc) -> None:
        """Record the parameters the recipe left out as filled in by automl."""
        for name, field_info in type(params).model_fields.items():
            if name not in params.model_fields_set:
                key = field_info.alias or name  # as written in recipes
                self.filled.append(FilledDefault(format_loc((*loc, key)), getattr(params, name)))
