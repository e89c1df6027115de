"""The named choices of a recipe (``task``, ``search.sampler``, ``execution.backend`` ...).

Their values come from the one list of each (:mod:`automl.options`, :mod:`automl.tasks`), and
they validate like a ``Literal`` of those values: the same "Input should be 'a' or 'b'" message
(with a "Did you mean" hint, see :mod:`automl.recipe.issues`), a JSON Schema ``enum``, and plain
strings in the validated recipe and its dumps.
"""

from __future__ import annotations

import enum
from typing import Annotated, Any, Literal

from pydantic import GetPydanticSchema, WithJsonSchema

from automl.options import Backend, Pruner, Sampler, names
from automl.tasks import Task

__all__ = ["TASK_CHOICES", "BackendName", "PrunerName", "SamplerName", "TaskChoice", "one_of"]


def one_of(choices: type[enum.StrEnum]) -> GetPydanticSchema:
    """Pydantic metadata validating a ``str`` field like a ``Literal`` of the enum's values.

    Type checkers see the field as ``str``, which it holds: the values stay plain strings.

    Args:
        choices: The enum listing the accepted values (declaration order is the shown order).
    """
    literal: Any = Literal[tuple(names(choices))]
    return GetPydanticSchema(lambda _source, handler: handler(literal))


BackendName = Annotated[str, one_of(Backend)]
"""``execution.backend``: a :class:`~automl.options.Backend` value."""

SamplerName = Annotated[str, one_of(Sampler)]
"""``search.sampler``: a :class:`~automl.options.Sampler` value."""

PrunerName = Annotated[str, one_of(Pruner)]
"""``search.pruner``: a :class:`~automl.options.Pruner` value."""

TASK_CHOICES: tuple[str, ...] = ("auto", *(task.value for task in Task))
"""What ``task`` accepts: ``auto`` (inferred from the target) or a :class:`~automl.tasks.Task`."""

TaskChoice = Annotated[
    Literal["auto"] | Task, WithJsonSchema({"type": "string", "enum": list(TASK_CHOICES)})
]
"""``task``: ``auto`` or a :class:`~automl.tasks.Task` (one error message for both, see
:class:`~automl.recipe.schema.Recipe`)."""
