"""Data given in Python: tables that a run reads instead of the recipe's sources.

``automl.run(recipe, data=frame)`` and the scikit-learn estimators pass their tables to
:func:`automl.runner.run` as :class:`GivenData`, so no data source plugin and no temporary file
is involved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from automl.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["GIVEN_IN_PYTHON", "GivenData", "as_frame"]

GIVEN_IN_PYTHON = "a pandas DataFrame given in Python"
"""How ``run.json`` (``data.source``) names the source of data given in Python."""


@dataclass(frozen=True)
class GivenData:
    """The tables of a run given in Python.

    Attributes:
        frame: The data (target column included); replaces ``data.source``.
        test_frame: A separate test set; replaces ``data.test_source``.
    """

    frame: pd.DataFrame
    test_frame: pd.DataFrame | None = None


def as_frame(value: Any, name: str) -> pd.DataFrame:
    """``value`` if it is a DataFrame, else a clear error naming the argument.

    Raises:
        UsageError: ``value`` is not a pandas DataFrame.
    """
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return value
    raise UsageError(
        f"{name}= takes a pandas DataFrame that holds the target column too, "
        f"got {type(value).__name__}; build one with pandas.DataFrame(...)"
    )
