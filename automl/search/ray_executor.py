"""Trials as Ray tasks: a local Ray runtime by default, or any cluster by address.

The driver stays the only writer of the Optuna study. The run's data goes into the object store
once (``ray.put``); each trial is a streaming-generator task that takes a reference to it,
rebuilds the plugins once per worker process, and cross-validates
(:mod:`automl.search.ray_tasks`). After each fold but the last it yields a report straight to
the driver and goes on without waiting. The driver hands the reports over one at a time per
trial, each answered before the trial's next item is read, so the pruner sees what it sees on
the local backend. A prune verdict cancels the task (``ray.cancel``, which interrupts the fold
it has started) and the trial is recorded PRUNED from the report it was pruned on: the same
folds, scores and intermediate values as a local trial stopped there. A task whose worker
process or node dies fails its trial (the engine runs it once more); at the deadline, running
tasks are cancelled with ``force=True``. Attaching to a cluster or starting a local runtime is
:mod:`automl.search.ray_connect`.

Ray Tune's ``OptunaSearch`` is deliberately not used: it turns Optuna's pruners off.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from automl.errors import ExecutorError, PluginError
from automl.records import FailureKind, TrialState
from automl.search.executor import Event, Executor, ReportEvent, ResultEvent
from automl.search.ray_connect import DEFAULT_OBJECT_STORE, check_reachable, connect, require_ray
from automl.search.ray_tasks import remote_trial
from automl.search.trial import FoldReport, TrialJob, TrialOutcome
from automl.search.workers import WorkerSetup

if TYPE_CHECKING:
    from ray import ObjectRef, ObjectRefGenerator

__all__ = ["RayExecutor"]

logger = logging.getLogger(__name__)


@dataclass
class _Submitted:
    job: TrialJob
    stream: ObjectRefGenerator[FoldReport | TrialOutcome]
    report: FoldReport | None = None  # the last report, until the driver answers it


class RayExecutor(Executor):
    """Trials as Ray tasks.

    Args:
        address: The cluster to attach to (``None``: ``RAY_ADDRESS``, else a new local runtime).
        workers: Trials at once (``None``: the cluster's CPUs).
        model_cpus: CPUs each model's trial asks for, by model name.
        model_gpus: GPUs each model's trial can use, by model name (used when the cluster has GPUs).
        object_store_memory: Object store size of a local runtime started here.
    """

    def __init__(
        self,
        *,
        address: str | None = None,
        workers: int | None = None,
        model_cpus: dict[str, float] | None = None,
        model_gpus: dict[str, float] | None = None,
        object_store_memory: int = DEFAULT_OBJECT_STORE,
    ) -> None:
        self.address = address or os.environ.get("RAY_ADDRESS") or None
        self.workers = workers
        self.model_cpus = dict(model_cpus or {})
        self.model_gpus = dict(model_gpus or {})
        self.object_store_memory = object_store_memory
        self._owns_runtime = False
        self._slots = workers or 1
        self._submitted: dict[int, _Submitted] = {}
        self._pruned: list[TrialOutcome] = []  # pruned trials, reported at the next poll
        self._setup_ref: ObjectRef[WorkerSetup] | None = None
        self._run_id = uuid.uuid4().hex
        self._task: Any = None  # Ray's typed task handle cannot express a streaming generator
        self._has_gpus = False
        self._cluster_cpus = 0.0
        if self.address:
            check_reachable(self.address)

    @property
    def slots(self) -> int:
        return self._slots

    @property
    def running(self) -> set[int]:
        return set(self._submitted)

    def describe(self) -> str:
        where = f"Ray cluster {self.address}" if self.address else "a local Ray runtime"
        return f"{self._slots} slots on {where}"

    def start(self, setup: WorkerSetup) -> None:
        require_ray()
        import ray

        if not ray.is_initialized():
            cpus = self.workers or os.cpu_count() or 1
            self._owns_runtime = connect(
                self.address, cpus=cpus, object_store_memory=self.object_store_memory
            )
        resources = ray.cluster_resources()  # type: ignore[no-untyped-call]  # unannotated in Ray
        self._cluster_cpus = float(resources.get("CPU", 0))
        self._has_gpus = float(resources.get("GPU", 0)) > 0
        if self._cluster_cpus < 1:
            raise ExecutorError("the Ray cluster has no CPU to run trials on")
        self._slots = self.workers or max(1, int(self._cluster_cpus))
        self._setup_ref = ray.put(setup)
        self._task = remote_trial()
        logger.info("Trials run on %s", self.describe())

    def _resources(self, model: str) -> dict[str, float]:
        cpus = min(self.model_cpus.get(model, 1.0), max(self._cluster_cpus, 1.0))
        resources = {"num_cpus": cpus}
        if self._has_gpus and self.model_gpus.get(model, 0):
            resources["num_gpus"] = self.model_gpus[model]
        return resources

    def submit(self, job: TrialJob) -> None:
        if self._task is None or self._setup_ref is None:
            raise ExecutorError("the Ray executor must be started before trials are submitted")
        options = {**self._resources(job.model), "name": f"automl-trial-{job.number}"}
        stream = self._task.options(**options).remote(self._run_id, [self._setup_ref], job)
        self._submitted[job.number] = _Submitted(job=job, stream=stream)

    def poll(self, timeout: float) -> list[Event]:
        import ray

        events: list[Event] = [ResultEvent(outcome) for outcome in self._pruned]
        self._pruned = []
        # A trial whose report awaits the driver's answer is not read further: its next item
        # could be the outcome of folds that a prune verdict would not have let run.
        readable = {n: s for n, s in self._submitted.items() if s.report is None}
        streams = [s.stream for s in readable.values()]
        if not streams:
            if not events:
                time.sleep(max(0.0, timeout))
            return events
        ready, _ = ray.wait(streams, num_returns=1, timeout=0 if events else max(0.0, timeout))
        if ready:
            ready, _ = ray.wait(streams, num_returns=len(streams), timeout=0)
        finished = set(ready)
        # In submission order; one item per trial and poll (a report waits for its answer).
        for number, submitted in readable.items():
            if submitted.stream in finished:
                event = self._next_event(number, submitted)
                if isinstance(event, ReportEvent):
                    events.append(event)
                else:
                    del self._submitted[number]
                    events.append(ResultEvent(event))
        return events

    def _next_event(self, number: int, submitted: _Submitted) -> ReportEvent | TrialOutcome:
        """The trial's next item: a fold's report, or its outcome (a failure when it broke)."""
        import ray

        def read() -> FoldReport | TrialOutcome:
            item: FoldReport | TrialOutcome = ray.get(next(submitted.stream))
            return item

        try:
            item = self._fetch(number, read)
        except StopIteration:
            reason = "worker died: the trial's task ended without an outcome"
            logger.warning("Trial %d: %s", number, reason)
            return TrialOutcome.failed(number, FailureKind.WORKER_DIED, reason)
        if isinstance(item, FoldReport):
            submitted.report = item
            partial = item.partial
            return ReportEvent(
                number, item.step, item.value, partial.seconds, limited=partial.time_limited
            )
        return item

    def _fetch(
        self, number: int, read: Callable[[], FoldReport | TrialOutcome]
    ) -> FoldReport | TrialOutcome:
        from ray import exceptions as ray_errors

        kind = FailureKind.WORKER_DIED
        try:
            return read()
        except (
            ray_errors.WorkerCrashedError,
            ray_errors.NodeDiedError,
            ray_errors.ObjectLostError,
        ) as exc:
            reason = f"worker died: {type(exc).__name__} ({_first_line(exc)})"
        except ray_errors.TaskCancelledError:
            # The driver reads no trial it cancelled: something else cancelled this one.
            reason = "worker died: its task was cancelled outside the search"
        except ray_errors.RayTaskError as exc:
            cause = exc.cause if isinstance(getattr(exc, "cause", None), BaseException) else None
            if isinstance(cause, PluginError):
                raise ExecutorError(str(cause)) from None
            kind = FailureKind.ERROR
            reason = (
                f"{type(cause).__name__ if cause else 'RayTaskError'}: {_first_line(cause or exc)}"
            )
        except ray_errors.RayError as exc:
            reason = f"worker died: {type(exc).__name__} ({_first_line(exc)})"
        logger.warning("Trial %d: %s", number, reason)
        return TrialOutcome.failed(number, kind, reason)

    def decide(self, number: int, prune: bool) -> None:
        submitted = self._submitted.get(number)
        if submitted is None:
            return
        report, submitted.report = submitted.report, None
        if not prune:
            return
        import ray

        # The task went on after its report: stop it, and keep the trial as it was then.
        del self._submitted[number]
        ray.cancel(submitted.stream)
        self._pruned.append(report.partial if report else TrialOutcome(number, TrialState.PRUNED))

    def cancel(self, numbers: set[int]) -> None:
        import ray

        self._pruned = [o for o in self._pruned if o.number not in numbers]
        for number in sorted(numbers):
            submitted = self._submitted.pop(number, None)
            if submitted is not None:
                ray.cancel(submitted.stream, force=True)

    def close(self) -> None:
        if self._task is None and not self._owns_runtime:
            return
        import ray

        if self._submitted:
            self.cancel(set(self._submitted))
        self._pruned = []
        self._task = None
        if self._owns_runtime:
            ray.shutdown()
            self._owns_runtime = False
            logger.info("Stopped the local Ray runtime")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__
