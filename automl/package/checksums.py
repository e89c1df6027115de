"""``CHECKSUMS.sha256``: writing it, verifying a package against it, and the package digest."""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path

from automl.errors import PackageError
from automl.package.layout import CHECKSUMS_FILE, PACKAGE_FILES

logger = logging.getLogger("automl.package")

TRUST_HINT = (
    "The package was modified or is incomplete; do not use it. Use an intact copy from a "
    "trusted source (for example the model folder of the run that wrote it)."
)
"""The advice that ends every message about a package that fails its checks."""
_CHECKSUM_LINE = re.compile(r"^([0-9a-fA-F]{64}) [ *](.+)$")


def sha256_file(path: Path) -> str:
    """The sha256 of the file at ``path`` (hex), read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksums_text(root: Path) -> str:
    """The ``CHECKSUMS.sha256`` content for every file under ``root`` (``sha256sum`` format)."""
    lines = []
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = file.relative_to(root).as_posix()
        if relative != CHECKSUMS_FILE:
            lines.append(f"{sha256_file(file)}  {relative}\n")
    return "".join(lines)


def package_error(root: Path, detail: str) -> PackageError:
    """The error for a package at ``root`` that fails a check: ``detail`` and the trust advice."""
    return PackageError(f"{root}: {detail}. {TRUST_HINT}")


def _read_checksums(root: Path) -> dict[str, str]:
    if not root.exists():
        raise PackageError(f"{root}: no model package here (the folder does not exist)")
    if not root.is_dir():
        raise PackageError(f"{root}: not a model package (a package is a folder)")
    checksum_path = root / CHECKSUMS_FILE
    if not checksum_path.is_file():
        raise package_error(root, f"{CHECKSUMS_FILE} is missing")
    try:
        text = checksum_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise package_error(root, f"{CHECKSUMS_FILE} cannot be read ({exc})") from exc
    listed: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _CHECKSUM_LINE.match(line)
        if match is None:
            raise package_error(root, f"{CHECKSUMS_FILE} line {number} is malformed")
        digest, relative = match.group(1).lower(), match.group(2)
        parts = Path(relative).parts
        if (
            Path(relative).is_absolute()
            or "\\" in relative
            or ".." in parts
            or relative == CHECKSUMS_FILE
            or relative in listed
        ):
            raise package_error(
                root, f"{CHECKSUMS_FILE} line {number} lists an invalid path {relative!r}"
            )
        listed[relative] = digest
    return listed


def verify_checksums(
    root: Path, keep: Sequence[str] = ()
) -> tuple[dict[str, str], dict[str, bytes]]:
    """Check every listed file; return the checksums and the verified bytes of ``keep``.

    The files in ``keep`` are read once, and the bytes that matched their checksum are returned,
    so that a caller never reads a file again after it was verified.

    Raises:
        PackageError: As for :func:`verify_package`.
    """
    listed = _read_checksums(root)
    for relative in PACKAGE_FILES:
        if relative not in listed:
            raise package_error(root, f"{relative} is not listed in {CHECKSUMS_FILE}")
    kept: dict[str, bytes] = {}
    for relative, expected in listed.items():
        file = root / relative
        if not file.is_file():
            raise package_error(root, f"{relative} is missing (it is listed in {CHECKSUMS_FILE})")
        if relative in keep:
            content = file.read_bytes()
            actual = hashlib.sha256(content).hexdigest()
            kept[relative] = content
        else:
            actual = sha256_file(file)
        if actual != expected:
            raise package_error(root, f"{relative} does not match its checksum")
    unlisted = [
        path.relative_to(root).as_posix()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.relative_to(root).parts
    ]
    unlisted = [p for p in unlisted if p != CHECKSUMS_FILE and p not in listed]
    if unlisted:
        logger.warning(
            "%s: ignoring %d file%s not listed in %s: %s",
            root,
            len(unlisted),
            "s" if len(unlisted) != 1 else "",
            CHECKSUMS_FILE,
            ", ".join(unlisted),
        )
    return listed, kept


def verify_package(path: str | os.PathLike[str]) -> tuple[str, ...]:
    """Check a package against its ``CHECKSUMS.sha256`` without loading it.

    Returns:
        The relative paths of the verified files.

    Raises:
        PackageError: The checksum file is missing or malformed, a package file is not
            listed, or a listed file is missing or differs from its checksum.
    """
    listed, _ = verify_checksums(Path(path))
    return tuple(listed)


def package_digest(path: str | os.PathLike[str]) -> str:
    """sha256 of the package's ``CHECKSUMS.sha256``: record it to pin the whole package.

    ``load_model(path, expected_digest=...)`` then refuses any other content, including a
    package whose files and checksums were both rewritten.
    """
    file = Path(path) / CHECKSUMS_FILE
    if not file.is_file():
        raise package_error(Path(path), f"{CHECKSUMS_FILE} is missing")
    return sha256_file(file)
