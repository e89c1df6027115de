"""Predictions kept in the run directory: the best trials' out-of-fold predictions and the
final model's holdout predictions, as ``.npy`` arrays (compact, memory-mappable, no pickle).

For classification, predictions are probabilities with one column per class (``classes``
order) and targets are stored as class indices; for regression both are float values. Row
``i`` of every out-of-fold array is training row ``i`` (``train_rows[i]`` in the prepared
table), so ensembles and reports line them up with the target directly.

Only the best ``keep`` complete trials are kept, and the best ``PER_MODEL`` of each model
besides (so that an ensemble has diverse candidates when one model fills the best ``keep``;
the store deletes the files of trials that
fall out); a machine crash may lose the newest files without harm, so they are written
atomically but not synced (the study itself is synced).
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from automl.atomic import write_bytes_atomic, write_text_atomic
from automl.errors import UsageError
from automl.rundir.layout import RunLayout

if TYPE_CHECKING:
    import numpy as np

__all__ = ["PER_MODEL", "PREDICTIONS_VERSION", "PredictionStore", "RunPredictions"]

PREDICTIONS_VERSION = 1

PER_MODEL = 3
"""Trials of each model kept besides the best ``keep`` (when ``keep`` is not 0)."""


def _save(path: Any, array: np.ndarray, *, durable: bool) -> None:
    import numpy as np

    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, buffer.getvalue(), durable=durable)


def _plain(values: Sequence[Any]) -> list[Any]:
    """Class labels as JSON values (numpy scalars become Python ones)."""
    return [value.item() if hasattr(value, "item") else value for value in values]


class PredictionStore:
    """Writes a run's predictions, keeping the ``keep`` best trials' out-of-fold arrays.

    Args:
        layout: The run directory.
        task: ``binary``, ``multiclass`` or ``regression``.
        classes: The class labels (classification) in column order, else ``None``.
        maximize: Whether a larger primary score is better.
        keep: How many trials' out-of-fold predictions to keep (0 keeps none).
    """

    def __init__(
        self,
        layout: RunLayout,
        *,
        task: str,
        classes: Sequence[Any] | None,
        maximize: bool,
        keep: int,
    ) -> None:
        self.layout = layout
        self.task = task
        self.classes = _plain(classes) if classes is not None else None
        self.maximize = maximize
        self.keep = keep
        self.scores: dict[int, float] = {}
        self.models: dict[int, str] = {}
        self.holdout_trial: int | None = None
        if layout.predictions_meta.is_file():
            try:
                meta = json.loads(layout.predictions_meta.read_text(encoding="utf-8"))
                scores = {int(k): float(v) for k, v in meta.get("scores", {}).items()}
                models = {int(k): str(v) for k, v in (meta.get("models") or {}).items()}
            except (OSError, ValueError, TypeError, AttributeError):
                scores, models = {}, {}  # a damaged index of a cache: start it again
            self.scores, self.models = scores, models

    def _trim(self) -> None:
        """Hold at most ``keep`` trials whose files exist, and no file the index does not list.

        A resumed run may keep fewer trials than the run before it, and a crash may have left a
        file the index never listed.
        """
        self.scores = {n: v for n, v in self.scores.items() if self.layout.oof(n).is_file()}
        for dropped in self._dropped():
            del self.scores[dropped]
        self.models = {n: m for n, m in self.models.items() if n in self.scores}
        folder = self.layout.oof(0).parent
        if folder.is_dir():
            listed = {self.layout.oof(number).name for number in self.scores}
            for path in folder.iterdir():
                if path.name not in listed:
                    path.unlink(missing_ok=True)

    def _encode(self, target: Any) -> np.ndarray:
        import numpy as np

        if self.classes is None:
            return np.asarray(target, dtype=float)
        index = {label: code for code, label in enumerate(self.classes)}
        return np.asarray([index[_plain([value])[0]] for value in target], dtype=np.int64)

    def start(self, target: Any, train_rows: Any, holdout_rows: Any) -> None:
        """Write the training target and the row positions (once per run; again on resume,
        once the run owns the directory: then what an earlier run kept is trimmed to ``keep``)."""
        import numpy as np

        self._trim()
        _save(self.layout.array("target"), self._encode(target), durable=True)
        _save(self.layout.array("train_rows"), np.asarray(train_rows, np.int64), durable=True)
        _save(self.layout.array("holdout_rows"), np.asarray(holdout_rows, np.int64), durable=True)
        self._write_meta()

    def _write_meta(self) -> None:
        meta = {
            "version": PREDICTIONS_VERSION,
            "task": self.task,
            "classes": self.classes,
            "maximize": self.maximize,
            "keep": self.keep,
            "scores": {str(number): value for number, value in self.scores.items()},
            "models": {str(number): model for number, model in self.models.items()},
            "holdout_trial": self.holdout_trial,
        }
        write_text_atomic(
            self.layout.predictions_meta, json.dumps(meta, indent=1) + "\n", durable=False
        )

    def _ranked(self) -> list[int]:
        sign = -1.0 if self.maximize else 1.0
        return sorted(self.scores, key=lambda number: (sign * self.scores[number], number))

    def _dropped(self) -> list[int]:
        """Trials to let go: neither among the best ``keep`` nor the best ``PER_MODEL`` of
        their model."""
        ranked = self._ranked()
        kept = set(ranked[: self.keep])
        seen: dict[str, int] = {}
        for number in ranked:
            model = self.models.get(number)
            if model is not None and seen.get(model, 0) < PER_MODEL:
                seen[model] = seen.get(model, 0) + 1
                kept.add(number)
        return [number for number in ranked if number not in kept]

    def add(
        self, trial: int, value: float | None, oof: np.ndarray, model: str | None = None
    ) -> bool:
        """Keep ``trial``'s out-of-fold predictions if it is among the best (overall, or of
        its ``model``); returns whether it was kept."""
        if self.keep <= 0 or value is None:
            return False
        self.scores[trial] = float(value)
        if model is not None:
            self.models[trial] = model
        dropped = self._dropped()
        if trial in dropped:
            del self.scores[trial]
            self.models.pop(trial, None)
            return False
        _save(self.layout.oof(trial), oof, durable=False)
        for number in dropped:
            del self.scores[number]
            self.models.pop(number, None)
        # The index first, then the files it no longer lists: it never names a missing file.
        self._write_meta()
        for number in dropped:
            self.layout.oof(number).unlink(missing_ok=True)
        return True

    def set_holdout(self, trial: int | None, target: Any, predictions: np.ndarray) -> None:
        """Keep the final model's holdout predictions (and the holdout target); ``trial`` is
        ``None`` when the final model is the ensemble."""
        _save(self.layout.array("holdout_target"), self._encode(target), durable=True)
        _save(self.layout.array("holdout"), predictions, durable=True)
        self.holdout_trial = trial
        self._write_meta()


@dataclass(frozen=True)
class RunPredictions:
    """The predictions a run kept, aligned with its target (read-only).

    Attributes:
        task: ``binary``, ``multiclass`` or ``regression``.
        classes: Class labels in column order (classification), else ``None``.
        trials: Trials whose out-of-fold predictions are kept, best first.
        scores: Their cross-validated primary scores.
        holdout_trial: The trial whose refitted model made the holdout predictions (``None``
            when the ensemble made them, or without a holdout).
    """

    layout: RunLayout
    task: str
    classes: list[Any] | None
    trials: list[int]
    scores: dict[int, float]
    holdout_trial: int | None

    @classmethod
    def read(cls, layout: RunLayout) -> RunPredictions | None:
        """The predictions of a run directory, or ``None`` if it kept none."""
        if not layout.predictions_meta.is_file():
            return None
        try:
            meta = json.loads(layout.predictions_meta.read_text(encoding="utf-8"))
            scores = {int(k): float(v) for k, v in meta.get("scores", {}).items()}
            sign = -1.0 if meta.get("maximize", True) else 1.0
            trials = sorted(scores, key=lambda number: (sign * scores[number], number))
            return cls(
                layout=layout,
                task=str(meta["task"]),
                classes=meta.get("classes"),
                trials=trials,
                scores=scores,
                holdout_trial=meta.get("holdout_trial"),
            )
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            raise UsageError(
                f"{layout.predictions_meta} is not a predictions index written by automl: {exc}"
            ) from exc

    def _load(self, path: Any) -> np.ndarray:
        import numpy as np

        array: np.ndarray = np.load(path, allow_pickle=False)
        return array

    def _decode(self, codes: np.ndarray) -> np.ndarray:
        import numpy as np

        if self.classes is None:
            return codes
        labels: np.ndarray = np.asarray(self.classes, dtype=object)[codes]
        return labels

    @property
    def target(self) -> np.ndarray:
        """The training target, row ``i`` for training row ``i`` (labels, or values)."""
        return self._decode(self.target_codes)

    @property
    def target_codes(self) -> np.ndarray:
        """The training target as class indices (classification) or values (regression)."""
        return self._load(self.layout.array("target"))

    @property
    def train_rows(self) -> np.ndarray:
        """Positions of the training rows in the prepared data."""
        return self._load(self.layout.array("train_rows"))

    @property
    def holdout_rows(self) -> np.ndarray:
        """Positions of the holdout rows in the prepared data."""
        return self._load(self.layout.array("holdout_rows"))

    def oof(self, trial: int) -> np.ndarray:
        """``trial``'s out-of-fold predictions: ``(rows, classes)`` probabilities or ``(rows,)``
        values.

        Raises:
            KeyError: the run did not keep this trial's predictions.
        """
        if trial not in self.scores:
            raise KeyError(
                f"trial {trial} has no kept out-of-fold predictions "
                f"(kept: {', '.join(map(str, self.trials)) or 'none'})"
            )
        return self._load(self.layout.oof(trial))

    @property
    def holdout(self) -> np.ndarray | None:
        """The final model's holdout predictions, if the run had a holdout."""
        path = self.layout.array("holdout")
        return self._load(path) if path.is_file() else None

    @property
    def holdout_target(self) -> np.ndarray | None:
        """The holdout target (labels, or values), aligned with :attr:`holdout`."""
        path = self.layout.array("holdout_target")
        return self._decode(self._load(path)) if path.is_file() else None
