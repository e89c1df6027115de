"""The ``automl`` command: parses arguments, calls the Python API, renders with rich.

Kept thin and light to import: rich, pydantic and the plugins load inside the commands that need
them, so ``automl --help`` answers at once. Layout:

- :mod:`automl.cli.app`: the ``automl`` group, its options, error handling and :func:`main`;
- one module per command (or pair of related commands): :mod:`~automl.cli.plugins`,
  :mod:`~automl.cli.recipes` (``validate``, ``schema``), :mod:`~automl.cli.run`,
  :mod:`~automl.cli.profile`, :mod:`~automl.cli.leaderboard`, :mod:`~automl.cli.predict`,
  :mod:`~automl.cli.runs`;
- :mod:`automl.cli.console`: the consoles (the only place that creates one);
- :mod:`automl.cli.logs`: where log records go on standard error, and what is let through;
- :mod:`automl.cli.render`: rich renderings, one module per topic; each takes a console.
"""

from __future__ import annotations

from automl.cli.app import cli, main

__all__ = ["cli", "main"]
