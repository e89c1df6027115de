"""The deployer check, and a small real model package to deploy in tests."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from automl.specs import DeployerSpec
from automl.testing.params import check_params

if TYPE_CHECKING:
    from automl.params import Params

__all__ = ["check_deployer_spec", "write_example_package"]

# Exceptions that mean a bug in the deployer rather than a message for the user.
_BUG_TYPES = (AttributeError, IndexError, KeyError, NameError, TypeError, UnboundLocalError)


def write_example_package(path: str | os.PathLike[str]) -> Path:
    """Write a small, real model package at ``path`` and return its folder.

    A scikit-learn logistic regression for a binary target (``churned``: ``"no"``/``"yes"``)
    from two numeric features and one text feature, written the way ``automl run`` writes its
    ``model/`` folder (``MLmodel``, checksums, schema, ...). Takes about a second.
    """
    import numpy as np
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    from automl.package import write_package

    rng = np.random.default_rng(0)
    rows = 60
    frame = pd.DataFrame(
        {
            "age": rng.integers(18, 80, rows),
            "visits": rng.normal(5, 2, rows).round(1),
            "plan": rng.choice(["basic", "pro"], rows),
        }
    )
    frame["churned"] = np.where(frame["visits"] + (frame["plan"] == "pro") > 5.5, "no", "yes")
    features = ["age", "visits", "plan"]
    encode = ColumnTransformer(
        [("plan", OneHotEncoder(handle_unknown="ignore"), ["plan"])], remainder="passthrough"
    )
    pipeline = Pipeline([("encode", encode), ("model", LogisticRegression(max_iter=1000))])
    pipeline.fit(frame[features], frame["churned"])
    return write_package(
        path,
        pipeline=pipeline,
        task="binary",
        target="churned",
        classes=list(pipeline.classes_),
        input_example=frame[features].head(5),
        reference_sample=frame,
        metadata={"model": "logistic_regression", "example": True},
    )


def check_deployer_spec(
    spec: DeployerSpec,
    params: Mapping[str, Any] | Params,
    package_dir: str | os.PathLike[str] | None = None,
) -> str:
    """Check a deployer record: it deploys a package, leaves it unchanged, and fails clearly.

    ``params`` (as a recipe writes them under ``deploy:``, without ``type``) must validate; the
    params model must reject an unknown key and its instances must be frozen. Given a package
    folder that does not exist, the factory must raise an exception with a message (automl
    records it in ``run.json`` as ``"<type>: <message>"`` and the run goes on); an
    ``AttributeError``, ``KeyError``, ``TypeError`` and the like count as a bug, not a message.
    Given ``package_dir`` (default: one :func:`write_example_package` writes in a temporary
    folder), it must return where the model now lives (a non-empty ``str`` or path) and leave
    every file of the package as it was (packages are checksummed).

    Returns:
        The location the deployer returned, as text.
    """
    assert isinstance(spec, DeployerSpec), f"expected a DeployerSpec, got {type(spec).__name__}"
    validated = check_params(spec, params)
    with tempfile.TemporaryDirectory(prefix="automl-deployer-check-") as scratch:
        _check_missing_package(spec, validated, Path(scratch) / "no-such-package")
        folder = Path(package_dir) if package_dir is not None else None
        if folder is None:
            folder = write_example_package(Path(scratch) / "model")
        return _check_deploys(spec, validated, folder)


def _check_missing_package(spec: DeployerSpec, params: Params, missing: Path) -> None:
    label = f"deployer {spec.name!r}"
    try:
        result = spec.factory(missing, params)
    except _BUG_TYPES as exc:
        raise AssertionError(
            f"{label}: a missing package folder raised {type(exc).__name__}: {exc}, which "
            "reads like a bug; check the folder and raise an error saying what is missing"
        ) from exc
    except Exception as exc:
        kind, message = type(exc).__name__, str(exc).strip()
    else:
        raise AssertionError(
            f"{label}: deploying a package folder that does not exist returned {result!r} "
            "instead of raising an error"
        )
    assert message, f"{label}: a missing package folder raised {kind} without a message"


def _check_deploys(spec: DeployerSpec, params: Params, folder: Path) -> str:
    label = f"deployer {spec.name!r}"
    before = _digests(folder)
    assert before, f"{label}: {folder} holds no package to deploy"
    location = spec.factory(folder, params)
    assert isinstance(location, str | os.PathLike), (
        f"{label}: returned {type(location).__name__}; return where the model now lives "
        "(a path, URL or tag) as a str"
    )
    text = os.fspath(location)
    assert isinstance(text, str), f"{label}: returned a path of bytes, not text"
    assert text.strip(), f"{label}: returned an empty location"
    changed = sorted(
        name for name, digest in _digests(folder).items() if before.get(name) != digest
    )
    changed += sorted(set(before) - set(_digests(folder)))
    assert not changed, f"{label}: changed the package it deployed: {changed}; copy it instead"
    return text


def _digests(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
