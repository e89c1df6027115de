"""Collecting recipe problems: locations, line numbers, pydantic errors, secret redaction."""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ValidationError

from automl.errors import RecipeError, RecipeIssue, RecipePluginError
from automl.naming import did_you_mean
from automl.secrets import Scrubber

Loc = tuple[str | int, ...]

_MAX_ECHO = 80


def format_loc(loc: Loc) -> str:
    """``("models", 1, "params", "x")`` -> ``models[1].params.x``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


class IssueCollector:
    """Gathers every problem of one recipe, then raises them together.

    Args:
        source: The recipe file, for the error header.
        lines: A function from a location to its line in the file (or ``None``).
        secret_locs: Locations whose values came from the environment: never echoed.
        secret_values: Values from the environment: scrubbed from every message.
    """

    def __init__(
        self,
        source: str,
        lines: typing.Callable[[Loc], int | None] = lambda loc: None,
        secret_locs: Iterable[Loc] = (),
        secret_values: Iterable[str] = (),
    ) -> None:
        self.source = source
        self.issues: list[RecipeIssue] = []
        self._explained: set[Loc] = set()
        self._lines = lines
        self._secret_locs = set(secret_locs)
        self._scrubber = Scrubber(secret_values)
        self._plugin_problem = False

    def add(self, loc: Loc, message: str, *, plugin: bool = False) -> None:
        """Record a problem at ``loc`` (unless a root cause was already reported there).

        ``plugin`` marks a problem of the installation, not the recipe (a component that
        needs a library not installed, or a plugin that failed): the error then exits with 4.
        """
        if loc in self._explained:
            return
        self._plugin_problem = self._plugin_problem or plugin
        self.issues.append(RecipeIssue(format_loc(loc), self.scrub(message), self._lines(loc)))

    def add_root_cause(self, loc: Loc, message: str) -> None:
        """Record a problem whose consequences at ``loc`` should not be reported again."""
        self.add(loc, message)
        self._explained.add(loc)

    def is_secret(self, loc: Loc) -> bool:
        """Whether the value at ``loc`` holds (or is inside) an interpolated value."""
        return any(
            secret[: len(loc)] == loc or loc[: len(secret)] == secret
            for secret in self._secret_locs
        )

    def scrub(self, text: str) -> str:
        """Replace every interpolated value inside ``text`` with ``***``."""
        return self._scrubber(text)

    def echo(self, loc: Loc, value: Any) -> str:
        """`` (got X)`` for a scalar value, or a note that it came from the environment."""
        if self.is_secret(loc):
            return " (the value comes from the environment and is not shown)"
        if isinstance(value, dict | list):
            return ""
        text = repr(value)
        if len(text) > _MAX_ECHO:
            text = text[: _MAX_ECHO - 3] + "..."
        return f" (got {text})"

    def add_validation_error(
        self, error: ValidationError, prefix: Loc, model: type[BaseModel]
    ) -> None:
        """Record every error of a pydantic validation of ``model`` at ``prefix``."""
        for detail in error.errors(include_url=False):
            loc = tuple(detail["loc"])
            if (*prefix, *loc) in self._explained:
                continue
            self.add((*prefix, *loc), self._describe(detail, loc, model, prefix))

    def _describe(self, detail: Any, loc: Loc, model: type[BaseModel], prefix: Loc) -> str:
        kind = detail["type"]
        if kind == "missing":
            return "required key is missing"
        if kind == "extra_forbidden":
            allowed = _fields_at(model, loc[:-1])
            key = str(loc[-1]) if loc else "?"
            hint = did_you_mean(key, allowed)
            listed = f" Allowed keys: {', '.join(allowed)}." if allowed else ""
            return f"unknown key {key!r}.{hint}{listed}"
        message = str(detail["msg"])
        message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if kind == "literal_error" and isinstance(detail.get("input"), str):
            expected = re.findall(r"'([^']*)'", str(detail.get("ctx", {}).get("expected", "")))
            hint = did_you_mean(detail["input"], expected)
            message += f".{hint}" if hint else ""
        return message + self.echo((*prefix, *loc), detail.get("input"))

    def raise_if_any(self) -> None:
        """Raise a :class:`RecipeError` holding every problem collected, if there is one (a
        :class:`RecipePluginError` when one of them is a problem of the installation)."""
        if self.issues:
            ordered = sorted(
                self.issues, key=lambda issue: issue.line if issue.line is not None else 0
            )
            raise (RecipePluginError if self._plugin_problem else RecipeError)(self.source, ordered)


def _fields_at(model: type[BaseModel], loc: Loc) -> list[str]:
    annotation: Any = model
    for part in loc:
        annotation = _step(annotation, part)
        if annotation is None:
            return []
    found = _as_model(annotation)
    if found is None:
        return []
    return [field.alias or name for name, field in found.model_fields.items()]


def _as_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in _union_args(annotation):
        found = _as_model(arg)
        if found is not None:
            return found
    return None


def _union_args(annotation: Any) -> tuple[Any, ...]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, typing.Annotated):
        return typing.get_args(annotation)
    return ()


def _step(annotation: Any, part: str | int) -> Any:
    model = (
        annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    )
    if model is not None:
        field = model.model_fields.get(str(part))
        return field.annotation if field is not None else None
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (list, tuple, set, frozenset) and isinstance(part, int) and args:
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    for arg in _union_args(annotation):
        found = _step(arg, part)
        if found is not None:
            return found
    return None
