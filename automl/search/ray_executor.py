"""Trials as Ray tasks: a local Ray runtime by default, or any cluster by address.

The driver stays the only writer of the Optuna study. The run's data goes into the object store
once (``ray.put``); each trial is a task that takes a reference to it, rebuilds the plugins once
per worker process, and cross-validates. Per-fold reports travel through a small actor
(:class:`_Channel`): the task asks it for the pruner's verdict and waits, the driver collects
reports and answers. A task whose worker process or node dies fails its trial (the engine runs
it once more); at the deadline, running tasks are cancelled with ``force=True``.

Ray Tune's ``OptunaSearch`` is deliberately not used: it turns Optuna's pruners off.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from automl.errors import ExecutorError, PluginError
from automl.records import FailureKind
from automl.addresses import parse_address
from automl.search.executor import Event, Executor, ReportEvent, ResultEvent
from automl.search.trial import TrialJob, TrialOutcome, run_trial
from automl.search.workers import WorkerSetup, WorkerState, limit_threads, rebuild

if TYPE_CHECKING:
    import ray

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0
"""Seconds to wait for the cluster's address to accept a connection before giving up."""
DEFAULT_OBJECT_STORE = 512 * 1024**2
"""Object store of a local Ray runtime started by automl (Ray's default is 30 % of RAM)."""

_WORKER_CACHE: dict[str, WorkerState] = {}
"""Per Ray worker process: the rebuilt plugins and data of the runs it served."""


@dataclass(frozen=True)
class _Submitted:
    job: TrialJob
    ref: Any


def check_reachable(address: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """Fail within ``timeout`` seconds when nothing listens at a cluster address.

    ``ray.init`` itself keeps retrying an unreachable address for minutes.

    Raises:
        ExecutorError: naming the address and what to check.
    """
    if address in ("auto", "local"):
        return
    try:
        host, port = parse_address(address)
    except ValueError as exc:
        raise ExecutorError(f"execution.address: {exc}") from None
    if not host:
        raise ExecutorError(
            f"execution.address {address!r} is not an address (write host:port or ray://host:port)"
        )
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return
    except OSError as exc:
        raise ExecutorError(
            f"cannot reach the Ray cluster at {address} ({host}:{port}): {exc.strerror or exc}. "
            "Check that the head node runs (`ray status` on it) and that this machine may connect "
            "to it; or leave out the address to start a local Ray runtime."
        ) from exc


def _channel_class() -> Any:
    import asyncio

    import ray

    @ray.remote(num_cpus=0, max_concurrency=1000)
    class _Channel:
        """Carries per-fold reports from trial tasks to the driver, and verdicts back."""

        def __init__(self) -> None:
            self.reports: list[tuple[int, int, float]] = []
            self.verdicts: dict[tuple[int, int], bool] = {}
            self.waiting: dict[tuple[int, int], asyncio.Event] = {}
            self.arrived = asyncio.Event()

        async def report(self, number: int, step: int, value: float) -> bool:
            key = (number, step)
            event = self.waiting[key] = asyncio.Event()
            self.reports.append((number, step, value))
            self.arrived.set()
            await event.wait()
            return self.verdicts.pop(key)

        async def take(self, timeout: float) -> list[tuple[int, int, float]]:
            if not self.reports:
                # No report within the timeout is a normal outcome: the driver polls again.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.arrived.wait(), timeout)
            taken, self.reports = self.reports, []
            self.arrived.clear()
            return taken

        async def decide(self, number: int, step: int, prune: bool) -> None:
            key = (number, step)
            self.verdicts[key] = prune
            event = self.waiting.pop(key, None)
            if event is not None:
                event.set()

    return _Channel


def _node() -> str:
    import ray

    return f"node {ray.util.get_node_ip_address()} ({socket.gethostname()})"


def _trial_task(run_id: str, setup_box: list[Any], job: TrialJob, channel: Any) -> TrialOutcome:
    """A trial inside a Ray worker process."""
    import ray

    limit_threads()
    state = _WORKER_CACHE.get(run_id)
    if state is None:
        setup: WorkerSetup = ray.get(setup_box[0])
        state = rebuild(setup, _node())
        _WORKER_CACHE.clear()  # one run's data at a time per worker process
        _WORKER_CACHE[run_id] = state

    def report(step: int, value: float) -> bool:
        return bool(ray.get(channel.report.remote(job.number, step, value)))

    return run_trial(job, state.data, state.models[job.model], state.metrics, report)


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
        self._channel: Any = None
        self._setup_ref: Any = None
        self._run_id = uuid.uuid4().hex
        self._task: Any = None
        self._has_gpus = False
        self._cluster_cpus = 0.0
        self._pending_take: Any = None
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
        ray = _import_ray()
        if not ray.is_initialized():
            self._init(ray)
        resources = ray.cluster_resources()
        self._cluster_cpus = float(resources.get("CPU", 0))
        self._has_gpus = float(resources.get("GPU", 0)) > 0
        if self._cluster_cpus < 1:
            raise ExecutorError("the Ray cluster has no CPU to run trials on")
        self._slots = self.workers or max(1, int(self._cluster_cpus))
        self._setup_ref = ray.put(setup)
        # The channel lives beside the driver: a node that leaves the cluster takes only its
        # own trials with it.
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        here = NodeAffinitySchedulingStrategy(
            node_id=ray.get_runtime_context().get_node_id(), soft=False
        )
        self._channel = _channel_class().options(scheduling_strategy=here).remote()
        self._task = ray.remote(_trial_task)
        logger.info("Trials run on %s", self.describe())

    def _init(self, ray: Any) -> None:
        # Ray installs its own SIGTERM handler, which kills the driver at once; keep ours, so
        # that SIGTERM stops the run cleanly (running trials recorded, the study consistent).
        handlers = _signal_handlers()
        try:
            self._connect(ray)
        finally:
            _restore_signal_handlers(handlers)

    def _connect(self, ray: Any) -> None:
        options: dict[str, Any] = {
            "logging_level": logging.WARNING,
            "log_to_driver": False,
            "configure_logging": True,
        }
        try:
            if self.address:
                ray.init(address=self.address, **options)
            else:
                cpus = self.workers or os.cpu_count() or 1
                ray.init(
                    address="local",  # a new runtime, even if another cluster runs on this machine
                    num_cpus=cpus,
                    include_dashboard=False,
                    object_store_memory=self.object_store_memory,
                    **options,
                )
                self._owns_runtime = True
        except ExecutorError:
            raise
        except Exception as exc:
            where = self.address or "a local Ray runtime"
            raise ExecutorError(
                f"cannot start or attach to {where}: {type(exc).__name__}: {exc}"
            ) from exc

    def _resources(self, model: str) -> dict[str, float]:
        cpus = min(self.model_cpus.get(model, 1.0), max(self._cluster_cpus, 1.0))
        resources = {"num_cpus": cpus}
        if self._has_gpus and self.model_gpus.get(model, 0):
            resources["num_gpus"] = self.model_gpus[model]
        return resources

    def submit(self, job: TrialJob) -> None:
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
        ray = _import_ray()
        if self._pending_take is None:
            self._pending_take = self._channel.take.remote(max(0.0, timeout))
        refs = [s.ref for s in self._submitted.values()]
        ready, _ = ray.wait([self._pending_take, *refs], num_returns=1, timeout=max(0.0, timeout))
        events: list[Event] = []
        ready_set = set(ready)
        if self._pending_take in ready_set:
            try:
                reports = ray.get(self._pending_take)
            except ray.exceptions.RayActorError as exc:
                raise ExecutorError(
                    f"lost the driver's report channel on the Ray cluster ({_first_line(exc)}); "
                    "the finished trials are kept: run again with the same --run-dir to resume"
                ) from exc
            for number, step, value in reports:
                self._steps[number] = step
                events.append(ReportEvent(number=number, step=step, value=value))
            self._pending_take = None
        done, _ = ray.wait(refs, num_returns=len(refs), timeout=0) if refs else ([], [])
        by_ref = {s.ref: number for number, s in self._submitted.items()}
        for ref in done:
            number = by_ref[ref]
            self._submitted.pop(number)
            events.append(ResultEvent(self._outcome(ray, number, ref)))
        return events

    def _outcome(self, ray: Any, number: int, ref: Any) -> TrialOutcome:
        from ray import exceptions as ray_errors

        kind = FailureKind.WORKER_DIED
        try:
            return ray.get(ref)  # type: ignore[no-any-return]
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
        ray = _import_ray()
        for number in sorted(numbers):
            submitted = self._submitted.pop(number, None)
            if submitted is None:
                continue
            step = self._steps.get(number)
            if step is not None:
                self._channel.decide.remote(
                    number, step, True
                )  # release a task waiting for a verdict
            ray.cancel(submitted.ref, force=True)

    def close(self) -> None:
        if self._task is None and not self._owns_runtime:
            return
        ray = _import_ray()
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


def _signal_handlers() -> dict[int, Any]:
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return {}
    return {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}


def _restore_signal_handlers(handlers: dict[int, Any]) -> None:
    import signal

    for number, handler in handlers.items():
        if handler is not None:
            signal.signal(number, handler)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def _import_ray() -> ray:  # type: ignore[name-defined]
    try:
        import ray
    except ImportError:  # pragma: no cover - ray is a dependency
        raise ExecutorError(
            "execution.backend: ray needs the 'ray' package: pip install 'ray[default]'"
        ) from None
    return ray
