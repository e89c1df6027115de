"""The command line: version, plugins, validate, schema, errors and exit codes."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rich.console import Console

from automl import __version__
from automl.cli import cli
from automl.cli.logs import PROFILE_LOGGER, TRIAL_LOGGER, TerminalFilter, configure_logging
from automl.cli.render.cells import plural
from automl.cli.render.errors import render_error
from automl.cli.render.failures import render_failed_trials
from automl.cli.render.leaderboard import render_leaderboard
from automl.cli.render.progress import RunDisplay
from automl.errors import (
    AutomlError,
    DataError,
    ExecutorError,
    ExitCode,
    PluginError,
    RecipeError,
    RecipeIssue,
    UsageError,
)
from automl.leaderboard import Leaderboard
from automl.records import LeaderboardRow, MetricScores
from automl.search import Budget, SearchProgress
from tests.conftest import SiteDir

VALID = """
name: demo
task: binary
data:
  source: {type: csv, path: data.csv}
  target: y
metric: f1
search: {n_trials: 10}
"""

INVALID = """
data:
  source: {type: cvs, path: data.csv, sep: ";"}
  target: y
search: {cv: 1}
"""


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_version() -> None:
    code, out, _ = _run("--version")
    assert code == 0
    assert out.strip() == f"automl {__version__}"


def test_help_documents_commands_and_exit_codes() -> None:
    code, out, _ = _run("--help")
    assert code == 0
    for word in ("plugins", "validate", "schema", "--disable-plugin", "--debug", "Exit codes:"):
        assert word in out
    for exit_code in ExitCode:
        assert f" {int(exit_code)}  " in out


def test_plugins_table() -> None:
    code, out, _ = _run("plugins")
    assert code == 0
    for word in (
        "data source",
        "csv",
        "parquet",
        "metric",
        "roc_auc",
        "io",
        "sklearn",
        "automl",
        __version__,
    ):
        assert word in out


def test_plugins_json() -> None:
    code, out, _ = _run("plugins", "--json")
    assert code == 0
    rows = json.loads(out)
    assert all(
        set(row)
        == {
            "kind",
            "name",
            "plugin",
            "distribution",
            "version",
            "description",
            "available",
            "missing",
            "install",
        }
        for row in rows
    )
    csv = next(row for row in rows if row["name"] == "csv")
    assert csv == {
        "kind": "data_source",
        "name": "csv",
        "plugin": "io",
        "distribution": "automl",
        "version": __version__,
        "description": csv["description"],
        "available": True,
        "missing": [],
        "install": None,
    }
    assert {row["name"] for row in rows if row["kind"] == "metric"} >= {
        "accuracy",
        "rmse",
        "log_loss",
    }


def test_disable_plugin_option_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    _, out, _ = _run("--disable-plugin", "io", "plugins", "--json")
    assert {row["plugin"] for row in json.loads(out)} == {
        "sklearn",
        "lightgbm",
        "xgboost",
        "catboost",
        "torch",
    }
    monkeypatch.setenv("AUTOML_DISABLE_PLUGINS", "sklearn,lightgbm,xgboost,catboost,torch")
    _, out, _ = _run("--disable-plugin", "io", "plugins", "--json")
    assert json.loads(out) == []


def test_plugins_shows_broken_plugins_and_conflicts(site: SiteDir) -> None:
    site.add(
        "automl-broken",
        {"cli_broken": "import not_installed_xyz\n"},
        {"broken": "cli_broken"},
        "0.3",
    )
    twin = (
        "from automl import MetricSpec, hookimpl\n\n@hookimpl\ndef automl_register_metrics():\n"
        "    return [MetricSpec(name='twin', description='d', factory=print, direction='maximize')]\n"
    )
    site.add("automl-twin-a", {"twin_a": twin}, {"twin_a": "twin_a"})
    site.add("automl-twin-b", {"twin_b": twin}, {"twin_b": "twin_b"})
    code, out, _ = _run("plugins")
    assert code == 0
    assert "Plugins that failed" in out
    assert "automl-broken" in out
    assert "ModuleNotFoundError" in out
    assert "Conflict: metric 'twin'" in out
    assert "roc_auc" in out


def test_validate_valid_recipe(write: Callable[[str, str], Path]) -> None:
    path = write("demo.yaml", VALID)
    code, out, err = _run("validate", str(path))
    assert code == 0, err
    assert f"✓ {path} is valid" in out
    assert "Filled in by automl" in out
    assert "search.cv" in out
    code, out, _ = _run("validate", "--quiet", str(path))
    assert code == 0
    assert "Filled in" not in out


def test_validate_invalid_recipe_has_no_traceback(write: Callable[[str, str], Path]) -> None:
    good = write("demo.yaml", VALID)
    bad = write("bad.yaml", INVALID)
    code, out, err = _run("validate", str(bad), str(good))
    assert code == ExitCode.RECIPE
    assert f"Error: {bad}: 2 problems in the recipe" in err
    assert "data.source.type (line 3): Unknown data source 'cvs'. Did you mean 'csv'?" in err
    assert (
        "data.source.sep (line 3): unknown key 'sep'" not in err
    )  # unknown source: its params are not checked
    assert "search.cv (line 5)" in err
    assert "Traceback" not in err
    assert f"✓ {good} is valid" in out  # every recipe is checked


def test_validate_missing_file() -> None:
    code, _, err = _run("validate", "no/such/recipe.yaml")
    assert code == ExitCode.RECIPE
    assert "file not found" in err


def test_debug_shows_traceback(write: Callable[[str, str], Path]) -> None:
    bad = write("bad.yaml", INVALID)
    code, _, err = _run("--debug", "validate", str(bad))
    assert code == ExitCode.RECIPE
    assert "Traceback (most recent call last)" in err
    assert "RecipeError" in err
    assert "--debug to see" not in err


def test_secrets_are_not_printed(
    write: Callable[[str, str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DB_PASSWORD", "hunter2 very secret")
    # In a YAML flow mapping ({...}) a reference must be quoted; in block style it need not be.
    path = write(
        "s.yaml",
        INVALID.replace("path: data.csv", 'path: "${DB_PASSWORD}"') + "name: ${DB_PASSWORD}\n",
    )
    code, out, err = _run("validate", str(path))
    assert code == ExitCode.RECIPE
    assert "hunter2" not in out + err
    assert "name (line 6): a name holds letters" in err
    assert "the value comes from the environment and is not shown" in err


def test_valid_recipe_summary_hides_environment_values(
    write: Callable[[str, str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUN_NAME", "nightly-run-xyz")
    monkeypatch.setenv("TARGET_COLUMN", "churned-col")
    path = write(
        "e.yaml",
        VALID.replace("name: demo", "name: ${RUN_NAME}").replace(
            "target: y", "target: ${TARGET_COLUMN}"
        ),
    )
    code, out, err = _run("validate", str(path))
    assert code == 0, err
    assert "nightly-run-xyz" not in out + err
    assert "churned-col" not in out + err
    assert "name (from the environment)" in out


def test_usage_error_exit_code() -> None:
    assert CliRunner().invoke(cli, ["validate"]).exit_code == ExitCode.USAGE
    assert CliRunner().invoke(cli, ["--no-such-option"]).exit_code == ExitCode.USAGE


def test_schema_stdout_and_file(tmp_path: Path) -> None:
    code, out, _ = _run("schema")
    assert code == 0
    schema = json.loads(out)
    assert schema["$schema"].endswith("2020-12/schema")
    target = tmp_path / "recipe.schema.json"
    code, _, err = _run("schema", "-o", str(target))
    assert code == 0
    assert json.loads(target.read_text()) == schema
    assert "Wrote the recipe schema" in err


def test_module_entry_and_console_script(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "automl", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == f"automl {__version__}"


def test_help_imports_nothing_heavy(tmp_path: Path) -> None:
    code = (
        "import sys, json\n"
        "from automl.cli import cli\n"
        "try:\n    cli.main(['--help'], standalone_mode=False)\nexcept SystemExit:\n    pass\n"
        "heavy = ['torch', 'ray', 'lightgbm', 'sklearn', 'pandas', 'optuna', 'numpy', 'pydantic', 'rich']\n"
        "sys.stderr.write(json.dumps([m for m in heavy if m in sys.modules]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert json.loads(result.stderr) == []


def test_unexpected_errors_show_their_traceback(write: Callable[[str, str], Path]) -> None:
    path = write("demo.yaml", VALID)
    code = (
        "import sys\n"
        "import automl.recipe\n"
        "def broken(*args, **kwargs):\n"
        "    raise RuntimeError('a bug')\n"
        "automl.recipe.load_recipe = broken\n"
        "from automl.cli import main\n"
        f"sys.argv = ['automl', 'validate', {str(path)!r}]\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == ExitCode.ERROR
    assert "Traceback (most recent call last)" in result.stderr
    assert "RuntimeError: a bug" in result.stderr


# -- errors: the --debug hint only where the traceback says more ---------------------------------


def _caused(error: AutomlError, cause: BaseException) -> AutomlError:
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("error", "hint"),
    [
        (RecipeError("r.yaml", [RecipeIssue("search.cv", "must be 2 or more")]), False),
        (_caused(UsageError("no such run"), OSError("gone")), False),
        (DataError("target column 'x' not found"), False),
        (
            _caused(DataError("cannot read data.csv"), UnicodeDecodeError("utf-8", b"", 0, 1, "x")),
            True,
        ),
        (_caused(ExecutorError("cannot start Ray"), RuntimeError("raylet died")), True),
        (_caused(PluginError("on node-1: missing"), PluginError("missing")), False),
    ],
    ids=["recipe", "usage-with-cause", "data-plain", "data-caused", "executor-caused", "wrapped"],
)
def test_debug_hint_only_when_the_traceback_helps(error: AutomlError, hint: bool) -> None:
    console = Console(width=100, record=True)
    render_error(console, error)
    assert ("--debug" in console.export_text()) is hint


def test_recipe_typo_does_not_suggest_debug(write: Callable[[str, str], Path]) -> None:
    bad = write("bad.yaml", INVALID)
    code, _, err = _run("validate", str(bad))
    assert code == ExitCode.RECIPE
    assert "--debug" not in err


# -- counts in the right number ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "word", "expected"),
    [
        (0, "row", "0 rows"),
        (1, "row", "1 row"),
        (2, "more row", "2 more rows"),
        (1, "trial", "1 trial"),
    ],
    ids=["zero", "one", "many", "trial"],
)
def test_plural(count: int, word: str, expected: str) -> None:
    assert plural(count, word) == expected


def test_counts_in_cli_output_are_in_the_right_number() -> None:
    console = Console(width=100, record=True)
    render_failed_trials(console, [], recorded=1)
    render_leaderboard(console, _board(2), top=1)
    text = console.export_text()
    assert "No trial failed (1 trial recorded)." in text
    assert "1 more row," in text


# -- the leaderboard on a narrow terminal ------------------------------------------------------


def _board(rows: int = 3) -> Leaderboard:
    names = ["roc_auc", "accuracy", "f1", "log_loss"]
    models = ["hist_gradient_boosting", "logistic_regression", "random_forest"]
    return Leaderboard(
        metric="roc_auc",
        direction="maximize",
        metrics=names[1:],
        rows=[
            LeaderboardRow(
                rank=i + 1,
                trial=10 + i,
                model=models[i % 3],
                scores={name: MetricScores(0.81234, 0.01234) for name in names},
                holdout={"roc_auc": 0.8} if i == 0 else {},
                fit_time=0.123,
                predict_time_per_1000=0.0123,
                params={"C": 1.5},
            )
            for i in range(rows)
        ],
    )


@pytest.mark.parametrize(
    ("width", "dropped", "kept"),
    [
        (80, "+5 columns", ["#", "model", "roc_auc ± std", "holdout"]),
        (60, "+7 columns", ["#", "model", "roc_auc ± std"]),
        (100, "+3 columns", ["#", "trial", "accuracy", "pred s/1k"]),
        (160, None, ["accuracy", "params"]),
    ],
    ids=["80", "60", "100", "160"],
)
def test_leaderboard_fits_the_terminal(width: int, dropped: str | None, kept: list[str]) -> None:
    console = Console(width=width, record=True)
    render_leaderboard(console, _board(), top=2)
    text = console.export_text()
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    for header in kept:
        assert header in lines[2], header
    # Whole model names: no cell is cut or wrapped mid-word.
    assert "hist_gradient_boosting" in text
    assert "logistic_regression" in text
    assert "…" not in text
    note = lines[-1]
    assert note.startswith("1 more row")
    assert (dropped in note) if dropped else "column" not in note


# -- the progress of a run ---------------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _progress(finished: int, **fields: Any) -> SearchProgress:
    return SearchProgress(finished=finished, complete=finished, workers=2, n_trials=6, **fields)


def test_progress_on_a_terminal_ends_in_a_finished_state() -> None:
    clock = _Clock()
    budget = Budget(time_budget=60.0, clock=clock)
    console = Console(width=80, record=True, force_terminal=True)
    with RunDisplay(console, budget) as display:
        display.phase("search")
        display.update(_progress(3, running=2, time_left=40.0))
        display.phase("package")
        clock.now += 43.2
        budget.finish()
    last = console.export_text().rstrip().splitlines()[-1]
    assert "Done in 43.2 s" in last
    assert "Packaging" not in last
    assert "s left" not in last


def test_progress_not_on_a_terminal_is_plain_lines() -> None:
    clock = _Clock()
    budget = Budget(n_trials=6, clock=clock)
    console = Console(width=80, record=True, file=io.StringIO())
    assert not console.is_terminal
    with RunDisplay(console, budget, every=5.0, clock=clock) as display:
        display.phase("search")
        for second in range(12):
            clock.now += 1
            display.update(
                _progress(second // 2, running=1, best_value=0.9, best_model="m", best_number=0)
            )
        budget.finish()
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert "\x1b" not in text
    lines = text.splitlines()
    assert lines[0] == "Searching"
    assert [line for line in lines if line.startswith("Searching · ")] == [
        # The phase line starts the count: one line 5 s after it, then every 5 s.
        "Searching · 2/6 trials · 0 pruned · 0 failed · 1/2 running · best 0.9000 m #0",
        "Searching · 4/6 trials · 0 pruned · 0 failed · 1/2 running · best 0.9000 m #0",
    ]
    assert lines[-1].startswith("Done in 12.0 s · 5/6 trials")


def test_progress_says_when_the_run_was_interrupted() -> None:
    clock = _Clock()
    budget = Budget(n_trials=6, clock=clock)
    console = Console(width=80, file=io.StringIO())
    display = RunDisplay(console, budget, clock=clock)
    display.__enter__()
    clock.now += 2
    display.__exit__(KeyboardInterrupt, KeyboardInterrupt(), None)
    assert console.file.getvalue().splitlines()[-1] == "Interrupted after 2.0 s"  # type: ignore[attr-defined]


# -- what the log handler on standard error lets through ---------------------------------------


def _record(name: str, level: int) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, "message", None, None)


@pytest.mark.parametrize(
    ("name", "level", "extra", "rendered", "shown"),
    [
        ("automl.runner.flow", logging.WARNING, False, False, True),
        ("automl.runner.flow", logging.INFO, False, False, False),
        (TRIAL_LOGGER, logging.INFO, False, False, False),
        (TRIAL_LOGGER, logging.INFO, True, False, True),
        (TRIAL_LOGGER, logging.DEBUG, True, False, False),
        (PROFILE_LOGGER, logging.WARNING, False, False, True),
        (PROFILE_LOGGER, logging.WARNING, False, True, False),
    ],
    ids=["warning", "info", "trial", "trial-shown", "trial-debug", "profile", "profile-rendered"],
)
def test_terminal_filter(name: str, level: int, extra: bool, rendered: bool, shown: bool) -> None:
    terminal = TerminalFilter(logging.WARNING)
    if extra:
        terminal.extra.add(TRIAL_LOGGER)
    if rendered:
        terminal.rendered.add(PROFILE_LOGGER)
    assert terminal.filter(_record(name, level)) is shown


def test_logs_off_a_terminal_are_plain_lines(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(logging.INFO)
    logging.getLogger("automl.search.engine").info("Trial 0 m: complete, roc_auc 0.5000, fit -")
    err = capsys.readouterr().err
    assert "\x1b" not in err
    assert err.endswith(" INFO Trial 0 m: complete, roc_auc 0.5000, fit -\n")


@pytest.mark.parametrize(
    ("args", "count"),
    [([], 1), (["--json"], 2)],
    ids=["table", "json"],  # JSON holds the warning and stderr has the log line
)
def test_profile_warning_shows_once(
    write: Callable[[str, str], Path], args: list[str], count: int
) -> None:
    write(
        "data.csv",
        "x,copy,y\n" + "".join(f"{i},{'ab'[i % 2]},{['no', 'yes'][i % 2]}\n" for i in range(40)),
    )
    path = write("demo.yaml", VALID)
    code, out, err = _run("profile", str(path), *args)
    assert code == 0, err
    assert (out + err).count("determines the target exactly") == count
