"""The AMLB suite: automl on fixed 75/25 splits of the benchmark datasets, beside the AMLB anchors.

For each dataset and seed:

1. a fixed 75/25 split of the CSV's rows (stratified for classification,
   ``random_state=seed``), written down in ``--splits-dir`` as the 0-based data rows (header
   excluded) of the 25 % test part, so that other systems can be scored on identical splits;
   an existing split file is reused as it is;
2. a recipe built here: a temporary CSV of the 75 % training part, ``data.holdout: 0`` (all of
   it goes to the search), the dataset's task and metric, ``search.time_budget`` and
   ``search.seed`` = the seed;
3. ``automl.run`` into a temporary run directory, read back with ``automl.open_run``; its
   packaged model scored on the 25 % test part by ``automl.evaluation`` (the module that
   scores trials and the holdout) with the registry's metric (probabilities in the package's
   class order for ``roc_auc`` and ``log_loss``).

The table prints, per dataset, the mean and spread over seeds of the test score, the AMLB
anchors, and the AMLB-normalised score ``(score - constant_2021) / (tuned_rf_2021 -
constant_2021)`` (0 = constant predictor, 1 = tuned random forest; the same formula holds for
lower-is-better metrics). ``constant (split)`` is the constant predictor (training class priors,
or the training mean) scored on our test part: a check that our splits are comparable with the
AMLB's constant anchor. The anchors are 10-fold means with 1 h on 8 cores; our budgets are far
smaller and our splits are not the OpenML folds, so read them as ranges.

Shared with the other benchmarks: ``common.py`` (datasets, splits, recipes, runs, scoring);
the anchors, the CSV and the table: ``suite_report.py``.

Run::

    python benchmarks/suite.py ../shared/bench/suite.json --time-budget 30 --seeds 0 1 2 \\
        --out results.csv
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from common import (
    as_classes,
    constant_score,
    fixed_split,
    load_recipe_text,
    read_labelled,
    run_recipe,
    score_package,
    shown_path,
)
from suite_report import (
    ANCHORS,
    dataset_table,
    fmt,
    load_anchors,
    normalised,
    print_summary,
    print_table,
    read_csv,
    write_csv,
)

if TYPE_CHECKING:
    from automl import PluginRegistry

DEFAULT_SPLITS = Path(__file__).resolve().parent / "splits"

# -- inputs --------------------------------------------------------------------------------------


class SuiteError(ValueError):
    """The suite cannot be run as asked (a missing or malformed ``suite.json``, an unknown
    dataset): reported in one line, exit code 2, like a wrong command-line argument."""


def load_suite(path: Path) -> list[dict[str, Any]]:
    """The datasets of ``suite.json``.

    Raises:
        SuiteError: the file is missing, unreadable, not JSON, or not a list of datasets.
    """
    hint = (
        "pass the path of the suite's suite.json (its dataset files are read relative to it), "
        "e.g. python benchmarks/suite.py path/to/suite.json"
    )
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "does not exist"
        raise SuiteError(f"suite file {path} {what}; {hint}")
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SuiteError(f"cannot read the suite file {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise SuiteError(
            f"suite file {path} is not valid JSON (line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg}); {hint}"
        ) from None
    if not isinstance(entries, list) or not all(
        isinstance(entry, dict) and "name" in entry and "file" in entry for entry in entries
    ):
        raise SuiteError(
            f"suite file {path} is not a list of datasets (JSON objects with at least "
            f'"name" and "file"); {hint}'
        )
    return entries


def select(
    entries: Sequence[Mapping[str, Any]], names: Sequence[str] | None, role: str
) -> list[Mapping[str, Any]]:
    """The datasets named (in the order given), or those of ``role`` (``all`` for every one)."""
    if names:
        by_name = {entry["name"]: entry for entry in entries}
        unknown = [name for name in names if name not in by_name]
        if unknown:
            raise SuiteError(
                f"unknown dataset(s): {', '.join(unknown)}; known: {', '.join(by_name)}"
            )
        return [by_name[name] for name in names]
    return [entry for entry in entries if role == "all" or entry.get("role") == role]


def md5(path: Path) -> str:
    """The md5 of a file, to check a dataset against ``suite.json``."""
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- one run -------------------------------------------------------------------------------------


def _recipe(
    entry: Mapping[str, Any],
    seed: int,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """The recipe of one run: the training part (``train.csv`` beside the recipe) all searched."""
    search: dict[str, Any] = {"time_budget": args.time_budget, "cv": args.cv, "seed": seed}
    if args.n_trials is not None:
        search["n_trials"] = args.n_trials
    recipe: dict[str, Any] = {
        "name": f"bench-{entry['name']}-seed{seed}",
        "task": entry["task"],
        "data": {
            "source": {"type": "csv", "path": "train.csv"},
            "target": entry["target"],
            "holdout": 0,
        },
        "metric": entry["metric"],
        "search": search,
    }
    if args.models:
        recipe["models"] = list(args.models)
    if args.workers is not None:
        recipe["execution"] = {"workers": args.workers}
    return recipe


def run_one(
    entry: Mapping[str, Any],
    seed: int,
    args: argparse.Namespace,
    registry: PluginRegistry,
    suite_dir: Path,
) -> dict[str, Any]:
    """Split, search, package and score one dataset for one seed; the row for the CSV."""
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
    row.update(train_rows=len(train), test_rows=len(test), split_file=shown_path(path))
    metric = entry["metric"]
    spec = registry.get("metric", metric).spec
    with tempfile.TemporaryDirectory(prefix=f"suite-{entry['name']}-", dir=args.runs_dir) as tmp:
        work = Path(tmp)
        frame.iloc[train].to_csv(work / "train.csv", index=False)
        resolved = load_recipe_text(
            json.dumps(_recipe(entry, seed, args), indent=1), work, registry
        )
        started = time.monotonic()
        finished = run_recipe(resolved, work / "run")
        row["run_s"] = round(time.monotonic() - started, 2)
        package = finished.load_model()
        rows = frame.iloc[test].drop(columns=[target])
        truth = as_classes(frame[target].iloc[test], package.classes)
        row["test_score"] = score_package(package, rows, truth, metric, spec)
        known = as_classes(frame[target].iloc[train], package.classes, unknown_ok=True)
        row["constant_split"] = constant_score(known, truth, package.classes, metric, spec)
        summary = finished.summary
    best = summary.best_trial
    row.update(
        status="ok",
        cv_score=best.cv_mean if best is not None else None,
        best_model=best.model if best is not None else None,
        trials_complete=summary.trials.complete,
        trials_pruned=summary.trials.pruned,
        trials_failed=summary.trials.failed,
        stopped_by=summary.stopped_by.value if summary.stopped_by is not None else None,
        search_s=summary.timings.get("search"),
        refit_s=summary.timings.get("refit"),
        package_s=summary.timings.get("package"),
    )
    return row


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
    parser.add_argument(
        "--cv",
        type=lambda text: text if text == "auto" else int(text),
        default="auto",
        help="search.cv: folds, or auto (the recipe default)",
    )
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
    """Run the suite; returns 0 when every run succeeded, 1 when some failed, 2 when the suite
    cannot be run as asked (the message is printed on stderr)."""
    from automl import PluginRegistry

    args = _parser().parse_args(argv)
    suite_path: Path = args.suite.resolve()
    try:
        entries = select(load_suite(suite_path), args.datasets, args.role)
    except SuiteError as exc:
        print(f"suite.py: error: {exc}", file=sys.stderr)
        return 2
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
                    f"{fmt(row['test_score'])} (normalised {fmt(row['normalised'], 3)}), "
                    f"cv {fmt(row['cv_score'])}, best {row['best_model']}, "
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
