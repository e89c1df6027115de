"""The run directory during a run: choosing it, one driver at a time (a lock), the run log, and
the files the run keeps up to date (recipe, summary, profile, trials, leaderboard)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from automl.atomic import write_text_atomic
from automl.errors import UsageError
from automl.leaderboard import Leaderboard
from automl.records import RunSummary, TrialRecord
from automl.rundir import RunLayout

__all__ = [
    "RunFiles",
    "RunLock",
    "RunLog",
    "default_run_dir",
    "first_started_at",
    "make_run_dir",
]


def default_run_dir(name: str, root: Path | None = None) -> Path:
    """A new ``runs/<name>/<timestamp>`` under ``root`` (the working directory by default).

    A suffix (``-2``, ``-3``...) keeps two runs started within the same second apart.
    """
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = (root or Path.cwd()) / "runs" / name / stamp
    candidate, number = base, 1
    while candidate.exists():
        number += 1
        candidate = base.with_name(f"{stamp}-{number}")
    return candidate


def first_started_at(layout: RunLayout) -> str | None:
    """When a run directory's run first started (from its earlier ``run.json``), if it says:
    a resumed run keeps that start."""
    try:
        return str(json.loads(layout.summary.read_text(encoding="utf-8"))["started_at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def make_run_dir(run_dir: str | os.PathLike[str] | None, name: str) -> Path:
    """The run directory, created.

    Raises:
        UsageError: it cannot be created.
    """
    directory = Path(run_dir) if run_dir is not None else default_run_dir(name)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"cannot create the run directory {directory}: {exc.strerror or exc}"
        ) from None
    return directory


class RunLock:
    """One driver per run directory: a second ``automl run`` into it is refused, not mixed in."""

    def __init__(self, layout: RunLayout) -> None:
        self.path = layout.lock
        self.handle: IO[str] | None = None

    def __enter__(self) -> RunLock:
        import fcntl

        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            owner = handle.read().strip() or "another process"
            handle.close()
            raise UsageError(
                f"the run directory {self.path.parent} is in use by another automl run ({owner}); "
                "wait for it to finish, or choose another --run-dir"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        self.handle = handle
        return self

    def __exit__(self, *exc: object) -> None:
        import fcntl

        if self.handle is not None:
            fcntl.flock(self.handle.fileno(), fcntl.LOCK_UN)
            self.handle.close()


class RunLog:
    """Copies the ``automl`` logger into ``run.log`` for the duration of the run."""

    def __init__(self, layout: RunLayout) -> None:
        self.handler = logging.FileHandler(layout.log, encoding="utf-8")
        self.handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
        self.handler.setLevel(logging.INFO)
        self.logger = logging.getLogger("automl")
        self.level = self.logger.level

    def __enter__(self) -> RunLog:
        self.logger.addHandler(self.handler)
        if self.logger.getEffectiveLevel() > logging.INFO:
            self.logger.setLevel(logging.INFO)
        return self

    def __exit__(self, *exc: object) -> None:
        self.logger.removeHandler(self.handler)
        self.logger.setLevel(self.level)
        self.handler.close()


def _json(document: Any) -> str:
    return json.dumps(document, indent=2, default=str) + "\n"


class RunFiles:
    """``recipe.yaml``, ``run.json``, ``profile.json``, ``trials.json`` and the leaderboard.

    A resumed run leaves the files of the earlier run untouched until its study has been
    opened and found compatible (:meth:`activate`), so a refused resume changes nothing.
    """

    def __init__(
        self, layout: RunLayout, recipe_text: str, summary: RunSummary, *, resuming: bool
    ) -> None:
        self.layout = layout
        self.recipe_text = recipe_text
        self.summary = summary
        self.active = False
        self.profile: dict[str, Any] | None = None
        if not resuming:
            self.activate()

    def activate(self) -> None:
        """The run owns the directory's files from now on: write them."""
        if self.active:
            return
        self.active = True
        write_text_atomic(self.layout.recipe, self.recipe_text)
        self.write_summary()
        if self.profile is not None:
            self.write_profile(self.profile)

    def write_summary(self) -> None:
        if self.active:
            write_text_atomic(self.layout.summary, _json(self.summary.to_dict()))

    def write_profile(self, profile: dict[str, Any]) -> None:
        self.profile = profile
        if self.active:
            write_text_atomic(self.layout.profile, _json(profile))

    def write_leaderboard(self, board: Leaderboard) -> None:
        """``leaderboard.json`` and ``leaderboard.csv``."""
        write_text_atomic(self.layout.leaderboard_json, _json(board.to_dict()))
        write_text_atomic(self.layout.leaderboard_csv, board.to_csv())

    def write_results(self, board: Leaderboard, trials: Iterable[TrialRecord]) -> None:
        """The leaderboard and the trial records as the study has them now."""
        self.write_leaderboard(board)
        document = {"trials": [trial.to_dict() for trial in trials]}
        write_text_atomic(self.layout.trials, _json(document))
