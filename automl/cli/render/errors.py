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


def traceback_helps(exc: AutomlError) -> bool:
    """Whether the traceback tells more than the message: only when another exception (not a
    mistake in the command line or the recipe, which the message names in full) caused it."""
    from automl.errors import AutomlError, RecipeError, UsageError

    if isinstance(exc, RecipeError | UsageError):
        return False
    cause = exc.__cause__
    return cause is not None and not isinstance(cause, AutomlError)


def render_error(console: Console, exc: AutomlError, *, debug: bool = False) -> None:
    """``Error: <message>``; with ``debug``, the traceback first, else a hint to ask for it
    when the traceback would help (see :func:`traceback_helps`)."""
    if debug:
        render_traceback(console, exc)
    lines = str(exc).splitlines() or [type(exc).__name__]
    console.print(Text("Error: ", style="bold red") + Text(lines[0]), soft_wrap=True)
    for line in lines[1:]:
        console.print(Text(line), soft_wrap=True)
    if not debug and traceback_helps(exc):
        console.print(Text("(run with --debug to see the traceback)", style="dim"))
