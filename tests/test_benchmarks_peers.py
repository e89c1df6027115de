"""benchmarks/peers.py: scoring aligned by label, win counting, the CSV, argument errors, and
end-to-end runs with fake runners and with automl alone (FLAML and AutoGluon are never
installed here)."""

from __future__ import annotations

import csv
import importlib.util
import json
import math
import re
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import log_loss, roc_auc_score

from automl import PluginRegistry
from tests.conftest import ROOT

BENCHMARKS = ROOT / "benchmarks"
SIBLINGS = ("common", "suite_report", "suite", "peers_install", "peers_report")
"""The modules peers.py imports from its own folder, in dependency order."""


def _load(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Import benchmarks/peers.py as ``python benchmarks/peers.py`` would (siblings first)."""
    module = None
    for name in (*SIBLINGS, "peers"):
        spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        monkeypatch.setitem(sys.modules, name, module)
        spec.loader.exec_module(module)
    assert module is not None
    return module


@pytest.fixture
def peers(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    return _load(monkeypatch)


@pytest.fixture
def report(peers: ModuleType) -> ModuleType:
    return sys.modules["peers_report"]


def _spec(metric: str) -> Any:
    return PluginRegistry.discover().get("metric", metric).spec


def _write(path: Path, columns: dict[str, list[Any]]) -> Path:
    pd.DataFrame(columns).to_csv(path, index=False)
    return path


# -- scoring -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("classes", "headers"),
    [([1, 2], ["2", "1"]), ([False, True], ["True", "False"]), ([1, 2], ["2.0", "1.0"])],
    ids=["int-labels-reversed", "bool-labels", "float-headers"],
)
def test_binary_auc_matches_columns_to_classes_by_label(
    report: ModuleType, tmp_path: Path, classes: list[Any], headers: list[str]
) -> None:
    truth = np.array([classes[0], classes[1], classes[1], classes[0], classes[1]])
    positive = np.array([0.2, 0.9, 0.4, 0.6, 0.7])  # probability of classes[1]
    path = _write(tmp_path / "p.csv", {headers[0]: positive, headers[1]: 1 - positive})

    made = report.read_predictions(path, classes, len(truth))
    score = report.score_predictions(made, truth, classes, "roc_auc", _spec("roc_auc"))

    assert made[:, 1] == pytest.approx(positive)
    assert score == pytest.approx(roc_auc_score(truth == classes[1], positive))


def test_multiclass_log_loss_clips_renormalises_and_fills_a_missing_class(
    report: ModuleType, tmp_path: Path
) -> None:
    classes = ["a", "b", "c"]
    truth = np.array(["a", "b", "c", "a"])
    # Rows that do not sum to 1, a zero where the truth is, and no column for class "b".
    path = _write(tmp_path / "p.csv", {"c": [0.1, 0.5, 0.0, 0.2], "a": [0.9, 0.5, 2.0, 0.6]})

    made = report.read_predictions(path, classes, len(truth))
    score = report.score_predictions(made, truth, classes, "log_loss", _spec("log_loss"))

    assert made.sum(axis=1) == pytest.approx(1.0)
    assert (made > 0).all()
    assert made[0] == pytest.approx([0.9, report.EPS, 0.1], rel=1e-9)
    assert math.isfinite(score)
    assert score == pytest.approx(log_loss(truth, made, labels=classes))


def test_regression_reads_the_prediction_column(report: ModuleType, tmp_path: Path) -> None:
    path = _write(tmp_path / "p.csv", {"prediction": [1.0, 2.0, 4.0]})
    made = report.read_predictions(path, None, 3)
    score = report.score_predictions(made, np.array([1.0, 2.0, 2.0]), None, "rmse", _spec("rmse"))
    assert score == pytest.approx(math.sqrt(4 / 3))


@pytest.mark.parametrize(
    ("columns", "classes", "rows", "message"),
    [
        ({"x": [0.5, 0.5]}, [1, 2], 2, r"column 'x' is not a class"),
        ({"1": [0.5], "2": [0.5]}, [1, 2], 2, r"has 1 rows for 2 test rows"),
        ({"1": [0.5, None], "2": [0.5, 0.5]}, [1, 2], 2, r"non-numeric probabilities in '1'"),
        ({"value": [1.0, 2.0]}, None, 2, r"expected one column 'prediction'"),
        ({"prediction": ["1", "n/a"]}, None, 2, r"missing or non-numeric predictions"),
    ],
    ids=["unknown-class", "row-count", "missing-value", "regression-header", "regression-text"],
)
def test_bad_predictions_are_refused(
    report: ModuleType,
    tmp_path: Path,
    columns: dict[str, list[Any]],
    classes: list[Any] | None,
    rows: int,
    message: str,
) -> None:
    path = _write(tmp_path / "p.csv", columns)
    with pytest.raises(ValueError, match=message):
        report.read_predictions(path, classes, rows)


def test_no_predictions_file_is_an_error(report: ModuleType, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"wrote no predictions file"):
        report.read_predictions(tmp_path / "absent.csv", [0, 1], 3)


# -- comparing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "maximize", "tolerance", "expected"),
    [
        ({"automl": 0.8, "flaml": 0.7}, True, 0.0, ["automl"]),
        ({"automl": 0.8, "flaml": 0.7}, False, 0.0, ["flaml"]),
        ({"automl": 0.8, "flaml": 0.8, "autogluon": 0.6}, True, 0.0, ["automl", "flaml"]),
        ({"automl": 0.8, "flaml": 0.7999}, True, 0.001, ["automl", "flaml"]),
        ({"automl": math.nan, "flaml": 0.5}, True, 0.0, ["flaml"]),
    ],
    ids=["higher-wins", "lower-wins", "exact-tie", "tie-within-tolerance", "nan-never-wins"],
)
def test_winners(
    report: ModuleType,
    scores: dict[str, float],
    maximize: bool,
    tolerance: float,
    expected: list[str],
) -> None:
    assert report.winners(scores, maximize, tolerance) == expected


def _row(dataset: str, seed: int, tool: str, score: float | None, **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "dataset": dataset,
        "metric": "rmse" if dataset == "reg" else "roc_auc",
        "direction": "minimize" if dataset == "reg" else "maximize",
        "seed": seed,
        "tool": tool,
        "status": "ok" if score is not None else "failed",
        "test_score": score,
        "wall_ratio": 1.0,
    }
    return row | extra


def test_head_to_head_counts_ties_as_half_and_failed_runs_as_losses(report: ModuleType) -> None:
    rows = [
        _row("bin", 0, "automl", 0.9),
        _row("bin", 0, "flaml", 0.8),  # automl wins (higher is better)
        _row("bin", 1, "automl", 0.7),
        _row("bin", 1, "flaml", 0.7),  # a tie: half a point
        _row("reg", 0, "automl", 3.0),
        _row("reg", 0, "flaml", 2.0),  # flaml wins (lower is better)
        _row("reg", 1, "automl", 2.0),
        _row("reg", 1, "flaml", None, error="crashed"),  # a failed run loses
        _row("reg", 1, "autogluon", None, status="not_installed"),  # took no part
        _row("reg", 2, "automl", None, error="crashed"),
        _row("reg", 2, "flaml", None, error="crashed"),  # both failed: no pair
    ]
    assert report.head_to_head(rows, "automl", "flaml") == (2.5, 4)
    assert report.head_to_head(rows, "flaml", "automl") == (1.5, 4)
    assert report.head_to_head(rows, "automl", "autogluon") == (0.0, 0)
    lines: list[str] = []
    report.print_report(rows, ["bin", "reg"], ["automl", "flaml"], lines.append)
    assert "automl vs flaml: 2.5 of 4 (win rate 62%; a tie counts 1/2, a failed run loses)" in lines
    assert "bin seed 1: automl 0.7000, flaml 0.7000 -> automl = flaml" in lines
    assert "reg seed 1: automl 2.0000, flaml failed -> automl" in lines
    assert "reg seed 2: automl failed, flaml failed -> none" in lines
    assert "first places (a tie shared): automl 2.5, flaml 1.5" in lines


def test_runs_behind_a_peer_by_more_than_automls_seed_spread_are_listed(
    report: ModuleType,
) -> None:
    rows = [
        _row("bin", 0, "automl", 0.90),
        _row("bin", 1, "automl", 0.88),  # spread 0.02
        _row("bin", 0, "flaml", 0.91),  # behind by 0.01: within the spread
        _row("bin", 1, "flaml", 0.95),  # behind by 0.07: listed
        _row("reg", 0, "automl", 3.0),
        _row("reg", 1, "automl", 3.1),  # spread 0.1 (lower is better)
        _row("reg", 2, "automl", None, error="crashed"),
        _row("reg", 0, "flaml", 2.5),  # behind by 0.5: listed
        _row("reg", 1, "flaml", 3.05),  # behind by 0.05
        _row("reg", 2, "flaml", 2.9),  # automl failed: listed
        _row("reg", 0, "autogluon", 3.2),  # ahead
    ]
    assert report.behind_beyond_spread(rows) == [
        "bin seed 1: automl 0.8800 vs flaml 0.9500, behind by 0.0700; spread 0.0200 (automl), "
        "0.0400 (flaml)",
        "reg seed 0: automl 3.0000 vs flaml 2.5000, behind by 0.5000; spread 0.1000 (automl), "
        "0.5500 (flaml)",
        "reg seed 2: automl failed vs flaml 2.9000, a failed run; spread 0.1000 (automl), "
        "0.5500 (flaml)",
    ]
    lines: list[str] = []
    report.print_report(rows, ["bin", "reg"], ["automl", "flaml", "autogluon"], lines.append)
    assert "automl behind a peer by more than its seed-to-seed spread: 3" in lines
    assert not report.behind_beyond_spread(rows[:3] + rows[4:6])


def test_datasets_whose_mean_is_behind_a_peer_beyond_the_larger_spread_are_listed(
    report: ModuleType,
) -> None:
    rows = [
        _row("bin", 0, "automl", 0.90),
        _row("bin", 1, "automl", 0.88),  # mean 0.89, spread 0.02
        _row("bin", 0, "flaml", 0.91),
        _row("bin", 1, "flaml", 0.95),  # mean 0.93, spread 0.04: behind by 0.04, not beyond
        _row("bin", 0, "autogluon", 0.96),
        _row("bin", 1, "autogluon", 0.95),  # mean 0.955, spread 0.01: behind by 0.065
        _row("reg", 0, "automl", 3.0),
        _row("reg", 1, "automl", None, error="crashed"),
        _row("reg", 0, "flaml", 3.5),
        _row("reg", 1, "flaml", 3.4),  # automl failed where flaml finished
        _row("reg", 0, "autogluon", None, error="crashed"),
        _row("reg", 1, "autogluon", None, error="crashed"),  # no finished run: no comparison
    ]
    assert report.behind_on_mean(rows) == [
        "bin: automl 0.8900 vs autogluon 0.9550 (means of 2 seed(s)), behind by 0.0650; the "
        "larger seed-to-seed spread 0.0200",
        "reg: automl failed a run that flaml finished",
    ]
    lines: list[str] = []
    report.print_report(rows, ["bin", "reg"], ["automl", "flaml", "autogluon"], lines.append)
    expected = "datasets where automl's mean is behind a peer's by more than the larger"
    assert f"{expected} seed-to-seed spread: 2" in lines
    assert not report.behind_on_mean(rows[:4])


def test_csv_round_trip_recomputes_normalised_and_later_files_win(
    report: ModuleType, tmp_path: Path
) -> None:
    anchors = {"bin": {"constant_2021": 0.5, "tuned_rf_2021": 0.9}}
    first = [
        _row("bin", 0, "automl", 0.7, wall_s=12.5, time_budget=10.0, normalised=99.0),
        _row("bin", 0, "flaml", None, error="exit code 1: boom"),
    ]
    second = [_row("bin", 0, "flaml", 0.8, wall_s=11.0, time_budget=10.0)]
    report.write_csv(tmp_path / "a.csv", first)
    report.write_csv(tmp_path / "b.csv", second)
    with (tmp_path / "a.csv").open(newline="", encoding="utf-8") as handle:
        assert tuple(csv.DictReader(handle).fieldnames or ()) == report.CSV_FIELDS

    rows = report.read_csv([tmp_path / "a.csv", tmp_path / "b.csv"], anchors)

    by_tool = {row["tool"]: row for row in rows}
    assert len(rows) == 2
    assert by_tool["automl"]["seed"] == 0
    assert by_tool["automl"]["test_score"] == 0.7
    assert by_tool["automl"]["wall_s"] == 12.5
    assert by_tool["automl"]["normalised"] == pytest.approx((0.7 - 0.5) / 0.4)
    assert by_tool["flaml"]["status"] == "ok"  # b.csv's run replaced a.csv's failure
    assert by_tool["flaml"]["normalised"] == pytest.approx(0.75)


def test_tool_table_gives_mean_std_normalised_and_wall_ratio(report: ModuleType) -> None:
    rows = [
        _row("bin", 0, "automl", 0.8, normalised=1.0, wall_ratio=1.1, best_model="svm"),
        _row("bin", 1, "automl", 0.6, normalised=0.5, wall_ratio=0.9, best_model="mlp"),
        _row("bin", 2, "automl", None, wall_ratio=3.0, error="timed out"),
    ]
    (item,) = report.tool_table(rows, ["bin"], ["automl", "flaml"])
    assert (item["runs"], item["failed"]) == (2, 1)
    assert item["mean"] == pytest.approx(0.7)
    assert item["std"] == pytest.approx(math.sqrt(0.02))
    assert item["normalised"] == pytest.approx(0.75)
    assert (item["ratio_mean"], item["ratio_max"]) == (pytest.approx(5 / 3), 3.0)
    assert item["models"] == "mlp, svm"


# -- arguments and installs ----------------------------------------------------------------------


def _tiny_suite(folder: Path, task: str = "binary") -> Path:
    rng = np.random.default_rng(0)
    rows = 120
    x = rng.normal(size=rows)
    label = x + 0.5 * rng.normal(size=rows) > 0
    frame = pd.DataFrame(
        {
            "x": x,
            "noise": rng.normal(size=rows),
            "colour": rng.choice(["red", "green"], size=rows),
            "label": label
            if task == "binary"
            else np.where(label, "up", rng.choice(["a", "b"], rows)),
        }
    )
    frame.to_csv(folder / "tiny.csv", index=False)
    metric = "roc_auc" if task == "binary" else "log_loss"
    entry = {"name": "tiny", "role": "core", "file": "tiny.csv", "target": "label", "task": task}
    (folder / "suite.json").write_text(json.dumps([entry | {"metric": metric}]), encoding="utf-8")
    (folder / "amlb_anchors.csv").write_text(
        "dataset,amlb_task_id,metric,tuned_rf_2021,constant_2021\ntiny,1,auc,0.9,0.5\n",
        encoding="utf-8",
    )
    return folder / "suite.json"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--cpus", "0"], r"--cpus must be between 1 and \d+ here, got 0"),
        (["--cpus", "4096"], r"--cpus must be between 1 and \d+ here, got 4096"),
        (["--time-budget", "0"], r"--time-budget must be > 0 seconds, got 0"),
        (["--tools", "automl", "automl"], r"--tools names a tool twice"),
        (["--tools", "h2o"], r"argument --tools: invalid choice: 'h2o'"),
        (["--timeout-factor", "0.5"], r"--timeout-factor must be >= 1"),
        (["--datasets", "nope"], r"unknown dataset\(s\): nope; known: tiny"),
        (["--from-csv", "missing.csv"], r"--from-csv: missing\.csv does not exist"),
        (["--seeds", "x"], r"argument --seeds: invalid int value: 'x'"),
        (["--automl-recipe", "[1]"], r"--automl-recipe: a JSON object is needed"),
        (["--automl-recipe", "{"], r"--automl-recipe: not JSON: Expecting property name"),
    ],
    ids=[
        "no-cpus",
        "too-many-cpus",
        "no-budget",
        "tool-twice",
        "unknown-tool",
        "timeout",
        "unknown-dataset",
        "missing-csv",
        "bad-seed",
        "recipe-not-an-object",
        "recipe-not-json",
    ],
)
def test_bad_arguments_give_one_line_and_exit_code_2(
    peers: ModuleType,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    suite = _tiny_suite(tmp_path)
    try:
        code = peers.main([str(suite), *extra], out=lambda line: None)
    except SystemExit as exc:  # argparse's own checks exit
        code = exc.code
    assert code == 2
    error = capsys.readouterr().err
    assert error.startswith("peers.py: error: ")
    assert error.count("\n") == 1
    assert re.search(message, error), error


def test_an_unknown_metric_in_the_suite_stops_before_any_run(
    peers: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = _tiny_suite(tmp_path)
    entries = json.loads(suite.read_text(encoding="utf-8"))
    suite.write_text(json.dumps([entries[0] | {"metric": "auc"}]), encoding="utf-8")

    assert peers.main([str(suite), "--out", str(tmp_path / "p.csv")], out=lambda line: None) == 2

    error = capsys.readouterr().err
    assert error.startswith("peers.py: error: suite.json: a dataset's metric: Unknown metric 'auc'")
    assert error.count("\n") == 1
    assert not (tmp_path / "p.csv").exists()


def test_an_existing_install_is_reused_and_a_foreign_folder_refused(
    peers: ModuleType, tmp_path: Path
) -> None:
    install = sys.modules["peers_install"]
    tool = install.TOOLS["flaml"]
    folder = tmp_path / "flaml"
    python = install.venv_python(folder)
    python.parent.mkdir(parents=True)
    python.write_text("", encoding="utf-8")
    record = {"requirement": tool.requirement, "install_s": 12.0, "size_mb": 300}
    (folder / install.MARKER).write_text(json.dumps(record), encoding="utf-8")
    lines: list[str] = []

    assert install.ensure_installed(tool, tmp_path, lines.append) == python
    assert lines == [f"flaml: using {folder} ({tool.requirement}, installed in 12.0 s, 300 MB)"]
    assert install.ensure_installed(install.TOOLS["automl"], tmp_path, lines.append) == Path(
        sys.executable
    )

    (folder / install.MARKER).unlink()  # not finished, and no pyvenv.cfg: not ours to delete
    with pytest.raises(install.InstallError, match=r"flaml: .* is not a virtual environment"):
        install.ensure_installed(tool, tmp_path, lines.append)
    assert python.exists()


# -- end to end ----------------------------------------------------------------------------------


def test_thread_variables_limit_a_peer_and_are_left_to_automl(
    peers: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "8")
    monkeypatch.setenv("PYTHONPATH", "/somewhere")
    peer = peers._environment(2, project=False)
    assert {peer[name] for name in peers.THREAD_VARIABLES} == {"2"}
    assert "PYTHONPATH" not in peer  # a peer's venv must not see the project
    # automl's workers are the cores: each one thread, which a variable of 2 would double.
    own = peers._environment(2, project=True)
    assert not set(peers.THREAD_VARIABLES) & set(own)
    assert own["PYTHONPATH"] == "/somewhere"


FAKE_RUNNERS = {
    # Predicts from the feature x (a good score), after checking the shared command line.
    "automl_runner.py": """
        import argparse, json, sys
        import pandas as pd
        from pathlib import Path
        parser = argparse.ArgumentParser()
        for name in ("train", "test", "target", "task", "metric", "time-budget", "cpus",
                     "seed", "predictions", "info", "workdir"):
            parser.add_argument("--" + name, required=True)
        args = parser.parse_args()
        test = pd.read_csv(args.test)
        assert args.target not in test.columns
        p = 1 / (1 + 2.718281828 ** (-4 * test["x"]))
        pd.DataFrame({"True": p, "False": 1 - p}).to_csv(args.predictions, index=False)
        info = {"tool_version": "fake", "best_model": "x", "fit_wall_s": 0.5}
        Path(args.info).write_text(json.dumps(info))
    """,
    # Hangs: stopped at --timeout-factor x budget.
    "flaml_runner.py": "import time\ntime.sleep(60)\n",
    # Exits without predictions.
    "autogluon_runner.py": "import sys\nprint('no luck')\nsys.exit(3)\n",
}


def _by_tool(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return {row["tool"]: row for row in csv.DictReader(handle)}


@pytest.mark.slow
def test_runs_are_scored_and_failures_recorded_with_fake_runners(
    peers: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runners = tmp_path / "runners"
    runners.mkdir()
    for name, text in FAKE_RUNNERS.items():
        (runners / name).write_text(textwrap.dedent(text), encoding="utf-8")
    monkeypatch.setattr(peers, "RUNNERS", runners)
    monkeypatch.setattr(peers, "ensure_installed", lambda *args, **kwargs: Path(sys.executable))
    suite = _tiny_suite(tmp_path)
    out = tmp_path / "peers.csv"
    lines: list[str] = []
    argv = [str(suite), "--time-budget", "1", "--seeds", "0", "--cpus", "1", "--out", str(out)]
    argv += ["--splits-dir", str(tmp_path / "splits"), "--runs-dir", str(tmp_path / "runs")]

    code = peers.main(argv, out=lines.append)

    assert code == 1
    rows = _by_tool(out)
    frame = pd.read_csv(tmp_path / "tiny.csv")
    test_rows = json.loads((tmp_path / "splits" / "tiny.seed0.json").read_text())["test_rows"]
    test = frame.iloc[test_rows]
    expected = roc_auc_score(test["label"], test["x"])  # the fake's score is monotone in x
    assert rows["automl"]["status"] == "ok"
    assert float(rows["automl"]["test_score"]) == pytest.approx(expected)
    assert float(rows["automl"]["normalised"]) == pytest.approx((expected - 0.5) / 0.4)
    assert float(rows["automl"]["constant_split"]) == 0.5
    assert rows["automl"]["tool_version"] == "fake"
    assert (rows["automl"]["fit_wall_s"], rows["automl"]["fit_wall_ratio"]) == ("0.5", "0.5")
    assert rows["flaml"]["fit_wall_ratio"] == ""  # a runner that did not say
    assert rows["flaml"]["status"] == "failed"
    assert rows["flaml"]["error"].startswith("timed out: stopped after 3 s (3 x budget)")
    assert 3.0 <= float(rows["flaml"]["wall_s"]) < 10.0
    assert rows["autogluon"]["error"] == "exit code 3: no luck"
    assert not list((tmp_path / "runs").iterdir())  # the work folders are removed
    assert "automl vs flaml: 1 of 1 (win rate 100%; a tie counts 1/2, a failed run loses)" in lines
    assert any(line.startswith("automl: normalised median ") for line in lines)
    assert any(line.endswith("; to the fitted model mean 0.50, max 0.50") for line in lines)

    # The saved CSV prints the same report.
    again: list[str] = []
    assert peers.main([str(suite), "--from-csv", str(out)], out=again.append) == 0
    assert again == lines[lines.index("") + 1 : -1]

    # --keep-runs keeps the split's work folder: its data and each tool's log.
    argv += ["--keep-runs", "--tools", "automl"]
    assert peers.main(argv, out=[].append) == 0
    (kept,) = (tmp_path / "runs").iterdir()
    assert kept.name.startswith("peers-tiny-seed0-")
    assert (kept / "train.csv").is_file()
    assert (kept / "automl" / "output.log").is_file()


@pytest.mark.slow
def test_automl_alone_on_a_tiny_dataset_and_a_peer_that_did_not_install(
    peers: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install = sys.modules["peers_install"]
    real = peers.ensure_installed

    def ensure(tool: Any, *args: Any, **kwargs: Any) -> Path:
        if tool.name == "flaml":
            raise install.InstallError("flaml: pip install flaml[automl]==2.7.0 failed: no net")
        return real(tool, *args, **kwargs)

    monkeypatch.setattr(peers, "ensure_installed", ensure)
    suite = _tiny_suite(tmp_path, task="multiclass")
    out = tmp_path / "peers.csv"
    lines: list[str] = []
    argv = [str(suite), "--time-budget", "20", "--seeds", "0", "--cpus", "1", "--out", str(out)]
    argv += ["--tools", "automl", "flaml", "--splits-dir", str(tmp_path / "splits")]
    # Merged into automl's recipe: one model and no ensemble, so the best model is known.
    argv += ["--automl-recipe", '{"models": ["decision_tree"], "ensemble": {"enabled": false}}']

    code = peers.main(argv, out=lines.append)

    assert code == 1  # flaml is not installed
    rows = _by_tool(out)
    assert rows["flaml"]["status"] == "not_installed"
    assert rows["flaml"]["error"].startswith("flaml: pip install")
    automl = rows["automl"]
    assert automl["status"] == "ok", automl["error"]
    assert 0 < float(automl["test_score"]) < float(automl["constant_split"])  # beats the priors
    assert automl["best_model"] == "decision_tree"
    phases = dict(part.split("=") for part in automl["phases"].split())  # seconds per phase
    assert {"search", "refit", "package"} <= set(phases)
    assert 0 < float(phases["search"]) < 20
    assert (
        0.5 < float(automl["wall_ratio"]) == pytest.approx(float(automl["wall_s"]) / 20, abs=1e-3)
    )
    # automl's clock starts with the runner's process, as ``automl run``'s does: its phases
    # (start-up first) add up to the time from that start to the fitted model.
    fit_wall = float(automl["fit_wall_s"])
    assert fit_wall <= float(automl["wall_s"])
    assert sum(map(float, phases.values())) == pytest.approx(fit_wall, abs=1.5)
    assert float(automl["fit_wall_ratio"]) == pytest.approx(fit_wall / 20, abs=1e-3)
    assert any("flaml: NOT INSTALLED, the benchmark goes on without it" in line for line in lines)


def test_the_automl_runner_merges_the_recipe_extra_section_by_section() -> None:
    sys.path.insert(0, str(BENCHMARKS / "peer_runners"))
    try:
        spec = importlib.util.spec_from_file_location(
            "automl_runner", BENCHMARKS / "peer_runners" / "automl_runner.py"
        )
        assert spec is not None
        assert spec.loader is not None
        runner = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(runner)
    finally:
        sys.path.remove(str(BENCHMARKS / "peer_runners"))
    base = {"search": {"time_budget": 60, "seed": 0}, "metric": "rmse"}
    extra = {"search": {"pruner": "none", "seed": 3}, "models": ["ridge"]}
    assert runner.merged(base, extra) == {
        "search": {"time_budget": 60, "seed": 3, "pruner": "none"},
        "metric": "rmse",
        "models": ["ridge"],
    }
    assert base == {"search": {"time_budget": 60, "seed": 0}, "metric": "rmse"}  # not changed


def test_result_rows_name_split_files_relative_to_the_project(
    peers: ModuleType, tmp_path: Path
) -> None:
    common = sys.modules["common"]
    inside = BENCHMARKS / "splits" / "credit-g.seed0.json"
    assert common.shown_path(inside) == "benchmarks/splits/credit-g.seed0.json"
    assert common.shown_path(tmp_path / "x.json") == str(tmp_path / "x.json")


def test_a_runner_knows_how_long_its_process_has_run() -> None:
    """``process_age`` counts from the process's start (this test process began before the
    test), not from the module's import."""
    import time

    sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks" / "peer_runners"))
    try:
        import runner_io
    finally:
        sys.path.pop(0)
    first = runner_io.process_age()
    time.sleep(0.05)
    assert 0.0 < first < runner_io.process_age() < 86_400.0
    if Path("/proc/self/stat").exists():
        assert first > time.monotonic() - runner_io._IMPORTED
