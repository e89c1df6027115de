"""Scoring, comparing and reporting the runs of ``peers.py``: the test predictions every tool
wrote, scored by one function; who wins each (dataset, seed); the CSV; the tables.

Every tool is scored by the same code: its predictions file is read with the class columns
matched to the dataset's labels by name, probabilities are clipped to ``[EPS, 1]`` and
renormalised per row, and :func:`automl.evaluation.score` applies the registry's metric
(``roc_auc`` of the positive class = the last of the sorted labels, as automl's metric scores
it; ``log_loss`` with the columns in the sorted labels' order; ``rmse``).
"""

from __future__ import annotations

import csv
import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from suite_report import fmt, normalised

if TYPE_CHECKING:
    from automl import MetricSpec

EPS = 1e-15
"""Probabilities are clipped to ``[EPS, 1]`` (then renormalised), the same for every tool."""
CSV_FIELDS = (
    "dataset",
    "role",
    "task",
    "metric",
    "direction",
    "seed",
    "tool",
    "tool_version",
    "status",
    "test_score",
    "normalised",
    "constant_split",
    "best_model",
    "wall_s",
    "time_budget",
    "wall_ratio",
    "fit_s",
    "predict_s",
    "fit_wall_s",
    "fit_wall_ratio",
    "phases",
    "cpus",
    "train_rows",
    "test_rows",
    "split_file",
    "error",
)
NUMBERS = (
    "test_score",
    "normalised",
    "constant_split",
    "wall_s",
    "time_budget",
    "wall_ratio",
    "fit_wall_s",
    "fit_wall_ratio",
)

# -- scoring -------------------------------------------------------------------------------------


def label_key(value: Any) -> str:
    """A class label (or a predictions file's column header) as text to match them by:
    integral numbers without ``.0``, booleans as ``True``/``False``, text stripped."""
    if isinstance(value, bool):
        return str(value)
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text


def read_predictions(path: Path, classes: Sequence[Any] | None, rows: int) -> Any:
    """The predictions a tool wrote: values (regression) or probabilities with one column per
    class of ``classes``, in that order (a class the tool never predicted gets zeros), clipped
    to ``[EPS, 1]`` and renormalised per row.

    Raises:
        ValueError: no file, the wrong number of rows, a column that is not a class, missing or
            non-numeric values.
    """
    import numpy as np
    import pandas as pd

    if not path.is_file():
        raise ValueError(f"the tool wrote no predictions file ({path.name})")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if len(frame) != rows:
        raise ValueError(f"{path.name} has {len(frame)} rows for {rows} test rows")
    if classes is None:
        if list(frame.columns) != ["prediction"]:
            raise ValueError(f"{path.name}: expected one column 'prediction', got {list(frame)}")
        values = pd.to_numeric(frame["prediction"], errors="coerce").to_numpy(dtype=float)
        if not np.isfinite(values).all():
            raise ValueError(f"{path.name}: missing or non-numeric predictions")
        return values
    exact = {str(label): index for index, label in enumerate(classes)}
    keyed = {label_key(label): index for index, label in enumerate(classes)}
    proba = np.zeros((rows, len(classes)))
    for column in frame.columns:
        index = exact.get(column, keyed.get(label_key(column)))
        if index is None:
            raise ValueError(f"{path.name}: column {column!r} is not a class ({list(classes)})")
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        if not np.isfinite(values).all():
            raise ValueError(f"{path.name}: missing or non-numeric probabilities in {column!r}")
        proba[:, index] += values
    proba = np.clip(proba, EPS, 1.0)
    return proba / proba.sum(axis=1, keepdims=True)


def score_predictions(
    predictions: Any, truth: Any, classes: Sequence[Any] | None, metric: str, spec: MetricSpec
) -> float:
    """The metric of ``predictions`` (from :func:`read_predictions`) against ``truth``."""
    from automl import evaluation

    made = (
        evaluation.Predictions(proba=predictions)
        if spec.needs_proba
        else evaluation.Predictions(label=predictions)
    )
    return evaluation.score({metric: spec}, truth, made, classes)[metric]


# -- comparing -----------------------------------------------------------------------------------


def winners(scores: Mapping[str, float], maximize: bool, tolerance: float = 0.0) -> list[str]:
    """The tools with the best score (several on a tie: within ``tolerance`` of the best)."""
    finite = {tool: score for tool, score in scores.items() if math.isfinite(score)}
    if not finite:
        return []
    best = max(finite.values()) if maximize else min(finite.values())
    return [tool for tool, score in finite.items() if abs(score - best) <= tolerance]


def _scored(rows: Sequence[Mapping[str, Any]]) -> dict[tuple[str, int], dict[str, float]]:
    """(dataset, seed) -> tool -> test score; NaN for a run that failed (it loses to any run
    that finished). A tool that was not installed has no entry: it did not take part."""
    found: dict[tuple[str, int], dict[str, float]] = {}
    for row in rows:
        if row.get("status") in ("ok", "failed"):
            score = row.get("test_score") if row["status"] == "ok" else None
            key = (row["dataset"], int(row["seed"]))
            found.setdefault(key, {})[row["tool"]] = math.nan if score is None else float(score)
    return found


def _maximize(rows: Sequence[Mapping[str, Any]]) -> dict[str, bool]:
    return {row["dataset"]: row.get("direction") == "maximize" for row in rows}


def head_to_head(
    rows: Sequence[Mapping[str, Any]], tool: str, other: str, tolerance: float = 0.0
) -> tuple[float, int]:
    """``tool``'s points against ``other`` (a win 1, a tie 1/2) and the number of (dataset,
    seed) pairs that count: both ran, and at least one finished (a failed run loses)."""
    maximize = _maximize(rows)
    points, pairs = 0.0, 0
    for (dataset, _), scores in _scored(rows).items():
        if tool in scores and other in scores:
            best = winners({tool: scores[tool], other: scores[other]}, maximize[dataset], tolerance)
            pairs += bool(best)
            points += 1.0 / len(best) if tool in best else 0.0
    return points, pairs


def _spread(
    scored: Mapping[tuple[str, int], Mapping[str, float]], dataset: str, tool: str
) -> float:
    """The largest difference between ``tool``'s finished runs on ``dataset`` (its seed-to-seed
    spread; 0 with fewer than two)."""
    values = [
        s[tool]
        for (d, _), s in scored.items()
        if d == dataset and math.isfinite(s.get(tool, math.nan))
    ]
    return max(values) - min(values) if len(values) > 1 else 0.0


def behind_beyond_spread(rows: Sequence[Mapping[str, Any]], tool: str = "automl") -> list[str]:
    """Each (dataset, seed, peer) where ``tool`` did worse than the peer by more than ``tool``'s
    seed-to-seed spread on that dataset (a failed run of ``tool`` always counts), described with
    both spreads: the target is that there are none."""
    maximize = _maximize(rows)
    scored = _scored(rows)
    found = []
    for (dataset, seed), scores in sorted(scored.items()):
        own = scores.get(tool)
        if own is None:
            continue
        spread = _spread(scored, dataset, tool)
        for peer, theirs in sorted(scores.items()):
            if peer == tool or not math.isfinite(theirs):
                continue
            behind = (theirs - own) if maximize[dataset] else (own - theirs)
            if math.isfinite(own) and behind <= spread:
                continue
            if math.isfinite(own):
                what = f"{tool} {fmt(own)} vs {peer} {fmt(theirs)}, behind by {fmt(behind)}"
            else:
                what = f"{tool} failed vs {peer} {fmt(theirs)}, a failed run"
            spreads = f"{fmt(spread)} ({tool}), {fmt(_spread(scored, dataset, peer))} ({peer})"
            found.append(f"{dataset} seed {seed}: {what}; spread {spreads}")
    return found


def behind_on_mean(rows: Sequence[Mapping[str, Any]], tool: str = "automl") -> list[str]:
    """Each (dataset, peer) where ``tool``'s mean over the seeds is worse than the peer's by more
    than the larger of the two seed-to-seed spreads on that dataset; a failed run of ``tool``
    where the peer finished always counts. The dataset-level reading of the target, beside the
    per-seed one of :func:`behind_beyond_spread` (stricter: one split can decide it)."""
    maximize = _maximize(rows)
    scored = _scored(rows)
    found = []
    for dataset in sorted({name for name, _ in scored}):
        runs = [scores for (name, _), scores in scored.items() if name == dataset]
        peers = sorted({peer for scores in runs for peer in scores} - {tool})
        for peer in peers:
            pairs = [(s[tool], s[peer]) for s in runs if tool in s and peer in s]
            own = [a for a, b in pairs if math.isfinite(a)]
            theirs = [b for _, b in pairs if math.isfinite(b)]
            if not theirs:
                continue
            if any(math.isnan(a) and math.isfinite(b) for a, b in pairs):
                found.append(f"{dataset}: {tool} failed a run that {peer} finished")
                continue
            behind = _mean(theirs) - _mean(own) if maximize[dataset] else _mean(own) - _mean(theirs)
            spread = max(_spread(scored, dataset, tool), _spread(scored, dataset, peer))
            if behind > spread:
                found.append(
                    f"{dataset}: {tool} {fmt(_mean(own))} vs {peer} {fmt(_mean(theirs))} "
                    f"(means of {len(pairs)} seed(s)), behind by {fmt(behind)}; the larger "
                    f"seed-to-seed spread {fmt(spread)}"
                )
    return found


# -- CSV -----------------------------------------------------------------------------------------


def write_csv(path: Path, rows: Sequence[Mapping[str, Any]]) -> None:
    """One row per (dataset, seed, tool), rewritten after every run."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({key: "" if row.get(key) is None else row[key] for key in CSV_FIELDS})


def read_csv(
    paths: Sequence[Path], anchors: Mapping[str, Mapping[str, float]]
) -> list[dict[str, Any]]:
    """Rows written by :func:`write_csv` (a later file's run of the same dataset, seed and tool
    replaces an earlier one's); the normalised score is recomputed from ``anchors``."""
    runs: dict[tuple[str, int, str], dict[str, Any]] = {}
    for path in paths:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = {"dataset", "seed", "tool", "status"} - set(reader.fieldnames or ())
            if missing:
                raise ValueError(f"{path} is not a peers.py CSV (no {', '.join(sorted(missing))})")
            for raw in reader:
                row: dict[str, Any] = dict(raw)
                for key in NUMBERS:
                    row[key] = float(row[key]) if row.get(key) else None
                row["seed"] = int(row["seed"])
                if row["status"] == "ok" and row["test_score"] is not None:
                    row["normalised"] = normalised(
                        row["test_score"], anchors.get(row["dataset"], {})
                    )
                runs[row["dataset"], row["seed"], row["tool"]] = row
    return list(runs.values())


# -- tables --------------------------------------------------------------------------------------


def _mean(values: Sequence[float]) -> float:
    finite = [value for value in values if math.isfinite(value)]
    return statistics.fmean(finite) if finite else math.nan


def _aligned(
    headers: Sequence[str], lines: Sequence[Sequence[str]], out: Callable[[str], None]
) -> None:
    widths = [max(len(cell) for cell in column) for column in zip(headers, *lines, strict=True)]
    for line in [headers, *lines]:
        out("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())


def tool_table(
    rows: Sequence[Mapping[str, Any]], datasets: Sequence[str], tools: Sequence[str]
) -> list[dict[str, Any]]:
    """Per dataset and tool: runs, failures, mean and std of the test score, mean normalised
    score, wall ÷ budget (mean, max)."""
    table = []
    for dataset in datasets:
        for tool in tools:
            runs = [row for row in rows if row["dataset"] == dataset and row["tool"] == tool]
            if not runs:
                continue
            ok = [row for row in runs if row.get("status") == "ok"]
            scores = [float(row["test_score"]) for row in ok]
            ratios = [float(row["wall_ratio"]) for row in runs if row.get("wall_ratio")]
            table.append(
                {
                    "dataset": dataset,
                    "metric": runs[0]["metric"],
                    "tool": tool,
                    "runs": len(ok),
                    "failed": len(runs) - len(ok),
                    "mean": statistics.fmean(scores) if scores else math.nan,
                    "std": statistics.stdev(scores) if len(scores) > 1 else math.nan,
                    "normalised": _mean([float(row.get("normalised") or math.nan) for row in ok]),
                    "ratio_mean": statistics.fmean(ratios) if ratios else math.nan,
                    "ratio_max": max(ratios) if ratios else math.nan,
                    "models": ", ".join(
                        sorted({str(row["best_model"]) for row in ok if row.get("best_model")})
                    ),
                }
            )
    return table


def print_report(
    rows: Sequence[Mapping[str, Any]],
    datasets: Sequence[str],
    tools: Sequence[str],
    out: Callable[[str], None],
    tolerance: float = 0.0,
) -> None:
    """The per-dataset table, who wins each (dataset, seed), automl's win rates, the median
    normalised score and wall ÷ budget per tool."""
    table = tool_table(rows, datasets, tools)
    headers = ["dataset", "metric", "tool", "n", "mean ± std", "normalised", "wall/budget"]
    headers.append("best models")
    lines = [
        [
            item["dataset"],
            item["metric"],
            item["tool"],
            f"{item['runs']}" + (f" ({item['failed']} failed)" if item["failed"] else ""),
            f"{fmt(item['mean'])} ± {fmt(item['std'])}",
            fmt(item["normalised"], 3),
            f"{fmt(item['ratio_mean'], 2)} (max {fmt(item['ratio_max'], 2)})",
            item["models"],
        ]
        for item in table
    ]
    _aligned(headers, lines, out)
    maximize = _maximize(rows)
    scored = _scored(rows)
    out("")
    firsts = dict.fromkeys(tools, 0.0)
    for dataset in datasets:
        for (name, seed), scores in sorted(scored.items()):
            if name != dataset:
                continue
            best = winners(scores, maximize[name], tolerance)
            for tool in best:
                firsts[tool] = firsts.get(tool, 0.0) + 1.0 / len(best)
            shown = ", ".join(
                f"{tool} {fmt(scores[tool]) if math.isfinite(scores[tool]) else 'failed'}"
                for tool in tools
                if tool in scores
            )
            out(f"{name} seed {seed}: {shown} -> {' = '.join(best) or 'none'}")
    out("")
    out("first places (a tie shared): " + ", ".join(f"{t} {firsts[t]:g}" for t in tools))
    for other in tools:
        if other != "automl" and "automl" in tools:
            points, pairs = head_to_head(rows, "automl", other, tolerance)
            rate = f"{points / pairs:.0%}" if pairs else "-"
            out(
                f"automl vs {other}: {points:g} of {pairs} (win rate {rate}; a tie counts 1/2, "
                "a failed run loses)"
            )
    if "automl" in tools and len(tools) > 1:
        behind = behind_beyond_spread(rows)
        out(f"automl behind a peer by more than its seed-to-seed spread: {len(behind) or 'none'}")
        for line in behind:
            out(f"  {line}")
        behind = behind_on_mean(rows)
        out(
            "datasets where automl's mean is behind a peer's by more than the larger "
            f"seed-to-seed spread: {len(behind) or 'none'}"
        )
        for line in behind:
            out(f"  {line}")
    for tool in tools:
        items = [item for item in table if item["tool"] == tool]
        values = [item["normalised"] for item in items if math.isfinite(item["normalised"])]
        ratios = [float(r["wall_ratio"]) for r in rows if r["tool"] == tool and r.get("wall_ratio")]
        fitted = [
            float(r["fit_wall_ratio"])
            for r in rows
            if r["tool"] == tool and r.get("fit_wall_ratio")
        ]
        failed = sum(item["failed"] for item in items)
        out(
            f"{tool}: normalised median {fmt(statistics.median(values), 3) if values else '-'} "
            f"(mean {fmt(_mean(values), 3)}, {len(values)} dataset(s)); wall/budget mean "
            f"{fmt(_mean(ratios), 2)}, max {fmt(max(ratios), 2) if ratios else '-'}"
            + (
                f"; to the fitted model mean {fmt(_mean(fitted), 2)}, max {fmt(max(fitted), 2)}"
                if fitted
                else ""
            )
            + (f"; {failed} run(s) failed" if failed else "")
        )
