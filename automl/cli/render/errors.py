"""Error messages and tracebacks, on standard error."""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING

from rich.text import Text

if TYPE_CHECKING:
    from rich.console import Console

    from automl.errors import AutomlError


def render_traceback(console: Console, exc: BaseException) -> None:
    """The full Python traceback of ``exc``, printed as it is (no markup, no wrapping)."""
    console.print(
        "".join(traceback.format_exception(exc)), markup=False, highlight=False, soft_wrap=True
    )


def render_error(console: Console, exc: AutomlError, *, debug: bool = False) -> None:
    """``Error: <message>``; with ``debug``, the traceback first, else a hint to ask for it."""
    if debug:
        render_traceback(console, exc)
    lines = str(exc).splitlines() or [type(exc).__name__]
    console.print(Text("Error: ", style="bold red") + Text(lines[0]), soft_wrap=True)
    for line in lines[1:]:
        console.print(Text(line), soft_wrap=True)
    if not debug:
        console.print(Text("(run with --debug to see the traceback)", style="dim"))
