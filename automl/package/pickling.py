"""The pickled pipeline: writing it (recording the modules it needs) and unpickling it."""

from __future__ import annotations

import io
import pickle
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from automl.atomic import write_bytes_durable
from automl.errors import PackageError
from automl.package.layout import PICKLE_PROTOCOL, REQUIREMENTS_FILE


class _RecordingPickler(pickle.Pickler):
    """A pickler that records the top-level module of every class and function it saves."""

    def __init__(self, file: Any) -> None:
        super().__init__(file, protocol=PICKLE_PROTOCOL)
        self.modules: set[str] = set()

    def persistent_id(self, obj: Any) -> None:
        module = getattr(obj, "__module__", None) if _by_name(obj) else type(obj).__module__
        if isinstance(module, str):
            self.modules.add(module.partition(".")[0])


def _by_name(obj: Any) -> bool:
    """Whether pickle saves ``obj`` as a reference to its module and name: a class or a
    function, Python's, a builtin or a compiled Cython one (whose type lives in Cython's shared
    ``_cython_3_x`` module, which no distribution provides)."""
    functions = type | types.FunctionType | types.BuiltinFunctionType
    return isinstance(obj, functions) or type(obj).__name__ == "cython_function_or_method"


class _Counter:
    """A file that keeps nothing but the number of bytes written to it."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, data: Any) -> None:
        self.size += memoryview(data).nbytes


def pickled_megabytes(obj: Any) -> float | None:
    """Megabytes ``obj`` takes pickled as a package pickles it, counted without a copy (arrays
    go out as buffers: 0.03 s for a 683 MB forest); ``None`` when it cannot be pickled (writing
    the package says why)."""
    counter = _Counter()
    try:
        pickle.dump(obj, counter, protocol=PICKLE_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError):
        return None
    return counter.size / 1e6


def write_pipeline(path: Path, pipeline: Any) -> set[str]:
    """Pickle ``pipeline`` to ``path`` durably; return the top-level modules it needs.

    Raises:
        PackageError: Something in the pipeline cannot be pickled.
    """
    # Pickled in memory first: the package is loaded back (the whole file read) right after
    # writing anyway, and one durable-write helper serves every file.
    buffer = io.BytesIO()
    pickler = _RecordingPickler(buffer)
    try:
        pickler.dump(pipeline)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        raise PackageError(
            f"the fitted pipeline ({type(pipeline).__name__}) cannot be pickled: {exc}. "
            "Every object in it must be picklable (no lambdas, local classes, open files "
            "or locks)."
        ) from exc
    write_bytes_durable(path, buffer.getvalue())
    return pickler.modules


def unpickle_pipeline(root: Path, content: bytes, requirements: Mapping[str, str]) -> Any:
    """Unpickle the pipeline of the package at ``root`` from its verified bytes.

    Raises:
        PackageError: A module the pipeline needs is not installed, or unpickling fails
            (the message names the versions in ``requirements`` it was written with).
    """
    try:
        # Safe only because the bytes were verified against CHECKSUMS.sha256 and the package
        # comes from a trusted source (see the automl.package docstring).
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
