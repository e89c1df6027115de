"""Reaching Ray: check a cluster's address quickly, then attach to it or start a local runtime."""

from __future__ import annotations

import logging
import signal
import socket
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from automl.addresses import parse_address
from automl.errors import ExecutorError

__all__ = ["CONNECT_TIMEOUT", "DEFAULT_OBJECT_STORE", "check_reachable", "connect", "require_ray"]

CONNECT_TIMEOUT = 5.0
"""Seconds to wait for the cluster's address to accept a connection before giving up."""
DEFAULT_OBJECT_STORE = 512 * 1024**2
"""Object store of a local Ray runtime started by automl (Ray's default is 30 % of RAM)."""

_Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


def check_reachable(address: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """Fail within ``timeout`` seconds when nothing listens at a cluster address.

    ``ray.init`` itself keeps retrying an unreachable address for minutes.

    Raises:
        ExecutorError: naming the address and what to check.
    """
    if address in ("auto", "local"):
        return
    try:
        host, port = parse_address(address)
    except ValueError as exc:
        raise ExecutorError(f"execution.address: {exc}") from None
    if not host:
        raise ExecutorError(
            f"execution.address {address!r} is not an address (write host:port or ray://host:port)"
        )
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return
    except OSError as exc:
        raise ExecutorError(
            f"cannot reach the Ray cluster at {address} ({host}:{port}): {exc.strerror or exc}. "
            "Check that the head node runs (`ray status` on it) and that this machine may connect "
            "to it; or leave out the address to start a local Ray runtime."
        ) from exc


def require_ray() -> None:
    """Import Ray once, so that a missing install is a clear error.

    Raises:
        ExecutorError: Ray is not installed.
    """
    try:
        import ray  # noqa: F401 (imported to check that it is installed)
    except ImportError:
        raise ExecutorError(
            "execution.backend: ray needs the 'ray' package (the ray extra): "
            'pip install "automl[ray]"'
        ) from None


def connect(address: str | None, *, cpus: int, object_store_memory: int) -> bool:
    """Attach to the cluster at ``address``, or start a local runtime when there is none.

    Args:
        address: The cluster's address; ``None`` starts a new local runtime.
        cpus: CPUs of a local runtime.
        object_store_memory: Object store size of a local runtime.

    Returns:
        Whether a local runtime was started (then its owner shuts it down).

    Raises:
        ExecutorError: Ray could not start or attach.
    """
    # Ray installs its own SIGTERM handler, which kills the driver at once; keep ours, so
    # that SIGTERM stops the run cleanly (running trials recorded, the study consistent).
    handlers = _signal_handlers()
    try:
        return _init(address, cpus, object_store_memory)
    finally:
        for number, handler in handlers.items():
            if handler is not None:
                signal.signal(number, handler)


RAY_AUTH_LOGGER = "ray._private.authentication.authentication_token_setup"
_TOKEN_AUTH_NOTICE = "Token authentication is enabled for this Ray cluster"


def _hide_token_auth_notice(record: logging.LogRecord) -> bool:
    """Drop Ray's notice that token authentication is on: it stays on, as it should."""
    return not record.getMessage().startswith(_TOKEN_AUTH_NOTICE)


def quiet_ray_notices() -> None:
    """Silence Ray's warning that token authentication is on by default (once per process)."""
    auth_logger = logging.getLogger(RAY_AUTH_LOGGER)
    if _hide_token_auth_notice not in auth_logger.filters:
        auth_logger.addFilter(_hide_token_auth_notice)


def _init(address: str | None, cpus: int, object_store_memory: int) -> bool:
    import ray

    quiet_ray_notices()

    options: dict[str, Any] = {
        "logging_level": logging.WARNING,
        "log_to_driver": False,
        "configure_logging": True,
    }
    try:
        if address:
            ray.init(address=address, **options)
            return False
        ray.init(
            address="local",  # a new runtime, even if another cluster runs on this machine
            num_cpus=cpus,
            include_dashboard=False,
            object_store_memory=object_store_memory,
            **options,
        )
    except Exception as exc:
        where = address or "a local Ray runtime"
        raise ExecutorError(
            f"cannot start or attach to {where}: {type(exc).__name__}: {exc}"
        ) from exc
    return True


def _signal_handlers() -> dict[signal.Signals, _Handler]:
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}
