"""The ensemble as one fitted model: a weighted average of fitted pipelines.

It is what a model package holds when an ensemble wins: it takes the same raw rows as each of
its members (each member keeps its own preprocessing), and answers ``predict`` and, for
classification, ``predict_proba`` with one column per class in ``classes_`` order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

__all__ = ["EnsembleMember", "EnsembleModel", "label_array"]


@dataclass(frozen=True)
class EnsembleMember:
    """A fitted member: the trial it comes from, its model's name, its weight and pipeline."""

    trial: int
    model: str
    weight: float
    pipeline: Any


class EnsembleModel:
    """A weighted average of fitted pipelines (probabilities for classification, values for
    regression).

    Args:
        members: The fitted members; their weights are renormalised to sum to 1.
        classes: The class labels in column order (classification), else ``None``.
    """

    def __init__(self, members: Sequence[EnsembleMember], classes: Sequence[Any] | None) -> None:
        if not members:
            raise ValueError("an ensemble needs at least one member")
        total = sum(member.weight for member in members)
        if not total > 0:
            raise ValueError("the ensemble's weights must sum to more than 0")
        self.members = [
            EnsembleMember(m.trial, m.model, m.weight / total, m.pipeline) for m in members
        ]
        self.classes = list(classes) if classes is not None else None

    @property
    def weights(self) -> dict[int, float]:
        """Weight per member trial."""
        return {member.trial: member.weight for member in self.members}

    @property
    def classes_(self) -> np.ndarray:
        """The class labels, as a scikit-learn classifier has them."""
        import numpy as np

        if self.classes is None:
            raise AttributeError("a regression ensemble has no classes_")
        first = getattr(self.members[0].pipeline, "classes_", None)
        if first is not None and list(first) == self.classes:
            return np.asarray(first)  # the members' own labels, dtype included
        return label_array(self.classes)

    def predict_proba(self, rows: Any) -> np.ndarray:
        """The weighted average of the members' probabilities, one column per class."""
        from automl.ensemble.selection import blend
        from automl.evaluation import aligned_proba

        if self.classes is None:
            raise AttributeError("predict_proba is for classification; this ensemble regresses")
        made = [aligned_proba(member.pipeline, rows, self.classes) for member in self.members]
        return blend(made, [member.weight for member in self.members])

    def predict(self, rows: Any) -> np.ndarray:
        """Labels (the most probable class) or values (the weighted average)."""
        import numpy as np

        from automl.ensemble.selection import blend

        if self.classes is not None:
            proba = self.predict_proba(rows)
            labels: np.ndarray = self.classes_[np.argmax(proba, axis=1)]
            return labels
        # One value per row, also from a member that predicts a (rows, 1) column.
        made = [np.asarray(m.pipeline.predict(rows), dtype=float).reshape(-1) for m in self.members]
        return blend(made, [member.weight for member in self.members])

    def __repr__(self) -> str:
        parts = ", ".join(f"{m.model} (trial {m.trial}) {m.weight:.2f}" for m in self.members)
        return f"EnsembleModel({parts})"


def label_array(labels: Sequence[Any]) -> np.ndarray:
    """Class labels as an array of their own dtype (objects only when their types are mixed):
    scikit-learn's metrics read an object array of numbers as an "unknown" target."""
    import numpy as np

    mixed = len({type(label) for label in labels}) > 1
    return np.asarray(list(labels), dtype=object if mixed else None)
