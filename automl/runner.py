"""A whole run: recipe → data → search → leaderboard → refit → holdout score → model package.

:func:`run` is what ``automl run`` calls. Everything lands in the run directory::

    recipe.yaml        the recipe as written (``${VAR}`` references, not their values)
    run.json           status, versions, seed, data fingerprint, timings, best trial, holdout
    run.log            the log of the run
    study.journal      the Optuna study (resumable)
    leaderboard.csv    one row per completed trial, ranked; also leaderboard.json
    model/             the packaged best model

Running again into the same run directory resumes the study: finished trials are kept and
count toward ``search.n_trials``; trials cut short are run again.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import logging
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from automl.errors import AutomlError, ExecutorError, RecipeError, RecipeIssue, UsageError
from automl.leaderboard import Leaderboard, write_text_atomic
from automl.search.engine import SearchProgress, most_common_failure, trial_counts
from automl.specs import ComponentKind, Task

if TYPE_CHECKING:
    from automl.data.prepare import DataProfile, TrainingTable
    from automl.recipe import ResolvedModel, ResolvedRecipe

logger = logging.getLogger(__name__)

RUN_FILE = "run.json"
LOCK_FILE = ".automl.lock"
JOURNAL_FILE = "study.journal"
PROFILE_FILE = "profile.json"
PACKAGE_SECONDS = 1.5
"""Time kept before the deadline for writing the package and the leaderboard."""
VERSIONED = (
    "automl",
    "optuna",
    "scikit-learn",
    "pandas",
    "numpy",
    "pluggy",
    "lightgbm",
    "torch",
    "ray",
)
REFERENCE_ROWS = 1000


@dataclass
class RunResult:
    """What a finished run produced."""

    run_dir: Path
    summary: dict[str, Any]
    leaderboard: Leaderboard
    resumed: bool = False
    stopped_by: str = ""
    timings: dict[str, float] = field(default_factory=dict)


PhaseCallback = Callable[[str], None]


def default_run_dir(name: str, root: Path | None = None) -> Path:
    """A new ``runs/<name>/<timestamp>`` under ``root`` (the working directory by default).

    A suffix (``-2``, ``-3``...) keeps two runs started within the same second apart.
    """
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = (root or Path.cwd()) / "runs" / name / stamp
    candidate, number = base, 1
    while candidate.exists():
        number += 1
        candidate = base.with_name(f"{stamp}-{number}")
    return candidate


class _RunLock:
    """One driver per run directory: a second ``automl run`` into it is refused, not mixed in."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / LOCK_FILE
        self.handle: Any = None

    def __enter__(self) -> _RunLock:
        import fcntl

        self.handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(self.handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.handle.seek(0)
            owner = self.handle.read().strip() or "another process"
            self.handle.close()
            raise UsageError(
                f"the run directory {self.path.parent} is in use by another automl run ({owner}); "
                "wait for it to finish, or choose another --run-dir"
            ) from None
        self.handle.seek(0)
        self.handle.truncate()
        self.handle.write(f"pid {os.getpid()}\n")
        self.handle.flush()
        return self

    def __exit__(self, *exc: object) -> None:
        import fcntl

        fcntl.flock(self.handle.fileno(), fcntl.LOCK_UN)
        self.handle.close()


class _RunFiles:
    """``recipe.yaml``, ``run.json`` and ``profile.json`` of a run.

    A resumed run leaves the files of the earlier run untouched until its study has been
    opened and found compatible (:meth:`activate`), so a refused resume changes nothing.
    """

    def __init__(
        self, directory: Path, resolved: ResolvedRecipe, summary: dict[str, Any], *, resuming: bool
    ) -> None:
        self.directory = directory
        self.resolved = resolved
        self.summary = summary
        self.active = False
        self.profile: dict[str, Any] | None = None
        if not resuming:
            self.activate()

    def activate(self) -> None:
        """The run owns the directory's files from now on: write them."""
        if self.active:
            return
        self.active = True
        write_text_atomic(self.directory / "recipe.yaml", self.resolved.text)
        self.write_summary()
        if self.profile is not None:
            self.write_profile(self.profile)

    def write_summary(self) -> None:
        if self.active:
            write_text_atomic(
                self.directory / RUN_FILE, json.dumps(self.summary, indent=2, default=str) + "\n"
            )

    def write_profile(self, profile: dict[str, Any]) -> None:
        self.profile = profile
        if self.active:
            write_text_atomic(
                self.directory / PROFILE_FILE, json.dumps(profile, indent=2, default=str) + "\n"
            )

    def finish(self, started: float, status: str | None = None, message: str | None = None) -> None:
        if status is not None:
            self.summary["status"] = status
        if message is not None:
            self.summary["message"] = message
        self.summary["timings"]["total"] = round(time.monotonic() - started, 3)
        self.summary["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        self.write_summary()


def with_overrides(
    resolved: ResolvedRecipe,
    *,
    time_budget: float | None = None,
    n_trials: int | None = None,
    seed: int | None = None,
    backend: str | None = None,
    workers: int | None = None,
    address: str | None = None,
) -> ResolvedRecipe:
    """The recipe with command-line overrides applied (validated like the recipe itself).

    A budget given here (``time_budget`` or ``n_trials``) replaces the recipe's budget as a
    whole; an ``address`` implies the Ray backend.
    """
    import dataclasses

    from pydantic import ValidationError

    from automl.recipe.issues import IssueCollector
    from automl.recipe.schema import ExecutionSpec, SearchSpec

    recipe = resolved.recipe
    search = recipe.search.model_dump(include=recipe.search.model_fields_set)
    if time_budget is not None or n_trials is not None:
        search.pop("time_budget", None)
        search.pop("n_trials", None)
    updates = {"time_budget": time_budget, "n_trials": n_trials, "seed": seed}
    search.update({key: value for key, value in updates.items() if value is not None})
    execution = recipe.execution.model_dump(include=recipe.execution.model_fields_set)
    if address is not None and backend is None:
        backend = "ray"
    changes = {"backend": backend, "workers": workers, "address": address}
    execution.update({key: value for key, value in changes.items() if value is not None})
    issues = IssueCollector("command line")
    try:
        new_search = SearchSpec.model_validate(search)
    except ValidationError as exc:
        issues.add_validation_error(exc, ("search",), SearchSpec)
    try:
        new_execution = ExecutionSpec.model_validate(execution)
    except ValidationError as exc:
        issues.add_validation_error(exc, ("execution",), ExecutionSpec)
    issues.raise_if_any()
    new_recipe = recipe.model_copy(update={"search": new_search, "execution": new_execution})
    return dataclasses.replace(resolved, recipe=new_recipe)


def versions() -> dict[str, str | None]:
    """Versions of Python and the key libraries (without importing them)."""
    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found


class _RunLog:
    """Copies the ``automl`` logger into ``run.log`` for the duration of the run."""

    def __init__(self, path: Path) -> None:
        self.handler = logging.FileHandler(path, encoding="utf-8")
        self.handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
        self.handler.setLevel(logging.INFO)
        self.logger = logging.getLogger("automl")
        self.level = self.logger.level

    def __enter__(self) -> _RunLog:
        self.logger.addHandler(self.handler)
        if self.logger.getEffectiveLevel() > logging.INFO:
            self.logger.setLevel(logging.INFO)
        return self

    def __exit__(self, *exc: object) -> None:
        self.logger.removeHandler(self.handler)
        self.logger.setLevel(self.level)
        self.handler.close()


def run(
    resolved: ResolvedRecipe,
    *,
    run_dir: str | os.PathLike[str] | None = None,
    on_progress: Callable[[SearchProgress], None] | None = None,
    on_phase: PhaseCallback | None = None,
    on_profile: Callable[[DataProfile], None] | None = None,
) -> RunResult:
    """Run a validated recipe end to end (see the module docstring for what is written).

    Args:
        resolved: The recipe (see :func:`automl.load_recipe`; apply :func:`with_overrides` for
            command-line budgets).
        run_dir: The run directory; an existing one with a study is resumed.
        on_progress: Called with a :class:`SearchProgress` whenever the search changes.
        on_phase: Called with the name of each phase as it starts.
        on_profile: Called with the data profile once the data is prepared.

    Raises:
        AutomlError: bad data, plugins, or a search in which every trial failed; ``run.json``
            then says ``failed`` with the message.
        KeyboardInterrupt: the run was stopped; ``run.json`` says ``interrupted`` and
            running the same recipe into the same run directory resumes.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # automl reports trials itself
    started = time.monotonic()
    budget = resolved.recipe.search.time_budget
    deadline = started + budget if budget is not None else None
    directory = Path(run_dir) if run_dir is not None else default_run_dir(resolved.name)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"cannot create the run directory {directory}: {exc.strerror or exc}"
        ) from None
    summary: dict[str, Any] = {
        "status": "running",
        "recipe": resolved.name,
        "recipe_file": resolved.source,
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "seed": resolved.recipe.search.seed,
        "versions": versions(),
        "timings": {},
    }
    with _RunLock(directory), _RunLog(directory / "run.log"):
        files = _RunFiles(
            directory, resolved, summary, resuming=(directory / JOURNAL_FILE).exists()
        )
        logger.info("Run %r into %s", resolved.name, directory)
        try:
            result = _run(
                resolved,
                directory,
                files,
                started,
                deadline,
                on_progress,
                on_phase or (lambda _: None),
                on_profile,
            )
        except KeyboardInterrupt:
            files.finish(
                started,
                "interrupted",
                "stopped by Ctrl-C or SIGTERM; run again with the same run directory to resume",
            )
            raise
        except AutomlError as exc:
            files.finish(started, "failed", str(exc))
            raise
        except Exception as exc:
            files.finish(
                started, "failed", f"unexpected error (a bug): {type(exc).__name__}: {exc}"
            )
            raise
        files.finish(started)
        resolved.registry.after_run(recipe=resolved, run_dir=directory, summary=summary)
    return result


class _Phase:
    def __init__(self, name: str, summary: dict[str, Any], on_phase: PhaseCallback) -> None:
        self.name = name
        self.summary = summary
        on_phase(name)

    def __enter__(self) -> None:
        self.started = time.monotonic()

    def __exit__(self, *exc: object) -> None:
        self.summary["timings"][self.name] = round(time.monotonic() - self.started, 3)


def _run(
    resolved: ResolvedRecipe,
    directory: Path,
    files: _RunFiles,
    started: float,
    deadline: float | None,
    on_progress: Callable[[SearchProgress], None] | None,
    on_phase: PhaseCallback,
    on_profile: Callable[[DataProfile], None] | None = None,
) -> RunResult:
    from automl.data.load import fingerprint, load_frame
    from automl.data.prepare import prepare, with_test_rows

    recipe = resolved.recipe
    summary = files.summary
    executor = _executor(resolved)  # fail fast on a backend that cannot work, before loading data
    resolved.registry.before_run(recipe=resolved, run_dir=directory)
    with _Phase("load", summary, on_phase):
        frame = load_frame(resolved)
        test_frame = load_frame(resolved, test=True) if resolved.test_source is not None else None
    with _Phase("prepare", summary, on_phase):
        table = prepare(
            frame, recipe.data.target, recipe.task, cv=recipe.search.cv, columns=recipe.data.columns
        )
        training_rows = len(table.target)
        if test_frame is not None:
            table = with_test_rows(table, test_frame)
        files.write_profile(table.profile.to_dict())
        if on_profile is not None:
            on_profile(table.profile)
        metric, metrics, models = _components_for_task(resolved, table.task)
        summary.update(
            task=table.task.value,
            target=table.target_name,
            metric=metric.name,
            direction=metric.spec.direction,
            metrics=[m.name for m in metrics],
            models=list(models),
            data=fingerprint(frame),
        )
        if test_frame is not None:
            summary["data"]["test_source"] = fingerprint(test_frame)
            split = _Split(
                train_rows=_arange(0, training_rows),
                holdout_rows=_arange(training_rows, len(table.target)),
            )
        else:
            split = _split(table, recipe.data.holdout, recipe.search.seed)
        summary["data"].update(
            training_rows=len(split.train_rows), holdout_rows=len(split.holdout_rows)
        )
    files.write_summary()
    names = [m.name for m in metrics]
    with _Phase("search", summary, on_phase):
        search_result, study, resumed = _search(
            resolved,
            files,
            executor,
            table,
            split,
            metric.name,
            names,
            models,
            started,
            deadline,
            on_progress,
        )
    leaderboard = _record_search(files, study, metric.name, names, search_result.progress)
    summary["stopped_by"] = search_result.stopped_by
    summary["resumed"] = resumed
    if leaderboard.best is None:
        raise _no_trial_error(search_result.failures, search_result.stopped_by)
    with _Phase("refit", summary, on_phase):
        refit = _refit_best(resolved, table, split, leaderboard, models, metric.name, metrics)
    best_row = refit.row
    leaderboard.set_holdout(best_row["trial"], refit.holdout)
    summary["best_trial"] = {
        "number": best_row["trial"],
        "model": best_row["model"],
        "params": best_row["params"],
        "cv_mean": best_row[f"{metric.name}_mean"],
        "cv_std": best_row[f"{metric.name}_std"],
    }
    summary["holdout"] = refit.holdout or None
    with _Phase("package", summary, on_phase):
        leaderboard.write(directory)
        _package(directory, refit.pipeline, table, split, summary)
    summary["model_dir"] = str(directory / "model")
    if resolved.deployers:
        with _Phase("deploy", summary, on_phase):
            summary["deployments"] = _deploy(resolved, directory / "model")
    summary["status"] = "finished"
    return RunResult(
        run_dir=directory,
        summary=summary,
        leaderboard=leaderboard,
        resumed=resumed,
        stopped_by=search_result.stopped_by,
        timings=summary["timings"],
    )


def _record_search(
    files: _RunFiles, study: Any, metric: str, metrics: list[str], progress: SearchProgress
) -> Leaderboard:
    """Write the leaderboard and the trial counts as the study has them now."""
    leaderboard = Leaderboard.from_study(study, metric, metrics)
    files.summary["trials"] = {
        "complete": progress.complete,
        "pruned": progress.pruned,
        "failed": progress.failed,
        "finished": progress.finished,
    }
    leaderboard.write(files.directory)
    files.write_summary()
    return leaderboard


def _deploy(resolved: ResolvedRecipe, package_dir: Path) -> list[dict[str, Any]]:
    """Run the recipe's deployers on the package; a failing deployer is recorded, not fatal."""
    results = []
    for deployer in resolved.deployers:
        entry: dict[str, Any] = {"type": deployer.name, "path": deployer.path}
        try:
            entry["location"] = str(deployer.component.spec.factory(package_dir, deployer.params))
            logger.info("Deployed with %s to %s", deployer.name, entry["location"])
        except Exception as exc:
            entry["error"] = resolved.scrub(f"{type(exc).__name__}: {exc}")
            logger.warning(
                "Deployer %s (%s) failed: %s", deployer.name, deployer.path, entry["error"]
            )
        results.append(entry)
    return results


def _components_for_task(
    resolved: ResolvedRecipe, task: Task
) -> tuple[Any, list[Any], dict[str, ResolvedModel]]:
    """The metrics and models for the (possibly inferred) task; errors name recipe paths."""
    from automl.recipe.schema import DEFAULT_METRICS

    issues: list[RecipeIssue] = []
    metric = resolved.metric
    if metric is None:
        try:
            metric = resolved.registry.get(ComponentKind.METRIC, DEFAULT_METRICS[task.value])
        except AutomlError as exc:
            issues.append(
                RecipeIssue(
                    "metric", f"no metric given and the default for {task.value} is unusable: {exc}"
                )
            )
    for path, component in [
        ("metric", metric),
        *((f"metrics[{i}]", m) for i, m in enumerate(resolved.metrics)),
    ]:
        if component is not None and not component.spec.supports(task):
            issues.append(
                RecipeIssue(
                    path,
                    f"metric {component.name!r} does not support the {task.value} task inferred from the target; set task or choose another metric",
                )
            )
    models: dict[str, ResolvedModel] = {}
    listed = resolved.recipe.models is not None
    for model in resolved.models:
        if model.component.spec.supports(task):
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
    if issues:
        raise RecipeError(resolved.source, issues)
    ordered = dict(sorted(models.items(), key=lambda item: (item[1].component.spec.cost, item[0])))
    return metric, list(resolved.metrics), ordered


def _arange(start: int, stop: int) -> Any:
    import numpy as np

    return np.arange(start, stop)


@dataclass
class _Split:
    train_rows: Any
    holdout_rows: Any
    folds: list[tuple[Any, Any]] = field(default_factory=list)


def _split(table: TrainingTable, holdout: float, seed: int) -> _Split:
    import numpy as np
    from sklearn.model_selection import train_test_split

    indices = np.arange(len(table.target))
    if holdout <= 0:
        return _Split(train_rows=indices, holdout_rows=indices[:0])
    stratify = table.target if table.task is not Task.REGRESSION else None
    try:
        train, test = train_test_split(
            indices, test_size=holdout, random_state=seed, stratify=stratify
        )
    except ValueError as exc:
        from automl.errors import DataError

        raise DataError(f"cannot keep a {holdout:.0%} holdout (data.holdout): {exc}") from exc
    return _Split(train_rows=np.sort(train), holdout_rows=np.sort(test))


def _folds(table: TrainingTable, train_rows: Any, cv: int, seed: int) -> list[tuple[Any, Any]]:
    from sklearn.model_selection import KFold, StratifiedKFold

    target = table.target[train_rows]
    if table.task is Task.REGRESSION:
        splitter: Any = KFold(n_splits=cv, shuffle=True, random_state=seed)
    else:
        counts = {label: int((target == label).sum()) for label in table.classes or []}
        smallest = min(counts.values())
        if smallest < cv:
            from automl.errors import DataError

            raise DataError(
                f"after keeping the holdout, a class has {smallest} training rows, fewer than the "
                f"{cv} cross-validation folds (search.cv); lower search.cv or data.holdout"
            )
        splitter = StratifiedKFold(n_splits=cv, shuffle=True, random_state=seed)
    return list(splitter.split(train_rows, target))


def _search(
    resolved: ResolvedRecipe,
    files: _RunFiles,
    executor: Any,
    table: TrainingTable,
    split: _Split,
    metric: str,
    metrics: list[str],
    models: dict[str, ResolvedModel],
    started: float,
    deadline: float | None,
    on_progress: Callable[[SearchProgress], None] | None,
) -> tuple[Any, Any, bool]:
    from automl.data.preprocess import category_levels
    from automl.search.engine import Search
    from automl.search.space import default_params
    from automl.search.study import (
        STUDY_NAME,
        enqueue_defaults,
        make_pruner,
        make_sampler,
        make_storage,
        open_study,
        recover_unfinished,
    )
    from automl.search.trial import SearchData
    from automl.search.workers import WorkerSetup, plugin_refs

    recipe = resolved.recipe
    search = recipe.search
    directory = files.directory
    summary = files.summary
    features = table.features.iloc[split.train_rows].reset_index(drop=True)
    kinds = table.kinds
    folds = _folds(table, split.train_rows, search.cv, search.seed)
    data = SearchData(
        features=features,
        target=table.target[split.train_rows],
        folds=folds,
        task=table.task,
        classes=table.classes,
        kinds=kinds,
        levels=category_levels(features, kinds),
        metric=metric,
        metrics=metrics,
        seed=search.seed,
        prune=search.pruner != "none",
    )
    direction = resolved.registry.get(ComponentKind.METRIC, metric).spec.direction
    signature = {
        "automl_study": 1,
        "task": table.task.value,
        "metric": metric,
        "models": sorted(models),
        "cv": search.cv,
        "seed": search.seed,
        "holdout": recipe.data.holdout,
        "data": summary["data"]["sha256"],
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
            for name, model in sorted(models.items())
        },
    }
    storage = make_storage(directory, search.storage)
    study, resumed = open_study(
        # In a shared database, runs of one recipe share (and resume) one study.
        study_name=resolved.name if search.storage else STUDY_NAME,
        storage=storage,
        direction=direction,
        sampler=make_sampler(search.sampler, search.seed),
        pruner=make_pruner(search.pruner, search.cv),
        signature=signature,
        run_dir=directory,
    )
    files.activate()  # the study accepted this recipe: the run owns the directory's files now
    if resumed:
        recover_unfinished(study, shared=bool(search.storage))
    else:
        enqueue_defaults(study, [default_params(model) for model in models.values()])

    def reserve(best_fit_time: float | None) -> float:
        # Refitting on every training row takes about cv/(cv-1) folds' time, and writing the
        # package grows with the model; keep a generous margin (a busy machine is slower).
        if best_fit_time is None:
            return PACKAGE_SECONDS + 1.0
        refit = best_fit_time * search.cv / (search.cv - 1)
        return PACKAGE_SECONDS + 0.5 * best_fit_time + 2.0 * refit

    def on_trial(record: dict[str, Any]) -> None:
        resolved.registry.after_trial(recipe=resolved, trial=record)

    try:
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
            n_trials=search.n_trials,
            deadline=deadline,
            reserve=reserve,
            started=started,
            deterministic=recipe.execution.deterministic,
            on_progress=on_progress,
            on_trial=on_trial,
        ).run()
    except BaseException:
        # Interrupted or failed: what finished so far stays visible (leaderboard, counts).
        _record_search(files, study, metric, metrics, trial_counts(study))
        raise
    finally:
        executor.close()
    return result, study, resumed


def _executor(resolved: ResolvedRecipe) -> Any:
    """The executor the recipe asks for (not started yet)."""
    from automl.search.executor import LocalExecutor

    execution = resolved.recipe.execution
    workers = None if execution.workers == "auto" else int(execution.workers)
    if execution.backend == "ray":
        from automl.search.ray_executor import RayExecutor

        specs = {model.name: model.component.spec for model in resolved.models}
        return RayExecutor(
            address=execution.address,
            workers=workers,
            model_cpus={name: spec.cpus for name, spec in specs.items()},
            model_gpus={name: spec.gpus for name, spec in specs.items()},
        )
    return LocalExecutor(workers=workers or os.cpu_count() or 1)


@dataclass
class _Refit:
    row: dict[str, Any]
    pipeline: Any
    holdout: dict[str, float]


def _refit_best(
    resolved: ResolvedRecipe,
    table: TrainingTable,
    split: _Split,
    leaderboard: Leaderboard,
    models: dict[str, ResolvedModel],
    metric: str,
    metrics: list[Any],
) -> _Refit:
    """Refit the best trial on every training row and score it once on the holdout.

    When the best configuration fails to refit, the next one on the leaderboard is used.
    """
    from automl.data.preprocess import build_pipeline, category_levels
    from automl.search.trial import predict_for_metrics

    features = table.features.iloc[split.train_rows]
    target = table.target[split.train_rows]
    kinds = table.kinds
    levels = category_levels(features, kinds)
    metric_specs = {
        m.name: m.spec for m in [resolved.registry.get(ComponentKind.METRIC, metric), *metrics]
    }
    errors = []
    for row in leaderboard.rows[:3]:
        spec = models[row["model"]].component.spec
        holdout: dict[str, float] = {}
        try:
            params = spec.params.model_validate(row["params"])
            estimator = spec.factory(params, task=table.task, seed=resolved.recipe.search.seed)
            pipeline = build_pipeline(estimator, kinds, levels, scale=spec.needs_scaling)
            pipeline.fit(features, target)
            if len(split.holdout_rows):
                rows = table.features.iloc[split.holdout_rows]
                truth = table.target[split.holdout_rows]
                predictions = predict_for_metrics(
                    pipeline, rows, table.task, table.classes, metric_specs.values()
                )
                for name, metric_spec in metric_specs.items():
                    y_pred = (
                        predictions["proba"] if metric_spec.needs_proba else predictions["label"]
                    )
                    holdout[name] = float(metric_spec.factory(truth, y_pred, labels=table.classes))
        except Exception as exc:  # a model that fails here is passed over for the next best
            logger.warning(
                "Refitting or scoring trial %d (%s) failed: %s", row["trial"], row["model"], exc
            )
            errors.append(f"trial {row['trial']}: {type(exc).__name__}: {exc}")
            continue
        return _Refit(row=row, pipeline=pipeline, holdout=holdout)
    raise ExecutorError(
        "refitting the best trials on all training rows failed: " + "; ".join(errors)
    )


def _package(
    directory: Path, pipeline: Any, table: TrainingTable, split: _Split, summary: dict[str, Any]
) -> None:
    from automl.package import package_digest, write_package

    features = table.features.iloc[split.train_rows]
    reference = features.copy()
    reference[table.target_name] = table.target[split.train_rows]
    if len(reference) > REFERENCE_ROWS:
        reference = reference.sample(n=REFERENCE_ROWS, random_state=summary["seed"])
    metadata = {
        key: summary.get(key)
        for key in (
            "recipe",
            "task",
            "target",
            "metric",
            "direction",
            "metrics",
            "seed",
            "versions",
            "data",
        )
    }
    metadata.update(best_trial=summary.get("best_trial"), holdout=summary.get("holdout"))
    write_package(
        directory / "model",
        pipeline=pipeline,
        task=table.task.value,
        target=table.target_name,
        classes=table.classes,
        input_example=features.head(5),
        reference_sample=reference.reset_index(drop=True),
        metadata=metadata,
    )
    # One value that pins the whole package: `automl.load_model(path, expected_digest=...)`.
    summary["model_sha256"] = package_digest(directory / "model")


def _no_trial_error(failures: list[str], stopped_by: str) -> AutomlError:
    if failures:
        reason, count = most_common_failure(failures)
        return ExecutorError(
            f"every trial failed ({len(failures)} trials); the most common reason ({count} of them): {reason}"
        )
    if stopped_by == "time_budget":
        return ExecutorError(
            "no trial finished within the time budget (search.time_budget); give the run more time"
        )
    return ExecutorError("no trial completed; nothing to package")
