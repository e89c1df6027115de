"""Ray cluster addresses: ``host:port``, ``ray://host:port`` (Ray Client), ``auto``, ``local``.

Checked when a recipe is read and parsed again when the Ray executor connects; plain string
handling, so neither side imports Ray for it.
"""

from __future__ import annotations

from urllib.parse import urlparse

__all__ = ["RAY_CLIENT_PORT", "RAY_GCS_PORT", "check_address", "parse_address"]

RAY_CLIENT_PORT = 10001
"""The default port of ``ray://`` addresses (Ray Client)."""

RAY_GCS_PORT = 6379
"""The default port of ``host:port`` addresses (the cluster's GCS)."""


def parse_address(address: str) -> tuple[str | None, int]:
    """``(host, port)`` of a cluster address; the default port fills in a missing one.

    Args:
        address: ``host``, ``host:port`` or ``ray://host[:port]``.

    Raises:
        ValueError: the address is not of a form Ray accepts (with what to write instead).
    """
    parsed = urlparse(address if "://" in address else f"tcp://{address}")
    try:
        port = parsed.port or (RAY_CLIENT_PORT if parsed.scheme == "ray" else RAY_GCS_PORT)
    except ValueError:
        raise ValueError(
            f"{address!r} has no valid port: write host:port or ray://host:port"
        ) from None
    if parsed.scheme not in ("tcp", "ray") or not parsed.hostname:
        raise ValueError(f"{address!r} is not a Ray address: write host:port or ray://host:port")
    return parsed.hostname, port


def check_address(address: str) -> str:
    """``address`` if it is a usable Ray address (or ``auto``/``local``).

    Args:
        address: The address as written in a recipe or on the command line.

    Raises:
        ValueError: the address is not of a form Ray accepts.
    """
    if address not in ("auto", "local"):
        parse_address(address)
    return address
