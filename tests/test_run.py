"""End-to-end runs on the local backend: search, leaderboard, refit, package, resume, budgets."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import optuna
import pandas as pd
import pytest

from automl import (
    DataError,
    ModelError,
    PluginRegistry,
    RecipeError,
    load_model,
    load_recipe,
)
from automl.rundir import read_leaderboard
from tests.conftest import SiteDir
from tests.run_helpers import (
    board,
    churn_recipe,
    cli_process,
    install_test_models,
    run_recipe,
    run_study,
    wait_for_complete_trials,
)

FAST_MODELS = """
models: [logistic_regression, decision_tree, knn]
search: {n_trials: 8, cv: 3, seed: 0}
execution: {workers: 1}
"""


@pytest.mark.slow
def test_run_writes_everything(tmp_path: Path) -> None:
    recipe = churn_recipe(tmp_path, extra=FAST_MODELS)
    result = run_recipe(recipe, tmp_path / "run")
    run_dir = result.run_dir
    for name in (
        "recipe.yaml",
        "run.json",
        "run.log",
        "study.journal",
        "leaderboard.csv",
        "leaderboard.json",
    ):
        assert (run_dir / name).is_file(), name
    summary = json.loads((run_dir / "run.json").read_text())
    assert summary["status"] == "finished"
    assert summary["task"] == "binary"
    assert summary["metric"] == "roc_auc"
    assert summary["seed"] == 0
    assert summary["versions"]["optuna"] == optuna.__version__
    assert summary["data"]["rows"] == 400
    assert summary["data"]["holdout_rows"] == 80
    assert set(summary["timings"]) >= {
        "load",
        "prepare",
        "search",
        "ensemble",
        "refit",
        "package",
        "total",
    }
    assert summary["trials"]["finished"] == 8
    assert 0.5 < summary["holdout"]["roc_auc"] <= 1.0
    assert set(summary["holdout"]) == {"roc_auc", "accuracy", "log_loss"}
    # The leaderboard: every completed trial, ranked by the primary metric.
    board = read_leaderboard(run_dir)
    values = [row.mean("roc_auc") for row in board.rows]
    assert values == sorted(values, reverse=True)
    assert [row.rank for row in board.rows] == list(range(1, len(board.rows) + 1))
    best = board.rows[0]
    assert best.trial == summary["best_trial"]["number"]
    assert best.holdout["roc_auc"] == summary["holdout"]["roc_auc"]
    assert best.std("roc_auc") is not None
    assert best.mean("accuracy") is not None
    assert best.mean("log_loss") is not None
    assert best.fit_time is not None
    assert best.predict_time_per_1000 is not None
    assert best.params is not None
    csv = pd.read_csv(run_dir / "leaderboard.csv")
    for key in (
        "roc_auc_std",
        "accuracy_mean",
        "log_loss_mean",
        "fit_time",
        "predict_time_per_1000",
        "params",
    ):
        assert key in csv.columns
    # The ensemble's row has no trial number (an empty cell).
    assert [None if pd.isna(t) else int(t) for t in csv["trial"]] == [r.trial for r in board.rows]
    assert summary["best_trial"]["number"] is None or "ensemble" not in list(csv["model"])[:1]
    # Every model's default configuration ran first, cheapest first.
    study = run_study(run_dir)
    first = [t.user_attrs["model"] for t in study.trials[:3]]
    assert sorted(first) == ["decision_tree", "knn", "logistic_regression"]
    assert all(t.user_attrs.get("default") for t in study.trials[:3])
    # Per-fold scores and timings are on the trial.
    attrs = study.trials[0].user_attrs
    assert len(attrs["scores"]["roc_auc"]["folds"]) == 3
    # The running mean after every fold is recorded (for the pruner and optuna-dashboard).
    folds = attrs["scores"]["roc_auc"]["folds"]
    assert study.trials[0].intermediate_values == pytest.approx(
        {step: sum(folds[: step + 1]) / (step + 1) for step in range(3)}
    )
    assert attrs["fit_time"] > 0
    # The package predicts on raw rows.
    model = load_model(run_dir / "model")
    rows = pd.read_csv(tmp_path / "churn.csv").head(10)
    predictions = model.predict(rows)
    assert set(predictions) <= {"yes", "no"}
    assert (run_dir / "recipe.yaml").read_text() == recipe.read_text()


@pytest.mark.slow
def test_same_seed_same_leaderboard(tmp_path: Path) -> None:
    recipe = churn_recipe(tmp_path, extra=FAST_MODELS)
    run_recipe(recipe, tmp_path / "a")
    run_recipe(recipe, tmp_path / "b")
    assert board(tmp_path / "a") == board(tmp_path / "b")


@pytest.mark.slow
def test_deterministic_mode_with_two_workers(tmp_path: Path) -> None:
    extra = FAST_MODELS.replace(
        "execution: {workers: 1}", "execution: {workers: 2, deterministic: true}"
    )
    recipe = churn_recipe(tmp_path, extra=extra)
    run_recipe(recipe, tmp_path / "a")
    run_recipe(recipe, tmp_path / "b")
    assert board(tmp_path / "a") == board(tmp_path / "b")


@pytest.mark.slow
def test_resume_keeps_finished_trials(tmp_path: Path) -> None:
    recipe = churn_recipe(tmp_path, extra=FAST_MODELS)
    run_dir = tmp_path / "run"
    run_recipe(recipe, run_dir, n_trials=4)
    before = {t.number: t.value for t in run_study(run_dir).trials}
    first_start = json.loads((run_dir / "run.json").read_text())["started_at"]
    result = run_recipe(recipe, run_dir, n_trials=7)
    assert result.resumed
    assert result.summary.started_at == first_start  # a resumed run keeps its first start
    trials = run_study(run_dir).trials
    assert len(trials) == 7
    assert {t.number: t.value for t in trials[:4]} == before
    # Changing what makes trials comparable is refused.
    with pytest.raises(RecipeError, match="cv: was 3 when the run"):
        run_recipe(recipe, run_dir, n_trials=9, seed=0) if False else run_recipe(
            churn_recipe(tmp_path, extra=FAST_MODELS.replace("cv: 3", "cv: 4")), run_dir
        )


@pytest.mark.slow
def test_kill_9_loses_nothing_finished(tmp_path: Path, site: SiteDir) -> None:
    install_test_models(site)
    extra = """
    models: [{type: sleepy, params: {seconds: 0.15}}]
    search: {n_trials: 60, cv: 2, seed: 0}
    execution: {workers: 1}
    """
    recipe = churn_recipe(tmp_path, rows=200, extra=extra)
    run_dir = tmp_path / "run"
    process = cli_process(
        ["run", str(recipe), "--run-dir", str(run_dir)],
        site,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_for_complete_trials(run_dir, 4) >= 4, "the run did not get going"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    kept = {
        t.number: t.value
        for t in run_study(run_dir).trials
        if t.state == optuna.trial.TrialState.COMPLETE
    }
    result = run_recipe(recipe, run_dir, n_trials=len(kept) + 2)
    assert result.resumed
    trials = run_study(run_dir).trials
    assert {t.number: t.value for t in trials if t.number in kept} == kept
    interrupted = [t for t in trials if t.user_attrs.get("interrupted")]
    retried = [t for t in trials if "retry_of" in t.user_attrs]
    assert {t.user_attrs["retry_of"] for t in retried} == {t.number for t in interrupted}
    assert result.summary.trials.finished == len(kept) + 2


@pytest.mark.slow
def test_failing_model_fails_its_trials_only(tmp_path: Path, site: SiteDir) -> None:
    install_test_models(site)
    extra = """
    models: [failing, logistic_regression]
    search: {n_trials: 6, cv: 3, seed: 0}
    execution: {workers: 1}
    """
    result = run_recipe(churn_recipe(tmp_path, extra=extra), tmp_path / "run")
    failed = [
        t for t in run_study(result.run_dir).trials if t.state == optuna.trial.TrialState.FAIL
    ]
    assert failed
    assert all(t.user_attrs["error"] == "ValueError: boom" for t in failed)
    trials = {row.model for row in result.leaderboard.rows if row.trial is not None}
    assert trials == {"logistic_regression"}
    ensemble = result.summary.ensemble  # built from the trials that completed only
    assert ensemble is None or {m.model for m in ensemble.members} == {"logistic_regression"}
    assert result.summary.trials.failed == len(failed)


@pytest.mark.slow
def test_a_dead_worker_fails_its_trial_which_runs_once_more(tmp_path: Path, site: SiteDir) -> None:
    install_test_models(site)
    extra = """
    models: [crashing, logistic_regression]
    search: {n_trials: 5, cv: 3, seed: 0}
    execution: {workers: 1}
    """
    result = run_recipe(churn_recipe(tmp_path, extra=extra), tmp_path / "run")
    trials = run_study(result.run_dir).trials
    died = [t for t in trials if t.state == optuna.trial.TrialState.FAIL]
    assert died
    assert all(
        t.user_attrs["error"].startswith("worker died: the worker process exited with code 3")
        for t in died
    )
    first = died[0]
    retries = [t for t in trials if t.user_attrs.get("retry_of") == first.number]
    assert len(retries) == 1
    assert retries[0].params == first.params
    # A retry that dies again is not retried a second time.
    assert not [t for t in trials if t.user_attrs.get("retry_of") == retries[0].number]
    assert result.leaderboard.best is not None
    assert result.leaderboard.best.model in ("logistic_regression", "ensemble")
    # The attempt whose worker died does not use up the budget: every retry ran.
    assert not [t for t in trials if t.state == optuna.trial.TrialState.WAITING]
    assert result.summary.trials.finished == 5


@pytest.mark.slow
def test_every_trial_failing_is_a_clear_error(tmp_path: Path, site: SiteDir) -> None:
    install_test_models(site)
    extra = """
    models: [{type: failing, params: {message: no luck}}]
    search: {n_trials: 3, cv: 3}
    execution: {workers: 1}
    """
    with pytest.raises(
        ModelError, match=r"every trial failed \(3 trials\).*\(3 of them\): ValueError: no luck"
    ):
        run_recipe(churn_recipe(tmp_path, extra=extra), tmp_path / "run")
    summary = json.loads((tmp_path / "run" / "run.json").read_text())
    assert summary["status"] == "failed"
    assert "no luck" in summary["message"]


@pytest.mark.slow
def test_bad_configurations_are_pruned(tmp_path: Path, site: SiteDir) -> None:
    install_test_models(site)
    extra = """
    models: [coin]
    search: {n_trials: 24, cv: 5, seed: 3, sampler: random, pruner: median}
    execution: {workers: 1}
    """
    result = run_recipe(churn_recipe(tmp_path, extra=extra), tmp_path / "run")
    trials = run_study(result.run_dir).trials
    pruned = [t for t in trials if t.state == optuna.trial.TrialState.PRUNED]
    complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(pruned) >= 3
    assert all(len(t.user_attrs["scores"]["roc_auc"]["folds"]) < 5 for t in pruned)
    assert all(len(t.intermediate_values) < 5 for t in pruned)
    # What was pruned was worse than what completed.
    mean_flip = {
        state: sum(t.params["coin.flip"] for t in group) / len(group)
        for state, group in (("pruned", pruned), ("complete", complete[1:]))
    }
    assert mean_flip["pruned"] > mean_flip["complete"]
    assert result.summary.trials.pruned == len(pruned)
    assert result.leaderboard.rows[0].params["flip"] < 0.2


@pytest.mark.slow
def test_time_budget_stops_running_trials(tmp_path: Path, site: SiteDir) -> None:
    install_test_models(site)
    extra = """
    models: [{type: sleepy, params: {seconds: 0.4}}]
    search: {time_budget: 8, cv: 3}
    execution: {workers: 2}
    """
    started = time.monotonic()
    result = run_recipe(churn_recipe(tmp_path, extra=extra), tmp_path / "run")
    elapsed = time.monotonic() - started
    assert result.stopped_by == "time_budget"
    # The promise is the budget plus about 10 %; allow for a loaded test machine.
    assert elapsed < 8 * 1.1 + 3, elapsed
    assert result.summary.timings["total"] < 8 * 1.1 + 1
    trials = run_study(result.run_dir).trials
    assert any(t.user_attrs.get("interrupted") for t in trials)
    assert not any(t.state == optuna.trial.TrialState.RUNNING for t in trials)


@pytest.mark.parametrize(
    ("recipe_name", "task", "metric"),
    [("plants.yaml", "multiclass", "log_loss"), ("housing.yaml", "regression", "rmse")],
)
@pytest.mark.slow
def test_task_is_inferred(tmp_path: Path, recipe_name: str, task: str, metric: str) -> None:
    from tests.conftest import ROOT

    source = (ROOT / "recipes" / recipe_name).read_text()
    source = source.replace(f"task: {task}\n", "").replace(f"metric: {metric}\n", "")
    data = tmp_path / "data"
    data.mkdir()
    csv = recipe_name.replace(".yaml", ".csv")
    (data / csv).write_text((ROOT / "recipes" / "data" / csv).read_text())
    recipe = tmp_path / recipe_name
    models = (
        "[ridge, decision_tree]" if task == "regression" else "[logistic_regression, decision_tree]"
    )
    recipe.write_text(source + f"models: {models}\nexecution: {{workers: 1}}\n")
    result = run_recipe(recipe, tmp_path / "run", n_trials=3)
    assert result.summary.task == task
    assert result.summary.metric == metric


def test_model_for_the_wrong_inferred_task(tmp_path: Path) -> None:
    extra = "models: [ridge]\nsearch: {n_trials: 2}\n"
    recipe = churn_recipe(tmp_path, extra=extra).read_text().replace("task: binary\n", "")
    recipe = recipe.replace("metric: roc_auc\n", "").replace("metrics: [accuracy, log_loss]\n", "")
    (tmp_path / "auto.yaml").write_text(recipe)
    with pytest.raises(
        RecipeError, match=r"models\[0\]: model 'ridge' does not support the binary task"
    ):
        run_recipe(tmp_path / "auto.yaml", tmp_path / "run")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(
            {"target": "churn"},
            r"target column 'churn' \(data.target\) is not in the data. Did you mean 'churned'\?",
            id="no-target",
        ),
        pytest.param({"constant": True}, "is constant", id="constant-target"),
        pytest.param(
            {"rare": True}, "fewer rows than the 3 cross-validation folds", id="rare-class"
        ),
        pytest.param({"missing": True}, "has no values", id="all-missing"),
    ],
)
def test_data_errors(tmp_path: Path, change: dict[str, object], message: str) -> None:
    recipe = churn_recipe(tmp_path, rows=60, extra=FAST_MODELS)
    frame = pd.read_csv(tmp_path / "churn.csv")
    if change.get("constant"):
        frame["churned"] = "no"
    if change.get("rare"):
        frame["churned"] = ["yes", "yes"] + ["no"] * (len(frame) - 2)
    if change.get("missing"):
        frame["churned"] = None
    frame.to_csv(tmp_path / "churn.csv", index=False)
    if "target" in change:
        recipe.write_text(
            recipe.read_text().replace("target: churned", f"target: {change['target']}")
        )
    with pytest.raises(DataError, match=message):
        run_recipe(recipe, tmp_path / "run")
    assert json.loads((tmp_path / "run" / "run.json").read_text())["status"] == "failed"


POSTGRES_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"


def _postgres_reachable() -> bool:
    try:
        import sqlalchemy

        with sqlalchemy.create_engine(POSTGRES_URL).connect() as connection:
            connection.exec_driver_sql("select 1")
    except Exception:
        return False
    return True


@pytest.mark.skipif(
    not _postgres_reachable(),
    reason="PostgreSQL is not reachable at 127.0.0.1:5432 (database test)",
)
@pytest.mark.slow
def test_study_in_a_shared_database(tmp_path: Path) -> None:
    """search.storage puts the study in PostgreSQL; a second run of the recipe resumes it."""
    name = f"automl-test-{os.getpid()}-{time.time_ns()}"
    extra = f"""
    models: [logistic_regression, decision_tree]
    search: {{n_trials: 3, cv: 3, storage: "{POSTGRES_URL}"}}
    execution: {{workers: 1}}
    """
    recipe = churn_recipe(tmp_path, extra=extra)
    recipe.write_text(recipe.read_text().replace("name: churn-test", f"name: {name}"))
    try:
        first = run_recipe(recipe, tmp_path / "a")
        assert not first.resumed
        assert not (tmp_path / "a" / "study.journal").exists()
        second = run_recipe(recipe, tmp_path / "b", n_trials=5)
        assert second.resumed
        study = optuna.load_study(study_name=name, storage=POSTGRES_URL)
        assert len(study.trials) == 5
    finally:
        optuna.delete_study(study_name=name, storage=POSTGRES_URL)


@pytest.mark.parametrize("sampler", ["random", "cmaes", "gp"])
@pytest.mark.slow
def test_other_samplers(tmp_path: Path, sampler: str) -> None:
    extra = FAST_MODELS.replace("seed: 0}", f"seed: 0, sampler: {sampler}}}")
    result = run_recipe(churn_recipe(tmp_path, extra=extra), tmp_path / "run")
    assert result.summary.trials.finished == 8


def test_a_second_driver_on_the_same_run_dir_is_refused(tmp_path: Path) -> None:
    import fcntl

    from automl import UsageError  # type: ignore[attr-defined]

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    with (run_dir / ".automl.lock").open("a+") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write("pid 4242\n")
        held.flush()
        with pytest.raises(UsageError, match=r"in use by another automl run \(pid 4242\)"):
            run_recipe(churn_recipe(tmp_path, extra=FAST_MODELS), run_dir)
    assert not (run_dir / "run.json").exists()


def test_default_run_dirs_never_collide(tmp_path: Path) -> None:
    from automl.runner import default_run_dir

    first = default_run_dir("x", tmp_path)
    first.mkdir(parents=True)
    second = default_run_dir("x", tmp_path)
    assert second != first
    assert second.parent == first.parent


@pytest.mark.slow
def test_a_refused_resume_leaves_the_earlier_run_untouched(tmp_path: Path) -> None:
    recipe = churn_recipe(tmp_path, extra=FAST_MODELS)
    run_dir = tmp_path / "run"
    run_recipe(recipe, run_dir, n_trials=3)
    before = {
        name: (run_dir / name).read_bytes() for name in ("run.json", "profile.json", "recipe.yaml")
    }
    with pytest.raises(RecipeError, match="seed: was 0 when the run"):
        run_recipe(recipe, run_dir, n_trials=3, seed=5)
    assert {name: (run_dir / name).read_bytes() for name in before} == before
    changed = recipe.read_text().replace(
        "models: [logistic_regression, decision_tree, knn]",
        "models: [{type: logistic_regression, params: {C: 3.0}}, decision_tree, knn]",
    )
    (tmp_path / "changed.yaml").write_text(changed)
    with pytest.raises(RecipeError, match="space: was"):
        run_recipe(tmp_path / "changed.yaml", run_dir, n_trials=3)


@pytest.mark.slow
def test_resuming_with_other_duplicate_handling_is_refused(tmp_path: Path) -> None:
    recipe = churn_recipe(tmp_path, extra="models: [logistic_regression]\nsearch: {cv: 3}\n")
    frame = pd.read_csv(tmp_path / "churn.csv")
    pd.concat([frame, frame.head(40)]).to_csv(tmp_path / "churn.csv", index=False)  # repeats
    run_dir = tmp_path / "run"
    first = run_recipe(recipe, run_dir, n_trials=2)
    assert first.summary.data["rows"] == 440  # kept
    dropping = recipe.read_text().replace("holdout: 0.2", "holdout: 0.2\n  drop_duplicates: true")
    (tmp_path / "dropping.yaml").write_text(dropping)
    with pytest.raises(RecipeError, match="drop_duplicates: was False when the run"):
        run_recipe(tmp_path / "dropping.yaml", run_dir, n_trials=3)


@pytest.mark.slow
def test_model_failing_on_the_holdout_falls_back_to_the_next(tmp_path: Path, site: SiteDir) -> None:
    install_test_models(site)
    extra = """
    models: [holdout_bomb, {type: coin, params: {flip: 1.0}}]
    search: {n_trials: 2, cv: 3}
    execution: {workers: 1}
    """
    result = run_recipe(churn_recipe(tmp_path, extra=extra), tmp_path / "run")
    assert result.leaderboard.rows[0].model == "holdout_bomb"  # best in cross-validation
    assert result.summary.status == "finished"
    assert result.summary.best_trial.model == "coin"  # the one that could be refitted


DEPLOYERS = """
from pathlib import Path

from automl import DeployerSpec, Params, hookimpl


class CopyParams(Params):
    target: str


def copy(package_dir, params):
    Path(params.target).write_text((Path(package_dir) / "MLmodel").read_text())
    return params.target


def broken(package_dir, params):
    raise RuntimeError("registry unreachable")


@hookimpl
def automl_register_deployers():
    return [
        DeployerSpec(name="copy_mlmodel", description="copies MLmodel", factory=copy, params=CopyParams),
        DeployerSpec(name="broken_deployer", description="always fails", factory=broken),
    ]
"""


@pytest.mark.slow
def test_deployers_run_on_the_package(tmp_path: Path, site: SiteDir) -> None:
    site.add(
        "automl-test-deployers",
        {"automl_test_deployers": DEPLOYERS},
        {"test_deployers": "automl_test_deployers"},
    )
    target = tmp_path / "deployed-MLmodel"
    extra = (
        FAST_MODELS
        + f"deploy: [{{type: copy_mlmodel, target: '{target}'}}, {{type: broken_deployer}}]\n"
    )
    result = run_recipe(churn_recipe(tmp_path, extra=extra), tmp_path / "run")
    assert target.read_text() == (result.run_dir / "model" / "MLmodel").read_text()
    deployments = json.loads((result.run_dir / "run.json").read_text())["deployments"]
    assert deployments[0] == {"type": "copy_mlmodel", "path": "deploy[0]", "location": str(target)}
    assert deployments[1]["error"] == "RuntimeError: registry unreachable"


@pytest.mark.slow
def test_deterministic_mode_keeps_finished_trials_at_the_deadline(
    tmp_path: Path, site: SiteDir
) -> None:
    install_test_models(site)
    extra = """
    models: [{type: sleepy, params: {seconds: 0.3}}]
    search: {time_budget: 7, cv: 2}
    execution: {workers: 2, deterministic: true}
    """
    result = run_recipe(churn_recipe(tmp_path, extra=extra), tmp_path / "run")
    for trial in run_study(result.run_dir).trials:
        if trial.user_attrs.get("interrupted"):
            assert len(trial.user_attrs.get("scores", {}).get("roc_auc", {}).get("folds", [])) < 2
    assert result.leaderboard.best is not None


def test_malformed_ray_address_is_a_recipe_error(tmp_path: Path) -> None:
    recipe = churn_recipe(tmp_path, extra="execution: {backend: ray, address: 'head:abc'}\n")
    with pytest.raises(RecipeError, match=r"execution.address .*'head:abc' has no valid port"):
        load_recipe(recipe, PluginRegistry.discover())


@pytest.mark.slow
def test_a_trial_that_would_overrun_the_deadline_is_stopped_after_a_fold(
    tmp_path: Path, site: SiteDir
) -> None:
    install_test_models(site)
    # The sleepy trial's folds take 6 s: after its first (or, on a loaded machine where the
    # logistic regression completes late, its second) fold the rest would end after the
    # search's deadline even at twice the pace, so it is stopped; logistic regression completes.
    extra = """
    models: [{type: sleepy, params: {seconds: 6}}, logistic_regression]
    search: {time_budget: 14, cv: 3, pruner: none}
    execution: {workers: 2}
    ensemble: {enabled: false}
    """
    result = run_recipe(churn_recipe(tmp_path, extra=extra), tmp_path / "run")
    records = json.loads((result.run_dir / "trials.json").read_text())["trials"]
    sleepy = [record for record in records if record["model"] == "sleepy"]
    assert sleepy, records
    stopped = [r for r in sleepy if r["failure"] and r["failure"]["message"].startswith("stopped")]
    assert stopped, sleepy
    assert stopped[0]["state"] == "failed"
    assert stopped[0]["failure"]["kind"] == "timed_out"  # like a trial cut at the deadline
    assert re.fullmatch(
        r"stopped after [12] of 3 folds: the rest would not end before the search's deadline, "
        r"even twice as fast",
        stopped[0]["failure"]["message"],
    ), stopped[0]
    assert result.summary.trials.failed == 0
    assert result.leaderboard.rows[0].model == "logistic_regression"


def _big_recipe(tmp_path: Path, rows: int, search: str = "{n_trials: 1}") -> Path:
    """A regression recipe on ``rows`` rows of synthetic data, ridge only, no ensemble."""
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, 3))
    frame = pd.DataFrame(x, columns=["a", "b", "c"]).assign(y=x @ [1.0, -2.0, 0.5])
    frame.to_csv(tmp_path / "big.csv", index=False)
    recipe = tmp_path / "big.yaml"
    recipe.write_text(
        "name: big\ndata: {source: {type: csv, path: big.csv}, target: y, holdout: 0}\n"
        f"models: [ridge]\nsearch: {search}\nexecution: {{workers: 1}}\n"
        "ensemble: {enabled: false}\n"
    )
    return recipe


@pytest.mark.slow
@pytest.mark.parametrize(("rows", "folds"), [(10_000, 3), (9_999, 5)])
def test_cv_auto_takes_3_folds_from_10000_rows(tmp_path: Path, rows: int, folds: int) -> None:
    result = run_recipe(_big_recipe(tmp_path, rows), tmp_path / "run")
    assert result.summary.data["cv_folds"] == folds
    summary = json.loads((result.run_dir / "run.json").read_text())
    assert summary["data"]["cv_folds"] == folds
    (trial,) = json.loads((result.run_dir / "trials.json").read_text())["trials"]
    assert trial["folds_done"] == folds
    assert len(trial["scores"]["rmse"]["folds"]) == folds


@pytest.mark.slow
def test_a_resumed_study_keeps_its_folds_under_cv_auto(tmp_path: Path) -> None:
    # Started with 5 folds on 10,000 rows (where auto means 3), then resumed with cv: auto.
    run_recipe(_big_recipe(tmp_path, 10_000, "{n_trials: 1, cv: 5}"), tmp_path / "run")
    result = run_recipe(_big_recipe(tmp_path, 10_000, "{n_trials: 2}"), tmp_path / "run")

    assert result.resumed
    assert result.summary.data["cv_folds"] == 5
    trials = json.loads((result.run_dir / "trials.json").read_text())["trials"]
    assert [trial["folds_done"] for trial in trials] == [5, 5]
