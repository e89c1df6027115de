"""The ``automl`` command: parses arguments, calls the Python API, renders with rich.

Kept thin and light to import: rich, pydantic and the plugins load inside the commands that need
them, so ``automl --help`` answers at once.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from automl import __version__
from automl.errors import EXIT_CODE_MEANINGS, AutomlError, ExitCode, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from automl.registry import PluginRegistry

_EXIT_CODES_HELP = "\b\nExit codes:\n" + "\n".join(
    f"  {int(code):>3}  {meaning}" for code, meaning in EXIT_CODE_MEANINGS.items()
)


@dataclass
class CliState:
    """Options of the ``automl`` group, shared with every command."""

    debug: bool = False
    verbose: int = 0
    disabled: tuple[str, ...] = ()
    _registry: PluginRegistry | None = field(default=None, repr=False)

    def registry(self) -> PluginRegistry:
        """The plugin registry, discovered on first use."""
        if self._registry is None:
            from automl.registry import PluginRegistry

            self._registry = PluginRegistry.discover(disabled=self.disabled)
        return self._registry


def _stdout() -> Console:
    from rich.console import Console

    console = Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        # Piped into a file or a pager: rich would assume 80 columns and squeeze tables.
        console = Console(highlight=False, width=160)
    return console


def _stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def _configure_logging(state: CliState) -> None:
    from rich.logging import RichHandler

    level = (
        logging.DEBUG
        if state.debug or state.verbose > 1
        else logging.INFO
        if state.verbose
        else logging.WARNING
    )
    logger = logging.getLogger("automl")
    handler = RichHandler(console=_stderr(), show_time=False, show_path=False, markup=False)
    # The handler decides what reaches the terminal; a run may lower the logger's level to
    # write INFO lines to its run.log.
    handler.setLevel(level)
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False


class AutomlGroup(click.Group):
    """A click group that turns :class:`AutomlError` into a message and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AutomlError as exc:
            state = ctx.obj if isinstance(ctx.obj, CliState) else CliState()
            console = _stderr()
            if state.debug:
                _print_traceback(console, exc)
            _print_error(console, exc, hint=not state.debug)
            ctx.exit(int(exc.exit_code))
        except KeyboardInterrupt:
            _stderr().print("Interrupted.")
            ctx.exit(int(ExitCode.INTERRUPTED))


def _print_traceback(console: Console, exc: BaseException) -> None:
    import traceback

    console.print(
        "".join(traceback.format_exception(exc)), markup=False, highlight=False, soft_wrap=True
    )


def _print_error(console: Console, exc: AutomlError, *, hint: bool = False) -> None:
    from rich.text import Text

    lines = str(exc).splitlines() or [type(exc).__name__]
    console.print(Text("Error: ", style="bold red") + Text(lines[0]), soft_wrap=True)
    for line in lines[1:]:
        console.print(Text(line), soft_wrap=True)
    if hint:
        console.print(Text("(run with --debug to see the traceback)", style="dim"))


@click.group(
    cls=AutomlGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=_EXIT_CODES_HELP,
)
@click.version_option(__version__, "--version", prog_name="automl", message="%(prog)s %(version)s")
@click.option("--debug", is_flag=True, help="Show tracebacks of errors and log at DEBUG level.")
@click.option("-v", "--verbose", count=True, help="Log more (-v: INFO, -vv: DEBUG).")
@click.option(
    "--disable-plugin",
    "disabled",
    multiple=True,
    metavar="NAME",
    help="Do not load the plugin NAME (repeatable; also AUTOML_DISABLE_PLUGINS=a,b).",
)
@click.pass_context
def cli(ctx: click.Context, debug: bool, verbose: int, disabled: tuple[str, ...]) -> None:
    """automl: run a whole AutoML job from one recipe file.

    A recipe (YAML) names the data, the task, the metric, the models and the budget; automl
    searches models and hyperparameters with Optuna, locally or on Ray, and writes a ranked
    leaderboard and a packaged best model. Data sources, models, metrics and deployers are
    plugins: see `automl plugins`.

    Docs: docs/recipes.md (recipe reference), docs/plugins.md (writing plugins), docs/cli.md.
    """
    ctx.obj = CliState(debug=debug, verbose=verbose, disabled=disabled)
    _configure_logging(ctx.obj)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
@click.pass_obj
def plugins(state: CliState, as_json: bool) -> None:
    """List the installed plugins' components, and plugins that failed to load.

    The JSON form is a list of objects with the keys kind, name, plugin, distribution, version
    and description.
    """
    registry_logger = logging.getLogger("automl.registry")
    level = registry_logger.level
    if not as_json:
        # The table shows the problems; do not log them a second time.
        registry_logger.setLevel(logging.CRITICAL + 1)
    try:
        registry = state.registry()
        registry.components()
    finally:
        registry_logger.setLevel(level)
    rows = [
        {
            "kind": component.kind.value,
            "name": component.name,
            "plugin": component.plugin.name,
            "distribution": component.plugin.distribution,
            "version": component.plugin.version,
            "description": component.spec.description,
        }
        for component in registry.components()
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    from automl.rendering import render_plugins

    render_plugins(_stdout(), registry)


@cli.command()
@click.argument("recipes", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-q", "--quiet", is_flag=True, help="Print only problems, not what was filled in.")
@click.pass_obj
def validate(state: CliState, recipes: tuple[Path, ...], quiet: bool) -> None:
    """Check recipe files without running them.

    Every problem in a recipe is reported at once, with its path (such as search.cv) and line.
    For a valid recipe, the defaults that automl filled in are listed. Values that come from
    ${ENV} interpolation are never printed. Exits with 3 if any recipe is invalid.
    """
    from automl.errors import RecipeError
    from automl.recipe import load_recipe
    from automl.rendering import render_recipe_summary

    registry = state.registry()
    out, err = _stdout(), _stderr()
    failed = 0
    for path in recipes:
        try:
            resolved = load_recipe(path, registry)
        except RecipeError as exc:
            failed += 1
            if state.debug:
                _print_traceback(err, exc)
            _print_error(err, exc, hint=not state.debug)
            continue
        render_recipe_summary(out, resolved, show_defaults=not quiet)
    if failed:
        raise click.exceptions.Exit(int(ExitCode.RECIPE))


@cli.command("run")
@click.argument("recipe", type=click.Path(path_type=Path))
@click.option(
    "--run-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write the run (default: runs/<name>/<timestamp>). An existing run directory is resumed.",
)
@click.option(
    "--time-budget",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="Wall-clock seconds for the whole run (overrides search.time_budget).",
)
@click.option(
    "--n-trials",
    type=click.IntRange(min=1),
    metavar="N",
    help="Largest number of trials (overrides search.n_trials).",
)
@click.option(
    "--seed", type=click.IntRange(min=0), metavar="N", help="Seed (overrides search.seed)."
)
@click.option(
    "--backend",
    type=click.Choice(["local", "ray"]),
    help="Where trials run (overrides execution.backend).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    metavar="N",
    help="Trials at once (overrides execution.workers).",
)
@click.option(
    "--address",
    metavar="ADDR",
    help="Attach to the Ray cluster at ADDR (host:port or ray://host:port); implies --backend ray. "
    "RAY_ADDRESS is used when neither this nor execution.address is set.",
)
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Leaderboard rows to show.",
)
@click.pass_obj
def run_command(
    state: CliState,
    recipe: Path,
    run_dir: Path | None,
    time_budget: float | None,
    n_trials: int | None,
    seed: int | None,
    backend: str | None,
    workers: int | None,
    address: str | None,
    top: int,
) -> None:
    """Run a recipe: search models and hyperparameters, then package the best model.

    Shows progress while it runs, then the leaderboard and where everything was written:
    leaderboard.csv/json, run.json, run.log, the study journal and model/ (the packaged best
    model). A budget given here replaces the recipe's budget. Running again with the same
    --run-dir resumes: finished trials are kept, interrupted ones run again.
    """
    import signal

    from automl.recipe import load_recipe
    from automl.rendering import RunDisplay, render_leaderboard, render_run_summary
    from automl.runner import default_run_dir, run, with_overrides

    resolved = load_recipe(recipe, state.registry())
    resolved = with_overrides(
        resolved,
        time_budget=time_budget,
        n_trials=n_trials,
        seed=seed,
        backend=backend,
        workers=workers,
        address=address,
    )
    directory = run_dir if run_dir is not None else default_run_dir(resolved.name)
    out = _stdout()

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        with RunDisplay(_stderr(), resolved) as display:
            result = run(
                resolved,
                run_dir=directory,
                on_progress=display.update,
                on_phase=display.phase,
                on_profile=display.profile,
            )
    except KeyboardInterrupt:
        import shlex

        command = ["automl", "run", str(recipe), "--run-dir", str(directory)]
        overrides = {
            "--time-budget": time_budget,
            "--n-trials": n_trials,
            "--seed": seed,
            "--backend": backend,
            "--workers": workers,
            "--address": address,
        }
        for flag, value in overrides.items():
            if value is not None:
                command += [flag, str(value)]
        _stderr().print(
            f"Interrupted. Finished trials are kept; resume with: {shlex.join(command)}",
            markup=False,
            soft_wrap=True,
        )
        raise click.exceptions.Exit(int(ExitCode.INTERRUPTED)) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
    render_leaderboard(out, result.leaderboard, top=top)
    render_run_summary(out, result)


@cli.command("profile")
@click.argument("recipe", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the profile as JSON.")
@click.pass_obj
def profile_command(state: CliState, recipe: Path, as_json: bool) -> None:
    """Load a recipe's data and show its profile, without searching.

    Rows and columns, each column's kind (numeric, boolean, datetime, categorical, text, id)
    and why, missing values, what cleaning dropped and why, and warnings such as a feature
    that copies the target. `automl run` shows the same profile first and saves it as
    profile.json in the run directory.
    """
    from automl.data.load import load_frame
    from automl.data.prepare import prepare
    from automl.recipe import load_recipe
    from automl.rendering import render_profile

    resolved = load_recipe(recipe, state.registry())
    data = resolved.recipe.data
    frame = load_frame(resolved)
    table = prepare(
        frame, data.target, resolved.recipe.task, cv=resolved.recipe.search.cv, columns=data.columns
    )
    if as_json:
        click.echo(json.dumps(table.profile.to_dict(), indent=2, default=str))
        return
    render_profile(_stdout(), table.profile)


@cli.command("leaderboard")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--top", type=click.IntRange(min=1), help="Show only the best N rows.")
@click.option("--json", "as_json", is_flag=True, help="Print the leaderboard as JSON.")
def leaderboard_command(run_dir: Path, top: int | None, as_json: bool) -> None:
    """Print the leaderboard of a finished run again."""
    from automl.leaderboard import Leaderboard

    board = Leaderboard.read(run_dir)
    if top is not None:
        board.rows = board.rows[:top]
    if as_json:
        document = {
            "metric": board.metric,
            "direction": board.direction,
            "metrics": board.metrics,
            "rows": board.rows,
        }
        click.echo(json.dumps(document, indent=2, default=str))
        return
    from automl.rendering import render_leaderboard

    render_leaderboard(_stdout(), board, top=top)


@cli.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of stdout.",
)
@click.pass_obj
def schema(state: CliState, output: Path | None) -> None:
    """Print the JSON Schema of recipes, with the installed plugins' parameters.

    Point an editor at it for completion and checks, e.g. with the YAML language server:
    `# yaml-language-server: $schema=recipe.schema.json` at the top of a recipe.
    """
    from automl.recipe import recipe_json_schema

    text = json.dumps(recipe_json_schema(state.registry()), indent=2)
    if output is None:
        click.echo(text)
    else:
        try:
            output.write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
        _stderr().print(f"Wrote the recipe schema to {output}", markup=False)


_CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".csv.xz", ".csv.zip", ".csv.zst")
_PARQUET_SUFFIXES = (".parquet", ".pq")


def _table_format(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(_CSV_SUFFIXES):
        return "csv"
    if name.endswith(_PARQUET_SUFFIXES):
        return "parquet"
    return None


def _read_table(path: Path) -> Any:
    """Read a CSV or Parquet file (by extension) into a DataFrame; DataError on failure."""
    import pandas as pd

    from automl.errors import DataError

    kind = _table_format(path)
    if kind is None:
        raise DataError(f"cannot read {path}: the input must be a .csv or .parquet file")
    if not path.exists():
        raise DataError(f"input file not found: {path}")
    if not path.is_file():
        raise DataError(f"cannot read {path}: not a file")
    try:
        if kind == "csv":
            return pd.read_csv(path)
        return pd.read_parquet(path)
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"cannot read {path}: the file is empty (no header row)") from exc
    except (OSError, ValueError, TypeError, UnicodeDecodeError, KeyError) as exc:
        raise DataError(f"cannot read {path} as {kind.upper()}: {exc}") from exc


@cli.command()
@click.argument("model_dir", metavar="MODEL_DIR", type=click.Path(path_type=Path))
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this .csv or .parquet file instead of CSV on stdout.",
)
@click.option(
    "--proba", is_flag=True, help="Add a proba_<class> column per class (classification only)."
)
def predict(model_dir: Path, input_path: Path, output: Path | None, proba: bool) -> None:
    """Predict with a model package: one output row per row of INPUT (.csv or .parquet).

    MODEL_DIR is a model package (such as runs/<run>/model); its checksums are verified before
    it is loaded, so only use packages from a trusted source. INPUT needs the model's feature
    columns; other columns (such as the target) are ignored with a warning. The output has a
    `prediction` column, plus one `proba_<class>` column per class with --proba.
    """
    from automl.errors import DataError, PackageError
    from automl.package import load_model

    if output is not None and _table_format(output) is None:
        raise click.BadParameter("must end in .csv or .parquet", param_hint="'-o' / '--output'")
    package = load_model(model_dir)
    if proba and package.classes is None:
        raise PackageError(
            f"--proba needs a classification model; {model_dir} holds a regression model "
            f"(target {package.target!r})"
        )
    # Checked once, so that ignored columns are reported once.
    features = package.prepare_input(_read_table(input_path))
    result = package.predict(features).to_frame().reset_index(drop=True)
    if proba:
        probabilities = package.predict_proba(features).reset_index(drop=True)
        for label in probabilities.columns:
            result[f"proba_{label}"] = probabilities[label].to_numpy()
    if output is None:
        click.echo(result.to_csv(index=False), nl=False)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        if _table_format(output) == "csv":
            result.to_csv(output, index=False)
        else:
            result.to_parquet(output, index=False)
    except OSError as exc:
        raise DataError(f"cannot write {output}: {exc}") from exc
    _stderr().print(f"Wrote {len(result)} predictions to {output}", markup=False)


def main() -> None:
    """Entry point of the ``automl`` console script."""
    cli.main(prog_name="automl")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
