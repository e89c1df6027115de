"""Keeping secrets out of messages about locations: URLs shown without passwords or query values.

Recipe values may come from ``${ENV}`` interpolation (database passwords, API tokens, storage
keys). The sources only ever show a location through :func:`safe_url`, and pass every message
built from a third-party exception through :class:`automl.Scrubber`, given the secret values
(:func:`secret_values` finds them in storage options).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from automl import SECRET_PLACEHOLDER

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_SECRET_KEY = re.compile(r"key|secret|token|pass|auth|credential|signature|sig$", re.IGNORECASE)


def is_url(text: str) -> bool:
    """Whether ``text`` starts with a URL scheme (``s3://``, ``https://``, ``file://``)."""
    return bool(_URL.match(text))


def safe_url(url: str, *, keep_query: Collection[str] = ()) -> str:
    """``url`` with the password and every query value hidden (except ``keep_query`` names).

    >>> safe_url("https://bob:pw@api.example.com/x?token=abc&page=2", keep_query={"page"})
    'https://bob:***@api.example.com/x?token=***&page=2'
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(an unparsable URL)"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user, has_password, _ = userinfo.partition(":")
        netloc = f"{user}:{SECRET_PLACEHOLDER}@{host}" if has_password else f"{user}@{host}"
    query = "&".join(
        f"{name}={value if name in keep_query else SECRET_PLACEHOLDER}"
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def secret_values(options: Mapping[str, Any]) -> list[str]:
    """The string values in ``options`` (nested) whose key looks secret (key, token, ...)."""
    found: list[str] = []
    for key, value in options.items():
        if isinstance(value, Mapping):
            found += secret_values(value)
        elif isinstance(value, str) and _SECRET_KEY.search(str(key)):
            found.append(value)
    return found
