"""The environment a package needs: ``requirements.txt``, ``python_env.yaml``, version checks."""

from __future__ import annotations

import functools
import logging
import platform
import sys
from collections.abc import Mapping
from pathlib import Path

from automl.package.layout import REQUIREMENTS_FILE
from automl.version import __version__

logger = logging.getLogger("automl.package")

_BASE_REQUIREMENTS = ("automl", "numpy", "pandas", "scikit-learn")


@functools.cache
def module_distributions() -> Mapping[str, list[str]]:
    """Top-level module -> the installed distributions that provide it
    (:func:`importlib.metadata.packages_distributions`), read once per process: it reads every
    installed distribution's file list (0.4 s over automl's full install), and a run asks twice
    (the versions in ``run.json`` when xgboost is installed as ``xgboost-cpu``, then the
    package's requirements, when little of the time budget is left)."""
    from importlib import metadata

    return metadata.packages_distributions()


def distributions_of(modules: set[str]) -> set[str]:
    """The installed distributions that provide ``modules``, plus automl's base requirements.

    A module outside every distribution (not the standard library) is reported with a warning.
    """
    by_module = module_distributions()
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


def installed_versions(names: set[str]) -> dict[str, str]:
    """Distribution name -> installed version, sorted by name; uninstalled ones are skipped."""
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


def requirements_text(versions: Mapping[str, str]) -> str:
    """The ``requirements.txt`` pinning ``versions``; local labels (``+cpu``) are left out."""
    lines = [f"# Written by automl {__version__}: the versions the model was packaged with."]
    for name, version in versions.items():
        public = _public_version(version)
        if public != version:
            lines.append(f"# {name} was installed as the local build {version}")
        lines.append(f"{name}=={public}")
    return "\n".join(lines) + "\n"


def python_env_text() -> str:
    """The ``python_env.yaml`` for MLflow: this Python, the build tools, ``requirements.txt``."""
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


def warn_on_version_differences(root: Path, requirements: Mapping[str, str]) -> None:
    """Warn for each distribution installed at another version than the package was written with."""
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
