"""`automl run` and `automl leaderboard` from the command line, and every example recipe."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from automl.cli import cli
from automl.errors import ExitCode
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
