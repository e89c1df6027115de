"""Repeated rows: counted in the profile, dropped only on request, grouped for the splits.

Rows that repeat another row are observations too, so they are kept by default
(``data.drop_duplicates: true`` drops exact repeats). Rows with identical feature values —
whatever their targets — get one group id, and the splits keep each group on one side of the
holdout and in one cross-validation fold, so a model is never scored on a copy of a row it was
trained on.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from automl.data.profile import DataProfile

__all__ = ["feature_groups", "handle_duplicates"]

logger = logging.getLogger("automl.data.prepare")  # with the other preparation steps


def handle_duplicates(
    frame: pd.DataFrame, target: str, profile: DataProfile, *, drop: bool
) -> pd.DataFrame:
    """Count the rows of ``frame`` that repeat another row exactly; drop them if ``drop``.

    Args:
        frame: The rows, features and target (after the target checks).
        target: The target column.
        profile: Gets ``duplicate_rows`` and, when they are dropped, a cleaning step.
        drop: Drop the repeats, keeping each row's first occurrence (``data.drop_duplicates``).

    Returns:
        ``frame``, or its rows without the repeats.
    """
    repeated = frame.duplicated()
    count = int(repeated.sum())
    profile.duplicate_rows = count
    if drop and count:
        frame = frame.loc[~repeated]
        profile.duplicates_dropped = True
        profile.step(
            "dropped duplicate rows",
            f"{count} rows repeated another row exactly (data.drop_duplicates)",
            rows=count,
        )
    elif count:
        logger.info(
            "kept %d rows that repeat another row exactly (data.drop_duplicates: true drops them)",
            count,
        )
    return frame


def feature_groups(frame: pd.DataFrame, target: str, profile: DataProfile) -> np.ndarray | None:
    """A group id per row of ``frame``, equal for rows with identical feature values.

    The target is left out, so rows with the same features and different targets share a group;
    they are counted in the profile as ``conflicting_rows``. Missing values compare equal.

    Args:
        frame: The rows, features and target.
        target: The target column.
        profile: Gets ``conflicting_rows``.

    Returns:
        Group ids numbered from 0 in order of first appearance, or ``None`` when every row's
        features are unique (then the splits are the ungrouped ones).
    """
    import numpy as np
    import pandas as pd
    from pandas.util import hash_pandas_object

    hashes = hash_pandas_object(frame.drop(columns=[target]), index=False)
    codes, uniques = pd.factorize(hashes)
    if len(uniques) == len(frame):
        profile.conflicting_rows = 0
        return None
    targets = pd.Series(frame[target].to_numpy())
    per_group = targets.groupby(codes).transform("nunique")
    profile.conflicting_rows = int((per_group > 1).sum())
    logger.info(
        "%d rows share their feature values with another row (%d of them with another target): "
        "the splits keep such rows together",
        int((np.bincount(codes)[codes] > 1).sum()),
        profile.conflicting_rows,
    )
    return codes.astype("int64", copy=False)
