"""A slim install: the core's dependencies, the extras, and components whose extra is missing."""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from automl import ModelSpec, Params, PluginError, PluginRegistry, RecipeError, load_recipe
from automl.cli import cli
from automl.errors import ExitCode, RecipePluginError
from automl.specs import ComponentKind, DataSourceSpec
from tests.conftest import ROOT, SiteDir

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
EXTRAS: dict[str, list[str]] = PYPROJECT["optional-dependencies"]


def _names(requirements: list[str]) -> set[str]:
    """Distribution names of requirement strings, lowercased (``automl[a,b]`` kept whole)."""
    return {re.split(r"[<>=!~ ;]", r, maxsplit=1)[0].lower() for r in requirements}


# Each builtin plugin's library, the extra that installs it, and where it may be imported.
OPTIONAL = {
    "lightgbm": ("lightgbm", "plugins/automl_lightgbm"),
    "xgboost": ("xgboost", "plugins/automl_xgboost"),
    "catboost": ("catboost", "plugins/automl_catboost"),
    "torch": ("torch", "plugins/automl_torch"),
    "ray": ("ray", "automl/search"),
    "sqlalchemy": ("sql", "plugins/automl_io"),
    "s3fs": ("s3", "plugins/automl_io"),
    "fsspec": ("s3", "plugins/automl_io"),
}

# Import names of the core's dependencies (and of their own dependencies that automl uses).
CORE_IMPORTS = {
    "click": "click",
    "cmaes": "cmaes",
    "numpy": "numpy",
    "optuna": "optuna",
    "pandas": "pandas",
    "pluggy": "pluggy",
    "pyarrow": "pyarrow",
    "pydantic": "pydantic",
    "pydantic_core": "pydantic",
    "yaml": "pyyaml",
    "rich": "rich",
    "sklearn": "scikit-learn",
    "threadpoolctl": "scikit-learn",
}


def test_core_dependencies_leave_out_every_plugin_library() -> None:
    core = _names(PYPROJECT["dependencies"])
    assert core == set(CORE_IMPORTS.values())
    for extra in ("lightgbm", "xgboost", "catboost", "torch", "ray", "sql", "s3"):
        assert EXTRAS[extra], extra
        assert not (_names(EXTRAS[extra]) & core), extra


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("lightgbm", {"lightgbm"}),
        ("xgboost", {"xgboost-cpu", "xgboost"}),  # the CPU build where it exists, else xgboost
        ("catboost", {"catboost"}),
        ("torch", {"torch"}),
        ("ray", {"ray"}),
        ("sql", {"sqlalchemy"}),
        ("s3", {"s3fs", "fsspec"}),
        ("all", {"automl[lightgbm,xgboost,catboost,torch,ray,sql,s3]"}),
    ],
    ids=["lightgbm", "xgboost", "catboost", "torch", "ray", "sql", "s3", "all"],
)
def test_each_extra_installs_its_library(extra: str, expected: set[str]) -> None:
    assert _names(EXTRAS[extra]) == expected


def test_xgboost_is_the_cpu_build_on_linux_and_windows() -> None:
    from packaging.requirements import Requirement

    chosen = {
        platform: {
            Requirement(text).name
            for text in EXTRAS["xgboost"]
            if Requirement(text).marker is None
            or Requirement(text).marker.evaluate({"sys_platform": platform})  # type: ignore[union-attr]
        }
        for platform in ("linux", "win32", "darwin")
    }
    assert chosen == {"linux": {"xgboost-cpu"}, "win32": {"xgboost-cpu"}, "darwin": {"xgboost"}}


def test_torch_is_pinned_and_test_builds_on_all() -> None:
    assert EXTRAS["torch"] == ["torch==2.13.0"]
    assert "automl[all]" in EXTRAS["test"]
    # Every extra but the test tooling is in `all`; no extra is announced before it exists.
    assert set(EXTRAS) == {
        "lightgbm",
        "xgboost",
        "catboost",
        "torch",
        "ray",
        "sql",
        "s3",
        "all",
        "test",
    }


def _imports(package: Path) -> Iterator[tuple[str, str]]:
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                yield str(path.relative_to(ROOT)), name.partition(".")[0]


def test_core_code_imports_only_core_libraries_and_extras_where_they_belong() -> None:
    first_party = {
        "automl",
        "automl_catboost",
        "automl_io",
        "automl_lightgbm",
        "automl_sklearn",
        "automl_torch",
        "automl_xgboost",
    }
    wrong = []
    for package in [ROOT / "automl", *sorted((ROOT / "plugins").glob("automl_*"))]:
        for where, module in _imports(package):
            if module in sys.stdlib_module_names or module in first_party | set(CORE_IMPORTS):
                continue
            optional = OPTIONAL.get(module)
            if optional is None or not where.startswith(optional[1]):
                wrong.append(f"{where} imports {module}")
    assert wrong == []


# -- components whose library is not installed ------------------------------------------------

NEEDS_MISSING = """
from automl import ModelSpec, hookimpl

def build(params, *, task, seed):
    raise AssertionError("never built")

@hookimpl
def automl_register_models():
    return [
        ModelSpec(name="needs_missing", description="needs a module nobody has", factory=build,
                  requires=("automl_no_such_module_xyz",), install="automl-needs[fast]"),
        ModelSpec(name="needs_nothing_missing", description="needs json only", factory=build,
                  requires=("json",)),
    ]
"""

RECIPE = """
name: demo
task: binary
data:
  source: {{type: csv, path: data.csv}}
  target: y
models: {models}
"""


@pytest.fixture
def needs_site(site: SiteDir) -> SiteDir:
    site.add("automl-needs", {"needs_plugin": NEEDS_MISSING}, {"needs": "needs_plugin"}, "1.2")
    return site


def test_a_component_missing_a_module_is_listed_as_unavailable(needs_site: SiteDir) -> None:
    registry = PluginRegistry.discover()
    assert "needs_missing" not in registry.names("model")
    assert "needs_nothing_missing" in registry.names("model")
    (component,) = [c for c in registry.unavailable("model") if c.plugin.name == "needs"]
    assert component.name == "needs_missing"
    assert component.missing == ("automl_no_such_module_xyz",)
    assert not component.available
    assert component.install_command == 'pip install "automl-needs[fast]"'
    with pytest.raises(PluginError) as caught:
        registry.get("model", "needs_missing")
    assert str(caught.value) == (
        "model 'needs_missing' of plugin 'needs' (distribution automl-needs 1.2) needs "
        'automl_no_such_module_xyz, which is not installed: pip install "automl-needs[fast]"'
    )
    assert registry.problems == []


def _recipe(tmp_path: Path, models: str) -> Path:
    (tmp_path / "data.csv").write_text("x,y\n1,0\n2,1\n", encoding="utf-8")
    path = tmp_path / "recipe.yaml"
    path.write_text(RECIPE.format(models=models), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("models", "error", "expected"),
    [
        ("[needs_missing]", RecipePluginError, 'pip install "automl-needs[fast]"'),
        ("[needs_missing, logistic_regresion]", RecipePluginError, "Did you mean"),
        ("[logistic_regresion]", RecipeError, "Did you mean 'logistic_regression'?"),
    ],
    ids=["unavailable", "unavailable-and-misspelt", "misspelt-only"],
)
def test_a_recipe_naming_an_unavailable_component_exits_with_the_plugin_code(
    needs_site: SiteDir, tmp_path: Path, models: str, error: type[RecipeError], expected: str
) -> None:
    with pytest.raises(RecipeError) as caught:
        load_recipe(_recipe(tmp_path, models), PluginRegistry.discover())
    assert type(caught.value) is error
    assert expected in str(caught.value)
    plugin_code = error is RecipePluginError
    assert caught.value.exit_code == (ExitCode.PLUGIN if plugin_code else ExitCode.RECIPE)
    assert isinstance(caught.value, PluginError) is plugin_code


@pytest.mark.parametrize(
    ("models", "code"),
    [("[needs_missing]", ExitCode.PLUGIN), ("[logistic_regresion]", ExitCode.RECIPE)],
    ids=["unavailable", "misspelt"],
)
def test_validate_exits_with_the_plugin_code_for_an_unavailable_component(
    needs_site: SiteDir, tmp_path: Path, models: str, code: ExitCode
) -> None:
    result = CliRunner().invoke(cli, ["validate", str(_recipe(tmp_path, models))])
    assert result.exit_code == code


def test_the_default_models_leave_out_unavailable_ones(needs_site: SiteDir, tmp_path: Path) -> None:
    path = _recipe(tmp_path, "[x]")
    path.write_text(RECIPE.format(models="[x]").replace("models: [x]\n", ""), encoding="utf-8")
    resolved = load_recipe(path, PluginRegistry.discover())
    names = {model.name for model in resolved.models}
    assert "needs_missing" not in names
    assert "needs_nothing_missing" in names


def test_the_cli_lists_unavailable_components_with_the_install_line(needs_site: SiteDir) -> None:
    result = CliRunner().invoke(cli, ["plugins"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "Unavailable components" in result.stdout
    assert 'pip install "automl-needs[fast]"' in result.stdout  # "[fast]" is not rich markup
    result = CliRunner().invoke(cli, ["plugins", "--json"], catch_exceptions=False)
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["needs_missing"]["available"] is False
    assert rows["needs_missing"]["missing"] == ["automl_no_such_module_xyz"]
    assert rows["needs_missing"]["install"] == 'pip install "automl-needs[fast]"'
    assert rows["needs_nothing_missing"]["available"] is True


@pytest.mark.parametrize(
    ("hidden", "kind", "name", "install"),
    [
        ("lightgbm", ComponentKind.MODEL, "lightgbm", 'pip install "automl[lightgbm]"'),
        ("xgboost", ComponentKind.MODEL, "xgboost", 'pip install "automl[xgboost]"'),
        ("catboost", ComponentKind.MODEL, "catboost", 'pip install "automl[catboost]"'),
        ("torch", ComponentKind.MODEL, "mlp", 'pip install "automl[torch]"'),
        ("sqlalchemy", ComponentKind.DATA_SOURCE, "sql", 'pip install "automl[sql]"'),
    ],
    ids=["lightgbm", "xgboost", "catboost", "torch", "sql"],
)
def test_builtins_without_their_extra_name_it(
    monkeypatch: pytest.MonkeyPatch, hidden: str, kind: ComponentKind, name: str, install: str
) -> None:
    find_spec = importlib.util.find_spec

    def without(module: str, package: str | None = None) -> Any:
        return None if module == hidden else find_spec(module, package)

    monkeypatch.setattr(importlib.util, "find_spec", without)
    registry = PluginRegistry.discover(autoload=False)
    assert name not in registry.names(kind)
    assert [c.name for c in registry.unavailable(kind)] == [name]
    with pytest.raises(PluginError, match=re.escape(install)):
        registry.get(kind, name)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"requires": "lightgbm"}, "requires must be a tuple of top-level module names"),
        ({"requires": ("light-gbm",)}, "requires must be a tuple of top-level module names"),
        ({"requires": (3,)}, "requires must be a tuple of top-level module names"),
        ({"install": ""}, "install must be a non-empty pip requirement"),
        ({"install": 3}, "install must be a non-empty pip requirement"),
    ],
    ids=["string", "not-a-module-name", "not-a-string", "empty-install", "install-not-text"],
)
def test_requirement_fields_check_themselves(fields: dict[str, Any], error: str) -> None:
    with pytest.raises((TypeError, ValueError), match=error):
        ModelSpec(name="m", description="d", factory=print, **fields)


def test_requires_is_kept_as_a_tuple() -> None:
    spec = DataSourceSpec(
        name="s",
        description="d",
        factory=print,
        params=Params,
        requires=["json"],  # type: ignore[arg-type]
    )
    assert spec.requires == ("json",)


def test_run_versions_find_a_library_installed_under_another_distribution_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.metadata

    from automl.package.environment import module_distributions
    from automl.runner import flow

    real = importlib.metadata.version

    def version(name: str) -> str:
        if name == "xgboost":  # as on Linux, where the extra installs xgboost-cpu
            raise importlib.metadata.PackageNotFoundError(name)
        return "9.9.9" if name == "xgboost-cpu" else real(name)

    monkeypatch.setattr(importlib.metadata, "version", version)
    monkeypatch.setattr(
        importlib.metadata, "packages_distributions", lambda: {"xgboost": ["xgboost-cpu"]}
    )
    module_distributions.cache_clear()  # read once per process: read the fake one
    try:
        assert flow.versions()["xgboost"] == "9.9.9"
    finally:
        module_distributions.cache_clear()
