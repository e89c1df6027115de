"""The learning tasks: the one :class:`Task` type shared by specs, data, search and packages.

Its own module (an enum and nothing else), so that low layers such as the model package can
name tasks without importing pydantic or the component records.
"""

from __future__ import annotations

import enum

__all__ = ["ALL_TASKS", "CLASSIFICATION_TASKS", "Task"]


class Task(enum.StrEnum):
    """The learning task of a recipe."""

    BINARY = "binary"
    MULTICLASS = "multiclass"
    REGRESSION = "regression"

    @property
    def is_classification(self) -> bool:
        """True for binary and multiclass tasks."""
        return self is not Task.REGRESSION


ALL_TASKS = frozenset(Task)
"""Every task: the default of a component's ``tasks``."""

CLASSIFICATION_TASKS = frozenset({Task.BINARY, Task.MULTICLASS})
"""The classification tasks, for components that need class labels (or probabilities)."""
