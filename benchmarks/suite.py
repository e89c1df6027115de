"""The AMLB suite: automl on fixed 75/25 splits of the benchmark datasets, beside the AMLB anchors.

For each dataset and seed:

1. a fixed 75/25 split of the CSV's rows (stratified for classification,
   ``random_state=seed``), written down in ``--splits-dir`` as the 0-based data rows (header
   excluded) of the 25 % test part, so that other systems can be scored on identical splits;
   an existing split file is reused as it is;
2. a recipe built here: a temporary CSV of the 75 % training part, ``data.holdout: 0`` (all of
   it goes to the search), the dataset's task and metric, ``search.time_budget`` and
   ``search.seed`` = the seed;
3. ``automl.run`` into a temporary run directory, then the packaged model
   (``automl.load_model``) scored here on the 25 % test part with the registry's metric
   (probabilities in the package's class order for ``roc_auc`` and ``log_loss``).

The table prints, per dataset, the mean and spread over seeds of the test score, the AMLB
anchors, and the AMLB-normalised score ``(score - constant_2021) / (tuned_rf_2021 -
constant_2021)`` (0 = constant predictor, 1 = tuned random forest; the same formula holds for
lower-is-better metrics). ``constant (split)`` is the constant predictor (training class priors,
or the training mean) scored on our test part: a check that our splits are comparable with the
AMLB's constant anchor. The anchors are 10-fold means with 1 h on 8 cores; our budgets are far
smaller and our splits are not the OpenML folds, so read them as ranges.

Run::

    python benchmarks/suite.py ../shared/bench/suite.json --time-budget 30 --seeds 0 1 2 \\
        --out results.csv
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import statistics
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

TEST_SIZE = 0.25
DEFAULT_SPLITS = Path(__file__).resolve().parent / "splits"
ANCHORS = ("constant_2021", "tuned_rf_2021", "rf_2023", "flaml_2023", "autogluon_best_2023")
"""The AMLB anchor columns shown beside our scores (any column of the anchors file works)."""
CSV_FIELDS = (
    "dataset",
    "role",
    "task",
    "metric",
    "seed",
    "status",
    "test_score",
    "normalised",
    "constant_split",
    "cv_score",
    "best_model",
    "trials_complete",
    "trials_pruned",
    "trials_failed",
    "stopped_by",
    "search_s",
    "refit_s",
    "package_s",
    "run_s",
    "train_rows",
    "test_rows",
    "time_budget",
    "n_trials",
    "workers",
    "split_file",
    "error",
    *ANCHORS,
)


# -- inputs --------------------------------------------------------------------------------------


def load_suite(path: Path) -> list[dict[str, Any]]:
    """The datasets of ``suite.json``."""
    entries = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected a JSON list of datasets")
    return entries


def select(
    entries: Sequence[Mapping[str, Any]], names: Sequence[str] | None, role: str
) -> list[Mapping[str, Any]]:
    """The datasets named (in the order given), or those of ``role`` (``all`` for every one)."""
    if names:
        by_name = {entry["name"]: entry for entry in entries}
        unknown = [name for name in names if name not in by_name]
        if unknown:
            raise ValueError(
                f"unknown dataset(s): {', '.join(unknown)}; known: {', '.join(by_name)}"
            )
        return [by_name[name] for name in names]
    return [entry for entry in entries if role == "all" or entry.get("role") == role]


def load_anchors(path: Path | None) -> dict[str, dict[str, float]]:
    """Dataset -> anchor column -> value (empty when there is no anchors file)."""
    if path is None or not path.exists():
        return {}
    anchors: dict[str, dict[str, float]] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            values: dict[str, float] = {}
            for key, value in row.items():
                if key in ("dataset", "amlb_task_id", "metric") or value in (None, ""):
                    continue
                try:
                    values[key] = float(value)
                except ValueError:
                    continue
            anchors[row["dataset"]] = values
    return anchors


def normalised(score: float, anchors: Mapping[str, float]) -> float:
    """The AMLB normalised score: 0 = constant predictor, 1 = tuned random forest."""
    constant, forest = anchors.get("constant_2021"), anchors.get("tuned_rf_2021")
    if constant is None or forest is None or forest == constant or not math.isfinite(score):
        return math.nan
    return (score - constant) / (forest - constant)


def md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_labelled(path: Path, target: str) -> Any:
    """The CSV's rows that have a target value; the index keeps the CSV's data row numbers."""
    import pandas as pd

    frame = pd.read_csv(path)
    if target not in frame.columns:
        raise ValueError(f"{path}: no target column {target!r}")
    labelled = frame.loc[frame[target].notna()]
    labelled.attrs["csv_rows"] = len(frame)
    return labelled


def _label_key(value: Any) -> str:
    """A class label as text, the way automl reads labels (integral floats as ints, stripped)."""
    import numpy as np

    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def as_classes(values: Any, classes: Sequence[Any] | None, *, unknown_ok: bool = False) -> Any:
    """Raw target values as the package's class labels (as floats for regression).

    Raises:
        ValueError: a value is not one of the package's classes (unless ``unknown_ok``, which
            keeps such values as they are).
    """
    import numpy as np

    if classes is None:
        return np.asarray(values, dtype=float)
    lookup = {_label_key(label): label for label in classes}
    mapped = []
    for value in values:
        key = _label_key(value)
        if key not in lookup and not unknown_ok:
            raise ValueError(f"test label {value!r} is not a class of the model ({list(classes)})")
        mapped.append(lookup.get(key, value))
    return np.asarray(mapped)


# -- splits --------------------------------------------------------------------------------------


def split_path(splits_dir: Path, dataset: str, seed: int) -> Path:
    """Where the test rows of ``dataset`` for ``seed`` are written down."""
    return splits_dir / f"{dataset}.seed{seed}.json"


def fixed_split(
    entry: Mapping[str, Any], frame: Any, labels: Any, seed: int, splits_dir: Path
) -> tuple[Any, Any, Path]:
    """Training and test positions in ``frame`` (its index = the CSV's data row numbers).

    An existing split file is used as written (rows checked against the data); otherwise the
    split is made (stratified for classification) and written.
    """
    import numpy as np
    from sklearn.model_selection import train_test_split

    path = split_path(splits_dir, entry["name"], seed)
    csv_rows = frame.index.to_numpy()
    if path.exists():
        stored = json.loads(path.read_text(encoding="utf-8"))
        test_rows = np.asarray(stored["test_rows"], dtype=int)
        if stored.get("rows") != int(frame.attrs.get("csv_rows", len(frame))):
            raise ValueError(
                f"{path} was made for {stored.get('rows')} rows, the data has "
                f"{frame.attrs.get('csv_rows', len(frame))}; delete it to split again"
            )
        test_mask = np.isin(csv_rows, test_rows)
        if int(test_mask.sum()) != len(test_rows):
            raise ValueError(f"{path} names rows that are not labelled rows of the data")
        positions = np.arange(len(frame))
        return positions[~test_mask], positions[test_mask], path
    classification = entry["task"] != "regression"
    train, test = train_test_split(
        np.arange(len(frame)),
        test_size=TEST_SIZE,
        random_state=seed,
        stratify=labels if classification else None,
    )
    train, test = np.sort(train), np.sort(test)
    record = {
        "dataset": entry["name"],
        "file": entry.get("file"),
        "md5": entry.get("md5"),
        "target": entry["target"],
        "rows": int(frame.attrs.get("csv_rows", len(frame))),
        "seed": seed,
        "test_size": TEST_SIZE,
        "stratified": classification,
        "method": (
            "sklearn.model_selection.train_test_split(range(rows), test_size=0.25, "
            f"random_state={seed}{', stratify=target' if classification else ''})"
        ),
        "index": "0-based data rows of the CSV file (header excluded); the rest is training",
        "test_rows": [int(row) for row in csv_rows[test]],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, separators=(",", ":")) + "\n", encoding="utf-8")
    return train, test, path


# -- one run -------------------------------------------------------------------------------------


def _recipe(
    entry: Mapping[str, Any],
    train_csv: Path,
    seed: int,
    time_budget: float,
    n_trials: int | None,
    workers: int | None,
    models: Sequence[str] | None,
    cv: int,
) -> dict[str, Any]:
    search: dict[str, Any] = {"time_budget": time_budget, "cv": cv, "seed": seed}
    if n_trials is not None:
        search["n_trials"] = n_trials
    recipe: dict[str, Any] = {
        "name": f"bench-{entry['name']}-seed{seed}",
        "task": entry["task"],
        "data": {
            "source": {"type": "csv", "path": str(train_csv)},
            "target": entry["target"],
            "holdout": 0,
        },
        "metric": entry["metric"],
        "search": search,
    }
    if models:
        recipe["models"] = list(models)
    if workers is not None:
        recipe["execution"] = {"workers": workers}
    return recipe


def score_package(package: Any, rows: Any, truth: Any, metric: Any) -> float:
    """The metric of the packaged model on ``rows`` (probabilities in its class order)."""
    if metric.spec.needs_proba:
        # One column per class in ``package.classes`` order (not indexed by label: boolean
        # labels would select rows).
        proba = package.predict_proba(rows).to_numpy()
        classes = list(package.classes)
        if proba.shape[1] != len(classes):
            raise ValueError(
                f"predict_proba gave {proba.shape[1]} columns for {len(classes)} classes"
            )
        return float(metric.spec.factory(truth, proba, labels=classes))
    predictions = package.predict(rows).to_numpy()
    labels = list(package.classes) if package.classes is not None else None
    return float(metric.spec.factory(truth, predictions, labels=labels))


def constant_score(train_truth: Any, test_truth: Any, classes: Any, metric: Any) -> float:
    """The constant predictor (training priors or mean) scored on the test part."""
    import numpy as np

    if classes is None:
        prediction = np.full(len(test_truth), float(np.mean(train_truth)))
        return float(metric.spec.factory(test_truth, prediction, labels=None))
    classes = list(classes)
    prior = np.array([np.mean(train_truth == label) for label in classes])
    if metric.spec.needs_proba:
        proba = np.tile(prior, (len(test_truth), 1))
        return float(metric.spec.factory(test_truth, proba, labels=classes))
    majority = np.full(len(test_truth), classes[int(np.argmax(prior))], dtype=object)
    return float(metric.spec.factory(test_truth, majority, labels=classes))


def run_one(
    entry: Mapping[str, Any],
    seed: int,
    args: argparse.Namespace,
    registry: Any,
    suite_dir: Path,
) -> dict[str, Any]:
    """Split, search, package and score one dataset for one seed; the row for the CSV."""

    from automl import load_model, run
    from automl.recipe import parse_recipe

    row: dict[str, Any] = {
        "dataset": entry["name"],
        "role": entry.get("role", ""),
        "task": entry["task"],
        "metric": entry["metric"],
        "seed": seed,
        "time_budget": args.time_budget,
        "n_trials": args.n_trials,
        "workers": args.workers if args.workers is not None else "auto",
    }
    target = entry["target"]
    frame = read_labelled(suite_dir / entry["file"], target)
    train, test, path = fixed_split(entry, frame, frame[target].to_numpy(), seed, args.splits_dir)
    row.update(train_rows=len(train), test_rows=len(test), split_file=str(path))
    metric = registry.get("metric", entry["metric"])
    with tempfile.TemporaryDirectory(prefix=f"suite-{entry['name']}-", dir=args.runs_dir) as tmp:
        work = Path(tmp)
        train_csv = work / "train.csv"
        frame.iloc[train].to_csv(train_csv, index=False)
        recipe = _recipe(
            entry,
            train_csv,
            seed,
            args.time_budget,
            args.n_trials,
            args.workers,
            args.models,
            args.cv,
        )
        resolved = parse_recipe(
            json.dumps(recipe, indent=1),
            source=f"{entry['name']} (benchmarks/suite.py)",
            base_dir=work,
            registry=registry,
        )
        started = time.monotonic()
        result = run(resolved, run_dir=work / "run")
        row["run_s"] = round(time.monotonic() - started, 2)
        package = load_model(result.run_dir / "model")
        rows = frame.iloc[test].drop(columns=[target])
        truth = as_classes(frame[target].iloc[test], package.classes)
        row["test_score"] = score_package(package, rows, truth, metric)
        known = as_classes(frame[target].iloc[train], package.classes, unknown_ok=True)
        row["constant_split"] = constant_score(known, truth, package.classes, metric)
    summary = result.summary
    best = summary.get("best_trial") or {}
    trials = summary.get("trials") or {}
    row.update(
        status="ok",
        cv_score=best.get("cv_mean"),
        best_model=best.get("model"),
        trials_complete=trials.get("complete"),
        trials_pruned=trials.get("pruned"),
        trials_failed=trials.get("failed"),
        stopped_by=summary.get("stopped_by"),
        search_s=summary.get("timings", {}).get("search"),
        refit_s=summary.get("timings", {}).get("refit"),
        package_s=summary.get("timings", {}).get("package"),
    )
    return row


# -- output --------------------------------------------------------------------------------------


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}g}" if abs(value) >= 1000 else f"{value:.{digits}f}"
    return str(value)


def write_csv(path: Path, rows: Sequence[Mapping[str, Any]]) -> None:
    """Every run, one row each (rewritten after every run, so partial results survive)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {key: "" if row.get(key) is None else row.get(key) for key in CSV_FIELDS}
            )


def read_csv(
    paths: Sequence[Path], anchors: Mapping[str, Mapping[str, float]]
) -> list[dict[str, Any]]:
    """Rows written by :func:`write_csv` (a later file's run replaces an earlier one's)."""
    runs: dict[tuple[str, str], dict[str, Any]] = {}
    numbers = ("test_score", "normalised", "constant_split", "cv_score", "trials_complete")
    for path in paths:
        with path.open(newline="", encoding="utf-8") as handle:
            for raw in csv.DictReader(handle):
                row: dict[str, Any] = dict(raw)
                for key in numbers:
                    row[key] = float(row[key]) if row.get(key) else None
                row.update(
                    {anchor: anchors.get(row["dataset"], {}).get(anchor) for anchor in ANCHORS}
                )
                if row.get("status") == "ok":
                    row["normalised"] = normalised(
                        row["test_score"], anchors.get(row["dataset"], {})
                    )
                runs[row["dataset"], row["seed"]] = row
    return list(runs.values())


def dataset_table(rows: Sequence[Mapping[str, Any]], order: Sequence[str]) -> list[dict[str, Any]]:
    """One summary per dataset: mean, std, min, max over seeds, normalised, anchors."""
    table = []
    for name in order:
        runs = [row for row in rows if row["dataset"] == name]
        scores = [row["test_score"] for row in runs if row.get("status") == "ok"]
        if not runs:
            continue
        first = runs[0]
        summary: dict[str, Any] = {
            "dataset": name,
            "metric": first["metric"],
            "runs": len(scores),
            "failed": len(runs) - len(scores),
            "mean": statistics.fmean(scores) if scores else math.nan,
            "std": statistics.stdev(scores) if len(scores) > 1 else math.nan,
            "min": min(scores) if scores else math.nan,
            "max": max(scores) if scores else math.nan,
            "constant_split": statistics.fmean(
                [row["constant_split"] for row in runs if row.get("status") == "ok"]
            )
            if scores
            else math.nan,
            "normalised": statistics.fmean(
                [row["normalised"] for row in runs if row.get("status") == "ok"]
            )
            if scores
            else math.nan,
            "models": ", ".join(
                f"{model} x{count}" if count > 1 else str(model)
                for model, count in Counter(
                    row.get("best_model") for row in runs if row.get("status") == "ok"
                ).most_common()
            ),
            "trials": statistics.fmean(
                [row.get("trials_complete") or 0 for row in runs if row.get("status") == "ok"]
            )
            if scores
            else math.nan,
        }
        for anchor in ANCHORS:
            summary[anchor] = first.get(anchor)
        table.append(summary)
    return table


def print_table(table: Sequence[Mapping[str, Any]], out: Callable[[str], None]) -> None:
    """The per-dataset table as aligned text."""
    headers = [
        "dataset",
        "metric",
        "n",
        "automl mean",
        "std",
        "min-max",
        "normalised",
        "const (split)",
        *ANCHORS,
        "trials",
        "best models",
    ]
    lines = []
    for item in table:
        spread = f"{_fmt(item['min'])}-{_fmt(item['max'])}" if item["runs"] else "-"
        runs = f"{item['runs']}" + (f" ({item['failed']} failed)" if item["failed"] else "")
        lines.append(
            [
                item["dataset"],
                item["metric"],
                runs,
                _fmt(item["mean"]),
                _fmt(item["std"]),
                spread,
                _fmt(item["normalised"], 3),
                _fmt(item["constant_split"]),
                *(_fmt(item.get(anchor)) for anchor in ANCHORS),
                _fmt(item["trials"], 0) if item["runs"] else "-",
                item["models"],
            ]
        )
    widths = [
        max(len(str(cell)) for cell in column) for column in zip(headers, *lines, strict=True)
    ]
    out("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for line in lines:
        out("  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())


def print_summary(table: Sequence[Mapping[str, Any]], out: Callable[[str], None]) -> None:
    """Mean normalised score over the datasets that have one."""
    scored = [item for item in table if math.isfinite(item["normalised"])]
    failed = sum(item["failed"] for item in table)
    if scored:
        values = [item["normalised"] for item in scored]
        out(
            f"mean normalised score over {len(scored)} dataset(s): {statistics.fmean(values):.3f} "
            f"(median {statistics.median(values):.3f}, min {min(values):.3f} "
            f"[{min(scored, key=lambda item: item['normalised'])['dataset']}]); "
            "0 = constant predictor, 1 = AMLB tuned random forest"
        )
        # The same normalisation of the published systems, over the same datasets: a scale for
        # the mean (datasets where the tuned forest barely beats the constant, such as cmc,
        # give every good system a large normalised score).
        peers = []
        for anchor in ("flaml_2023", "autogluon_best_2023", "rf_2023"):
            values = [
                normalised(item[anchor], item)
                for item in scored
                if isinstance(item.get(anchor), float)
            ]
            values = [value for value in values if math.isfinite(value)]
            if values and len(values) == len(scored):
                peers.append(
                    f"{anchor} {statistics.fmean(values):.3f} "
                    f"(median {statistics.median(values):.3f})"
                )
        if peers:
            out("same normalisation of the AMLB anchors on these datasets: " + ", ".join(peers))
        by_task: dict[str, list[float]] = {}
        for item in scored:
            by_task.setdefault(item["metric"], []).append(item["normalised"])
        out(
            "by metric: "
            + ", ".join(
                f"{metric} {statistics.fmean(v):.3f} ({len(v)})" for metric, v in by_task.items()
            )
        )
    else:
        out("no dataset has a normalised score")
    if failed:
        out(f"{failed} run(s) failed (see above)")


def write_splits(
    entries: Sequence[Mapping[str, Any]],
    seeds: Sequence[int],
    suite_dir: Path,
    splits_dir: Path,
    out: Callable[[str], None],
) -> int:
    """Write (or check) the split files only; 1 when a dataset could not be split."""
    failed = 0
    for entry in entries:
        try:
            frame = read_labelled(suite_dir / entry["file"], entry["target"])
            labels = frame[entry["target"]].to_numpy()
            for seed in seeds:
                train, test, path = fixed_split(entry, frame, labels, seed, splits_dir)
                out(f"{path}: {len(train)} training rows, {len(test)} test rows")
        except Exception as exc:
            failed += 1
            out(f"{entry['name']}: FAILED: {type(exc).__name__}: {exc}")
    return 1 if failed else 0


# -- main ----------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("suite", type=Path, help="suite.json (dataset files relative to it)")
    parser.add_argument(
        "--from-csv",
        type=Path,
        nargs="+",
        default=None,
        help="run nothing: print the table of runs saved with --out (several files are merged)",
    )
    parser.add_argument("--time-budget", type=float, default=30.0, help="seconds per run")
    parser.add_argument(
        "--seeds", type=int, nargs="+", default=[0, 1, 2], help="split/search seeds"
    )
    parser.add_argument("--datasets", nargs="+", default=None, help="dataset names (any role)")
    parser.add_argument(
        "--role", choices=["core", "extra", "all"], default="core", help="without --datasets"
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="execution.workers (default: auto = all CPUs)"
    )
    parser.add_argument("--n-trials", type=int, default=None, help="also cap the trials per run")
    parser.add_argument("--cv", type=int, default=5, help="search.cv folds")
    parser.add_argument(
        "--models", nargs="+", default=None, help="model names (default: every installed model)"
    )
    parser.add_argument(
        "--anchors",
        type=Path,
        default=None,
        help="AMLB anchors CSV (default: amlb_anchors.csv beside suite.json)",
    )
    parser.add_argument("--splits-dir", type=Path, default=DEFAULT_SPLITS, help="split files")
    parser.add_argument("--out", type=Path, default=None, help="CSV of every run")
    parser.add_argument(
        "--splits-only",
        action="store_true",
        help="only write (or check) the split files of the selected datasets and seeds",
    )
    parser.add_argument(
        "--runs-dir",
        type=Path,
        default=None,
        help="folder for the temporary run directories (default: the system's temp folder)",
    )
    return parser


def main(argv: Sequence[str] | None = None, out: Callable[[str], None] = print) -> int:
    """Run the suite; returns 0 when every run succeeded, 1 when some failed."""
    from automl.registry import PluginRegistry

    args = _parser().parse_args(argv)
    suite_path: Path = args.suite.resolve()
    entries = select(load_suite(suite_path), args.datasets, args.role)
    anchors = load_anchors(args.anchors or suite_path.parent / "amlb_anchors.csv")
    registry = PluginRegistry.discover()
    if args.runs_dir is not None:
        args.runs_dir.mkdir(parents=True, exist_ok=True)
    if args.from_csv:  # every dataset of the suite (or --datasets), in the suite's order
        rows = read_csv(args.from_csv, anchors)
        names = [
            entry["name"]
            for entry in select(load_suite(suite_path), args.datasets, "all")
            if any(row["dataset"] == entry["name"] for row in rows)
        ]
        table = dataset_table(rows, names)
        print_table(table, out)
        out("")
        print_summary(table, out)
        return 0
    if args.splits_only:
        return write_splits(entries, args.seeds, suite_path.parent, args.splits_dir, out)
    total = len(entries) * len(args.seeds)
    out(
        f"{len(entries)} dataset(s) x {len(args.seeds)} seed(s); time budget {args.time_budget:g} s"
        f" per run; workers {args.workers or 'auto'}; splits in {args.splits_dir}"
    )
    rows: list[dict[str, Any]] = []
    count = 0
    for entry in entries:
        name = entry["name"]
        source = suite_path.parent / entry["file"]
        if entry.get("md5") and source.exists() and md5(source) != entry["md5"]:
            out(f"warning: {source} does not match the md5 in {suite_path.name}")
        for seed in args.seeds:
            count += 1
            try:
                row = run_one(entry, seed, args, registry, suite_path.parent)
            except Exception as exc:  # report it and go on with the next run
                row = {
                    "dataset": name,
                    "role": entry.get("role", ""),
                    "task": entry.get("task"),
                    "metric": entry.get("metric"),
                    "seed": seed,
                    "status": "failed",
                    "error": f"{type(exc).__name__}: {exc}".strip(),
                }
                out(f"[{count}/{total}] {name} seed {seed}: FAILED: {row['error']}")
                out("".join(traceback.format_exception(exc)).rstrip())
            row.update({anchor: anchors.get(name, {}).get(anchor) for anchor in ANCHORS})
            if row["status"] == "ok":
                row["normalised"] = normalised(row["test_score"], anchors.get(name, {}))
                out(
                    f"[{count}/{total}] {name} seed {seed}: test {row['metric']} "
                    f"{_fmt(row['test_score'])} (normalised {_fmt(row['normalised'], 3)}), "
                    f"cv {_fmt(row['cv_score'])}, best {row['best_model']}, "
                    f"{row['trials_complete']} trials, {row['run_s']} s"
                )
            rows.append(row)
            if args.out is not None:
                write_csv(args.out, rows)
    out("")
    table = dataset_table(rows, [entry["name"] for entry in entries])
    print_table(table, out)
    out("")
    print_summary(table, out)
    if args.out is not None:
        out(f"wrote {args.out}")
    return 0 if all(row["status"] == "ok" for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
