"""Trials as Ray tasks: a local Ray runtime by default, or any cluster by address.

The driver stays the only writer of the Optuna study. The run's data goes into the object store
once (``ray.put``); each trial is a task that takes a reference to it, rebuilds the plugins once
per worker process, and cross-validates (:mod:`automl.search.ray_tasks`). Per-fold reports
travel through a small actor (:func:`~automl.search.ray_tasks.report_channel`): the task asks
it for the pruner's verdict and waits, the driver collects reports and answers. A task whose
worker process or node dies fails its trial (the engine runs it once more); at the deadline,
running tasks are cancelled with ``force=True``. Attaching to a cluster or starting a local
runtime is :mod:`automl.search.ray_connect`.

Ray Tune's ``OptunaSearch`` is deliberately not used: it turns Optuna's pruners off.
"""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from automl.errors import ExecutorError, PluginError
from automl.records import FailureKind
from automl.search.executor import Event, Executor, ReportEvent, ResultEvent
from automl.search.ray_connect import DEFAULT_OBJECT_STORE, check_reachable, connect, require_ray
from automl.search.ray_tasks import CHANNEL_CONCURRENCY, report_channel, trial_task
from automl.search.trial import TrialJob, TrialOutcome
from automl.search.workers import WorkerSetup

if TYPE_CHECKING:
    from ray import ObjectRef
    from ray._private.worker import RemoteFunction3  # Ray's typed task handle has no public name

    # The trial task as Ray runs it (its last argument is the report channel actor).
    TrialTask = RemoteFunction3[TrialOutcome, str, list[ObjectRef[WorkerSetup]], TrialJob, Any]

__all__ = ["RayExecutor"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Submitted:
    job: TrialJob
    ref: ObjectRef[TrialOutcome]


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
        self._steps: dict[int, int] = {}
        self._channel: Any = None  # the report channel actor (Ray's actor handles are untyped)
        self._setup_ref: ObjectRef[WorkerSetup] | None = None
        self._run_id = uuid.uuid4().hex
        self._task: TrialTask | None = None
        self._has_gpus = False
        self._cluster_cpus = 0.0
        self._pending_take: ObjectRef[list[tuple[int, int, float]]] | None = None
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
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

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
        # The channel lives beside the driver: a node that leaves the cluster takes only its
        # own trials with it.
        here = NodeAffinitySchedulingStrategy(
            node_id=ray.get_runtime_context().get_node_id(), soft=False
        )
        self._channel = (
            report_channel()
            .options(num_cpus=0, max_concurrency=CHANNEL_CONCURRENCY, scheduling_strategy=here)
            .remote()
        )
        self._task = ray.remote(trial_task)
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
        options = {
            **self._resources(job.model),
            "max_retries": 0,
            "name": f"automl-trial-{job.number}",
        }
        ref = self._task.options(**options).remote(
            self._run_id, [self._setup_ref], job, self._channel
        )
        self._submitted[job.number] = _Submitted(job=job, ref=ref)

    def poll(self, timeout: float) -> list[Event]:
        import ray

        if self._pending_take is None:
            self._pending_take = self._channel.take.remote(max(0.0, timeout))
        pending_take = self._pending_take
        refs = [s.ref for s in self._submitted.values()]
        ready, _ = ray.wait([pending_take, *refs], num_returns=1, timeout=max(0.0, timeout))
        events: list[Event] = []
        if pending_take in set(ready):
            try:
                reports = ray.get(pending_take)
            except ray.exceptions.RayActorError as exc:
                raise ExecutorError(
                    f"lost the driver's report channel on the Ray cluster ({_first_line(exc)}); "
                    "the finished trials are kept: run again with the same --run-dir to resume"
                ) from exc
            for number, step, value in reports:
                self._steps[number] = step
                events.append(ReportEvent(number=number, step=step, value=value))
            self._pending_take = None
        done, _ = ray.wait([*refs], num_returns=len(refs), timeout=0) if refs else ([], [])
        finished = set(done)
        # In submission order, as ray.wait lists the finished references.
        for number, submitted in list(self._submitted.items()):
            if submitted.ref in finished:
                del self._submitted[number]
                events.append(ResultEvent(self._outcome(number, submitted.ref)))
        return events

    def _outcome(self, number: int, ref: ObjectRef[TrialOutcome]) -> TrialOutcome:
        import ray
        from ray import exceptions as ray_errors

        kind = FailureKind.WORKER_DIED
        try:
            return ray.get(ref)
        except (
            ray_errors.WorkerCrashedError,
            ray_errors.NodeDiedError,
            ray_errors.ObjectLostError,
        ) as exc:
            reason = f"worker died: {type(exc).__name__} ({_first_line(exc)})"
        except ray_errors.TaskCancelledError:
            kind, reason = FailureKind.INTERRUPTED, "cancelled"
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
        step = self._steps.get(number)
        if step is not None and self._channel is not None:
            self._channel.decide.remote(number, step, prune)

    def cancel(self, numbers: set[int]) -> None:
        import ray

        for number in sorted(numbers):
            submitted = self._submitted.pop(number, None)
            if submitted is None:
                continue
            step = self._steps.get(number)
            if step is not None:  # release a task waiting for a verdict
                self._channel.decide.remote(number, step, True)
            ray.cancel(submitted.ref, force=True)

    def close(self) -> None:
        if self._task is None and not self._owns_runtime:
            return
        import ray

        if self._submitted:
            self.cancel(set(self._submitted))
        if self._channel is not None:
            ray.kill(self._channel)
            self._channel = None
        self._task = None
        if self._owns_runtime:
            ray.shutdown()
            self._owns_runtime = False
            logger.info("Stopped the local Ray runtime")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__
