"""Ensembles of the best trials: greedy selection over out-of-fold predictions
(:mod:`automl.ensemble.selection`) and the fitted ensemble a model package holds
(:mod:`automl.ensemble.model`)."""

from automl.ensemble.fast import checked_fast_scorer
from automl.ensemble.model import EnsembleMember, EnsembleModel
from automl.ensemble.scoring import metric_scorer, selection_scorer
from automl.ensemble.selection import Candidate, Selection, blend, distinct, greedy_selection

__all__ = [
    "Candidate",
    "EnsembleMember",
    "EnsembleModel",
    "Selection",
    "blend",
    "checked_fast_scorer",
    "distinct",
    "greedy_selection",
    "metric_scorer",
    "selection_scorer",
]
