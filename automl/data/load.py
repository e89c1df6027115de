"""Loading the recipe's data source, and the checks every training table must pass."""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING, Any

from automl.errors import AutomlError, DataError
from automl.specs import SourceContext, Task

if TYPE_CHECKING:
    import pandas as pd

    from automl.recipe import ResolvedRecipe

logger = logging.getLogger(__name__)

MAX_MULTICLASS_INTEGER_LEVELS = 20
"""An integer target with at most this many distinct values (and few per row) is a class label."""


def load_frame(resolved: ResolvedRecipe, *, test: bool = False) -> pd.DataFrame:
    """Read the recipe's data source (or, with ``test``, its ``data.test_source``).

    Raises:
        DataError: the source failed, or returned something other than a non-empty DataFrame.
    """
    import pandas as pd

    source = resolved.test_source if test else resolved.data_source
    if source is None:
        raise ValueError("the recipe has no data.test_source")
    spec = source.component.spec
    try:
        frame = spec.factory(source.params, SourceContext(base_dir=resolved.base_dir))
    except DataError as exc:
        raise DataError(resolved.scrub(str(exc))) from None
    except AutomlError:
        raise
    except Exception as exc:
        detail = resolved.scrub(
            f"{type(exc).__name__}: {exc}"
        )  # a plugin's message may quote a secret
        raise DataError(
            f"data source {source.name!r} ({source.component.plugin}) failed: {detail}"
        ) from None
    if not isinstance(frame, pd.DataFrame):
        raise DataError(
            f"data source {source.name!r} returned {type(frame).__name__}, not a pandas DataFrame "
            f"(a bug in {source.component.plugin})"
        )
    if frame.empty:
        raise DataError(
            f"data source {source.name!r} ({source.path}) returned no rows: the data is empty"
        )
    return frame


def infer_task(target: pd.Series) -> Task:
    """Binary for two distinct values, multiclass for text/bool/few integer levels, else regression."""
    import pandas as pd

    values = target.dropna()
    distinct = values.nunique()
    if distinct == 2:
        return Task.BINARY
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return Task.MULTICLASS
    integral = pd.api.types.is_integer_dtype(values) or bool((values == values.round()).all())
    if (
        integral
        and distinct <= MAX_MULTICLASS_INTEGER_LEVELS
        and distinct <= max(3, len(values) // 5)
    ):
        return Task.MULTICLASS
    return Task.REGRESSION


def fingerprint(frame: pd.DataFrame) -> dict[str, Any]:
    """Rows, columns and a content hash of a table (to notice changed data on resume)."""
    import pandas as pd

    digest = hashlib.sha256()
    digest.update(",".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return {"rows": len(frame), "columns": int(frame.shape[1]), "sha256": digest.hexdigest()}
