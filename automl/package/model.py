"""The loaded package: :class:`ModelPackage` checks its input and predicts."""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from automl.errors import DataError, PackageError
from automl.package.categories import count_unseen, describe_unseen, known_categories
from automl.package.checksums import TRUST_HINT
from automl.package.inputs import coerce_column
from automl.package.layout import CHECKSUMS_FILE, INPUT_EXAMPLE_FILE, REFERENCE_FILE
from automl.package.schema import Feature, dtype_from_text

logger = logging.getLogger("automl.package")


class ModelPackage:
    """A loaded, verified model package.

    Get one with :func:`load_model`. :meth:`predict`, :meth:`predict_proba` and
    :meth:`predict_table` take a pandas DataFrame of raw feature columns, as in training; see
    :meth:`prepare_input` for the checks. Categories never seen in training are counted and
    reported as a warning on the ``automl.package`` logger (see :meth:`unseen_categories`).

    Attributes:
        path: The package folder.
        task: ``"binary"``, ``"multiclass"`` or ``"regression"``.
        target: The name of the target column in training.
        classes: The class labels in the order of :meth:`predict_proba`'s columns; ``None``
            for regression.
        features: The input columns in training order, each with its training dtype (as text,
            such as ``"float64"``, ``"str"`` or ``"bool"``).
        metadata: The contents of ``metadata.json``, as the engine wrote them.
        requirements: Distribution name -> version the package was written with.
        digest: sha256 of ``CHECKSUMS.sha256``: one value that pins the whole package.
        pipeline: The fitted pipeline itself.
    """

    def __init__(
        self,
        path: Path,
        pipeline: Any,
        schema: Mapping[str, Any],
        metadata: dict[str, Any],
        checksums: Mapping[str, str],
        digest: str,
    ) -> None:
        self.path = path
        self.pipeline = pipeline
        self.task: str = schema["task"]
        self.target: str = schema["target"]
        classes = schema.get("classes")
        self.classes: tuple[Any, ...] | None = None if classes is None else tuple(classes)
        self._features = tuple(Feature(**f) for f in schema["features"])
        self._dtypes = {f.name: dtype_from_text(f.dtype) for f in self._features}
        self.features: dict[str, str] = {f.name: f.dtype for f in self._features}
        self.metadata = metadata
        self.requirements: dict[str, str] = dict(schema.get("requirements", {}))
        self.digest = digest
        self._checksums = dict(checksums)

    def __repr__(self) -> str:
        return (
            f"ModelPackage(path={str(self.path)!r}, task={self.task!r}, target={self.target!r}, "
            f"features={len(self.features)})"
        )

    def prepare_input(self, data: Any) -> pd.DataFrame:
        """Check ``data`` and return exactly the frame the pipeline gets.

        - ``data`` must be a DataFrame (a mapping or a list of records is converted) with at
          least one row;
        - every feature column must be present (a :class:`DataError` lists all missing ones);
        - other columns, such as the target, are dropped with a warning;
        - columns are put in training order and converted to the training dtypes where possible
          (``"3.5"`` -> 3.5, ``"yes"`` -> True, integers -> strings for text columns); missing
          values stay missing; a value that cannot be converted is a :class:`DataError` naming
          the column and a few of the bad values.
        """
        frame = self._as_frame(data)
        names = [f.name for f in self._features]
        if frame.shape[0] == 0:
            raise DataError("the input is empty (no rows): there is nothing to predict")
        if frame.columns.has_duplicates:
            duplicated = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
            raise DataError(f"the input has duplicate column names: {', '.join(duplicated)}")
        present = set(frame.columns)
        missing = [name for name in names if name not in present]
        if missing:
            raise DataError(
                f"the input lacks {len(missing)} of the model's {len(names)} feature columns: "
                f"{', '.join(missing)} (expected the columns {', '.join(names)})"
            )
        wanted = set(names)
        extra = [str(c) for c in frame.columns if c not in wanted]
        if extra == [self.target]:
            logger.warning("Ignoring the target column %r: the model does not use it", self.target)
        elif extra:
            note = f" (including the target column {self.target!r})" if self.target in extra else ""
            logger.warning(
                "Ignoring %d input column%s the model does not use%s: %s",
                len(extra),
                "s" if len(extra) != 1 else "",
                note,
                ", ".join(extra),
            )
        columns: dict[str, pd.Series] = {}
        problems: list[str] = []
        for feature in self._features:
            values, bad = coerce_column(frame[feature.name], feature, self._dtypes[feature.name])
            if bad:
                problems.append(f"  - column {feature.name!r} (trained as {feature.dtype}): {bad}")
            columns[feature.name] = values
        if problems:
            raise DataError(
                "the input has values that cannot be converted to the model's column types:\n"
                + "\n".join(problems)
            )
        return pd.DataFrame(columns, index=frame.index)

    @cached_property
    def categories(self) -> dict[str, tuple[str, ...]]:
        """Categorical feature column -> the categories seen in training (sorted text), as the
        fitted pipeline's encoders know them; empty if the pipeline has no such encoders."""
        kinds = {f.name: f.kind for f in self._features}
        known = known_categories(self.pipeline, kinds)
        return {name: tuple(sorted(known[name])) for name in kinds if name in known}

    def unseen_categories(self, data: Any) -> dict[str, dict[str, int]]:
        """Count the categories in ``data`` never seen in training.

        Returns:
            Column -> {value: number of rows}, most frequent first, for each categorical column
            with such values (empty if there are none). Missing values are not counted.
        """
        return self._unseen(self.prepare_input(data))

    def predict(self, data: Any) -> pd.Series:
        """Predict: class labels for classification, values for regression.

        Returns a Series named ``prediction`` with the input's index.
        """
        features = self._checked(data)
        return self._predict(features)

    def predict_proba(self, data: Any) -> pd.DataFrame:
        """Class probabilities: one column per class (in :attr:`classes` order) per input row.

        Raises:
            PackageError: For a regression model, or a classifier without probabilities.
        """
        self._check_proba()
        return self._predict_proba(self._checked(data))

    def predict_table(
        self, data: Any, *, keep: Sequence[str] = (), proba: bool = False
    ) -> pd.DataFrame:
        """The output table of ``automl predict``: kept input columns, then the predictions.

        Args:
            data: The input rows (as for :meth:`predict`).
            keep: Input columns copied unchanged into the output, first and in this order
                (such as an ID column); they need not be feature columns.
            proba: Add one ``proba_<class>`` column per class (classification only).

        Returns:
            A DataFrame with the input's index: the ``keep`` columns, ``prediction``, and the
            probability columns with ``proba``.

        Raises:
            DataError: A kept column is missing from the input or has the name of an output
                column (and the checks of :meth:`prepare_input`).
            PackageError: ``proba`` for a regression model.
        """
        if proba:
            self._check_proba()
        frame = self._as_frame(data)
        kept = list(dict.fromkeys(keep))
        absent = [name for name in kept if name not in frame.columns]
        if absent:
            raise DataError(
                f"cannot keep the column{'s' if len(absent) != 1 else ''} "
                f"{', '.join(map(repr, absent))}: not in the input (its columns are "
                f"{', '.join(map(str, frame.columns))})"
            )
        outputs = ["prediction"]
        if proba and self.classes is not None:
            outputs += [f"proba_{label}" for label in self.classes]
        clashing = [name for name in kept if name in outputs]
        if clashing:
            raise DataError(
                f"cannot keep the column {clashing[0]!r}: the output has a column of that name; "
                "rename it in the input"
            )
        # Kept columns that the model does not use are not "ignored": no warning for them.
        passthrough = [name for name in kept if name not in self.features]
        features = self._checked(frame.drop(columns=passthrough))
        result = frame.loc[:, kept].copy()
        result["prediction"] = self._predict(features).to_numpy()
        if proba:
            probabilities = self._predict_proba(features)
            for label in probabilities.columns:
                result[f"proba_{label}"] = probabilities[label].to_numpy()
        return result

    def _checked(self, data: Any) -> pd.DataFrame:
        """:meth:`prepare_input`, then a warning per column with unseen categories."""
        features = self.prepare_input(data)
        for column, counts in self._unseen(features).items():
            logger.warning("%s", describe_unseen(column, counts))
        return features

    def _unseen(self, features: pd.DataFrame) -> dict[str, dict[str, int]]:
        known = {name: frozenset(values) for name, values in self.categories.items()}
        return count_unseen(features, known)

    def _check_proba(self) -> None:
        if self.classes is None:
            raise PackageError(
                f"{self.path} holds a regression model (target {self.target!r}): class "
                "probabilities exist only for binary and multiclass classification"
            )
        if not hasattr(self.pipeline, "predict_proba"):
            raise PackageError(f"the model in {self.path} does not provide class probabilities")

    def _predict(self, features: pd.DataFrame) -> pd.Series:
        predictions = np.asarray(self._call("predict", features))
        if predictions.ndim == 2 and predictions.shape[1] == 1:
            predictions = predictions.ravel()
        return pd.Series(predictions, index=features.index, name="prediction")

    def _predict_proba(self, features: pd.DataFrame) -> pd.DataFrame:
        assert self.classes is not None  # checked by _check_proba
        proba = np.asarray(self._call("predict_proba", features), dtype=float)
        if proba.ndim != 2 or proba.shape[1] != len(self.classes):
            raise PackageError(
                f"the model in {self.path} returned probabilities of shape {proba.shape}, "
                f"expected one column per class ({len(self.classes)})"
            )
        return pd.DataFrame(proba, index=features.index, columns=list(self.classes))

    def input_example(self) -> pd.DataFrame:
        """The input example stored in the package, with the training dtypes."""
        content = json.loads(self._read_verified(INPUT_EXAMPLE_FILE))
        frame = pd.DataFrame(content["data"], columns=content["columns"])
        return self.prepare_input(frame)

    def reference_sample(self) -> pd.DataFrame:
        """The drift reference: training rows including the target column."""
        return pd.read_parquet(io.BytesIO(self._read_verified(REFERENCE_FILE)))

    def _as_frame(self, data: Any) -> pd.DataFrame:
        if isinstance(data, pd.DataFrame):
            return data
        if isinstance(data, Mapping | list):
            try:
                return pd.DataFrame(data)
            except (TypeError, ValueError) as exc:
                raise DataError(f"cannot turn the input into a table: {exc}") from exc
        raise DataError(
            f"expected a pandas DataFrame with the columns {', '.join(self.features)}, "
            f"got {type(data).__name__}"
        )

    def _call(self, method: str, features: pd.DataFrame) -> Any:
        try:
            return getattr(self.pipeline, method)(features)
        except ValueError as exc:
            raise DataError(f"the model could not score the input: {exc}") from exc

    def _read_verified(self, relative: str) -> bytes:
        content = (self.path / relative).read_bytes()
        if hashlib.sha256(content).hexdigest() != self._checksums[relative]:
            raise PackageError(
                f"{self.path / relative}: the file does not match {CHECKSUMS_FILE}. {TRUST_HINT}"
            )
        return content
