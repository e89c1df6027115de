"""Checks every source applies to the table it read."""

from __future__ import annotations

from typing import TYPE_CHECKING

from automl import DataError

if TYPE_CHECKING:
    import pandas as pd


def require_rows(frame: pd.DataFrame, source: str, where: str, hint: str = "") -> pd.DataFrame:
    """Return ``frame``, or raise :class:`DataError` if it has no rows or no columns.

    Args:
        frame: The table a source read.
        source: The source's name (``csv``, ``sql``, ...), which starts the message.
        where: What was read, safe to show (a path, a URL without secrets, a table name).
        hint: How to fix it, appended to the message.
    """
    if len(frame.columns) == 0:
        raise DataError(f"{source} source: {where} holds no columns{_hint(hint)}")
    if len(frame) == 0:
        columns = ", ".join(map(str, frame.columns[:10])) + (" ..." if frame.shape[1] > 10 else "")
        raise DataError(
            f"{source} source: {where} holds no rows (columns: {columns}); a model needs data to "
            f"learn from{_hint(hint)}"
        )
    return frame


def _hint(hint: str) -> str:
    return f". {hint}" if hint else ""
