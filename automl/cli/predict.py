"""``automl predict``: predictions of a model package for the rows of a CSV or Parquet file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    import pandas as pd

_CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".csv.xz", ".csv.zip", ".csv.zst")
_PARQUET_SUFFIXES = (".parquet", ".pq")


def table_format(path: Path) -> str | None:
    """``csv`` or ``parquet`` by the file name's extension, or ``None`` for neither."""
    name = path.name.lower()
    if name.endswith(_CSV_SUFFIXES):
        return "csv"
    if name.endswith(_PARQUET_SUFFIXES):
        return "parquet"
    return None


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV or Parquet file (by extension) into a DataFrame.

    Raises:
        DataError: the file is missing, not a table file, empty or unreadable.
    """
    import pandas as pd

    from automl import DataError

    kind = table_format(path)
    if kind is None:
        raise DataError(f"cannot read {path}: the input must be a .csv or .parquet file")
    if not path.exists():
        raise DataError(f"input file not found: {path}")
    if not path.is_file():
        raise DataError(f"cannot read {path}: not a file")
    try:
        if kind == "csv":
            return pd.read_csv(path)
        return pd.read_parquet(path)
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"cannot read {path}: the file is empty (no header row)") from exc
    except (OSError, ValueError, TypeError, UnicodeDecodeError, KeyError) as exc:
        raise DataError(f"cannot read {path} as {kind.upper()}: {exc}") from exc


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to a CSV or Parquet file (by extension), creating its folder.

    Raises:
        DataError: the file cannot be written.
    """
    from automl import DataError

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if table_format(path) == "csv":
            frame.to_csv(path, index=False)
        else:
            frame.to_parquet(path, index=False)
    except OSError as exc:
        raise DataError(f"cannot write {path}: {exc}") from exc


@click.command("predict")
@click.argument("model_dir", metavar="MODEL_DIR", type=click.Path(path_type=Path))
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this .csv or .parquet file instead of CSV on stdout.",
)
@click.option(
    "--proba", is_flag=True, help="Add a proba_<class> column per class (classification only)."
)
@click.option(
    "--keep",
    "keep",
    multiple=True,
    metavar="COLUMN",
    help="Copy this input column (such as an ID) into the output, before the predictions. "
    "Repeat for several columns.",
)
def predict_command(
    model_dir: Path, input_path: Path, output: Path | None, proba: bool, keep: tuple[str, ...]
) -> None:
    """Predict with a model package: one output row per row of INPUT (.csv or .parquet).

    MODEL_DIR is a model package (such as runs/<run>/model); its checksums are verified before
    it is loaded, so only use packages from a trusted source. INPUT needs the model's feature
    columns; other columns (such as the target) are ignored with a warning. The output has the
    --keep columns, a `prediction` column, plus one `proba_<class>` column per class with
    --proba. Categories never seen in training are counted and reported on standard error.
    """
    from automl import PackageError, load_model

    if output is not None and table_format(output) is None:
        raise click.BadParameter("must end in .csv or .parquet", param_hint="'-o' / '--output'")
    package = load_model(model_dir)
    if proba and package.classes is None:
        raise PackageError(
            f"--proba needs a classification model; {model_dir} holds a regression model "
            f"(target {package.target!r})"
        )
    result = package.predict_table(read_table(input_path), keep=keep, proba=proba)
    result = result.reset_index(drop=True)
    if output is None:
        click.echo(result.to_csv(index=False), nl=False)
        return
    write_table(result, output)
    from automl.cli.console import stderr_console
    from automl.cli.render.cells import plural

    wrote = plural(len(result), "prediction")
    stderr_console().print(f"Wrote {wrote} to {output}", markup=False)
