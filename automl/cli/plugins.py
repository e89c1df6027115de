"""``automl plugins``: the installed components, and plugins that failed to load."""

from __future__ import annotations

import json
import logging

import click

from automl.cli.state import CliState


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
@click.pass_obj
def plugins_command(state: CliState, as_json: bool) -> None:
    """List the installed plugins' components, and plugins that failed to load.

    A component whose library is not installed is listed as unavailable, with the command that
    installs it (e.g. pip install "automl[lightgbm]").

    The JSON form is a list of objects with the keys kind, name, plugin, distribution, version,
    description, available (false when a library it needs is missing), missing (those
    libraries' modules) and install (the pip command, or null).
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
    if as_json:
        from automl.specs import ComponentKind  # pydantic: not at `automl --help`

        rows = [
            {
                "kind": component.kind.value,
                "name": component.name,
                "plugin": component.plugin.name,
                "distribution": component.plugin.distribution,
                "version": component.plugin.version,
                "description": component.spec.description,
                "available": component.available,
                "missing": list(component.missing),
                "install": None if component.available else component.install_command,
            }
            for kind in ComponentKind
            for component in sorted(
                [*registry.components(kind), *registry.unavailable(kind)], key=lambda c: c.name
            )
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    from automl.cli.console import stdout_console
    from automl.cli.render.plugins import render_plugins

    render_plugins(stdout_console(), registry)
