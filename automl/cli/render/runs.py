"""The runs under a folder (``automl runs``) and two runs side by side (``--compare``): rich
tables and the JSON documents of ``--json``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text

from automl.cli.render.cells import number, plural
from automl.rundir.listing import is_locked

if TYPE_CHECKING:
    from rich.console import Console

    from automl.rundir import Run
    from automl.rundir.listing import RunEntry

_STATUS_STYLES = {
    "finished": "green",
    "running": "cyan",
    "interrupted": "yellow",
    "failed": "red",
}


def run_document(run: Run) -> dict[str, Any]:
    """What ``automl runs --json`` says about one run.

    Keys: ``path``, ``recipe``, ``status``, ``started_at``, ``finished_at``, ``seconds``,
    ``metric``, ``direction``, ``best_trial``, ``best_model``, ``best_cv``, ``holdout``,
    ``trials`` (``complete``, ``pruned``, ``failed``, ``finished``), ``stopped_by`` and
    ``budget`` (``time_budget``, ``n_trials``, ``total``).
    """
    summary = run.summary
    best = summary.best_trial
    number_, model, cv = (best.number, best.model, best.cv_mean) if best else (None, None, None)
    if best is None and summary.metric is not None:
        # An interrupted run has no refitted best yet; its leaderboard has the best so far.
        board = run.leaderboard
        row = board.best if board is not None else None
        if row is not None:
            number_, model, cv = row.trial, row.model, row.mean(summary.metric)
    holdout = (summary.holdout or {}).get(summary.metric) if summary.metric else None
    budget = summary.budget
    return {
        "path": str(run.path),
        "recipe": summary.recipe,
        "status": summary.status.value,
        "started_at": summary.started_at,
        "finished_at": summary.finished_at,
        "seconds": summary.timings.get("total", budget.total),
        "metric": summary.metric,
        "direction": summary.direction,
        "best_trial": number_,
        "best_model": model,
        "best_cv": cv,
        "holdout": holdout,
        "trials": summary.trials.to_dict(),
        "stopped_by": summary.stopped_by.value if summary.stopped_by is not None else None,
        "budget": {
            "time_budget": budget.time_budget,
            "n_trials": budget.n_trials,
            "total": budget.total,
        },
    }


def _status(document: dict[str, Any]) -> Text:
    status = str(document["status"])
    return Text(status, style=_STATUS_STYLES.get(status, ""))


def _seconds(value: Any) -> str:
    return f"{value:.1f} s" if isinstance(value, int | float) else "-"


def _score(document: dict[str, Any]) -> str:
    if document["best_cv"] is None:
        return "-"
    return f"{number(document['best_cv'])} {document['metric']}"


def render_runs(console: Console, entries: Sequence[RunEntry], root: Path) -> None:
    """A table of runs, oldest first: status, best score, time, model, trials, start."""
    if not entries:
        console.print(Text(f"No runs under {root}.", style="yellow"), soft_wrap=True)
        return
    table = Table(title=f"Runs under {root} ({len(entries)})", title_justify="left")
    table.add_column("run", overflow="fold", ratio=1)
    for header in ("status", "best", "time", "model", "trials", "started"):
        table.add_column(
            header, no_wrap=True, justify="right" if header in ("time", "trials") else "left"
        )
    for entry in entries:
        # The title names the folder; each row its run's place in it.
        path = entry.path
        name = Text(str(path.relative_to(root) if path.is_relative_to(root) else path))
        if entry.run is None:
            table.add_row(name, Text("unreadable", style="red"), "", "", "", "", "")
            continue
        document = run_document(entry.run)
        status = _status(document)
        if document["status"] == "running" and not is_locked(entry.run):
            # It says running, but no process holds it: its driver was killed.
            status = Text("killed", style="red")
        table.add_row(
            name,
            status,
            _score(document),
            _seconds(document["seconds"]),
            Text(document["best_model"] or "-"),
            str(document["trials"]["finished"]),
            (document["started_at"] or "-").replace("T", " ").removesuffix("+00:00"),
        )
    console.print(table)
    for entry in entries:
        if entry.problem is not None:
            console.print(Text(f"{entry.path}: {entry.problem}", style="dim"), soft_wrap=True)


def _budget_used(document: dict[str, Any]) -> str:
    budget, trials = document["budget"], document["trials"]["finished"]
    parts = [_seconds(budget["total"])]
    if budget["time_budget"] is not None:
        parts[0] += f" of {_seconds(budget['time_budget'])}"
    parts.append(
        f"{trials} of {budget['n_trials']} trials"
        if budget["n_trials"]
        else plural(trials, "trial")
    )
    return ", ".join(parts)


def _best_model(document: dict[str, Any]) -> Text:
    if document["best_model"] is None:
        return Text("-")
    if document["best_trial"] is None:  # the ensemble
        return Text(str(document["best_model"]))
    return Text(f"{document['best_model']} (trial {document['best_trial']})")


def _trials(document: dict[str, Any]) -> str:
    trials = document["trials"]
    return f"{trials['complete']} complete, {trials['pruned']} pruned, {trials['failed']} failed"


def render_comparison(console: Console, documents: Sequence[dict[str, Any]]) -> None:
    """Two (or more) runs side by side, one column each (the documents of :func:`run_document`)."""
    table = Table(title="Runs compared", title_justify="left")
    table.add_column("", style="bold", no_wrap=True)
    for index, document in enumerate(documents):
        table.add_column(f"{chr(ord('A') + index)}: {document['path']}", overflow="fold")
    lines: list[tuple[str, Any]] = [
        ("recipe", lambda d: Text(str(d["recipe"]))),
        ("status", _status),
        ("metric", lambda d: f"{d['metric'] or '-'} ({d['direction'] or '-'})"),
        ("best CV", lambda d: number(d["best_cv"])),
        ("holdout", lambda d: number(d["holdout"])),
        ("best model", _best_model),
        ("trials", _trials),
        ("budget used", _budget_used),
        ("stopped by", lambda d: d["stopped_by"] or "-"),
        ("started", lambda d: d["started_at"] or "-"),
    ]
    for label, cell in lines:
        table.add_row(label, *(cell(document) for document in documents))
    console.print(table)
    metrics = {document["metric"] for document in documents}
    if len(metrics) > 1:
        console.print(
            Text(
                "The runs use different metrics (" + ", ".join(sorted(map(str, metrics))) + "): "
                "their scores are not comparable.",
                style="yellow",
            ),
            soft_wrap=True,
        )
