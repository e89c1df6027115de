"""The consoles of the command line: the only place that creates a rich ``Console``.

Renderers take a console as an argument, so tests and other front ends can pass their own.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console


def stdout_console() -> Console:
    """The console for results (tables, summaries): standard output."""
    from rich.console import Console

    console = Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        # Piped into a file or a pager: rich would assume 80 columns and squeeze tables.
        console = Console(highlight=False, width=160)
    return console


def stderr_console() -> Console:
    """The console for messages, progress and logs: standard error."""
    from rich.console import Console

    return Console(stderr=True, highlight=False)
