"""The runs under a folder (``runs/`` by default): finding them, and the one a resume continues.

``automl run`` writes ``runs/<name>/<timestamp>/``; a run written elsewhere with ``--run-dir`` is
found too when it sits one or two levels under the folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from automl.errors import UsageError
from automl.records import RunStatus
from automl.rundir.layout import RunLayout
from automl.rundir.reader import Run, open_run

__all__ = ["RunEntry", "find_runs", "is_locked", "is_resumable", "latest_resumable"]


@dataclass(frozen=True)
class RunEntry:
    """A run directory found under a folder: the run, or why it cannot be read.

    Attributes:
        path: The run directory.
        run: The run, read back; ``None`` when its ``run.json`` is damaged.
        problem: Why it cannot be read, when it cannot.
    """

    path: Path
    run: Run | None = None
    problem: str | None = None

    @property
    def started_at(self) -> str:
        """When the run started (ISO 8601), or ``""`` when unknown: for sorting."""
        return (self.run.summary.started_at or "") if self.run is not None else ""


def find_runs(root: str | os.PathLike[str]) -> list[RunEntry]:
    """The run directories one or two levels under ``root``, oldest first.

    Raises:
        UsageError: ``root`` is not a folder.
    """
    base = Path(root)
    if not base.is_dir():
        raise UsageError(
            f"{root} is not a folder: give the folder that holds the runs (runs/ by default)"
        )
    found = sorted(
        {path.parent for pattern in ("*/run.json", "*/*/run.json") for path in base.glob(pattern)}
    )
    entries = []
    for path in found:
        try:
            entries.append(RunEntry(path=path, run=open_run(path)))
        except UsageError as exc:
            entries.append(RunEntry(path=path, problem=str(exc)))
    return sorted(entries, key=lambda entry: (entry.started_at, str(entry.path)))


def is_locked(run: Run) -> bool:
    """Whether an ``automl run`` is writing into this run directory right now."""
    import fcntl

    path = run.layout.lock
    try:
        handle = path.open("r", encoding="utf-8")
    except OSError:  # no lock file (never run, or cleaned up), or not ours to read
        return False
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return False


def is_resumable(run: Run) -> bool:
    """Whether the run stopped before it finished and its study can be continued.

    That is an interrupted or failed run with a study journal, or one that still says
    ``running`` although no process holds it (its driver was killed).
    """
    if not RunLayout(run.path).journal.is_file():
        return False
    status = run.status
    if status is RunStatus.RUNNING:
        return not is_locked(run)
    return status in (RunStatus.INTERRUPTED, RunStatus.FAILED)


def latest_resumable(
    root: str | os.PathLike[str], name: str, *, newest_only: bool = False
) -> Run | None:
    """The newest resumable run of the recipe ``name`` under ``root/<name>/``, if any.

    Args:
        root: The folder of the runs (``runs``).
        name: The recipe's name.
        newest_only: Only the newest run of the recipe counts: a resumable run that a later run
            followed is left alone.
    """
    folder = Path(root) / name
    if not folder.is_dir():
        return None
    for entry in reversed(find_runs(folder)):
        run = entry.run
        if run is None or run.summary.recipe != name:
            continue
        if is_resumable(run):
            return run
        if newest_only:
            return None
    return None
