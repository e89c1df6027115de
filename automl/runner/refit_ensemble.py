"""The refit of a chosen ensemble: its members on every training row within the time budget,
then its holdout score; or, when it falls apart, the best trial instead."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from automl.records import LeaderboardRow
from automl.runner.ensemble import EnsemblePlan, describe_plan
from automl.runner.finish import (
    Refit,
    fit_row,
    full_refit_in_time,
    log_refit,
    score_holdout,
    training_part,
)
from automl.search.budget import PACKAGE_SECONDS

if TYPE_CHECKING:
    from automl.ensemble import EnsembleMember
    from automl.leaderboard import Leaderboard
    from automl.recipe import ResolvedRecipe
    from automl.records import MemberRecord
    from automl.runner.prepare import Prepared
    from automl.search.budget import Budget

__all__ = [
    "ENSEMBLE_REFITS",
    "MEMBER_SHARE",
    "member_reserve",
    "refit_ensemble",
    "refit_lanes",
]

ENSEMBLE_REFITS = 4
"""Members whose refits the search leaves time for when an ensemble may follow: the best trial
of as many models, best first, shared by the lanes (:meth:`automl.search.Budget.reserve`)."""

MEMBER_SHARE = 0.05
"""Share of the time budget the search also leaves for the members' refits while it does not
know them yet (:mod:`automl.runner.live` follows them once two trials have completed): a cheap
best model (a logistic regression) often has costlier partners (extra trees, CatBoost)."""

logger = logging.getLogger(__name__)


def refit_lanes(resolved: ResolvedRecipe) -> int:
    """How many members are refitted at once: the CPUs this process may use, at most the
    recipe's ``execution.workers`` when it names a number (models fit on one thread each)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    workers = resolved.recipe.execution.workers
    return max(1, min(cpus, workers if isinstance(workers, int) else cpus))


def member_reserve(resolved: ResolvedRecipe) -> float:
    """Seconds the search leaves for members slower than the best trial: :data:`MEMBER_SHARE`
    of the time budget (none without one)."""
    return MEMBER_SHARE * (resolved.recipe.search.time_budget or 0.0)


def refit_ensemble(
    resolved: ResolvedRecipe,
    prepared: Prepared,
    leaderboard: Leaderboard,
    plan: EnsemblePlan,
    budget: Budget,
) -> Refit | None:
    """Refit the members on every training row, several at once (:func:`refit_lanes`) — the
    best trial first when it is a member, then largest weight first — keeping those whose refit
    should end in the time left, with time to refit the best trial should the ensemble fall
    apart; returns the refitted ensemble, scored on the holdout.

    When what is left no longer beats the best single model, or the ensemble fails on the
    holdout (the plan's record says why and the leaderboard is ranked again), returns the best
    trial if it was refitted as a member, else ``None`` (the caller refits it)."""
    from automl.ensemble import EnsembleModel

    record = plan.record
    best = leaderboard.best_trial
    first = [m for m in record.members if best is not None and m.trial == best.trial]
    lanes = refit_lanes(resolved)
    order = first + [m for m in record.members if m not in first]
    # Time kept to refit the best trial should the ensemble fall apart, unless it is a member.
    fallback = 0.0 if first or best is None else budget.refit_seconds(best.fit_time)
    chosen = _within_time(budget, leaderboard, order, lanes, len(first), fallback)
    refitted = _fit_members(resolved, prepared, leaderboard, chosen, lanes, budget, first, fallback)
    fitted = _packable(budget, refitted)
    kept = {member.trial for member in fitted}
    record.dropped.extend(member.trial for member in order if member.trial not in kept)
    fitted.sort(key=lambda m: -m.weight)
    if record.dropped and not _still_wins(plan, prepared, leaderboard, fitted):
        return _refitted_best(prepared, leaderboard, refitted)
    refit = Refit(row=plan.row, pipeline=EnsembleModel(fitted, prepared.table.classes))
    try:
        score_holdout(prepared, refit)
    except Exception as exc:  # a member that breaks on new rows: the best trial instead
        record.chosen = False
        record.reason = f"scoring it on the holdout failed: {type(exc).__name__}: {exc}"
        logger.warning("Ensemble: %s; the best single model is packaged", record.reason)
        leaderboard.remove_ensemble()
        try:
            return _refitted_best(prepared, leaderboard, fitted)
        except Exception:  # the best trial itself fails there: the caller tries the next
            return None
    return refit


def _fit_members(
    resolved: ResolvedRecipe,
    prepared: Prepared,
    leaderboard: Leaderboard,
    members: Sequence[MemberRecord],
    lanes: int,
    budget: Budget,
    forced: Sequence[MemberRecord],
    fallback: float,
) -> list[EnsembleMember]:
    """Refit ``members`` on ``lanes`` threads (the models' fits release the GIL), one BLAS and
    OpenMP thread each. A member starts only if its refit should still end in the time left
    then, ``fallback`` seconds kept (fits slower than their estimate leave less time), except
    the ``forced`` ones; a member that is not started or fails to refit is left out, said in
    the log. A member refits in full (``refit_full``) only if that should end in time too, with
    the plain refits of the members after it (shared by the lanes) kept."""
    from threadpoolctl import threadpool_limits

    from automl.ensemble import EnsembleMember as Member

    part = training_part(prepared)  # once, before the threads start
    lanes = min(lanes, len(members))
    rows = [leaderboard.row(member.trial) for member in members]
    seconds = [budget.refit_seconds(row.fit_time if row else None) for row in rows]
    # Members start in this order: those after one have not started when it does.
    later = {m.trial: sum(seconds[i + 1 :]) / max(1, lanes) for i, m in enumerate(members)}

    def fit(member: MemberRecord) -> Any:
        row = leaderboard.row(member.trial)
        assert row is not None
        if member not in forced and not _time_for(budget, row, fallback):
            return None
        full = full_refit_in_time(budget, prepared, row, fallback + later[member.trial])
        started, left = budget.clock(), budget.remaining()
        limit = None if left is None else left - PACKAGE_SECONDS - fallback
        pipeline = fit_row(resolved, prepared, row, part, full=full, max_time=limit)
        log_refit(budget, row, budget.clock() - started, pipeline)
        return pipeline

    def one_thread(member: MemberRecord) -> tuple[Any, Exception | None]:
        # OpenMP's thread count is each thread's own: a limit set in the calling thread leaves
        # the lanes' at every core, and two lanes of histogram boosting then ran 3 times slower.
        with threadpool_limits(1):
            return _attempt(fit, member)

    if lanes <= 1:
        outcomes = [_attempt(fit, member) for member in members]
    else:
        with (
            threadpool_limits(1),
            ThreadPoolExecutor(lanes, thread_name_prefix="automl-refit") as pool,
        ):
            outcomes = list(pool.map(one_thread, members))
    fitted = []
    for member, (pipeline, error) in zip(members, outcomes, strict=True):
        if error is not None:  # a member that fails to refit is dropped, said in the log
            logger.warning("Ensemble: refitting trial %d failed, dropped: %s", member.trial, error)
            continue
        if pipeline is None:  # not started for time (logged)
            continue
        fitted.append(Member(member.trial, member.model, member.weight, pipeline))
    return fitted


def _attempt(fit: Callable[[Any], Any], member: Any) -> tuple[Any, Exception | None]:
    try:
        return fit(member), None
    except Exception as exc:  # reported by the caller, with the trial's number
        return None, exc


def _within_time(
    budget: Budget,
    leaderboard: Leaderboard,
    members: Sequence[MemberRecord],
    lanes: int,
    forced: int,
    fallback: float,
) -> list[MemberRecord]:
    """The members whose refits, ``lanes`` at a time in this order (each on the lane free
    first), should end in the time left, with packaging and ``fallback`` seconds kept; the
    first ``forced`` members are always kept, each member left out is logged."""
    left = budget.remaining()
    if left is None:
        return list(members)
    ends = [0.0] * max(1, lanes)
    chosen = []
    for index, member in enumerate(members):
        row = leaderboard.row(member.trial)
        assert row is not None
        lane = ends.index(min(ends))
        end = ends[lane] + budget.refit_seconds(row.fit_time)
        if index >= forced and not budget.time_for(end + fallback):
            _log_dropped(budget, row, left)
            continue
        ends[lane] = end
        chosen.append(member)
    return chosen


def _time_for(budget: Budget, row: LeaderboardRow, fallback: float) -> bool:
    """Whether ``row``'s refit, started now, should end in the time left, with packaging and
    ``fallback`` seconds kept."""
    if budget.time_for(budget.refit_seconds(row.fit_time) + fallback):
        return True
    _log_dropped(budget, row, budget.remaining() or 0.0)
    return False


def _log_dropped(budget: Budget, row: LeaderboardRow, left: float) -> None:
    logger.warning(
        "Ensemble: trial %d (%s) dropped, its refit (about %.1f s) would break the time budget "
        "(%.1f s left)",
        row.trial,
        row.model,
        budget.refit_seconds(row.fit_time),
        left,
    )


def _packable(budget: Budget, fitted: list[EnsembleMember]) -> list[EnsembleMember]:
    """The refitted members whose package can be written in the time left: while it cannot
    (:data:`~automl.search.budget.PACKAGE_SECONDS_PER_MB` per pickled megabyte), the member with
    the most megabytes per unit of weight is dropped (300 extra trees on 12,800 rows pickle to
    683 MB; at 0.04 of an ensemble's weight they took 9 s to package), said in the log."""
    from automl.package.pickling import pickled_megabytes
    from automl.search.budget import PACKAGE_SECONDS_PER_MB

    left = budget.remaining()
    if left is None or len(fitted) < 2:
        return fitted
    sizes = {member.trial: pickled_megabytes(member.pipeline) or 0.0 for member in fitted}
    kept = list(fitted)

    def seconds() -> float:
        return PACKAGE_SECONDS_PER_MB * sum(sizes[m.trial] for m in kept)

    # Only the pickles' share shrinks with a member dropped: with less time left than the
    # package's fixed part (PACKAGE_SECONDS), no drop would make it fit.
    while len(kept) > 1 and seconds() > max(left, PACKAGE_SECONDS):
        largest = max(kept, key=lambda member: sizes[member.trial] / member.weight)
        logger.warning(
            "Ensemble: trial %d (%s) dropped, its %.0f MB pickled would take the package about "
            "%.1f s to write (%.1f s left)",
            largest.trial,
            largest.model,
            sizes[largest.trial],
            PACKAGE_SECONDS_PER_MB * sizes[largest.trial],
            left,
        )
        kept.remove(largest)
    return kept


def _still_wins(
    plan: EnsemblePlan, prepared: Prepared, leaderboard: Leaderboard, fitted: Sequence[Any]
) -> bool:
    """After members were dropped: score what is left, rank again, and say whether it still
    beats the best single model (the record says what happened)."""
    record = plan.record
    rows = {row.trial: row for row in leaderboard.rows if row.trial is not None}
    if len(fitted) >= 2:
        total = sum(member.weight for member in fitted)
        describe_plan(plan, prepared, rows, {m.trial: m.weight / total for m in fitted})
        leaderboard.rank()
    dropped = ", ".join(map(str, record.dropped))
    if len(fitted) >= 2 and leaderboard.best is plan.row:
        record.reason = f"trials {dropped} dropped at the refit; weights renormalised"
        return True
    record.chosen = False
    record.reason = (
        f"after dropping trials {dropped} at the refit, it no longer beat the best single model"
    )
    logger.warning("Ensemble: %s; the best single model is packaged", record.reason)
    if len(fitted) < 2:
        leaderboard.remove_ensemble()
    return False


def _refitted_best(
    prepared: Prepared, leaderboard: Leaderboard, fitted: Sequence[Any]
) -> Refit | None:
    """The best trial as a refit, if it was refitted as a member (no need to fit it again),
    whether or not the ensemble kept it."""
    best = leaderboard.best_trial
    member = next((m for m in fitted if best is not None and m.trial == best.trial), None)
    if best is None or member is None:
        return None
    refit = Refit(row=best, pipeline=member.pipeline)
    score_holdout(prepared, refit)
    return refit
