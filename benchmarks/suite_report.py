"""The AMLB suite's anchors and report: the anchor values, the AMLB-normalised score, the CSV
of runs and the per-dataset table that ``benchmarks/suite.py`` prints.

``normalised = (score - constant_2021) / (tuned_rf_2021 - constant_2021)``: 0 = the constant
predictor, 1 = the AMLB tuned random forest; the same formula holds for lower-is-better metrics.
"""

from __future__ import annotations

import csv
import math
import statistics
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

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


def fmt(value: Any, digits: int = 4) -> str:
    """A number as the table shows it (``-`` for none or not finite)."""
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
        spread = f"{fmt(item['min'])}-{fmt(item['max'])}" if item["runs"] else "-"
        runs = f"{item['runs']}" + (f" ({item['failed']} failed)" if item["failed"] else "")
        lines.append(
            [
                item["dataset"],
                item["metric"],
                runs,
                fmt(item["mean"]),
                fmt(item["std"]),
                spread,
                fmt(item["normalised"], 3),
                fmt(item["constant_split"]),
                *(fmt(item.get(anchor)) for anchor in ANCHORS),
                fmt(item["trials"], 0) if item["runs"] else "-",
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
