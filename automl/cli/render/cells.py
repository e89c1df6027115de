"""How values are written in table cells and summary lines."""

from __future__ import annotations

import json
from typing import Any


def number(value: Any, digits: int = 4) -> str:
    """``value`` with ``digits`` decimals, or ``-`` when it is not a number (missing)."""
    if isinstance(value, int | float):
        return f"{value:.{digits}f}"
    return "-"


def plain_value(value: Any) -> str:
    """A string as it is; anything else as JSON (``repr`` when JSON cannot hold it)."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, default=str)
    except (TypeError, ValueError):
        return repr(value)


def params_text(params: Any, limit: int = 160) -> str:
    """Parameters as sorted JSON, cut to ``limit`` characters (the files hold them whole)."""
    text = json.dumps(params, default=str, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 row``, ``2 rows``: the count with the word in the right number."""
    return f"{count} {word if count == 1 else (many or word + 's')}"
