"""File sources (csv, tsv, parquet, json, jsonl): parameters and readers.

A ``path`` is a local file (relative paths resolve against the recipe's folder), a ``file://``
URL, or any URL fsspec understands (``s3://``, ``gs://``, ``https://``, ...), read with the
``storage_options`` given. pandas, fsspec and the storage drivers are imported only when a file
is read, so discovery stays fast.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import unquote, urlsplit

from pydantic import Field, field_validator, model_validator

from automl import DataError, Params, Scrubber, SourceContext
from automl_io.frames import require_rows
from automl_io.redact import is_url, safe_url, secret_values

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

# Arguments automl sets itself; a recipe passing them in read_options would be ambiguous.
_RESERVED_OPTIONS = frozenset(
    {
        "filepath_or_buffer",
        "path",
        "path_or_buf",
        "iterator",
        "chunksize",
        "storage_options",
        "nrows_per_chunk",
    }
)


class _FileParams(Params):
    path: str = Field(
        min_length=1,
        description=(
            "A file path (relative paths resolve against the recipe's folder) or a URL: "
            "file://, s3://, gs://, https://, ... (any fsspec protocol)."
        ),
    )
    read_options: dict[str, Any] = Field(
        default_factory=dict,
        description="Extra keyword arguments for the pandas reader (e.g. sep, encoding, usecols).",
    )
    storage_options: dict[str, Any] = Field(
        default_factory=dict,
        repr=False,
        description=(
            "Options for the URL's file system (fsspec), e.g. for s3:// key, secret, "
            "endpoint_url, client_kwargs; for https:// the request headers. Only with a URL."
        ),
    )

    # Options a particular format reserves besides the common ones: the message refusing each.
    format_reserved: ClassVar[dict[str, str]] = {}

    @field_validator("read_options")
    @classmethod
    def _no_reserved_options(cls, value: dict[str, Any]) -> dict[str, Any]:
        reserved = sorted(set(value) & _RESERVED_OPTIONS)
        if reserved:
            raise ValueError(
                f"read_options may not set {', '.join(reserved)}: automl sets them itself "
                "(use 'path' for the file and 'storage_options' for the file system)"
            )
        for key, message in cls.format_reserved.items():
            if key in value:
                raise ValueError(message)
        return value

    @model_validator(mode="after")
    def _storage_options_need_url(self) -> _FileParams:
        if self.storage_options and not is_url(self.path):
            raise ValueError(
                "storage_options apply to URLs only (s3://, gs://, https://, ...); "
                "remove them to read a local file"
            )
        return self


class CsvParams(_FileParams):
    """Parameters of the ``csv`` source."""


class TsvParams(_FileParams):
    """Parameters of the ``tsv`` source (tab-separated values)."""

    format_reserved: ClassVar[dict[str, str]] = {
        key: f"read_options may not set {key}: the tsv source always splits on tabs (use the "
        "csv source for another separator)"
        for key in ("sep", "delimiter")
    }


class ParquetParams(_FileParams):
    """Parameters of the ``parquet`` source."""

    columns: list[str] | None = Field(default=None, description="Read only these columns.")

    format_reserved: ClassVar[dict[str, str]] = {
        "columns": "set columns as data.source.columns, not inside read_options",
    }


class JsonParams(_FileParams):
    """Parameters of the ``json`` source (one JSON document, e.g. a list of records)."""

    format_reserved: ClassVar[dict[str, str]] = {
        "lines": "read_options may not set lines: use the jsonl source for JSON Lines "
        "(one record per line)",
    }


class JsonlParams(_FileParams):
    """Parameters of the ``jsonl`` source (JSON Lines: one record per line)."""

    format_reserved: ClassVar[dict[str, str]] = {
        "lines": "read_options may not set lines: the jsonl source always reads one record per "
        "line (use json for one document)",
    }


def read_csv(params: CsvParams, context: SourceContext) -> pd.DataFrame:
    """Read a CSV file into a DataFrame."""
    import pandas as pd

    return _read(params, context, "csv", "CSV", pd.read_csv, {}, "sep, encoding, decimal, ...")


def read_tsv(params: TsvParams, context: SourceContext) -> pd.DataFrame:
    """Read a tab-separated file into a DataFrame."""
    import pandas as pd

    return _read(
        params, context, "tsv", "TSV", pd.read_csv, {"sep": "\t"}, "encoding, quoting, ..."
    )


def read_parquet(params: ParquetParams, context: SourceContext) -> pd.DataFrame:
    """Read a Parquet file into a DataFrame."""
    import pandas as pd

    extra = {} if params.columns is None else {"columns": params.columns}
    return _read(params, context, "parquet", "Parquet", pd.read_parquet, extra, "")


def read_json(params: JsonParams, context: SourceContext) -> pd.DataFrame:
    """Read a JSON document (by default a list of records) into a DataFrame."""
    import pandas as pd

    return _read(params, context, "json", "JSON", pd.read_json, {}, "orient, dtype, ...")


def read_jsonl(params: JsonlParams, context: SourceContext) -> pd.DataFrame:
    """Read a JSON Lines file (one record per line) into a DataFrame."""
    import pandas as pd

    return _read(
        params, context, "jsonl", "JSON Lines", pd.read_json, {"lines": True}, "dtype, ..."
    )


def _read(
    params: _FileParams,
    context: SourceContext,
    source: str,
    label: str,
    reader: Callable[..., pd.DataFrame],
    fixed: dict[str, Any],
    options_hint: str,
) -> pd.DataFrame:
    location, shown = _locate(params, context, source)
    options: dict[str, Any] = {**params.read_options, **fixed}
    if isinstance(location, str) and params.storage_options:
        options["storage_options"] = params.storage_options
    scrub = Scrubber([*secret_values(params.storage_options), _password(params.path)])
    logger.debug("%s source: reading %s", source, shown)
    try:
        frame = reader(location, **options)
    except Exception as exc:
        raise _read_error(exc, source, label, shown, options_hint, scrub) from None
    hint = "" if source == "parquet" else f"Check the file, or pass read_options ({options_hint})"
    return require_rows(frame, source, shown, hint)


def _locate(params: _FileParams, context: SourceContext, source: str) -> tuple[Path | str, str]:
    """The file (a local path, or a URL for fsspec) and how to show it in messages."""
    if is_url(params.path):
        parts = urlsplit(params.path)
        if parts.scheme.lower() != "file":
            return params.path, safe_url(params.path)
        if parts.netloc not in ("", "localhost"):
            raise DataError(
                f"{source} source: file URLs name a local file (file:///absolute/path); "
                f"{safe_url(params.path)} names the host {parts.netloc!r}"
            )
        from urllib.request import url2pathname  # imports http.client: not at discovery

        path = Path(url2pathname(unquote(parts.path)))
        return _existing_file(path, params.path, context, source), str(path)
    path = _existing_file(context.resolve_path(params.path), params.path, context, source)
    return path, str(path)


def _existing_file(path: Path, written: str, context: SourceContext, source: str) -> Path:
    if not path.exists():
        raise DataError(
            f"{source} source: file not found: {path} (data.source.path is {written!r}, "
            f"relative paths resolve against {context.base_dir})"
        )
    if not path.is_file():
        raise DataError(f"{source} source: {path} is not a file (data.source.path)")
    return path


def _password(url: str) -> str | None:
    if not is_url(url):
        return None
    try:
        return urlsplit(url).password
    except ValueError:
        return None


def _read_error(
    exc: Exception, source: str, label: str, shown: str, options_hint: str, scrub: Scrubber
) -> DataError:
    """Turn whatever the reader raised into a DataError that says what to do."""
    import pandas as pd

    if isinstance(exc, DataError):
        return exc
    detail = scrub.error(exc)
    status = None
    if type(exc).__name__ == "HTTPError":  # pandas reads http(s) URLs with urllib
        status = getattr(exc, "code", None)
        # Duck-typed: any reader's HTTPError that holds the connection open has fp and close().
        close = getattr(exc, "close", None)
        if getattr(exc, "fp", None) is not None and callable(close):
            close()
    if isinstance(exc, ImportError):
        message = (
            f"cannot read {shown}: a package for this kind of URL is missing ({detail}); "
            'install it (pip install "automl[s3]" for s3://, pip install gcsfs for gs://)'
        )
    elif isinstance(exc, FileNotFoundError) or status == 404:
        message = f"not found: {shown} ({detail}); check data.source.path"
    elif isinstance(exc, PermissionError) or status in (401, 403):
        message = (
            f"access denied to {shown} ({detail}); check the credentials: storage_options "
            "(key, secret, token, ...) or the environment (e.g. AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY)"
        )
    elif isinstance(exc, pd.errors.EmptyDataError):
        message = f"{shown} is empty (no header row and no data)"
    elif isinstance(exc, pd.errors.ParserError | UnicodeDecodeError | ValueError | TypeError):
        fix = f", or pass read_options ({options_hint}) in data.source" if options_hint else ""
        message = f"cannot parse {shown} as {label}: {detail}. Check the file's format{fix}"
    else:
        message = (
            f"cannot read {shown}: {detail}. Check that the location is reachable and the "
            "storage_options (endpoint_url, credentials) are right"
        )
    return DataError(f"{source} source: {message}")
