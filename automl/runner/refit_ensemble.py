"""The refit of a chosen ensemble: its members on every training row within the time budget,
then its holdout score; or, when it falls apart, the best trial instead."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from automl.records import LeaderboardRow
from automl.runner.ensemble import EnsemblePlan, describe_plan

if TYPE_CHECKING:
    from automl.leaderboard import Leaderboard
    from automl.recipe import ResolvedRecipe
    from automl.runner.finish import Refit
    from automl.runner.prepare import Prepared
    from automl.search.budget import Budget

__all__ = ["refit_ensemble"]

logger = logging.getLogger(__name__)


def refit_ensemble(
    resolved: ResolvedRecipe,
    prepared: Prepared,
    leaderboard: Leaderboard,
    plan: EnsemblePlan,
    budget: Budget,
) -> Refit | None:
    """Refit the members on every training row — the best trial first when it is a member,
    then largest weight first — while time is left, keeping time to refit the best trial
    should the ensemble fall apart; returns the refitted ensemble, scored on the holdout.

    When what is left no longer beats the best single model, or the ensemble fails on the
    holdout (the plan's record says why and the leaderboard is ranked again), returns the best
    trial if it was refitted as a member, else ``None`` (the caller refits it)."""
    from automl.ensemble import EnsembleMember, EnsembleModel
    from automl.runner.finish import Refit, fit_row, score_holdout

    record = plan.record
    best = leaderboard.best_trial
    first = [m for m in record.members if best is not None and m.trial == best.trial]
    fitted: list[EnsembleMember] = []
    for member in first + [m for m in record.members if m not in first]:
        row = leaderboard.row(member.trial)
        assert row is not None
        if not (member in first or _time_for(budget, resolved, row, best, fitted)):
            record.dropped.append(member.trial)
            continue
        try:
            pipeline = fit_row(resolved, prepared, row)
        except Exception as exc:  # a member that fails to refit is dropped, said in the log
            logger.warning("Ensemble: refitting trial %d failed, dropped: %s", member.trial, exc)
            record.dropped.append(member.trial)
            continue
        fitted.append(EnsembleMember(member.trial, member.model, member.weight, pipeline))
    fitted.sort(key=lambda m: -m.weight)
    if record.dropped and not _still_wins(plan, prepared, leaderboard, fitted):
        return _refitted_best(prepared, leaderboard, fitted)
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


def _time_for(
    budget: Budget,
    resolved: ResolvedRecipe,
    row: LeaderboardRow,
    best: LeaderboardRow | None,
    fitted: Sequence[Any],
) -> bool:
    """Whether ``row``'s refit fits in the time left, with packaging and — unless the best
    trial is refitted already — the best trial's refit kept in reserve (logged when not)."""
    from automl.search.budget import PACKAGE_SECONDS

    left = budget.remaining()
    if left is None:
        return True
    cv = budget.cv  # the folds the trials ran (search.cv, auto resolved)

    def refit_seconds(of: LeaderboardRow) -> float:
        return (of.fit_time or 0.0) * cv / max(1, cv - 1)

    fallback = 0.0
    if best is not None and best.trial not in {m.trial for m in fitted}:
        fallback = refit_seconds(best)
    estimate = refit_seconds(row)
    if estimate + fallback <= left - PACKAGE_SECONDS:
        return True
    logger.warning(
        "Ensemble: trial %d (%s) dropped, its refit (about %.1f s) would break the time budget "
        "(%.1f s left)",
        row.trial,
        row.model,
        estimate,
        left,
    )
    return False


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
    """The best trial as a refit, if it was refitted as a member (no need to fit it again)."""
    from automl.runner.finish import Refit, score_holdout

    best = leaderboard.best_trial
    member = next((m for m in fitted if best is not None and m.trial == best.trial), None)
    if best is None or member is None:
        return None
    refit = Refit(row=best, pipeline=member.pipeline)
    score_holdout(prepared, refit)
    return refit
