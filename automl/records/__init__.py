"""Typed records that cross layers: trials, failures, stop reasons, phases, leaderboard rows and
the run summary.

The search engine produces :class:`TrialRecord` objects, the leaderboard ranks them into
:class:`LeaderboardRow` objects, the runner keeps a :class:`RunSummary`, and the observer hooks,
``run.json`` and :func:`automl.open_run` all carry these same records. Each record turns into
plain JSON (``to_dict``) and back (``from_dict``), so what a run wrote reads back as what it
was. This module imports nothing heavy.
"""

from automl.records.ensemble import EnsembleRecord, MemberRecord
from automl.records.leaderboard import LeaderboardRow
from automl.records.run import (
    RUN_SCHEMA_VERSION,
    BestTrial,
    BudgetRecord,
    DeploymentRecord,
    Phase,
    RunStatus,
    RunSummary,
    StopReason,
    TrialCounts,
)
from automl.records.trials import (
    FailureKind,
    MetricScores,
    TrialFailure,
    TrialRecord,
    TrialState,
)

__all__ = [
    "RUN_SCHEMA_VERSION",
    "BestTrial",
    "BudgetRecord",
    "DeploymentRecord",
    "EnsembleRecord",
    "FailureKind",
    "LeaderboardRow",
    "MemberRecord",
    "MetricScores",
    "Phase",
    "RunStatus",
    "RunSummary",
    "StopReason",
    "TrialCounts",
    "TrialFailure",
    "TrialRecord",
    "TrialState",
]
