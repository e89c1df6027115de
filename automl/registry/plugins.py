"""Who provides what: plugin and component records, and the environment's plugin switches."""

from __future__ import annotations

import os
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
    """A component record together with the plugin that provided it."""

    spec: ComponentSpec
    plugin: PluginInfo

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
