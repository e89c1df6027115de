"""Loading a package: :func:`load_model` verifies the checksums before it unpickles anything."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from automl.errors import PackageError
from automl.package.checksums import package_error, sha256_file, verify_checksums
from automl.package.environment import warn_on_version_differences
from automl.package.layout import (
    CHECKSUMS_FILE,
    FORMAT_VERSION,
    METADATA_FILE,
    PIPELINE_FILE,
    SCHEMA_FILE,
)
from automl.package.model import ModelPackage
from automl.package.pickling import unpickle_pipeline
from automl.version import __version__

logger = logging.getLogger("automl.package")


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
    if not (root / "MLmodel").exists() and (root / "model" / "MLmodel").exists():
        raise PackageError(f"{root} is a run directory; its model package is {root / 'model'}")
    checksums, kept = verify_checksums(root, keep=(SCHEMA_FILE, METADATA_FILE, PIPELINE_FILE))
    digest = sha256_file(root / CHECKSUMS_FILE)
    if expected_digest is not None and digest != expected_digest.lower():
        raise package_error(
            root, f"its digest is {digest}, not the expected {expected_digest.lower()}"
        )
    schema = _read_json(root, SCHEMA_FILE, kept[SCHEMA_FILE])
    _check_schema(root, schema)
    metadata = _read_json(root, METADATA_FILE, kept[METADATA_FILE])
    requirements = schema.get("requirements", {})
    warn_on_version_differences(root, requirements)
    pipeline = unpickle_pipeline(root, kept[PIPELINE_FILE], requirements)
    logger.debug("Loaded the model package %s (digest %s)", root, digest)
    return ModelPackage(root, pipeline, schema, metadata, checksums, digest)
