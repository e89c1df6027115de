"""The MLflow side of a package: the ``MLmodel`` file and the loader module MLflow imports."""

from __future__ import annotations

import json
import platform
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from automl.package.layout import (
    FORMAT_VERSION,
    INPUT_EXAMPLE_FILE,
    LOADER_MODULE,
    PICKLE_PROTOCOL,
    PIPELINE_FILE,
    PYTHON_ENV_FILE,
    SERVING_EXAMPLE_FILE,
)
from automl.package.schema import Feature
from automl.version import __version__

LOADER_SOURCE = '''\
"""MLflow pyfunc loader of an automl model package (written by automl; do not edit).

MLflow imports this module from the package's ``code`` folder and calls ``_load_pyfunc`` with
the package's ``data`` folder. Loading goes through ``automl.package.load_model`` on the package
root, which verifies CHECKSUMS.sha256 before it unpickles anything. The package must come from a
trusted source: the pickled pipeline is code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


_METHODS = ("predict", "predict_proba")


class AutomlPyfuncModel:
    """What MLflow calls: ``predict(model_input, params=None)`` returns the predictions.

    ``params={"predict_method": "predict_proba"}`` returns the class probabilities instead: a
    DataFrame with one column per class, named by the class.
    """

    def __init__(self, package: Any) -> None:
        self.package = package

    def predict(self, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        method = (params or {}).get("predict_method") or "predict"
        if method == "predict":
            return self.package.predict(model_input).to_numpy()
        if method == "predict_proba":
            return self.package.predict_proba(model_input)
        raise ValueError(
            f"params.predict_method must be one of {', '.join(_METHODS)}, not {method!r}"
        )


def _load_pyfunc(data_path: str) -> AutomlPyfuncModel:
    from automl.package import load_model

    return AutomlPyfuncModel(load_model(Path(data_path).resolve().parent))
'''
"""The source of ``code/automl_pyfunc.py``: self-contained, it imports only automl.package."""


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


def mlmodel_text(features: Sequence[Feature], classes: list[Any] | None, task: str) -> str:
    """The ``MLmodel`` file: the pyfunc and automl flavors, the signature, the input example."""
    import yaml

    inputs = [{"type": f.mlflow_type, "name": f.name, "required": True} for f in features]
    outputs = [{"type": _label_type(classes), "name": "prediction", "required": True}]
    # Declared so that MLflow (and `mlflow models serve`) accept the parameter.
    params = [{"name": "predict_method", "type": "string", "default": "predict", "shape": None}]
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
                "pickle_protocol": PICKLE_PROTOCOL,
            },
        },
        "model_uuid": uuid.uuid4().hex,
        "utc_time_created": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),
        "signature": {
            "inputs": json.dumps(inputs),
            "outputs": json.dumps(outputs),
            "params": json.dumps(params),
        },
        "saved_input_example_info": {
            "artifact_path": INPUT_EXAMPLE_FILE,
            "type": "dataframe",
            "pandas_orient": "split",
            "serving_input_path": SERVING_EXAMPLE_FILE,
        },
    }
    return yaml.safe_dump(document, sort_keys=False, default_flow_style=False)
