"""Helpers for tests that run searches: small data, recipes and test-only model plugins."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tests.conftest import ROOT, SiteDir

CHURN = ROOT / "recipes" / "data" / "churn.csv"

# Models for testing the engine: one that always fails, one that sleeps in fit, one whose
# quality is a parameter (so that bad configurations exist to prune).
TEST_MODELS = '''
import time
from pydantic import Field
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression

from automl import ModelSpec, Params, hookimpl


class Failing(LogisticRegression):
    def __init__(self, message="boom"):
        super().__init__()
        self.message = message

    def fit(self, x, y):
        raise ValueError(self.message)


class Sleepy(DummyClassifier):
    def __init__(self, seconds=0.5):
        super().__init__(strategy="prior")
        self.seconds = seconds

    def fit(self, x, y):
        time.sleep(self.seconds)
        return super().fit(x, y)


class Blurred(LogisticRegression):
    """Learns, then mixes in the opposite answer: ``flip`` 0 is good, 1 is reliably wrong."""

    def __init__(self, flip=0.0):
        super().__init__(max_iter=1000)
        self.flip = flip

    def predict_proba(self, x):
        proba = super().predict_proba(x)
        return (1 - self.flip) * proba + self.flip * proba[:, ::-1]


class Crashing(LogisticRegression):
    """Kills its own process in fit, the way a segfault in native code would."""

    def fit(self, x, y):
        import os

        os._exit(3)


class HoldoutBomb(LogisticRegression):
    """Fine in cross-validation; fails once fitted on more rows (the refit on all training rows)."""

    def __init__(self, max_rows=250):
        super().__init__(max_iter=1000)
        self.max_rows = max_rows

    def fit(self, x, y):
        self.rows_ = len(x)
        return super().fit(x, y)

    def predict_proba(self, x):
        if self.rows_ > self.max_rows:
            raise RuntimeError("boom on holdout")
        return super().predict_proba(x)


class FailingParams(Params):
    message: str = "boom"


class SleepyParams(Params):
    seconds: float = Field(default=0.5, ge=0)


class CoinParams(Params):
    flip: float = Field(default=0.0, ge=0, le=1)


def build_failing(params, *, task, seed):
    return Failing(message=params.message)


def build_holdout_bomb(params, *, task, seed):
    return HoldoutBomb()


def build_crashing(params, *, task, seed):
    return Crashing()


def build_sleepy(params, *, task, seed):
    return Sleepy(seconds=params.seconds)


def build_coin(params, *, task, seed):
    return Blurred(flip=params.flip)


def coin_space(sampler, task):
    sampler.suggest_float("flip", 0.0, 1.0)


@hookimpl
def automl_register_models():
    tasks = {"binary", "multiclass"}
    return [
        ModelSpec(name="failing", description="always fails", factory=build_failing, params=FailingParams, tasks=tasks),
        ModelSpec(
            name="holdout_bomb", description="fails after the refit", factory=build_holdout_bomb,
            tasks=tasks, needs_scaling=True,
        ),
        ModelSpec(name="crashing", description="kills its worker", factory=build_crashing, tasks=tasks),
        ModelSpec(name="sleepy", description="sleeps in fit", factory=build_sleepy, params=SleepyParams, tasks=tasks),
        ModelSpec(
            name="coin", description="good or bad", factory=build_coin, params=CoinParams, tasks=tasks,
            search_space=coin_space, needs_scaling=True,
        ),
    ]
'''


KILLABLE = '''
import os
import time
from pathlib import Path

from sklearn.linear_model import LogisticRegression

from automl import ModelSpec, Params, hookimpl


class Marked(LogisticRegression):
    """Writes its worker's pid to a file, then takes its time: a test can kill it meanwhile."""

    def __init__(self, marker=""):
        super().__init__(max_iter=1000)
        self.marker = marker

    def fit(self, x, y):
        marker = Path(self.marker)
        if self.marker and not marker.exists():
            try:
                claim = open(f"{marker}.claim", "x")  # exactly one trial marks itself
            except FileExistsError:
                return super().fit(x, y)
            claim.close()
            node = ""
            try:
                import ray

                node = ray.get_runtime_context().get_node_id() if ray.is_initialized() else ""
            except ImportError:
                pass
            partial = Path(f"{marker}.partial")
            partial.write_text(f"{os.getpid()} {node}")
            partial.replace(marker)  # the test reads the pid only when it is complete
            time.sleep(30)
        return super().fit(x, y)


class MarkedParams(Params):
    marker: str = ""


def build(params, *, task, seed):
    return Marked(marker=params.marker)


@hookimpl
def automl_register_models():
    return [ModelSpec(name="marked", description="killable", factory=build, params=MarkedParams, tasks={"binary"})]
'''


def install_test_models(site: SiteDir) -> None:
    """Install the test-only models (failing, sleepy, coin) as a distribution."""
    site.add(
        "automl-test-models",
        {"automl_test_models": TEST_MODELS},
        {"test_models": "automl_test_models"},
    )


def churn_recipe(tmp_path: Path, rows: int = 400, extra: str = "") -> Path:
    """A binary recipe on the first ``rows`` rows of the churn example, in ``tmp_path``."""
    pd.read_csv(CHURN).head(rows).to_csv(tmp_path / "churn.csv", index=False)
    recipe = tmp_path / "churn.yaml"
    recipe.write_text(
        textwrap.dedent(
            """
            name: churn-test
            task: binary
            data:
              source: {type: csv, path: churn.csv}
              target: churned
              holdout: 0.2
            metric: roc_auc
            metrics: [accuracy, log_loss]
            """
        )
        + textwrap.dedent(extra),
        encoding="utf-8",
    )
    return recipe


def run_recipe(recipe: Path, run_dir: Path, **overrides: object) -> Any:
    """``automl.run`` on a recipe file with command-line style overrides (returns the RunResult)."""
    from automl import PluginRegistry, load_recipe
    from automl.runner import run, with_overrides

    resolved = load_recipe(recipe, PluginRegistry.discover())
    return run(with_overrides(resolved, **overrides), run_dir=run_dir)  # type: ignore[arg-type]


def run_study(run_dir: Path) -> Any:
    """The Optuna study in a run directory's journal."""
    import optuna

    from automl.rundir import RunLayout
    from automl.search import make_storage

    storage = make_storage(RunLayout(run_dir).journal, None)
    return optuna.load_study(study_name="automl", storage=storage)


def board(run_dir: Path) -> list[tuple[object, ...]]:
    """The leaderboard's trials, models, parameters and scores (what reproducibility compares)."""
    import json

    from automl.rundir import read_leaderboard

    rows = read_leaderboard(run_dir).rows
    return [
        (r.trial, r.model, json.dumps(r.params, sort_keys=True), r.mean("roc_auc")) for r in rows
    ]


def wait_for_complete_trials(run_dir: Path, count: int, timeout: float = 60) -> int:
    """Wait until a running search in ``run_dir`` has ``count`` complete trials; returns how many."""
    import time

    deadline = time.monotonic() + timeout
    complete = 0
    while time.monotonic() < deadline and complete < count:
        time.sleep(0.2)
        if not (run_dir / "study.journal").exists():
            continue
        try:
            trials = run_study(run_dir).trials
        except KeyError:  # the journal exists but the run has not created its study in it yet
            continue
        complete = sum(t.state.name == "COMPLETE" for t in trials)
    return complete


def cli_process(command: list[str], site: SiteDir, **options: Any) -> Any:
    """``python -m automl COMMAND...`` in a subprocess that sees the test plugins in ``site``."""
    import os
    import subprocess
    import sys

    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site.path), *sys.path])}
    environment.pop("RAY_ADDRESS", None)
    return subprocess.Popen(
        [sys.executable, "-m", "automl", *command], env=environment, text=True, **options
    )


def line_data(rows: int, folds: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[Any, Any]:
    """A regression of ``y = x`` over ``rows`` rows, as a trial gets it (``SearchData`` with
    ``folds``), and the ``rmse`` metric to score it: for tests that run trials directly."""
    from automl import MetricSpec, Task
    from automl.search import SearchData

    def rmse(truth: Any, predicted: Any, **kwargs: Any) -> float:
        return float(np.sqrt(np.mean((truth - predicted) ** 2)))

    data = SearchData(
        features=pd.DataFrame({"x": np.arange(rows, dtype=float)}),
        target=np.arange(rows, dtype=float),
        folds=folds,
        task=Task.REGRESSION,
        classes=None,
        kinds={"x": "numeric"},
        levels={},
        metric="rmse",
        metrics=[],
        seed=0,
    )
    return data, {
        "rmse": MetricSpec(name="rmse", description="d", factory=rmse, direction="minimize")
    }
