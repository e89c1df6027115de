"""The Ray backend on a real multi-node Ray cluster on this machine (no mocks)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import optuna
import pytest

from automl import ExecutorError, PluginRegistry, load_recipe
from automl.runner import run, with_overrides
from tests.conftest import RayTestCluster, SiteDir
from tests.run_helpers import (
    KILLABLE,
    board,
    churn_recipe,
    cli_process,
    install_test_models,
    run_recipe,
    run_study,
    wait_for_complete_trials,
)

RAY_FAST = """
models: [logistic_regression, decision_tree, knn]
search: {n_trials: 8, cv: 3, seed: 0}
execution: {backend: ray}
"""

pytestmark = pytest.mark.slow


def test_end_to_end_on_the_cluster(ray_cluster: object, tmp_path: Path) -> None:
    result = run_recipe(churn_recipe(tmp_path, extra=RAY_FAST), tmp_path / "run")
    assert result.summary.status == "finished"
    assert result.summary.trials.finished == 8
    assert (result.run_dir / "model" / "MLmodel").is_file()
    trials = run_study(result.run_dir).trials
    assert all(
        len(t.user_attrs["scores"]["roc_auc"]["folds"]) == 3
        for t in trials
        if t.state.name == "COMPLETE"
    )
    # Out-of-fold predictions come back from the Ray tasks and read back aligned with the target.
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    from automl import open_run

    run_read = open_run(result.run_dir)
    predictions = run_read.predictions
    assert predictions is not None
    complete = [t.number for t in trials if t.state.name == "COMPLETE"]
    assert sorted(predictions.trials) == sorted(complete)
    target = predictions.target
    folds = list(StratifiedKFold(n_splits=3, shuffle=True, random_state=0).split(target, target))
    records = {trial.number: trial for trial in run_read.trials}
    for number in predictions.trials:
        oof = predictions.oof(number)
        scores = [roc_auc_score(target[valid] == "yes", oof[valid, 1]) for _, valid in folds]
        assert scores == pytest.approx(list(records[number].scores["roc_auc"].folds))
    assert predictions.holdout is not None
    import ray

    assert ray.is_initialized()  # an attached cluster is left running


def test_deterministic_mode_twice(ray_cluster: object, tmp_path: Path) -> None:
    extra = RAY_FAST.replace(
        "execution: {backend: ray}", "execution: {backend: ray, deterministic: true}"
    )
    recipe = churn_recipe(tmp_path, extra=extra)
    run_recipe(recipe, tmp_path / "a")
    run_recipe(recipe, tmp_path / "b")
    assert board(tmp_path / "a") == board(tmp_path / "b")


def test_pruning_across_workers(ray_cluster: object, tmp_path: Path) -> None:
    extra = """
    models: [coin]
    search: {n_trials: 20, cv: 4, seed: 3, sampler: random, pruner: median}
    execution: {backend: ray}
    """
    result = run_recipe(churn_recipe(tmp_path, extra=extra), tmp_path / "run")
    pruned = [
        t for t in run_study(result.run_dir).trials if t.state == optuna.trial.TrialState.PRUNED
    ]
    assert pruned
    assert all(len(t.user_attrs["scores"]["roc_auc"]["folds"]) < 4 for t in pruned)
    assert result.summary.trials.pruned == len(pruned)


def test_failing_trials_are_recorded(ray_cluster: object, tmp_path: Path) -> None:
    extra = """
    models: [failing, logistic_regression]
    search: {n_trials: 6, cv: 3}
    execution: {backend: ray}
    """
    result = run_recipe(churn_recipe(tmp_path, extra=extra), tmp_path / "run")
    failed = [
        t for t in run_study(result.run_dir).trials if t.state == optuna.trial.TrialState.FAIL
    ]
    assert failed
    assert all(t.user_attrs["error"] == "ValueError: boom" for t in failed)


def test_deadline_cancels_running_tasks(ray_cluster: object, tmp_path: Path) -> None:
    extra = """
    models: [{type: sleepy, params: {seconds: 0.5}}]
    search: {time_budget: 10, cv: 3}
    execution: {backend: ray}
    """
    started = time.monotonic()
    result = run_recipe(churn_recipe(tmp_path, extra=extra), tmp_path / "run")
    elapsed = time.monotonic() - started
    assert result.stopped_by == "time_budget"
    assert elapsed < 10 * 1.1 + 3, elapsed
    trials = run_study(result.run_dir).trials
    assert any(t.user_attrs.get("interrupted") for t in trials)
    assert not any(t.state == optuna.trial.TrialState.RUNNING for t in trials)


def _kill_marked_worker(marker: Path, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if marker.exists() and marker.read_text().strip():
            pid = int(marker.read_text().split()[0])
            os.kill(pid, signal.SIGKILL)
            return pid
        time.sleep(0.1)
    raise AssertionError("the trial never started")


def test_killed_worker_fails_its_trial_which_runs_again(
    ray_cluster: object, tmp_path: Path
) -> None:
    import threading

    marker = tmp_path / "pid"
    extra = f"""
    models: [{{type: marked, params: {{marker: "{marker}"}}}}]
    search: {{n_trials: 3, cv: 2}}
    execution: {{backend: ray}}
    """
    killer = threading.Thread(target=_kill_marked_worker, args=(marker,))
    killer.start()
    result = run_recipe(churn_recipe(tmp_path, extra=extra), tmp_path / "run")
    killer.join()
    trials = run_study(result.run_dir).trials
    died = [t for t in trials if t.state == optuna.trial.TrialState.FAIL]
    assert len(died) == 1
    assert died[0].user_attrs["error"].startswith("worker died")
    retry = [t for t in trials if t.user_attrs.get("retry_of") == died[0].number]
    assert len(retry) == 1
    assert retry[0].state == optuna.trial.TrialState.COMPLETE
    assert result.summary.status == "finished"


def test_removed_node_fails_its_trials_and_the_search_completes(
    ray_cluster: RayTestCluster, tmp_path: Path
) -> None:
    import threading

    ray_cluster.add_node(num_cpus=1, object_store_memory=100 * 1024**2)
    marker = tmp_path / "pid"
    extra = f"""
    models: [{{type: marked, params: {{marker: "{marker}"}}}}, logistic_regression]
    search: {{n_trials: 6, cv: 2}}
    execution: {{backend: ray}}
    """
    removed: list[str] = []

    def remove_the_node_of_the_marked_trial() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            text = marker.read_text().split() if marker.exists() else []
            if len(text) == 2:
                ray_cluster.remove_node(ray_cluster.node_by_id(text[1]))
                removed.append(text[1])
                return
            time.sleep(0.1)

    remover = threading.Thread(target=remove_the_node_of_the_marked_trial)
    remover.start()
    try:
        result = run_recipe(churn_recipe(tmp_path, extra=extra), tmp_path / "run")
    finally:
        remover.join()
        ray_cluster.ensure_capacity()
    assert removed, "the marked trial never started"
    trials = run_study(result.run_dir).trials
    died = [t for t in trials if t.state == optuna.trial.TrialState.FAIL]
    assert died
    assert all(t.user_attrs["error"].startswith("worker died") for t in died)
    assert any(t.user_attrs.get("retry_of") == died[0].number for t in trials)
    assert result.summary.status == "finished"
    assert result.leaderboard.best is not None


def test_unreachable_address_fails_fast(tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(ExecutorError, match=r"cannot reach the Ray cluster at 127.0.0.1:1 "):
        run_recipe(churn_recipe(tmp_path, extra=RAY_FAST), tmp_path / "run", address="127.0.0.1:1")
    assert time.monotonic() - started < 15


def test_ray_address_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:1")
    with pytest.raises(ExecutorError, match=r"cannot reach the Ray cluster at 127.0.0.1:1 "):
        run_recipe(churn_recipe(tmp_path, extra=RAY_FAST), tmp_path / "run")


def test_missing_plugin_on_a_worker_is_named(
    ray_cluster: object, tmp_path: Path, site: SiteDir
) -> None:
    """A plugin the driver has but the workers cannot import: a clear error, not a pickling traceback."""
    site.add(
        "automl-driver-only",
        {"automl_driver_only": KILLABLE.replace('"marked"', '"driver_marked"')},
        {"driver_only": "automl_driver_only"},
    )
    extra = """
    models: [driver_marked]
    search: {n_trials: 2, cv: 2}
    execution: {backend: ray}
    """
    recipe = churn_recipe(tmp_path, extra=extra)
    registry = PluginRegistry.discover()
    (site.path / "automl_driver_only.py").unlink()  # gone for the worker processes
    resolved = with_overrides(load_recipe(recipe, registry))
    with pytest.raises(
        ExecutorError,
        match=r"plugin 'driver_only' .* is not installed on node .*plugins must be installed on every machine",
    ):
        run(resolved, run_dir=tmp_path / "run")


def test_sigterm_on_the_driver_then_resume(tmp_path: Path, site: SiteDir) -> None:
    """A driver with its own local Ray runtime, stopped by SIGTERM, resumes from its run dir."""
    install_test_models(site)
    extra = """
    models: [{type: sleepy, params: {seconds: 0.3}}]
    search: {n_trials: 40, cv: 2}
    execution: {backend: ray, workers: 2}
    """
    recipe = churn_recipe(tmp_path, rows=200, extra=extra)
    run_dir = tmp_path / "run"
    command = ["run", str(recipe), "--run-dir", str(run_dir)]
    process = cli_process(command, site, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    completed = wait_for_complete_trials(run_dir, 3, timeout=90)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert json.loads((run_dir / "run.json").read_text())["status"] == "interrupted"
    assert not any(t.state == optuna.trial.TrialState.RUNNING for t in run_study(run_dir).trials)
    resumed = cli_process(
        [*command, "--n-trials", str(completed + 2)],
        site,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err
    summary = json.loads((run_dir / "run.json").read_text())
    assert summary["status"] == "finished"
    assert summary["resumed"] is True
