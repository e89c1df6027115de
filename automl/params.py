"""A component's parameters: the pydantic base :class:`Params` and the :class:`ParamSampler`.

A component declares its options as a :class:`Params` subclass; automl validates a recipe's
values with it. A model's ``search_space`` function suggests values through a
:class:`ParamSampler` (automl backs it with Optuna).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

__all__ = ["NoParams", "ParamSampler", "Params"]


class Params(BaseModel):
    """Base class for a component's parameter model.

    Unknown keys are errors (a typo in a recipe is never ignored) and validated instances are
    immutable. The field name ``type`` is reserved: in a recipe it names the component.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)


class NoParams(Params):
    """The parameter model of a component that takes no parameters."""


class ParamSampler(Protocol):
    """What a model's ``search_space`` function receives: it suggests the model's parameters.

    Names are the fields of the model's params model; automl namespaces them for Optuna
    (``random_forest.max_depth``), applies the recipe's fixed ``params`` and ``search_space``
    overrides, and passes the chosen values to the model's factory. Conditional parameters are
    plain Python: ``if sampler.suggest_categorical("kernel", ["rbf", "linear"]) == "rbf": ...``.
    """

    def suggest_int(
        self, name: str, low: int, high: int, *, log: bool = False, step: int = 1
    ) -> int:
        """Suggest an integer in ``[low, high]``."""
        ...

    def suggest_float(
        self, name: str, low: float, high: float, *, log: bool = False, step: float | None = None
    ) -> float:
        """Suggest a float in ``[low, high]`` (on a log scale when ``log``)."""
        ...

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        """Suggest one of ``choices`` (``None``, bool, int, float or str values)."""
        ...
