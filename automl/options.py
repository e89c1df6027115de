"""The named choices that the recipe schema, the command line and the search engine share.

Each list lives here once; the recipe's ``Literal`` types, the CLI's ``click.Choice`` and the
engine's factories derive from it.
"""

from __future__ import annotations

import enum

__all__ = ["Backend", "Pruner", "Sampler", "names"]


class Backend(enum.StrEnum):
    """Where trials run."""

    LOCAL = "local"
    RAY = "ray"


class Sampler(enum.StrEnum):
    """Optuna samplers a recipe can name (``search.sampler``)."""

    TPE = "tpe"
    RANDOM = "random"
    CMAES = "cmaes"
    GP = "gp"


class Pruner(enum.StrEnum):
    """Optuna pruners a recipe can name (``search.pruner``)."""

    MEDIAN = "median"
    HYPERBAND = "hyperband"
    NONE = "none"


def names(choices: type[enum.StrEnum]) -> list[str]:
    """The values of an option enum, in declaration order."""
    return [member.value for member in choices]
