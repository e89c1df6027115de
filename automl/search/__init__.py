"""The search engine: budget, space, trials with cross-validation, the Optuna study, the
driver loop and its executors (local worker processes, Ray).

It takes plain typed inputs (:class:`SearchModel`, :class:`SearchData`, :class:`Budget`), never
recipe types. Names load on first use, so importing this package stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from automl.lazy import lazy_attributes

if TYPE_CHECKING:
    from automl.search.budget import Budget, LikelyFinals, process_started
    from automl.search.engine import Search
    from automl.search.executor import Executor, LocalExecutor, ReportEvent, ResultEvent
    from automl.search.progress import SearchProgress, SearchResult
    from automl.search.space import Choice, Fixed, Range, SearchModel, default_params
    from automl.search.study import (
        STUDY_NAME,
        enqueue_defaults,
        make_pruner,
        make_sampler,
        make_storage,
        open_study,
        recover_unfinished,
    )
    from automl.search.trial import SearchData, TrialJob, TrialOutcome, run_trial, subsample
    from automl.search.trials import most_common_failure, records_of, trial_counts
    from automl.search.workers import WorkerSetup, plugin_refs

_LAZY = {
    "Budget": "automl.search.budget",
    "LikelyFinals": "automl.search.budget",
    "process_started": "automl.search.budget",
    "Search": "automl.search.engine",
    "Executor": "automl.search.executor",
    "LocalExecutor": "automl.search.executor",
    "ReportEvent": "automl.search.executor",
    "ResultEvent": "automl.search.executor",
    "SearchProgress": "automl.search.progress",
    "SearchResult": "automl.search.progress",
    "Choice": "automl.search.space",
    "Fixed": "automl.search.space",
    "Range": "automl.search.space",
    "SearchModel": "automl.search.space",
    "default_params": "automl.search.space",
    "STUDY_NAME": "automl.search.study",
    "enqueue_defaults": "automl.search.study",
    "make_pruner": "automl.search.study",
    "make_sampler": "automl.search.study",
    "make_storage": "automl.search.study",
    "open_study": "automl.search.study",
    "recover_unfinished": "automl.search.study",
    "SearchData": "automl.search.trial",
    "TrialJob": "automl.search.trial",
    "TrialOutcome": "automl.search.trial",
    "run_trial": "automl.search.trial",
    "subsample": "automl.search.trial",
    "most_common_failure": "automl.search.trials",
    "records_of": "automl.search.trials",
    "trial_counts": "automl.search.trials",
    "WorkerSetup": "automl.search.workers",
    "plugin_refs": "automl.search.workers",
}

__all__ = [
    "STUDY_NAME",
    "Budget",
    "Choice",
    "Executor",
    "Fixed",
    "LikelyFinals",
    "LocalExecutor",
    "Range",
    "ReportEvent",
    "ResultEvent",
    "Search",
    "SearchData",
    "SearchModel",
    "SearchProgress",
    "SearchResult",
    "TrialJob",
    "TrialOutcome",
    "WorkerSetup",
    "default_params",
    "enqueue_defaults",
    "make_pruner",
    "make_sampler",
    "make_storage",
    "most_common_failure",
    "open_study",
    "plugin_refs",
    "process_started",
    "records_of",
    "recover_unfinished",
    "run_trial",
    "subsample",
    "trial_counts",
]


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)
