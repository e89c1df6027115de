"""What the ``automl`` group's options leave for every command."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from automl.registry import PluginRegistry


@dataclass
class CliState:
    """Options of the ``automl`` group, shared with every command.

    Attributes:
        debug: Show tracebacks and log at DEBUG level (``--debug``).
        verbose: How many ``-v`` were given.
        disabled: Plugins not to load (``--disable-plugin``).
    """

    debug: bool = False
    verbose: int = 0
    disabled: tuple[str, ...] = ()
    _registry: PluginRegistry | None = field(default=None, repr=False)

    def registry(self) -> PluginRegistry:
        """The plugin registry, discovered on first use."""
        if self._registry is None:
            from automl.registry import PluginRegistry

            self._registry = PluginRegistry.discover(disabled=self.disabled)
        return self._registry
