"""Trial records in the study: how a :class:`~automl.records.TrialRecord` is stored in an Optuna
trial's user attributes and read back, and counts over a study's trials.

Attribute names are kept from the first releases (``model``, ``params``, ``scores``, ...), so
studies written before records existed still resume and read back.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import statistics
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from automl.records import (
    FailureKind,
    MetricScores,
    TrialCounts,
    TrialFailure,
    TrialRecord,
    TrialState,
)

if TYPE_CHECKING:
    import optuna
    from optuna.trial import FrozenTrial

    from automl.search.trial import TrialOutcome

__all__ = [
    "INTERRUPTED",
    "RETRIED",
    "ROWS_FRACTION",
    "failures",
    "log_trial",
    "most_common_failure",
    "record_from_outcome",
    "record_of",
    "records_of",
    "report_remaining",
    "stopped_for_time",
    "store_record",
    "store_unfinished",
    "tell_failed",
    "tell_unfinished",
    "trial_counts",
]


INTERRUPTED = "interrupted"
"""User attribute of a trial that did not finish (killed, cancelled at the deadline or by Ctrl-C)."""
ROWS_FRACTION = "rows_fraction"
"""User attribute of a trial whose fits use a share of each fold's training rows (set when it is
enqueued: the first trial of each model on large data)."""
RETRIED = "retried"
"""User attribute of a failed trial whose parameters were run again (its worker died)."""
_FIELDS = ("model", "params", "value", "scores", "folds_done", "fit_time", "predict_time_per_1000")


def record_from_outcome(
    outcome: TrialOutcome,
    model: str,
    params: Mapping[str, Any],
    metric: str,
    retry_of: int | None = None,
    rows_fraction: float | None = None,
) -> TrialRecord:
    """The record of a finished trial."""
    scores = {name: MetricScores.of(values) for name, values in outcome.scores.items()}
    fit = statistics.fmean(outcome.fit_times) if outcome.fit_times else None
    predict_per_1000 = (
        1000.0 * math.fsum(outcome.predict_times) / outcome.predicted_rows
        if outcome.predicted_rows
        else None
    )
    primary = scores.get(metric)
    return TrialRecord(
        number=outcome.number,
        state=TrialState(outcome.state),
        model=model,
        params=dict(params),
        value=primary.mean if primary is not None else None,
        scores=scores,
        folds_done=len(outcome.fit_times),
        fit_time=fit,
        predict_time_per_1000=predict_per_1000,
        failure=outcome.failure or (_PRUNED if outcome.state is TrialState.PRUNED else None),
        retry_of=retry_of,
        rows_fraction=rows_fraction,
    )


def store_record(trial: optuna.Trial, record: TrialRecord) -> None:
    """Keep ``record`` in the trial's user attributes (before the trial is told)."""
    data = record.to_dict()
    for key in _FIELDS:
        trial.set_user_attr(key, data[key])
    if record.failure is not None:
        trial.set_user_attr("error", record.failure.message)
        trial.set_user_attr("failure", record.failure.to_dict())


def store_unfinished(
    trial: optuna.Trial,
    model: str,
    params: Mapping[str, Any],
    kind: FailureKind,
    message: str,
) -> None:
    """Mark a trial cut short by the run (a resume runs it again)."""
    trial.set_user_attr("model", model)
    trial.set_user_attr("params", dict(params))
    trial.set_user_attr(INTERRUPTED, True)
    trial.set_user_attr("error", message)
    trial.set_user_attr("failure", TrialFailure(kind, message).to_dict())


def tell_unfinished(
    study: optuna.Study,
    trial: optuna.Trial,
    model: str,
    params: Mapping[str, Any],
    kind: FailureKind,
    message: str,
    log: logging.Logger,
) -> None:
    """Record a trial cut short by the run (:func:`store_unfinished`), tell the study it
    failed, and say why on ``log``."""
    from optuna.trial import TrialState as OptunaState

    store_unfinished(trial, model, params, kind, message)
    study.tell(trial, state=OptunaState.FAIL)
    log.info("Trial %d (%s): %s", trial.number, model, message)


_PRUNED = TrialFailure(FailureKind.PRUNED, "stopped early by the pruner")


def stopped_for_time(folds_done: int, folds: int) -> tuple[FailureKind, str]:
    """How a trial stopped because its remaining folds would not end before the deadline is
    recorded: as one cut at the deadline (timed out), with why."""
    return FailureKind.TIMED_OUT, (
        f"stopped after {folds_done} of {folds} folds: the rest would not end before the "
        "search's deadline, even twice as fast"
    )


_STATES = {"COMPLETE": TrialState.COMPLETE, "PRUNED": TrialState.PRUNED, "FAIL": TrialState.FAILED}


def record_of(frozen: FrozenTrial) -> TrialRecord | None:
    """The record of a finished trial of the study (``None`` for a running or waiting one)."""
    state = _STATES.get(frozen.state.name)
    if state is None:
        return None
    attrs = frozen.user_attrs
    failure: TrialFailure | None = None
    if attrs.get("failure"):
        failure = TrialFailure.from_dict(attrs["failure"])
    elif state is TrialState.FAILED:  # a study written before failures had kinds
        kind = FailureKind.INTERRUPTED if attrs.get(INTERRUPTED) else FailureKind.ERROR
        failure = TrialFailure(kind, str(attrs.get("error", "unknown error")))
    elif state is TrialState.PRUNED:
        failure = _PRUNED
    value = attrs.get("value", frozen.value if state is TrialState.COMPLETE else None)
    document = {
        **{key: attrs.get(key) for key in _FIELDS},
        "number": frozen.number,
        "state": state.value,
        "model": attrs.get("model", frozen.params.get("model")),
        "value": value,
        "retry_of": attrs.get("retry_of"),
        "rows_fraction": attrs.get(ROWS_FRACTION),
    }
    return dataclasses.replace(TrialRecord.from_dict(document), failure=failure)


def records_of(study: optuna.Study) -> list[TrialRecord]:
    """Every finished trial's record, in trial-number order."""
    records = (record_of(trial) for trial in study.get_trials(deepcopy=False))
    return [record for record in records if record is not None]


def _counted_failure(frozen: FrozenTrial) -> bool:
    return not (frozen.user_attrs.get(INTERRUPTED) or frozen.user_attrs.get(RETRIED))


def trial_counts(study: optuna.Study) -> TrialCounts:
    """Complete, pruned and failed trials of a study (interrupted and retried ones are not
    counted)."""
    from optuna.trial import TrialState as OptunaState

    counts = TrialCounts()
    for trial in study.get_trials(deepcopy=False):
        if trial.state == OptunaState.COMPLETE:
            counts.complete += 1
        elif trial.state == OptunaState.PRUNED:
            counts.pruned += 1
        elif trial.state == OptunaState.FAIL and _counted_failure(trial):
            counts.failed += 1
    return counts


def failures(study: optuna.Study) -> list[TrialFailure]:
    """The failures of the study's counted failed trials: not those cut short by the run, nor
    a dead worker's attempt that ran again (its retry's outcome counts instead)."""
    from optuna.trial import TrialState as OptunaState

    found = []
    for trial in study.get_trials(deepcopy=False, states=(OptunaState.FAIL,)):
        if not _counted_failure(trial):
            continue
        record = record_of(trial)
        if record is not None and record.failure is not None:
            found.append(record.failure)
    return found


def most_common_failure(found: Sequence[TrialFailure | str]) -> tuple[str, int]:
    """The most frequent failure message and how often it occurred."""
    counts: dict[str, int] = {}
    for failure in found:
        message = str(failure)
        counts[message] = counts.get(message, 0) + 1
    message = max(counts, key=lambda key: counts[key])
    return message, counts[message]


def log_trial(record: TrialRecord, metric: str, log: logging.Logger) -> None:
    """One line per finished trial on ``log``, so that ``run.log`` tells the whole search."""
    score = "-" if record.value is None else f"{record.value:.4f}"
    fit = "-" if record.fit_time is None else f"{record.fit_time:.2f} s"
    if record.rows_fraction is not None:
        fit += f" on {100 * record.rows_fraction:.0f}% of the rows"
    reason = f": {record.error}" if record.error else ""
    how = f"{record.state.value}, {metric} {score}, fit {fit}{reason}"
    log.info("Trial %d %s: %s", record.number, record.model, how)


def tell_failed(
    study: optuna.Study, trial: optuna.Trial, record: TrialRecord, log: logging.Logger
) -> bool:
    """Tell the study that ``trial`` failed; True when it counts as failed, False when its
    configuration was enqueued to run once more (its worker died, and it was no retry)."""
    from optuna.trial import TrialState as OptunaState

    failure = record.failure
    if failure is not None and failure.traceback:
        log.info("Trial %d traceback:\n%s", trial.number, failure.traceback)
    # A dead worker says little about the configuration: run it once more. The retry, not this
    # attempt, counts toward the trial budget.
    retried = (
        failure is not None
        and failure.kind is FailureKind.WORKER_DIED
        and trial.user_attrs.get("retry_of") is None
    )
    if retried:
        trial.set_user_attr(RETRIED, True)
    study.tell(trial, state=OptunaState.FAIL)
    if retried:
        study.enqueue_trial(dict(trial.params), user_attrs={"retry_of": trial.number})
        log.info("Trial %d will run once more (its worker died)", trial.number)
    return not retried


def report_remaining(trial: optuna.Trial, reported: set[int], folds: Sequence[float]) -> None:
    """Record the running mean after every fold that was not reported during the trial."""
    import statistics

    for step in range(len(folds)):
        if step not in reported:
            trial.report(statistics.fmean(folds[: step + 1]), step=step)
