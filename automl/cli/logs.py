"""Where the ``automl`` logger's records go while a command runs: standard error.

On a terminal they are drawn by rich; anywhere else (a CI log, ``nohup``, a file) they are plain
timestamped lines with no colour codes and no wrapping. A :class:`TerminalFilter` decides what
reaches standard error beyond the chosen level: the trial lines of a run when no live display
shows them, and nothing that a command already renders itself (the data profile).
"""

from __future__ import annotations

import logging
import sys

__all__ = ["PROFILE_LOGGER", "TRIAL_LOGGER", "TerminalFilter", "configure_logging"]

PROFILE_LOGGER = "automl.data.prepare"
"""The logger of the data profile's cleaning steps and warnings (the profile display shows them)."""
TRIAL_LOGGER = "automl.search.engine"
"""The logger of the search's one line per finished trial."""


class TerminalFilter(logging.Filter):
    """What the standard-error handler lets through.

    Args:
        level: The level asked for (``--debug``, ``-v``): records at or above it pass.

    Attributes:
        extra: Loggers whose INFO records pass even below ``level`` (the trial lines of a run
            without a live display).
        rendered: Loggers whose records the command draws itself, so they would show twice.
    """

    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level
        self.extra: set[str] = set()
        self.rendered: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        """Whether ``record`` is written to standard error."""
        if record.name in self.rendered:
            return False
        if record.levelno >= self.level:
            return True
        return record.levelno >= logging.INFO and record.name in self.extra


def configure_logging(level: int) -> TerminalFilter:
    """Send the ``automl`` logger to standard error at ``level``; returns the handler's filter.

    A run lowers the logger's level to write INFO lines to its ``run.log``; the filter, not the
    logger, decides what reaches standard error.
    """
    from automl.cli.console import stderr_console

    handler: logging.Handler
    console = stderr_console()
    if console.is_terminal:
        from rich.logging import RichHandler

        handler = RichHandler(console=console, show_time=False, show_path=False, markup=False)
    else:
        # Not a terminal: one plain line per record, as log collectors and `grep` expect.
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    terminal = TerminalFilter(level)
    handler.addFilter(terminal)
    logger = logging.getLogger("automl")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False
    return terminal
