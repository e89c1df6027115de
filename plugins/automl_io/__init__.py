"""Builtin data sources: files (local or remote), SQL databases, JSON APIs and public datasets.

Registered through the ``automl`` entry-point group like any third-party plugin. Each module
holds one topic's parameter models and readers; pandas, SQLAlchemy, fsspec, scikit-learn and
the like are imported only when a source is read, so discovery stays fast.
"""

from __future__ import annotations

from automl import DataSourceSpec, hookimpl
from automl_io.datasets import SklearnParams, read_sklearn
from automl_io.files import (
    CsvParams,
    JsonlParams,
    JsonParams,
    ParquetParams,
    TsvParams,
    read_csv,
    read_json,
    read_jsonl,
    read_parquet,
    read_tsv,
)
from automl_io.http import HttpParams, read_http
from automl_io.openml import OpenmlParams, read_openml
from automl_io.sql import SqlParams, read_sql

_WHERE = "a path relative to the recipe, or a URL: s3://, gs://, https://, file://"


@hookimpl
def automl_register_data_sources() -> list[DataSourceSpec]:
    """The sources: csv, tsv, parquet, json, jsonl, sql, http, sklearn, openml."""
    return [
        DataSourceSpec(
            name="csv",
            description=f"A CSV file read with pandas.read_csv ({_WHERE})",
            factory=read_csv,
            params=CsvParams,
        ),
        DataSourceSpec(
            name="tsv",
            description=f"A tab-separated file ({_WHERE})",
            factory=read_tsv,
            params=TsvParams,
        ),
        DataSourceSpec(
            name="parquet",
            description=f"A Parquet file read with pandas.read_parquet ({_WHERE})",
            factory=read_parquet,
            params=ParquetParams,
        ),
        DataSourceSpec(
            name="json",
            description=f"A JSON document, e.g. a list of records ({_WHERE})",
            factory=read_json,
            params=JsonParams,
        ),
        DataSourceSpec(
            name="jsonl",
            description=f"A JSON Lines file, one record per line ({_WHERE})",
            factory=read_jsonl,
            params=JsonlParams,
        ),
        DataSourceSpec(
            name="sql",
            description="A table or query from a SQL database (a SQLAlchemy URL, e.g. ${DATABASE_URL})",
            factory=read_sql,
            params=SqlParams,
            # SQLAlchemy is the `sql` extra; database drivers are the user's choice.
            requires=("sqlalchemy",),
            install="automl[sql]",
        ),
        DataSourceSpec(
            name="http",
            description="Records from a JSON API, all pages, with retries",
            factory=read_http,
            params=HttpParams,
        ),
        DataSourceSpec(
            name="sklearn",
            description="A dataset bundled with scikit-learn (iris, wine, breast_cancer, digits, diabetes)",
            factory=read_sklearn,
            params=SklearnParams,
        ),
        DataSourceSpec(
            name="openml",
            description="A dataset from openml.org by id or name, cached locally for offline runs",
            factory=read_openml,
            params=OpenmlParams,
        ),
    ]
