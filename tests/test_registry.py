"""Plugin discovery through entry points: isolation, disabling, duplicates, observers."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from automl import PluginError, PluginRegistry, load_recipe
from automl.cli import cli
from automl.errors import ExitCode
from automl.records import RunStatus, RunSummary
from automl.specs import ComponentKind
from tests.conftest import SiteDir

BUILTIN_METRICS = [
    "accuracy",
    "balanced_accuracy",
    "f1",
    "log_loss",
    "mae",
    "mape",
    "mse",
    "precision",
    "r2",
    "recall",
    "rmse",
    "roc_auc",
]

GOOD_PLUGIN = """
from automl import MetricSpec, hookimpl

def score(y_true, y_pred, *, labels=None):
    return 0.0

@hookimpl
def automl_register_metrics():
    return [MetricSpec(name="{name}", description="test metric", factory=score, direction="maximize")]
"""


def _metric_plugin(name: str) -> str:
    return GOOD_PLUGIN.replace("{name}", name)


def test_builtins_are_discovered_through_entry_points(registry: PluginRegistry) -> None:
    assert {"csv", "parquet", "tsv", "json", "jsonl", "sql", "http", "sklearn", "openml"} == set(
        registry.names(ComponentKind.DATA_SOURCE)
    )
    assert registry.names(ComponentKind.METRIC) == BUILTIN_METRICS
    assert registry.problems == []
    csv = registry.get("data_source", "csv")
    assert csv.plugin.name == "io"
    assert csv.plugin.distribution == "automl"
    assert csv.plugin.builtin


def test_third_party_plugin_is_discovered(site: SiteDir) -> None:
    site.add(
        "automl-good",
        {"good_plugin": _metric_plugin("good_metric")},
        {"good": "good_plugin"},
        "2.3",
    )
    registry = PluginRegistry.discover()
    component = registry.get(ComponentKind.METRIC, "good_metric")
    assert (component.plugin.name, component.plugin.distribution, component.plugin.version) == (
        "good",
        "automl-good",
        "2.3",
    )
    assert not component.plugin.builtin
    assert "accuracy" in registry.names("metric")


BROKEN_PLUGINS = {
    "import-error": ("import missing_dependency_xyz\n", "ModuleNotFoundError"),
    "syntax-error": ("def broken(:\n", "SyntaxError"),
    "exit-at-import": ("import sys\nsys.exit(3)\n", "SystemExit"),
    "hook-raises": (
        "from automl import hookimpl\n\n@hookimpl\ndef automl_register_metrics():\n    raise RuntimeError('kaput')\n",
        "RuntimeError: kaput",
    ),
    "bad-record": (
        "from automl import MetricSpec, hookimpl\n\n@hookimpl\ndef automl_register_metrics():\n"
        "    return [MetricSpec(name='Bad Name', description='d', factory=print, direction='maximize')]\n",
        "name 'Bad Name' is invalid",
    ),
    "wrong-record-kind": (
        "from automl import DataSourceSpec, hookimpl\n\n@hookimpl\ndef automl_register_metrics():\n"
        "    return [DataSourceSpec(name='x', description='d', factory=print)]\n",
        "returned DataSourceSpec 'x'; this hook must return MetricSpec records",
    ),
    "not-iterable": (
        "from automl import hookimpl\n\n@hookimpl\ndef automl_register_metrics():\n    return 42\n",
        "expected an iterable of records, got int",
    ),
    "unknown-hook": (
        "from automl import hookimpl\n\n@hookimpl\ndef automl_register_metric():\n    return []\n",
        "unknown hook 'automl_register_metric'. Did you mean 'automl_register_metrics'?",
    ),
    "bad-signature": (
        "from automl import hookimpl\n\n@hookimpl\ndef automl_register_metrics(color):\n    return []\n",
        "PluginValidationError",
    ),
    "no-hooks": ("x = 1\n", "implements no automl hook"),
    "wrapper": (
        "from automl import hookimpl\n\n@hookimpl(wrapper=True)\ndef automl_register_metrics():\n"
        "    return (yield)\n",
        "may not be a wrapper",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN_PLUGINS), ids=list(BROKEN_PLUGINS))
def test_broken_plugin_is_isolated_and_reported(
    case: str, site: SiteDir, caplog: pytest.LogCaptureFixture
) -> None:
    source, expected = BROKEN_PLUGINS[case]
    module = "broken_" + case.replace("-", "_")
    # The broken plugin sorts between two good ones, so nothing before or after it may be lost.
    site.add("automl-aaa", {"aaa_plugin": _metric_plugin("aaa_metric")}, {"aaa": "aaa_plugin"})
    site.add("automl-broken", {module: source}, {"broken": module}, "0.9")
    site.add("automl-zzz", {"zzz_plugin": _metric_plugin("zzz_metric")}, {"zzz": "zzz_plugin"})
    with caplog.at_level(logging.WARNING, logger="automl"):
        registry = PluginRegistry.discover()
        names = registry.names("metric")
    assert {"aaa_metric", "zzz_metric", "accuracy"} <= set(names)
    problems = [p for p in registry.problems if p.plugin.name == "broken"]
    assert len(problems) == 1, registry.problems
    problem = problems[0]
    assert expected in problem.error
    assert (problem.plugin.distribution, problem.plugin.version) == ("automl-broken", "0.9")
    text = str(problem)
    assert "plugin 'broken' (distribution automl-broken 0.9)" in text
    assert any("automl-broken" in record.getMessage() for record in caplog.records)


def test_duplicate_names_name_both_providers(site: SiteDir) -> None:
    site.add("automl-one", {"one_plugin": _metric_plugin("shared")}, {"one": "one_plugin"}, "1.0")
    site.add("automl-two", {"two_plugin": _metric_plugin("shared")}, {"two": "two_plugin"}, "2.0")
    registry = PluginRegistry.discover()
    with pytest.raises(PluginError) as caught:
        registry.get("metric", "shared")
    message = str(caught.value)
    assert "plugin 'one' (distribution automl-one 1.0)" in message
    assert "plugin 'two' (distribution automl-two 2.0)" in message
    assert "--disable-plugin" in message
    assert "shared" not in registry.names("metric")
    assert list(registry.conflicts) == [(ComponentKind.METRIC, "shared")]
    # Disabling one provider resolves the conflict.
    fixed = PluginRegistry.discover(disabled=["two"])
    assert fixed.get("metric", "shared").plugin.name == "one"


def test_duplicate_with_a_builtin_is_reported(site: SiteDir) -> None:
    site.add(
        "automl-shadow", {"shadow_plugin": _metric_plugin("accuracy")}, {"shadow": "shadow_plugin"}
    )
    registry = PluginRegistry.discover()
    with pytest.raises(
        PluginError, match=r"plugin 'sklearn' \(distribution automl .*\) and plugin 'shadow'"
    ):
        registry.get("metric", "accuracy")


def test_disable_by_argument_and_environment(
    site: SiteDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.add("automl-one", {"one_plugin": _metric_plugin("one_metric")}, {"one": "one_plugin"})
    site.add("automl-two", {"two_plugin": _metric_plugin("two_metric")}, {"two": "two_plugin"})
    by_argument = PluginRegistry.discover(disabled=["one", "io"])
    assert "one_metric" not in by_argument.names("metric")
    assert "two_metric" in by_argument.names("metric")
    assert by_argument.names("data_source") == []
    assert {p.name for p in by_argument.skipped} == {"one", "io"}
    monkeypatch.setenv("AUTOML_DISABLE_PLUGINS", "two, sklearn")
    by_env = PluginRegistry.discover(disabled=["one"])
    assert by_env.names("metric") == []
    assert "csv" in by_env.names("data_source")


def test_disabled_plugin_is_not_even_imported(site: SiteDir) -> None:
    site.add(
        "automl-bomb", {"bomb_plugin": "raise RuntimeError('imported')\n"}, {"bomb": "bomb_plugin"}
    )
    registry = PluginRegistry.discover(disabled=["bomb"])
    assert registry.problems == []
    assert "bomb_plugin" not in sys.modules


def test_unknown_disabled_name_is_warned(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="automl"):
        PluginRegistry.discover(disabled=["no_such_plugin"])
    assert "Cannot disable plugin 'no_such_plugin'" in caplog.text


def test_autoload_off_loads_builtins_only(site: SiteDir, monkeypatch: pytest.MonkeyPatch) -> None:
    site.add(
        "automl-extra", {"extra_plugin": _metric_plugin("extra_metric")}, {"extra": "extra_plugin"}
    )
    monkeypatch.setenv("AUTOML_DISABLE_PLUGIN_AUTOLOAD", "1")
    registry = PluginRegistry.discover()
    assert "extra_metric" not in registry.names("metric")
    assert "accuracy" in registry.names("metric")
    assert "extra_plugin" not in sys.modules
    assert PluginRegistry.discover(autoload=True).get("metric", "extra_metric")


def test_registries_do_not_share_state(example_plugin: Any) -> None:
    first = PluginRegistry()
    first.add_plugin(example_plugin, name="example")
    second = PluginRegistry()
    assert first.names("model") == ["nearest_centroid"]
    assert second.names("model") == []


def test_plugin_name_rules() -> None:
    registry = PluginRegistry()
    assert not registry.add_plugin(object(), name="Bad-Name")
    assert "lowercase" in registry.problems[0].error


def test_same_plugin_name_twice_is_refused(example_plugin: Any) -> None:
    registry = PluginRegistry()
    assert registry.add_plugin(example_plugin, name="example", distribution="a", version="1")

    class Other:
        pass

    assert not registry.add_plugin(Other(), name="example", distribution="b", version="2")
    assert "already taken by plugin 'example' (distribution a 1)" in registry.problems[0].error


def test_unknown_name_suggests_and_lists(registry: PluginRegistry) -> None:
    with pytest.raises(PluginError) as caught:
        registry.get("metric", "acuracy")
    message = str(caught.value)
    assert "Unknown metric 'acuracy'. Did you mean 'accuracy'?" in message
    assert "Installed: accuracy, balanced_accuracy," in message
    with pytest.raises(PluginError, match="No model is installed"):
        PluginRegistry().get("model", "random_forest")


FAILED_LOAD = "plugin 'broken' (distribution automl-broken 0.9) failed at load: importing 'broken_plugin' raised ModuleNotFoundError"


@pytest.mark.parametrize(
    ("source", "kind", "name", "blamed"),
    [
        ("import missing_dependency_xyz\n", "data_source", "csv_x", FAILED_LOAD),
        ("import missing_dependency_xyz\n", "model", "boosted", FAILED_LOAD),
        (BROKEN_PLUGINS["hook-raises"][0], "metric", "kappa", "failed at automl_register_metrics"),
        (BROKEN_PLUGINS["hook-raises"][0], "model", "boosted", None),
        (BROKEN_PLUGINS["unknown-hook"][0], "model", "boosted", "failed at register"),
    ],
    ids=["load-source", "load-model", "metric-hook", "metric-hook-not-models", "register"],
)
def test_unknown_name_names_the_failed_plugins_that_may_provide_it(
    site: SiteDir, tmp_path: Path, source: str, kind: str, name: str, blamed: str | None
) -> None:
    site.add("automl-broken", {"broken_plugin": source}, {"broken": "broken_plugin"}, "0.9")
    registry = PluginRegistry.discover()
    message = registry.unknown_message(kind, name)
    assert registry.is_plugin_problem(kind, name) is (blamed is not None)
    if blamed is None:
        assert "broken" not in message
        return
    assert message.startswith(f"Unknown {ComponentKind(kind).label} {name!r}: ")
    assert blamed in message
    assert f"that plugin may provide {ComponentKind(kind).label} {name!r}" in message
    # A recipe naming it is a plugin problem: exit code 4, every problem still listed.
    recipe = tmp_path / "recipe.yaml"
    (tmp_path / "data.csv").write_text("x,y\n1,0\n", encoding="utf-8")
    section = {
        "data_source": f"data: {{source: {{type: {name}}}, target: y}}\n",
        "model": f"data: {{source: {{type: csv, path: data.csv}}, target: y}}\nmodels: [{name}]\n",
        "metric": f"data: {{source: {{type: csv, path: data.csv}}, target: y}}\nmetric: {name}\n",
    }[kind]
    recipe.write_text(f"name: demo\ntask: binary\n{section}search: {{cv: 1}}\n", encoding="utf-8")
    with pytest.raises(PluginError) as caught:
        load_recipe(recipe, registry)
    assert caught.value.exit_code == ExitCode.PLUGIN
    assert blamed in str(caught.value)
    assert "search.cv" in str(caught.value)


def test_a_recipe_whose_source_plugin_failed_says_so_and_exits_4(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The builtin io plugin fails to import (as with a broken pandas): "Unknown data source
    # 'csv'" alone would send the user to the recipe; the plugin's failure is the cause.
    monkeypatch.setitem(sys.modules, "automl_io", None)
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(
        "name: demo\ntask: binary\ndata: {source: {type: csv, path: d.csv}, target: y}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["run", str(recipe)], catch_exceptions=False)
    assert result.exit_code == ExitCode.PLUGIN
    message = " ".join(result.stderr.split())
    assert "Unknown data source 'csv': plugin 'io' (distribution automl " in message
    assert "failed at load: importing 'automl_io' raised ModuleNotFoundError" in message
    assert "that plugin may provide data source 'csv'" in message


def test_unknown_name_mentions_disabled_plugins() -> None:
    registry = PluginRegistry.discover(disabled=["io"])
    assert "Not loaded: io." in registry.unknown_message("data_source", "csv")


OBSERVER = """
from automl import hookimpl

CALLS = []

@hookimpl
def automl_before_run(run_dir):
    CALLS.append(("before_run", run_dir))

@hookimpl
def automl_after_trial(trial):
    CALLS.append(("after_trial", trial["number"]))

@hookimpl
def automl_after_run(recipe, run_dir, summary):
    CALLS.append(("after_run", recipe, summary.status))
"""

FAILING_OBSERVER = """
from automl import hookimpl

@hookimpl
def automl_before_run(recipe, run_dir):
    raise RuntimeError("observer down")

@hookimpl
def automl_after_trial(recipe, trial):
    raise ValueError("bad trial hook")
"""


def test_lifecycle_observers_are_called_in_isolation(site: SiteDir, tmp_path: Path) -> None:
    site.add("automl-watch", {"watch_plugin": OBSERVER}, {"watch": "watch_plugin"})
    site.add("automl-fail", {"fail_plugin": FAILING_OBSERVER}, {"fail": "fail_plugin"})
    registry = PluginRegistry.discover()
    registry.before_run(recipe="R", run_dir=tmp_path)
    registry.after_trial(recipe="R", trial={"number": 7, "state": "COMPLETE"})
    summary = RunSummary(recipe="R", status=RunStatus.FINISHED)
    registry.after_run(recipe="R", run_dir=tmp_path, summary=summary)
    import watch_plugin

    # Implementations take only the arguments they name.
    assert watch_plugin.CALLS == [
        ("before_run", tmp_path),
        ("after_trial", 7),
        ("after_run", "R", "finished"),
    ]
    failures = [(p.stage, p.error) for p in registry.problems if p.plugin.name == "fail"]
    assert failures == [
        ("automl_before_run", "RuntimeError: observer down"),
        ("automl_after_trial", "ValueError: bad trial hook"),
    ]


def test_discovery_imports_no_heavy_library(tmp_path: Path) -> None:
    code = (
        "import sys, json\n"
        "from automl.registry import PluginRegistry\n"
        "registry = PluginRegistry.discover()\n"
        "registry.components()\n"
        "heavy = ['torch', 'ray', 'lightgbm', 'sklearn', 'pandas', 'optuna', 'numpy']\n"
        "print(json.dumps([m for m in heavy if m in sys.modules]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert json.loads(result.stdout) == []


ONE_OF_EACH = """
from automl import DataSourceSpec, DeployerSpec, MetricSpec, ModelSpec, hookimpl

def noop(*args, **kwargs):
    return None

@hookimpl
def automl_register_data_sources():
    return [DataSourceSpec(name="src_x", description="a source", factory=noop)]

@hookimpl
def automl_register_models():
    return (ModelSpec(name="model_x", description="a model", factory=noop, tasks={"regression"}),)

@hookimpl
def automl_register_metrics():
    yield MetricSpec(name="metric_x", description="a metric", factory=noop, direction="minimize")

@hookimpl
def automl_register_deployers():
    return [DeployerSpec(name="deploy_x", description="a deployer", factory=noop)]
"""


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("data_source", "src_x"),
        ("model", "model_x"),
        ("metric", "metric_x"),
        ("deployer", "deploy_x"),
    ],
)
def test_every_registration_hook(site: SiteDir, kind: str, name: str) -> None:
    site.add("automl-each", {"each_plugin": ONE_OF_EACH}, {"each": "each_plugin"})
    registry = PluginRegistry.discover()
    component = registry.get(kind, name)
    assert component.kind == kind
    assert component.plugin.distribution == "automl-each"
    assert registry.problems == []


def test_every_hook_is_documented() -> None:
    from automl import hookspecs

    hooks = [name for name in dir(hookspecs) if name.startswith("automl_")]
    assert len(hooks) == 7
    docs = (Path(__file__).parent.parent / "docs" / "plugins.md").read_text(encoding="utf-8")
    for name in hooks:
        assert getattr(hookspecs, name).__doc__, name
        assert f"`{name}`" in docs, name


def test_public_import_paths_and_logger() -> None:
    """The registry package re-exports its records; its modules log as ``automl.registry``."""
    from automl import registry
    from automl.registry import manager, plugins

    assert registry.PluginRegistry is manager.PluginRegistry
    for name in ("Component", "PluginInfo", "PluginProblem", "ENTRY_POINT_GROUP"):
        assert getattr(registry, name) is getattr(plugins, name)
    assert manager.logger.name == "automl.registry"


@pytest.mark.parametrize(
    ("value", "autoload"), [("", True), ("0", True), ("1", False), ("TRUE", False), ("on", False)]
)
def test_autoload_switch_values(
    monkeypatch: pytest.MonkeyPatch, value: str, autoload: bool
) -> None:
    from automl.registry.plugins import autoload_from_env

    monkeypatch.setenv("AUTOML_DISABLE_PLUGIN_AUTOLOAD", value)
    assert autoload_from_env() is autoload
