"""Loading a recipe: YAML, interpolation, the schema, then component names and parameters.

Every problem is collected before anything is raised, so one :class:`~automl.RecipeError`
lists them all, each with its dotted path and line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from automl.errors import RecipeError, RecipeIssue
from automl.recipe.interpolate import interpolate
from automl.recipe.issues import IssueCollector, Loc, format_loc
from automl.recipe.resolve import RecipeResolver
from automl.recipe.resolved import FilledDefault, ResolvedRecipe
from automl.recipe.schema import ComponentConfig, ModelConfig, Recipe
from automl.recipe.section import RecipeSection
from automl.recipe.yamlio import parse_yaml
from automl.registry import PluginRegistry

__all__ = ["load_recipe", "parse_recipe"]


def load_recipe(
    path: str | os.PathLike[str],
    registry: PluginRegistry | None = None,
    *,
    env: Mapping[str, str] | None = None,
    source_required: bool = True,
) -> ResolvedRecipe:
    """Load, validate and resolve a recipe file.

    Args:
        path: The YAML file. Relative paths inside it resolve against its folder.
        registry: The plugins to resolve names with; discovered from entry points if omitted.
        env: Variables for ``${VAR}`` interpolation (default: the process environment).
        source_required: Whether ``data.source`` must be set (see :func:`parse_recipe`).

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
        source_required=source_required,
    )


def parse_recipe(
    text: str,
    *,
    source: str = "<recipe>",
    base_dir: str | os.PathLike[str] | None = None,
    default_name: str | None = "recipe",
    registry: PluginRegistry | None = None,
    env: Mapping[str, str] | None = None,
    source_required: bool = True,
) -> ResolvedRecipe:
    """Validate and resolve recipe text (see :func:`load_recipe`).

    Args:
        text: The YAML text.
        source: A label for error messages (usually the file path).
        base_dir: The folder relative paths resolve against (default: the working directory).
        default_name: The recipe name to use when the text sets none.
        registry: The plugins to resolve names with; discovered from entry points if omitted.
        env: Variables for ``${VAR}`` interpolation (default: the process environment).
        source_required: Whether ``data.source`` must be set; off when the data is given in
            Python (``automl.run(recipe, data=frame)``).
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

    resolver = RecipeResolver(
        raw=raw,
        issues=issues,
        registry=registry if registry is not None else PluginRegistry.discover(),
        base_dir=Path(base_dir) if base_dir is not None else Path.cwd(),
        source_required=source_required,
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
        elif name not in given and name not in ("metric", "models", "name", "source"):
            filled.append(FilledDefault(format_loc(field_loc), value))
    return filled
