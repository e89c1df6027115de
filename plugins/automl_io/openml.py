"""The ``openml`` source: a dataset from openml.org, kept in a local cache.

An OpenML dataset id names one immutable version of the data, so a cached copy is used without
asking the server: once downloaded, a recipe runs offline. The cache is a folder per dataset id
holding ``data.parquet`` and ``dataset.json`` (name, version, default target, licence, ...);
:func:`write_cache` writes one and :func:`find_cached` finds one. Downloads go through
scikit-learn's ``fetch_openml`` after a quick reachability check with a timeout, so an offline
machine fails fast with a clear message.
"""

from __future__ import annotations

import io
import json
import logging
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pydantic import Field, model_validator

from automl import DataError, Params, SourceContext, write_bytes_atomic, write_text_atomic
from automl_io.frames import require_rows

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

OPENML_API = "https://api.openml.org/api/v1/json"
DEFAULT_CACHE_DIR = "~/.cache/automl/openml"
CACHE_FORMAT = 1
_DATA_FILE = "data.parquet"
_META_FILE = "dataset.json"


class OpenmlParams(Params):
    """Parameters of the ``openml`` source."""

    id: int | None = Field(
        default=None, ge=1, description="The OpenML dataset id (e.g. 31 for credit-g)."
    )
    name: str | None = Field(
        default=None, min_length=1, description="The dataset's name, instead of id (e.g. credit-g)."
    )
    version: int | None = Field(
        default=None,
        ge=1,
        description="With name: the dataset version (default: the oldest active one).",
    )
    cache_dir: str = Field(
        default=DEFAULT_CACHE_DIR,
        min_length=1,
        description="Where downloaded datasets are kept (relative paths resolve against the recipe).",
    )
    timeout: float = Field(default=30.0, gt=0, description="Seconds to wait for openml.org.")
    retries: int = Field(default=2, ge=0, le=10, description="Retries of a failed download.")

    @model_validator(mode="after")
    def _id_or_name(self) -> OpenmlParams:
        if (self.id is None) == (self.name is None):
            raise ValueError("set exactly one of id (e.g. 31) or name (e.g. credit-g)")
        if self.version is not None and self.id is not None:
            raise ValueError("version goes with name: an id already names one version")
        return self

    def label(self) -> str:
        """How messages name the dataset."""
        if self.id is not None:
            return f"dataset {self.id}"
        return f"dataset {self.name!r}" + (f" version {self.version}" if self.version else "")


@dataclass(frozen=True)
class CachedDataset:
    """One dataset in the cache.

    Attributes:
        folder: The dataset's cache folder (``<cache_dir>/<id>``).
        metadata: The content of its ``dataset.json``.
    """

    folder: Path
    metadata: dict[str, Any]

    def load(self) -> pd.DataFrame:
        """Read the cached table.

        Raises:
            DataError: the cached file is unreadable (a damaged cache).
        """
        import pandas as pd

        try:
            return pd.read_parquet(self.folder / _DATA_FILE)
        except Exception as exc:
            raise DataError(
                f"openml source: the cached copy in {self.folder} is unreadable ({type(exc).__name__}: "
                f"{exc}); delete that folder to download the dataset again"
            ) from None


def read_openml(params: OpenmlParams, context: SourceContext) -> pd.DataFrame:
    """Load an OpenML dataset: from the cache if present, else downloaded and cached."""
    cache_dir = context.resolve_path(params.cache_dir)
    cached = find_cached(cache_dir, id=params.id, name=params.name, version=params.version)
    if cached is not None:
        logger.info("openml source: %s from the cache %s", params.label(), cached.folder)
        frame = cached.load()
    else:
        _check_reachable(params, cache_dir)
        frame, metadata = _download(params)
        try:
            write_cache(cache_dir, frame, metadata)
        except Exception as exc:  # the data is good; only the next offline run suffers
            logger.warning(
                "openml source: could not cache %s in %s (%s: %s); it will be downloaded again",
                params.label(),
                cache_dir,
                type(exc).__name__,
                exc,
            )
    return require_rows(frame, "openml", params.label())


def find_cached(
    cache_dir: Path, *, id: int | None = None, name: str | None = None, version: int | None = None
) -> CachedDataset | None:
    """The cached dataset with this ``id``, or this ``name`` (and ``version``; else the lowest).

    Folders without both files (an interrupted write) are ignored.
    """
    if id is not None:
        candidates = [cache_dir / str(id)]
    elif cache_dir.is_dir():
        candidates = sorted(p for p in cache_dir.iterdir() if p.is_dir())
    else:
        candidates = []
    found: list[CachedDataset] = []
    for folder in candidates:
        metadata = _metadata(folder)
        if metadata is None:
            continue
        if name is not None and (
            metadata.get("name") != name
            or (version is not None and metadata.get("version") != version)
        ):
            continue
        found.append(CachedDataset(folder, metadata))
    found.sort(key=lambda entry: (int(entry.metadata.get("version") or 0), entry.folder.name))
    return found[0] if found else None


def write_cache(cache_dir: Path, frame: pd.DataFrame, metadata: dict[str, Any]) -> CachedDataset:
    """Store ``frame`` as the cached copy of the dataset ``metadata["id"]``.

    ``metadata`` needs ``id``, ``name`` and ``version``; other keys (``default_target``,
    ``licence``, ``url``) are kept. The files are written under temporary names and renamed, the
    metadata last, so a reader never sees half a dataset.
    """
    for key in ("id", "name", "version"):
        if key not in metadata:
            raise ValueError(f"cache metadata needs {key!r}")
    folder = cache_dir / str(int(metadata["id"]))
    folder.mkdir(parents=True, exist_ok=True)
    record = {
        **metadata,
        "format": CACHE_FORMAT,
        "rows": len(frame),
        "columns": [str(c) for c in frame.columns],
        "cached_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    # A cache may be rebuilt after a crash, so the files are replaced atomically, not synced.
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    write_bytes_atomic(folder / _DATA_FILE, buffer.getvalue(), durable=False)
    text = json.dumps(record, indent=2, default=str)
    write_text_atomic(folder / _META_FILE, text, durable=False)
    return CachedDataset(folder, record)


def _metadata(folder: Path) -> dict[str, Any] | None:
    meta, data = folder / _META_FILE, folder / _DATA_FILE
    if not (meta.is_file() and data.is_file()):
        return None
    try:
        loaded = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        logger.warning("openml source: ignoring the unreadable cache entry %s", meta)
        return None
    return loaded if isinstance(loaded, dict) and loaded.get("format") == CACHE_FORMAT else None


def _check_reachable(params: OpenmlParams, cache_dir: Path) -> None:
    """Ask OpenML about the dataset, failing fast (``timeout``) when the server is unreachable."""
    import urllib.error
    import urllib.request

    if params.id is not None:
        url = f"{OPENML_API}/data/{params.id}"
    else:
        url = f"{OPENML_API}/data/list/data_name/{quote(str(params.name), safe='')}/limit/2"
        if params.version is not None:
            url += f"/data_version/{params.version}"
    try:
        with urllib.request.urlopen(url, timeout=params.timeout) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 412:  # OpenML's "unknown dataset" / "no results"
            raise DataError(
                f"openml source: OpenML has no {params.label()}; check data.source "
                "(browse https://www.openml.org/search?type=data)"
            ) from None
        raise DataError(
            f"openml source: OpenML answered {exc.code} {exc.reason} for {params.label()}; "
            f"try again later (no cached copy in {cache_dir})"
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DataError(
            f"openml source: cannot reach OpenML ({OPENML_API}: {reason}) to download "
            f"{params.label()}, and no cached copy exists in {cache_dir}. Run once with internet "
            "access to fill the cache, copy a filled cache folder to this machine, or point "
            "data.source.cache_dir at one"
        ) from None


def _download(params: OpenmlParams) -> tuple[pd.DataFrame, dict[str, Any]]:
    from sklearn.datasets import fetch_openml

    logger.info("openml source: downloading %s", params.label())
    options: dict[str, Any] = (
        {"data_id": params.id}
        if params.id is not None
        else {"name": params.name, "version": params.version or "active"}
    )
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            bunch = fetch_openml(
                **options,
                as_frame=True,
                target_column=None,
                cache=False,
                n_retries=params.retries,
                parser="auto",
            )
    except Exception as exc:
        raise DataError(
            f"openml source: downloading {params.label()} failed ({type(exc).__name__}: {exc}); "
            "try again, or check data.source"
        ) from None
    for warning in caught:
        logger.info("openml source: %s", warning.message)
    details = dict(bunch.details)
    metadata = {
        "id": int(details["id"]),
        "name": details.get("name"),
        "version": int(details.get("version") or 1),
        "default_target": details.get("default_target_attribute"),
        "licence": details.get("licence"),
        "url": f"https://www.openml.org/d/{details['id']}",
    }
    return bunch.frame, metadata
