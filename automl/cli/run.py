"""``automl run``: run a recipe with a progress display, then show the results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from automl.cli.state import CliState
from automl.errors import ExitCode
from automl.options import Backend, names


@click.command("run")
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
    type=click.Choice(names(Backend)),
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
    "--resume",
    is_flag=True,
    help="Resume the newest interrupted or failed run of this recipe under runs/<name>/.",
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
    resume: bool,
    top: int,
) -> None:
    """Run a recipe: search models and hyperparameters, then package the best model.

    Shows progress while it runs, then the leaderboard and where everything was written:
    leaderboard.csv/json, run.json, run.log, the study journal and model/ (the packaged best
    model). A budget given here replaces the recipe's budget. Running again with the same
    --run-dir resumes: finished trials are kept, interrupted ones run again; --resume finds
    the newest interrupted run of the recipe under runs/<name>/ and resumes it.
    """
    import signal

    from automl import load_recipe, run, with_overrides
    from automl.cli.console import stderr_console, stdout_console
    from automl.cli.render.leaderboard import render_leaderboard
    from automl.cli.render.progress import RunDisplay
    from automl.cli.render.summary import render_run_summary
    from automl.runner import default_run_dir, make_budget
    from automl.search import process_started

    overrides: dict[str, Any] = {
        "time_budget": time_budget,
        "n_trials": n_trials,
        "seed": seed,
        "backend": backend,
        "workers": workers,
        "address": address,
    }
    resolved = with_overrides(load_recipe(recipe, state.registry()), **overrides)
    directory = run_dir
    if directory is None:
        directory = earlier_run(recipe, resolved.name, overrides, resume=resume)
    if directory is None:
        directory = default_run_dir(resolved.name)
    out = stdout_console()

    def stop(signum: int, frame: Any) -> None:
        # SIGTERM stops the run the way Ctrl-C does: finished trials are kept.
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        # One budget, built once: the run keeps to it and the display shows what is left of it.
        budget = make_budget(resolved, started=process_started())
        with RunDisplay(stderr_console(), budget) as display:
            state.render_profile_only()  # the display shows the profile
            if not display.live:
                state.show_trial_lines()  # no live display: a log line per trial instead
            result = run(
                resolved,
                run_dir=directory,
                on_progress=display.update,
                on_phase=display.phase,
                on_profile=display.profile,
                budget=budget,
            )
    except KeyboardInterrupt:
        stderr_console().print(
            "Interrupted. Finished trials are kept; resume with: "
            + resume_command(recipe, directory, overrides),
            markup=False,
            soft_wrap=True,
        )
        raise click.exceptions.Exit(int(ExitCode.INTERRUPTED)) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
    render_leaderboard(out, result.leaderboard, top=top)
    render_run_summary(out, result)


def earlier_run(recipe: Path, name: str, overrides: dict[str, Any], *, resume: bool) -> Path | None:
    """The run directory to resume with ``--resume``; without it, a note that one exists.

    Raises:
        UsageError: ``--resume`` with no interrupted run of the recipe to resume.
    """
    from automl.cli.console import stderr_console
    from automl.errors import UsageError
    from automl.rundir.listing import latest_resumable

    root = Path.cwd() / "runs"
    # A note only when the newest run of the recipe stopped early: not for one a later run followed.
    earlier = latest_resumable(root, name, newest_only=not resume)
    if resume:
        if earlier is None:
            raise UsageError(
                f"--resume: no interrupted or failed run of {name!r} under {root / name} to "
                "resume; leave out --resume to start a new run, or give --run-dir"
            )
        stderr_console().print(
            f"Resuming the {state_of(earlier)} run {earlier.path}", markup=False, soft_wrap=True
        )
        return earlier.path
    if earlier is not None:
        stderr_console().print(
            f"Note: the run {earlier.path} of {name!r} did not finish ({state_of(earlier)}); "
            f"this starts a new run. To resume that one instead: "
            f"{resume_command(recipe, earlier.path, overrides)} (or add --resume)",
            markup=False,
            soft_wrap=True,
            style="yellow",
        )
    return None


def state_of(run: Any) -> str:
    """How an unfinished run ended: its status, or ``killed`` when it still says running but no
    process holds it."""
    from automl.records import RunStatus

    return "killed" if run.status is RunStatus.RUNNING else str(run.status.value)


def resume_command(recipe: Path, run_dir: Path, overrides: dict[str, Any]) -> str:
    """The shell command that resumes an interrupted run with the same overrides.

    Args:
        recipe: The recipe file as given.
        run_dir: The run directory.
        overrides: The command-line overrides by option name (``n_trials``); ``None`` is unset.
    """
    import shlex

    command = ["automl", "run", str(recipe), "--run-dir", str(run_dir)]
    for name, value in overrides.items():
        if value is not None:
            command += [f"--{name.replace('_', '-')}", str(value)]
    return shlex.join(command)
