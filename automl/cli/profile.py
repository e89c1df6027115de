"""``automl profile``: a recipe's data profile, without searching."""

from __future__ import annotations

import json
from pathlib import Path

import click

from automl.cli.state import CliState


@click.command("profile")
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
    from automl import load_recipe
    from automl.runner import profile_data

    if not as_json:
        state.render_profile_only()  # its warnings show in the profile, not logged as well
    profile = profile_data(load_recipe(recipe, state.registry()))
    if as_json:
        click.echo(json.dumps(profile.to_dict(), indent=2, default=str))
        return
    from automl.cli.console import stdout_console
    from automl.cli.render.profile import render_profile

    render_profile(stdout_console(), profile)
