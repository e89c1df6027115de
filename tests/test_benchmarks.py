"""Smoke tests of the benchmark scripts (benchmarks/suite.py, overhead.py, budget.py,
refit_full.py) on tiny data."""

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
SIBLINGS = ("common", "suite_report")
"""The modules the scripts import from their own folder, in dependency order."""


def _module(name: str, as_name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location(as_name, BENCHMARKS / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module


def _load(name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Import a script of benchmarks/ (a folder without ``__init__.py``) as a module.

    Its sibling modules are imported first under their plain names, as ``python
    benchmarks/<script>.py`` finds them (the script's folder first on ``sys.path``).
    """
    for sibling in SIBLINGS:
        _module(sibling, sibling, monkeypatch)
    return _module(name, f"_bench_{name}", monkeypatch)


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
    report = sys.modules["suite_report"]  # the anchors, the CSV and the table
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
        assert tuple(reader.fieldnames or ()) == report.CSV_FIELDS
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
    _, test, _ = sys.modules["common"].fixed_split(
        entry, frame, frame["label"].to_numpy(), 0, splits
    )
    assert frame.index[test].tolist() == split["test_rows"]


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        (
            None,
            [],
            r"suite file .*nowhere\.json does not exist; pass the path of the suite's suite\.json",
        ),
        ("{not json", [], r"is not valid JSON \(line 1, column 2: "),
        ('{"name": "x"}', [], r"is not a list of datasets"),
        (
            '[{"name": "x", "file": "x.csv"}]',
            ["--datasets", "y"],
            r"unknown dataset\(s\): y; known: x",
        ),
    ],
    ids=["missing", "not-json", "not-a-list", "unknown-dataset"],
)
def test_suite_reports_a_bad_suite_file_in_one_line_with_exit_code_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    content: str | None,
    extra: list[str],
    message: str,
) -> None:
    suite = _load("suite", monkeypatch)
    path = tmp_path / ("nowhere.json" if content is None else "suite.json")
    if content is not None:
        path.write_text(content, encoding="utf-8")

    code = suite.main([str(path), *extra], out=lambda line: None)

    assert code == 2
    error = capsys.readouterr().err
    assert error.startswith("suite.py: error: ")
    assert error.count("\n") == 1  # one line, no traceback
    assert re.search(message, error)


def test_normalised_score_for_lower_is_better_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    report = _load("suite_report", monkeypatch)
    anchors = {"constant_2021": 1.0, "tuned_rf_2021": 0.5}
    assert report.normalised(0.5, anchors) == 1.0
    assert report.normalised(1.0, anchors) == 0.0
    assert report.normalised(0.25, anchors) == 1.5
    assert math.isnan(report.normalised(0.3, {}))


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


@pytest.mark.slow
def test_budget_prints_one_line_per_budget_and_the_max_ratio(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    budget = _load("budget", monkeypatch)
    # Two quick trials: the run ends well inside its budget even on a loaded machine (a worker
    # process can take seconds to start), and a budget of 20 s still bounds it. (With 10 s, a
    # machine where start-up takes 3 s and a worker as long finished no trial.)
    (tmp_path / "recipe.yaml").write_text(
        f"name: budget-check\n"
        f"task: binary\n"
        f"data: {{source: {{type: csv, path: '{ROOT / 'recipes' / 'data' / 'churn.csv'}'}}, "
        "target: churned, holdout: 0.2}\n"
        "models: [logistic_regression]\n"
        "search: {n_trials: 2, cv: 3, seed: 0}\n"
        "execution: {workers: 1}\n",
        encoding="utf-8",
    )
    lines: list[str] = []
    argv = ["--budgets", "20", "--recipe", str(tmp_path / "recipe.yaml")]

    code = budget.main([*argv, "--workdir", str(tmp_path)], out=lines.append)

    assert code == 0, "\n".join(lines)
    runs = [line for line in lines if line.startswith("budget=")]
    assert len(runs) == 1
    match = re.fullmatch(
        r"budget=20 wall=(\d+\.\d\d) ratio=(\d+\.\d{3}) run_total=(\d+\.\d\d) "
        r"overrun=(\d+\.\d\d) stopped_by=(time_budget|n_trials)",
        runs[0],
    )
    assert match, runs[0]
    wall, ratio, total, overrun = map(float, match.groups()[:4])
    assert math.isclose(ratio, wall / 20, abs_tol=0.002)
    assert 0 < total <= wall
    assert math.isclose(overrun, max(0.0, total - 20), abs_tol=0.01)
    phases = lines[lines.index(runs[0]) + 1]
    assert re.fullmatch(
        r"  phases: (\w+=\d+\.\d\d ?)+; outside the phases: -?\d+\.\d\d; outside the run: \d+\.\d\d",
        phases,
    )
    assert "search=" in phases
    last = re.fullmatch(
        r"max_ratio=(\d+\.\d{3}) goal: wall/budget <= 1\.02 \((met|not met.*)\)", lines[-1]
    )
    assert last, lines[-1]
    assert float(last.group(1)) == ratio


def test_refit_full_compares_both_fits_and_counts_the_better(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("lightgbm")
    for sibling in (*SIBLINGS, "suite"):  # refit_full.py imports suite.py too
        _module(sibling, sibling, monkeypatch)
    script = _module("refit_full", "_bench_refit_full", monkeypatch)
    suite = _tiny_suite(tmp_path)
    arguments = [str(suite), "--datasets", "tiny", "--models", "lightgbm", "--seeds", "0", "1"]
    assert script.main([*arguments, "--splits-dir", str(tmp_path / "splits")]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("tiny")]
    assert len(lines) == 2, out
    for line in lines:
        stopped, rounds = map(int, re.search(r"(\d+)>(\d+)", line).groups())  # type: ignore[union-attr]
        assert rounds == max(1, round(stopped / 0.9))  # LightGBM holds out 10 %
    assert re.search(r"refit_full scored better in [0-2] of 2 fits; fit time [\d.]+ s", out)
    assert sorted(p.name for p in (tmp_path / "splits").iterdir()) == [
        "tiny.seed0.json",
        "tiny.seed1.json",
    ]
    assert script.main([str(suite), "--datasets", "nope"]) == 2
    assert "unknown dataset(s) ['nope']" in capsys.readouterr().err
