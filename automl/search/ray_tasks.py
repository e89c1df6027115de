"""What runs on the Ray cluster: the trial task, which streams its fold reports to the driver.

A trial is a streaming-generator task (``num_returns="streaming"``): it yields a
:class:`~automl.search.trial.FoldReport` after each fold but the last (when the search prunes),
then its :class:`~automl.search.trial.TrialOutcome`. Reports go straight to the driver, which owns
the task; the task does not wait for a verdict. A trial the pruner stops is cancelled by the
driver, which records it PRUNED from the report it pruned on (see
:mod:`automl.search.ray_executor`).

Every Ray worker process keeps the plugins and data it rebuilt for a run (:data:`WORKER_CACHE`),
so only its first trial of a run pays for them. Ray is imported only inside these functions.
"""

from __future__ import annotations

import functools
import socket
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from automl.search.trial import FoldReport, TrialJob, TrialOutcome, trial_steps
from automl.search.workers import WorkerSetup, WorkerState, limit_threads, rebuild

if TYPE_CHECKING:
    from ray import ObjectRef

__all__ = ["WORKER_CACHE", "node_name", "remote_trial", "trial_stream"]

WORKER_CACHE: dict[str, WorkerState] = {}
"""Per Ray worker process: the rebuilt plugins and data of the runs it served."""


def node_name() -> str:
    """This Ray node's address and host name, as error messages name it."""
    import ray

    # Ray leaves get_node_ip_address unannotated.
    address = ray.util.get_node_ip_address()  # type: ignore[no-untyped-call]
    return f"node {address} ({socket.gethostname()})"


def trial_stream(
    run_id: str, setup_box: list[ObjectRef[WorkerSetup]], job: TrialJob
) -> Iterator[FoldReport | TrialOutcome]:
    """A trial inside a Ray worker process: its fold reports, then its outcome.

    Args:
        run_id: The run's id: a worker process keeps the setup of one run at a time.
        setup_box: The run's :class:`WorkerSetup` in the object store, boxed in a list so that
            Ray does not fetch it for every trial (only a worker's first trial of a run does).
        job: The trial to run.
    """
    import ray

    limit_threads()
    state = WORKER_CACHE.get(run_id)
    if state is None:
        setup = ray.get(setup_box[0])
        state = rebuild(setup, node_name())
        WORKER_CACHE.clear()  # one run's data at a time per worker process
        WORKER_CACHE[run_id] = state
    steps = trial_steps(job, state.data, state.models[job.model], state.metrics)
    try:
        report = next(steps)
        while True:
            yield report
            # Go on at once: a trial the pruner stops is cancelled by the driver.
            report = steps.send(False)
    except StopIteration as done:
        yield done.value


@functools.cache
def remote_trial() -> Any:
    """:func:`trial_stream` as a Ray task, made once per process (Ray exports it per job).

    Returns Ray's remote function (its typed handle cannot express a streaming generator).
    """
    import ray

    return ray.remote(num_returns="streaming", max_retries=0)(trial_stream)
