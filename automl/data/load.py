"""Reading a data source through its plugin, and fingerprinting the table it returns."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from automl.errors import AutomlError, DataError
from automl.specs import SourceContext

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

    from automl.registry import Component
    from automl.specs import Params


def _unchanged(text: str) -> str:
    return text


def read_source(
    component: Component,
    params: Params,
    *,
    base_dir: Path,
    where: str = "data.source",
    scrub: Callable[[str], str] = _unchanged,
) -> pd.DataFrame:
    """Call a data source's factory and check that it returned a non-empty table.

    Args:
        component: The registered data source (its spec and the plugin providing it).
        params: The source's validated parameters.
        base_dir: The folder relative paths resolve against.
        where: Where the source is written in the recipe (``data.source``,
            ``data.test_source``), for messages.
        scrub: Hides secret values (those that came from the environment) in error messages;
            by default messages are kept as they are.

    Raises:
        DataError: the source failed, or returned something other than a non-empty DataFrame.
    """
    import pandas as pd

    name = component.name
    try:
        frame = component.spec.factory(params, SourceContext(base_dir=base_dir))
    except DataError as exc:
        raise DataError(scrub(str(exc))) from None
    except AutomlError:
        raise
    except Exception as exc:
        detail = scrub(f"{type(exc).__name__}: {exc}")  # a plugin's message may quote a secret
        raise DataError(f"data source {name!r} ({component.plugin}) failed: {detail}") from None
    if not isinstance(frame, pd.DataFrame):
        raise DataError(
            f"data source {name!r} returned {type(frame).__name__}, not a pandas DataFrame "
            f"(a bug in {component.plugin})"
        )
    if frame.empty:
        raise DataError(f"data source {name!r} ({where}) returned no rows: the data is empty")
    return frame


def fingerprint(frame: pd.DataFrame) -> dict[str, Any]:
    """Rows, columns and a content hash of a table (to notice changed data on resume)."""
    import pandas as pd

    digest = hashlib.sha256()
    digest.update(",".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return {"rows": len(frame), "columns": int(frame.shape[1]), "sha256": digest.hexdigest()}
