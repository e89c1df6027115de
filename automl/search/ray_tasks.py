"""What runs on the Ray cluster: the trial task and the report channel between tasks and driver.

Every Ray worker process keeps the plugins and data it rebuilt for a run (:data:`WORKER_CACHE`),
so only its first trial of a run pays for them. Ray is imported only inside these functions.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any

from automl.search.trial import TrialJob, TrialOutcome, run_trial
from automl.search.workers import WorkerSetup, WorkerState, limit_threads, rebuild

if TYPE_CHECKING:
    from ray import ObjectRef
    from ray.actor import ActorClass

__all__ = ["CHANNEL_CONCURRENCY", "WORKER_CACHE", "node_name", "report_channel", "trial_task"]

CHANNEL_CONCURRENCY = 1000
"""Calls the report channel serves at once: one waiting report per running trial, and more."""

WORKER_CACHE: dict[str, WorkerState] = {}
"""Per Ray worker process: the rebuilt plugins and data of the runs it served."""


def report_channel() -> ActorClass[Any]:
    """The actor class carrying per-fold reports from trial tasks to the driver, verdicts back.

    A task reports a fold's score and waits for the pruner's verdict; the driver takes the
    reports in batches and decides each. The class is defined on call, so Ray ships it by value
    instead of importing it by name where the actor runs.
    """
    import asyncio
    import contextlib

    import ray

    class ReportChannel:
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

    # Actor options (num_cpus, max_concurrency, placement) are set with `.options` when started:
    # Ray's typed `ray.remote(...)` decorator does not accept max_concurrency.
    return ray.remote(ReportChannel)


def node_name() -> str:
    """This Ray node's address and host name, as error messages name it."""
    import ray

    # Ray leaves get_node_ip_address unannotated.
    address = ray.util.get_node_ip_address()  # type: ignore[no-untyped-call]
    return f"node {address} ({socket.gethostname()})"


def trial_task(
    run_id: str, setup_box: list[ObjectRef[WorkerSetup]], job: TrialJob, channel: Any
) -> TrialOutcome:
    """A trial inside a Ray worker process.

    Args:
        run_id: The run's id: a worker process keeps the setup of one run at a time.
        setup_box: The run's :class:`WorkerSetup` in the object store, boxed in a list so that
            Ray does not fetch it for every trial (only a worker's first trial of a run does).
        job: The trial to run.
        channel: The run's report channel actor (Ray's actor handles are untyped).
    """
    import ray

    limit_threads()
    state = WORKER_CACHE.get(run_id)
    if state is None:
        setup = ray.get(setup_box[0])
        state = rebuild(setup, node_name())
        WORKER_CACHE.clear()  # one run's data at a time per worker process
        WORKER_CACHE[run_id] = state

    def report(step: int, value: float) -> bool:
        return bool(ray.get(channel.report.remote(job.number, step, value)))

    return run_trial(job, state.data, state.models[job.model], state.metrics, report)
