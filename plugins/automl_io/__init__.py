"""Builtin data sources that read files with pandas.

Registered through the ``automl`` entry-point group like any third-party plugin. pandas is
imported only when a source is read, so discovery stays fast.
"""

from __future__ import annotations

from automl import DataSourceSpec, hookimpl
from automl_io.files import CsvParams, ParquetParams, read_csv, read_parquet


@hookimpl
def automl_register_data_sources() -> list[DataSourceSpec]:
    """The file sources: ``csv`` and ``parquet``."""
    return [
        DataSourceSpec(
            name="csv",
            description="A CSV file read with pandas.read_csv (path relative to the recipe)",
            factory=read_csv,
            params=CsvParams,
        ),
        DataSourceSpec(
            name="parquet",
            description="A Parquet file read with pandas.read_parquet (path relative to the recipe)",
            factory=read_parquet,
            params=ParquetParams,
        ),
    ]
