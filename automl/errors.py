"""The exception tree and the command-line exit codes.

Every error that bad input can cause is an :class:`AutomlError`. The CLI prints such an error
as a short message (no traceback, unless ``--debug``) and exits with the error's
:attr:`~AutomlError.exit_code`. Any other exception is a bug in automl or a plugin and is shown
with its traceback.

::

    AutomlError                 exit 1 (generic)
    ├── UsageError              exit 2   the command line names something unusable
    ├── RecipeError             exit 3   the recipe file is missing, malformed or invalid
    │   └── RecipePluginError   exit 4   ... because a component it names is not installed
    ├── PluginError             exit 4   a plugin is broken, ambiguous or not installed
    ├── DataError               exit 5   the data cannot be read or is unusable
    ├── ExecutorError           exit 6   the search backend (local or Ray) failed
    ├── PackageError            exit 7   a model package is missing, tampered with or unusable
    └── ModelError              exit 8   every trial of the search failed (the models, not the backend)
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass


class ExitCode(enum.IntEnum):
    """Exit codes of the ``automl`` command, documented in ``automl --help`` and docs/cli.md."""

    OK = 0
    """Success."""
    ERROR = 1
    """An unexpected error (a bug): the traceback is shown."""
    USAGE = 2
    """The command line itself is wrong (unknown option, missing argument)."""
    RECIPE = 3
    """The recipe file is missing, is not valid YAML, or breaks the recipe schema."""
    PLUGIN = 4
    """A plugin is broken, ambiguous (duplicate names) or a needed one is not installed."""
    DATA = 5
    """The data cannot be read or cannot be used for the task."""
    EXECUTOR = 6
    """The search backend failed (for example a Ray cluster that cannot be reached)."""
    PACKAGE = 7
    """A model package is missing, incomplete, tampered with or incompatible."""
    MODEL = 8
    """Every trial failed: the models (or their parameters) do not work on this data."""
    INTERRUPTED = 130
    """Stopped by Ctrl-C or SIGTERM; what was computed so far is kept."""


EXIT_CODE_MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "success",
    ExitCode.ERROR: "unexpected error (a bug: the traceback is shown)",
    ExitCode.USAGE: "wrong command line (unknown option, missing argument)",
    ExitCode.RECIPE: "invalid recipe (missing file, bad YAML, schema violation)",
    ExitCode.PLUGIN: "plugin problem (a needed plugin is missing or broken)",
    ExitCode.DATA: "data problem (unreadable or unusable data)",
    ExitCode.EXECUTOR: "search backend failure (local or Ray)",
    ExitCode.PACKAGE: "model package problem (missing, tampered with, incompatible)",
    ExitCode.MODEL: "every trial failed (see `automl leaderboard RUN_DIR --failed`)",
    ExitCode.INTERRUPTED: "interrupted by Ctrl-C or SIGTERM (completed work is kept)",
}
"""One line per exit code, shown by ``automl --help``."""


class AutomlError(Exception):
    """Base class of every error caused by input the user can fix."""

    exit_code: ExitCode = ExitCode.ERROR


@dataclass(frozen=True)
class RecipeIssue:
    """One problem found in a recipe.

    Attributes:
        path: Dotted location inside the recipe, such as ``search.time_budget`` or
            ``models[1].params.max_depth``; empty for the whole document.
        message: What rule is broken and how to fix it.
        line: The line of the recipe file where the value is written, when known.
    """

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.path or "(recipe)"
        if self.line is not None:
            where += f" (line {self.line})"
        return f"{where}: {self.message}"


class UsageError(AutomlError):
    """The command line names something unusable (e.g. a folder that holds no run)."""

    exit_code = ExitCode.USAGE


class RecipeError(AutomlError):
    """A recipe that cannot be used; carries every problem found at once.

    Args:
        source: The recipe file (or another label for where the text came from).
        issues: The problems, each with its dotted path inside the recipe.
    """

    exit_code = ExitCode.RECIPE

    def __init__(self, source: str, issues: Sequence[RecipeIssue]) -> None:
        self.source = source
        self.issues: tuple[RecipeIssue, ...] = tuple(issues)
        count = len(self.issues)
        header = f"{source}: {count} problem{'s' if count != 1 else ''} in the recipe"
        super().__init__("\n".join([header, *(f"  - {issue}" for issue in self.issues)]))


class PluginError(AutomlError):
    """A plugin is broken, two plugins claim one name, or a needed component is missing."""

    exit_code = ExitCode.PLUGIN


class RecipePluginError(RecipeError, PluginError):
    """A recipe that names a component the installation cannot provide: a library it needs is
    not installed (the message has the ``pip install`` line), or a plugin that may provide it
    failed to load. Every problem of the recipe is listed; the exit code is the plugin one (4)."""

    exit_code = ExitCode.PLUGIN


class DataError(AutomlError):
    """The data cannot be read, or cannot be used for the task the recipe asks for."""

    exit_code = ExitCode.DATA


class ExecutorError(AutomlError):
    """The search backend (local or Ray) failed in a way the user must act on."""

    exit_code = ExitCode.EXECUTOR


class PackageError(AutomlError):
    """A model package is missing, incomplete, fails its checksums or cannot be loaded."""

    exit_code = ExitCode.PACKAGE


class ModelError(AutomlError):
    """Every trial failed: the models do not work on this data (the failures say why)."""

    exit_code = ExitCode.MODEL


__all__ = [
    "EXIT_CODE_MEANINGS",
    "AutomlError",
    "DataError",
    "ExecutorError",
    "ExitCode",
    "ModelError",
    "PackageError",
    "PluginError",
    "RecipeError",
    "RecipeIssue",
    "RecipePluginError",
    "UsageError",
]
