"""The command line: version, plugins, validate, schema, errors and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from automl import __version__
from automl.cli import cli
from automl.errors import ExitCode
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
        set(row) == {"kind", "name", "plugin", "distribution", "version", "description"}
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
    }
    assert {row["name"] for row in rows if row["kind"] == "metric"} >= {
        "accuracy",
        "rmse",
        "log_loss",
    }


def test_disable_plugin_option_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    _, out, _ = _run("--disable-plugin", "io", "plugins", "--json")
    assert {row["plugin"] for row in json.loads(out)} == {"sklearn", "lightgbm", "torch"}
    monkeypatch.setenv("AUTOML_DISABLE_PLUGINS", "sklearn,lightgbm,torch")
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
    assert "--debug" in err
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
