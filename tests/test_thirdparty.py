"""A separate third-party distribution, built and installed, is discovered through its entry point.

The distribution is tests/example_plugin, the same files docs/plugins.md shows; it is built with
pip into a throw-away folder that a subprocess puts on its path, so the test environment itself
is left untouched.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_PLUGIN, ROOT

# pip builds and installs the distribution, then every test starts `automl` in a subprocess.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/example_plugin built and installed into its own folder; returns that folder."""
    work = tmp_path_factory.mktemp("thirdparty")
    source = work / "src"
    shutil.copytree(EXAMPLE_PLUGIN, source)  # pip writes build files next to the sources
    target = work / "site"
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "--target",
        str(target),
        str(source),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return target


def _automl(site: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(site), **env}
    environment.pop("AUTOML_DISABLE_PLUGINS", None)
    return subprocess.run(
        [sys.executable, "-m", "automl", *args],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )


def test_installed_distribution_has_entry_point(installed_example: Path) -> None:
    dist_info = next(installed_example.glob("automl_example-0.1.0.dist-info"))
    assert "[automl]\nexample = automl_example" in (dist_info / "entry_points.txt").read_text()


def test_cli_discovers_third_party_components(installed_example: Path) -> None:
    result = _automl(installed_example, "plugins", "--json")
    assert result.returncode == 0, result.stderr
    rows = {(row["kind"], row["name"]): row for row in json.loads(result.stdout)}
    assert rows[("model", "nearest_centroid")] == {
        "kind": "model",
        "name": "nearest_centroid",
        "plugin": "example",
        "distribution": "automl-example",
        "version": "0.1.0",
        "description": "Nearest centroid classifier (scikit-learn)",
        "available": True,
        "missing": [],
        "install": None,
    }
    assert rows[("metric", "max_error")]["distribution"] == "automl-example"
    assert ("metric", "accuracy") in rows


def test_third_party_params_in_schema_and_validation(
    installed_example: Path, tmp_path: Path
) -> None:
    schema = json.loads(_automl(installed_example, "schema").stdout)
    assert "nearest_centroid" in json.dumps(schema)
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        "data: {source: {type: csv, path: d.csv}, target: y}\n"
        "task: binary\nmodels: [{type: nearest_centroid, params: {metric: cosine}}]\n",
        encoding="utf-8",
    )
    result = _automl(installed_example, "validate", str(recipe))
    assert result.returncode == 3
    assert (
        "models[0].params.metric (line 3): Input should be 'euclidean' or 'manhattan'"
        in result.stderr
    )


def test_autoload_off_and_disable_hide_third_party(installed_example: Path) -> None:
    for env, args in [
        ({"AUTOML_DISABLE_PLUGIN_AUTOLOAD": "1"}, ()),
        ({}, ("--disable-plugin", "example")),
    ]:
        result = _automl(installed_example, *args, "plugins", "--json", **env)
        names = {row["name"] for row in json.loads(result.stdout)}
        assert "nearest_centroid" not in names
        assert "accuracy" in names


def test_plugin_own_tests_pass_against_installed_copy(installed_example: Path) -> None:
    """The way docs/plugins.md tells an author to test: pytest on the installed plugin."""
    environment = {**os.environ, "PYTHONPATH": str(installed_example)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(EXAMPLE_PLUGIN / "tests"),
        ],
        capture_output=True,
        text=True,
        env=environment,
        cwd=installed_example,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_docs_show_the_example_verbatim() -> None:
    """docs/plugins.md's example is exactly the distribution the tests above build and run."""
    docs = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    blocks = dict(re.findall(r"<!-- file: (\S+) -->\n```\w*\n(.*?)```", docs, flags=re.DOTALL))
    expected = {
        "pyproject.toml": EXAMPLE_PLUGIN / "pyproject.toml",
        "src/automl_example/__init__.py": EXAMPLE_PLUGIN / "src" / "automl_example" / "__init__.py",
        "tests/test_example_plugin.py": EXAMPLE_PLUGIN / "tests" / "test_example_plugin.py",
    }
    assert set(blocks) == set(expected)
    for name, path in expected.items():
        assert blocks[name] == path.read_text(encoding="utf-8"), name
