"""Scaling of the Ray backend: speedup from 1 to 2 workers, and per-trial overhead vs local.

    python benchmarks/ray_scaling.py [--trials 12] [--trivial-trials 40] [--repeats 1]

1. **Speedup.** The same CPU-bound recipe (a random forest with fixed size on synthetic data,
   random sampler, no pruning, a trial-count budget) runs on the Ray backend with 1 worker and
   with 2 workers, in one Ray runtime of 2 CPUs started by this script. The search span is
   measured from the study: the first trial's start to the last trial's completion, so Ray's
   start-up and the refit are excluded. ``speedup = span(1 worker) / span(2 workers)``
   (target >= 1.6 on 2 cores).
2. **Overhead.** Trivial trials (logistic regression on 200 rows, 2 folds, pruning on, so each
   trial also reports its first fold to the driver, which asks the pruner) run with 1 worker on
   the local backend and on Ray; ``overhead_ms`` is the difference of the mean search time per
   trial, in milliseconds (target <= 10).

Both are ratios or differences within one run, so a loaded machine affects both sides alike.
The last line is ``speedup=<x> overhead_ms=<y>``.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
from common import study_trials


def _data(path: Path, rows: int, features: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, features))
    signal = x[:, 0] + 0.5 * x[:, 1] * x[:, 2] - x[:, 3] ** 2
    frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(features)])
    frame["y"] = np.where(signal + rng.normal(scale=0.5, size=rows) > 0, "yes", "no")
    frame.to_csv(path, index=False)


def _recipe(folder: Path, body: str) -> Path:
    path = folder / "recipe.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def _span(run_dir: Path) -> tuple[float, int]:
    from automl import open_run

    finished = [
        t
        for t in study_trials(open_run(run_dir))
        if t.datetime_complete is not None and t.datetime_start is not None
    ]
    start = min(t.datetime_start for t in finished)  # type: ignore[type-var]
    end = max(t.datetime_complete for t in finished)  # type: ignore[type-var]
    return (end - start).total_seconds(), len(finished)


def _run(recipe: Path, run_dir: Path, **overrides: object) -> tuple[float, int]:
    from automl import PluginRegistry, load_recipe, run, with_overrides

    resolved = with_overrides(load_recipe(recipe, PluginRegistry.discover()), **overrides)  # type: ignore[arg-type]
    run(resolved, run_dir=run_dir)
    return _span(run_dir)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trials", type=int, default=12, help="trials of the CPU-bound recipe")
    parser.add_argument(
        "--trivial-trials", type=int, default=40, help="trials of the trivial recipe"
    )
    parser.add_argument("--repeats", type=int, default=1, help="repetitions of each measurement")
    args = parser.parse_args(argv)

    import ray

    logging.getLogger("automl").setLevel(logging.WARNING)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    ray.init(
        address="local",
        num_cpus=2,
        include_dashboard=False,
        object_store_memory=256 * 1024**2,
        logging_level=logging.WARNING,
        log_to_driver=False,
    )
    results: dict[str, float] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="ray-scaling-") as work:
            folder = Path(work)
            _data(folder / "heavy.csv", rows=3000, features=20)
            _data(folder / "light.csv", rows=200, features=5)
            heavy = _recipe(
                folder,
                f"""
                name: heavy
                task: binary
                data: {{source: {{type: csv, path: heavy.csv}}, target: y, holdout: 0}}
                models: [{{type: random_forest, params: {{n_estimators: 120}}}}]
                search: {{n_trials: {args.trials}, cv: 3, sampler: random, pruner: none, seed: 0}}
                execution: {{backend: ray}}
                """,
            )
            spans: dict[int, list[float]] = {1: [], 2: []}
            for repeat in range(args.repeats):
                for workers in (1, 2):
                    span, count = _run(heavy, folder / f"heavy-{workers}-{repeat}", workers=workers)
                    spans[workers].append(span)
                    print(
                        f"cpu-bound, {workers} worker(s): {count} trials in {span:.2f} s of search"
                    )
            speedup = statistics.fmean(spans[1]) / statistics.fmean(spans[2])
            light = folder / "light"
            light.mkdir()
            (light / "light.csv").write_bytes((folder / "light.csv").read_bytes())
            trivial = _recipe(
                light,
                f"""
                name: light
                task: binary
                data: {{source: {{type: csv, path: light.csv}}, target: y, holdout: 0}}
                models: [logistic_regression]
                search: {{n_trials: {args.trivial_trials}, cv: 2, sampler: random, pruner: median, seed: 0}}
                execution: {{workers: 1}}
                """,
            )
            per_trial: dict[str, list[float]] = {"local": [], "ray": []}
            for repeat in range(args.repeats):
                for backend in ("local", "ray"):
                    span, count = _run(trivial, light / f"{backend}-{repeat}", backend=backend)
                    # n trials span n-1 gaps after the first start; use the mean per trial.
                    per_trial[backend].append(span / count)
                    print(
                        f"trivial trials on {backend}: {count} in {span:.2f} s ({1000 * span / count:.1f} ms each)"
                    )
            overhead_ms = 1000 * (
                statistics.fmean(per_trial["ray"]) - statistics.fmean(per_trial["local"])
            )
    finally:
        ray.shutdown()
    results = {"speedup": speedup, "overhead_ms": overhead_ms}
    print(
        f"speedup {speedup:.2f} (target >= 1.6); Ray overhead per trivial trial {overhead_ms:.1f} ms (target <= 10)"
    )
    print(f"speedup={speedup:.2f} overhead_ms={overhead_ms:.1f}")
    return results


if __name__ == "__main__":
    main()
