"""The load and prepare phases: read the sources, type and clean the rows, split them, and pick
the metrics and models that fit the (possibly inferred) task."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from automl.errors import AutomlError, RecipeError, RecipeIssue
from automl.records import Phase, RunSummary
from automl.runner.splits import Split, cv_folds, holdout_split, test_split
from automl.specs import ComponentKind, MetricSpec, Task

if TYPE_CHECKING:
    import pandas as pd

    from automl.data import DataProfile, TrainingTable
    from automl.recipe import ResolvedModel, ResolvedRecipe
    from automl.runner.memory import GivenData
    from automl.search.budget import Budget

__all__ = [
    "Prepared",
    "components_for_task",
    "load_and_prepare",
    "prepare_table",
    "profile_data",
    "read_data",
]

logger = logging.getLogger(__name__)


def read_data(resolved: ResolvedRecipe, source: Any) -> pd.DataFrame:
    """Read one of the recipe's sources (``data.source`` or ``data.test_source``).

    Raises:
        RecipeError: the recipe has no ``data.source`` (its data was to be given in Python).
    """
    from automl.data import read_source

    if source is None:
        message = "data.source is required unless you pass data= in Python"
        raise RecipeError(resolved.source, [RecipeIssue("data.source", message)])

    return read_source(
        source.component,
        source.params,
        base_dir=resolved.base_dir,
        where=source.path,
        scrub=resolved.scrub,
    )


def prepare_table(resolved: ResolvedRecipe, frame: pd.DataFrame) -> TrainingTable:
    """Type and clean the rows the way the recipe says."""
    from automl.data import prepare

    recipe = resolved.recipe
    return prepare(
        frame,
        recipe.data.target,
        recipe.task,
        cv=cv_folds(recipe.search.cv, len(frame)),
        columns=recipe.data.columns,
        drop_duplicates=recipe.data.drop_duplicates,
    )


def profile_data(resolved: ResolvedRecipe) -> DataProfile:
    """The data profile of the recipe's data (what ``automl profile`` shows), without searching."""
    return prepare_table(resolved, read_data(resolved, resolved.data_source)).profile


@dataclass
class Prepared:
    """The prepared data of a run and the components chosen for its task."""

    table: TrainingTable
    split: Split
    metric: MetricSpec
    metrics: list[MetricSpec]
    models: dict[str, ResolvedModel]
    cv: int = 5
    """Folds per trial (``search.cv``, ``auto`` resolved for the data's size)."""
    input_dtypes: dict[str, Any] = field(default_factory=dict)
    """Each feature column's dtype as the source read it, before type conversion: the model
    package declares these types to MLflow."""


def load_and_prepare(
    resolved: ResolvedRecipe,
    summary: RunSummary,
    budget: Budget,
    on_phase: Any,
    on_profile: Any,
    write_profile: Any,
    given: GivenData | None = None,
) -> Prepared:
    """Run the load and prepare phases; fills the summary's task, metrics, models and data.

    Tables ``given`` in Python replace the recipe's sources: no source is read for them.
    """
    from automl.data import fingerprint, with_test_rows
    from automl.runner.memory import GIVEN_IN_PYTHON

    recipe = resolved.recipe

    def read(source: Any) -> Any:
        return read_data(resolved, source)

    on_phase(Phase.LOAD)
    with budget.phase(Phase.LOAD):
        frame = given.frame if given is not None else read(resolved.data_source)
        test_frame = given.test_frame if given is not None else None
        if test_frame is None and resolved.test_source is not None:
            test_frame = read(resolved.test_source)
    on_phase(Phase.PREPARE)
    with budget.phase(Phase.PREPARE):
        table = prepare_table(resolved, frame)
        training_rows = len(table.target)
        if test_frame is not None:
            table = with_test_rows(table, test_frame)
        write_profile(table.profile.to_dict())
        if on_profile is not None:
            on_profile(table.profile)
        metric, metrics, models = components_for_task(resolved, table.task)
        summary.task = table.task.value
        summary.target = table.target_name
        summary.metric = metric.name
        summary.direction = metric.direction
        summary.metrics = [m.name for m in metrics]
        summary.models = list(models)
        summary.data = fingerprint(frame)
        if given is not None:
            summary.data["source"] = GIVEN_IN_PYTHON
        if test_frame is not None:
            summary.data["test_source"] = fingerprint(test_frame)
            split = test_split(training_rows, len(table.target))
        else:
            split = holdout_split(table, recipe.data.holdout, recipe.search.seed)
        cv = cv_folds(recipe.search.cv, len(frame))
        summary.data.update(
            training_rows=len(split.train_rows), holdout_rows=len(split.holdout_rows), cv_folds=cv
        )
        budget.cv = cv
        logger.info("Cross-validation: %d folds per trial (search.cv: %s)", cv, recipe.search.cv)
    input_dtypes = {name: frame[name].dtype for name in table.features.columns if name in frame}
    return Prepared(
        table=table,
        split=split,
        metric=metric,
        metrics=metrics,
        models=models,
        cv=cv,
        input_dtypes=input_dtypes,
    )


def components_for_task(
    resolved: ResolvedRecipe, task: Task
) -> tuple[MetricSpec, list[MetricSpec], dict[str, ResolvedModel]]:
    """The metrics and models for the (possibly inferred) task; errors name recipe paths."""
    from automl.recipe.schema import DEFAULT_METRICS

    issues: list[RecipeIssue] = []
    metric = resolved.metric.spec_as(MetricSpec) if resolved.metric is not None else None
    metrics = [component.spec_as(MetricSpec) for component in resolved.metrics]
    if metric is None:
        try:
            metric = resolved.registry.metric(DEFAULT_METRICS[task])
        except AutomlError as exc:
            issues.append(
                RecipeIssue(
                    "metric", f"no metric given and the default for {task.value} is unusable: {exc}"
                )
            )
    for path, spec in [("metric", metric), *((f"metrics[{i}]", m) for i, m in enumerate(metrics))]:
        if spec is not None and not spec.supports(task):
            issues.append(
                RecipeIssue(
                    path,
                    f"metric {spec.name!r} does not support the {task.value} task inferred from the target; set task or choose another metric",
                )
            )
    models: dict[str, ResolvedModel] = {}
    listed = resolved.recipe.models is not None
    for model in resolved.models:
        if model.spec.supports(task):
            models[model.name] = model
        elif listed:
            issues.append(
                RecipeIssue(
                    model.path,
                    f"model {model.name!r} does not support the {task.value} task inferred from the target",
                )
            )
    if not models and not issues:
        installed = resolved.registry.names(ComponentKind.MODEL)
        issues.append(
            RecipeIssue(
                "models",
                f"no installed model supports {task.value} (installed: {', '.join(installed) or 'none'})",
            )
        )
    if issues or metric is None:
        raise RecipeError(resolved.source, issues)
    ordered = dict(sorted(models.items(), key=lambda item: (item[1].spec.cost, item[0])))
    return metric, metrics, ordered
