"""The ``automl`` group: global options, logging, errors turned into exit codes, the commands."""

from __future__ import annotations

import logging
from typing import Any

import click

from automl.cli.leaderboard import leaderboard_command
from automl.cli.plugins import plugins_command
from automl.cli.predict import predict_command
from automl.cli.profile import profile_command
from automl.cli.recipes import schema_command, validate_command
from automl.cli.run import run_command
from automl.cli.runs import runs_command
from automl.cli.state import CliState
from automl.errors import EXIT_CODE_MEANINGS, AutomlError, ExitCode
from automl.version import __version__

_EXIT_CODES_HELP = "\b\nExit codes:\n" + "\n".join(
    f"  {int(code):>3}  {meaning}" for code, meaning in EXIT_CODE_MEANINGS.items()
)


def _log_level(state: CliState) -> int:
    if state.debug or state.verbose > 1:
        return logging.DEBUG
    return logging.INFO if state.verbose else logging.WARNING


class AutomlGroup(click.Group):
    """A click group that turns :class:`AutomlError` into a message and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; an :class:`AutomlError` or Ctrl-C becomes a message and exit code."""
        try:
            return super().invoke(ctx)
        except AutomlError as exc:
            from automl.cli.console import stderr_console
            from automl.cli.render.errors import render_error

            state = ctx.obj if isinstance(ctx.obj, CliState) else CliState()
            render_error(stderr_console(), exc, debug=state.debug)
            ctx.exit(int(exc.exit_code))
        except KeyboardInterrupt:
            from automl.cli.console import stderr_console

            stderr_console().print("Interrupted.")
            ctx.exit(int(ExitCode.INTERRUPTED))


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
    from automl.cli.logs import configure_logging

    ctx.obj = CliState(debug=debug, verbose=verbose, disabled=disabled)
    ctx.obj.terminal = configure_logging(_log_level(ctx.obj))


for _command in (
    plugins_command,
    validate_command,
    run_command,
    runs_command,
    profile_command,
    leaderboard_command,
    schema_command,
    predict_command,
):
    cli.add_command(_command)


def main() -> None:
    """Entry point of the ``automl`` console script."""
    cli.main(prog_name="automl")
