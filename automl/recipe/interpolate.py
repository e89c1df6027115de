"""``${VAR}`` interpolation from the environment.

``${VAR}`` is replaced by the variable's value, ``${VAR:-fallback}`` uses ``fallback`` when the
variable is unset or empty, and ``$${`` writes a literal ``${``. Interpolation applies to string
values (never to keys). Every interpolated value is treated as a secret: the locations that
received one are returned, so that nothing prints them back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from automl.recipe.issues import Loc

_PATTERN = re.compile(r"\$(\$)?\{([^}]*)\}")
_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class Interpolated:
    """The result of interpolation."""

    data: Any
    secret_locs: set[Loc] = field(default_factory=set)
    secret_values: set[str] = field(default_factory=set)
    issues: list[tuple[Loc, str]] = field(default_factory=list)


def interpolate(data: Any, env: Mapping[str, str]) -> Interpolated:
    """Replace ``${VAR}`` references in every string value of ``data``."""
    result = Interpolated(data=None)
    result.data = _walk(data, (), env, result)
    return result


def _walk(value: Any, loc: Loc, env: Mapping[str, str], result: Interpolated) -> Any:
    if isinstance(value, dict):
        return {key: _walk(item, (*loc, str(key)), env, result) for key, item in value.items()}
    if isinstance(value, list):
        return [_walk(item, (*loc, index), env, result) for index, item in enumerate(value)]
    if isinstance(value, str) and "${" in value:
        return _substitute(value, loc, env, result)
    return value


def _substitute(text: str, loc: Loc, env: Mapping[str, str], result: Interpolated) -> str:
    used_env = False

    def replace(match: re.Match[str]) -> str:
        nonlocal used_env
        if match.group(1):  # "$${...}" is an escaped literal
            return match.group(0)[1:]
        expression = match.group(2)
        name, has_default, default = expression.partition(":-")
        if not _VAR_NAME.fullmatch(name):
            result.issues.append(
                (
                    loc,
                    f"{match.group(0)!r} is not a valid reference: write ${{NAME}} or ${{NAME:-default}}",
                )
            )
            return match.group(0)
        value = env.get(name)
        if value is None or (has_default and value == ""):
            if has_default:
                return default
            result.issues.append(
                (
                    loc,
                    f"environment variable {name} is not set (referenced as ${{{name}}}); "
                    f"set it, or write ${{{name}:-default}}",
                )
            )
            return match.group(0)
        used_env = True
        if value:
            result.secret_values.add(value)
        return value

    replaced = _PATTERN.sub(replace, text)
    if used_env:
        result.secret_locs.add(loc)
    return replaced
