"""The models a run may refit, prepared in the background while it searches.

A model's library (PyTorch, XGBoost...) is imported by the first fit in a process, and sets
itself up on first use. The trials fit in worker processes; the refits after the search fit in
this one, where the first refit of a network paid for both: 6.0 s for a refit planned at 0.4 s
from its trial's fold fit time, which ended a 60 s run 3 s past its budget (PyTorch's import
took 2.2 s here, and the first training step after it 1.6 s more than later ones). So as soon
as a model has the best trial so far, or a member of the ensemble the search would end with,
the modules its plugin ``requires`` are imported here and its ``warmup`` is called, in a daemon
thread, while the workers search. Only then: with PyTorch imported, this process also takes
about 1 s longer to exit.
"""

from __future__ import annotations

import importlib
import logging
import math
import sys
import threading
from collections.abc import Callable, Mapping

from automl.records import TrialRecord, TrialState
from automl.specs import ModelSpec

__all__ = ["Preloader"]

logger = logging.getLogger(__name__)


class Preloader:
    """Prepares each model once, in the background: its plugin's
    :attr:`~automl.specs.ComponentSpec.requires` imported, its
    :attr:`~automl.specs.ModelSpec.warmup` called."""

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
        """Start preparing the ``models`` that no one prepared yet: import the modules they
        require that are not imported, then call their warm-up."""
        for model in models:
            spec = self._specs.get(model)
            if spec is None or model in self._requested:
                continue
            self._requested.add(model)
            modules = [m for m in spec.requires if m not in sys.modules]
            if not modules and spec.warmup is None:
                continue
            thread = threading.Thread(
                target=_prepare,
                args=(model, modules, spec.warmup),
                name=f"automl-preload-{model}",
                daemon=True,
            )
            self.threads.append(thread)
            thread.start()

    def wait(self) -> None:
        """Wait for the preparations still running: a warm-up draws from PyTorch's global
        random generator, which a refit after the search seeds and draws from too."""
        for thread in self.threads:
            thread.join()


def _prepare(model: str, modules: list[str], warmup: Callable[[], object] | None) -> None:
    try:
        for name in modules:
            importlib.import_module(name)
        if warmup is not None:
            warmup()
    except Exception as exc:  # the refit that needs it raises the real error, with context
        logger.debug(
            "Could not prepare %s ahead of its refit: %s: %s", model, type(exc).__name__, exc
        )
    else:
        logger.debug("Prepared %s ahead of its refit (%s)", model, ", ".join(modules) or "warm-up")
