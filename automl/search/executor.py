"""Executors run trials for the driver; the driver alone talks to the Optuna study.

The interface is small so that the local and the Ray backends are interchangeable:
``start`` (send the data once), ``submit`` a job to a free slot, ``poll`` for events (a fold's
report, or a trial's outcome), ``decide`` on a report (continue or prune), ``cancel`` running
trials, ``close``.

:class:`LocalExecutor` runs trials in worker processes on this machine. A process per slot, fed
the data once, runs one trial at a time; the driver can kill it at the deadline, and a worker
that dies fails only its trial (a new one takes its place).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import pickle
import signal
import threading
import time
import traceback
from abc import ABC, abstractmethod
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from automl.errors import AutomlError, ExecutorError
from automl.records import FailureKind
from automl.search.trial import TrialJob, TrialOutcome, run_trial
from automl.search.workers import WorkerSetup, limit_threads, rebuild

logger = logging.getLogger(__name__)

PRELOAD = [
    "automl.search.executor",
    "numpy",
    "pandas",
    "sklearn.compose",
    "sklearn.impute",
    "sklearn.pipeline",
    "sklearn.preprocessing",
]
"""Modules the fork server imports once for every local worker."""


@dataclass(frozen=True)
class ReportEvent:
    """A trial finished a fold; the driver must answer with :meth:`Executor.decide`."""

    number: int
    step: int
    value: float
    seconds: float
    """Seconds the trial's folds took so far (fit and predict, timed in the worker)."""
    limited: bool = False
    """Whether the trial's fits keep to its job's ``time_limit`` (its remaining folds end
    within what is left of it)."""


@dataclass(frozen=True)
class ResultEvent:
    """A trial ended (complete, pruned or failed)."""

    outcome: TrialOutcome


Event = ReportEvent | ResultEvent


class Executor(ABC):
    """Runs trials; see the module docstring for the protocol."""

    @property
    @abstractmethod
    def slots(self) -> int:
        """How many trials can run at once."""

    @property
    @abstractmethod
    def running(self) -> set[int]:
        """Numbers of the trials running now."""

    @abstractmethod
    def start(self, setup: WorkerSetup) -> None:
        """Prepare the workers with the run's data and plugins."""

    @abstractmethod
    def submit(self, job: TrialJob) -> None:
        """Start a trial in a free slot."""

    @abstractmethod
    def poll(self, timeout: float) -> list[Event]:
        """Wait up to ``timeout`` seconds for events."""

    @abstractmethod
    def decide(self, number: int, prune: bool) -> None:
        """Answer a :class:`ReportEvent`: stop the trial (prune) or let it go on."""

    @abstractmethod
    def cancel(self, numbers: set[int]) -> None:
        """Stop these running trials now; no event will come for them."""

    @abstractmethod
    def close(self) -> None:
        """Stop every worker."""

    def describe(self) -> str:
        """A short description for the progress display."""
        return f"{self.slots} worker{'s' if self.slots != 1 else ''}"


def _worker_main(connection: Connection) -> None:
    """A local worker process: receive the setup, then run trials until told to stop."""
    # Ctrl-C reaches the whole process group; the driver decides what happens to the trials.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    limit_threads()
    try:
        setup: WorkerSetup = pickle.loads(connection.recv_bytes())
        state = rebuild(setup, "a local worker process")
    except (Exception, SystemExit) as exc:
        message = (
            str(exc)
            if isinstance(exc, AutomlError)
            else "".join(traceback.format_exception_only(exc)).strip()
        )
        connection.send(("setup_error", message))
        return
    connection.send(("ready", None))
    while True:
        try:
            message = connection.recv()
        except (EOFError, KeyboardInterrupt):
            return
        if message[0] == "stop":
            return
        job: TrialJob = message[1]

        def report(
            step: int, value: float, seconds: float, limited: bool, number: int = job.number
        ) -> bool:
            connection.send(("report", (number, step, value, seconds, limited)))
            answer = connection.recv()
            return bool(answer[1])

        outcome = run_trial(job, state.data, state.models[job.model], state.metrics, report)
        connection.send(("result", outcome))


@contextlib.contextmanager
def _sigint_ignored() -> Any:
    """Ignore SIGINT while child processes start (they inherit it), in the main thread only."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class _Worker:
    def __init__(self, context: Any, index: int) -> None:
        parent, child = context.Pipe()
        self.connection: Connection = parent
        self.process = context.Process(
            target=_worker_main, args=(child,), name=f"automl-worker-{index}", daemon=True
        )
        self.process.start()
        child.close()
        self.job: TrialJob | None = None
        self.ready = False
        self.retired = False

    def kill(self) -> None:
        self.retired = True
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.connection.close()


class LocalExecutor(Executor):
    """Trials in worker processes on this machine.

    Args:
        workers: Number of worker processes (trials at once).
    """

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self._size = workers
        # A fork server imports the heavy libraries once; each worker then starts in
        # milliseconds, without inheriting the driver's threads (as a plain fork would).
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(PRELOAD)
        self._workers: list[_Worker] = []
        self._payload: bytes | None = None

    @property
    def slots(self) -> int:
        return self._size

    @property
    def running(self) -> set[int]:
        return {w.job.number for w in self._workers if w.job is not None}

    def _spawn(self, index: int) -> _Worker:
        assert self._payload is not None
        worker = _Worker(self._context, index)
        worker.connection.send_bytes(self._payload)
        return worker

    def start(self, setup: WorkerSetup) -> None:
        self._payload = pickle.dumps(setup, protocol=pickle.HIGHEST_PROTOCOL)
        # The fork server (started by the first worker) inherits an ignored SIGINT, so Ctrl-C
        # in the terminal does not print tracebacks from it; the driver stops the workers.
        with _sigint_ignored():
            self._workers = [self._spawn(index) for index in range(self._size)]

    def submit(self, job: TrialJob) -> None:
        for index, candidate in enumerate(self._workers):
            worker = candidate
            if worker.retired:  # killed at a cancel or a crash: start its successor now
                with _sigint_ignored():
                    worker = self._workers[index] = self._spawn(index)
            if worker.job is None:
                worker.job = job
                worker.connection.send(("trial", job))
                return
        raise RuntimeError("no free worker: submit only when len(running) < slots")

    def poll(self, timeout: float) -> list[Event]:
        events: list[Event] = []
        waitables: list[Any] = []
        live = [worker for worker in self._workers if not worker.retired]
        for worker in live:
            waitables += [worker.connection, worker.process.sentinel]
        if not waitables:
            time.sleep(max(0.0, timeout))
            return events
        ready = set(wait(waitables, timeout=max(0.0, timeout)))
        for worker in live:
            if worker.connection in ready or worker.process.sentinel in ready:
                events += self._drain(worker)
        return events

    def _drain(self, worker: _Worker) -> list[Event]:
        events: list[Event] = []
        try:
            while worker.connection.poll():
                kind, body = worker.connection.recv()
                if kind == "ready":
                    worker.ready = True
                elif kind == "setup_error":
                    raise ExecutorError(f"a worker process could not start: {body}")
                elif kind == "report":
                    events.append(ReportEvent(*body))
                elif kind == "result":
                    worker.job = None
                    events.append(ResultEvent(body))
        except (EOFError, OSError):
            pass
        if not worker.process.is_alive():
            code = worker.process.exitcode
            if worker.job is not None:
                reason = f"worker died: the worker process exited with code {code} during the trial"
                logger.warning("Trial %d: %s", worker.job.number, reason)
                outcome = TrialOutcome.failed(worker.job.number, FailureKind.WORKER_DIED, reason)
                events.append(ResultEvent(outcome))
                worker.job = None
            elif not worker.ready:
                raise ExecutorError(f"a worker process exited with code {code} before it was ready")
            worker.kill()
        return events

    def decide(self, number: int, prune: bool) -> None:
        for worker in self._workers:
            if worker.job is not None and worker.job.number == number:
                with contextlib.suppress(OSError):
                    worker.connection.send(("decision", prune))
                return

    def cancel(self, numbers: set[int]) -> None:
        for worker in self._workers:
            if worker.job is not None and worker.job.number in numbers:
                worker.job = None
                worker.kill()

    def close(self) -> None:
        for worker in self._workers:
            if worker.retired:
                continue
            if worker.job is None and worker.process.is_alive():
                with contextlib.suppress(OSError):
                    worker.connection.send(("stop", None))
        deadline = time.monotonic() + 2.0
        for worker in self._workers:
            if not worker.retired:
                worker.process.join(timeout=max(0.0, deadline - time.monotonic()))
                worker.kill()
        self._workers = []
