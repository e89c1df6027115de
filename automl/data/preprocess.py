"""The default preprocessing: one replaceable step in front of every model.

Numeric columns: median imputation with missing-value indicators, standardised for models that
declare ``needs_scaling``. Other columns (text labels, booleans, categories): the most frequent
levels one-hot encoded, unseen or rare levels tolerated at predict time; columns with many levels
are ordinal-encoded instead. The fitted step travels inside the model package, so predictions
apply exactly the transforms used in training.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import pandas as pd

ColumnKind = Literal["numeric", "categorical"]

MAX_ONE_HOT_LEVELS = 20
"""Categorical columns with more levels than this are ordinal-encoded."""
MISSING_LEVEL = "__missing__"


def column_kinds(features: pd.DataFrame) -> dict[str, ColumnKind]:
    """Numeric for int/float columns (not booleans), categorical for everything else."""
    import pandas as pd

    kinds: dict[str, ColumnKind] = {}
    for name in features.columns:
        column = features[name]
        numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
        kinds[str(name)] = "numeric" if numeric else "categorical"
    return kinds


def _as_text(frame: Any) -> Any:
    """Categorical columns as plain object strings, missing values as one level."""
    import pandas as pd

    frame = pd.DataFrame(frame)
    return frame.astype(object).where(frame.notna(), MISSING_LEVEL).astype(str)


def build_preprocessor(
    kinds: Mapping[str, ColumnKind], levels: Mapping[str, int], *, scale: bool
) -> Any:
    """A ColumnTransformer for the given column kinds.

    Args:
        kinds: Each feature column's kind (see :func:`column_kinds`).
        levels: The number of distinct values of each categorical column.
        scale: Standardise the numeric columns.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import (
        FunctionTransformer,
        OneHotEncoder,
        OrdinalEncoder,
        StandardScaler,
    )

    numeric = [name for name, kind in kinds.items() if kind == "numeric"]
    categorical = [name for name, kind in kinds.items() if kind == "categorical"]
    few = [name for name in categorical if levels.get(name, 0) <= MAX_ONE_HOT_LEVELS]
    many = [name for name in categorical if levels.get(name, 0) > MAX_ONE_HOT_LEVELS]
    steps: list[tuple[str, Any, list[str]]] = []
    if numeric:
        numeric_steps: list[Any] = [
            SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)
        ]
        if scale:
            numeric_steps.append(StandardScaler())
        steps.append(("numeric", make_pipeline(*numeric_steps), numeric))
    text = FunctionTransformer(_as_text, feature_names_out="one-to-one")
    if few:
        one_hot = OneHotEncoder(
            handle_unknown="infrequent_if_exist", min_frequency=5, sparse_output=False
        )
        steps.append(("one_hot", make_pipeline(text, one_hot), few))
    if many:
        ordinal = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
        many_steps: list[Any] = [text, ordinal]
        if scale:
            many_steps.append(StandardScaler())
        steps.append(("ordinal", make_pipeline(*many_steps), many))
    return ColumnTransformer(steps, remainder="drop", verbose_feature_names_out=False)


def build_pipeline(
    estimator: Any, kinds: Mapping[str, ColumnKind], levels: Mapping[str, int], *, scale: bool
) -> Any:
    """The preprocessing step followed by ``estimator``: predicts on raw rows."""
    from sklearn.pipeline import Pipeline

    return Pipeline(
        [("preprocess", build_preprocessor(kinds, levels, scale=scale)), ("model", estimator)]
    )


def category_levels(features: pd.DataFrame, kinds: Mapping[str, ColumnKind]) -> dict[str, int]:
    """Distinct values of each categorical column."""
    return {
        name: int(features[name].nunique()) for name, kind in kinds.items() if kind == "categorical"
    }
