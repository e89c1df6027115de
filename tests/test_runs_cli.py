"""`automl runs`: the runs under a folder, two runs compared, and finding the run to resume."""

from __future__ import annotations

import fcntl
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from automl.cli import cli
from automl.cli.render.runs import render_comparison, run_document
from automl.cli.run import earlier_run
from automl.errors import ExitCode, UsageError
from automl.leaderboard import Leaderboard
from automl.records import (
    BestTrial,
    BudgetRecord,
    LeaderboardRow,
    MetricScores,
    RunStatus,
    RunSummary,
    StopReason,
    TrialCounts,
)
from automl.rundir import RunLayout, open_run
from automl.rundir.listing import find_runs, is_resumable, latest_resumable


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def fake_run(
    root: Path,
    stamp: str,
    status: RunStatus,
    *,
    name: str = "churn",
    journal: bool = True,
    best: float | None = 0.8123,
    metric: str = "roc_auc",
) -> Path:
    """A run directory as `automl run` leaves it, without running anything."""
    path = root / name / stamp
    path.mkdir(parents=True)
    finished = status is RunStatus.FINISHED
    summary = RunSummary(
        recipe=name,
        status=status,
        started_at=f"2026-01-0{stamp[-1]}T10:00:00+00:00",
        finished_at=None if status is RunStatus.RUNNING else "2026-01-01T10:01:00+00:00",
        timings={"total": 42.5},
        budget=BudgetRecord(time_budget=60.0, n_trials=None, total=42.5),
        task="binary",
        metric=metric,
        direction="maximize",
        trials=TrialCounts(complete=7, pruned=2, failed=1),
        stopped_by=StopReason.TIME_BUDGET if finished else StopReason.INTERRUPTED,
        best_trial=BestTrial(4, "lightgbm", {}, best, 0.01) if finished and best else None,
        holdout={metric: 0.8} if finished else None,
    )
    layout = RunLayout(path)
    layout.summary.write_text(json.dumps(summary.to_dict()))
    if journal:
        layout.journal.write_text("")
    if not finished and best is not None:
        # An interrupted run has no refitted best; its leaderboard has the best so far.
        row = LeaderboardRow(
            rank=1, trial=3, model="decision_tree", scores={metric: MetricScores(best, 0.02)}
        )
        board = Leaderboard(metric=metric, direction="maximize", metrics=[], rows=[row])
        layout.leaderboard_json.write_text(json.dumps(board.to_dict()))
    return path


@pytest.fixture
def runs(tmp_path: Path) -> Path:
    root = tmp_path / "runs"
    fake_run(root, "20260101-100000-1", RunStatus.FINISHED)
    fake_run(root, "20260102-100000-2", RunStatus.INTERRUPTED, best=0.7)
    fake_run(root, "20260103-100000-3", RunStatus.FAILED, name="housing", journal=False)
    return root


def test_runs_lists_every_run_oldest_first(runs: Path) -> None:
    code, out, err = _invoke("runs", str(runs))
    assert code == 0, err
    lines = [line for line in out.splitlines() if "20260" in line]
    assert len(lines) == 3
    for line, words in zip(
        lines,
        [
            ("finished", "0.8123 roc_auc", "42.5 s", "lightgbm", "10"),
            ("interrupted", "0.7000 roc_auc", "decision_tree"),
            ("failed", "-"),
        ],
        strict=True,
    ):
        for word in words:
            assert word in line, (word, line)


def test_runs_json(runs: Path) -> None:
    code, out, _ = _invoke("runs", str(runs), "--json")
    assert code == 0
    documents = json.loads(out)
    assert [d["status"] for d in documents] == ["finished", "interrupted", "failed"]
    first = documents[0]
    assert first["best_cv"] == pytest.approx(0.8123)
    assert first["best_model"] == "lightgbm"
    assert first["holdout"] == pytest.approx(0.8)
    assert first["trials"] == {"complete": 7, "pruned": 2, "failed": 1, "finished": 10}
    assert first["seconds"] == pytest.approx(42.5)
    assert first["started_at"] == "2026-01-01T10:00:00+00:00"


@pytest.mark.parametrize(
    ("args", "code", "expected"),
    [
        ([], 0, "No runs under runs."),
        (["nowhere"], ExitCode.USAGE, "nowhere is not a folder"),
    ],
    ids=["no-runs-folder-yet", "missing-folder"],
)
def test_runs_without_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], code: int, expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    exit_code, out, err = _invoke("runs", *args)
    assert exit_code == code
    assert expected in out + err


def test_a_run_whose_driver_was_killed_is_listed_as_killed(tmp_path: Path) -> None:
    path = fake_run(tmp_path, "20260101-1", RunStatus.RUNNING)
    _, out, _ = _invoke("runs", str(tmp_path))
    assert "killed" in out
    with RunLayout(path).lock.open("a+") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        _, out, _ = _invoke("runs", str(tmp_path))
    assert "running" in out
    assert "killed" not in out


def test_a_damaged_run_is_listed_not_fatal(runs: Path) -> None:
    (runs / "churn" / "20260101-100000-1" / "run.json").write_text("{")
    code, out, _ = _invoke("runs", str(runs))
    assert code == 0
    assert "unreadable" in out
    assert "interrupted" in out


def test_compare_two_runs(runs: Path) -> None:
    a, b = runs / "churn" / "20260101-100000-1", runs / "churn" / "20260102-100000-2"
    code, out, err = _invoke("runs", "--compare", str(a), str(b))
    assert code == 0, err
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if line.count("│") >= 3}
    for label, left, right in [
        ("status", "finished", "interrupted"),
        ("best CV", "0.8123", "0.7000"),
        ("holdout", "0.8000", "-"),
        ("best model", "lightgbm (trial 4)", "decision_tree (trial 3)"),
        ("trials", "7 complete, 2 pruned, 1 failed", "7 complete"),
        ("budget used", "42.5 s of 60.0 s, 10 trials", "42.5 s"),
    ]:
        assert left in rows[label], label
        assert right in rows[label].split("│")[3], label
    code, out, _ = _invoke("runs", "--compare", str(a), str(b), "--json")
    assert [d["status"] for d in json.loads(out)] == ["finished", "interrupted"]


def test_compare_warns_about_different_metrics(tmp_path: Path) -> None:
    a = fake_run(tmp_path, "20260101-1", RunStatus.FINISHED)
    b = fake_run(tmp_path, "20260101-2", RunStatus.FINISHED, metric="f1")
    console = Console(width=120, record=True)
    render_comparison(console, [run_document(open_run(a)), run_document(open_run(b))])
    assert "not comparable" in console.export_text()


def test_compare_a_folder_that_is_no_run(tmp_path: Path) -> None:
    code, _, err = _invoke("runs", "--compare", str(tmp_path), str(tmp_path))
    assert code == ExitCode.USAGE
    assert "is not a run directory" in err


# -- the run to resume -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "journal", "locked", "resumable"),
    [
        (RunStatus.INTERRUPTED, True, False, True),
        (RunStatus.FAILED, True, False, True),
        (RunStatus.FAILED, False, False, False),
        (RunStatus.FINISHED, True, False, False),
        (RunStatus.RUNNING, True, False, True),
        (RunStatus.RUNNING, True, True, False),
    ],
    ids=["interrupted", "failed", "failed-no-study", "finished", "killed", "running"],
)
def test_is_resumable(
    tmp_path: Path, status: RunStatus, journal: bool, locked: bool, resumable: bool
) -> None:
    path = fake_run(tmp_path, "20260101-1", status, journal=journal)
    lock = RunLayout(path).lock.open("a+")
    if locked:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        assert is_resumable(open_run(path)) is resumable
    finally:
        lock.close()


def test_latest_resumable_is_the_newest_of_the_recipe(tmp_path: Path) -> None:
    fake_run(tmp_path, "20260101-1", RunStatus.INTERRUPTED)
    newest = fake_run(tmp_path, "20260102-2", RunStatus.INTERRUPTED)
    fake_run(tmp_path, "20260103-3", RunStatus.FINISHED)
    fake_run(tmp_path, "20260104-4", RunStatus.INTERRUPTED, name="other")
    found = latest_resumable(tmp_path, "churn")
    assert found is not None
    assert found.path == newest
    # A finished run came after it: only --resume still looks further back.
    assert latest_resumable(tmp_path, "churn", newest_only=True) is None
    assert latest_resumable(tmp_path, "nothing") is None
    assert [entry.path.name for entry in find_runs(tmp_path)][-1] == "20260104-4"


def test_run_again_says_an_interrupted_run_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "300")
    path = fake_run(tmp_path / "runs", "20260102-2", RunStatus.INTERRUPTED)
    overrides = {"n_trials": 5, "seed": None}
    assert earlier_run(Path("churn.yaml"), "churn", overrides, resume=False) is None
    err = capsys.readouterr().err
    assert f"the run {path} of 'churn' did not finish (interrupted)" in err
    assert f"automl run churn.yaml --run-dir {path} --n-trials 5 (or add --resume)" in err
    assert earlier_run(Path("churn.yaml"), "churn", overrides, resume=True) == path
    assert f"Resuming the interrupted run {path}" in capsys.readouterr().err
    # Once a later run finished, the old one is no longer worth a note; --resume still finds it.
    fake_run(tmp_path / "runs", "20260103-3", RunStatus.FINISHED)
    assert earlier_run(Path("churn.yaml"), "churn", overrides, resume=False) is None
    assert capsys.readouterr().err == ""
    assert earlier_run(Path("churn.yaml"), "churn", overrides, resume=True) == path


def test_resume_without_an_interrupted_run_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    fake_run(tmp_path / "runs", "20260101-1", RunStatus.FINISHED)
    with pytest.raises(UsageError, match="no interrupted or failed run of 'churn'"):
        earlier_run(Path("churn.yaml"), "churn", {}, resume=True)
