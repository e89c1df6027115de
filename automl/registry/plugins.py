"""Who provides what: plugin and component records, and the environment's plugin switches."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from automl import hookspecs
from automl.errors import PluginError
from automl.specs import ComponentKind, ComponentSpec

__all__ = [
    "BUILTIN_DISTRIBUTION",
    "DISABLE_ENV",
    "ENTRY_POINT_GROUP",
    "NO_AUTOLOAD_ENV",
    "Component",
    "PluginInfo",
    "PluginProblem",
    "autoload_from_env",
    "describe_error",
    "disabled_from_env",
    "missing_modules",
]

ENTRY_POINT_GROUP = hookspecs.PROJECT_NAME
DISABLE_ENV = "AUTOML_DISABLE_PLUGINS"
NO_AUTOLOAD_ENV = "AUTOML_DISABLE_PLUGIN_AUTOLOAD"
BUILTIN_DISTRIBUTION = "automl"

SpecT = TypeVar("SpecT", bound=ComponentSpec)


@dataclass(frozen=True)
class PluginInfo:
    """Where a plugin comes from.

    Attributes:
        name: The plugin's name (its entry-point name), used by ``--disable-plugin``.
        distribution: The installed distribution that provides it (``None`` when registered
            in code).
        version: That distribution's version.
    """

    name: str
    distribution: str | None = None
    version: str | None = None

    @property
    def builtin(self) -> bool:
        """True for the plugins shipped inside the automl distribution."""
        return _normalise(self.distribution or "") == BUILTIN_DISTRIBUTION

    def __str__(self) -> str:
        if self.distribution is None:
            return f"plugin {self.name!r}"
        return f"plugin {self.name!r} (distribution {self.distribution} {self.version})"


@dataclass(frozen=True)
class PluginProblem:
    """A plugin failure that was isolated: the plugin (or one of its hooks) is left out.

    Attributes:
        plugin: The failing plugin.
        stage: What was being done: ``load``, ``register``, or the hook's name.
        error: What went wrong.
    """

    plugin: PluginInfo
    stage: str
    error: str

    def __str__(self) -> str:
        return f"{self.plugin} failed at {self.stage}: {self.error}"


@dataclass(frozen=True)
class Component:
    """A component record together with the plugin that provided it.

    Attributes:
        spec: The record the plugin registered.
        plugin: The plugin that registered it.
        missing: The modules of ``spec.requires`` that are not installed; when there are
            any, the component is unavailable (listed, but not usable).
    """

    spec: ComponentSpec
    plugin: PluginInfo
    missing: tuple[str, ...] = ()

    @property
    def available(self) -> bool:
        """Whether every module the component requires is installed."""
        return not self.missing

    @property
    def install_command(self) -> str:
        """The command that installs what the component requires: ``pip install "..."``."""
        target = self.spec.install or " ".join(self.missing or self.spec.requires)
        return f'pip install "{target}"'

    def unavailable_message(self) -> str:
        """Why the component cannot be used and what to install (it must be unavailable)."""
        modules = ", ".join(self.missing)
        verb = "is" if len(self.missing) == 1 else "are"
        return (
            f"{self.kind.label} {self.name!r} of {self.plugin} needs {modules}, which {verb} not "
            f"installed: {self.install_command}"
        )

    @property
    def kind(self) -> ComponentKind:
        """The component's kind."""
        return self.spec.kind

    @property
    def name(self) -> str:
        """The component's name."""
        return self.spec.name

    def spec_as(self, expected: type[SpecT]) -> SpecT:
        """The record as its kind's type (:class:`~automl.specs.ModelSpec` for a model, ...).

        Registration already checks each record's type, so this only fails when a component of
        one kind is used as another.

        Raises:
            PluginError: the record is not an ``expected``.
        """
        if not isinstance(self.spec, expected):
            raise PluginError(
                f"{self.kind.label} {self.name!r} ({self.plugin}) is not a {expected.kind.label}: "
                f"its record is a {type(self.spec).__name__}, not a {expected.__name__}"
            )
        return self.spec


def _normalise(distribution: str) -> str:
    return distribution.lower().replace("_", "-").replace(".", "-")


def disabled_from_env() -> list[str]:
    """Plugin names listed in ``AUTOML_DISABLE_PLUGINS`` (comma-separated)."""
    raw = os.environ.get(DISABLE_ENV, "")
    return [part.strip() for part in raw.split(",") if part.strip()]


def autoload_from_env() -> bool:
    """Whether third-party plugins load: false when ``AUTOML_DISABLE_PLUGIN_AUTOLOAD`` is set.

    ``1``, ``true``, ``yes`` and ``on`` (any case) switch autoloading off.
    """
    flag = os.environ.get(NO_AUTOLOAD_ENV, "").strip().lower()
    return flag not in {"1", "true", "yes", "on"}


def describe_error(exc: BaseException) -> str:
    """``"TypeName: message"`` for an exception a plugin raised (just the type without text)."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def missing_modules(modules: Iterable[str]) -> tuple[str, ...]:
    """The modules that cannot be found, in order; none of them is imported.

    ``importlib.util.find_spec`` only locates a top-level module, so checking every
    component's requirements at discovery costs microseconds, not the libraries' import time.
    """
    missing: list[str] = []
    for module in modules:
        try:
            found = importlib.util.find_spec(module) is not None
        except ValueError:  # imported already, by something that left __spec__ unset
            found = True
        except ImportError:
            found = False
        if not found:
            missing.append(module)
    return tuple(missing)
