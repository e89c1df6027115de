"""What the ``automl`` group's options leave for every command."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from automl.cli.logs import TerminalFilter
    from automl.registry import PluginRegistry


@dataclass
class CliState:
    """Options of the ``automl`` group, shared with every command.

    Attributes:
        debug: Show tracebacks and log at DEBUG level (``--debug``).
        verbose: How many ``-v`` were given.
        disabled: Plugins not to load (``--disable-plugin``).
        terminal: What the log handler on standard error lets through (set by the group).
    """

    debug: bool = False
    verbose: int = 0
    disabled: tuple[str, ...] = ()
    terminal: TerminalFilter | None = field(default=None, repr=False)
    _registry: PluginRegistry | None = field(default=None, repr=False)

    def registry(self) -> PluginRegistry:
        """The plugin registry, discovered on first use."""
        if self._registry is None:
            from automl.registry import PluginRegistry

            self._registry = PluginRegistry.discover(disabled=self.disabled)
        return self._registry

    def render_profile_only(self) -> None:
        """The command draws the data profile: its steps and warnings are not logged as well."""
        from automl.cli.logs import PROFILE_LOGGER

        if self.terminal is not None:
            self.terminal.rendered.add(PROFILE_LOGGER)

    def show_trial_lines(self) -> None:
        """Write a line per finished trial to standard error (no live display shows them)."""
        from automl.cli.logs import TRIAL_LOGGER

        if self.terminal is not None:
            self.terminal.extra.add(TRIAL_LOGGER)
