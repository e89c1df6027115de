"""`automl leaderboard RUN_DIR --failed`: the failed trials of a run, with kinds, messages and
tracebacks, read from a run directory written by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from automl.cli import cli
from automl.leaderboard import Leaderboard
from automl.records import (
    FailureKind,
    MetricScores,
    RunStatus,
    RunSummary,
    StopReason,
    TrialCounts,
    TrialFailure,
    TrialRecord,
    TrialState,
)
from automl.rundir import RunLayout

TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "model.py", line 12, in fit\n'
    "    raise ValueError(self.message)\n"
    "ValueError: C must be positive [got -1]\n"
)

COMPLETE = TrialRecord(
    number=0,
    state=TrialState.COMPLETE,
    model="logistic_regression",
    params={"C": 1.0},
    value=0.81,
    scores={"roc_auc": MetricScores.of([0.8, 0.82])},
    folds_done=2,
    fit_time=0.1,
    predict_time_per_1000=0.2,
)
PRUNED = TrialRecord(
    number=1,
    state=TrialState.PRUNED,
    model="decision_tree",
    params={"max_depth": 2},
    failure=TrialFailure(FailureKind.PRUNED, "pruned after fold 1"),
)
ERROR = TrialRecord(
    number=2,
    state=TrialState.FAILED,
    model="logistic_regression",
    params={"C": -1.0},
    # Brackets in a message are text, not rich markup.
    failure=TrialFailure(FailureKind.ERROR, "ValueError: C must be positive [got -1]", TRACEBACK),
)
DIED = TrialRecord(
    number=3,
    state=TrialState.FAILED,
    model="knn",
    params={"n_neighbors": 5},
    failure=TrialFailure(FailureKind.WORKER_DIED, "the worker process died (signal 9)"),
)


def _write_run(run_dir: Path, trials: list[TrialRecord], *, leaderboard: bool = True) -> Path:
    """A finished run directory, as the runner writes it: run.json, trials.json, leaderboard."""
    layout = RunLayout(run_dir)
    run_dir.mkdir(parents=True)
    board = Leaderboard.from_records(trials, "roc_auc", [], "maximize")
    counts = TrialCounts(
        complete=sum(t.state is TrialState.COMPLETE for t in trials),
        pruned=sum(t.state is TrialState.PRUNED for t in trials),
        failed=sum(t.state is TrialState.FAILED for t in trials),
    )
    summary = RunSummary(
        recipe="demo",
        status=RunStatus.FINISHED,
        task="binary",
        target="churned",
        metric="roc_auc",
        direction="maximize",
        trials=counts,
        stopped_by=StopReason.N_TRIALS,
    )
    layout.summary.write_text(json.dumps(summary.to_dict(), indent=2), encoding="utf-8")
    layout.trials.write_text(
        json.dumps({"trials": [trial.to_dict() for trial in trials]}, indent=2), encoding="utf-8"
    )
    if not leaderboard:
        return run_dir
    layout.leaderboard_json.write_text(json.dumps(board.to_dict(), indent=2), encoding="utf-8")
    layout.leaderboard_csv.write_text(board.to_csv(), encoding="utf-8")
    return run_dir


def _invoke(*args: str) -> tuple[int, str, str]:
    # A wide console, so that no message is folded across lines.
    result = CliRunner(env={"COLUMNS": "200"}).invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return _write_run(tmp_path / "run", [COMPLETE, PRUNED, ERROR, DIED])


def test_failed_lists_failures_after_the_leaderboard(run_dir: Path) -> None:
    code, out, err = _invoke("leaderboard", str(run_dir), "--failed")
    assert code == 0, err
    assert "Leaderboard (roc_auc" in out
    assert "Failed trials (2)" in out
    assert out.index("Leaderboard") < out.index("Failed trials")
    for text in (
        "ValueError: C must be positive [got -1]",
        "error",
        "worker_died",
        "the worker process died (signal 9)",
    ):
        assert text in out
    assert "pruned after fold 1" not in out  # pruned trials did not fail
    assert "Traceback (most recent call last)" not in out
    assert "--traceback" in out  # says how to see them


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("leaderboard", "{run}", "--failed", "--traceback"), id="--traceback"),
        pytest.param(("leaderboard", "{run}", "--failed", "-v"), id="-v"),
        pytest.param(("leaderboard", "{run}", "--traceback"), id="--traceback-implies-failed"),
        pytest.param(("-v", "leaderboard", "{run}", "--failed"), id="group-v"),
    ],
)
def test_traceback_shows_the_full_traceback(run_dir: Path, args: tuple[str, ...]) -> None:
    code, out, err = _invoke(*(arg.format(run=run_dir) for arg in args))
    assert code == 0, err
    assert "Failed trials (2)" in out
    assert TRACEBACK.rstrip("\n") in out
    assert "trial 3 (knn)" in out
    assert "(no traceback recorded)" in out  # the worker died: nothing was raised


def test_no_failed_trial(tmp_path: Path) -> None:
    run_dir = _write_run(tmp_path / "run", [COMPLETE, PRUNED])
    code, out, err = _invoke("leaderboard", str(run_dir), "--failed")
    assert code == 0, err
    assert "Leaderboard (roc_auc" in out
    assert "No trial failed (2 trials recorded)." in out
    assert "Failed trials" not in out


def test_failed_in_a_run_without_a_leaderboard(tmp_path: Path) -> None:
    run_dir = _write_run(tmp_path / "run", [ERROR, DIED], leaderboard=False)
    code, _, err = _invoke("leaderboard", str(run_dir))
    assert code == 2
    assert "holds no leaderboard.json" in err
    code, out, err = _invoke("leaderboard", str(run_dir), "--failed")
    assert code == 0, err
    assert "No leaderboard: no trial of this run completed." in out
    assert "Failed trials (2)" in out
    code, out, err = _invoke("leaderboard", str(run_dir), "--failed", "--json")
    assert code == 0, err
    document = json.loads(out)
    assert document["rows"] == []
    assert [trial["number"] for trial in document["failed"]] == [2, 3]


def test_failed_as_json(run_dir: Path) -> None:
    code, out, err = _invoke("leaderboard", str(run_dir), "--json", "--failed")
    assert code == 0, err
    document = json.loads(out)
    assert [row["trial"] for row in document["rows"]] == [0]
    assert document["failed"] == [
        {
            "number": 2,
            "model": "logistic_regression",
            "params": {"C": -1.0},
            "kind": "error",
            "message": "ValueError: C must be positive [got -1]",
            "traceback": TRACEBACK,
        },
        {
            "number": 3,
            "model": "knn",
            "params": {"n_neighbors": 5},
            "kind": "worker_died",
            "message": "the worker process died (signal 9)",
            "traceback": None,
        },
    ]
    code, out, _ = _invoke("leaderboard", str(run_dir), "--json")
    assert "failed" not in json.loads(out)


def test_help_documents_failed() -> None:
    code, out, _ = _invoke("leaderboard", "--help")
    assert code == 0
    assert "--failed" in out
    assert "--traceback" in out
