"""Ensembles in whole runs: on the leaderboard, chosen when they win, packaged and loaded like
any model, on every task, reproducibly; and off when the recipe says so."""

from __future__ import annotations

import json
import textwrap
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.conftest import ROOT, SiteDir
from tests.run_helpers import run_recipe

SHIFTED = '''
from pydantic import Field
from sklearn.linear_model import LinearRegression

from automl import ModelSpec, Params, hookimpl


class Shifted(LinearRegression):
    """A linear fit, shifted: +3 and -3 are equally wrong, and their average is right."""

    def __init__(self, shift=0.0):
        super().__init__()
        self.shift = shift

    def predict(self, x):
        return super().predict(x) + self.shift


class ShiftParams(Params):
    shift: float = Field(default=3.0)


def build(params, *, task, seed):
    return Shifted(shift=params.shift)


def space(sampler, task):
    sampler.suggest_categorical("shift", [-3.0, 3.0])


@hookimpl
def automl_register_models():
    return [
        ModelSpec(
            name="shifted", description="a biased linear fit", factory=build, params=ShiftParams,
            tasks={"regression"}, search_space=space,
        )
    ]
'''


def _linear_recipe(tmp_path: Path, extra: str = "") -> Path:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 3))
    frame = pd.DataFrame(x, columns=["a", "b", "c"])
    frame["y"] = x @ [2.0, -1.0, 0.5] + rng.normal(0, 0.1, 300)
    frame.to_csv(tmp_path / "linear.csv", index=False)
    recipe = tmp_path / "linear.yaml"
    recipe.write_text(
        textwrap.dedent(
            """
            name: linear
            task: regression
            data: {source: {type: csv, path: linear.csv}, target: y, holdout: 0.2}
            metric: rmse
            metrics: [mae]
            models: [shifted]
            search: {n_trials: 6, cv: 3, seed: 0, sampler: random}
            execution: {workers: 1}
            """
        )
        + textwrap.dedent(extra),
        encoding="utf-8",
    )
    return recipe


@pytest.mark.slow
def test_an_ensemble_that_wins_is_packaged(tmp_path: Path, site: SiteDir) -> None:
    import automl

    site.add("automl-shifted", {"automl_shifted": SHIFTED}, {"shifted": "automl_shifted"})
    result = run_recipe(_linear_recipe(tmp_path), tmp_path / "run")
    ensemble = result.summary.ensemble
    assert ensemble is not None
    assert ensemble.chosen
    assert {m.weight for m in ensemble.members} == {0.5}
    assert ensemble.cv_mean < 0.2
    assert ensemble.best_single_cv > 2.5
    assert ensemble.predict_ms_per_row is not None
    assert ensemble.predict_ms_per_row > 0
    best = result.summary.best_trial
    assert best.number is None
    assert best.model == "ensemble"
    assert result.summary.holdout["rmse"] < 0.2
    top = result.leaderboard.rows[0]
    assert top.trial is None
    assert top.holdout["rmse"] == result.summary.holdout["rmse"]

    run = automl.open_run(result.run_dir)
    assert run.summary.ensemble == ensemble
    assert run.leaderboard.rows[0].model == "ensemble"
    assert run.predictions is not None
    assert run.predictions.holdout_trial is None
    csv_row = (result.run_dir / "leaderboard.csv").read_text().splitlines()[1]
    assert csv_row.startswith("1,,ensemble,")

    model = run.load_model()
    test = pd.read_csv(tmp_path / "linear.csv").head(20)
    made = model.predict_table(test.drop(columns="y"))
    assert np.abs(np.asarray(made, dtype=float).reshape(-1) - test["y"]).max() < 0.5
    metadata = json.loads((result.run_dir / "model" / "metadata.json").read_text())
    assert metadata["ensemble"]["members"] == [m.to_dict() for m in ensemble.members]
    with warnings.catch_warnings():  # mlflow warns about its own type hints at import
        warnings.simplefilter("ignore", UserWarning)
        import mlflow.pyfunc

        pyfunc = mlflow.pyfunc.load_model(str(result.run_dir / "model"))
    features = test.drop(columns="y")
    np.testing.assert_allclose(
        np.asarray(pyfunc.predict(features), dtype=float).reshape(-1),
        np.asarray(model.predict(features), dtype=float).reshape(-1),
    )


@pytest.mark.slow
def test_ensemble_off_keeps_the_best_trial(tmp_path: Path, site: SiteDir) -> None:
    site.add("automl-shifted", {"automl_shifted": SHIFTED}, {"shifted": "automl_shifted"})
    result = run_recipe(_linear_recipe(tmp_path, "ensemble: {enabled: false}\n"), tmp_path / "r")
    assert result.summary.ensemble is None
    assert result.leaderboard.ensemble is None
    assert result.summary.best_trial.number is not None
    assert "ensemble" not in result.summary.timings


@pytest.mark.parametrize("recipe", ["quickstart", "plants", "housing"])
@pytest.mark.slow
def test_every_task_builds_a_reproducible_ensemble(tmp_path: Path, recipe: str) -> None:
    import yaml

    import automl

    document = yaml.safe_load((ROOT / "recipes" / f"{recipe}.yaml").read_text())
    document["data"]["source"]["path"] = str(ROOT / "recipes" / document["data"]["source"]["path"])
    document["search"] = {"n_trials": 10, "cv": 3, "seed": 0}
    fast = {"quickstart": "logistic_regression", "plants": "knn", "housing": "ridge"}[recipe]
    document["models"] = [fast, "decision_tree", "extra_trees"]

    def once(name: str) -> automl.RunResult:
        return automl.run(document, workers=1, run_dir=tmp_path / name)

    first = once("a")
    record = first.summary.ensemble
    assert record is not None, "ten trials of several models give at least two candidates"
    if recipe == "quickstart":  # the same trials give the same ensemble
        record.predict_ms_per_row = None
        again = once("b").summary.ensemble
        assert again is not None
        again.predict_ms_per_row = None
        assert record == again
    assert len(record.members) >= 2
    row = first.leaderboard.ensemble
    assert row is not None
    assert row.mean(first.leaderboard.metric) == record.cv_mean
    winner = first.leaderboard.rows[0]
    assert (winner.trial is None) == record.chosen
    assert winner.holdout  # whatever won was refitted and scored on the holdout
    package = automl.open_run(first.run_dir).load_model()
    frame = pd.read_csv(ROOT / "recipes" / "data" / f"{_data(recipe)}.csv").head(5)
    assert len(package.predict_table(frame)) == 5


def _data(recipe: str) -> str:
    import yaml

    text = (ROOT / "recipes" / f"{recipe}.yaml").read_text()
    return Path(yaml.safe_load(text)["data"]["source"]["path"]).stem


@pytest.mark.slow
def test_a_timed_search_follows_the_ensemble_members(
    tmp_path: Path, caplog: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under a time budget the run selects the ensemble again as trials complete, and the
    search plans its reserve from those members (:mod:`automl.runner.live`)."""
    import yaml

    import automl
    from automl.runner import live

    monkeypatch.setattr(live, "EVERY_SECONDS", 0.0)  # select after every trial
    monkeypatch.setattr(live, "EVERY_SHARE", 0.0)

    document = yaml.safe_load((ROOT / "recipes" / "quickstart.yaml").read_text())
    document["data"]["source"]["path"] = str(ROOT / "recipes" / document["data"]["source"]["path"])
    document["search"] = {"n_trials": 8, "time_budget": 300, "cv": 3, "seed": 0}
    document["models"] = ["logistic_regression", "decision_tree", "knn"]
    with caplog.at_level("DEBUG", logger="automl.runner.live"):
        result = automl.run(document, workers=1, run_dir=tmp_path / "run")
    assert "Likely ensemble members: trials" in caplog.text
    assert result.summary.ensemble is not None
