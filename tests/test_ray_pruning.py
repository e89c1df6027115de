"""Pruning on Ray without a verdict round trip: the same trials, folds and intermediate values.

A Ray trial task streams its fold reports and goes on without waiting; the driver cancels a
trial it prunes and records it from the report it pruned on. These tests pin that down: the
streamed reports carry the outcome so far (fast, in-process), and a deterministic search prunes
the same trials after the same folds, with the same intermediate values, on Ray as on the local
backend (slow, on the session's Ray cluster).
"""

from __future__ import annotations

import math
import statistics
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
import pytest
from sklearn.model_selection import StratifiedKFold

from automl.records import TrialState
from automl.registry import PluginRegistry
from automl.search.ray_tasks import WORKER_CACHE, trial_stream
from automl.search.trial import FoldReport, SearchData, TrialJob, TrialOutcome, run_trial
from automl.search.workers import WorkerSetup, plugin_refs, rebuild
from automl.tasks import Task
from tests.run_helpers import churn_recipe, run_recipe, run_study

FOLDS = 4


def _setup(prune: bool) -> WorkerSetup:
    rng = np.random.default_rng(0)
    features = pd.DataFrame(rng.normal(size=(160, 3)), columns=["a", "b", "c"])
    target = np.where(features["a"] + rng.normal(scale=1.0, size=160) > 0, "yes", "no")
    splitter = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=0)
    data = SearchData(
        features=features,
        target=target,
        folds=list(splitter.split(features, target)),
        task=Task.BINARY,
        classes=["no", "yes"],
        kinds=dict.fromkeys(features.columns, "numeric"),
        levels={},
        metric="roc_auc",
        metrics=["accuracy"],
        seed=0,
        prune=prune,
    )
    registry = PluginRegistry.discover(autoload=False)
    return WorkerSetup(data=data, plugins=plugin_refs(registry), models=["logistic_regression"])


def _stream(setup: WorkerSetup, job: TrialJob) -> list[FoldReport | TrialOutcome]:
    """What the Ray task yields, run in this process (the worker's cache already filled)."""
    WORKER_CACHE.clear()
    WORKER_CACHE["run"] = rebuild(setup)
    try:
        return list(trial_stream("run", [], job))
    finally:
        WORKER_CACHE.clear()


JOB = TrialJob(number=7, model="logistic_regression", params={"C": 0.5})


def test_the_task_streams_a_report_per_fold_but_the_last_then_its_outcome() -> None:
    items = _stream(_setup(prune=True), JOB)
    *reports, outcome = items
    assert isinstance(outcome, TrialOutcome)
    assert outcome.state is TrialState.COMPLETE
    assert outcome.oof is not None
    assert all(isinstance(report, FoldReport) for report in reports)
    assert [report.step for report in reports if isinstance(report, FoldReport)] == [0, 1, 2]
    folds = outcome.scores["roc_auc"]
    for report in reports:
        assert isinstance(report, FoldReport)
        # The running mean, and the outcome as it stood after that fold.
        assert report.value == pytest.approx(statistics.fmean(folds[: report.step + 1]))
        assert report.partial.state is TrialState.PRUNED
        assert report.partial.number == JOB.number
        assert report.partial.oof is None
        for metric in ("roc_auc", "accuracy"):
            assert report.partial.scores[metric] == outcome.scores[metric][: report.step + 1]
        assert report.partial.fit_times == outcome.fit_times[: report.step + 1]
        assert report.partial.predicted_rows == sum(
            len(valid) for _, valid in _setup(prune=True).data.folds[: report.step + 1]
        )


def test_a_report_is_the_local_trial_pruned_at_that_fold() -> None:
    """The driver records a pruned Ray trial from its report: it must equal the local trial."""
    setup = _setup(prune=True)
    state = rebuild(setup)
    model = state.models[JOB.model]
    reports = [item for item in _stream(setup, JOB) if isinstance(item, FoldReport)]
    for prune_at in range(FOLDS - 1):
        local = run_trial(
            JOB, state.data, model, state.metrics, lambda step, _v, _s, _l, at=prune_at: step == at
        )
        ray_side = reports[prune_at].partial
        assert local.state is ray_side.state is TrialState.PRUNED
        assert local.scores == ray_side.scores
        assert len(local.fit_times) == len(ray_side.fit_times) == prune_at + 1
        assert local.predicted_rows == ray_side.predicted_rows


def test_no_reports_when_the_search_does_not_prune() -> None:
    items = _stream(_setup(prune=False), JOB)
    assert len(items) == 1
    assert isinstance(items[0], TrialOutcome)
    assert len(items[0].scores["roc_auc"]) == FOLDS


def test_a_failing_report_fails_the_local_trial_as_before() -> None:
    setup = _setup(prune=True)
    state = rebuild(setup)

    def broken(step: int, value: float, seconds: float, limited: bool) -> bool:
        raise OSError("the driver went away")

    outcome = run_trial(JOB, state.data, state.models[JOB.model], state.metrics, broken)
    assert outcome.state is TrialState.FAILED
    assert outcome.error == "OSError: the driver went away"


# -- on the Ray cluster ------------------------------------------------------------------------

PRUNING = """
models: [coin]
search: {n_trials: 16, cv: 4, seed: 5, sampler: random, pruner: median}
execution: {workers: 2, deterministic: true}
"""


def _trials(run_dir: Path) -> list[tuple[int, str, int, dict[int, float]]]:
    return [
        (t.number, t.state.name, len(t.user_attrs["scores"]["roc_auc"]["folds"]), _values(t))
        for t in run_study(run_dir).trials
    ]


def _values(trial: optuna.trial.FrozenTrial) -> dict[int, float]:
    return {step: round(value, 12) for step, value in trial.intermediate_values.items()}


@pytest.mark.slow
def test_ray_prunes_the_same_trials_after_the_same_folds_as_local(
    ray_cluster: Any, tmp_path: Path
) -> None:
    ray_cluster.ensure_capacity()
    recipe = churn_recipe(tmp_path, extra=PRUNING)
    run_recipe(recipe, tmp_path / "local", backend="local")
    run_recipe(recipe, tmp_path / "ray", backend="ray")
    local, on_ray = _trials(tmp_path / "local"), _trials(tmp_path / "ray")
    pruned = [trial for trial in local if trial[1] == "PRUNED"]
    assert pruned, "the recipe must prune some trials for this test to mean anything"
    assert any(trial[1] == "COMPLETE" for trial in local)
    assert on_ray == local
    for _, state, folds, values in on_ray:
        # Every fold run has its intermediate value in the study, pruned trials included.
        assert sorted(values) == list(range(folds))
        assert all(math.isfinite(value) for value in values.values())
        assert (folds < FOLDS) == (state == "PRUNED")
