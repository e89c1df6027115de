"""Keeping secret values out of messages: the one scrubber of recipes, runs and plugins.

Recipe values may come from ``${ENV}`` interpolation (database passwords, API tokens, storage
keys), and plugins hold credentials of their own. Any text that may contain one (a third-party
exception, a message that echoes a value) goes through a :class:`Scrubber` before it is shown,
logged or stored.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["MIN_SECRET_LENGTH", "SECRET_PLACEHOLDER", "Scrubber"]

SECRET_PLACEHOLDER = "***"
"""What a secret value is replaced with."""

MIN_SECRET_LENGTH = 3
"""Shorter values ("1", "on") are left alone: blanking them would blank out ordinary words."""

_MAX_ERROR_LENGTH = 300


class Scrubber:
    """Replaces known secret values with :data:`SECRET_PLACEHOLDER` in any text.

    Longer values are replaced first, so that a secret containing another one is hidden whole.

    Args:
        secrets: Values never to show (passwords, tokens, header values, ...); ``None`` and
            values shorter than :data:`MIN_SECRET_LENGTH` are ignored.
    """

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets = sorted(
            {s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True
        )

    def __bool__(self) -> bool:
        """Whether there is anything to hide."""
        return bool(self._secrets)

    def __call__(self, text: str) -> str:
        """``text`` with every secret value replaced."""
        for secret in self._secrets:
            text = text.replace(secret, SECRET_PLACEHOLDER)
        return text

    def error(self, exc: BaseException) -> str:
        """``Type: message`` of an exception, scrubbed (the first line only, at most 300 chars)."""
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        if len(message) > _MAX_ERROR_LENGTH:
            message = message[: _MAX_ERROR_LENGTH - 3] + "..."
        text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
        return self(text)
