"""File data sources: parameters and readers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from automl import DataError, Params, SourceContext

if TYPE_CHECKING:
    import pandas as pd

# Arguments automl sets itself; a recipe passing them in read_options would be ambiguous.
_RESERVED_OPTIONS = frozenset(
    {"filepath_or_buffer", "path", "path_or_buf", "iterator", "chunksize"}
)


class _FileParams(Params):
    path: str = Field(
        min_length=1, description="File path; relative paths resolve against the recipe's folder."
    )
    read_options: dict[str, Any] = Field(
        default_factory=dict,
        description="Extra keyword arguments for the pandas reader (e.g. sep, encoding, usecols).",
    )

    @field_validator("read_options")
    @classmethod
    def _no_reserved_options(cls, value: dict[str, Any]) -> dict[str, Any]:
        reserved = sorted(set(value) & _RESERVED_OPTIONS)
        if reserved:
            raise ValueError(
                f"read_options may not set {', '.join(reserved)}: automl sets them itself "
                "(use 'path' for the file)"
            )
        return value


class CsvParams(_FileParams):
    """Parameters of the ``csv`` source."""


class ParquetParams(_FileParams):
    """Parameters of the ``parquet`` source."""

    columns: list[str] | None = Field(default=None, description="Read only these columns.")

    @field_validator("read_options")
    @classmethod
    def _columns_not_in_options(cls, value: dict[str, Any]) -> dict[str, Any]:
        if "columns" in value:
            raise ValueError("set columns as data.source.columns, not inside read_options")
        return value


def _existing_file(params: _FileParams, context: SourceContext, source: str) -> Any:
    path = context.resolve_path(params.path)
    if not path.exists():
        raise DataError(
            f"{source} source: file not found: {path} (data.source.path is {params.path!r}, "
            f"relative paths resolve against {context.base_dir})"
        )
    if not path.is_file():
        raise DataError(f"{source} source: {path} is not a file (data.source.path)")
    return path


def read_csv(params: CsvParams, context: SourceContext) -> pd.DataFrame:
    """Read a CSV file into a DataFrame."""
    import pandas as pd

    path = _existing_file(params, context, "csv")
    try:
        return pd.read_csv(path, **params.read_options)
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"csv source: {path} is empty (no header row and no data)") from exc
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, TypeError) as exc:
        raise DataError(
            f"csv source: cannot parse {path}: {exc}. Check the file's format, or pass "
            "read_options (sep, encoding, ...) in data.source"
        ) from exc


def read_parquet(params: ParquetParams, context: SourceContext) -> pd.DataFrame:
    """Read a Parquet file into a DataFrame."""
    import pandas as pd

    path = _existing_file(params, context, "parquet")
    options = dict(params.read_options)
    if params.columns is not None:
        options["columns"] = params.columns
    try:
        return pd.read_parquet(path, **options)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise DataError(f"parquet source: cannot read {path} as Parquet: {exc}") from exc
