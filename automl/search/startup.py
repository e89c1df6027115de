"""Each model's first trials drawn at random, before TPE models that model's parameters.

The search space is conditional: ``lightgbm.num_leaves`` exists only in trials of
``lightgbm``. Optuna's TPE starts modelling after ``n_startup_trials`` of the whole study, then
builds each parameter's "good" and "bad" densities from the trials that carry it. When one
model's few trials are all better than the other models' (its default configuration, say), they
are all "good" and none is "bad", so TPE proposes points ever closer to them: on ``car`` every
``lightgbm`` trial after the default stayed within 10 % of it (``num_leaves`` 26 to 29,
``learning_rate`` 0.047 to 0.051), a local search with a step too small to find anything. The
same happens to whichever model is best. Random draws for each model's first
:data:`MODEL_STARTUP_TRIALS` trials give TPE a spread of that model's configurations to learn
from, as its study-wide startup is meant to.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import optuna
from optuna.distributions import BaseDistribution
from optuna.trial import FrozenTrial, TrialState

from automl.search.space import MODEL_PARAM

# Imported by ``make_sampler`` only, which needs Optuna anyway: not at ``import automl``.

__all__ = ["MODEL_STARTUP_TRIALS", "ModelStartupSampler"]

MODEL_STARTUP_TRIALS = 5
"""Finished trials of a model (its default configuration counts) before TPE chooses its
parameters; until then they are drawn at random."""


_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)


class ModelStartupSampler(optuna.samplers.BaseSampler):
    """A sampler (TPE) whose parameters of a model are random until that model has finished
    ``n_startup`` trials; the model choice itself, and everything after, is the base sampler's.
    """

    def __init__(
        self,
        base: optuna.samplers.BaseSampler,
        seed: int | None,
        n_startup: int = MODEL_STARTUP_TRIALS,
    ) -> None:
        self._base = base
        self._random = optuna.samplers.RandomSampler(seed=seed)
        self._n_startup = n_startup
        self._decided: tuple[int, bool] = (-1, False)  # (trial number, at random)

    def infer_relative_search_space(
        self, study: optuna.Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return self._base.infer_relative_search_space(study, trial)

    def sample_relative(
        self, study: optuna.Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return self._base.sample_relative(study, trial, search_space)

    def sample_independent(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        model = trial.params.get(MODEL_PARAM)
        sampler = self._base
        if param_name != MODEL_PARAM and model is not None and self._startup(study, trial, model):
            sampler = self._random
        return sampler.sample_independent(study, trial, param_name, param_distribution)

    def _startup(self, study: optuna.Study, trial: FrozenTrial, model: str) -> bool:
        """Whether ``trial`` (of ``model``) is among that model's first trials; decided once
        per trial, so that all its parameters come from one sampler."""
        if self._decided[0] != trial.number:  # the driver samples one trial at a time
            finished = study.get_trials(deepcopy=False, states=_FINISHED)
            done = sum(1 for other in finished if other.params.get(MODEL_PARAM) == model)
            self._decided = (trial.number, done < self._n_startup)
        return self._decided[1]

    def before_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        self._base.before_trial(study, trial)
        self._random.before_trial(study, trial)

    def after_trial(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        self._base.after_trial(study, trial, state, values)
        self._random.after_trial(study, trial, state, values)

    def reseed_rng(self) -> None:
        self._base.reseed_rng()
        self._random.reseed_rng()
