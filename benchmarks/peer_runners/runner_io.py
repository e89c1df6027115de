"""What every peer runner shares: its command line, reading the training and test CSVs, and
writing the test predictions and a small JSON record of the run.

A runner is started by ``benchmarks/peers.py`` with the Python of the tool's own virtual
environment, so this module needs nothing but pandas (every tool installs it) and the standard
library. It never imports automl.

The protocol, the same for every tool:

* ``--train``: the 75 % training part of a split, a CSV with a header, target included;
* ``--test``: the 25 % test part, the same columns without the target;
* ``--predictions``: written by the runner, one row per test row, in the test file's order:
  one column per class, named by the class label, holding probabilities (classification), or
  one column ``prediction`` holding values (regression);
* ``--info``: written by the runner, a JSON object (tool version, best model, ``fit_s`` and
  ``predict_s``: seconds in the tool's fit and in loading and predicting; ``fit_wall_s``: seconds
  from the runner's process start to the fitted model, start-up and reading the data included);
* ``--workdir``: an empty folder for the tool's files, removed by ``peers.py`` afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

TASKS = ("binary", "multiclass", "regression")
METRICS = ("roc_auc", "log_loss", "rmse")


def parse_args(description: str, argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The runner's command line (the same for every tool)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--train", type=Path, required=True, help="training CSV (with target)")
    parser.add_argument("--test", type=Path, required=True, help="test CSV (without target)")
    parser.add_argument("--target", required=True, help="target column of --train")
    parser.add_argument("--task", choices=TASKS, required=True)
    parser.add_argument("--metric", choices=METRICS, required=True, help="metric to optimise")
    parser.add_argument("--time-budget", type=float, required=True, help="seconds")
    parser.add_argument("--cpus", type=int, required=True, help="CPU cores the tool may use")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--predictions", type=Path, required=True, help="CSV to write")
    parser.add_argument("--info", type=Path, required=True, help="JSON to write")
    parser.add_argument("--workdir", type=Path, required=True, help="folder for the tool's files")
    return parser.parse_args(argv)


def read_data(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    """The training features, the training target and the test features."""
    import pandas as pd

    train = pd.read_csv(args.train)
    test = pd.read_csv(args.test)
    if args.target not in train.columns:
        raise SystemExit(f"{args.train}: no target column {args.target!r}")
    features = [column for column in train.columns if column != args.target]
    if list(test.columns) != features:
        raise SystemExit(f"{args.test}: columns differ from the training features")
    return train[features], train[args.target], test


def write_predictions(path: Path, values: Any, classes: Sequence[Any] | None, rows: int) -> None:
    """Probabilities (one column per class, headed by its label) or values (``prediction``)."""
    import numpy as np
    import pandas as pd

    array = np.asarray(values, dtype=float)
    if classes is None:
        frame = pd.DataFrame({"prediction": array.reshape(-1)})
    else:
        if array.ndim != 2 or array.shape[1] != len(classes):
            raise SystemExit(f"probabilities of shape {array.shape} for {len(classes)} classes")
        frame = pd.DataFrame(array, columns=[str(label) for label in classes])
    if len(frame) != rows:
        raise SystemExit(f"{len(frame)} predictions for {rows} test rows")
    frame.to_csv(path, index=False, float_format="%.17g")


def write_info(path: Path, info: Mapping[str, Any]) -> None:
    """The run's record (versions, best model...) as JSON."""
    path.write_text(json.dumps(dict(info), default=str, indent=1) + "\n", encoding="utf-8")


_IMPORTED = time.monotonic()


def process_age() -> float:
    """Seconds since this process started (the interpreter's start-up and imports included).

    On Linux from ``/proc/self/stat``; elsewhere (or if it cannot be read) since this module
    was imported. The reading is automl's ``process_started``, repeated here: a peer's
    environment has no automl to import it from.
    """
    now = time.monotonic()
    try:
        with open("/proc/self/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        ticks = int(fields[19])  # starttime: clock ticks after boot (field 22 of stat)
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError, AttributeError):
        return now - _IMPORTED
    return age if 0.0 <= age < 86_400.0 else now - _IMPORTED
