"""Column types: inferred from the values, overridable per column, and applied to the table.

Kinds:

``numeric``
    numbers (also numbers stored as text, which are converted);
``boolean``
    two values that read as true/false (``true``/``false``, ``yes``/``no``, ``y``/``n``, ``1``/``0``);
``datetime``
    dates and times (also written as text), turned into parts (year, month, day of week...);
``categorical``
    a limited set of labels;
``text``
    free text (many distinct values made of several words), turned into TF-IDF features;
``id``
    an identifier: a different value on (almost) every row; dropped;
``drop``
    dropped on request.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import pandas as pd

ColumnKind = Literal["numeric", "boolean", "datetime", "categorical", "text", "id", "drop"]
KINDS: tuple[str, ...] = ("numeric", "boolean", "datetime", "categorical", "text", "id", "drop")
USED_KINDS = frozenset({"numeric", "boolean", "datetime", "categorical", "text"})

PARSE_SHARE = 0.95
"""Share of non-missing text values that must parse for a column to count as numbers or dates."""
ID_SHARE = 0.95
"""Share of distinct values (of non-missing rows) from which a column looks like an identifier."""
MIN_ROWS_FOR_ID = 20
TEXT_MIN_WORDS = 4.0
"""Mean words per value from which a high-cardinality column is free text."""
TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "on"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "off"})
_ID_NAME = re.compile(r"(^|[_\W])(id|uuid|guid|key|code)$|^id[_\W]", re.IGNORECASE)
_DATE_SHAPE = re.compile(r"\d{1,4}[-/.:]\d{1,2}")


@dataclass(frozen=True)
class ColumnType:
    """The kind of one column and why it was chosen."""

    name: str
    kind: ColumnKind
    reason: str


@dataclass
class Conversion:
    """What converting a column to its kind did (values that could not be read become missing)."""

    column: str
    kind: ColumnKind
    failed: int = 0
    examples: list[str] = field(default_factory=list)
    infinite: int = 0
    """Numbers that were ``inf`` or ``-inf``, now missing (see :func:`finite`)."""
    infinite_rows: list[int] = field(default_factory=list)
    """The positions of those rows in the column."""


def _text_values(column: pd.Series) -> pd.Series:
    return column.dropna().astype(str).str.strip()


def read_numbers(values: pd.Series) -> pd.Series:
    """Numbers from text: surrounding spaces and thousands separators (``1,234``, ``1 234``)
    are allowed; anything else that does not read as a number becomes missing."""
    import pandas as pd

    cleaned = values.astype(str).str.strip().str.replace(r"(?<=\d)[ _,](?=\d{3}\b)", "", regex=True)
    return pd.to_numeric(cleaned, errors="coerce")


def _dates(values: pd.Series) -> pd.Series:
    import pandas as pd

    with warnings.catch_warnings():
        # Mixed formats are the point here; pandas warns when it cannot infer one format.
        warnings.simplefilter("ignore", UserWarning)
        return pd.to_datetime(values.astype(str).str.strip(), errors="coerce", format="mixed")


def infer_type(name: str, column: pd.Series) -> ColumnType:  # noqa: PLR0911 (a decision list)
    """Infer the kind of one feature column from its values."""
    import pandas as pd

    present = column.dropna()
    rows = len(present)
    if rows == 0:
        return ColumnType(name, "drop", "every value is missing")
    distinct = present.nunique()
    if distinct == 1:
        value = present.iloc[0]
        value = value.item() if hasattr(value, "item") else value  # 1.0, not np.float64(1.0)
        return ColumnType(name, "drop", f"constant (always {value!r})")
    if pd.api.types.is_bool_dtype(column):
        return ColumnType(name, "boolean", "true/false values")
    if pd.api.types.is_datetime64_any_dtype(column):
        return ColumnType(name, "datetime", "dates")
    if pd.api.types.is_numeric_dtype(column):
        if _looks_like_integer_id(name, present, distinct):
            return ColumnType(name, "id", "a different whole number on every row")
        return ColumnType(name, "numeric", "numbers")
    text = _text_values(column)
    lowered = text.str.lower()
    levels = set(lowered.unique())
    if (
        distinct == 2
        and levels <= TRUE_WORDS | FALSE_WORDS
        and levels & TRUE_WORDS
        and levels & FALSE_WORDS
    ):
        return ColumnType(
            name, "boolean", f"two values read as true/false ({', '.join(sorted(levels))})"
        )
    numbers = read_numbers(text)
    if numbers.notna().mean() >= PARSE_SHARE:
        if _looks_like_integer_id(name, numbers.dropna(), numbers.nunique()):
            return ColumnType(name, "id", "a different number on every row")
        return ColumnType(name, "numeric", "numbers stored as text")
    if (
        text.str.contains(_DATE_SHAPE).mean() >= PARSE_SHARE
        and _dates(text).notna().mean() >= PARSE_SHARE
    ):
        return ColumnType(name, "datetime", "dates stored as text")
    unique_share = distinct / rows
    words = text.str.split().map(len).mean()
    if rows >= MIN_ROWS_FOR_ID and unique_share >= ID_SHARE and words < 2:
        return ColumnType(name, "id", "a different value on every row")
    if words >= TEXT_MIN_WORDS and unique_share >= 0.5:
        return ColumnType(name, "text", f"free text ({words:.0f} words per value on average)")
    return ColumnType(name, "categorical", f"{distinct} labels")


def finite(values: pd.Series) -> pd.Series:
    """Numbers with ``inf`` and ``-inf`` replaced by missing values.

    An infinity is almost always a sentinel or a division by zero, and no model accepts it;
    as a missing value it is imputed and flagged by the missing-value indicator like any other.
    The model's preprocessing applies the same rule at predict time.
    """
    import numpy as np

    return values.where(~np.isinf(values.to_numpy(dtype=float)), np.nan)


def _looks_like_integer_id(name: str, values: pd.Series, distinct: int) -> bool:
    """Whole numbers, all different, and either named like an id or close to a running count."""
    rows = len(values)
    if rows < MIN_ROWS_FOR_ID or distinct < rows * ID_SHARE:
        return False
    if not (values == values.round()).all():
        return False
    span = float(values.max() - values.min()) + 1
    return bool(_ID_NAME.search(name)) or span <= 1.5 * rows


def infer_types(
    features: pd.DataFrame, overrides: Mapping[str, ColumnKind] | None = None
) -> dict[str, ColumnType]:
    """The kind of every feature column: the recipe's override, else inferred."""
    overrides = dict(overrides or {})
    types: dict[str, ColumnType] = {}
    for name in features.columns:
        key = str(name)
        if key in overrides:
            types[key] = ColumnType(key, overrides[key], "set in data.columns")
        else:
            types[key] = infer_type(key, features[name])
    return types


def convert(
    features: pd.DataFrame, types: Mapping[str, ColumnType]
) -> tuple[pd.DataFrame, list[Conversion]]:
    """Keep the used columns, each converted to its kind's dtype.

    Numbers become floats, true/false values booleans (missing stays missing), dates
    datetimes, labels and text trimmed strings. Values that cannot be read become missing and
    are counted per column, and so do infinite numbers (see :func:`finite`). Only columns with
    such values get a :class:`Conversion`.
    """
    import pandas as pd

    converted: dict[str, pd.Series] = {}
    conversions: list[Conversion] = []
    for name, column_type in types.items():
        if column_type.kind not in USED_KINDS:
            continue
        column = features[name]
        result, conversion = convert_column(column, column_type.kind)
        converted[name] = result
        if conversion.failed or conversion.infinite:
            conversions.append(conversion)
    return pd.DataFrame(converted, index=features.index), conversions


def convert_column(column: pd.Series, kind: ColumnKind) -> tuple[pd.Series, Conversion]:
    """One column converted to ``kind``; unreadable values become missing and are counted."""
    import numpy as np
    import pandas as pd

    name = str(column.name)
    missing_before = column.isna()
    infinite = np.zeros(len(column), dtype=bool)
    result: pd.Series  # its dtype depends on the kind
    if kind == "numeric":
        numbers = (
            column.astype(float)
            if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
            else read_numbers(column)
        )
        infinite = np.isinf(numbers.to_numpy(dtype=float))
        result = finite(numbers)
    elif kind == "boolean":
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            # 1.0/0.0 (a 0/1 column with missing values is read as floats): by value, not text.
            lowered = column.map(lambda v: "1" if v == 1 else "0" if v == 0 else str(v))
        else:
            lowered = column.astype(str).str.strip().str.lower()
        mapped = lowered.map(
            lambda v: True if v in TRUE_WORDS else False if v in FALSE_WORDS else None
        )
        result = mapped.where(~missing_before, None).astype("boolean")
    elif kind == "datetime":
        result = column if pd.api.types.is_datetime64_any_dtype(column) else _dates(column)
        if getattr(result.dt, "tz", None) is not None:
            result = result.dt.tz_convert(None)
    else:  # categorical, text
        result = (
            column.astype(object)
            .where(missing_before, column.astype(str).str.strip())
            .astype(object)
        )
        result = result.where(~missing_before, None)
    # Infinities are counted apart: they were read, and are missing on purpose.
    failed_mask = pd.Series(result).isna() & ~missing_before & ~infinite
    conversion = Conversion(
        column=name,
        kind=kind,
        infinite=int(infinite.sum()),
        infinite_rows=np.flatnonzero(infinite).tolist(),
    )
    conversion.failed = int(failed_mask.sum())
    conversion.examples = [str(v) for v in column[failed_mask].astype(str).unique()[:3]]
    return pd.Series(result, index=column.index, name=column.name), conversion
