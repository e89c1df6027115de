"""automl on one split: a recipe built here (the training CSV as the csv source, ``data.holdout:
0``, the task and metric, ``search.time_budget`` = B, ``search.seed``, ``execution.workers`` =
cpus, every installed model), run by ``automl.run`` with its clock started at the process's start, as
``automl run`` starts it (the interpreter's start-up, the imports and reading the data count
against the budget); the packaged model predicts the test part (``ModelPackage.predict_proba``:
one column per class, in the package's class order).

Run by ``benchmarks/peers.py`` with the project's own Python; the command line is
:func:`runner_io.parse_args`, the same as the peers', plus ``--recipe-extra JSON``: a mapping
merged into the recipe (``peers.py --automl-recipe``), to compare automl's own settings.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any

from runner_io import parse_args, process_age, read_data, write_info, write_predictions


def merged(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``extra`` merged in, section by section (``extra`` wins)."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


def main(argv: Sequence[str] | None = None) -> int:
    own = argparse.ArgumentParser(add_help=False)
    own.add_argument("--recipe-extra", type=json.loads, default={})
    known, rest = own.parse_known_args(argv)
    args = parse_args((__doc__ or "").splitlines()[0], rest)
    import automl
    from automl.runner import make_budget
    from automl.search import process_started

    _, _, test = read_data(args)
    recipe = {
        "name": f"peers-{args.train.stem}",
        "task": args.task,
        "data": {
            "source": {"type": "csv", "path": str(args.train.resolve())},
            "target": args.target,
            "holdout": 0,
        },
        "metric": args.metric,
        "search": {"time_budget": args.time_budget, "seed": args.seed},
        "execution": {"workers": args.cpus},
    }
    recipe = merged(recipe, known.recipe_extra)
    path = args.workdir / "recipe.yaml"
    path.write_text(json.dumps(recipe, indent=1), encoding="utf-8")  # JSON is YAML
    started = time.monotonic()
    resolved = automl.load_recipe(path)
    budget = make_budget(resolved, started=process_started())  # what ``automl run`` does
    result = automl.run(resolved, run_dir=args.workdir / "run", progress=False, budget=budget)
    fitted = time.monotonic()
    fit_wall_s = process_age()
    fit_s = fitted - started
    finished = automl.open_run(result.run_dir)
    package = finished.load_model()
    if args.task == "regression":
        write_predictions(args.predictions, package.predict(test), None, len(test))
    else:
        proba = package.predict_proba(test)
        write_predictions(args.predictions, proba.to_numpy(), list(proba.columns), len(test))
    predict_s = time.monotonic() - fitted  # loading the package included
    summary = finished.summary
    best = summary.best_trial
    best_model = best.model if best is not None else None
    if summary.ensemble is not None and summary.ensemble.chosen:  # its members' models
        best_model = "ensemble: " + " ".join(member.model for member in summary.ensemble.members)
    write_info(
        args.info,
        {
            "tool_version": automl.__version__,
            "best_model": best_model,
            "trials": summary.trials.complete,
            "fit_s": round(fit_s, 2),
            "fit_wall_s": round(fit_wall_s, 2),
            "predict_s": round(predict_s, 2),
            "phases": " ".join(
                f"{name}={seconds:.1f}" for name, seconds in summary.budget.used.items()
            ),
            "recipe_extra": known.recipe_extra,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
