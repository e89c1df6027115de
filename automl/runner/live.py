"""The ensemble the search would end with, selected again as trials complete, so that the
search keeps the time its members' refits need.

Planned from the best trial of each model alone, the reserve missed a slow member the selection
liked: on house_16H (120 s) a network weighing 0.29 in an ensemble 1.5 % better cross-validated
than without it needed a 12 s refit, 14 s were left for seven members, and the refit dropped
it. With the members known while the search runs, :class:`~automl.search.LikelyFinals` plans
their refits instead (:meth:`~automl.search.Budget.reserve`).

The selection is the ensemble phase's (:mod:`automl.ensemble`) over the same candidates, held in
memory while their predictions take at most :data:`LIVE_BYTES`; it runs again at most every
:data:`EVERY_SHARE` of the time budget (and :data:`EVERY_SECONDS` at least), when a trial joined
the candidates since the last time.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from automl.ensemble import Candidate
    from automl.recipe import ResolvedRecipe
    from automl.records import TrialRecord
    from automl.runner.prepare import Prepared
    from automl.search import Budget, LikelyFinals

__all__ = [
    "EVERY_SECONDS",
    "EVERY_SHARE",
    "LATE_SHARE",
    "LIVE_BYTES",
    "LiveSelection",
    "live_selection",
]

logger = logging.getLogger(__name__)

LIVE_BYTES = 256 * 2**20
"""Most bytes of out-of-fold predictions held for the selection during the search (more: the
reserve is planned from the best trial of each model)."""
EVERY_SHARE, EVERY_SECONDS = 0.02, 2.0
"""The selection runs again at most every this share of the time budget, and these seconds."""
LATE_SHARE = 0.01
"""Share of the time budget kept, once the members are known, for a change of them by the last
trials (the selection after the search sees up to :data:`EVERY_SHARE` of the budget's trials
more than the last one during it). On kc1 at 300 s the members followed were logistic
regressions, the selection after the search added extra trees (a 1.2 s refit), the 3.1 s left
could not hold it, and the ensemble fell apart: the packaged logistic regression scored a test
AUC of 0.794, the ensemble 0.837."""


@dataclass
class _Kept:
    value: float
    model: str
    fit_time: float
    candidate: Candidate


class LiveSelection:
    """Keeps the candidates' out-of-fold predictions and sets ``finals.members`` to the fold
    fit times of the members the selection chooses (``None`` while it chooses fewer than two);
    while they are known, the budget's share for unknown members (:attr:`Budget.members
    <automl.search.Budget.members>`) shrinks to :data:`LATE_SHARE` of the time budget.

    Args:
        resolved: The recipe (its ``ensemble`` section: candidates, size, caps; the seed).
        prepared: The prepared data (the training target, the metric).
        budget: The run's budget (its clock and time budget).
        finals: What the search's reserve is planned from.
        folds: The cross-validation folds the trials are scored on (training and validation
            positions in the training rows): the selection scores fold by fold, as they are.
    """

    def __init__(
        self,
        resolved: ResolvedRecipe,
        prepared: Prepared,
        budget: Budget,
        finals: LikelyFinals,
        folds: Sequence[tuple[np.ndarray, np.ndarray]],
    ) -> None:
        self.spec = resolved.recipe.ensemble
        self.seed = resolved.recipe.search.seed
        self.prepared = prepared
        self.budget = budget
        self.finals = finals
        self.share = budget.members  # kept for members unknown yet
        self.late = min(self.share, LATE_SHARE * (budget.time_budget or 0.0))  # once known
        self.maximize = prepared.metric.direction == "maximize"
        self.truth = prepared.table.target[prepared.split.train_rows]
        self.valid = [valid for _, valid in folds]
        self.every = max(EVERY_SECONDS, EVERY_SHARE * (budget.time_budget or 0.0))
        self.kept: dict[int, _Kept] = {}
        self.models: tuple[str, ...] = ()
        """The models of the members selected last (none while fewer than two are)."""
        self.enabled = True
        self.changed = False
        self.selected_at = -math.inf

    def add(self, record: TrialRecord, oof: np.ndarray) -> None:
        """Take a complete trial's out-of-fold predictions; select again when it is time."""
        import numpy as np

        from automl.ensemble import Candidate
        from automl.rundir import PER_MODEL

        if not self.enabled or record.value is None or not math.isfinite(record.value):
            return
        if not np.isfinite(oof).all():
            return  # a trial cut short has no prediction for some rows: never a candidate
        held = self.spec.candidates + PER_MODEL * len(self.prepared.models)
        if oof.nbytes * held > LIVE_BYTES:
            self.enabled = False
            logger.debug("Ensemble members not followed during the search: too many rows")
            return
        latency = record.predict_time_per_1000  # seconds per 1,000 rows = ms per row
        candidate = Candidate(trial=record.number, predictions=oof, latency_ms=latency)
        fit = record.fit_time or 0.0
        self.kept[record.number] = _Kept(record.value, record.model, fit, candidate)
        self._trim()
        self.changed = self.changed or record.number in self.kept
        if self.changed and self.budget.clock() - self.selected_at >= self.every:
            self.select()

    def _ranked(self) -> list[int]:
        sign = -1.0 if self.maximize else 1.0
        return sorted(self.kept, key=lambda number: (sign * self.kept[number].value, number))

    def _trim(self) -> None:
        """Hold the ensemble phase's candidates: the best ``ensemble.candidates`` trials and the
        best ``PER_MODEL`` of each model (:func:`~automl.runner.ensemble.diverse`)."""
        from automl.runner.ensemble import diverse

        models = {number: kept.model for number, kept in self.kept.items()}
        ranked = [self.kept[number].candidate for number in self._ranked()]
        held = diverse(ranked, models, self.spec.candidates)
        self.kept = {candidate.trial: self.kept[candidate.trial] for candidate in held}

    def select(self) -> None:
        """Select the ensemble of the candidates held now and note its members' fit times."""
        from automl.ensemble import distinct, greedy_selection, selection_scorer
        from automl.runner.ensemble import diverse

        ranked = [self.kept[number].candidate for number in self._ranked()]
        models = {number: kept.model for number, kept in self.kept.items()}
        candidates = diverse(distinct(ranked), models, self.spec.candidates)
        if len(candidates) < 2:
            return  # nothing to select yet: the next candidate selects at once
        self.changed, self.selected_at = False, self.budget.clock()
        table = self.prepared.table
        selection = greedy_selection(
            candidates,
            selection_scorer(
                self.prepared.metric,
                self.truth,
                table.task,
                table.classes,
                candidates,
                self.valid,
            ),
            maximize=self.maximize,
            size=self.spec.size,
            seed=self.seed,
            max_members=self.spec.max_members,
            max_latency_ms=self.spec.max_latency_ms,
        )
        if selection is None or len(selection.weights) < 2:
            self.finals.members = None  # a single model: planned per model
            self.budget.members = self.share
            self.models = ()
            return
        self.finals.members = tuple(self.kept[number].fit_time for number in selection.weights)
        self.models = tuple(dict.fromkeys(self.kept[n].model for n in selection.weights))
        self.budget.members = self.late
        logger.debug(
            "Likely ensemble members: trials %s (fold fits %s s)",
            ", ".join(map(str, selection.weights)),
            ", ".join(f"{fit:.2f}" for fit in self.finals.members),
        )


def live_selection(
    resolved: ResolvedRecipe,
    prepared: Prepared,
    budget: Budget,
    finals: LikelyFinals,
    folds: Sequence[tuple[np.ndarray, np.ndarray]],
) -> LiveSelection | None:
    """A live selection for a run that will build an ensemble under a time budget (else
    ``None``: without a deadline, the reserve does not matter)."""
    from automl.runner.ensemble import may_ensemble

    if budget.time_budget is None or not may_ensemble(resolved):
        return None
    return LiveSelection(resolved, prepared, budget, finals, folds)
