"""Search overhead: trials per second of automl's engine versus a bare Optuna loop.

Both sides run the same number of trials of the same cheap model on the same data, with the
same k-fold cross-validation, the same preprocessing pipeline, the same metric, the same search
space and the same sampler seed, so they evaluate the same configurations (checked: the script
compares every trial's parameters and CV score).

- **engine**: :func:`automl.run` on a recipe built here, i.e. its real code path: the study
  in a journal file in the run directory, one forkserver worker process
  (``execution.workers: 1``) and ``search.pruner: none``, so that every trial runs every
  fold (with no pruner the worker sends no per-fold reports; the driver records each fold's
  running mean in the study when the trial ends).
- **bare**: an in-memory Optuna study in this process driven with ``study.ask()`` /
  ``study.tell()`` (or ``study.optimize``, ``--bare-mode optimize``), each trial doing the
  engine's per-trial work: sample the model's space (``automl.search.space.sample_params``),
  build ``automl.data.build_pipeline`` (the column kinds and levels prepared as the runner
  prepares them: ``automl.data.prepare`` and ``category_levels``) for every fold, fit, predict
  and score with ``automl.evaluation`` (as a trial does: ``predict_proba`` and the registry's
  metric), mean over folds; one BLAS/OpenMP thread, like the engine's workers.

What is measured, on both sides: the steady-state search rate ``(N - 1) / (t_last - t_first)``,
where the ``t`` are the trials' ``datetime_complete`` in the study (when ``tell`` recorded
them). The window holds N - 1 full trial cycles (run, record, ask the next) and leaves out every
one-off cost: worker process start, sending the data, imports, the first trial's warm-up. The
engine's whole ``timings["search"]`` (worker start included) is printed for information.

Run::

    python benchmarks/overhead.py                   # 60 trials, 3 repetitions per side
    python benchmarks/overhead.py --profile         # + where the engine's driver spends time
    python benchmarks/overhead.py --workdir /dev/shm   # journal on tmpfs (fsync ~free)

The last line is ``ratio=<engine/bare> engine_trials_per_s=<a> bare_trials_per_s=<b>`` (medians
over the repetitions; engine and bare runs alternate so that machine noise hits both sides).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import load_recipe_text, run_recipe, study_trials

TARGET = "y"

PROFILED: list[tuple[str, str, str]] = [
    ("automl.search:Search", "_fill_slots", "Search._fill_slots (ask+sample+submit)"),
    ("optuna:Study", "ask", "  Study.ask"),
    ("optuna:Trial", "suggest_categorical", "  Trial.suggest_categorical"),
    ("optuna:Trial", "suggest_int", "  Trial.suggest_int"),
    ("optuna:Trial", "suggest_float", "  Trial.suggest_float"),
    ("automl.search:LocalExecutor", "submit", "  LocalExecutor.submit"),
    ("automl.search:Search", "_on_report", "Search._on_report (each fold)"),
    ("optuna:Trial", "report", "  Trial.report"),
    ("optuna:Trial", "should_prune", "  Trial.should_prune"),
    ("automl.search:LocalExecutor", "decide", "  LocalExecutor.decide"),
    ("automl.search:Search", "_finish", "Search._finish (user attrs + tell)"),
    ("optuna:Trial", "set_user_attr", "  Trial.set_user_attr"),
    ("optuna:Study", "tell", "  Study.tell"),
    ("automl.search:Search", "_emit", "Search._emit (progress)"),
    ("automl.search:LocalExecutor", "poll", "LocalExecutor.poll (incl. waiting)"),
    ("optuna.storages.journal:JournalStorage", "_write_log", "journal write (lock, append, flush)"),
    ("optuna.storages.journal:JournalStorage", "_sync_with_backend", "journal _sync_with_backend"),
    ("os", "fsync", "os.fsync (journal, run files)"),
]
"""``(module[:class], function, label)``: what ``--profile`` times, in display order. The
engine's own methods are timed by name (bookkeeping internals, not API: rename them here when
the engine changes)."""


@dataclass
class Measurement:
    """One search: its trial rate and what it evaluated."""

    side: str
    trials: int
    window: float
    params: list[dict[str, Any]]
    values: list[float | None]
    search_seconds: float | None = None
    work: list[float] = field(default_factory=list)
    """Seconds of model work (fit + predict over the folds) of each trial but the first."""
    profile: dict[str, list[float]] = field(default_factory=dict)
    """Label -> durations (s) of the profiled calls that started inside the measured window."""

    @property
    def rate(self) -> float:
        """Trials per second between the first and the last completion."""
        return (self.trials - 1) / self.window if self.window > 0 else float("nan")


def make_data(rows: int, features: int, seed: int) -> Any:
    """A binary table: numeric features (a few values missing), one text column, a text target."""
    import numpy as np
    import pandas as pd
    from sklearn.datasets import make_classification

    informative = min(features, max(2, features // 2))
    x, y = make_classification(
        n_samples=rows,
        n_features=features,
        n_informative=informative,
        n_redundant=min(2, features - informative),
        random_state=seed,
    )
    frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(features)])
    rng = np.random.default_rng(seed)
    frame.loc[rng.random(rows) < 0.02, "x0"] = np.nan
    frame["colour"] = np.where(x[:, 0] > 0, "red", np.where(x[:, 1] > 0, "green", "blue"))
    frame[TARGET] = np.where(y == 1, "yes", "no")
    return frame


def _recipe_text(csv: Path, model: str, n_trials: int, cv: int, seed: int) -> str:
    return (
        "name: overhead\n"
        "task: binary\n"
        f"data: {{source: {{type: csv, path: '{csv}'}}, target: {TARGET}, holdout: 0}}\n"
        "metric: roc_auc\n"
        f"models: [{model}]\n"
        f"search: {{n_trials: {n_trials}, cv: {cv}, sampler: tpe, pruner: none, seed: {seed}}}\n"
        "execution: {backend: local, workers: 1}\n"
    )


# -- profiling ---------------------------------------------------------------------------------


class Profile:
    """Calls and inclusive seconds of the search's bookkeeping, patched in this process.

    Only this process is timed: for the engine that is the driver (trials run in the worker);
    for the bare loop it is everything. ``os.fsync`` is timed wherever the driver calls it (the
    journal's append when a trial finishes, and the run's durable file writes). Times are inclusive (``Search._finish`` contains its
    ``set_user_attr`` and ``tell`` calls). Each call's wall-clock start is kept, so that the
    totals can be restricted to the measured window (steady state).
    """

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.calls: dict[str, list[tuple[float, float]]] = defaultdict(list)
        self._stack = contextlib.ExitStack()

    def _wrap(self, owner: Any, attribute: str, label: str) -> None:
        original = getattr(owner, attribute)
        calls = self.calls[label]

        def timed(*args: Any, **kwargs: Any) -> Any:
            wall, started = time.time(), time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                calls.append((wall, time.perf_counter() - started))

        setattr(owner, attribute, timed)
        self._stack.callback(setattr, owner, attribute, original)

    def __enter__(self) -> Profile:
        if not self.enabled:
            return self
        import importlib

        for where, attribute, label in PROFILED:
            module, _, name = where.partition(":")
            owner = importlib.import_module(module)
            self._wrap(getattr(owner, name) if name else owner, attribute, label)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def within(self, first: float, last: float) -> dict[str, list[float]]:
        """Label -> durations of the calls that started between two wall-clock times."""
        return {
            label: [seconds for wall, seconds in calls if first <= wall <= last]
            for label, calls in self.calls.items()
        }


def _measurement(
    side: str,
    trials: Sequence[Any],
    timer: Profile,
    work: list[float],
    search_seconds: float | None = None,
) -> Measurement:
    completed = sorted(t.datetime_complete for t in trials if t.datetime_complete is not None)
    # .timestamp() handles both the in-memory study's naive local times and the journal's UTC.
    first, last = (completed[0].timestamp(), completed[-1].timestamp()) if completed else (0, 0)
    return Measurement(
        side=side,
        trials=len(trials),
        window=last - first,
        params=[dict(t.params) for t in trials],
        values=[t.value for t in trials],
        search_seconds=search_seconds,
        work=work,
        profile=timer.within(first, last),
    )


# -- the two sides -----------------------------------------------------------------------------


def run_engine(
    csv: Path, model: str, n_trials: int, cv: int, seed: int, workdir: Path, profile: bool
) -> Measurement:
    """One ``automl.run`` into a fresh run directory under ``workdir``."""
    import pandas as pd

    run_dir = Path(tempfile.mkdtemp(prefix="engine-", dir=workdir))
    resolved = load_recipe_text(_recipe_text(csv, model, n_trials, cv, seed), run_dir)
    with Profile(enabled=profile) as timer:
        finished = run_recipe(resolved, run_dir / "run")
    # The worker's own timing of the model work: mean fit per fold, predict per 1000 rows (every
    # row is predicted once over the folds).
    rows = len(pd.read_csv(csv))
    work = [
        record.fit_time * record.folds_done + record.predict_time_per_1000 * rows / 1000
        for record in sorted(finished.trials, key=lambda record: record.number)[1:]
        if record.fit_time is not None and record.predict_time_per_1000 is not None
    ]
    search_seconds = finished.summary.timings.get("search")
    return _measurement("engine", study_trials(finished), timer, work, search_seconds)


def prepared(frame: Any, cv: int) -> tuple[Any, dict[str, Any]]:
    """The training table and column kinds, prepared the way the engine's runner does it."""
    from automl.data import prepare

    table = prepare(frame, TARGET, "binary", cv=cv)
    return table, dict(table.kinds)


def run_bare(
    csv: Path, model: str, n_trials: int, cv: int, seed: int, mode: str, profile: bool
) -> Measurement:
    """The same search as a plain Optuna loop with an in-memory study in this process."""
    import optuna
    import pandas as pd
    from sklearn.model_selection import StratifiedKFold
    from threadpoolctl import threadpool_limits

    from automl import evaluation
    from automl.data import build_pipeline, category_levels
    from automl.runner.search import search_models
    from automl.search import default_params
    from automl.search.space import MODEL_PARAM, sample_params

    # The same model (search space, defaults) as the engine gets from the recipe.
    with tempfile.TemporaryDirectory(prefix="bare-", dir=csv.parent) as folder:
        resolved = load_recipe_text(_recipe_text(csv, model, n_trials, cv, seed), Path(folder))
    chosen = search_models({entry.name: entry for entry in resolved.models})[model]
    spec = chosen.spec
    metrics = {"roc_auc": resolved.registry.get("metric", "roc_auc").spec}
    table, kinds = prepared(pd.read_csv(csv), cv)
    features, target, task, classes = table.features, table.target, table.task, table.classes
    levels = category_levels(features, kinds)
    folds = list(
        StratifiedKFold(n_splits=cv, shuffle=True, random_state=seed).split(features, target)
    )

    work: dict[int, float] = {}

    def objective(trial: optuna.Trial) -> float:
        trial.suggest_categorical(MODEL_PARAM, [chosen.name])
        params = spec.params.model_validate(sample_params(trial, chosen, task))
        scores = []
        seconds = 0.0
        for train, valid in folds:
            estimator = spec.factory(params, task=task, seed=seed)
            pipeline = build_pipeline(estimator, kinds, levels, scale=spec.needs_scaling)
            started = time.perf_counter()
            pipeline.fit(features.iloc[train], target[train])
            rows = features.iloc[valid]
            made = evaluation.predict(pipeline, rows, task, classes, metrics.values())
            seconds += time.perf_counter() - started
            scores.append(evaluation.score(metrics, target[valid], made, classes)["roc_auc"])
        work[trial.number] = seconds
        return statistics.fmean(scores)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    study.enqueue_trial(default_params(chosen), user_attrs={"default": True})  # as the engine
    with threadpool_limits(1), Profile(enabled=profile) as timer:
        if mode == "optimize":
            study.optimize(objective, n_trials=n_trials)
        else:
            for _ in range(n_trials):
                trial = study.ask()
                study.tell(trial, objective(trial))
    trials = study.get_trials(deepcopy=False)
    return _measurement("bare", trials, timer, [work[n] for n in sorted(work)[1:]])


# -- reporting ---------------------------------------------------------------------------------


def _print_profile(
    engine: Sequence[Measurement], bare: Sequence[Measurement], out: Callable[[str], None]
) -> None:
    """Per-trial milliseconds of each profiled call, engine driver beside the bare loop."""

    def per_trial(runs: Sequence[Measurement]) -> dict[str, tuple[float, float, float]]:
        cycles = sum(m.trials - 1 for m in runs)
        merged: dict[str, list[float]] = defaultdict(list)
        for measurement in runs:
            for label, durations in measurement.profile.items():
                merged[label] += durations
        return {
            label: (
                len(durations) / cycles,
                1000 * statistics.median(durations),
                1000 * sum(durations) / cycles,
            )
            for label, durations in merged.items()
            if durations and cycles
        }

    engine_rows, bare_rows = per_trial(engine), per_trial(bare)
    labels = [label for _, _, label in PROFILED]
    out("")
    out("Profile, steady state (calls inside the measured window; inclusive times):")
    out(
        f"  {'code':<40} {'engine calls/trial':>18} {'median ms/call':>14} {'ms/trial':>9}"
        f"   {'bare calls/trial':>16} {'ms/trial':>9}"
    )
    for label in labels:
        if label not in engine_rows and label not in bare_rows:
            continue
        calls, median, total = engine_rows.get(label, (0.0, 0.0, 0.0))
        bare_calls, _, bare_total = bare_rows.get(label, (0.0, 0.0, 0.0))
        out(
            f"  {label:<40} {calls:>18.2f} {median:>14.3f} {total:>9.2f}"
            f"   {bare_calls:>16.2f} {bare_total:>9.2f}"
        )
    busy = (
        sum(
            engine_rows.get(label, (0, 0, 0))[2]
            for label in ("Search._fill_slots (ask+sample+submit)", "Search._on_report (each fold)")
        )
        + engine_rows.get("Search._finish (user attrs + tell)", (0, 0, 0))[2]
    )
    out(
        f"  engine driver busy per trial (fill_slots + on_report + finish): {busy:.1f} ms; "
        "the worker waits for all of it (one worker)"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--trials", type=int, default=60, help="trials per search (default 60)")
    parser.add_argument("--repeats", type=int, default=3, help="searches per side (default 3)")
    parser.add_argument("--rows", type=int, default=1000, help="rows of synthetic data")
    parser.add_argument("--features", type=int, default=8, help="numeric features")
    parser.add_argument("--cv", type=int, default=5, help="cross-validation folds (default 5)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--model",
        default="decision_tree",
        help="a cheap classification model of automl, searched over its default space",
    )
    parser.add_argument(
        "--bare-mode",
        choices=["ask-tell", "optimize"],
        default="ask-tell",
        help="how the bare loop drives Optuna (default ask-tell)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="folder for the data and the engine's run directories (its journal); "
        "default: the system's temporary folder",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="time the engine driver's bookkeeping per trial (adds a little overhead to both)",
    )
    return parser


def _alternate(
    args: argparse.Namespace, csv: Path, root: Path, out: Callable[[str], None]
) -> tuple[list[Measurement], list[Measurement]]:
    """Engine and bare searches, alternating which goes first."""
    engine_runs: list[Measurement] = []
    bare_runs: list[Measurement] = []
    for repeat in range(args.repeats):
        for side in ("engine", "bare") if repeat % 2 == 0 else ("bare", "engine"):
            extra = ""
            if side == "engine":
                measurement = run_engine(
                    csv, args.model, args.trials, args.cv, args.seed, root, args.profile
                )
                engine_runs.append(measurement)
                extra = f"; whole search phase {measurement.search_seconds:.2f} s"
            else:
                measurement = run_bare(
                    csv, args.model, args.trials, args.cv, args.seed, args.bare_mode, args.profile
                )
                bare_runs.append(measurement)
            out(
                f"  repeat {repeat + 1} {side:<6}: {measurement.trials - 1} cycles in "
                f"{measurement.window:.3f} s = {measurement.rate:.2f} trials/s "
                f"({1000 / measurement.rate:.1f} ms/trial){extra}"
            )
    return engine_runs, bare_runs


def main(argv: Sequence[str] | None = None, out: Callable[[str], None] = print) -> int:
    """Run the comparison; see the module docstring."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.trials < 3:
        parser.error("--trials must be at least 3")
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")

    with tempfile.TemporaryDirectory(prefix="automl-overhead-", dir=args.workdir) as tmp:
        root = Path(tmp)
        csv = root / "data.csv"
        make_data(args.rows, args.features, args.seed).to_csv(csv, index=False)
        bare_api = "study.optimize" if args.bare_mode == "optimize" else "study.ask/tell"
        out(
            f"data: {args.rows} rows x {args.features + 1} features (synthetic, binary); "
            f"model: {args.model} over its default space, TPE seed {args.seed}; "
            f"{args.cv}-fold CV, roc_auc; {args.trials} trials per search, "
            f"{args.repeats} repetition(s) per side"
        )
        out(
            f"engine: automl.run, journal file storage under {root}, "
            "1 forkserver worker process, pruner none"
        )
        out(
            f"bare:   in-memory Optuna study, {bare_api} in this process (1 BLAS thread), "
            "same pipeline, folds, metric and space"
        )
        out(
            "measured: (N-1) / (last - first trial datetime_complete): the steady-state rate, "
            "without worker start-up or the first trial's warm-up"
        )
        out("")
        engine_runs, bare_runs = _alternate(args, csv, root, out)
    same = all(
        e.params == b.params and e.values == b.values
        for e, b in zip(engine_runs, bare_runs, strict=True)
    )
    out("")
    out(
        "same configurations and CV scores on both sides: "
        + ("yes" if same else "NO (the comparison is not like for like)")
    )
    engine_rate = statistics.median(m.rate for m in engine_runs)
    bare_rate = statistics.median(m.rate for m in bare_runs)
    ratios = [e.rate / b.rate for e, b in zip(engine_runs, bare_runs, strict=True)]
    overhead_ms = 1000 / engine_rate - 1000 / bare_rate
    out(
        f"engine {engine_rate:.2f} trials/s ({1000 / engine_rate:.1f} ms/trial), "
        f"bare {bare_rate:.2f} trials/s ({1000 / bare_rate:.1f} ms/trial) (medians)"
    )
    engine_work = (
        statistics.median(w for m in engine_runs for w in m.work)
        if engine_runs[0].work
        else math.nan
    )
    bare_work = statistics.median(w for m in bare_runs for w in m.work)
    out(
        f"model work per trial (fit + predict over the folds, median): engine worker "
        f"{1000 * engine_work:.1f} ms, bare {1000 * bare_work:.1f} ms; the rest of a trial cycle "
        f"is scoring, sampling and bookkeeping"
    )
    out(
        f"engine overhead per trial: {overhead_ms:.1f} ms ({overhead_ms / args.cv:.2f} ms "
        f"per fold); ratio per repetition: {', '.join(f'{r:.3f}' for r in ratios)}"
    )
    if args.profile:
        _print_profile(engine_runs, bare_runs, out)
    out(
        f"ratio={engine_rate / bare_rate:.3f} engine_trials_per_s={engine_rate:.3f} "
        f"bare_trials_per_s={bare_rate:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
