"""Rich renderings of automl objects for the command line. Every function takes the console."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text

from automl.specs import ComponentKind

if TYPE_CHECKING:
    from rich.console import Console

    from automl.recipe import ResolvedRecipe
    from automl.registry import PluginRegistry


def render_plugins(console: Console, registry: PluginRegistry) -> None:
    """The components by kind, then conflicts, failed and skipped plugins."""
    table = Table(title="Installed components", title_justify="left", show_lines=False)
    for column in ("kind", "name", "plugin", "distribution", "version"):
        table.add_column(column, no_wrap=True)
    table.add_column("description", overflow="fold", ratio=1)
    for kind in ComponentKind:
        components = registry.components(kind)
        for index, component in enumerate(components):
            plugin = component.plugin
            table.add_row(
                kind.label if index == 0 else "",
                component.name,
                plugin.name,
                plugin.distribution or "-",
                plugin.version or "-",
                component.spec.description,
                end_section=index == len(components) - 1,
            )
    console.print(table)
    for (kind, name), claimants in registry.conflicts.items():
        providers = " and ".join(str(c.plugin) for c in claimants)
        console.print(
            Text(
                f"Conflict: {kind.label} {name!r} is provided by {providers}; it is unusable "
                "until one plugin is disabled (--disable-plugin NAME).",
                style="bold red",
            )
        )
    problems = registry.problems
    if problems:
        failed = Table(
            title="Plugins that failed (left out; everything else works)", title_justify="left"
        )
        for column in ("plugin", "distribution", "version", "stage", "error"):
            failed.add_column(column, overflow="fold")
        for problem in problems:
            info = problem.plugin
            failed.add_row(
                info.name,
                info.distribution or "-",
                info.version or "-",
                problem.stage,
                problem.error,
            )
        console.print(failed)
    skipped = registry.skipped
    if skipped:
        console.print(
            Text(
                "Not loaded (disabled, or autoload is off): "
                + ", ".join(sorted(p.name for p in skipped)),
                style="dim",
            )
        )


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, default=str)
    except (TypeError, ValueError):
        return repr(value)


def render_recipe_summary(
    console: Console, resolved: ResolvedRecipe, *, show_defaults: bool = True
) -> None:
    """A valid recipe: what it will do, and what automl filled in."""
    recipe = resolved.recipe

    def shown(path: str, value: str) -> str:
        return "(from the environment)" if path in resolved.secret_paths else value

    metric = resolved.metric.name if resolved.metric is not None else "by task, at run time"
    models = ", ".join(m.name for m in resolved.models) or "none installed"
    console.print(
        Text.assemble(("✓ ", "bold green"), (resolved.source, "bold"), " is valid"), soft_wrap=True
    )
    console.print(
        Text(
            f"  name {shown('name', recipe.name)} · task {shown('task', recipe.task)} · "
            f"source {shown('data.source.type', resolved.data_source.name)} · "
            f"target {shown('data.target', recipe.data.target)} · "
            f"metric {shown('metric', metric)}\n  models: {models}"
        ),
        soft_wrap=True,
    )
    if not resolved.models:
        console.print(
            Text(
                "  Warning: no installed model fits this recipe; a run needs at least one "
                "(see `automl plugins`).",
                style="yellow",
            ),
            soft_wrap=True,
        )
    if not show_defaults or not resolved.defaults:
        return
    table = Table(title="Filled in by automl", title_justify="left", box=None, padding=(0, 2))
    table.add_column("key", style="cyan")
    table.add_column("value")
    table.add_column("why", style="dim")
    for default in resolved.defaults:
        table.add_row(default.path, _show(default.value), default.note or "default")
    console.print(table)


def _number(value: Any, digits: int = 4) -> str:
    if isinstance(value, int | float):
        return f"{value:.{digits}f}"
    return "-"


def render_leaderboard(console: Console, board: Any, *, top: int | None = None) -> None:
    """The ranked trials: scores (mean ± std), holdout score of the refitted best, timings.

    Secondary metrics and parameters are shown when the terminal is wide enough; the CSV and
    JSON files always hold everything.
    """
    arrow = "↑" if board.direction == "maximize" else "↓"
    width = console.width
    secondary = board.metrics if width >= 100 else []
    show_params = width >= 140
    table = Table(
        title=f"Leaderboard ({board.metric} {arrow}, cross-validated)", title_justify="left"
    )
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("trial", justify="right", no_wrap=True)
    table.add_column("model", no_wrap=True)
    table.add_column(f"{board.metric} ± std", justify="right", no_wrap=True)
    for name in secondary:
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("holdout", justify="right", no_wrap=True)
    table.add_column("fit s", justify="right", no_wrap=True)
    table.add_column("pred s/1k", justify="right", no_wrap=True)
    if show_params:
        table.add_column("params", overflow="fold", ratio=1)
    rows = board.rows if top is None else board.rows[:top]
    for row in rows:
        primary = f"{_number(row.get(f'{board.metric}_mean'))} ± {_number(row.get(f'{board.metric}_std'), 3)}"
        cells = [
            str(row["rank"]),
            str(row["trial"]),
            str(row["model"]),
            primary,
            *(_number(row.get(f"{name}_mean")) for name in secondary),
            _number(row.get(f"holdout_{board.metric}")),
            _number(row.get("fit_time"), 3),
            _number(row.get("predict_time_per_1000"), 3),
        ]
        if show_params:
            params = json.dumps(row.get("params", {}), default=str, sort_keys=True)
            cells.append(params if len(params) <= 160 else params[:157] + "...")
        table.add_row(*cells)
    console.print(table)
    if top is not None and len(board.rows) > top:
        console.print(Text(f"{len(board.rows) - top} more rows in leaderboard.csv", style="dim"))


def render_run_summary(console: Console, result: Any) -> None:
    """Where everything was written, the best model and its holdout score."""
    summary = result.summary
    best = summary.get("best_trial") or {}
    trials = summary.get("trials", {})
    holdout = summary.get("holdout") or {}
    metric = summary.get("metric")
    lines = [
        f"Task {summary.get('task')} · {trials.get('complete', 0)} complete, {trials.get('pruned', 0)} pruned, "
        f"{trials.get('failed', 0)} failed · stopped by {summary.get('stopped_by')} · "
        f"{summary['timings'].get('total', 0):.1f} s",
        f"Best: trial {best.get('number')} ({best.get('model')}), {metric} {_number(best.get('cv_mean'))} "
        f"cross-validated, {_number(holdout.get(metric))} on the holdout",
        f"Run directory: {result.run_dir}",
        "  model/ (packaged best model), leaderboard.csv, leaderboard.json, run.json, run.log, study.journal",
        f"Predict: automl predict {result.run_dir / 'model'} INPUT.csv -o predictions.csv",
    ]
    for line in lines:
        console.print(Text(line), soft_wrap=True)


class RunDisplay:
    """The live progress of ``automl run``: trials, best score and model, time left."""

    def __init__(self, console: Console, resolved: Any) -> None:
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.console = console
        search = resolved.recipe.search
        self.by_time = search.time_budget is not None
        self.total = search.time_budget if self.by_time else search.n_trials
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.task = self.progress.add_task("Starting", total=self.total, info="")

    def __enter__(self) -> RunDisplay:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def profile(self, profile: Any) -> None:
        """The data is prepared: show its profile above the progress bar."""
        render_profile(self.progress.console, profile)

    def phase(self, name: str) -> None:
        """A new phase of the run started."""
        labels = {
            "load": "Loading data",
            "prepare": "Checking data",
            "search": "Searching",
            "refit": "Refitting the best model",
            "package": "Packaging",
        }
        self.progress.update(self.task, description=labels.get(name, name))

    def update(self, progress: Any) -> None:
        """The search changed."""
        budget = f"/{progress.n_trials}" if progress.n_trials else ""
        info = (
            f"{progress.finished}{budget} trials · {progress.pruned} pruned · "
            f"{progress.failed} failed · {progress.running}/{progress.workers} running"
        )
        if progress.time_left is not None:
            info += f" · {progress.time_left:.0f} s left"
        if progress.best_value is not None:
            info += (
                f" · best {progress.best_value:.4f} {progress.best_model} #{progress.best_number}"
            )
        completed = progress.elapsed if self.by_time else progress.finished
        self.progress.update(self.task, completed=completed, info=info)


def render_profile(console: Console, profile: Any) -> None:
    """The data profile: size, columns by kind, missing values, what was dropped and why."""
    kinds = profile.kinds_count()
    summary = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
    task = f" · task {profile.task}" if profile.task else ""
    console.print(
        Text(
            f"Data: {profile.rows_loaded} rows, {profile.columns_loaded} columns loaded; "
            f"{profile.rows} rows used · target {profile.target}{task} · features: {summary or 'none'}"
        ),
        soft_wrap=True,
    )
    if profile.target_distribution:
        counts = ", ".join(
            f"{label}: {count}" for label, count in profile.target_distribution.items()
        )
        console.print(Text(f"Target classes: {counts}"), soft_wrap=True)
    table = Table(title="Columns", title_justify="left", box=None, padding=(0, 2))
    for column in ("column", "kind", "missing", "distinct", "why"):
        table.add_column(column, no_wrap=column != "why", overflow="fold")
    for column in profile.columns:
        style = "" if column.used else "dim"
        kind = column.kind if column.used else f"{column.kind} (dropped)"
        table.add_row(
            column.name,
            kind,
            f"{column.missing_share:.0%}",
            str(column.distinct),
            column.reason,
            style=style,
        )
    console.print(table)
    for step in profile.steps:
        console.print(Text(f"· {step.action}: {step.detail}", style="cyan"), soft_wrap=True)
    for warning in profile.warnings:
        console.print(Text(f"Warning: {warning}", style="yellow"), soft_wrap=True)
