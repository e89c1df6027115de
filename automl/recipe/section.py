"""The base of every recipe section, and a value rule several sections share."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["RecipeSection", "auto_or_whole"]


class RecipeSection(BaseModel):
    """Base of every recipe section: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def auto_or_whole(value: Any, name: str, low: int, high: int | None = None) -> int | str:
    """``value`` as a key that takes ``auto`` or a whole number in ``[low, high]`` (a string of
    digits counts, as ``${ENV}`` interpolation gives one); a ``ValueError`` says the rule."""
    if value == "auto":
        return "auto"
    digits = isinstance(value, str) and value.strip().isdigit()
    if digits or (isinstance(value, float) and value.is_integer()):  # "5" from ${ENV}, or 5.0
        value = int(value)
    bounded = isinstance(value, int) and value >= low and (high is None or value <= high)
    if isinstance(value, bool) or not bounded:
        rule = f">= {low}" if high is None else f"from {low} to {high}"
        raise ValueError(f"{name} is 'auto' or a whole number {rule}")
    return int(value)
