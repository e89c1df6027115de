"""The Python entry point: :func:`run` takes a recipe in any form a notebook has at hand.

A recipe is a file path, YAML text, a dict or a loaded :class:`~automl.ResolvedRecipe`; the
budget and execution settings are keyword arguments named like the recipe keys, and the data
may be a pandas DataFrame instead of the recipe's source::

    import automl

    result = automl.run("recipes/quickstart.yaml", run_dir="out", n_trials=20, time_budget=60)
    result = automl.run({"task": "binary", "data": {"target": "churned"}}, data=frame)

In Jupyter a live progress display is shown (``progress="auto"``); elsewhere nothing is
printed unless ``progress=True``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from automl.errors import RecipeError, RecipeIssue, UsageError

if TYPE_CHECKING:
    import pandas as pd

    from automl.data import DataProfile
    from automl.recipe import ResolvedRecipe
    from automl.records import Phase
    from automl.registry import PluginRegistry
    from automl.runner import RunResult
    from automl.runner.memory import GivenData
    from automl.search import Budget, SearchProgress

__all__ = ["Progress", "RecipeLike", "load", "run"]

RecipeLike: TypeAlias = "str | os.PathLike[str] | Mapping[str, Any] | ResolvedRecipe"
"""A recipe file's path, recipe YAML text, a recipe as a dict, or a loaded recipe."""

Progress: TypeAlias = "bool | Literal['auto']"
"""Whether to show live progress: ``"auto"`` shows it in Jupyter only."""

DICT_SOURCE = "<recipe dict>"
TEXT_SOURCE = "<recipe text>"
GIVEN_NOTE = "# data: a pandas DataFrame given in Python (automl.run(recipe, data=frame))\n"


def load(
    recipe: RecipeLike,
    registry: PluginRegistry | None = None,
    *,
    source_required: bool = True,
) -> ResolvedRecipe:
    """The recipe loaded and validated, whatever form it came in.

    A ``str`` is YAML text when it spans several lines or starts with ``{``, else a path.
    Relative paths inside YAML text or a dict resolve against the working directory; inside a
    file, against the file's folder.

    Args:
        recipe: The recipe (see :data:`RecipeLike`).
        registry: The plugins; discovered from entry points if omitted.
        source_required: Whether ``data.source`` must be set (not when data is given).

    Raises:
        RecipeError: a missing file, bad YAML, or a recipe that does not validate.
        UsageError: ``recipe`` is none of the accepted forms.
    """
    from automl.recipe import ResolvedRecipe, load_recipe, parse_recipe

    if isinstance(recipe, ResolvedRecipe):
        return recipe
    if isinstance(recipe, str) and ("\n" in recipe or recipe.lstrip().startswith("{")):
        return parse_recipe(
            recipe, source=TEXT_SOURCE, registry=registry, source_required=source_required
        )
    if isinstance(recipe, str | os.PathLike):
        return load_recipe(recipe, registry, source_required=source_required)
    if isinstance(recipe, Mapping):
        return parse_recipe(
            _dict_text(recipe),
            source=DICT_SOURCE,
            registry=registry,
            source_required=source_required,
        )
    raise UsageError(
        "a recipe is a file path, YAML text, a dict or a loaded recipe (automl.load_recipe), "
        f"got {type(recipe).__name__}"
    )


def _dict_text(recipe: Mapping[str, Any]) -> str:
    """The dict as YAML text (what the run directory's ``recipe.yaml`` holds)."""
    import yaml

    try:
        return yaml.safe_dump(_plain(recipe), sort_keys=False, allow_unicode=True)
    except yaml.YAMLError as exc:
        message = f"the dict holds a value a recipe cannot: {exc}; use str, numbers, lists, dicts"
        raise RecipeError(DICT_SOURCE, [RecipeIssue("", message)]) from None


def _plain(value: Any) -> Any:
    """Mappings as dicts and tuples as lists, recursively (``safe_dump`` writes only those)."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value


def run(
    recipe: RecipeLike,
    *,
    run_dir: str | os.PathLike[str] | None = None,
    data: pd.DataFrame | None = None,
    test_data: pd.DataFrame | None = None,
    time_budget: float | None = None,
    n_trials: int | None = None,
    seed: int | None = None,
    backend: str | None = None,
    workers: int | None = None,
    address: str | None = None,
    registry: PluginRegistry | None = None,
    progress: Progress = "auto",
    on_progress: Callable[[SearchProgress], None] | None = None,
    on_phase: Callable[[Phase], None] | None = None,
    on_profile: Callable[[DataProfile], None] | None = None,
    budget: Budget | None = None,
) -> RunResult:
    """Run a recipe end to end: search, refit, package (what ``automl run`` does).

    Args:
        recipe: A recipe file's path, YAML text, a dict, or a loaded recipe.
        run_dir: The run directory (default ``runs/<name>/<timestamp>``); an existing one
            with a study is resumed.
        data: The data as a DataFrame (target column included), read instead of
            ``data.source``, which the recipe may then leave out.
        test_data: A separate test set as a DataFrame (instead of ``data.test_source``).
        time_budget: Overrides ``search.time_budget`` (with ``n_trials``, the whole budget).
        n_trials: Overrides ``search.n_trials``.
        seed: Overrides ``search.seed``.
        backend: Overrides ``execution.backend`` (``local`` or ``ray``).
        workers: Overrides ``execution.workers``.
        address: Overrides ``execution.address`` (implies the Ray backend).
        registry: The plugins; discovered from entry points if omitted.
        progress: Show live progress: ``True``, ``False`` or ``"auto"`` (in Jupyter only).
        on_progress: Called with a :class:`~automl.search.SearchProgress` as the search goes.
        on_phase: Called with each :class:`~automl.Phase` as it starts.
        on_profile: Called with the data profile once the data is prepared.
        budget: The run's budget (by default built from the recipe).

    Returns:
        The run's result; in Jupyter it shows as tables.

    Raises:
        RecipeError: the recipe cannot be used (missing file, bad YAML, invalid keys).
        UsageError: an argument of the wrong kind.
        AutomlError: the run failed (see :func:`automl.runner.run`).
    """
    from automl.runner import make_budget
    from automl.runner import run as run_resolved
    from automl.runner.memory import GivenData, as_frame

    show = _wants_progress(progress)
    if test_data is not None and data is None:
        raise UsageError("test_data= needs data= too (the training data as a DataFrame)")
    resolved = load(recipe, registry, source_required=data is None)
    overrides: dict[str, Any] = {
        "time_budget": time_budget,
        "n_trials": n_trials,
        "seed": seed,
        "backend": backend,
        "workers": workers,
        "address": address,
    }
    if any(value is not None for value in overrides.values()):
        from automl.runner import with_overrides

        resolved = with_overrides(resolved, **overrides, where="arguments of automl.run")
    given = None
    if data is not None:
        test_frame = as_frame(test_data, "test_data") if test_data is not None else None
        given = GivenData(as_frame(data, "data"), test_frame)
        _check_given(resolved, given)
        resolved = dataclasses.replace(resolved, text=GIVEN_NOTE + resolved.text)
    if budget is None:
        budget = make_budget(resolved)
    with _display(show, budget) as shown:
        return run_resolved(
            resolved,
            run_dir=run_dir,
            on_progress=_both(shown.update if shown else None, on_progress),
            on_phase=_both(shown.phase if shown else None, on_phase),
            on_profile=_both(shown.profile if shown else None, on_profile),
            budget=budget,
            data=given,
        )


def _check_given(resolved: ResolvedRecipe, given: GivenData) -> None:
    """A test set given in Python replaces the holdout split: both cannot be asked for."""
    if given.test_frame is not None and "holdout" in resolved.recipe.data.model_fields_set:
        message = (
            "set either data.holdout (a share of the data kept aside) or pass test_data= "
            "(a separate test set), not both"
        )
        raise RecipeError(resolved.source, [RecipeIssue("data.holdout", message)])


def _wants_progress(progress: Any) -> bool:
    if progress == "auto" and not isinstance(progress, bool):
        from automl.notebook import in_notebook

        return in_notebook()
    if isinstance(progress, bool):
        return progress
    raise UsageError(f"progress= is True, False or 'auto', got {progress!r}")


@contextmanager
def _display(show: bool, budget: Budget) -> Iterator[Any]:
    """The live display of ``automl run`` (on standard error), or ``None`` when not shown."""
    if not show:
        yield None
        return
    from automl.cli.console import stderr_console
    from automl.cli.render.progress import RunDisplay

    with RunDisplay(stderr_console(), budget) as display:
        yield display


def _both(first: Callable[[Any], None] | None, second: Callable[[Any], None] | None) -> Any:
    """One callback that calls both (either may be ``None``)."""
    if first is None or second is None:
        return first or second

    def both(value: Any) -> None:
        first(value)
        second(value)

    return both
