"""The ensemble as one fitted model: a weighted average of fitted pipelines.

It is what a model package holds when an ensemble wins: it takes the same raw rows as each of
its members (each member keeps its own preprocessing), and answers ``predict`` and, for
classification, ``predict_proba`` with one column per class in ``classes_`` order.

Members refitted on the same rows with the same preprocessing configuration (most members: the
trees share one, the models that need scaled inputs another) have identical fitted
preprocessing steps. The ensemble keeps one copy of each such step list, shared by its members,
and transforms the rows once per copy: preprocessing is most of what a small batch costs (a
ColumnTransformer of a few rows costs more than most models' predictions of them), and one copy
pickles once, so the package is smaller too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
            EnsembleMember(m.trial, m.model, m.weight / total, pipeline)
            for m, pipeline in zip(members, _shared_preprocessing(members), strict=True)
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
        classes = self.classes
        made = self._each(rows, lambda model, data: aligned_proba(model, data, classes))
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
        made = self._each(
            rows, lambda model, data: np.asarray(model.predict(data), dtype=float).reshape(-1)
        )
        return blend(made, [member.weight for member in self.members])

    def _each(self, rows: Any, call: Callable[[Any, Any], np.ndarray]) -> list[np.ndarray]:
        """``call(model, data)`` per member, in order: a scikit-learn pipeline's last step with
        the rows its other steps made (once per shared copy of them), another member whole with
        the rows as given."""
        made, transformed = [], {}
        for member in self.members:
            steps = _steps(member.pipeline)
            if steps is None:
                made.append(call(member.pipeline, rows))
                continue
            key = tuple(id(step) for _, step in steps[:-1])
            if key not in transformed:
                transformed[key] = member.pipeline[:-1].transform(rows)
            made.append(call(steps[-1][1], transformed[key]))
        return made

    def __repr__(self) -> str:
        parts = ", ".join(f"{m.model} (trial {m.trial}) {m.weight:.2f}" for m in self.members)
        return f"EnsembleModel({parts})"


def _steps(pipeline: Any) -> list[tuple[str, Any]] | None:
    """The steps of a scikit-learn pipeline with preprocessing before its model, else None."""
    from sklearn.pipeline import Pipeline

    if isinstance(pipeline, Pipeline) and len(pipeline.steps) > 1:
        return list(pipeline.steps)
    return None


def _shared_preprocessing(members: Sequence[EnsembleMember]) -> list[Any]:
    """Each member's pipeline, with the preprocessing steps (all but the last) of the first
    member whose fitted steps pickle to the same bytes in place of its own (then a new pipeline
    over the shared steps and its own model). A member whose steps cannot be pickled keeps
    them: the package refuses it later with the reason."""
    import hashlib
    import pickle

    from sklearn.pipeline import Pipeline

    first: dict[bytes, list[tuple[str, Any]]] = {}
    pipelines = []
    for member in members:
        steps = _steps(member.pipeline)
        if steps is None:
            pipelines.append(member.pipeline)
            continue
        try:
            key = hashlib.sha256(pickle.dumps(steps[:-1], protocol=5)).digest()
        except (pickle.PicklingError, TypeError, AttributeError):
            pipelines.append(member.pipeline)
            continue
        head = steps[:-1]
        shared = first.setdefault(key, head)
        if shared is head:
            pipelines.append(member.pipeline)
        else:
            pipelines.append(Pipeline([*shared, steps[-1]]))
    return pipelines


def label_array(labels: Sequence[Any]) -> np.ndarray:
    """Class labels as an array of their own dtype (objects only when their types are mixed):
    scikit-learn's metrics read an object array of numbers as an "unknown" target."""
    import numpy as np

    mixed = len({type(label) for label in labels}) > 1
    return np.asarray(list(labels), dtype=object if mixed else None)
