"""Time-aware choice of the model family for the next trial, when time is the only budget.

Optuna's sampler picks the model like any other parameter, by how good its past trials were,
blind to what they cost: on large data a slow family (an SVM, a k-NN, a network) can eat the
budget in a handful of trials while fast, strong families get few. Under a time budget the
search asks this scheduler instead, and leaves the model's parameters to the sampler:

- a family whose trials would not finish in the search time left is not chosen;
- each other family is chosen with probability proportional to its promise per second:
  ``exp(-GAP_WEIGHT * gap) / seconds``, where ``gap`` (0 for the best family, 1 for the worst)
  places its best score among the families' best scores and ``seconds`` is its measured mean
  trial time (the plugin's relative ``cost`` before any trial of it ran);
- no family starves: each keeps at least ``FLOOR`` of the largest probability;
- a family whose every trial failed (at least ``FAILURES`` of them) is left alone;
- with ``search.warmup_rows``, each family's first trial (its default configuration) fits on a
  share of the rows: cheap first measures of every family's score and pace. The first time a
  family is then chosen, its default configuration runs again on every row.

The choice is random, seeded by the search seed and the trial number. With a trial budget
(``search.n_trials``) the scheduler is not used, so such searches repeat exactly.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from automl.records import TrialRecord, TrialState

if TYPE_CHECKING:
    import optuna

    from automl.search.budget import Budget
    from automl.search.trial import TrialOutcome

__all__ = [
    "FAILURES",
    "FLOOR",
    "GAP_WEIGHT",
    "ModelScheduler",
    "observe",
    "observe_study",
    "schedule_next",
]

GAP_WEIGHT = 3.0
"""How strongly a family's distance from the best family lowers its share."""

FLOOR = 0.05
"""The smallest share of a family, relative to the largest: none starves."""

FAILURES = 2
"""Failed trials, with none complete, after which a family is left alone."""


@dataclass
class _Family:
    prior_cost: float
    seconds: list[float] = field(default_factory=list)
    best: float | None = None
    failed: int = 0

    @property
    def mean_seconds(self) -> float | None:
        return sum(self.seconds) / len(self.seconds) if self.seconds else None


class ModelScheduler:
    """Chooses the model of the next trial (see the module docstring).

    Args:
        costs: Each model's relative training cost (its plugin's ``cost``), by name.
        maximize: Whether a larger score is better.
        seed: Seeds the random choice.
        defaults: Each model's default configuration (Optuna parameters), when the first
            trials fitted on a share of the rows: the first trial chosen of each model on every
            row runs it.
    """

    def __init__(
        self,
        costs: Mapping[str, float],
        *,
        maximize: bool,
        seed: int,
        defaults: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.families = {name: _Family(prior_cost=max(cost, 1e-3)) for name, cost in costs.items()}
        self.maximize = maximize
        self.seed = seed
        self.defaults: dict[str, Mapping[str, Any]] = dict(defaults or {})

    def next_params(self, model: str) -> dict[str, Any]:
        """What to enqueue for a trial of ``model``: its default configuration the first time
        (when its first trial fitted on a share of the rows), else the model alone."""
        from automl.search.space import MODEL_PARAM

        return dict(self.defaults.pop(model, {MODEL_PARAM: model}))

    def observe(
        self, model: str, value: float | None, seconds: float | None, *, failed: bool = False
    ) -> None:
        """A trial of ``model`` finished: its score (``None`` unless complete), its seconds of
        fitting and predicting (for a pruned trial, the folds it ran), and whether it failed."""
        family = self.families.get(model)
        if family is None:
            return
        if failed:
            family.failed += 1
        if seconds is not None and seconds > 0:
            family.seconds.append(seconds)
        if value is not None and math.isfinite(value):
            better = family.best is None or (value > family.best) == self.maximize
            family.best = value if better else family.best

    def weights(self, time_left: float | None) -> dict[str, float]:
        """Each family's chance of being chosen (not normalised); 0 for families left out."""
        usable = {
            name: family
            for name, family in self.families.items()
            if not (family.failed >= FAILURES and family.best is None)
        }
        seconds = self._seconds(usable)
        if time_left is not None:
            fits = {name: f for name, f in usable.items() if seconds[name] <= time_left}
            usable = fits or usable  # none fits: leave the choice to the scores
        bests = [f.best for f in usable.values() if f.best is not None]
        top, bottom = (max(bests), min(bests)) if bests else (0.0, 0.0)
        if not self.maximize:
            top, bottom = bottom, top
        spread = abs(top - bottom)
        raw: dict[str, float] = {}
        for name, family in usable.items():
            if family.best is None:
                gap = 1.0  # nothing complete yet: like the worst family
            else:
                gap = abs(top - family.best) / spread if spread > 0 else 0.0
            raw[name] = math.exp(-GAP_WEIGHT * gap) / seconds[name]
        if not raw:
            return {}
        floor = FLOOR * max(raw.values())
        return {name: max(value, floor) for name, value in raw.items()}

    def choose(self, number: int, time_left: float | None) -> str | None:
        """The model of trial ``number``, or ``None`` when every family is left out."""
        weights = self.weights(time_left)
        if not weights:
            return None
        names = sorted(weights)
        rng = random.Random(self.seed * 1_000_003 + number)
        return rng.choices(names, weights=[weights[name] for name in names])[0]

    def _seconds(self, families: Mapping[str, _Family]) -> dict[str, float]:
        """Each family's expected seconds per trial: measured, or scaled from its prior cost by
        the measured families' seconds per unit of cost."""
        measured = {
            name: f.mean_seconds for name, f in families.items() if f.mean_seconds is not None
        }
        per_cost = (
            sum(measured[name] / families[name].prior_cost for name in measured) / len(measured)
            if measured
            else 1.0
        )
        return {
            name: max(measured.get(name) or family.prior_cost * per_cost, 1e-3)
            for name, family in families.items()
        }


def observe(
    scheduler: ModelScheduler | None,
    model: str,
    outcome: TrialOutcome,
    folds: int,
    record: TrialRecord | None = None,
    rows_fraction: float | None = None,
) -> None:
    """Tell ``scheduler`` (if any) about a finished trial of ``model``: its score and whether it
    failed (from ``record``; without one the trial was stopped for time: only its pace counts),
    and the seconds a whole trial takes (a pruned or stopped trial's folds scaled to ``folds``;
    a first trial on ``rows_fraction`` of the rows scaled to all of them)."""
    if scheduler is None:
        return
    done = len(outcome.fit_times)
    seconds = _whole_trial(outcome.seconds / done, folds, rows_fraction) if done else None
    state = None if record is None else record.state
    value = record.value if record is not None and state is TrialState.COMPLETE else None
    scheduler.observe(model, value, seconds, failed=state is TrialState.FAILED)


def _whole_trial(per_fold: float, folds: int, rows_fraction: float | None) -> float:
    """Seconds of a whole trial on every row, from its seconds per fold on ``rows_fraction``
    of each fold's rows (``None``: all of them)."""
    return per_fold * folds / (rows_fraction or 1.0)


def schedule_next(
    study: optuna.Study, scheduler: ModelScheduler, budget: Budget, fits: Sequence[float]
) -> None:
    """Fix the model of the trial the study gives next (the sampler still chooses its
    parameters), unless trials are queued already (each model's defaults, retries)."""
    from optuna.trial import TrialState as OptunaState

    trials = study.get_trials(deepcopy=False)
    if any(trial.state == OptunaState.WAITING for trial in trials):
        return
    model = scheduler.choose(len(trials), budget.search_left(fits))
    if model is not None:
        study.enqueue_trial(scheduler.next_params(model), user_attrs={"scheduled": True})


def observe_study(scheduler: ModelScheduler, study: optuna.Study, folds: int) -> None:
    """Tell ``scheduler`` about the trials a resumed study finished before (their scores, their
    mean fold fit time times ``folds``, and model failures — not trials cut short)."""
    from optuna.trial import TrialState as OptunaState

    from automl.search.trials import INTERRUPTED, ROWS_FRACTION

    for trial in study.get_trials(deepcopy=False):
        attrs = trial.user_attrs
        model = attrs.get("model")
        if not isinstance(model, str) or not trial.state.is_finished():
            continue
        fit = attrs.get("fit_time")
        share = attrs.get(ROWS_FRACTION)
        seconds = _whole_trial(fit, folds, share) if isinstance(fit, int | float) else None
        complete = trial.state == OptunaState.COMPLETE
        failed = trial.state == OptunaState.FAIL and not attrs.get(INTERRUPTED)
        if ROWS_FRACTION not in attrs:  # it ran on every row: its defaults need not run again
            scheduler.defaults.pop(model, None)
        scheduler.observe(model, trial.value if complete else None, seconds, failed=failed)
