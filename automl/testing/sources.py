"""The data source check: a table for valid parameters, ``DataError`` for bad data."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from automl.errors import DataError
from automl.specs import DataSourceSpec, SourceContext
from automl.testing.params import check_params

if TYPE_CHECKING:
    import pandas as pd

    from automl.params import Params

__all__ = ["check_data_source_spec"]


def check_data_source_spec(
    spec: DataSourceSpec,
    params: Mapping[str, Any] | Params,
    *,
    base_dir: str | os.PathLike[str] | None = None,
    bad_params: Sequence[Mapping[str, Any]] = (),
) -> pd.DataFrame:
    """Check a data source record: its params model and what its factory returns and raises.

    ``params`` (as a recipe writes them under ``data.source``, without ``type``) must validate;
    the params model must reject an unknown key and its instances must be frozen; the factory,
    given them and a :class:`~automl.SourceContext` for ``base_dir`` (default: the current
    folder), must return a ``pandas.DataFrame`` with rows, columns and no duplicate column name.
    Each entry of ``bad_params`` is valid parameters that point at unusable data (a missing file,
    an empty table, a wrong table name): the factory must raise :class:`~automl.DataError` with a
    message, which is what the user sees (``Error: <message>``, exit code 5).

    Returns:
        The table the source read, for further checks of its content.
    """
    import pandas as pd

    assert isinstance(spec, DataSourceSpec), f"expected a DataSourceSpec, got {type(spec).__name__}"
    label = f"data source {spec.name!r}"
    context = SourceContext(base_dir=Path(base_dir) if base_dir is not None else Path.cwd())
    frame = spec.factory(check_params(spec, params), context)
    assert isinstance(frame, pd.DataFrame), (
        f"{label}: factory returned {type(frame).__name__}, not a pandas DataFrame"
    )
    assert frame.shape[1] > 0, f"{label}: the table has no columns"
    assert len(frame) > 0, f"{label}: the table has no rows (raise DataError for empty data)"
    duplicated = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
    assert not duplicated, f"{label}: duplicate column names {duplicated}; a recipe names columns"
    for values in bad_params:
        _check_reports_bad_data(spec, check_params(spec, values), context, values)
    return frame


def _check_reports_bad_data(
    spec: DataSourceSpec, params: Params, context: SourceContext, values: Mapping[str, Any]
) -> None:
    label = f"data source {spec.name!r}"
    try:
        result = spec.factory(params, context)
    except DataError as exc:
        message = str(exc)
    except Exception as exc:
        raise AssertionError(
            f"{label}: {dict(values)} raised {type(exc).__name__}: {exc}. Report data the user "
            "can fix by raising automl.DataError with a message saying what is wrong and how to "
            "fix it; any other exception reaches the user as a failure of the plugin"
        ) from exc
    else:
        raise AssertionError(
            f"{label}: {dict(values)} should raise DataError, but returned {type(result).__name__}"
        )
    assert message.strip(), f"{label}: DataError without a message for {dict(values)}"
