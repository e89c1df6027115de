"""Putting a package folder in place: the check before writing and the final rename.

Single files are written durably by :mod:`automl.atomic`; this module handles what is specific
to a package, a whole folder that replaces another one.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from automl.atomic import fsync_dir
from automl.errors import PackageError
from automl.package.layout import CHECKSUMS_FILE, MLMODEL_FILE


def check_replaceable(final: Path) -> None:
    """Refuse to write a package to ``final`` unless it is absent, empty or a model package.

    Raises:
        PackageError: ``final`` is a file, or a non-empty folder that is not a model package
            (one without ``CHECKSUMS.sha256`` and ``MLmodel``).
    """
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


def replace_folder(temporary: Path, final: Path) -> None:
    """Rename the complete folder ``temporary`` to ``final``, replacing what is there.

    An existing ``final`` is first renamed aside and put back if the rename fails, so ``final``
    always holds a whole package (the old or the new one); the parent folder is synced after.
    """
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
    fsync_dir(final.parent)
