"""The libraries of the models a run may refit, imported in the background while it searches.

A model's library (PyTorch, XGBoost...) is imported by the first fit in a process. The trials
fit in worker processes; the refits after the search fit in this one, where the first refit of
a network paid for importing PyTorch: 6.0 s for a refit planned at 0.4 s from its trial's fold
fit time, which ended a 60 s run 3 s past its budget. So as soon as a model has the best
trial so far, or a member of the ensemble the search would end with, the modules its plugin
names in :attr:`automl.specs.ModelSpec.imports` are imported here, in a daemon thread, while
the workers search. Only then: with PyTorch imported, this process also takes about 1 s longer
to exit.
"""

from __future__ import annotations

import importlib
import logging
import math
import sys
import threading
from collections.abc import Mapping

from automl.records import TrialRecord, TrialState
from automl.specs import ModelSpec

__all__ = ["Preloader"]

logger = logging.getLogger(__name__)


class Preloader:
    """Imports each model's :attr:`~automl.specs.ModelSpec.imports` once, in the background."""

    def __init__(self, specs: Mapping[str, ModelSpec], maximize: bool) -> None:
        self._specs = specs
        self._sign = 1.0 if maximize else -1.0
        self._best = -math.inf
        self._requested: set[str] = set()
        self.threads: list[threading.Thread] = []

    def observe(self, record: TrialRecord) -> None:
        """A trial ended: if it is the best complete one so far, import its model's modules."""
        if record.state is not TrialState.COMPLETE or record.value is None:
            return
        if self._sign * record.value > self._best:
            self._best = self._sign * record.value
            self.add(record.model)

    def add(self, *models: str) -> None:
        """Start importing the ``models``' modules that no one imported or asked for yet."""
        for model in models:
            spec = self._specs.get(model)
            wanted = () if spec is None else spec.imports
            modules = [m for m in wanted if m not in sys.modules and m not in self._requested]
            if not modules:
                continue
            self._requested.update(modules)
            thread = threading.Thread(
                target=_import_all, args=(modules,), name=f"automl-preload-{model}", daemon=True
            )
            self.threads.append(thread)
            thread.start()


def _import_all(modules: list[str]) -> None:
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as exc:  # the refit that needs it raises the real error, with context
            logger.debug(
                "Could not import %s ahead of the refit: %s: %s", name, type(exc).__name__, exc
            )
        else:
            logger.debug("Imported %s ahead of the refit", name)
