"""The JSON files of a package: strict JSON text (no NaN) and MLflow's "split" input example."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

logger = logging.getLogger("automl.package")


def json_default(value: Any) -> Any:
    """``json.dumps``'s ``default``: numpy scalars and arrays, dates and timestamps."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _finite(value: Any) -> Any:
    """``value`` with NaN and infinities replaced by None (strict JSON has neither)."""
    if isinstance(value, float | np.floating) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def json_text(value: Any, what: str) -> str:
    """``value`` as indented strict JSON text; NaN and infinities become null with a warning.

    Raises:
        TypeError: ``value`` holds something JSON cannot represent (``what`` names it).
    """
    try:
        return json.dumps(value, indent=2, default=json_default, allow_nan=False) + "\n"
    except ValueError:
        logger.warning("The %s hold NaN or infinite numbers; they are written as null", what)
        return json.dumps(_finite(value), indent=2, default=json_default, allow_nan=False) + "\n"
    except TypeError as exc:
        raise TypeError(f"the {what} must be JSON-serializable: {exc}") from exc


def example_json(frame: pd.DataFrame) -> dict[str, Any]:
    """``frame`` in MLflow's "split" orientation (columns and rows), missing values as None."""
    values = frame.astype(object).where(frame.notna(), None)
    return {"columns": [str(c) for c in frame.columns], "data": values.to_numpy().tolist()}
