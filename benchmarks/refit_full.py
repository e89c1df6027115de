"""Does ``refit_full`` help? The builtin boosters, early-stopped against refitted on every row.

The boosters: LightGBM, XGBoost, CatBoost and scikit-learn's histogram gradient boosting.

For each dataset of the suite (the core ones unless ``--datasets``), seed and booster, at the
booster's default configuration and ``random_state`` = the seed:

1. the fixed 75/25 split of ``benchmarks/splits`` (the one ``suite.py`` and ``peers.py`` use);
   text columns become integer codes (``OrdinalEncoder``), the same for both fits;
2. the estimator fitted as in cross-validation: early stopping on its inner validation part,
   the model trained on the rest;
3. the same estimator with ``refit_full=True``, as automl's final fit does: the same early
   stopping, then a fit on every training row for ``round(best / (1 - validation_fraction))``
   rounds;
4. both scored on the test part (AUC binary, log loss multiclass, RMSE regression).

It prints one line per fit pair, then how often the refit scored better and what it cost in
fit time (the ratio of the summed fit seconds, both measured in this run)::

    python benchmarks/refit_full.py ../shared/bench/suite.json --seeds 0 1
    python benchmarks/refit_full.py ../shared/bench/suite.json --models lightgbm --datasets car
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from common import fixed_split, read_labelled
from suite import SuiteError, load_suite

BOOSTERS = ("lightgbm", "xgboost", "catboost", "hist_gradient_boosting")
SPLITS_DIR = Path(__file__).resolve().parent / "splits"


@functools.cache
def _registry() -> Any:
    from automl import PluginRegistry

    return PluginRegistry.discover()  # once: every fit pair builds from it


def _estimator(model: str, task: str, seed: int) -> Any:
    from automl import Task

    spec = _registry().model(model)
    return spec.factory(spec.params(), task=Task(task), seed=seed)


def _score(task: str, estimator: Any, x: Any, y: Any) -> float:
    import numpy as np
    from sklearn.metrics import log_loss, mean_squared_error, roc_auc_score

    if task == "regression":
        return float(np.sqrt(mean_squared_error(y, estimator.predict(x))))
    proba = estimator.predict_proba(x)
    if task == "binary":
        return float(roc_auc_score(y == estimator.classes_[1], proba[:, 1]))
    return float(log_loss(y, proba, labels=estimator.classes_))


def _features(frame: Any, target: str) -> tuple[Any, Any]:
    import numpy as np
    from sklearn.preprocessing import OrdinalEncoder

    features = frame.drop(columns=[target])
    text = features.select_dtypes(exclude="number").columns
    if len(text):
        features[text] = OrdinalEncoder().fit_transform(features[text].astype(str))
    return features.to_numpy(dtype=float), np.asarray(frame[target])


@functools.cache
def _dataset(path: Path, target: str, task: str) -> tuple[Any, Any, Any]:
    """The labelled rows, features and target of a dataset, read once for every seed and model."""
    frame = read_labelled(path, target)
    x, y = _features(frame, target)
    return frame, x, y.astype(float) if task == "regression" else y


def compare(
    entry: dict[str, Any], seed: int, model: str, base: Path, splits_dir: Path = SPLITS_DIR
) -> dict[str, Any]:
    """Fit ``model`` both ways on one split; their test scores and fit seconds."""
    from sklearn.base import clone

    frame, x, y = _dataset(base / entry["file"], entry["target"], entry["task"])
    train, test, _ = fixed_split(entry, frame, y, seed, splits_dir)
    kept = _estimator(model, entry["task"], seed)
    full = clone(kept).set_params(refit_full=True)
    seconds = []
    for estimator in (kept, full):
        started = time.perf_counter()
        estimator.fit(x[train], y[train])
        seconds.append(time.perf_counter() - started)
    return {
        "stopped": kept.stopped_iteration_,
        # automl.boosting's estimators count rounds in best_iteration_, scikit-learn's in n_iter_
        "rounds": getattr(full, "best_iteration_", None) or full.n_iter_,
        "kept": _score(entry["task"], kept, x[test], y[test]),
        "full": _score(entry["task"], full, x[test], y[test]),
        "kept_s": seconds[0],
        "full_s": seconds[1],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("suite", type=Path, help="suite.json (dataset files relative to it)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--models", nargs="+", choices=BOOSTERS, default=list(BOOSTERS))
    parser.add_argument("--datasets", nargs="+", help="dataset names (default: the core ones)")
    parser.add_argument(
        "--splits-dir", type=Path, default=SPLITS_DIR, help="split files (made if absent)"
    )
    args = parser.parse_args(argv)
    try:
        suite = load_suite(args.suite)
    except SuiteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    known = {entry["name"] for entry in suite}
    unknown = sorted(set(args.datasets or []) - known)
    if unknown:
        print(
            f"error: unknown dataset(s) {unknown}; the suite has {sorted(known)}", file=sys.stderr
        )
        return 2
    chosen = [
        e for e in suite if (e["name"] in args.datasets if args.datasets else e["role"] == "core")
    ]
    better = total = 0
    seconds = [0.0, 0.0]
    print(
        f"{'dataset':<34} seed {'model':<22} rounds     early-stopped  refit_full  better  s(es/full)"
    )
    for entry in chosen:
        up = entry["task"] == "binary"  # AUC; log loss and RMSE are losses
        for seed in args.seeds:
            for model in args.models:
                got = compare(entry, seed, model, args.suite.parent, args.splits_dir)
                wins = got["full"] > got["kept"] if up else got["full"] < got["kept"]
                better, total = better + wins, total + 1
                seconds[0] += got["kept_s"]
                seconds[1] += got["full_s"]
                print(
                    f"{entry['name']:<34} {seed:>4} {model:<22} {got['stopped']:>4}>{got['rounds']:<5}"
                    f" {got['kept']:>13.4f} {got['full']:>11.4f}  {'yes' if wins else 'no':<6}"
                    f"  {got['kept_s']:.1f}/{got['full_s']:.1f}",
                    flush=True,
                )
    ratio = seconds[1] / seconds[0] if seconds[0] else float("nan")
    print(
        f"refit_full scored better in {better} of {total} fits; "
        f"fit time {seconds[1]:.1f} s against {seconds[0]:.1f} s ({ratio:.2f} times)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
