"""Each model's first trials are drawn at random before TPE models that model's parameters."""

from __future__ import annotations

import math
from typing import Any

import optuna
import pytest

from automl.search import make_sampler
from automl.search.startup import MODEL_STARTUP_TRIALS, ModelStartupSampler

optuna.logging.set_verbosity(optuna.logging.WARNING)

DEFAULT = {"model": "lgb", "lgb.num_leaves": 31, "lgb.lr": 0.05}


def _objective(trial: optuna.Trial) -> float:
    """``lgb`` beats the other models whatever its parameters: every trial of it is "good"."""
    model = trial.suggest_categorical("model", ["a", "b", "lgb"])
    if model == "lgb":
        leaves = trial.suggest_int("lgb.num_leaves", 4, 256, log=True)
        trial.suggest_float("lgb.lr", 0.01, 0.3, log=True)
        return 0.05 + 0.001 * abs(math.log(leaves / 31))
    return 0.1 + trial.suggest_float(f"{model}.x", 0.0, 1.0)


def _lgb_trials(sampler: optuna.samplers.BaseSampler, count: int) -> list[dict[str, Any]]:
    """The parameters of ``count`` trials of ``lgb`` after its default and 30 other trials."""
    study = optuna.create_study(sampler=sampler)
    study.enqueue_trial(DEFAULT)
    for i in range(30):
        study.enqueue_trial({"model": "ab"[i % 2]})
    study.optimize(_objective, n_trials=31)
    for _ in range(count):
        study.enqueue_trial({"model": "lgb"})
        study.optimize(_objective, n_trials=1)
    return [trial.params for trial in study.trials[31:]]


def test_plain_tpe_collapses_on_a_models_few_good_trials() -> None:
    """The reason for the wrapper: TPE proposes points next to the default, a local search with
    a step too small to find anything (the test fails if Optuna stops doing this)."""
    leaves = [p["lgb.num_leaves"] for p in _lgb_trials(optuna.samplers.TPESampler(seed=0), 4)]
    assert all(20 <= value <= 45 for value in leaves), leaves


def test_a_models_first_trials_spread_over_its_space() -> None:
    params = _lgb_trials(make_sampler("tpe", 0), MODEL_STARTUP_TRIALS - 1)
    leaves = [p["lgb.num_leaves"] for p in params]
    rates = [p["lgb.lr"] for p in params]
    assert max(leaves) / min(leaves) > 3, leaves
    assert max(rates) / min(rates) > 3, rates


def test_the_startup_is_seeded() -> None:
    first = _lgb_trials(make_sampler("tpe", 3), 3)
    assert first == _lgb_trials(make_sampler("tpe", 3), 3)
    assert first != _lgb_trials(make_sampler("tpe", 4), 3)


class _Recording(optuna.samplers.RandomSampler):
    """A base sampler that records which parameters it was asked for, per trial."""

    def __init__(self) -> None:
        super().__init__(seed=0)
        self.asked: list[tuple[int, str]] = []

    def sample_independent(self, study: Any, trial: Any, name: str, dist: Any) -> Any:
        self.asked.append((trial.number, name))
        return super().sample_independent(study, trial, name, dist)


@pytest.mark.parametrize("state", ["complete", "pruned"])
def test_the_base_sampler_takes_over_after_the_startup_trials(state: str) -> None:
    """Complete and pruned trials of the model count; other models' trials do not; the model
    choice is always the base sampler's."""
    base = _Recording()
    study = optuna.create_study(sampler=ModelStartupSampler(base, seed=0, n_startup=2))

    def objective(trial: optuna.Trial) -> float:
        model = trial.suggest_categorical("model", ["lgb", "other"])
        trial.suggest_float(f"{model}.x", 0.0, 1.0)
        if state == "pruned" and model == "lgb":
            trial.report(1.0, 0)
            raise optuna.TrialPruned
        return 1.0

    for model in ["other", "other", "other", "lgb", "lgb", "lgb", "lgb", "other"]:
        study.enqueue_trial({"model": model})
        study.optimize(objective, n_trials=1)
    sub = [(number, name) for number, name in base.asked if name != "model"]
    # "other" had two finished trials before trial 2; "lgb" before trial 5 (trials 3 and 4).
    assert sub == [(2, "other.x"), (5, "lgb.x"), (6, "lgb.x"), (7, "other.x")]
    # With the model sampled, not enqueued, the base sampler chooses it.
    study.optimize(objective, n_trials=1)
    assert (8, "model") in base.asked
