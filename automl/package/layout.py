"""What a model package holds: the format version, the names of its files and the tasks."""

from __future__ import annotations

from automl.tasks import Task

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

TASKS: tuple[str, ...] = tuple(task.value for task in Task)
"""The task names a package's ``data/schema.json`` may hold (the values of :class:`Task`)."""

PICKLE_PROTOCOL = 5
"""The pickle protocol of ``data/pipeline.pkl`` (recorded in the schema and ``MLmodel``)."""
