"""The search phase: the study (new or resumed), the executor, and the engine run, with every
finished trial recorded in the run directory as it comes."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from automl.leaderboard import Leaderboard
from automl.options import Backend
from automl.records import TrialRecord

if TYPE_CHECKING:
    import numpy as np
    import optuna

    from automl.recipe import ResolvedModel, ResolvedRecipe
    from automl.recipe.schema import SearchSpec
    from automl.rundir import PredictionStore
    from automl.runner.directory import RunFiles
    from automl.runner.preload import Preloader
    from automl.runner.prepare import Prepared
    from automl.search import Executor, SearchModel, SearchProgress, SearchResult
    from automl.search.budget import Budget
    from automl.search.schedule import ModelScheduler

logger = logging.getLogger(__name__)

RESULTS_EVERY_SECONDS = 5.0
"""How often the search rewrites the run's results (trials, leaderboard, counts) as it goes."""

__all__ = ["SearchPhase", "make_executor", "record_results", "run_search", "search_models"]


def make_executor(resolved: ResolvedRecipe) -> Executor:
    """The executor the recipe asks for (not started yet)."""
    from automl.search import LocalExecutor

    execution = resolved.recipe.execution
    workers = None if execution.workers == "auto" else int(execution.workers)
    if execution.backend == Backend.RAY:
        from automl.search.ray_executor import RayExecutor

        specs = {model.name: model.spec for model in resolved.models}
        return RayExecutor(
            address=execution.address,
            workers=workers,
            model_cpus={name: spec.cpus for name, spec in specs.items()},
            model_gpus={name: spec.gpus for name, spec in specs.items()},
        )
    return LocalExecutor(workers=workers or os.cpu_count() or 1)


def search_models(models: dict[str, ResolvedModel]) -> dict[str, SearchModel]:
    """The recipe's models as the search takes them (no recipe types below the runner)."""
    from automl.recipe.dimensions import ChoiceDimension, FixedDimension
    from automl.search import Choice, Fixed, Range, SearchModel

    def dimension(dim: Any) -> Fixed | Choice | Range:
        if isinstance(dim, FixedDimension):
            return Fixed(dim.value)
        if isinstance(dim, ChoiceDimension):
            return Choice(tuple(dim.choices))
        return Range(low=dim.low, high=dim.high, log=dim.log, step=dim.step, integer=dim.integer)

    return {
        name: SearchModel(
            name=name,
            spec=model.spec,
            defaults=model.params.model_dump(),
            fixed=model.params.model_dump(include=model.params.model_fields_set),
            overrides={key: dimension(dim) for key, dim in model.search_space.items()},
        )
        for name, model in models.items()
    }


def _signature(resolved: ResolvedRecipe, prepared: Prepared, data_sha: str) -> dict[str, Any]:
    """What a study's trials mean; a resume with a different signature is refused."""
    search = resolved.recipe.search
    signature: dict[str, Any] = {
        "automl_study": 1,
        "task": prepared.table.task.value,
        "metric": prepared.metric.name,
        "models": sorted(prepared.models),
        "cv": prepared.cv,
        "seed": search.seed,
        "holdout": resolved.recipe.data.holdout,
        "data": data_sha,
        # Fixed parameters and search-space overrides change what a trial means.
        "space": {
            name: {
                "params": model.params.model_dump(
                    mode="json", include=model.params.model_fields_set
                ),
                "search_space": {
                    key: dim.model_dump(mode="json") for key, dim in model.search_space.items()
                },
            }
            for name, model in sorted(prepared.models.items())
        },
    }
    # Flags: a study written before they existed reads them as false, so it resumes as before.
    signature["drop_duplicates"] = resolved.recipe.data.drop_duplicates  # other rows and folds
    signature["grouped_folds"] = prepared.table.groups is not None  # identical rows in one fold
    return signature


def record_results(
    files: RunFiles, study: optuna.Study, metric: str, metrics: list[str]
) -> Leaderboard:
    """Write the leaderboard, the trial records and the counts as the study has them now."""
    from automl.search import records_of, trial_counts

    records = records_of(study)
    direction = "maximize" if study.direction.name == "MAXIMIZE" else "minimize"
    board = Leaderboard.from_records(records, metric, metrics, direction)
    files.summary.trials = trial_counts(study)
    files.write_results(board, records)
    files.write_summary()
    return board


@dataclass
class SearchPhase:
    """How the search phase ended."""

    result: SearchResult
    study: optuna.Study
    resumed: bool


def run_search(
    resolved: ResolvedRecipe,
    files: RunFiles,
    executor: Executor,
    prepared: Prepared,
    budget: Budget,
    store: PredictionStore,
    on_progress: Callable[[SearchProgress], None] | None,
) -> SearchPhase:
    """Open (or resume) the study and search until a budget is spent."""
    from automl.data import category_levels
    from automl.runner.live import live_selection
    from automl.runner.preload import Preloader
    from automl.search import (
        STUDY_NAME,
        LikelyFinals,
        Search,
        SearchData,
        WorkerSetup,
        default_params,
        enqueue_defaults,
        make_pruner,
        make_sampler,
        make_storage,
        open_study,
        plugin_refs,
        recover_unfinished,
    )

    recipe = resolved.recipe
    search = recipe.search
    table, split = prepared.table, prepared.split
    metric, metrics = prepared.metric.name, [m.name for m in prepared.metrics]
    features = table.features.iloc[split.train_rows].reset_index(drop=True)
    from automl.runner.splits import folds

    study, resumed = open_study(
        # In a shared database, runs of one recipe share (and resume) one study.
        study_name=resolved.name if search.storage else STUDY_NAME,
        storage=make_storage(files.layout.journal, search.storage),
        direction=prepared.metric.direction,
        sampler=make_sampler(search.sampler, search.seed),
        pruner=make_pruner(search.pruner, prepared.cv),
        signature=_signature(resolved, prepared, files.summary.data["sha256"]),
        run_dir=files.layout.root,
        kept=("cv",) if search.cv == "auto" else (),  # auto's rule may have changed since
    )
    stored = study.user_attrs.get("cv")
    if resumed and isinstance(stored, int) and stored != prepared.cv:
        logger.info("Cross-validation: %d folds, as when this study started", stored)
        prepared.cv = budget.cv = files.summary.data["cv_folds"] = stored
        study.pruner = make_pruner(search.pruner, stored)
    data = SearchData(
        features=features,
        target=table.target[split.train_rows],
        folds=folds(table, split.train_rows, prepared.cv, search.seed),
        task=table.task,
        classes=table.classes,
        kinds=table.kinds,
        levels=category_levels(features, table.kinds),
        metric=metric,
        metrics=metrics,
        seed=search.seed,
        # Fold reports let the driver prune, and stop a trial that would overrun the deadline.
        prune=search.pruner != "none" or budget.time_budget is not None,
        keep_predictions=store.keep > 0,
    )
    files.activate()  # the study accepted this recipe: the run owns the directory's files now
    store.start(data.target, split.train_rows, split.holdout_rows)
    models = search_models(prepared.models)
    if resumed:
        recover_unfinished(study, shared=bool(search.storage))
        # Optuna does not store the sampler: a resumed study seeded as at its start would
        # propose the first run's configurations again. Seed it by where the study is instead.
        study.sampler = make_sampler(search.sampler, search.seed + len(study.trials))
    scheduler, share = _scheduler(models, budget, prepared, search, data.folds)
    if not resumed:
        enqueue_defaults(study, [default_params(model) for model in models.values()], share)

    maximize = prepared.metric.direction == "maximize"
    preload = Preloader({n: m.spec for n, m in models.items()}, maximize)
    on_trial = _trial_callback(resolved, files, study, budget, preload, (metric, metrics))
    # The reserve follows the ensemble the kept predictions select (its members' refits).
    finals = LikelyFinals(maximize, budget.finals)
    live = live_selection(resolved, prepared, budget, finals, data.folds)

    def on_predictions(record: TrialRecord, oof: np.ndarray) -> None:
        store.add(record.number, record.value, oof, record.model)
        if live is not None:
            live.add(record, oof)
            preload.add(*live.models)  # likely refitted here: import their libraries now

    try:
        left = budget.search_left(())
        if left is None or left > 0.0:  # with no time left, start no worker
            executor.start(
                WorkerSetup(data=data, plugins=plugin_refs(resolved.registry), models=list(models))
            )
        result = Search(
            study=study,
            executor=executor,
            models=models,
            task=table.task,
            metric=metric,
            metrics=metrics,
            budget=budget,
            deterministic=recipe.execution.deterministic,
            on_progress=on_progress,
            on_trial=on_trial,
            on_predictions=on_predictions,
            scheduler=scheduler,
            folds=prepared.cv,
            finals=finals,
        ).run()
    except BaseException:
        # Interrupted or failed: what finished so far stays visible (leaderboard, counts).
        record_results(files, study, metric, metrics)
        raise
    finally:
        executor.close()
        preload.wait()  # before any refit: none may overlap a warm-up
    return SearchPhase(result=result, study=study, resumed=resumed)


def _trial_callback(
    resolved: ResolvedRecipe,
    files: RunFiles,
    study: optuna.Study,
    budget: Budget,
    preload: Preloader,
    scoring: tuple[str, list[str]],
) -> Callable[[TrialRecord], None]:
    """What the driver does as each trial ends: the plugins' ``after_trial`` hook, the results
    files kept current, and the best trial's model library imported for its refit."""
    written = budget.clock()

    def on_trial(record: TrialRecord) -> None:
        nonlocal written
        preload.observe(record)  # the best trial so far is refitted here: import its library
        resolved.registry.after_trial(recipe=resolved, trial=record)
        # Keep trials.json, the leaderboard and the counts current while the search runs, so
        # `automl runs`, `open_run` and `leaderboard --failed` see a live run, not an empty one.
        if budget.clock() - written >= RESULTS_EVERY_SECONDS:
            record_results(files, study, *scoring)
            written = budget.clock()

    return on_trial


def _scheduler(
    models: Mapping[str, SearchModel],
    budget: Budget,
    prepared: Prepared,
    search: SearchSpec,
    folds: Sequence[tuple[np.ndarray, np.ndarray]],
) -> tuple[ModelScheduler | None, float | None]:
    """The time-aware choice of each trial's model, for a search bounded by time alone (a
    trial budget keeps the sampler's choice, so that it repeats exactly), and the share of the
    rows the first trials fit on (``None``: all)."""
    from automl.runner.splits import warmup_fraction
    from automl.search import default_params
    from automl.search.schedule import ModelScheduler

    if budget.n_trials is not None or budget.time_budget is None or len(models) < 2:
        return None, None
    share = warmup_fraction(search.warmup_rows, folds)
    scheduler = ModelScheduler(
        {name: model.spec.cost for name, model in models.items()},
        maximize=prepared.metric.direction == "maximize",
        seed=search.seed,
        defaults=None if share is None else {n: default_params(m) for n, m in models.items()},
    )
    return scheduler, share
