"""Data: reading a source, checks and cleaning, column kinds, the profile, and preprocessing.

The public API of the data layer::

    from automl.data import read_source, prepare, with_test_rows, build_pipeline

Importing this package does not import pandas; the preprocessing names (which need
scikit-learn) load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from automl.data.holdout import with_test_rows
from automl.data.load import fingerprint, read_source
from automl.data.prepare import prepare
from automl.data.profile import DataProfile
from automl.data.table import TrainingTable
from automl.data.target import infer_task
from automl.data.types import ColumnKind
from automl.lazy import lazy_attributes

if TYPE_CHECKING:
    from automl.data.preprocess import build_pipeline, category_levels

# Importing automl.data.preprocess imports scikit-learn.
_LAZY = {
    "build_pipeline": "automl.data.preprocess",
    "category_levels": "automl.data.preprocess",
}


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "ColumnKind",
    "DataProfile",
    "TrainingTable",
    "build_pipeline",
    "category_levels",
    "fingerprint",
    "infer_task",
    "prepare",
    "read_source",
    "with_test_rows",
]
