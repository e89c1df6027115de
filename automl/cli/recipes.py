"""``automl validate`` and ``automl schema``: recipes checked, and their JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import click

from automl.cli.state import CliState
from automl.errors import ExitCode, UsageError


@click.command("validate")
@click.argument("recipes", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-q", "--quiet", is_flag=True, help="Print only problems, not what was filled in.")
@click.pass_obj
def validate_command(state: CliState, recipes: tuple[Path, ...], quiet: bool) -> None:
    """Check recipe files without running them.

    Every problem in a recipe is reported at once, with its path (such as search.cv) and line.
    For a valid recipe, the defaults that automl filled in are listed. Values that come from
    ${ENV} interpolation are never printed. Exits with 3 if any recipe is invalid (4 when one
    names a component that is not installed or whose plugin failed).
    """
    from automl import RecipeError, load_recipe
    from automl.cli.console import stderr_console, stdout_console
    from automl.cli.render.errors import render_error
    from automl.cli.render.recipe import render_recipe_summary

    registry = state.registry()
    out, err = stdout_console(), stderr_console()
    failed: list[ExitCode] = []
    for path in recipes:
        try:
            resolved = load_recipe(path, registry)
        except RecipeError as exc:
            # Every recipe is checked: report this one and go on.
            failed.append(exc.exit_code)
            render_error(err, exc, debug=state.debug)
            continue
        render_recipe_summary(out, resolved, show_defaults=not quiet)
    if failed:
        raise click.exceptions.Exit(int(max(failed)))


@click.command("schema")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of stdout.",
)
@click.pass_obj
def schema_command(state: CliState, output: Path | None) -> None:
    """Print the JSON Schema of recipes, with the installed plugins' parameters.

    Point an editor at it for completion and checks, e.g. with the YAML language server:
    `# yaml-language-server: $schema=recipe.schema.json` at the top of a recipe.
    """
    from automl.recipe import recipe_json_schema

    text = json.dumps(recipe_json_schema(state.registry()), indent=2)
    if output is None:
        click.echo(text)
        return
    try:
        output.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
    from automl.cli.console import stderr_console

    stderr_console().print(f"Wrote the recipe schema to {output}", markup=False)
