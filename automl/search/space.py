"""The search space: a categorical model choice, then each model's namespaced sub-space.

A model's ``search_space(sampler, task)`` function suggests its parameters by their plain names;
:class:`TrialParamSampler` namespaces them for Optuna (``random_forest.max_depth``), applies the
recipe's fixed ``params`` and ``search_space`` overrides, and records the chosen values.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from automl.recipe.schema import ChoiceDimension, Dimension, FixedDimension, RangeDimension
from automl.specs import Task

if TYPE_CHECKING:
    import optuna

    from automl.recipe import ResolvedModel

MODEL_PARAM = "model"
"""The Optuna parameter that chooses the model."""


def optuna_name(model: str, name: str) -> str:
    """The namespaced Optuna parameter name of a model's parameter."""
    return f"{model}.{name}"


class TrialParamSampler:
    """Suggests a model's parameters on an Optuna trial (implements :class:`automl.ParamSampler`).

    Args:
        trial: The Optuna trial.
        model: The model's name (the namespace).
        fields: The names the model may suggest (its params model's fields).
        fixed: Values that are not searched (the recipe's ``params``).
        overrides: The recipe's ``search_space``, replacing what the model suggests.
    """

    def __init__(
        self,
        trial: optuna.Trial,
        model: str,
        fields: Collection[str],
        fixed: Mapping[str, Any] | None = None,
        overrides: Mapping[str, Dimension] | None = None,
    ) -> None:
        self.trial = trial
        self.model = model
        self.fields = frozenset(fields)
        self.overrides = dict(overrides or {})
        self.values: dict[str, Any] = dict(fixed or {})

    def _check(self, name: str) -> None:
        if name not in self.fields:
            raise ValueError(
                f"model {self.model!r} suggests {name!r}, which is not a field of its params model "
                f"(fields: {', '.join(sorted(self.fields))})"
            )

    def _decided(self, name: str) -> bool:
        self._check(name)
        if name in self.values:
            return True
        if name in self.overrides:
            self.values[name] = self._from_override(name, self.overrides[name])
            return True
        return False

    def suggest_int(
        self, name: str, low: int, high: int, *, log: bool = False, step: int = 1
    ) -> int:
        """Suggest an integer in ``[low, high]``."""
        if not self._decided(name):
            self.values[name] = self.trial.suggest_int(
                optuna_name(self.model, name), low, high, log=log, step=step
            )
        return self.values[name]

    def suggest_float(
        self, name: str, low: float, high: float, *, log: bool = False, step: float | None = None
    ) -> float:
        """Suggest a float in ``[low, high]``."""
        if not self._decided(name):
            self.values[name] = self.trial.suggest_float(
                optuna_name(self.model, name), low, high, log=log, step=step
            )
        return self.values[name]

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        """Suggest one of ``choices``."""
        if not self._decided(name):
            self.values[name] = self.trial.suggest_categorical(
                optuna_name(self.model, name), list(choices)
            )
        return self.values[name]

    def _from_override(self, name: str, dimension: Dimension) -> Any:
        optuna_param = optuna_name(self.model, name)
        if isinstance(dimension, FixedDimension):
            return dimension.value
        if isinstance(dimension, ChoiceDimension):
            return self.trial.suggest_categorical(optuna_param, list(dimension.choices))
        assert isinstance(dimension, RangeDimension)
        if dimension.integer:
            step = 1 if dimension.step is None else int(dimension.step)
            return self.trial.suggest_int(
                optuna_param, int(dimension.low), int(dimension.high), log=dimension.log, step=step
            )
        return self.trial.suggest_float(
            optuna_param,
            float(dimension.low),
            float(dimension.high),
            log=dimension.log,
            step=dimension.step,
        )

    def finish(self) -> dict[str, Any]:
        """Decide the overridden parameters the model did not suggest; return every value."""
        for name in self.overrides:
            self._decided(name)
        return dict(self.values)


def sample_params(trial: optuna.Trial, model: ResolvedModel, task: Task) -> dict[str, Any]:
    """Suggest ``model``'s parameters on ``trial``; returns the values its factory gets."""
    spec = model.component.spec
    fixed = model.params.model_dump(include=model.params.model_fields_set)
    sampler = TrialParamSampler(
        trial,
        model.name,
        type(model.params).model_fields,
        fixed=fixed,
        overrides=model.search_space,
    )
    search_space = getattr(spec, "search_space", None)
    if search_space is not None:
        search_space(sampler, task)
    return sampler.finish()


def default_params(model: ResolvedModel) -> dict[str, Any]:
    """The Optuna parameters of ``model``'s default configuration, for enqueueing first."""
    values = model.params.model_dump()
    enqueued: dict[str, Any] = {MODEL_PARAM: model.name}
    for name, value in values.items():
        if not (value is None or isinstance(value, bool | int | float | str)):
            continue
        if name in model.search_space and not _within(model.search_space[name], value):
            continue  # the recipe moved the range away from the default: let the sampler pick
        enqueued[optuna_name(model.name, name)] = value
    return enqueued


def _within(dimension: Dimension, value: Any) -> bool:
    if isinstance(dimension, ChoiceDimension):
        return value in dimension.choices
    if isinstance(dimension, RangeDimension):
        return isinstance(value, int | float) and dimension.low <= value <= dimension.high
    return False  # a fixed value is applied as it is, never enqueued
