"""The search space: a categorical model choice, then each model's namespaced sub-space.

A model's ``search_space(sampler, task)`` function suggests its parameters by their plain names;
:class:`TrialParamSampler` namespaces them for Optuna (``random_forest.max_depth``), applies the
recipe's fixed ``params`` and ``search_space`` overrides, and records the chosen values.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from automl.specs import ModelSpec, Task

if TYPE_CHECKING:
    import optuna

__all__ = [
    "MODEL_PARAM",
    "Choice",
    "Dimension",
    "Fixed",
    "Range",
    "SearchModel",
    "TrialParamSampler",
    "default_params",
    "optuna_name",
    "sample_params",
]


@dataclass(frozen=True)
class Fixed:
    """A parameter held at one value."""

    value: Any


@dataclass(frozen=True)
class Choice:
    """A parameter chosen among values."""

    choices: tuple[Any, ...]


@dataclass(frozen=True)
class Range:
    """A numeric parameter in ``[low, high]`` (integers when ``integer``)."""

    low: float
    high: float
    log: bool = False
    step: float | None = None
    integer: bool = False


Dimension = Fixed | Choice | Range
"""A search-space override for one parameter."""


@dataclass(frozen=True)
class SearchModel:
    """A model as the search sees it.

    Attributes:
        name: The model's name (the namespace of its Optuna parameters).
        spec: Its plugin record.
        defaults: Every parameter's default value (its default configuration).
        fixed: Parameters held at a value (not searched).
        overrides: Dimensions replacing what the model's own search space suggests.
    """

    name: str
    spec: ModelSpec
    defaults: Mapping[str, Any] = field(default_factory=dict)
    fixed: Mapping[str, Any] = field(default_factory=dict)
    overrides: Mapping[str, Dimension] = field(default_factory=dict)

    @property
    def fields(self) -> frozenset[str]:
        """The names the model may suggest (its params model's fields)."""
        return frozenset(self.spec.params.model_fields)


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
        # A value the recipe fixed or overrode is returned as written: the params model checks it.
        value: int = self.values[name]
        return value

    def suggest_float(
        self, name: str, low: float, high: float, *, log: bool = False, step: float | None = None
    ) -> float:
        """Suggest a float in ``[low, high]``."""
        if not self._decided(name):
            self.values[name] = self.trial.suggest_float(
                optuna_name(self.model, name), low, high, log=log, step=step
            )
        value: float = self.values[name]
        return value

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        """Suggest one of ``choices``."""
        if not self._decided(name):
            self.values[name] = self.trial.suggest_categorical(
                optuna_name(self.model, name), list(choices)
            )
        return self.values[name]

    def _from_override(self, name: str, dimension: Dimension) -> Any:
        optuna_param = optuna_name(self.model, name)
        if isinstance(dimension, Fixed):
            return dimension.value
        if isinstance(dimension, Choice):
            return self.trial.suggest_categorical(optuna_param, list(dimension.choices))
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


def sample_params(trial: optuna.Trial, model: SearchModel, task: Task) -> dict[str, Any]:
    """Suggest ``model``'s parameters on ``trial``; returns the values its factory gets."""
    sampler = TrialParamSampler(
        trial, model.name, model.fields, fixed=model.fixed, overrides=model.overrides
    )
    search_space = getattr(model.spec, "search_space", None)
    if search_space is not None:
        search_space(sampler, task)
    return sampler.finish()


def default_params(model: SearchModel) -> dict[str, Any]:
    """The Optuna parameters of ``model``'s default configuration, for enqueueing first."""
    enqueued: dict[str, Any] = {MODEL_PARAM: model.name}
    for name, value in model.defaults.items():
        if not (value is None or isinstance(value, bool | int | float | str)):
            continue
        if name in model.overrides and not _within(model.overrides[name], value):
            continue  # the recipe moved the range away from the default: let the sampler pick
        enqueued[optuna_name(model.name, name)] = value
    return enqueued


def _within(dimension: Dimension, value: Any) -> bool:
    if isinstance(dimension, Choice):
        return value in dimension.choices
    if isinstance(dimension, Range):
        return isinstance(value, int | float) and dimension.low <= value <= dimension.high
    return False  # a fixed value is applied as it is, never enqueued
