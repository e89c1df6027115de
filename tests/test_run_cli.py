"""`automl run` and `automl leaderboard` from the command line, and every example recipe."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from click.testing import CliRunner

from automl import hookimpl
from automl.cli import cli
from automl.errors import ExitCode
from automl.registry import PluginRegistry
from automl.search.ray_connect import RAY_AUTH_LOGGER, quiet_ray_notices
from automl.search.workers import WorkerSetup, plugin_refs, rebuild
from tests.conftest import ROOT, SiteDir
from tests.run_helpers import (
    churn_recipe,
    cli_process,
    install_test_models,
    wait_for_complete_trials,
)

RECIPES = sorted((ROOT / "recipes").glob("*.yaml"))


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("recipe", RECIPES, ids=[p.stem for p in RECIPES])
def test_example_recipes_run(recipe: Path, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if recipe.stem == "http_example":
        request.getfixturevalue("example_api")  # the recipe reads from the example API
    run_dir = tmp_path / "run"
    code, out, err = _invoke(
        "run", str(recipe), "--run-dir", str(run_dir), "--n-trials", "4", "--top", "3"
    )
    assert code == 0, err
    assert "Leaderboard" in out
    assert f"Run directory: {run_dir}" in out
    summary = json.loads((run_dir / "run.json").read_text())
    assert summary["status"] == "finished"
    assert summary["trials"]["finished"] == 4
    assert (run_dir / "model" / "MLmodel").is_file()
    assert len(summary["model_sha256"]) == 64


@pytest.mark.slow
def test_leaderboard_command(tmp_path: Path) -> None:
    recipe = churn_recipe(
        tmp_path, extra="models: [logistic_regression, decision_tree]\nsearch: {cv: 3}\n"
    )
    run_dir = tmp_path / "run"
    code, _, err = _invoke(
        "run", str(recipe), "--run-dir", str(run_dir), "--n-trials", "5", "--seed", "1"
    )
    assert code == 0, err
    code, out, _ = _invoke("leaderboard", str(run_dir), "--top", "2")
    assert code == 0
    assert "roc_auc" in out
    code, out, _ = _invoke("leaderboard", str(run_dir), "--json")
    document = json.loads(out)
    assert document["metric"] == "roc_auc"
    assert document["direction"] == "maximize"
    assert [row["rank"] for row in document["rows"]] == list(range(1, len(document["rows"]) + 1))
    code, out, _ = _invoke("leaderboard", str(run_dir), "--json", "--top", "1")
    assert len(json.loads(out)["rows"]) == 1
    assert json.loads((run_dir / "run.json").read_text())["seed"] == 1


def test_leaderboard_of_a_folder_without_a_run(tmp_path: Path) -> None:
    code, _, err = _invoke("leaderboard", str(tmp_path))
    assert code == ExitCode.USAGE
    assert "holds no leaderboard.json" in err


def test_run_errors_exit_with_their_codes(tmp_path: Path) -> None:
    recipe = churn_recipe(tmp_path, extra="search: {n_trials: 2}\n")
    recipe.write_text(recipe.read_text().replace("target: churned", "target: chrned"))
    code, _, err = _invoke("run", str(recipe), "--run-dir", str(tmp_path / "run"))
    assert code == ExitCode.DATA
    assert "Did you mean 'churned'?" in err
    assert "Traceback" not in err
    code, _, err = _invoke("run", str(tmp_path / "nope.yaml"))
    assert code == ExitCode.RECIPE
    code, _, err = _invoke(
        "run", str(recipe), "--address", "127.0.0.1:1", "--run-dir", str(tmp_path / "r2")
    )
    assert code == ExitCode.EXECUTOR
    assert "cannot reach the Ray cluster at 127.0.0.1:1" in err


@pytest.mark.slow
def test_sigterm_stops_cleanly_and_the_run_resumes(tmp_path: Path, site: SiteDir) -> None:
    install_test_models(site)
    extra = """
    models: [{type: sleepy, params: {seconds: 0.2}}]
    search: {n_trials: 40, cv: 2}
    execution: {workers: 1}
    """
    recipe = churn_recipe(tmp_path, rows=200, extra=extra)
    run_dir = tmp_path / "run"
    command = ["run", str(recipe), "--run-dir", str(run_dir), "--seed", "0"]
    process = cli_process(command, site, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert wait_for_complete_trials(run_dir, 2) >= 2, "the run did not get going"
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == ExitCode.INTERRUPTED, err
    assert f"--run-dir {run_dir} --seed 0" in err  # the resume command repeats the overrides
    summary = json.loads((run_dir / "run.json").read_text())
    assert summary["status"] == "interrupted"
    # What finished before the interrupt is visible at once.
    assert summary["trials"]["complete"] >= 1
    board = json.loads((run_dir / "leaderboard.json").read_text())
    assert len(board["rows"]) == summary["trials"]["complete"]
    resumed = cli_process(
        [*command, "--n-trials", "6"], site, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    _, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err
    summary = json.loads((run_dir / "run.json").read_text())
    assert summary["status"] == "finished"
    assert summary["resumed"] is True


@pytest.mark.slow
def test_ctrl_c_to_the_process_group_prints_no_tracebacks(tmp_path: Path, site: SiteDir) -> None:
    """A terminal's Ctrl-C reaches the driver and its workers; only the driver answers."""
    install_test_models(site)
    extra = """
    models: [{type: sleepy, params: {seconds: 0.2}}]
    search: {n_trials: 200, cv: 2}
    execution: {workers: 2}
    """
    recipe = churn_recipe(tmp_path, rows=200, extra=extra)
    run_dir = tmp_path / "run"
    process = cli_process(
        ["run", str(recipe), "--run-dir", str(run_dir)],
        site,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, like a terminal job
    )
    assert wait_for_complete_trials(run_dir, 2) >= 2, "the run did not get going"
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == ExitCode.INTERRUPTED, err
    assert "Traceback" not in err
    assert "Interrupted. Finished trials are kept" in err


# -- less noise --------------------------------------------------------------------------------


class BrokenMetrics:
    """A plugin whose metric registration raises: the driver reports it once."""

    @hookimpl
    def automl_register_metrics(self) -> list[object]:
        raise RuntimeError("no metrics today")


def test_workers_do_not_log_the_drivers_plugin_problems(caplog: pytest.LogCaptureFixture) -> None:
    registry = PluginRegistry.discover(autoload=False)
    registry.add_plugin(BrokenMetrics(), name="broken_metrics")
    with caplog.at_level(logging.WARNING, logger="automl.registry"):
        registry.components()
        assert "no metrics today" in caplog.text  # the driver reports it
        caplog.clear()
        data = SimpleNamespace(metric="roc_auc", metrics=["accuracy"])
        setup = WorkerSetup(data=data, plugins=plugin_refs(registry), models=["decision_tree"])  # type: ignore[arg-type]
        state = rebuild(setup)
    assert set(state.models) == {"decision_tree"}
    assert caplog.records == []
    assert not logging.getLogger("automl.registry").disabled


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        ("Token authentication is enabled for this Ray cluster. Set RAY_AUTH_MODE=disabled", False),
        ("Token authentication is disabled for this Ray cluster. Anyone with network access", True),
    ],
    ids=["enabled-notice", "disabled-warning"],
)
def test_ray_token_auth_notice_is_silenced(
    message: str, shown: bool, caplog: pytest.LogCaptureFixture
) -> None:
    quiet_ray_notices()
    quiet_ray_notices()  # once is enough, twice is harmless
    auth_logger = logging.getLogger(RAY_AUTH_LOGGER)
    assert len(auth_logger.filters) == 1
    with caplog.at_level(logging.WARNING, logger=RAY_AUTH_LOGGER):
        auth_logger.warning(message)
    assert bool(caplog.records) is shown


# -- the story of a run, when the output is not a terminal -------------------------------------


BROKEN_METRICS_PLUGIN = """
from automl import hookimpl

@hookimpl
def automl_register_metrics():
    raise RuntimeError("no metrics today")
"""


@pytest.mark.slow
def test_run_off_a_terminal_prints_plain_lines_and_run_log_tells_the_story(
    tmp_path: Path, site: SiteDir
) -> None:
    site.add(
        "automl-broken-metrics",
        {"broken_metrics": BROKEN_METRICS_PLUGIN},
        {"broken_metrics": "broken_metrics"},
    )
    extra = "models: [decision_tree]\nsearch: {cv: 2}\nexecution: {workers: 2}\n"
    recipe = churn_recipe(tmp_path, extra=extra)
    frame = pd.read_csv(tmp_path / "churn.csv")
    frame["status_code"] = frame["churned"].map({"yes": "S1", "no": "S0"})  # a copy: leakage
    frame.to_csv(tmp_path / "churn.csv", index=False)
    run_dir = tmp_path / "run"
    command = ["run", str(recipe), "--run-dir", str(run_dir), "--n-trials", "3"]
    process = cli_process(command, site, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert "\x1b" not in err + out
    # Each warning once: the leakage in the profile (not logged as well), the broken plugin by
    # the driver (not by every worker again).
    assert err.count("'status_code' determines the target") == 1
    assert err.count("no metrics today") == 1
    assert len(re.findall(r" INFO Trial \d decision_tree: complete, roc_auc \d\.\d{4}", err)) == 3
    assert err.rstrip().splitlines()[-1].startswith("Done in ")
    log = (run_dir / "run.log").read_text()
    assert "Plugin problem: " in log
    assert "no metrics today" in log
    phases = re.findall(r"automl\.runner\.flow: Phase (\w+)", log)
    assert phases == ["load", "prepare", "search", "ensemble", "refit", "package"]
    assert len(re.findall(r"Trial \d decision_tree: complete, roc_auc \d\.\d+, fit \d", log)) == 3
    assert "'status_code' determines the target" in log
    assert log.rstrip().splitlines()[-1].endswith("automl.runner.flow: Run finished")
