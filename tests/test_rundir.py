"""The run directory read back: records, the budget, kept predictions and :func:`automl.open_run`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

import automl
from automl import UsageError
from automl.records import (
    BestTrial,
    BudgetRecord,
    DeploymentRecord,
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
from automl.rundir import PredictionStore, RunLayout, RunPredictions, open_run
from automl.search import Budget
from automl.search.budget import PACKAGE_SECONDS
from tests.conftest import SiteDir
from tests.run_helpers import churn_recipe, install_test_models, run_recipe

# -- records -----------------------------------------------------------------------------------

FAILED = TrialRecord(
    number=3,
    state=TrialState.FAILED,
    model="svm",
    params={"C": 1.0},
    failure=TrialFailure(FailureKind.ERROR, "ValueError: boom", "Traceback ...\nValueError: boom"),
)
COMPLETE = TrialRecord(
    number=4,
    state=TrialState.COMPLETE,
    model="knn",
    params={"k": 5},
    value=0.8,
    scores={"roc_auc": MetricScores.of([0.7, 0.9])},
    folds_done=2,
    fit_time=0.1,
    predict_time_per_1000=0.01,
    retry_of=2,
)
SUMMARY = RunSummary(
    recipe="churn",
    status=RunStatus.FINISHED,
    seed=0,
    budget=BudgetRecord(requested={"time_budget": 60}, time_budget=30.0, total=31.5),
    trials=TrialCounts(complete=3, pruned=1, failed=2),
    stopped_by=StopReason.TIME_BUDGET,
    best_trial=BestTrial(number=4, model="knn", params={"k": 5}, cv_mean=0.8, cv_std=0.1),
    holdout={"roc_auc": 0.75},
    deployments=[DeploymentRecord(type="local", path="deploy[0]", location="/x")],
)


@pytest.mark.parametrize("record", [FAILED, COMPLETE], ids=["failed", "complete"])
def test_trial_records_round_trip_through_json(record: TrialRecord) -> None:
    assert TrialRecord.from_dict(json.loads(json.dumps(record.to_dict()))) == record


def test_run_summary_round_trips_and_records_the_budget() -> None:
    document = json.loads(json.dumps(SUMMARY.to_dict()))
    assert document["schema_version"] == 2
    assert document["stopped_by"] == "time_budget"
    assert document["trials"] == {"complete": 3, "pruned": 1, "failed": 2, "finished": 6}
    assert document["budget"]["overrun"] == 1.5
    assert RunSummary.from_dict(document) == SUMMARY


def test_a_version_1_run_summary_still_reads() -> None:
    old = {"status": "finished", "recipe": "churn", "trials": {"complete": 2, "finished": 2}}
    summary = RunSummary.from_dict(old)
    assert summary.schema_version == 1
    assert summary.trials.complete == 2
    assert summary.budget.time_budget is None


@pytest.mark.parametrize(
    "document",
    [{}, {"status": "exploded", "recipe": "x"}, {"status": "finished"}],
    ids=["empty", "unknown-status", "no-recipe"],
)
def test_a_malformed_run_summary_is_refused(document: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="not a run summary written by automl"):
        RunSummary.from_dict(document)


def test_metric_scores_keep_non_finite_values_out_of_json() -> None:
    scores = MetricScores.of([0.5, float("nan")])
    assert scores.mean is None
    assert scores.folds == (0.5, None)


# -- the budget ----------------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_budget_owns_the_clock_and_records_every_phase() -> None:
    clock = FakeClock()
    budget = Budget(time_budget=10, n_trials=None, cv=5, requested={"time_budget": 20}, clock=clock)
    assert budget.deadline == 110.0
    with budget.phase("search"):
        clock.now += 6
    assert budget.remaining() == 4.0
    assert not budget.expired()
    # The search stops early enough for the refit of the best trial (5/4 of a fold's fit).
    assert budget.search_deadline(()) == pytest.approx(110 - (PACKAGE_SECONDS + 1.0))
    assert budget.search_deadline((2.0,)) == pytest.approx(110 - (PACKAGE_SECONDS + 1.5 * 2.5))
    with budget.phase("refit"):
        clock.now += 5
    assert budget.expired()
    assert budget.finish() == 11.0
    record = budget.record()
    assert record.used == {"search": 6.0, "refit": 5.0}
    assert record.requested == {"time_budget": 20}
    assert (record.time_budget, record.total, record.overrun) == (10, 11.0, 1.0)


def test_a_budget_that_covers_its_process_keeps_time_for_the_process_to_end() -> None:
    """The interpreter's teardown after the run (0.7 to 2.6 s measured) is the command's time
    too: the run ends EXIT_SECONDS early, at most a tenth of a small budget."""
    from automl.search.budget import EXIT_SECONDS

    clock = FakeClock()
    budget = Budget(time_budget=60, clock=clock, exit=EXIT_SECONDS)
    assert budget.deadline == 160.0 - EXIT_SECONDS
    assert budget.remaining() == 60.0 - EXIT_SECONDS
    assert Budget(time_budget=5, clock=clock, exit=EXIT_SECONDS).deadline == 104.5
    clock.now += 61
    assert budget.finish() == 61.0
    assert budget.record().overrun == 1.0  # counted against the budget itself


def test_make_budget_keeps_the_exit_only_for_a_budget_from_the_process_start(
    tmp_path: Path,
) -> None:
    from automl.runner.flow import make_budget
    from automl.search.budget import EXIT_SECONDS

    recipe = tmp_path / "r.yaml"
    data = tmp_path / "d.csv"
    data.write_text("x,y\n1,0\n2,1\n3,0\n4,1\n", encoding="utf-8")
    recipe.write_text(
        "name: r\ntask: binary\ndata: {source: {type: csv, path: d.csv}, target: y}\n"
        "search: {time_budget: 60}\n",
        encoding="utf-8",
    )
    resolved = automl.load_recipe(recipe)
    assert make_budget(resolved).exit == 0.0  # a library call: the process goes on
    from_start = make_budget(resolved, started=0.0)
    assert from_start.exit == EXIT_SECONDS


def test_a_trial_budget_has_no_deadline() -> None:
    budget = Budget(time_budget=None, n_trials=5, clock=FakeClock())
    assert budget.deadline is None
    assert budget.remaining() is None
    assert budget.search_deadline((1.0,)) is None
    assert not budget.expired()


# -- kept predictions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("maximize", "kept"), [(True, [2, 3]), (False, [0, 1])], ids=["maximize", "minimize"]
)
def test_only_the_best_trials_predictions_are_kept(
    tmp_path: Path, maximize: bool, kept: list[int]
) -> None:
    layout = RunLayout(tmp_path)
    store = PredictionStore(layout, task="binary", classes=["no", "yes"], maximize=maximize, keep=2)
    store.start(np.array(["yes", "no", "yes"]), np.array([0, 1, 3]), np.array([2]))
    for trial, value in enumerate([0.1, 0.2, 0.3, 0.4]):
        store.add(trial, value, np.full((3, 2), float(trial)))
    read = RunPredictions.read(layout)
    assert read is not None
    assert read.trials == (kept[::-1] if maximize else kept)
    assert sorted(path.name for path in (layout.predictions / "oof").iterdir()) == [
        f"trial-{trial:06d}.npy" for trial in sorted(kept)
    ]
    assert read.oof(kept[0]).tolist() == np.full((3, 2), float(kept[0])).tolist()
    with pytest.raises(KeyError, match="trial 9 has no kept out-of-fold predictions"):
        read.oof(9)
    # Targets come back as the labels they were, aligned with the training rows.
    assert read.target.tolist() == ["yes", "no", "yes"]
    assert read.target_codes.tolist() == [1, 0, 1]
    assert read.train_rows.tolist() == [0, 1, 3]
    assert read.holdout is None


def test_the_best_trials_of_every_model_are_kept_besides_the_best(tmp_path: Path) -> None:
    layout = RunLayout(tmp_path)
    store = PredictionStore(layout, task="regression", classes=None, maximize=False, keep=2)
    store.start(np.array([1.0, 2.0]), np.array([0, 1]), np.array([], dtype=int))
    # Six good "a" trials fill the best places; "b" is worse but keeps its best three.
    for trial in range(6):
        store.add(trial, 1.0 + trial / 10, np.array([1.0, 2.0]) + trial, "a")
    for trial in range(6, 11):
        assert store.add(trial, 5.0 + trial / 10, np.array([9.0, 9.0]) + trial, "b") is (trial < 9)
    read = RunPredictions.read(layout)
    assert read is not None
    assert read.trials == [0, 1, 2, 6, 7, 8]  # best 2, a's third best, b's best 3
    assert store.add(11, 0.5, np.array([1.0, 1.0]), "b") is True  # b's new best
    read = RunPredictions.read(layout)
    assert read is not None
    assert read.trials == [11, 0, 1, 2, 6, 7]
    assert not layout.oof(8).exists()
    resumed = PredictionStore(layout, task="regression", classes=None, maximize=False, keep=2)
    resumed.start(np.array([1.0, 2.0]), np.array([0, 1]), np.array([], dtype=int))
    read = RunPredictions.read(layout)
    assert read is not None
    assert read.trials == [11, 0, 1, 2, 6, 7]


def test_keeping_no_predictions_writes_no_trial_files(tmp_path: Path) -> None:
    layout = RunLayout(tmp_path)
    store = PredictionStore(layout, task="regression", classes=None, maximize=False, keep=0)
    store.start(np.array([1.5, 2.5]), np.array([0, 1]), np.array([], dtype=int))
    assert store.add(0, 1.0, np.array([1.0, 2.0])) is False
    assert not (layout.predictions / "oof").exists()


def test_a_resumed_store_remembers_what_it_kept(tmp_path: Path) -> None:
    layout = RunLayout(tmp_path)
    first = PredictionStore(layout, task="regression", classes=None, maximize=False, keep=1)
    first.start(np.array([1.0]), np.array([0]), np.array([], dtype=int))
    first.add(0, 2.0, np.array([1.0]))
    again = PredictionStore(layout, task="regression", classes=None, maximize=False, keep=1)
    assert again.add(1, 3.0, np.array([1.0])) is False  # worse than the kept trial 0
    assert again.add(2, 1.0, np.array([1.5])) is True
    assert not layout.oof(0).exists()


def test_a_resume_trims_what_an_earlier_run_kept_to_its_own_keep(tmp_path: Path) -> None:
    layout = RunLayout(tmp_path)
    target, rows, none = np.array([1.0, 2.0]), np.array([0, 1]), np.array([], dtype=int)
    first = PredictionStore(layout, task="regression", classes=None, maximize=False, keep=3)
    first.start(target, rows, none)
    for trial, value in enumerate([3.0, 1.0, 2.0]):
        first.add(trial, value, np.array([value, value]))
    (layout.predictions / "oof" / "trial-000099.npy").write_bytes(b"left by a crash")
    again = PredictionStore(layout, task="regression", classes=None, maximize=False, keep=1)
    assert len(list((layout.predictions / "oof").iterdir())) == 4  # nothing changes before start
    again.start(target, rows, none)
    read = RunPredictions.read(layout)
    assert read is not None
    assert read.trials == [1]
    assert [path.name for path in (layout.predictions / "oof").iterdir()] == ["trial-000001.npy"]
    assert again.add(2, 2.0, np.array([2.0, 2.0])) is False  # worse than the kept trial


def test_a_damaged_predictions_index_is_a_clear_error(tmp_path: Path) -> None:
    layout = RunLayout(tmp_path)
    layout.predictions.mkdir()
    layout.predictions_meta.write_text('{"scores": ')
    with pytest.raises(UsageError, match="is not a predictions index written by automl"):
        RunPredictions.read(layout)


# -- open_run errors -------------------------------------------------------------------------------


def test_open_run_refuses_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"is not a run directory: it holds no run\.json"):
        open_run(tmp_path)
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "MLmodel").write_text("flavors: {}\n")
    with pytest.raises(UsageError, match="looks like a model package"):
        open_run(tmp_path / "model")


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        pytest.param("run.json", "{not json", "is not a readable run summary", id="json"),
        pytest.param("run.json", "[1, 2]", "not a run summary written by automl", id="list"),
        pytest.param(
            "trials.json", '{"trials": {"a": 1}}', "not a trial list written by", id="trials"
        ),
        pytest.param("recipe.yaml", "name: [", "is not readable YAML", id="recipe"),
    ],
)
def test_damaged_run_files_are_clear_errors(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    (tmp_path / "run.json").write_text(json.dumps(SUMMARY.to_dict()))
    (tmp_path / name).write_text(text)

    def read_everything() -> object:
        run = open_run(tmp_path)
        return (run.trials, run.recipe)

    with pytest.raises(UsageError, match=message):
        read_everything()


# -- a real run, read back ------------------------------------------------------------------------


@pytest.mark.slow
def test_open_run_reads_a_finished_run_back(tmp_path: Path) -> None:
    extra = """
    models: [logistic_regression, decision_tree]
    search: {n_trials: 6, cv: 3, seed: 0, keep_predictions: 3}
    """
    result = run_recipe(churn_recipe(tmp_path, extra=extra), tmp_path / "run")
    run = automl.open_run(result.run_dir)
    assert run.status is RunStatus.FINISHED
    assert run.summary == result.summary
    assert run.summary.schema_version == 2
    assert run.summary.stopped_by is StopReason.N_TRIALS
    budget = run.summary.budget
    assert (budget.n_trials, budget.time_budget) == (6, None)
    assert set(budget.used) >= {"load", "prepare", "search", "refit", "package"}
    assert budget.total == run.summary.timings["total"]
    assert run.recipe is not None
    assert run.recipe["name"] == "churn-test"
    assert run.profile is not None
    assert run.profile["target"] == "churned"
    assert run.leaderboard is not None
    assert [row.trial for row in run.leaderboard.rows] == [
        row.trial for row in result.leaderboard.rows
    ]
    assert [trial.number for trial in run.trials] == list(range(6))
    model = run.load_model()
    assert model.predict(model.input_example()).shape == (5,)

    # Out-of-fold predictions of the best 3 trials, aligned with the training target: the
    # folds rebuilt from the seed score exactly what each trial recorded.
    predictions = run.predictions
    assert predictions is not None
    assert predictions.classes == ["no", "yes"]
    ranked = [row.trial for row in run.leaderboard.rows if row.trial is not None]
    assert predictions.trials[:3] == ranked[:3]  # then the best 3 of each model besides
    assert set(predictions.trials) <= set(ranked)
    target = predictions.target
    assert len(target) == run.summary.data["training_rows"]
    records = {trial.number: trial for trial in run.trials}
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=0).split(target, target)
    folds = list(folds)
    for number in predictions.trials:
        oof = predictions.oof(number)
        assert oof.shape == (len(target), 2)
        assert np.allclose(oof.sum(axis=1), 1.0)
        fold_scores = [roc_auc_score(target[valid] == "yes", oof[valid, 1]) for _, valid in folds]
        assert fold_scores == pytest.approx(list(records[number].scores["roc_auc"].folds))
    # The final model's holdout predictions reproduce its holdout score.
    assert predictions.holdout_trial == run.summary.best_trial.number
    holdout, truth = predictions.holdout, predictions.holdout_target
    assert holdout is not None
    assert truth is not None
    assert len(truth) == run.summary.data["holdout_rows"]
    assert roc_auc_score(truth == "yes", holdout[:, 1]) == pytest.approx(
        run.summary.holdout["roc_auc"]
    )


@pytest.mark.slow
def test_failed_trials_keep_their_traceback(tmp_path: Path, site: SiteDir) -> None:
    install_test_models(site)
    extra = """
    models: [failing, logistic_regression]
    search: {n_trials: 4, cv: 3, seed: 0}
    execution: {workers: 1}
    """
    result = run_recipe(churn_recipe(tmp_path, extra=extra), tmp_path / "run")
    run = open_run(result.run_dir)
    failed = run.failed_trials
    assert failed
    for trial in failed:
        assert trial.failure is not None
        assert trial.failure.kind is FailureKind.ERROR
        assert trial.failure.message == "ValueError: boom"
        assert "Traceback (most recent call last)" in (trial.failure.traceback or "")
        assert "in fit" in (trial.failure.traceback or "")
    log = run.layout.log.read_text()
    assert f"Trial {failed[0].number} traceback:" in log
    assert "ValueError: boom" in log


@pytest.mark.slow
def test_every_trial_failing_is_a_model_error_and_the_run_reads_back(
    tmp_path: Path, site: SiteDir
) -> None:
    install_test_models(site)
    extra = """
    models: [failing]
    search: {n_trials: 2, cv: 3, seed: 0}
    execution: {workers: 1}
    """
    registry = automl.PluginRegistry.discover()
    observer = Observer()
    assert registry.add_plugin(observer, name="observer")
    resolved = automl.load_recipe(churn_recipe(tmp_path, extra=extra), registry)
    with pytest.raises(automl.ModelError) as caught:
        automl.run(resolved, run_dir=tmp_path / "run")
    assert caught.value.exit_code == automl.ExitCode.MODEL == 8
    run = open_run(tmp_path / "run")
    assert run.status is RunStatus.FAILED
    assert [summary.status for summary in observer.ended] == [RunStatus.FAILED]
    assert "every trial failed" in (run.summary.message or "")
    assert run.leaderboard is not None
    assert run.leaderboard.rows == []
    assert len(run.failed_trials) == 2
    assert run.model_dir is None
    with pytest.raises(UsageError, match="holds no model package"):
        run.load_model()


@pytest.mark.slow
def test_the_runs_page_code_runs_on_a_real_run(tmp_path: Path) -> None:
    """docs/runs.md's code blocks, executed in order against a finished run."""
    import re

    extra = """
    models: [logistic_regression, decision_tree]
    search: {n_trials: 4, cv: 3, seed: 0}
    """
    run_recipe(churn_recipe(tmp_path, extra=extra), tmp_path / "run")
    page = (Path(__file__).parents[1] / "docs" / "runs.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", page, flags=re.DOTALL)
    assert len(blocks) == 5
    namespace: dict[str, object] = {"run_dir": tmp_path / "run"}
    for block in blocks:
        exec(compile(block, "docs/runs.md", "exec"), namespace)
    assert namespace["accuracy"] > 0.5  # type: ignore[operator]


@pytest.mark.slow
def test_workers_dying_on_every_trial_is_a_backend_error(tmp_path: Path, site: SiteDir) -> None:
    install_test_models(site)
    extra = """
    models: [crashing]
    search: {n_trials: 2, cv: 3, seed: 0}
    execution: {workers: 1}
    """
    with pytest.raises(automl.ExecutorError, match="the worker processes died on every trial"):
        run_recipe(churn_recipe(tmp_path, extra=extra), tmp_path / "run")
    kinds = {trial.failure.kind for trial in open_run(tmp_path / "run").failed_trials}
    assert kinds == {FailureKind.WORKER_DIED}


class Observer:
    """An observer plugin that records how each run ended."""

    def __init__(self) -> None:
        self.ended: list[RunSummary] = []

    @automl.hookimpl
    def automl_after_run(self, summary: RunSummary) -> None:
        self.ended.append(summary)


@pytest.mark.slow
def test_an_interrupted_run_says_so_and_observers_hear_of_it(tmp_path: Path) -> None:
    from automl import PluginRegistry, load_recipe, with_overrides

    registry = PluginRegistry.discover()
    observer = Observer()
    assert registry.add_plugin(observer, name="observer")
    extra = """
    models: [logistic_regression, decision_tree]
    search: {n_trials: 30, cv: 3, seed: 0}
    execution: {workers: 1}
    """
    resolved = with_overrides(load_recipe(churn_recipe(tmp_path, extra=extra), registry))

    def stop_after_two(progress: automl.search.SearchProgress) -> None:
        if progress.complete >= 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        automl.run(resolved, run_dir=tmp_path / "run", on_progress=stop_after_two)
    run = open_run(tmp_path / "run")
    assert run.status is RunStatus.INTERRUPTED
    assert run.summary.stopped_by is StopReason.INTERRUPTED
    assert [summary.status for summary in observer.ended] == [RunStatus.INTERRUPTED]
    assert run.summary.trials.complete >= 2
    assert run.predictions is not None
    assert len(run.predictions.trials) == run.summary.trials.complete


@pytest.mark.slow
def test_a_live_run_reads_back_while_it_searches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import automl.runner.search

    monkeypatch.setattr(automl.runner.search, "RESULTS_EVERY_SECONDS", 0.0)
    extra = """
    models: [logistic_regression, decision_tree]
    search: {n_trials: 6, cv: 3, seed: 0}
    execution: {workers: 1}
    """
    seen: list[tuple[int, int]] = []

    def look(progress: automl.search.SearchProgress) -> None:
        if progress.finished and progress.finished < 6:
            run = open_run(tmp_path / "run")
            seen.append((progress.finished, len(run.trials)))
            assert run.status is RunStatus.RUNNING

    resolved = automl.load_recipe(churn_recipe(tmp_path, extra=extra))
    automl.run(resolved, run_dir=tmp_path / "run", on_progress=look)
    assert seen
    # What a reader sees mid-run is every trial finished so far.
    assert all(finished == trials for finished, trials in seen)
