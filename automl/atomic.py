"""Durable, atomic file writes: a temporary file, ``fsync``, then a rename over the target.

A reader sees the old file or the new one, never half of one, and a written file survives a
machine crash once the call returns. The one home for this in automl (run files, leaderboards,
model packages).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

__all__ = ["fsync_dir", "write_bytes_atomic", "write_bytes_durable", "write_text_atomic"]


def write_bytes_durable(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` and sync it to disk (no rename)."""
    with path.open("wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


def fsync_dir(path: Path) -> None:
    """Sync a folder's entries (a rename in it) to disk, where the platform allows it."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        # Some filesystems refuse fsync on a folder; the data itself was synced already.
        with contextlib.suppress(OSError):
            os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_bytes_atomic(path: Path, content: bytes, *, durable: bool = True) -> None:
    """Replace ``path`` with ``content`` atomically and, unless ``durable`` is false, durably.

    ``durable=False`` keeps the atomic rename but skips ``fsync``: for files a machine crash may
    lose without harm (caches of what the study already holds), written often.
    """
    path = Path(path)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        if durable:
            write_bytes_durable(temporary, content)
        else:
            temporary.write_bytes(content)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    if durable:
        fsync_dir(path.parent)


def write_text_atomic(path: Path, text: str, *, durable: bool = True) -> None:
    """Replace ``path`` with ``text`` (UTF-8) atomically (see :func:`write_bytes_atomic`)."""
    write_bytes_atomic(path, text.encode("utf-8"), durable=durable)
