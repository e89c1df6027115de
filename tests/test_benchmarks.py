"""Smoke tests of the benchmark scripts (benchmarks/suite.py, benchmarks/overhead.py) on tiny data."""

from __future__ import annotations

import csv
import importlib.util
import json
import math
import re
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from tests.conftest import ROOT

BENCHMARKS = ROOT / "benchmarks"


def _load(name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Import a script of benchmarks/ (a folder without ``__init__.py``) as a module."""
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCHMARKS / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module


def _tiny_suite(folder: Path) -> Path:
    rng = np.random.default_rng(0)
    rows = 120
    x = rng.normal(size=rows)
    frame = pd.DataFrame(
        {
            "x": x,
            "noise": rng.normal(size=rows),
            "colour": rng.choice(["red", "green"], size=rows),
            "label": x + 0.5 * rng.normal(size=rows) > 0,  # boolean classes
        }
    )
    frame.to_csv(folder / "tiny.csv", index=False)
    suite = [
        {
            "name": "tiny",
            "role": "core",
            "file": "tiny.csv",
            "target": "label",
            "task": "binary",
            "metric": "roc_auc",
        },
        {
            "name": "absent",
            "role": "core",
            "file": "absent.csv",
            "target": "label",
            "task": "binary",
            "metric": "roc_auc",
        },
    ]
    (folder / "suite.json").write_text(json.dumps(suite), encoding="utf-8")
    (folder / "amlb_anchors.csv").write_text(
        "dataset,amlb_task_id,metric,tuned_rf_2021,constant_2021,flaml_2023,autogluon_best_2023,rf_2023\n"
        "tiny,1,auc,0.9,0.5,0.91,0.92,0.89\n",
        encoding="utf-8",
    )
    return folder / "suite.json"


@pytest.mark.slow
def test_suite_scores_a_split_and_keeps_going_after_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite = _load("suite", monkeypatch)
    suite_json = _tiny_suite(tmp_path)
    splits, results = tmp_path / "splits", tmp_path / "results.csv"
    lines: list[str] = []
    argv = [
        str(suite_json),
        "--time-budget",
        "20",
        "--n-trials",
        "2",
        "--seeds",
        "0",
        "--models",
        "logistic_regression",
        "--workers",
        "1",
        "--cv",
        "3",
        "--splits-dir",
        str(splits),
        "--runs-dir",
        str(tmp_path / "runs"),
        "--out",
        str(results),
    ]

    code = suite.main(argv, out=lines.append)

    assert code == 1  # the absent dataset failed; the tiny one still ran
    with results.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        assert tuple(reader.fieldnames or ()) == suite.CSV_FIELDS
    by_name = {row["dataset"]: row for row in rows}
    assert by_name["absent"]["status"] == "failed"
    assert "absent.csv" in by_name["absent"]["error"]
    tiny = by_name["tiny"]
    assert tiny["status"] == "ok"
    score = float(tiny["test_score"])
    assert 0.0 <= score <= 1.0
    assert math.isclose(float(tiny["normalised"]), (score - 0.5) / (0.9 - 0.5))
    assert tiny["best_model"] == "logistic_regression"
    assert (int(tiny["train_rows"]), int(tiny["test_rows"])) == (90, 30)
    split = json.loads((splits / "tiny.seed0.json").read_text(encoding="utf-8"))
    assert len(split["test_rows"]) == 30
    assert split["stratified"] is True
    text = "\n".join(lines)
    header = next(line for line in lines if line.startswith("dataset "))
    for column in ("automl mean", "std", "min-max", "normalised", "constant_2021", "rf_2023"):
        assert column in header
    assert re.search(r"mean normalised score over 1 dataset\(s\): -?\d+\.\d{3}", text)
    assert any(line.startswith("tiny ") and "logistic_regression" in line for line in lines)

    # A second run reuses the written split.
    entry = json.loads(suite_json.read_text(encoding="utf-8"))[0]
    frame = pd.read_csv(tmp_path / "tiny.csv")
    _, test, _ = suite.fixed_split(entry, frame, frame["label"].to_numpy(), 0, splits)
    assert frame.index[test].tolist() == split["test_rows"]


def test_normalised_score_for_lower_is_better_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    suite = _load("suite", monkeypatch)
    anchors = {"constant_2021": 1.0, "tuned_rf_2021": 0.5}
    assert suite.normalised(0.5, anchors) == 1.0
    assert suite.normalised(1.0, anchors) == 0.0
    assert suite.normalised(0.25, anchors) == 1.5
    assert math.isnan(suite.normalised(0.3, {}))


@pytest.mark.slow
def test_overhead_prints_the_ratio_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    overhead = _load("overhead", monkeypatch)
    lines: list[str] = []
    argv = ["--trials", "4", "--repeats", "1", "--rows", "150", "--features", "3", "--cv", "2"]

    code = overhead.main([*argv, "--workdir", str(tmp_path), "--profile"], out=lines.append)

    assert code == 0
    assert "same configurations and CV scores on both sides: yes" in lines
    assert any(line.startswith("engine overhead per trial:") for line in lines)
    assert any(line.startswith("model work per trial") for line in lines)
    assert any("Search._finish" in line for line in lines)  # the profile table
    match = re.fullmatch(
        r"ratio=(\d+\.\d+) engine_trials_per_s=(\d+\.\d+) bare_trials_per_s=(\d+\.\d+)",
        lines[-1],
    )
    assert match, lines[-1]
    ratio, engine, bare = map(float, match.groups())
    assert engine > 0
    assert bare > 0
    assert math.isclose(ratio, engine / bare, rel_tol=0.01)
