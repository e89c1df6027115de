"""The Optuna study of a run: storage, sampler, pruner, creation and resumption.

The study lives in an append-only journal file in the run directory (or in a database when
``search.storage`` names one), so a run killed at any point resumes with every finished trial.
Only the driver process writes to it.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from automl.errors import ExecutorError, RecipeError, RecipeIssue
from automl.options import Pruner, Sampler
from automl.records import FailureKind, TrialFailure
from automl.search.trials import INTERRUPTED, ROWS_FRACTION

if TYPE_CHECKING:
    import optuna

    from automl.specs import Direction

__all__ = [
    "DRIVER",
    "STUDY_NAME",
    "driver_id",
    "enqueue_defaults",
    "make_pruner",
    "make_sampler",
    "make_storage",
    "open_study",
    "recover_unfinished",
]

logger = logging.getLogger(__name__)

STUDY_NAME = "automl"


def make_sampler(name: str, seed: int) -> optuna.samplers.BaseSampler:
    """The Optuna sampler named in the recipe (an :class:`automl.options.Sampler`), seeded."""
    import optuna

    if name == Sampler.TPE:
        from automl.search.startup import ModelStartupSampler

        # Each model's first trials at random: TPE on a model's few trials collapses on them.
        return ModelStartupSampler(optuna.samplers.TPESampler(seed=seed), seed)
    if name == Sampler.RANDOM:
        return optuna.samplers.RandomSampler(seed=seed)
    if name == Sampler.CMAES:
        try:
            import cmaes  # noqa: F401  (Optuna's CMA-ES sampler needs it)
        except ImportError:
            raise ExecutorError(
                "search.sampler: cmaes needs the 'cmaes' package: pip install cmaes"
            ) from None
        return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    if name == Sampler.GP:
        return optuna.samplers.GPSampler(seed=seed)
    raise ValueError(f"unknown sampler {name!r}")


def make_pruner(name: str, folds: int) -> optuna.pruners.BasePruner:
    """The Optuna pruner named in the recipe (an :class:`automl.options.Pruner`); steps are
    cross-validation folds."""
    import optuna

    if name == Pruner.MEDIAN:
        # One fold is a noisy estimate: judge a trial after two folds, once 5 trials completed.
        return optuna.pruners.MedianPruner(
            n_startup_trials=5, n_warmup_steps=1 if folds >= 3 else 0
        )
    if name == Pruner.HYPERBAND:
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=folds)
    if name == Pruner.NONE:
        return optuna.pruners.NopPruner()
    raise ValueError(f"unknown pruner {name!r}")


FINISHED_STATES = frozenset({1, 2, 3})
"""Optuna's TrialState values COMPLETE, PRUNED and FAIL, as journal records store them."""


def _run_journal(path: Path) -> Any:
    """A journal file backend that syncs to disk once per finished trial, not once per record.

    Optuna's file backend calls ``fsync`` for every record (about 20 per trial here), which on
    a busy disk costs more than a quick trial. Here every record is still written and flushed
    at once, so a killed driver (``kill -9``) loses nothing; ``fsync``, which only matters if
    the machine itself crashes, runs when a record finishes a trial. Records of trials still
    running are run again on resume anyway.
    """
    import json
    import os

    from optuna.storages.journal import JournalFileBackend, JournalFileSymlinkLock

    class RunJournal(JournalFileBackend):
        def __init__(self, file_path: str) -> None:
            self.path = file_path
            # A lock left behind by a killed driver is stale after 30 s; appends take milliseconds.
            self.lock = JournalFileSymlinkLock(file_path, grace_period=30)
            super().__init__(file_path, lock_obj=self.lock)

        def append_logs(self, logs: list[dict[str, Any]]) -> None:
            text = "\n".join(json.dumps(log, separators=(",", ":")) for log in logs) + "\n"
            durable = any(log.get("state") in FINISHED_STATES for log in logs)
            acquired = self.lock.acquire()
            try:
                with open(self.path, "ab") as handle:
                    handle.write(text.encode("utf-8"))
                    handle.flush()
                    if durable:
                        os.fsync(handle.fileno())
            finally:
                if acquired:
                    self.lock.release()

    return RunJournal(str(path))


def make_storage(journal: Path, url: str | None) -> Any:
    """The journal file ``journal`` (in the run directory), or the database at ``url``."""
    import optuna

    if url:
        try:
            return optuna.storages.RDBStorage(url)
        except Exception as exc:
            raise ExecutorError(
                f"search.storage: cannot open the study database: {type(exc).__name__}: {exc}"
            ) from exc
    return optuna.storages.JournalStorage(_run_journal(journal))


def open_study(
    *,
    storage: Any,
    direction: Direction,
    sampler: optuna.samplers.BaseSampler,
    pruner: optuna.pruners.BasePruner,
    signature: Mapping[str, Any],
    run_dir: Path,
    study_name: str = STUDY_NAME,
    kept: Collection[str] = (),
) -> tuple[optuna.Study, bool]:
    """Load the run's study, or create it.

    Signature keys in ``kept`` are not compared: a resumed study keeps its own value (read it
    from ``study.user_attrs``), as for folds the recipe leaves to ``auto``.

    Returns:
        The study, and whether it was resumed.

    Raises:
        RecipeError: the stored study was made from a recipe or data that differ in a way
            that makes resuming wrong (models, metric, folds, seed, task or data changed).
    """
    import optuna

    try:
        study = optuna.load_study(
            study_name=study_name, storage=storage, sampler=sampler, pruner=pruner
        )
    except KeyError:
        study = optuna.create_study(
            study_name=study_name,
            storage=storage,
            direction=direction,
            sampler=sampler,
            pruner=pruner,
        )
        for key, value in signature.items():
            study.set_user_attr(key, value)
        return study, False
    stored = study.user_attrs
    issues = [
        RecipeIssue(
            key,
            (
                f"was {stored[key]!r} when the run in {run_dir} started, now {value!r}"
                if key in stored
                else f"is {value!r} now, and the study of the run in {run_dir} does not record "
                "it (an earlier version of automl started that run)"
            )
            + "; resuming would mix incomparable trials: use a new --run-dir, or restore the "
            "recipe and data",
        )
        for key, value in signature.items()
        if key not in kept and not _same(stored.get(key), value)
    ]
    if issues:
        raise RecipeError(f"{run_dir} (resume)", issues)
    return study, True


def _same(stored: Any, value: Any) -> bool:
    """Whether a stored signature value equals the new one (a flag missing from an older
    study's signature is false)."""
    if isinstance(value, bool) and stored is None:
        return value is False
    return bool(stored == value)


DRIVER = "driver"
"""User attribute of a trial: the driver process that runs it (``host:pid``)."""


def driver_id() -> str:
    """This driver process, as recorded on the trials it runs."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _driver_gone(owner: object) -> bool:
    """Whether the driver that owns a RUNNING trial is certainly dead (this host, no such pid)."""
    host, _, pid = str(owner).rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's driver: it may be running still
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return int(pid) != os.getpid() and _is_zombie(int(pid))


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().split(") ", 1)[1].startswith("Z")
    except (OSError, IndexError):
        return False


def recover_unfinished(study: optuna.Study, *, shared: bool = False) -> int:
    """Fail trials a crash left RUNNING and enqueue every unfinished trial's parameters again.

    A trial is unfinished when it was still running at a crash (``kill -9``), at Ctrl-C, or at
    a previous run's deadline. In a study of its own (the journal in a run directory) every
    RUNNING trial is a leftover; in a ``shared`` database only those whose driver process is
    known to be gone are, since another driver may be running the rest. Returns how many trials
    were enqueued again.
    """
    from optuna.trial import Trial, TrialState

    requeued = set(study.user_attrs.get("requeued", []))
    again = 0
    for frozen in study.get_trials(deepcopy=False):
        if frozen.state == TrialState.RUNNING:
            if shared and not _driver_gone(frozen.user_attrs.get(DRIVER)):
                continue
            message = "interrupted: the run stopped while it ran"
            trial = Trial(study, frozen._trial_id)
            trial.set_user_attr(INTERRUPTED, True)
            trial.set_user_attr("error", message)
            trial.set_user_attr("failure", TrialFailure(FailureKind.INTERRUPTED, message).to_dict())
            study.tell(frozen.number, state=TrialState.FAIL)
        elif not (frozen.state == TrialState.FAIL and frozen.user_attrs.get(INTERRUPTED)):
            continue
        if frozen.number in requeued or not frozen.params:
            continue
        attrs: dict[str, Any] = {"retry_of": frozen.number}
        if ROWS_FRACTION in frozen.user_attrs:  # a first, cheap trial stays one
            attrs[ROWS_FRACTION] = frozen.user_attrs[ROWS_FRACTION]
        study.enqueue_trial(dict(frozen.params), user_attrs=attrs, skip_if_exists=False)
        requeued.add(frozen.number)
        again += 1
    if again:
        study.set_user_attr("requeued", sorted(requeued))
        logger.info("Enqueued %d unfinished trial(s) again", again)
    return again


def enqueue_defaults(
    study: optuna.Study,
    defaults: Sequence[Mapping[str, Any]],
    rows_fraction: float | None = None,
) -> None:
    """Enqueue each model's default configuration, in the given (cheapest first) order; with
    ``rows_fraction``, as cheap first trials whose fits use that share of each fold's rows."""
    attrs: dict[str, Any] = {"default": True}
    if rows_fraction is not None:
        attrs[ROWS_FRACTION] = rows_fraction
        logger.info(
            "First trials: each model's default configuration on %.0f%% of each fold's rows "
            "(search.warmup_rows)",
            100 * rows_fraction,
        )
    for params in defaults:
        study.enqueue_trial(dict(params), user_attrs=attrs)
