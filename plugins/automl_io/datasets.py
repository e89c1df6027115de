"""The ``sklearn`` source: the small datasets bundled with scikit-learn (no download)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from automl import Params, SourceContext

if TYPE_CHECKING:
    import pandas as pd

SKLEARN_DATASETS = ("iris", "wine", "breast_cancer", "digits", "diabetes")
"""The datasets the ``sklearn`` source offers: the ones scikit-learn ships inside the package."""

TARGET = "target"
"""The name of the target column in every ``sklearn`` dataset."""


class SklearnParams(Params):
    """Parameters of the ``sklearn`` source."""

    name: Literal["iris", "wine", "breast_cancer", "digits", "diabetes"] = Field(
        description=(
            "iris, wine, breast_cancer, digits (classification) or diabetes (regression); "
            "the target column is named 'target'."
        )
    )
    class_names: bool = Field(
        default=True,
        description=(
            "Classification: put scikit-learn's class names in the target column "
            "(setosa, ...; malignant/benign) instead of the integer codes."
        ),
    )


def read_sklearn(params: SklearnParams, context: SourceContext) -> pd.DataFrame:
    """Load a scikit-learn toy dataset: its features plus a ``target`` column."""
    import numpy as np
    from sklearn import datasets

    loader = getattr(datasets, f"load_{params.name}")
    bunch = loader(as_frame=True)
    frame = bunch.frame.copy()
    names = getattr(bunch, "target_names", None)
    if params.class_names and names is not None and params.name != "diabetes":
        labels = np.asarray(names)
        frame[TARGET] = labels[frame[TARGET].to_numpy()]
    return frame
