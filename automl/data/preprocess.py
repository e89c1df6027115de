"""The default preprocessing: one replaceable step in front of every model.

By column kind (see :mod:`automl.data.types`):

- numeric: infinities treated as missing, median imputation with missing-value indicators;
  standardised for models that declare ``needs_scaling``;
- boolean: 0/1, the most frequent value for missing ones, with a missing-value indicator;
- datetime: year, month, day, day of week, day of year (and hour when times vary), imputed;
- categorical: up to 20 levels one-hot encoded (levels seen fewer than 5 times grouped as
  infrequent); more levels target-encoded (cross-fitted, so the encoding never sees the row it
  encodes); unseen levels at predict time handled without error;
- text: TF-IDF of words (up to 300 terms per column).

The fitted step travels inside the model package, so predictions apply exactly the transforms
used in training. (This module imports scikit-learn: load it where models are built, not at
start-up.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sklearn.base import BaseEstimator, TransformerMixin

from automl.data.types import ColumnKind, finite

if TYPE_CHECKING:
    import pandas as pd

MAX_ONE_HOT_LEVELS = 20
"""Categorical columns with more levels than this are target-encoded."""
MISSING_LEVEL = "__missing__"
TEXT_TERMS = 300


def category_levels(features: pd.DataFrame, kinds: Mapping[str, ColumnKind]) -> dict[str, int]:
    """Distinct values of each categorical column."""
    return {
        name: int(features[name].nunique()) for name, kind in kinds.items() if kind == "categorical"
    }


def _as_text(frame: Any) -> Any:
    """Categorical columns as trimmed plain strings, missing values as one level."""
    import pandas as pd

    frame = pd.DataFrame(frame)
    text = frame.astype(object).where(frame.notna(), MISSING_LEVEL).astype(str)
    return text.apply(lambda column: column.str.strip())


def _as_float(frame: Any) -> Any:
    """Booleans (possibly with missing values) as 0.0/1.0/NaN."""
    import pandas as pd

    frame = pd.DataFrame(frame)
    return frame.apply(
        lambda column: pd.to_numeric(column.astype("boolean").astype("Float64"))
    ).astype(float)


def _finite(frame: Any) -> Any:
    """Numbers with ``inf``/``-inf`` as NaN, so that they are imputed and flagged as missing.

    Training data never holds infinities (preparation turns them into missing values with
    :func:`automl.data.types.finite`); rows given at predict time may.
    """
    import pandas as pd

    return pd.DataFrame(frame).astype(float).apply(finite)


def _as_document(column: Any) -> Any:
    """One text column as a list of strings (missing values empty)."""
    import pandas as pd

    series = pd.DataFrame(column).iloc[:, 0]
    return series.fillna("").astype(str).tolist()


class DatetimeParts(TransformerMixin, BaseEstimator):
    """Dates and times turned into numbers: year, month, day, day of week, day of year, hour.

    The hour is kept only when the training data has times of day. Missing or unreadable dates
    become NaN (imputed by the next step).
    """

    def fit(self, frame: Any, y: Any = None) -> DatetimeParts:
        import pandas as pd

        frame = pd.DataFrame(frame)
        self.columns_ = [str(c) for c in frame.columns]
        self.with_hour_ = {}
        for name in frame.columns:
            values = pd.to_datetime(frame[name], errors="coerce")
            self.with_hour_[str(name)] = bool((values.dt.hour.fillna(0) != 0).any())
        return self

    def transform(self, frame: Any) -> Any:
        import numpy as np
        import pandas as pd

        frame = pd.DataFrame(frame)
        parts = []
        for name in frame.columns:
            values = pd.to_datetime(frame[name], errors="coerce")
            if getattr(values.dt, "tz", None) is not None:
                values = values.dt.tz_convert(None)
            columns = [
                values.dt.year,
                values.dt.month,
                values.dt.day,
                values.dt.day_of_week,
                values.dt.day_of_year,
            ]
            if self.with_hour_.get(str(name)):
                columns.append(values.dt.hour)
            parts += [c.astype(float).to_numpy() for c in columns]
        return np.column_stack(parts) if parts else np.empty((len(frame), 0))

    def get_feature_names_out(self, input_features: Any = None) -> Any:
        import numpy as np

        names = []
        for name in self.columns_:
            suffixes = ["year", "month", "day", "dayofweek", "dayofyear"]
            if self.with_hour_.get(name):
                suffixes.append("hour")
            names += [f"{name}_{suffix}" for suffix in suffixes]
        return np.asarray(names, dtype=object)


def build_preprocessor(
    kinds: Mapping[str, ColumnKind], levels: Mapping[str, int], *, scale: bool
) -> Any:
    """A ColumnTransformer for the given column kinds (dense output).

    Args:
        kinds: Each used feature column's kind.
        levels: The number of distinct values of each categorical column.
        scale: Standardise the numeric results (for models that need it).
    """
    import numpy as np
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.impute import SimpleImputer
    from sklearn.model_selection import KFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import (
        FunctionTransformer,
        OneHotEncoder,
        StandardScaler,
        TargetEncoder,
    )

    def scaled(*steps: Any) -> Any:
        return make_pipeline(*steps, StandardScaler()) if scale else make_pipeline(*steps)

    by_kind: dict[str, list[str]] = {}
    for name, kind in kinds.items():
        by_kind.setdefault(kind, []).append(name)
    categorical = by_kind.get("categorical", [])
    few = [name for name in categorical if levels.get(name, 0) <= MAX_ONE_HOT_LEVELS]
    many = [name for name in categorical if levels.get(name, 0) > MAX_ONE_HOT_LEVELS]
    text = FunctionTransformer(_as_text, feature_names_out="one-to-one")
    steps: list[tuple[str, Any, Any]] = []
    if by_kind.get("numeric"):
        finite = FunctionTransformer(_finite, feature_names_out="one-to-one")
        imputer = SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)
        steps.append(("numeric", scaled(finite, imputer), by_kind["numeric"]))
    if by_kind.get("boolean"):
        as_float = FunctionTransformer(_as_float, feature_names_out="one-to-one")
        imputer = SimpleImputer(
            strategy="most_frequent", add_indicator=True, keep_empty_features=True
        )
        steps.append(("boolean", make_pipeline(as_float, imputer), by_kind["boolean"]))
    if by_kind.get("datetime"):
        imputer = SimpleImputer(strategy="median", keep_empty_features=True)
        steps.append(("datetime", scaled(DatetimeParts(), imputer), by_kind["datetime"]))
    if few:
        one_hot = OneHotEncoder(
            handle_unknown="infrequent_if_exist", min_frequency=5, sparse_output=False
        )
        steps.append(("one_hot", make_pipeline(text, one_hot), few))
    if many:
        # A fixed, shuffled split keeps the cross-fitting reproducible.
        encoder = TargetEncoder(cv=KFold(n_splits=5, shuffle=True, random_state=0))
        steps.append(("target_encoded", scaled(text, encoder), many))
    for name in by_kind.get("text", []):
        document = FunctionTransformer(_as_document, feature_names_out="one-to-one")
        tfidf = TfidfVectorizer(max_features=TEXT_TERMS, sublinear_tf=True, dtype=np.float64)
        steps.append((f"text_{name}", make_pipeline(document, tfidf), [name]))
    return ColumnTransformer(
        steps, remainder="drop", sparse_threshold=0.0, verbose_feature_names_out=False
    )


def build_pipeline(
    estimator: Any, kinds: Mapping[str, ColumnKind], levels: Mapping[str, int], *, scale: bool
) -> Any:
    """The preprocessing step followed by ``estimator``: predicts on raw rows."""
    from sklearn.pipeline import Pipeline

    return Pipeline(
        [("preprocess", build_preprocessor(kinds, levels, scale=scale)), ("model", estimator)]
    )
