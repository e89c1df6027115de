"""Writing a package: :func:`write_package` builds it aside, checks it, then renames it in place."""

from __future__ import annotations

import io
import json
import logging
import os
import platform
import shutil
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from automl.atomic import fsync_dir, write_bytes_durable
from automl.errors import PackageError
from automl.package.checksums import checksums_text
from automl.package.environment import (
    distributions_of,
    installed_versions,
    python_env_text,
    requirements_text,
)
from automl.package.examples import back_to_training_types, in_input_types
from automl.package.folder import check_replaceable, replace_folder
from automl.package.inputs import coerce_string
from automl.package.jsontext import example_json, json_default, json_text
from automl.package.layout import (
    CHECKSUMS_FILE,
    FORMAT_VERSION,
    INPUT_EXAMPLE_FILE,
    LOADER_FILE,
    METADATA_FILE,
    MLMODEL_FILE,
    PICKLE_PROTOCOL,
    PIPELINE_FILE,
    PYTHON_ENV_FILE,
    REFERENCE_FILE,
    REQUIREMENTS_FILE,
    SCHEMA_FILE,
    SERVING_EXAMPLE_FILE,
)
from automl.package.load import load_model
from automl.package.pickling import write_pipeline
from automl.package.pyfunc import LOADER_SOURCE, mlmodel_text
from automl.package.schema import Feature, check_classes, check_frames
from automl.tasks import Task
from automl.version import __version__

logger = logging.getLogger("automl.package")


def _write_text(path: Path, text: str) -> None:
    write_bytes_durable(path, text.encode("utf-8"))


def _write_reference(path: Path, sample: pd.DataFrame) -> None:
    # Serialized in memory, then written durably like every other file of the package.
    buffer = io.BytesIO()
    try:
        sample.to_parquet(buffer, index=False)
    except (TypeError, ValueError):
        # pyarrow refuses object columns of mixed types; store those as text.
        mixed = [c for c in sample.columns if sample[c].dtype == object]
        logger.warning(
            "The reference sample's columns %s mix value types; they are stored as text",
            ", ".join(map(str, mixed)),
        )
        fixed = sample.copy()
        for column in mixed:
            fixed[column] = coerce_string(sample[column], np.dtype(object))
        buffer = io.BytesIO()
        fixed.to_parquet(buffer, index=False)
    write_bytes_durable(path, buffer.getvalue())


def _same_predictions(expected: Any, actual: Any, task: str) -> bool:
    expected_array = np.asarray(expected)
    if expected_array.ndim == 2 and expected_array.shape[1] == 1:
        expected_array = expected_array.ravel()
    actual_array = np.asarray(actual)
    if actual_array.ndim == 2 and actual_array.shape[1] == 1:
        actual_array = actual_array.ravel()
    if expected_array.shape != actual_array.shape:
        return False
    if task == "regression":
        return bool(
            np.allclose(
                expected_array.astype(float), actual_array.astype(float), rtol=1e-9, equal_nan=True
            )
        )
    return bool(np.all(expected_array == actual_array))


def _stored_example(
    pipeline: Any, example: pd.DataFrame, expected: Any, features: list[Feature], task: str
) -> pd.DataFrame:
    """The input example to store: ``example`` in the users' column types (see
    :mod:`automl.package.examples`), if those rows convert back to ``expected``, the
    pipeline's predictions for ``example``."""
    stored = in_input_types(example, features)
    back = back_to_training_types(stored, features)
    try:
        same = back is not None and _same_predictions(expected, pipeline.predict(back), task)
    except (TypeError, ValueError):
        same = False
    if not same:
        logger.warning(
            "The input example does not survive conversion to the input column types; it is "
            "stored with the training types (MLflow may refuse to replay it)"
        )
        return example
    return stored


def _build(
    folder: Path,
    *,
    pipeline: Any,
    task: str,
    target: str,
    classes: list[Any] | None,
    features: list[Feature],
    example: pd.DataFrame,
    reference_sample: pd.DataFrame,
    metadata_text: str,
) -> None:
    """Write every file of a package into ``folder``, ``CHECKSUMS.sha256`` last."""

    (folder / "data").mkdir()
    (folder / "code").mkdir()
    modules = write_pipeline(folder / PIPELINE_FILE, pipeline)
    versions = installed_versions(distributions_of(modules))
    schema = {
        "format_version": FORMAT_VERSION,
        "automl_version": __version__,
        "task": task,
        "target": target,
        "classes": classes,
        "features": [f.to_json() for f in features],
        "requirements": versions,
        "python_version": platform.python_version(),
        "pickle_protocol": PICKLE_PROTOCOL,
    }
    _write_text(folder / SCHEMA_FILE, json_text(schema, "schema"))
    _write_text(folder / METADATA_FILE, metadata_text)
    split = example_json(example)
    _write_text(folder / INPUT_EXAMPLE_FILE, json.dumps(split, default=json_default))
    serving = json.dumps({"dataframe_split": split}, indent=2, default=json_default)
    _write_text(folder / SERVING_EXAMPLE_FILE, serving + "\n")
    _write_reference(folder / REFERENCE_FILE, reference_sample)
    _write_text(folder / LOADER_FILE, LOADER_SOURCE)
    _write_text(folder / REQUIREMENTS_FILE, requirements_text(versions))
    _write_text(folder / PYTHON_ENV_FILE, python_env_text())
    _write_text(folder / MLMODEL_FILE, mlmodel_text(features, classes, task))
    _write_text(folder / CHECKSUMS_FILE, checksums_text(folder))
    for directory in (folder / "data", folder / "code", folder):
        fsync_dir(directory)


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
    input_dtypes: Mapping[str, Any] | None = None,
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
        input_dtypes: Feature column -> dtype of the users' data before any type conversion
            (such as ``raw_frame.dtypes`` of the frame read with ``pd.read_csv``). The MLflow
            signature declares these types, so that MLflow accepts the users' own frames: an
            int64 column is ``long`` even if the pipeline was trained on floats, a yes/no text
            column is ``string`` even if it was trained as booleans. The stored input example
            is written in these types. Columns not named here are declared by their training
            dtype (the default for all of them).

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
    labels = check_classes(task, classes)
    # Files hold the task's name: a Task member is written as its plain string value.
    task = Task(task).value
    example, features = check_frames(input_example, reference_sample, target, input_dtypes)
    metadata_text = json_text(dict(metadata), "metadata")

    final.parent.mkdir(parents=True, exist_ok=True)
    check_replaceable(final)
    # Not tempfile.mkdtemp: its folders are private (0700), a package gets the usual mode.
    temporary = final.with_name(f".{final.name}.tmp-{uuid.uuid4().hex[:12]}")
    temporary.mkdir()
    try:
        # Predicted once: an ensemble predicts through every member's pipeline.
        expected = pipeline.predict(example)
        _build(
            temporary,
            pipeline=pipeline,
            task=task,
            target=target,
            classes=labels,
            features=features,
            example=_stored_example(pipeline, example, expected, features, task),
            reference_sample=reference_sample,
            metadata_text=metadata_text,
        )
        reloaded = load_model(temporary)
        if not _same_predictions(expected, reloaded.predict(example), task):
            raise PackageError(
                "the written package does not reproduce the pipeline's predictions on the "
                "input example: the pipeline does not survive pickling"
            )
        replace_folder(temporary, final)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    logger.info("Wrote the model package %s", final)
    return final
