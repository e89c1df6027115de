"""Greedy ensemble selection (Caruana et al., 2004) over out-of-fold predictions.

Forward selection with replacement: each step adds the candidate whose addition gives the best
score of the averaged predictions; a candidate may be chosen many times, and its weight is the
share of steps that chose it. The trajectory's best prefix is kept, not its last step, so a
selection never ends worse than its best moment. Ties go to a candidate already chosen (fewer
members), then to a seeded random choice, so a selection is reproducible.

The scoring function is any metric: it receives the blended predictions (probabilities with
one column per class, renormalised per row, or values for regression) and returns a score.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Candidate", "Selection", "blend", "distinct", "greedy_selection"]

TIE = 1e-12
"""Relative difference below which two scores are a tie."""


@dataclass(frozen=True)
class Candidate:
    """A model that may join the ensemble.

    Attributes:
        trial: The trial number.
        predictions: Out-of-fold predictions: ``(rows, classes)`` probabilities or ``(rows,)``
            values.
        latency_ms: Milliseconds per row to predict (``None`` when unknown).
    """

    trial: int
    predictions: np.ndarray
    latency_ms: float | None = None


@dataclass(frozen=True)
class Selection:
    """The result of a greedy selection.

    Attributes:
        weights: Weight per trial (the members only, summing to 1), largest first.
        steps: Steps of the kept prefix (the sum of the members' counts).
        score: The score of the kept prefix.
        trajectory: The score after each step taken, the kept prefix among them.
    """

    weights: dict[int, float]
    steps: int
    score: float
    trajectory: tuple[float, ...]

    @property
    def members(self) -> list[int]:
        """The member trials, largest weight first."""
        return list(self.weights)


def blend(predictions: Sequence[np.ndarray], weights: Sequence[float]) -> np.ndarray:
    """The weighted average of ``predictions``; probability rows are renormalised to sum to 1."""
    import numpy as np

    total = sum(weights)
    mixed = sum(w * np.asarray(p, dtype=float) for p, w in zip(predictions, weights, strict=True))
    return _renormalised(np.asarray(mixed, dtype=float) / total)


def _renormalised(values: np.ndarray) -> np.ndarray:
    import numpy as np

    if values.ndim != 2:
        return values
    sums = values.sum(axis=1, keepdims=True)
    result: np.ndarray = np.divide(values, sums, out=np.zeros_like(values), where=sums > 0)
    return result


def distinct(candidates: Sequence[Candidate]) -> list[Candidate]:
    """``candidates`` without those whose predictions equal an earlier one's (the same
    configuration twice adds nothing but weight)."""
    import numpy as np

    kept: list[Candidate] = []
    for candidate in candidates:
        if not any(
            k.predictions.shape == candidate.predictions.shape
            and np.array_equal(k.predictions, candidate.predictions, equal_nan=True)
            for k in kept
        ):
            kept.append(candidate)
    return kept


def greedy_selection(
    candidates: Sequence[Candidate],
    score: Callable[[np.ndarray], float],
    *,
    maximize: bool,
    size: int = 25,
    seed: int = 0,
    max_members: int | None = None,
    max_latency_ms: float | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Selection | None:
    """Choose weights for ``candidates`` by greedy forward selection with replacement.

    Args:
        candidates: The models to choose from (usually the best distinct trials, best first).
        score: The metric of blended predictions.
        maximize: Whether a larger score is better.
        size: Steps to take.
        seed: Seeds the choice among tied candidates.
        max_members: Most distinct members.
        max_latency_ms: Most milliseconds per row, summed over the distinct members (a
            candidate of unknown latency is then never chosen).
        should_stop: Called before each step; ``True`` ends the selection there (out of time).

    Returns:
        The selection, or ``None`` when no candidate could be chosen (none given, none within
        the latency cap, or every score was not a number).
    """
    import numpy as np

    if size < 1:
        raise ValueError(f"size must be at least 1, got {size}")
    rng = np.random.default_rng(seed)
    sign = 1.0 if maximize else -1.0
    counts = [0] * len(candidates)
    total: np.ndarray | None = None
    latency = 0.0
    trajectory: list[float] = []
    prefixes: list[list[int]] = []
    for step in range(size):
        if step and should_stop is not None and should_stop():
            break
        members = sum(1 for count in counts if count)
        scored: list[tuple[float, int]] = []
        for index, candidate in enumerate(candidates):
            if not counts[index] and not _admissible(
                candidate, members, latency, max_members, max_latency_ms
            ):
                continue
            added = np.asarray(candidate.predictions, dtype=float)
            mixed = added if total is None else total + added
            value = float(score(_renormalised(mixed / (step + 1))))
            if math.isfinite(value):
                scored.append((value, index))
        if not scored:
            break
        best = max(sign * value for value, _ in scored)
        tied = [
            index for value, index in scored if sign * value >= best - TIE * max(1.0, abs(best))
        ]
        chosen_already = [index for index in tied if counts[index]]
        pool = chosen_already or tied
        pick = pool[0] if len(pool) == 1 else pool[int(rng.integers(len(pool)))]
        if not counts[pick]:
            latency += candidates[pick].latency_ms or 0.0
        counts[pick] += 1
        added = np.asarray(candidates[pick].predictions, dtype=float)
        total = added.copy() if total is None else total + added
        trajectory.append(next(value for value, index in scored if index == pick))
        prefixes.append(list(counts))
    if not trajectory:
        return None
    kept = max(range(len(trajectory)), key=lambda i: (sign * trajectory[i], -i))
    kept_counts = prefixes[kept]
    steps = kept + 1
    weights = {
        candidates[index].trial: count / steps
        for index, count in sorted(enumerate(kept_counts), key=lambda item: (-item[1], item[0]))
        if count
    }
    return Selection(
        weights=weights, steps=steps, score=trajectory[kept], trajectory=tuple(trajectory)
    )


def _admissible(
    candidate: Candidate,
    members: int,
    latency: float,
    max_members: int | None,
    max_latency_ms: float | None,
) -> bool:
    """Whether a candidate not yet chosen may join an ensemble of ``members`` members."""
    if max_members is not None and members >= max_members:
        return False
    if max_latency_ms is not None:
        if candidate.latency_ms is None:
            return False
        return latency + candidate.latency_ms <= max_latency_ms
    return True
