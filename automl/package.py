"""The model package: a fitted pipeline on disk that automl and MLflow can both load.

:func:`write_package` writes a folder that is at the same time automl's own format and a valid
MLflow ``python_function`` model, without importing mlflow::

    model/
      MLmodel                     MLflow's model file: pyfunc flavor, signature, input example
      code/automl_pyfunc.py       the pyfunc loader module; delegates to automl.package.load_model
      data/pipeline.pkl           the fitted pipeline (pickle)
      data/schema.json            task, target, classes, feature names and types, format version
      metadata.json               what the engine knows about the run (stored as given)
      input_example.json          a few training rows, MLflow's "split" orientation
      serving_input_example.json  the same rows as a request body for ``mlflow models serve``
      reference_sample.parquet    training rows (with the target): the drift reference
      requirements.txt            pinned versions of automl and the pipeline's libraries
      python_env.yaml             Python version and build tools for MLflow's virtualenv manager
      CHECKSUMS.sha256            sha256 of every other file (``sha256sum -c`` format), last

:func:`load_model` verifies ``CHECKSUMS.sha256`` before it reads anything else and returns a
:class:`ModelPackage`, whose :meth:`~ModelPackage.predict` checks its input (missing columns,
extra columns, column order, dtypes) before the pipeline sees it.

Security: ``data/pipeline.pkl`` is a pickle, and unpickling runs code chosen by whoever wrote
the file. Only load packages from a trusted source. The checksums detect corruption and files
changed after the package was written (in transit or on disk), as long as the checksum file
itself is intact; pass ``expected_digest`` (see :func:`package_digest`) to pin that too. They do
not protect against a malicious author, who can write valid checksums for any content.

Library code never prints: everything goes through the ``automl.package`` logger.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import os
import pickle
import platform
import re
import shutil
import sys
import types
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from automl import __version__
from automl.errors import DataError, PackageError

logger = logging.getLogger("automl.package")

FORMAT_VERSION = 1
"""Version of the package layout; :func:`load_model` refuses packages of a newer version."""

CHECKSUMS_FILE = "CHECKSUMS.sha256"
MLMODEL_FILE = "MLmodel"
LOADER_MODULE = "automl_pyfunc"
LOADER_FILE = f"code/{LOADER_MODULE}.py"
PIPELINE_FILE = "data/pipeline.pkl"
SCHEMA_FILE = "data/schema.json"
METADATA_FILE = "metadata.json"
INPUT_EXAMPLE_FILE = "input_example.json"
SERVING_EXAMPLE_FILE = "serving_input_example.json"
REFERENCE_FILE = "reference_sample.parquet"
REQUIREMENTS_FILE = "requirements.txt"
PYTHON_ENV_FILE = "python_env.yaml"

PACKAGE_FILES: tuple[str, ...] = (
    MLMODEL_FILE,
    LOADER_FILE,
    PIPELINE_FILE,
    SCHEMA_FILE,
    METADATA_FILE,
    INPUT_EXAMPLE_FILE,
    SERVING_EXAMPLE_FILE,
    REFERENCE_FILE,
    REQUIREMENTS_FILE,
    PYTHON_ENV_FILE,
)
"""Every file a package holds besides ``CHECKSUMS.sha256``; each must be listed there."""

Task = Literal["binary", "multiclass", "regression"]
TASKS: tuple[str, ...] = ("binary", "multiclass", "regression")

_PICKLE_PROTOCOL = 5
_BASE_REQUIREMENTS = ("automl", "numpy", "pandas", "scikit-learn")
_TRUST_HINT = (
    "The package was modified or is incomplete; do not use it. Use an intact copy from a "
    "trusted source (for example the model folder of the run that wrote it)."
)
_CHECKSUM_LINE = re.compile(r"^([0-9a-fA-F]{64}) [ *](.+)$")
_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})
_MAX_BAD_VALUES = 5

_LOADER_SOURCE = '''\
"""MLflow pyfunc loader of an automl model package (written by automl; do not edit).

MLflow imports this module from the package's ``code`` folder and calls ``_load_pyfunc`` with
the package's ``data`` folder. Loading goes through ``automl.package.load_model`` on the package
root, which verifies CHECKSUMS.sha256 before it unpickles anything. The package must come from a
trusted source: the pickled pipeline is code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class AutomlPyfuncModel:
    """What MLflow calls: ``predict(model_input, params=None)`` returns the predictions."""

    def __init__(self, package: Any) -> None:
        self.package = package

    def predict(self, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        return self.package.predict(model_input).to_numpy()


def _load_pyfunc(data_path: str) -> AutomlPyfuncModel:
    from automl.package import load_model

    return AutomlPyfuncModel(load_model(Path(data_path).resolve().parent))
'''


# --------------------------------------------------------------------------------------------
# Feature schema


@dataclass(frozen=True)
class _Feature:
    """One input column: its name, training dtype, coercion kind and MLflow type."""

    name: str
    dtype: str
    kind: str  # integer | float | boolean | datetime | string | other
    mlflow_type: str

    def to_json(self) -> dict[str, str]:
        return {
            "name": self.name,
            "dtype": self.dtype,
            "kind": self.kind,
            "mlflow_type": self.mlflow_type,
        }


def _describe_column(name: str, values: pd.Series, has_missing: bool) -> _Feature:
    """The feature description of a training column.

    MLflow types are chosen so that MLflow's schema enforcement accepts the frames our loader
    accepts as far as its type system allows: every integer width maps to ``long`` and every
    float width to ``double`` (the narrower ``integer`` and ``float`` would refuse 64-bit
    input); a nullable integer column (``Int64``) that holds missing values maps to ``double``,
    since ``long`` refuses NaN; object columns map to ``string``, which accepts any object
    column.
    """
    dtype = values.dtype
    api = pd.api.types
    if api.is_bool_dtype(dtype):
        kind, mlflow_type = "boolean", "boolean"
    elif api.is_integer_dtype(dtype):
        kind, mlflow_type = "integer", ("double" if has_missing else "long")
    elif api.is_float_dtype(dtype):
        kind, mlflow_type = "float", "double"
    elif api.is_datetime64_any_dtype(dtype):
        kind, mlflow_type = "datetime", "datetime"
    elif isinstance(dtype, pd.CategoricalDtype):
        inferred = api.infer_dtype(dtype.categories, skipna=True)
        kind, mlflow_type = ("string" if inferred in ("string", "empty") else "other"), "string"
    elif api.is_object_dtype(dtype):
        inferred = api.infer_dtype(values, skipna=True)
        if inferred in ("string", "empty"):
            kind, mlflow_type = "string", "string"
        elif inferred == "boolean":
            kind, mlflow_type = "boolean", "boolean"
        else:
            kind, mlflow_type = "other", "string"
    elif api.is_string_dtype(dtype):
        kind, mlflow_type = "string", "string"
    else:
        raise PackageError(
            f"cannot package a model whose input column {name!r} has the dtype {dtype}: "
            "supported are numbers, booleans, strings, categories and datetimes. Convert the "
            "column before training."
        )
    return _Feature(name=name, dtype=str(dtype), kind=kind, mlflow_type=mlflow_type)


def _pandas_dtype(text: str) -> Any:
    try:
        return pd.api.types.pandas_dtype(text)
    except TypeError:
        return np.dtype(object)


def _label_type(classes: Sequence[Any] | None) -> str:
    """The MLflow type of the ``prediction`` output."""
    if classes is None:
        return "double"
    if all(isinstance(c, bool) for c in classes):
        return "boolean"
    if all(isinstance(c, int) and not isinstance(c, bool) for c in classes):
        return "long"
    if all(isinstance(c, str) for c in classes):
        return "string"
    if all(isinstance(c, int | float) and not isinstance(c, bool) for c in classes):
        return "double"
    return "string"


# --------------------------------------------------------------------------------------------
# Input checking and coercion


def _sample(values: pd.Series) -> str:
    shown: list[str] = []
    for value in values:
        text = repr(value)
        if text not in shown:
            shown.append(text)
        if len(shown) == _MAX_BAD_VALUES:
            break
    return ", ".join(shown)


def _bad_values(values: pd.Series, mask: pd.Series | np.ndarray, what: tuple[str, str]) -> str:
    """``"2 values that are not numbers: 'abc', '?'"``; ``what`` is (singular, plural)."""
    count = int(np.sum(mask))
    if count == 1:
        return f"1 value that is not {what[0]}: {_sample(values[mask])}"
    return f"{count} values that are not {what[1]}: {_sample(values[mask])}"


def _blank_as_missing(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Object values with blank strings turned into NaN, stripped, and the missing mask."""
    raw = values.astype(object)
    blank = raw.map(lambda v: isinstance(v, str) and not v.strip()).astype(bool)
    missing = raw.isna() | blank
    cleaned = raw.where(~missing, np.nan).map(lambda v: v.strip() if isinstance(v, str) else v)
    return cleaned, missing


def _coerce_numeric(values: pd.Series, feature: _Feature, target: Any) -> tuple[pd.Series, str]:
    api = pd.api.types
    bad = ""
    if api.is_bool_dtype(values.dtype):
        numbers = values.astype("float64")
    elif api.is_numeric_dtype(values.dtype):
        numbers = values
    else:
        cleaned, missing = _blank_as_missing(values)
        numbers = pd.to_numeric(cleaned, errors="coerce")
        bad_mask = numbers.isna() & ~missing
        if bad_mask.any():
            bad = _bad_values(values, bad_mask, ("a number", "numbers"))
    if feature.kind == "integer":
        as_float = numbers.astype("float64")
        array = as_float.to_numpy()
        present = array[~np.isnan(array)]
        whole = bool(np.isfinite(present).all() and (present == np.floor(present)).all())
        nullable = isinstance(target, pd.api.extensions.ExtensionDtype)
        if whole and (nullable or len(present) == len(array)):
            try:
                return numbers.astype(target), bad
            except (TypeError, ValueError, OverflowError):
                return as_float, bad
        # Missing values in a numpy integer column, or fractions: the pipeline gets floats
        # (imputers handle NaN).
        return as_float, bad
    try:
        return numbers.astype(target), bad
    except (TypeError, ValueError):
        return numbers.astype("float64"), bad


def _to_bool(value: Any) -> bool | None:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.integer | np.floating) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return None


def _coerce_boolean(values: pd.Series, target: Any) -> tuple[pd.Series, str]:
    if pd.api.types.is_bool_dtype(values.dtype):
        converted = values
    else:
        cleaned, missing = _blank_as_missing(values)
        out: list[Any] = []
        bad_mask = np.zeros(len(values), dtype=bool)
        for i, (value, is_missing) in enumerate(zip(cleaned, missing, strict=True)):
            if is_missing:
                out.append(np.nan)
                continue
            flag = _to_bool(value)
            if flag is None:
                bad_mask[i] = True
                out.append(np.nan)
            else:
                out.append(flag)
        if bad_mask.any():
            return values, _bad_values(values, bad_mask, ("true/false", "true/false"))
        converted = pd.Series(out, index=values.index, dtype=object, name=values.name)
        if not missing.any():
            converted = converted.astype(bool)
    if converted.isna().any() and target == np.dtype(bool):
        # A numpy bool column cannot hold missing values: keep True/False/NaN as objects.
        return converted.astype(object), ""
    try:
        return converted.astype(target), ""
    except (TypeError, ValueError):
        return converted, ""


def _coerce_datetime(values: pd.Series, target: Any) -> tuple[pd.Series, str]:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        converted = values
    else:
        cleaned, missing = _blank_as_missing(values)
        converted = pd.to_datetime(cleaned, errors="coerce", format="mixed")
        bad_mask = converted.isna() & ~missing
        if bad_mask.any():
            return values, _bad_values(values, bad_mask, ("a date", "dates"))
    try:
        return converted.astype(target), ""
    except (TypeError, ValueError):
        return converted, ""


def _to_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _coerce_string(values: pd.Series, target: Any) -> pd.Series:
    raw = values.astype(object)
    missing = raw.isna()
    text = [np.nan if m else _to_text(v) for v, m in zip(raw, missing, strict=True)]
    converted = pd.Series(text, index=values.index, dtype=object, name=values.name)
    try:
        return converted.astype(target)
    except (TypeError, ValueError):
        return converted


def _coerce_column(values: pd.Series, feature: _Feature, target: Any) -> tuple[pd.Series, str]:
    """``values`` converted to the training dtype, and a description of unreadable values."""
    if feature.kind == "other" or values.dtype == target:
        return values, ""
    if feature.kind in ("integer", "float"):
        return _coerce_numeric(values, feature, target)
    if feature.kind == "boolean":
        return _coerce_boolean(values, target)
    if feature.kind == "datetime":
        return _coerce_datetime(values, target)
    return _coerce_string(values, target), ""


# --------------------------------------------------------------------------------------------
# The loaded package


class ModelPackage:
    """A loaded, verified model package.

    Get one with :func:`load_model`. :meth:`predict` and :meth:`predict_proba` take a pandas
    DataFrame of raw feature columns, as in training; see :meth:`prepare_input` for the checks.

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
        self._features = tuple(_Feature(**f) for f in schema["features"])
        self._dtypes = {f.name: _pandas_dtype(f.dtype) for f in self._features}
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
            values, bad = _coerce_column(frame[feature.name], feature, self._dtypes[feature.name])
            if bad:
                problems.append(f"  - column {feature.name!r} (trained as {feature.dtype}): {bad}")
            columns[feature.name] = values
        if problems:
            raise DataError(
                "the input has values that cannot be converted to the model's column types:\n"
                + "\n".join(problems)
            )
        return pd.DataFrame(columns, index=frame.index)

    def predict(self, data: Any) -> pd.Series:
        """Predict: class labels for classification, values for regression.

        Returns a Series named ``prediction`` with the input's index.
        """
        features = self.prepare_input(data)
        predictions = np.asarray(self._call("predict", features))
        if predictions.ndim == 2 and predictions.shape[1] == 1:
            predictions = predictions.ravel()
        return pd.Series(predictions, index=features.index, name="prediction")

    def predict_proba(self, data: Any) -> pd.DataFrame:
        """Class probabilities: one column per class (in :attr:`classes` order) per input row.

        Raises:
            PackageError: For a regression model, or a classifier without probabilities.
        """
        if self.classes is None:
            raise PackageError(
                f"{self.path} holds a regression model (target {self.target!r}): class "
                "probabilities exist only for binary and multiclass classification"
            )
        if not hasattr(self.pipeline, "predict_proba"):
            raise PackageError(f"the model in {self.path} does not provide class probabilities")
        features = self.prepare_input(data)
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
                f"{self.path / relative}: the file does not match {CHECKSUMS_FILE}. {_TRUST_HINT}"
            )
        return content


# --------------------------------------------------------------------------------------------
# Checksums


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _package_error(root: Path, detail: str) -> PackageError:
    return PackageError(f"{root}: {detail}. {_TRUST_HINT}")


def _read_checksums(root: Path) -> dict[str, str]:
    if not root.exists():
        raise PackageError(f"{root}: no model package here (the folder does not exist)")
    if not root.is_dir():
        raise PackageError(f"{root}: not a model package (a package is a folder)")
    checksum_path = root / CHECKSUMS_FILE
    if not checksum_path.is_file():
        raise _package_error(root, f"{CHECKSUMS_FILE} is missing")
    try:
        text = checksum_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _package_error(root, f"{CHECKSUMS_FILE} cannot be read ({exc})") from exc
    listed: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _CHECKSUM_LINE.match(line)
        if match is None:
            raise _package_error(root, f"{CHECKSUMS_FILE} line {number} is malformed")
        digest, relative = match.group(1).lower(), match.group(2)
        parts = Path(relative).parts
        if (
            Path(relative).is_absolute()
            or "\\" in relative
            or ".." in parts
            or relative == CHECKSUMS_FILE
            or relative in listed
        ):
            raise _package_error(
                root, f"{CHECKSUMS_FILE} line {number} lists an invalid path {relative!r}"
            )
        listed[relative] = digest
    return listed


def _verify(root: Path, keep: Sequence[str] = ()) -> tuple[dict[str, str], dict[str, bytes]]:
    """Check every listed file; return the checksums and the verified bytes of ``keep``."""
    listed = _read_checksums(root)
    for relative in PACKAGE_FILES:
        if relative not in listed:
            raise _package_error(root, f"{relative} is not listed in {CHECKSUMS_FILE}")
    kept: dict[str, bytes] = {}
    for relative, expected in listed.items():
        file = root / relative
        if not file.is_file():
            raise _package_error(root, f"{relative} is missing (it is listed in {CHECKSUMS_FILE})")
        if relative in keep:
            content = file.read_bytes()
            actual = hashlib.sha256(content).hexdigest()
            kept[relative] = content
        else:
            actual = _sha256_file(file)
        if actual != expected:
            raise _package_error(root, f"{relative} does not match its checksum")
    unlisted = [
        path.relative_to(root).as_posix()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.relative_to(root).parts
    ]
    unlisted = [p for p in unlisted if p != CHECKSUMS_FILE and p not in listed]
    if unlisted:
        logger.warning(
            "%s: ignoring %d file%s not listed in %s: %s",
            root,
            len(unlisted),
            "s" if len(unlisted) != 1 else "",
            CHECKSUMS_FILE,
            ", ".join(unlisted),
        )
    return listed, kept


def verify_package(path: str | os.PathLike[str]) -> tuple[str, ...]:
    """Check a package against its ``CHECKSUMS.sha256`` without loading it.

    Returns:
        The relative paths of the verified files.

    Raises:
        PackageError: The checksum file is missing or malformed, a package file is not
            listed, or a listed file is missing or differs from its checksum.
    """
    listed, _ = _verify(Path(path))
    return tuple(listed)


def package_digest(path: str | os.PathLike[str]) -> str:
    """sha256 of the package's ``CHECKSUMS.sha256``: record it to pin the whole package.

    ``load_model(path, expected_digest=...)`` then refuses any other content, including a
    package whose files and checksums were both rewritten.
    """
    file = Path(path) / CHECKSUMS_FILE
    if not file.is_file():
        raise _package_error(Path(path), f"{CHECKSUMS_FILE} is missing")
    return _sha256_file(file)


# --------------------------------------------------------------------------------------------
# Loading


def _read_json(root: Path, relative: str, content: bytes) -> Any:
    try:
        return json.loads(content)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PackageError(f"{root}: {relative} is not valid JSON ({exc})") from exc


def _check_schema(root: Path, schema: Any) -> None:
    if not isinstance(schema, dict) or not isinstance(schema.get("format_version"), int):
        raise PackageError(f"{root}: {SCHEMA_FILE} is not an automl package schema")
    version = schema["format_version"]
    if version > FORMAT_VERSION:
        raise PackageError(
            f"{root}: the package has format version {version}, written by automl "
            f"{schema.get('automl_version', '?')}; this automl ({__version__}) reads up to "
            f"version {FORMAT_VERSION}. Upgrade automl."
        )
    for key in ("task", "target", "features"):
        if key not in schema:
            raise PackageError(f"{root}: {SCHEMA_FILE} lacks the key {key!r}")


def _warn_on_version_differences(root: Path, requirements: Mapping[str, str]) -> None:
    from importlib import metadata

    for name, wanted in sorted(requirements.items()):
        try:
            installed = __version__ if name == "automl" else metadata.version(name)
        except metadata.PackageNotFoundError:
            continue  # unpickling reports a module that is really needed
        if installed != wanted:
            logger.warning(
                "%s was written with %s %s; this environment has %s %s (see %s)",
                root,
                name,
                wanted,
                name,
                installed,
                REQUIREMENTS_FILE,
            )


def _unpickle(root: Path, content: bytes, requirements: Mapping[str, str]) -> Any:
    try:
        # Safe only because the bytes were verified against CHECKSUMS.sha256 and the package
        # comes from a trusted source (see the module docstring).
        return pickle.loads(content)
    except ModuleNotFoundError as exc:
        raise PackageError(
            f"{root}: the model needs the Python module {exc.name!r}, which is not installed. "
            f"Install the package's requirements: pip install -r {root / REQUIREMENTS_FILE}"
        ) from exc
    except Exception as exc:
        written = ", ".join(f"{k} {v}" for k, v in sorted(requirements.items()))
        raise PackageError(
            f"{root}: the pickled pipeline cannot be loaded ({type(exc).__name__}: {exc}). "
            f"It was written with {written}; install the package's {REQUIREMENTS_FILE}."
        ) from exc


def load_model(path: str | os.PathLike[str], *, expected_digest: str | None = None) -> ModelPackage:
    """Load a model package written by :func:`write_package`.

    ``CHECKSUMS.sha256`` is verified before anything is unpickled: a missing checksum file, a
    package file that is not listed, a listed file that is missing or one that differs is
    refused. Files that are not listed are ignored with a warning.

    Only load packages from a trusted source: the pipeline is a pickle, and unpickling runs
    code. The checksums detect corruption and tampering after writing, not a malicious author.

    Args:
        path: The package folder.
        expected_digest: If given, the package's :func:`package_digest` must equal it.

    Raises:
        PackageError: The package is missing, incomplete, modified, of a newer format, or its
            pipeline cannot be unpickled here (for example a library is not installed).
    """
    root = Path(path)
    checksums, kept = _verify(root, keep=(SCHEMA_FILE, METADATA_FILE, PIPELINE_FILE))
    digest = _sha256_file(root / CHECKSUMS_FILE)
    if expected_digest is not None and digest != expected_digest.lower():
        raise _package_error(
            root, f"its digest is {digest}, not the expected {expected_digest.lower()}"
        )
    schema = _read_json(root, SCHEMA_FILE, kept[SCHEMA_FILE])
    _check_schema(root, schema)
    metadata = _read_json(root, METADATA_FILE, kept[METADATA_FILE])
    requirements = schema.get("requirements", {})
    _warn_on_version_differences(root, requirements)
    pipeline = _unpickle(root, kept[PIPELINE_FILE], requirements)
    logger.debug("Loaded the model package %s (digest %s)", root, digest)
    return ModelPackage(root, pipeline, schema, metadata, checksums, digest)


# --------------------------------------------------------------------------------------------
# Writing


class _RecordingPickler(pickle.Pickler):
    """A pickler that records the top-level module of every class and function it saves."""

    def __init__(self, file: Any) -> None:
        super().__init__(file, protocol=_PICKLE_PROTOCOL)
        self.modules: set[str] = set()

    def persistent_id(self, obj: Any) -> None:
        if isinstance(obj, type | types.FunctionType | types.BuiltinFunctionType):
            module = getattr(obj, "__module__", None)
        else:
            module = type(obj).__module__
        if isinstance(module, str):
            self.modules.add(module.partition(".")[0])


def _distributions_of(modules: set[str]) -> set[str]:
    from importlib import metadata

    by_module = metadata.packages_distributions()
    names = set(_BASE_REQUIREMENTS)
    for module in sorted(modules):
        if module in sys.stdlib_module_names or module in ("builtins", "__builtin__"):
            continue
        found = by_module.get(module)
        if found:
            names.update(found)
        elif module.startswith("automl"):
            names.add("automl")
        else:
            logger.warning(
                "The pipeline uses the module %r, which is not part of an installed "
                "distribution: the package loads only where %r can be imported",
                module,
                module,
            )
    return names


def _public_version(version: str) -> str:
    return version.split("+", 1)[0]


def _versions(names: set[str]) -> dict[str, str]:
    from importlib import metadata

    versions: dict[str, str] = {}
    for name in sorted(names, key=str.lower):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            if name == "automl":
                versions[name] = __version__
            else:
                logger.warning("Cannot pin %s: it is not installed as a distribution", name)
    return versions


def _requirements_text(versions: Mapping[str, str]) -> str:
    lines = [f"# Written by automl {__version__}: the versions the model was packaged with."]
    for name, version in versions.items():
        public = _public_version(version)
        if public != version:
            lines.append(f"# {name} was installed as the local build {version}")
        lines.append(f"{name}=={public}")
    return "\n".join(lines) + "\n"


def _python_env_text() -> str:
    from importlib import metadata

    import yaml

    build: list[str] = []
    for tool in ("pip", "setuptools", "wheel"):
        try:
            build.append(f"{tool}=={metadata.version(tool)}")
        except metadata.PackageNotFoundError:
            build.append(tool)
    document = {
        "python": platform.python_version(),
        "build_dependencies": build,
        "dependencies": [f"-r {REQUIREMENTS_FILE}"],
    }
    return yaml.safe_dump(document, sort_keys=False)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _finite(value: Any) -> Any:
    """``value`` with NaN and infinities replaced by None (strict JSON has neither)."""
    if isinstance(value, float | np.floating) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _json_text(value: Any, what: str) -> str:
    try:
        return json.dumps(value, indent=2, default=_json_default, allow_nan=False) + "\n"
    except ValueError:
        logger.warning("The %s hold NaN or infinite numbers; they are written as null", what)
        return json.dumps(_finite(value), indent=2, default=_json_default, allow_nan=False) + "\n"
    except TypeError as exc:
        raise TypeError(f"the {what} must be JSON-serializable: {exc}") from exc


def _check_classes(task: str, classes: Sequence[Any] | None) -> list[Any] | None:
    if task not in TASKS:
        raise ValueError(f"task must be one of {', '.join(TASKS)}, not {task!r}")
    if task == "regression":
        if classes is not None:
            raise ValueError("classes must be None for a regression model")
        return None
    if classes is None:
        raise ValueError(f"a {task} model needs its classes")
    labels = [c.item() if isinstance(c, np.generic) else c for c in classes]
    for label in labels:
        if not isinstance(label, str | int | float | bool) or (
            isinstance(label, float) and not math.isfinite(label)
        ):
            raise ValueError(f"class labels must be strings, integers or booleans, not {label!r}")
    if len(set(labels)) != len(labels):
        raise ValueError(f"the class labels are not unique: {labels}")
    if (task == "binary" and len(labels) != 2) or len(labels) < 2:
        raise ValueError(f"a {task} model cannot have {len(labels)} classes: {labels}")
    return labels


def _example_json(frame: pd.DataFrame) -> dict[str, Any]:
    values = frame.astype(object).where(frame.notna(), None)
    return {"columns": [str(c) for c in frame.columns], "data": values.to_numpy().tolist()}


def _write(path: Path, content: bytes | str) -> None:
    data = content.encode("utf-8") if isinstance(content, str) else content
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _write_pipeline(path: Path, pipeline: Any) -> set[str]:
    with path.open("wb") as handle:
        pickler = _RecordingPickler(handle)
        try:
            pickler.dump(pipeline)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            raise PackageError(
                f"the fitted pipeline ({type(pipeline).__name__}) cannot be pickled: {exc}. "
                "Every object in it must be picklable (no lambdas, local classes, open files "
                "or locks)."
            ) from exc
        handle.flush()
        os.fsync(handle.fileno())
    return pickler.modules


def _write_reference(path: Path, sample: pd.DataFrame) -> None:
    try:
        sample.to_parquet(path, index=False)
    except (TypeError, ValueError):
        # pyarrow refuses object columns of mixed types; store those as text.
        mixed = [c for c in sample.columns if sample[c].dtype == object]
        logger.warning(
            "The reference sample's columns %s mix value types; they are stored as text",
            ", ".join(map(str, mixed)),
        )
        fixed = sample.copy()
        for column in mixed:
            fixed[column] = _coerce_string(sample[column], np.dtype(object))
        fixed.to_parquet(path, index=False)


def _mlmodel_text(features: Sequence[_Feature], classes: list[Any] | None, task: str) -> str:
    import yaml

    inputs = [{"type": f.mlflow_type, "name": f.name, "required": True} for f in features]
    outputs = [{"type": _label_type(classes), "name": "prediction", "required": True}]
    document = {
        "flavors": {
            "python_function": {
                "loader_module": LOADER_MODULE,
                "code": "code",
                "data": "data",
                "env": {"virtualenv": PYTHON_ENV_FILE},
                "python_version": platform.python_version(),
            },
            "automl": {
                "format_version": FORMAT_VERSION,
                "automl_version": __version__,
                "task": task,
                "pipeline": PIPELINE_FILE,
                "pickle_protocol": _PICKLE_PROTOCOL,
            },
        },
        "model_uuid": uuid.uuid4().hex,
        "utc_time_created": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),
        "signature": {
            "inputs": json.dumps(inputs),
            "outputs": json.dumps(outputs),
            "params": None,
        },
        "saved_input_example_info": {
            "artifact_path": INPUT_EXAMPLE_FILE,
            "type": "dataframe",
            "pandas_orient": "split",
            "serving_input_path": SERVING_EXAMPLE_FILE,
        },
    }
    return yaml.safe_dump(document, sort_keys=False, default_flow_style=False)


def _checksums_text(root: Path) -> str:
    lines = []
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = file.relative_to(root).as_posix()
        if relative != CHECKSUMS_FILE:
            lines.append(f"{_sha256_file(file)}  {relative}\n")
    return "".join(lines)


def _check_replaceable(final: Path) -> None:
    if not final.exists():
        return
    if not final.is_dir():
        raise PackageError(f"cannot write a model package to {final}: it exists and is a file")
    is_package = (final / CHECKSUMS_FILE).exists() or (final / MLMODEL_FILE).exists()
    if not is_package and any(final.iterdir()):
        raise PackageError(
            f"cannot write a model package to {final}: the folder exists, is not empty and is "
            "not a model package; refusing to replace it"
        )


def _replace(temporary: Path, final: Path) -> None:
    if final.exists() or final.is_symlink():
        backup = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
        os.replace(final, backup)
        try:
            os.replace(temporary, final)
        except BaseException:
            os.replace(backup, final)
            raise
        shutil.rmtree(backup, ignore_errors=True)
    else:
        os.replace(temporary, final)
    _fsync_dir(final.parent)


def _same_predictions(expected: Any, actual: pd.Series, task: str) -> bool:
    expected_array = np.asarray(expected)
    if expected_array.ndim == 2 and expected_array.shape[1] == 1:
        expected_array = expected_array.ravel()
    actual_array = actual.to_numpy()
    if expected_array.shape != actual_array.shape:
        return False
    if task == "regression":
        return bool(
            np.allclose(
                expected_array.astype(float), actual_array.astype(float), rtol=1e-9, equal_nan=True
            )
        )
    return bool(np.all(expected_array == actual_array))


def _check_frames(
    input_example: Any, reference_sample: Any, target: str
) -> tuple[pd.DataFrame, list[_Feature]]:
    if not isinstance(input_example, pd.DataFrame) or input_example.shape[0] == 0:
        raise ValueError("input_example must be a DataFrame with at least one row")
    example = input_example
    if target in example.columns:
        logger.warning("The input example holds the target column %r; it is left out", target)
        example = example.drop(columns=[target])
    if example.shape[1] == 0:
        raise ValueError("input_example has no feature columns")
    if example.columns.has_duplicates or not all(isinstance(c, str) for c in example.columns):
        raise ValueError("input_example's column names must be unique strings")
    if not isinstance(reference_sample, pd.DataFrame):
        raise ValueError("reference_sample must be a DataFrame")
    absent = [c for c in example.columns if c not in reference_sample.columns]
    if absent:
        raise ValueError(f"reference_sample lacks the feature columns {', '.join(absent)}")
    features = [
        _describe_column(
            name,
            example[name],
            has_missing=bool(example[name].isna().any() or reference_sample[name].isna().any()),
        )
        for name in example.columns
    ]
    return example, features


def _build(
    folder: Path,
    *,
    pipeline: Any,
    task: str,
    target: str,
    classes: list[Any] | None,
    features: list[_Feature],
    example: pd.DataFrame,
    reference_sample: pd.DataFrame,
    metadata_text: str,
) -> None:
    """Write every file of a package into ``folder``, ``CHECKSUMS.sha256`` last."""
    (folder / "data").mkdir()
    (folder / "code").mkdir()
    modules = _write_pipeline(folder / PIPELINE_FILE, pipeline)
    versions = _versions(_distributions_of(modules))
    schema = {
        "format_version": FORMAT_VERSION,
        "automl_version": __version__,
        "task": task,
        "target": target,
        "classes": classes,
        "features": [f.to_json() for f in features],
        "requirements": versions,
        "python_version": platform.python_version(),
        "pickle_protocol": _PICKLE_PROTOCOL,
    }
    _write(folder / SCHEMA_FILE, _json_text(schema, "schema"))
    _write(folder / METADATA_FILE, metadata_text)
    split = _example_json(example)
    _write(folder / INPUT_EXAMPLE_FILE, json.dumps(split, default=_json_default))
    serving = json.dumps({"dataframe_split": split}, indent=2, default=_json_default)
    _write(folder / SERVING_EXAMPLE_FILE, serving + "\n")
    _write_reference(folder / REFERENCE_FILE, reference_sample)
    _write(folder / LOADER_FILE, _LOADER_SOURCE)
    _write(folder / REQUIREMENTS_FILE, _requirements_text(versions))
    _write(folder / PYTHON_ENV_FILE, _python_env_text())
    _write(folder / MLMODEL_FILE, _mlmodel_text(features, classes, task))
    _write(folder / CHECKSUMS_FILE, _checksums_text(folder))
    for directory in (folder / "data", folder / "code", folder):
        _fsync_dir(directory)


def write_package(
    path: str | os.PathLike[str],
    *,
    pipeline: Any,
    task: Task | str,
    target: str,
    classes: Sequence[Any] | None,
    input_example: pd.DataFrame,
    reference_sample: pd.DataFrame,
    metadata: Mapping[str, Any],
) -> Path:
    """Write a fitted pipeline as a model package folder at ``path``.

    The package is built in a temporary sibling folder and renamed into place at the end, so a
    failure never leaves a partial package under ``path``; an existing package at ``path`` is
    replaced (only once the new one is complete). Before the rename, the new package is loaded
    back and must reproduce ``pipeline.predict(input_example)``.

    Args:
        path: The package folder to write (its parent is created if needed).
        pipeline: A fitted object with ``predict(X)`` (and ``predict_proba(X)`` with columns in
            ``classes`` order for classification) taking a DataFrame of the raw feature columns.
        task: ``"binary"``, ``"multiclass"`` or ``"regression"``.
        target: The name of the target column.
        classes: The class labels (strings, integers or booleans); ``None`` for regression.
        input_example: A few rows of the raw feature columns with the exact training dtypes;
            its columns and dtypes define the package's input schema.
        reference_sample: Training rows including the target: the drift reference.
        metadata: JSON-serializable facts about the run, stored as given in metadata.json
            (NaN and infinities become null).

    Returns:
        The package folder.

    Raises:
        PackageError: The pipeline cannot be pickled, a column has an unsupported dtype, the
            written package does not reproduce the pipeline's predictions, or ``path`` exists
            and is not a model package.
        ValueError: An argument breaks the contract above (an unknown task, bad classes, an
            empty input example, a reference sample without the feature columns).
    """
    final = Path(path)
    labels = _check_classes(task, classes)
    example, features = _check_frames(input_example, reference_sample, target)
    metadata_text = _json_text(dict(metadata), "metadata")

    final.parent.mkdir(parents=True, exist_ok=True)
    _check_replaceable(final)
    # Not tempfile.mkdtemp: its folders are private (0700), a package gets the usual mode.
    temporary = final.with_name(f".{final.name}.tmp-{uuid.uuid4().hex[:12]}")
    temporary.mkdir()
    try:
        _build(
            temporary,
            pipeline=pipeline,
            task=task,
            target=target,
            classes=labels,
            features=features,
            example=example,
            reference_sample=reference_sample,
            metadata_text=metadata_text,
        )
        reloaded = load_model(temporary)
        if not _same_predictions(pipeline.predict(example), reloaded.predict(example), task):
            raise PackageError(
                "the written package does not reproduce the pipeline's predictions on the "
                "input example: the pipeline does not survive pickling"
            )
        _replace(temporary, final)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    logger.info("Wrote the model package %s", final)
    return final


__all__ = [
    "CHECKSUMS_FILE",
    "FORMAT_VERSION",
    "PACKAGE_FILES",
    "TASKS",
    "ModelPackage",
    "Task",
    "load_model",
    "package_digest",
    "verify_package",
    "write_package",
]
