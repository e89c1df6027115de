"""Durable writes: files and folders synced to disk, and the rename that puts a package in place."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from automl.errors import PackageError
from automl.package.layout import CHECKSUMS_FILE, MLMODEL_FILE


def _write(path: Path, content: bytes | str) -> None:
    data = content.encode("utf-8") if isinstance(content, str) else content
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _check_replaceable(final: Path) -> None:
    if not final.exists():
        return
    if not final.is_dir():
        raise PackageError(f"cannot write a model package to {final}: it exists and is a file")
    is_package = (final / CHECKSUMS_FILE).exists() or (final / MLMODEL_FILE).exists()
    if not is_package and any(final.iterdir()):
        raise PackageError(
            f"cannot write a model package to {final}: the folder exists, is not empty and is "
            "not a model package; refusing to replace it"
        )


def _replace(temporary: Path, final: Path) -> None:
    if final.exists() or final.is_symlink():
        backup = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
        os.replace(final, backup)
        try:
            os.replace(temporary, final)
        except BaseException:
            os.replace(backup, final)
            raise
        shutil.rmtree(backup, ignore_errors=True)
    else:
        os.replace(temporary, final)
    _fsync_dir(final.parent)
