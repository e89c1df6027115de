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
extra columns, column order, dtypes) before the pipeline sees it, and reports categories never
seen in training.

Security: ``data/pipeline.pkl`` is a pickle, and unpickling runs code chosen by whoever wrote
the file. Only load packages from a trusted source. The checksums detect corruption and files
changed after the package was written (in transit or on disk), as long as the checksum file
itself is intact; pass ``expected_digest`` (see :func:`package_digest`) to pin that too. They do
not protect against a malicious author, who can write valid checksums for any content.

Library code never prints: everything goes through the ``automl.package`` logger.

The modules of this package:

- ``layout``: the format version and the names of the package's files;
- ``write``: :func:`write_package`, which builds a package aside and renames it into place;
- ``load``: :func:`load_model`; ``model``: :class:`ModelPackage`;
- ``inputs``: coercion of input columns to the training dtypes at predict time;
- ``categories``: the categories the pipeline's encoders saw in training, and the input's new ones;
- ``examples``: the stored input example, written in the types of the users' data;
- ``checksums``: ``CHECKSUMS.sha256``, :func:`verify_package`, :func:`package_digest`;
- ``schema``: the feature schema; ``pyfunc``: the ``MLmodel`` file and the MLflow loader;
- ``environment``: ``requirements.txt``, ``python_env.yaml`` and version checks;
- ``pickling`` and ``jsontext``: the pickle and the JSON files;
- ``folder``: the checks before writing and the rename that puts a package in place (single
  files are written durably by :mod:`automl.atomic`).
"""

from __future__ import annotations

from automl.package.checksums import package_digest, verify_package
from automl.package.layout import CHECKSUMS_FILE, FORMAT_VERSION, PACKAGE_FILES, TASKS
from automl.package.load import load_model
from automl.package.model import ModelPackage
from automl.package.write import write_package
from automl.tasks import Task

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
