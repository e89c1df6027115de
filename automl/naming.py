"""Suggestions for misspelt names ("Did you mean ...?"), shared by recipes, plugins and data."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["did_you_mean"]


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """Return ``" Did you mean 'x'?"`` for a close match among ``candidates``, else ``""``."""
    options = list(candidates)
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    if not close and len(name) >= 3:
        # A prefix ("shrink" for "shrink_threshold") is a likely abbreviation.
        close = [option for option in options if option.startswith(name)][:1]
    return f" Did you mean {close[0]!r}?" if close else ""
